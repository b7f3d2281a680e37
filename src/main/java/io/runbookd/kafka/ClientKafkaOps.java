package io.runbookd.kafka;

import io.runbookd.config.RunbookdConfig;
import io.runbookd.model.ConsumerGroupSnapshot;
import io.runbookd.model.KafkaRecord;
import io.runbookd.model.PartitionLag;
import io.runbookd.model.TopicPartition;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@link KafkaOps} with the Kafka clients: one AdminClient and one producer per cluster, created on first
 * use; a short-lived consumer per read, assigned to one partition, in no group. AdminClient calls are
 * asynchronous ({@link KafkaFuture}); consumer and producer calls run on Vert.x worker threads.
 */
final class ClientKafkaOps implements KafkaOps {
  private static final java.util.concurrent.atomic.AtomicLong READERS = new java.util.concurrent.atomic.AtomicLong();
  private final String name;
  private final Vertx vertx;
  private final RunbookdConfig.KafkaCluster config;
  private final int timeoutMs;
  private Admin admin;
  private KafkaProducer<byte[], byte[]> producer;
  private boolean closed;

  ClientKafkaOps(String name, Vertx vertx, RunbookdConfig.KafkaCluster config) {
    this.name = name;
    this.vertx = vertx;
    this.config = config;
    this.timeoutMs = (int) Math.min(Integer.MAX_VALUE, config.requestTimeout().toMillis());
  }

  @Override
  public String name() {
    return name;
  }

  private Properties base(String clientIdSuffix) {
    Properties p = new Properties();
    p.putAll(config.clientProperties());
    p.putIfAbsent("client.id", "runbookd-" + name + "-" + clientIdSuffix);
    return p;
  }

