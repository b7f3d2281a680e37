package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runbookd.config.ConfigLoader;
import io.runbookd.kafka.KafkaClusters;
import io.runbookd.kafka.KafkaOps;
import io.runbookd.kafka.KafkaOpsException;
import io.runbookd.model.ConsumerGroupSnapshot;
import io.runbookd.model.KafkaRecord;
import io.runbookd.model.PartitionLag;
import io.runbookd.model.TopicPartition;
import io.runbookd.testkit.ConnectWorker;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link KafkaOps} against the real broker of the shared embedded Connect worker: consumer groups, offsets,
 * the offset change refused while a group has members, reading and producing, and its typed errors.
 */
class KafkaOpsIT {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaOpsIT.class);

  private static ConnectWorker connect;
  private static Vertx vertx;
  private static KafkaClusters clusters;
  private static KafkaOps ops;

  @BeforeAll
  static void start() {
    connect = ConnectWorker.get();
    vertx = Vertx.vertx();
    clusters = KafkaClusters.create(vertx, ConfigLoader.parse("kafka_clusters:\n"
        + "  main: { bootstrap_servers: '" + connect.bootstrapServers() + "', request_timeout: 15s }\n"
        + "  dead: { bootstrap_servers: '127.0.0.1:1', request_timeout: 2s }\n", "KafkaOpsIT.yaml"));
    ops = clusters.get("main").orElseThrow();
  }

  @AfterAll
  static void stop() throws Exception {
    await(clusters.close());
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception x ? x : e;
    }
  }

  private static KafkaOpsException.Kind kindOf(Future<?> f) {
    Throwable err = org.assertj.core.api.Assertions.catchThrowable(() -> await(f));
    assertThat(err).isInstanceOf(KafkaOpsException.class);
    return ((KafkaOpsException) err).kind();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Produces {@code n} records to each partition of {@code topic}; returns the offsets the producer answered. */
  private static List<Long> fill(String topic, int partitions, int n) throws Exception {
    List<KafkaRecord> records = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      for (int i = 0; i < n; i++) {
        records.add(KafkaRecord.toProduce(topic, p, utf8("k" + i), utf8("v" + p + "-" + i),
            List.of(KafkaRecord.Header.text("source", "KafkaOpsIT"), KafkaRecord.Header.text("n", Integer.toString(i)))));
      }
    }
    return await(ops.produce(records));
  }

  @Test
  void topicsOffsetsAndRecords() throws Exception {
    String topic = "kops-records";
    connect.cluster().kafka().createTopic(topic, 2);
    Instant before = Instant.now().minusSeconds(1);
    List<Long> offsets = fill(topic, 2, 5);
    assertThat(offsets).as("each partition numbers its records from 0").containsExactly(0L, 1L, 2L, 3L, 4L, 0L, 1L, 2L, 3L, 4L);

    TopicPartition p0 = new TopicPartition(topic, 0);
    TopicPartition p1 = new TopicPartition(topic, 1);
    assertThat(await(ops.partitions(topic))).containsExactly(p0, p1);
    assertThat(await(ops.earliestOffsets(List.of(p0, p1)))).isEqualTo(Map.of(p0, 0L, p1, 0L));
    assertThat(await(ops.latestOffsets(List.of(p0, p1)))).isEqualTo(Map.of(p0, 5L, p1, 5L));
    assertThat(await(ops.offsetsForTime(List.of(p0), before))).as("every record is after the time").isEqualTo(Map.of(p0, 0L));
    assertThat(await(ops.offsetsForTime(List.of(p0, p1), Instant.now().plusSeconds(3600))))
        .as("no record at or after the time: the log end").isEqualTo(Map.of(p0, 5L, p1, 5L));

    List<KafkaRecord> three = await(ops.read(p1, 1, 3));
    assertThat(three).extracting(KafkaRecord::offset).containsExactly(1L, 2L, 3L);
    assertThat(new String(three.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("v1-1");
    assertThat(new String(three.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("k1");
    assertThat(three.get(2).header("source")).contains("KafkaOpsIT");
    assertThat(three.get(2).header("n")).contains("3");
    assertThat(three.get(0).timestamp()).isAfterOrEqualTo(before);
    assertThat(await(ops.read(p0, 2, 100))).as("bounded by the log end").extracting(KafkaRecord::offset)
        .containsExactly(2L, 3L, 4L);
    assertThat(await(ops.read(p0, 5, 10))).as("nothing at the log end").isEmpty();
  }

  @Test
  void consumerGroupsLagAndOffsetChangesOnlyWhenEmpty() throws Exception {
    String topic = "kops-group";
    String group = "kops-group-1";
    connect.cluster().kafka().createTopic(topic, 2);
    fill(topic, 2, 5);
    TopicPartition p0 = new TopicPartition(topic, 0);
    TopicPartition p1 = new TopicPartition(topic, 1);

    ConsumerGroupSnapshot unknown = await(ops.consumerGroup("kops-no-such-group"));
    assertThat(unknown.state()).isEqualTo("DEAD");
    assertThat(unknown.members()).isZero();
    assertThat(unknown.partitions()).isEmpty();

    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, connect.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<byte[], byte[]> member = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      member.subscribe(List.of(topic));
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (member.assignment().size() < 2 && System.nanoTime() < until) {
        member.poll(Duration.ofMillis(200));
      }
      assertThat(member.assignment()).hasSize(2);
      member.commitSync(Map.of(new org.apache.kafka.common.TopicPartition(topic, 0), new OffsetAndMetadata(2),
          new org.apache.kafka.common.TopicPartition(topic, 1), new OffsetAndMetadata(3)));

      ConsumerGroupSnapshot stable = await(ops.consumerGroup(group));
      assertThat(stable.state()).isEqualTo("STABLE");
      assertThat(stable.members()).isEqualTo(1);
      assertThat(stable.empty()).isFalse();
      assertThat(stable.partitions()).extracting(PartitionLag::key, PartitionLag::committed, PartitionLag::lag)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(topic + "-0", 2L, 3L),
              org.assertj.core.groups.Tuple.tuple(topic + "-1", 3L, 2L));
      assertThat(stable.totalLag()).isEqualTo(5);

      KafkaOpsException refused = (KafkaOpsException) org.assertj.core.api.Assertions.catchThrowable(
          () -> await(ops.alterGroupOffsets(group, Map.of(p0, 0L))));
      assertThat(refused).as("a group with a member keeps its offsets").isNotNull();
      LOG.info("alterGroupOffsets on a STABLE group: {}", refused.getMessage());
      assertThat(refused.kind()).isEqualTo(KafkaOpsException.Kind.GROUP_NOT_EMPTY);
    }

    ConsumerGroupSnapshot empty = await(ops.consumerGroup(group));
    assertThat(empty.state()).as("the member left when it closed").isEqualTo("EMPTY");
    assertThat(empty.members()).isZero();
    assertThat(empty.totalLag()).isEqualTo(5);

    await(ops.alterGroupOffsets(group, Map.of(p0, 0L)));
    ConsumerGroupSnapshot moved = await(ops.consumerGroup(group));
    assertThat(moved.partitions()).extracting(PartitionLag::key, PartitionLag::committed)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(topic + "-0", 0L),
            org.assertj.core.groups.Tuple.tuple(topic + "-1", 3L));
    assertThat(moved.totalLag()).isEqualTo(7);
  }

  @Test
  void errorsAreTyped() throws Exception {
    assertThat(kindOf(ops.read(new TopicPartition("kops-no-such-topic", 0), 0, 10))).isEqualTo(KafkaOpsException.Kind.NOT_FOUND);
    assertThat(kindOf(ops.partitions("kops-no-such-topic"))).as("reading did not create the topic")
        .isEqualTo(KafkaOpsException.Kind.NOT_FOUND);
    assertThat(kindOf(ops.latestOffsets(List.of(new TopicPartition("kops-no-such-topic", 0)))))
        .isEqualTo(KafkaOpsException.Kind.NOT_FOUND);
  }

  @Test
  void aDeadBootstrapAddressTimesOutWithinTheRequestTimeout() throws Exception {
    KafkaOps dead = clusters.get("dead").orElseThrow();
    long t0 = System.nanoTime();
    Throwable err = org.assertj.core.api.Assertions.catchThrowable(() -> await(dead.consumerGroup("any")));
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    LOG.info("MEASURED consumerGroup against a dead bootstrap address (request_timeout 2s): {} ms: {}", ms,
        err == null ? null : err.getMessage());
    assertThat(err).isInstanceOf(KafkaOpsException.class);
    assertThat(((KafkaOpsException) err).kind()).isEqualTo(KafkaOpsException.Kind.TIMEOUT);
    assertThat(err.getMessage()).startsWith("kafka cluster dead: ").contains("describe consumer group any");
    assertThatThrownBy(() -> await(dead.read(new TopicPartition("t", 0), 0, 1))).isInstanceOf(KafkaOpsException.class)
        .satisfies(e -> assertThat(((KafkaOpsException) e).kind()).isEqualTo(KafkaOpsException.Kind.TIMEOUT));
  }
}
