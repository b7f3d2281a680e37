package io.runbookd.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.config.ConfigLoader;
import io.runbookd.kafka.KafkaClusters;
import io.runbookd.kafka.KafkaOps;
import io.runbookd.model.ConsumerGroupSnapshot;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentState;
import io.runbookd.model.KafkaRecord;
import io.runbookd.model.OffsetReset;
import io.runbookd.model.PartitionLag;
import io.runbookd.model.TopicPartition;
import io.runbookd.rules.Step;
import io.runbookd.rules.Template;
import io.runbookd.testkit.ConnectWorker;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
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
 * The {@code reset_consumer_group} step on a real consumer group of the embedded broker: refused while the
 * group has a member, done once it is EMPTY, and the offsets read back are the plan's.
 */
class GroupResetIT {
  private static final Logger LOG = LoggerFactory.getLogger(GroupResetIT.class);
  private static ConnectWorker connect;
  private static Vertx vertx;
  private static KafkaClusters clusters;
  private static KafkaOps ops;

  @BeforeAll
  static void start() {
    connect = ConnectWorker.get();
    vertx = Vertx.vertx();
    clusters = KafkaClusters.create(vertx, ConfigLoader.parse("kafka_clusters:\n  main: { bootstrap_servers: '"
        + connect.bootstrapServers() + "', request_timeout: 15s }\n", "GroupResetIT.yaml"));
    ops = clusters.get("main").orElseThrow();
  }

  @AfterAll
  static void stop() throws Exception {
    await(clusters.close());
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static StepExecutor.Target target(Optional<KafkaOps> kafka) {
    Incident inc = new Incident("inc-reset", "local", "orders-sink", "replay-orders", IncidentState.REMEDIATING, null, 1,
        "x", null, Instant.now(), Instant.now(), null, null, null, null, null, null);
    return new StepExecutor.Target(inc, null, Map.of("group", "grp-reset-g"), Map.of(), kafka, 0);
  }

  @Test
  void refusedWhileTheGroupHasAMemberDoneOnceItIsEmpty() throws Exception {
    String topic = "grp-reset";
    String group = "grp-reset-g";
    connect.cluster().kafka().createTopic(topic, 2);
    List<KafkaRecord> records = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      for (int i = 0; i < 10; i++) {
        records.add(KafkaRecord.toProduce(topic, p, null, ("v" + i).getBytes(StandardCharsets.UTF_8), List.of()));
      }
    }
    await(ops.produce(records));
    Step.ResetConsumerGroup step = new Step.ResetConsumerGroup(Template.compile("{{ labels.group }}"),
        new OffsetReset.ShiftBy(-5), List.of());
    StepExecutor executor = new StepExecutor(null);

    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, connect.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<byte[], byte[]> member = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      member.subscribe(List.of(topic));
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (member.assignment().size() < 2 && System.nanoTime() < until) {
        member.poll(Duration.ofMillis(200));
      }
      member.commitSync(Map.of(new org.apache.kafka.common.TopicPartition(topic, 0), new OffsetAndMetadata(8),
          new org.apache.kafka.common.TopicPartition(topic, 1), new OffsetAndMetadata(3)));

      Map<String, Object> preview = await(new GroupResetStep().preview(step, target(Optional.of(ops))));
      LOG.info("preview of reset_consumer_group while the group has a member:\n{}",
          String.join("\n", (List<String>) preview.get("lines")));
      assertThat((List<String>) preview.get("lines")).containsExactly(
          "reset consumer group grp-reset-g to shift_by -5: 2 partitions; lag after: 17 (group STABLE, 1 member when read)",
          "grp-reset-0: 8 → 3 (lag 7)",
          "grp-reset-1: 3 → 0 (lag 10); kept within the log: -2 is before the log start 0",
          "now: consumer group grp-reset-g has 1 active member (STABLE); its offsets can only be reset when it is EMPTY:"
              + " stop the connector first (the step refuses unless it is EMPTY when it runs; the plan is read again then)");

      StepExecutor.Result refused = await(executor.run(step, target(Optional.of(ops))));
      LOG.info("reset_consumer_group while the group has a member: {}", refused.error());
      assertThat(refused.outcome()).isEqualTo("failed");
      assertThat(refused.error()).isEqualTo("consumer group grp-reset-g has 1 active member (STABLE); its offsets can"
          + " only be reset when it is EMPTY: stop the connector first");
      assertThat(await(ops.consumerGroup(group)).partitions()).extracting(PartitionLag::committed)
          .as("nothing changed").containsExactly(8L, 3L);
    }

    StepExecutor.Result done = await(executor.run(step, target(Optional.of(ops))));
    assertThat(done.outcome()).as(String.valueOf(done.error())).isEqualTo("ok");
    JsonObject before = new JsonObject(done.before());
    assertThat(before.getString("state")).isEqualTo("EMPTY");
    assertThat(before.getJsonArray("moves").stream().map(m -> ((JsonObject) m).getLong("to")).toList())
        .containsExactly(3L, 0L);
    ConsumerGroupSnapshot after = await(ops.consumerGroup(group));
    assertThat(after.partitions()).extracting(PartitionLag::committed).containsExactly(3L, 0L);
    assertThat(after.totalLag()).isEqualTo(17);
    assertThat(new JsonObject(done.after()).getJsonObject("committed").getMap())
        .isEqualTo(Map.of("grp-reset-0", 3, "grp-reset-1", 0));

    StepExecutor.Result noKafka = await(executor.run(step, target(Optional.empty())));
    assertThat(noKafka.outcome()).isEqualTo("failed");
    assertThat(noKafka.error()).isEqualTo("reset_consumer_group needs the Kafka cluster of Connect cluster \"local\":"
        + " set connect_clusters.local.kafka in runbookd.yaml");
  }
}