  private synchronized Admin admin() {
    if (closed) {
      throw new KafkaOpsException(KafkaOpsException.Kind.FAILED, name, "the Kafka clients are closed");
    }
    if (admin == null) {
      Properties p = base("admin");
      p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
      p.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(timeoutMs, 30_000));
      admin = Admin.create(p);
    }
    return admin;
  }

  private synchronized KafkaProducer<byte[], byte[]> producer() {
    if (closed) {
      throw new KafkaOpsException(KafkaOpsException.Kind.FAILED, name, "the Kafka clients are closed");
    }
    if (producer == null) {
      Properties p = base("producer");
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeoutMs);
      int request = Math.min(timeoutMs, 30_000);
      p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, request);
      p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Math.max(timeoutMs, request + 5));
      p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
      producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }
    return producer;
  }

  @Override
  public io.vertx.core.Future<ConsumerGroupSnapshot> consumerGroup(String groupId) {
    Instant readAt = Instant.now();
    return admin(adm -> adm.describeConsumerGroups(List.of(groupId), new DescribeConsumerGroupsOptions().timeoutMs(timeoutMs))
            .describedGroups().get(groupId), "describe consumer group " + groupId)
        .recover(err -> err instanceof KafkaOpsException e && e.kind() == KafkaOpsException.Kind.NOT_FOUND
            ? io.vertx.core.Future.succeededFuture(null) : io.vertx.core.Future.failedFuture(err))
        .compose(desc -> {
          String state = desc == null ? "DEAD" : desc.groupState().name();
          int members = desc == null ? 0 : desc.members().size();
          if (desc == null) {
            return io.vertx.core.Future.succeededFuture(new ConsumerGroupSnapshot(groupId, state, 0, List.of(), readAt));
          }
          return admin(adm -> adm.listConsumerGroupOffsets(groupId, new ListConsumerGroupOffsetsOptions().timeoutMs(timeoutMs))
                  .partitionsToOffsetAndMetadata(), "list the offsets of consumer group " + groupId)
              .compose(committed -> {
                Map<TopicPartition, Long> byPartition = new TreeMap<>();
                // A member's assigned partitions without a committed offset count too (committed null): a sink
                // that has not committed yet still has everything from its reset position to read.
                desc.members().forEach(m -> m.assignment().topicPartitions().forEach(tp ->
                    byPartition.put(new TopicPartition(tp.topic(), tp.partition()), null)));
                committed.forEach((tp, om) -> byPartition.put(new TopicPartition(tp.topic(), tp.partition()),
                    om == null || om.offset() < 0 ? null : om.offset()));
                if (byPartition.isEmpty()) {
                  return io.vertx.core.Future.succeededFuture(new ConsumerGroupSnapshot(groupId, state, members, List.of(),
                      readAt));
                }
                return earliestOffsets(byPartition.keySet()).compose(start -> latestOffsets(byPartition.keySet())
                    .map(end -> {
                      List<PartitionLag> out = new ArrayList<>();
                      byPartition.forEach((tp, off) -> out.add(new PartitionLag(tp.topic(), tp.partition(), off,
                          start.getOrDefault(tp, 0L), end.getOrDefault(tp, 0L))));
                      return new ConsumerGroupSnapshot(groupId, state, members, out, readAt);
                    }));
              });
        });
  }

  @Override
  public io.vertx.core.Future<List<TopicPartition>> partitions(String topic) {
    return admin(adm -> adm.describeTopics(List.of(topic)).topicNameValues().get(topic), "describe topic " + topic)
        .map(d -> d.partitions().stream().map(p -> new TopicPartition(topic, p.partition())).sorted().toList());
  }

  @Override
  public io.vertx.core.Future<Map<TopicPartition, Long>> earliestOffsets(Collection<TopicPartition> partitions) {
    return listOffsets(partitions, OffsetSpec.earliest(), "earliest");
  }

  @Override
  public io.vertx.core.Future<Map<TopicPartition, Long>> latestOffsets(Collection<TopicPartition> partitions) {
    return listOffsets(partitions, OffsetSpec.latest(), "latest");
  }

  @Override
  public io.vertx.core.Future<Map<TopicPartition, Long>> offsetsForTime(Collection<TopicPartition> partitions,
      Instant time) {
    return listOffsets(partitions, OffsetSpec.forTimestamp(time.toEpochMilli()), "for time " + time)
        .compose(found -> {
          // No record at or after the time: Kafka answers -1; the position is then the log end.
          List<TopicPartition> none = found.entrySet().stream().filter(e -> e.getValue() < 0).map(Map.Entry::getKey).toList();
          if (none.isEmpty()) {
            return io.vertx.core.Future.succeededFuture(found);
          }
          return latestOffsets(none).map(end -> {
            Map<TopicPartition, Long> out = new TreeMap<>(found);
            out.putAll(end);
            return out;
          });
        });
  }

  private io.vertx.core.Future<Map<TopicPartition, Long>> listOffsets(Collection<TopicPartition> partitions,
      OffsetSpec spec, String what) {
    if (partitions.isEmpty()) {
      return io.vertx.core.Future.succeededFuture(Map.of());
    }
    Map<org.apache.kafka.common.TopicPartition, OffsetSpec> request = new HashMap<>();
    partitions.forEach(tp -> request.put(kafka(tp), spec));
    return admin(adm -> adm.listOffsets(request, new ListOffsetsOptions().timeoutMs(timeoutMs)).all(),
        "list " + what + " offsets")
        .map(result -> {
          Map<TopicPartition, Long> out = new TreeMap<>();
          result.forEach((tp, info) -> out.put(new TopicPartition(tp.topic(), tp.partition()), info.offset()));
          return out;
        });
  }

  @Override
  public io.vertx.core.Future<Void> alterGroupOffsets(String groupId, Map<TopicPartition, Long> offsets) {
    Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> request = new HashMap<>();
    offsets.forEach((tp, off) -> request.put(kafka(tp), new OffsetAndMetadata(off)));
    return admin(adm -> adm.alterConsumerGroupOffsets(groupId, request,
            new org.apache.kafka.clients.admin.AlterConsumerGroupOffsetsOptions().timeoutMs(timeoutMs)).all(),
        "alter the offsets of consumer group " + groupId).mapEmpty();
  }

  @Override
  public io.vertx.core.Future<List<KafkaRecord>> read(TopicPartition partition, long fromOffset, int maxRecords) {
    if (maxRecords <= 0) {
      return io.vertx.core.Future.succeededFuture(List.of());
    }
    return blocking(() -> {
      Properties p = base("reader");
      p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.min(maxRecords, 500));
      p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
      p.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
      p.putIfAbsent(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(timeoutMs, 30_000));
      p.remove(ConsumerConfig.GROUP_ID_CONFIG);
      // Reading must never create the topic it reads (brokers default to auto.create.topics.enable=true).
      p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
      // One client.id per reader: concurrent readers with the same id collide in JMX (AppInfoParser).
      p.put(ConsumerConfig.CLIENT_ID_CONFIG, p.getProperty(ConsumerConfig.CLIENT_ID_CONFIG) + "-" + READERS.incrementAndGet());
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
          new ByteArrayDeserializer())) {
        org.apache.kafka.common.TopicPartition tp = kafka(partition);
        // endOffsets of a topic that does not exist waits for its metadata until the timeout: ask first.
        boolean exists = consumer.partitionsFor(partition.topic(), Duration.ofMillis(timeoutMs)).stream()
            .anyMatch(info -> info.partition() == partition.partition());
        if (!exists) {
          throw new KafkaOpsException(KafkaOpsException.Kind.NOT_FOUND, name, "read " + partition + ": no such topic"
              + " or partition");
        }
        consumer.assign(List.of(tp));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        long end = consumer.endOffsets(List.of(tp), Duration.ofMillis(timeoutMs)).getOrDefault(tp, 0L);
        long begin = consumer.beginningOffsets(List.of(tp), Duration.ofMillis(timeoutMs)).getOrDefault(tp, 0L);
        long from = Math.max(fromOffset, begin);
        List<KafkaRecord> out = new ArrayList<>();
        if (from >= end) {
          return out;
        }
        consumer.seek(tp, from);
        while (out.size() < maxRecords && consumer.position(tp, Duration.ofMillis(timeoutMs)) < end) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            if (out.isEmpty()) {
              throw new TimeoutException("no record of " + partition + " read from offset " + from + " within "
                  + timeoutMs + " ms");
            }
            break;
          }
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofNanos(Math.min(left, 500_000_000L)))) {
            if (out.size() < maxRecords) {
              List<KafkaRecord.Header> headers = new ArrayList<>();
              r.headers().forEach(h -> headers.add(new KafkaRecord.Header(h.key(), h.value())));
              out.add(new KafkaRecord(r.topic(), r.partition(), r.offset(), Instant.ofEpochMilli(r.timestamp()), r.key(),
                  r.value(), headers));
            }
          }
        }
        return out;
      }
    }, "read " + partition + " from offset " + fromOffset);
  }

  @Override
  public io.vertx.core.Future<List<Long>> produce(List<KafkaRecord> records) {
    if (records.isEmpty()) {
      return io.vertx.core.Future.succeededFuture(List.of());
    }
    return blocking(() -> {
      KafkaProducer<byte[], byte[]> prod = producer();
      try {
        return send(prod, records);
      } catch (Exception e) {
        // A producer that failed (timed out, fenced, an idempotence error) is replaced for the next call.
        discard(prod);
        throw e;
      }
    }, "produce " + records.size() + " record(s)");
  }

  private synchronized void discard(KafkaProducer<byte[], byte[]> failed) {
    if (producer == failed) {
      producer = null;
      failed.close(Duration.ZERO);
    }
  }

  private List<Long> send(KafkaProducer<byte[], byte[]> prod, List<KafkaRecord> records) throws Exception {
    {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (KafkaRecord r : records) {
        ProducerRecord<byte[], byte[]> pr = new ProducerRecord<>(r.topic(), r.partition() < 0 ? null : r.partition(),
            null, r.key(), r.value());
        for (KafkaRecord.Header h : r.headers()) {
          pr.headers().add(new RecordHeader(h.key(), h.value()));
        }
        sent.add(prod.send(pr));
      }
      prod.flush();
      List<Long> offsets = new ArrayList<>();
      for (Future<RecordMetadata> f : sent) {
        offsets.add(f.get(timeoutMs, TimeUnit.MILLISECONDS).offset());
      }
      return offsets;
    }
  }

  @Override
  public synchronized io.vertx.core.Future<Void> close() {
    closed = true;
    Admin a = admin;
    KafkaProducer<byte[], byte[]> p = producer;
    admin = null;
    producer = null;
    if (a == null && p == null) {
      return io.vertx.core.Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      if (a != null) {
        a.close(Duration.ofSeconds(5));
      }
      if (p != null) {
        p.close(Duration.ofSeconds(5));
      }
      return null;
    }, false);
  }

  private static org.apache.kafka.common.TopicPartition kafka(TopicPartition tp) {
    return new org.apache.kafka.common.TopicPartition(tp.topic(), tp.partition());
  }

  /** The AdminClient; its first creation (which resolves the bootstrap host names) runs on a worker thread. */
  private io.vertx.core.Future<Admin> adminReady() {
    synchronized (this) {
      if (admin != null && !closed) {
        return io.vertx.core.Future.succeededFuture(admin);
      }
    }
    return vertx.executeBlocking(this::admin, false);
  }

  /** Calls the AdminClient and completes on the caller's context. */
  private <T> io.vertx.core.Future<T> admin(java.util.function.Function<Admin, KafkaFuture<T>> call, String what) {
    Context ctx = vertx.getOrCreateContext();
    return adminReady().recover(err -> io.vertx.core.Future.failedFuture(typed(err, what)))
        .compose(adm -> callAdmin(ctx, adm, call, what));
  }

  private <T> io.vertx.core.Future<T> callAdmin(Context ctx, Admin adm,
      java.util.function.Function<Admin, KafkaFuture<T>> call, String what) {
    Promise<T> promise = Promise.promise();
    KafkaFuture<T> kf;
    try {
      kf = call.apply(adm);
    } catch (RuntimeException e) {
      return io.vertx.core.Future.failedFuture(typed(e, what));
    }
    kf.whenComplete((v, err) -> ctx.runOnContext(x -> {
      if (err == null) {
        promise.complete(v);
      } else {
        promise.fail(typed(err, what));
      }
    }));
    return promise.future();
  }

  private <T> io.vertx.core.Future<T> blocking(java.util.concurrent.Callable<T> call, String what) {
    return vertx.<T>executeBlocking(call, false).recover(err -> io.vertx.core.Future.failedFuture(typed(err, what)));
  }

  /** The typed error of a failed call. */
  KafkaOpsException typed(Throwable err, String what) {
    Throwable e = err;
    while ((e instanceof ExecutionException || e instanceof CompletionException) && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof KafkaOpsException k) {
      return k;
    }
    KafkaOpsException.Kind kind;
    if (e instanceof TimeoutException || e instanceof java.util.concurrent.TimeoutException) {
      kind = KafkaOpsException.Kind.TIMEOUT;
    } else if (e instanceof GroupNotEmptyException || e instanceof UnknownMemberIdException) {
      kind = KafkaOpsException.Kind.GROUP_NOT_EMPTY;
    } else if (e instanceof GroupIdNotFoundException || e instanceof UnknownTopicOrPartitionException) {
      kind = KafkaOpsException.Kind.NOT_FOUND;
    } else if (e instanceof AuthenticationException) {
      kind = KafkaOpsException.Kind.AUTHENTICATION;
    } else if (e instanceof AuthorizationException) {
      kind = KafkaOpsException.Kind.AUTHORIZATION;
    } else if (e instanceof InvalidRequestException || e instanceof OffsetOutOfRangeException
        || e instanceof IllegalArgumentException) {
      kind = KafkaOpsException.Kind.INVALID;
    } else {
      kind = KafkaOpsException.Kind.FAILED;
    }
    String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    return new KafkaOpsException(kind, name, what + ": " + msg, e);
  }
}
