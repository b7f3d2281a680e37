package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.testkit.Await;
import io.runbookd.testkit.ConnectWorker;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rules that see more than FAILED, against the real worker and broker: a sink whose task hangs behind Connect's
 * back (its consumer group EMPTY, its lag growing, Connect still showing RUNNING) is found by the shipped
 * {@code connect-sink-group-empty} rule and healed by stop + resume; a RUNNING connector without tasks reaches
 * {@code connect-running-without-tasks} instead of being dropped as healthy. The shipped rule files are used
 * with their windows shortened (lag_growing, wait, verification) so that each test stays under a minute and a
 * half.
 */
class LiveStateIT {
  private static final Logger LOG = LoggerFactory.getLogger(LiveStateIT.class);
  private static ConnectWorker connect;

  @TempDir
  Path tmp;

  @BeforeAll
  static void worker() {
    connect = ConnectWorker.get();
  }

  private String config(Path rules) {
    return "rules: { paths: ['" + rules + "'] }\n"
        + "kafka_clusters:\n  local: { bootstrap_servers: '" + connect.bootstrapServers() + "', request_timeout: 10s }\n"
        + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "', kafka: local }\n"
        + "notifiers:\n  oncall: { type: webhook, url: 'http://127.0.0.1:9/oncall' }\n"
        + "engine: { tick: 200ms, poll_interval: 500ms, alert_claim_lease: 2s }\n";
  }

  /** The shipped rule file {@code name} with shorter windows. */
  private Path shipped(String name, Map<String, String> replace) throws Exception {
    String yaml = Files.readString(Daemon.shippedRules().resolve(name));
    for (Map.Entry<String, String> e : replace.entrySet()) {
      assertThat(yaml).as("the shipped rule still has " + e.getKey()).contains(e.getKey());
      yaml = yaml.replace(e.getKey(), e.getValue());
    }
    return Daemon.rulesDir(tmp, name, yaml);
  }

  private static Map<String, String> labels(String alertname, String connector) {
    return Map.of("alertname", alertname, "connect_cluster", "local", "connector", connector, "severity", "warning");
  }

  @Test
  void aSinkStuckBehindConnectsBackIsFoundByItsGroupAndHealedByStopAndResume() throws Exception {
    String name = "stuck-orders-sink";
    String topic = name + "-topic";
    connect.cluster().kafka().createTopic(topic, 1);
    Map<String, String> cfg = new HashMap<>();
    cfg.put("connector.class", StuckSinkConnector.class.getName());
    cfg.put("tasks.max", "1");
    cfg.put("topics", topic);
    cfg.put(StuckSinkConnector.KEY_CONFIG, name);
    // The broker removes a consumer that does not poll for 4 s from its group; Connect does not notice.
    cfg.put("consumer.override.max.poll.interval.ms", "4000");
    cfg.put("consumer.override.max.poll.records", "5");
    AtomicBoolean producing = new AtomicBoolean(true);
    AtomicLong produced = new AtomicLong();
    Thread producer = new Thread(() -> {
      while (producing.get()) {
        connect.cluster().kafka().produce(topic, "k", "v" + produced.incrementAndGet());
        try {
          Thread.sleep(150);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "live-state-producer");
    try (Admin admin = connect.cluster().kafka().createAdminClient()) {
      connect.cluster().configureConnector(name, cfg);
      connect.awaitRunning(name, Duration.ofSeconds(30));
      for (int i = 0; i < 20; i++) {
        connect.cluster().kafka().produce(topic, "k", "warm-" + i);
      }
      Await.until("the sink took the first records", Duration.ofSeconds(30), () -> StuckSinkConnector.put(name) >= 20);
      // The group must have committed offsets before the task hangs: a group with no member and no commit has no
      // position to measure lag from (Connect commits a sink's offsets between put() calls, so a task that hangs
      // in its first put() never commits).
      Await.until("the group connect-" + name + " committed the first records", Duration.ofSeconds(30),
          () -> admin.listConsumerGroupOffsets("connect-" + name).partitionsToOffsetAndMetadata().get()
              .getOrDefault(new TopicPartition(topic, 0), new OffsetAndMetadata(0)).offset() >= 20);

      StuckSinkConnector.stick(name);
      producer.start();
      Await.until("the task hangs in put()", Duration.ofSeconds(30), () -> StuckSinkConnector.hanging(name));
      Await.until("the group connect-" + name + " is EMPTY", Duration.ofSeconds(30),
          () -> group(admin, name).groupState().name().equals("EMPTY"));
      ConnectorStateInfo behindItsBack = connect.status(name);
      assertThat(behindItsBack.connector().state()).isEqualTo("RUNNING");
      assertThat(behindItsBack.tasks()).singleElement().satisfies(t -> assertThat(t.state()).isEqualTo("RUNNING"));
      long lagStuck = lag(admin, name, topic);
      LOG.info("group EMPTY while Connect shows RUNNING; lag {}", lagStuck);

      Path rules = shipped("60-sink-group-empty.yaml", Map.of(
          "lag_growing: 2m", "lag_growing: 4s",
          "wait: 10s", "wait: 2s",
          "stable_for: 60s,", "stable_for: 3s,",
          "reset_after: 30m }", "reset_after: 30m }\n    verify: { within: 1m, stable_for: 3s }"));
      try (Daemon daemon = Daemon.start(config(rules), tmp)) {
        Instant posted = Instant.now();
        assertThat(daemon.postAlerts(AlertmanagerPayloads.firing("KafkaConnectSinkLagGrowing",
            labels("KafkaConnectSinkLagGrowing", name), posted.minusSeconds(900))).statusCode()).isEqualTo(200);

        JsonObject closed = daemon.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(75));
        producing.set(false);
        assertThat(closed.getString("rule")).isEqualTo("connect-sink-group-empty");
        assertThat(closed.getString("outcome")).isEqualTo("recovered");
        assertThat(closed.getString("cause")).contains("consumer group connect-" + name + " EMPTY").contains("lag was");
        JsonObject detail = daemon.incident(closed.getString("id"));
        JsonArray steps = detail.getJsonArray("steps");
        assertThat(steps.stream().map(s -> ((JsonObject) s).getString("type")).toList())
            .containsExactly("stop", "wait", "resume", "wait_for");
        assertThat(steps.stream().map(s -> ((JsonObject) s).getString("outcome")).toList()).containsOnly("ok");
        Instant opened = Instant.parse(closed.getString("opened_at"));
        LOG.info("MEASURED webhook->incident opened (lag_growing 4s, claim lease 2s): {} ms; webhook->closed: {} ms",
            Duration.between(posted, opened).toMillis(),
            Duration.between(posted, Instant.parse(closed.getString("closed_at"))).toMillis());

        // The new task consumes again: the group has a member and the lag falls to nothing.
        Await.until("the group connect-" + name + " has a member again", Duration.ofSeconds(30),
            () -> !group(admin, name).members().isEmpty());
        Await.until("the lag falls to 0", Duration.ofSeconds(30), () -> lag(admin, name, topic) == 0);
        LOG.info("MEASURED lag {} while stuck -> 0 after stop + resume; {} records produced", lagStuck, produced.get());
      }
    } finally {
      producing.set(false);
      producer.join(5000);
      StuckSinkConnector.release(name);
      connect.deleteConnector(name);
    }
  }

  @Test
  void aRunningConnectorWithoutTasksReachesItsRuleInsteadOfBeingDroppedAsHealthy() throws Exception {
    String name = "taskless-sink";
    String topic = name + "-topic";
    connect.cluster().kafka().createTopic(topic, 1);
    connect.cluster().configureConnector(name, Map.of(
        "connector.class", StuckSinkConnector.class.getName(), "tasks.max", "1", "topics", topic,
        StuckSinkConnector.KEY_CONFIG, name, StuckSinkConnector.TASK_COUNT_CONFIG, "0"));
    try {
      connect.awaitStatus(name, "RUNNING without tasks", Duration.ofSeconds(30),
          s -> "RUNNING".equals(s.connector().state()) && s.tasks().isEmpty());
      Path rules = shipped("70-no-tasks-or-unassigned.yaml", Map.of("backoff: [1m, 5m, 10m]", "backoff: [0s, 5m, 10m]",
          "within: 2m, stable_for: 60s", "within: 5s, stable_for: 1s"));
      try (Daemon daemon = Daemon.start(config(rules), tmp)) {
        assertThat(daemon.postAlerts(AlertmanagerPayloads.firing("KafkaConnectConnectorWithoutTasks",
            labels("KafkaConnectConnectorWithoutTasks", name), Instant.now().minusSeconds(400))).statusCode())
            .isEqualTo(200);
        JsonObject inc = daemon.awaitIncident(name, i -> i.getInteger("attempts", 0) >= 1, Duration.ofSeconds(45));
        assertThat(inc.getString("rule")).isEqualTo("connect-running-without-tasks");
        assertThat(inc.getString("cause")).contains("connector RUNNING, no tasks");
        Await.until("the restart step is recorded", Duration.ofSeconds(30),
            () -> !daemon.incident(inc.getString("id")).getJsonArray("steps").isEmpty());
        assertThat(daemon.incident(inc.getString("id")).getJsonArray("steps").getJsonObject(0).getString("type"))
            .isEqualTo("restart");
        assertThat(RestartRequestRecorder.requests(name)).first().satisfies(r -> assertThat(r.includeTasks()).isTrue());
      }
    } finally {
      connect.deleteConnector(name);
    }
  }

  private static ConsumerGroupDescription group(Admin admin, String connector) throws Exception {
    String id = "connect-" + connector;
    return admin.describeConsumerGroups(List.of(id)).describedGroups().get(id).get();
  }

  private static long lag(Admin admin, String connector, String topic) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("connect-" + connector)
        .partitionsToOffsetAndMetadata().get();
    TopicPartition tp = new TopicPartition(topic, 0);
    long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset();
    OffsetAndMetadata c = committed.get(tp);
    return end - (c == null ? 0 : c.offset());
  }
}
