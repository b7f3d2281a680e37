package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.testkit.ConnectWorker;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code wait_for} beyond RUNNING on the real worker: a sink restarted onto a backlog drains it, and its
 * consumer group's falling lag satisfies {@code lag: {falling: true}}.
 */
class LagWaitIT {
  private static final Logger LOG = LoggerFactory.getLogger(LagWaitIT.class);

  @TempDir
  Path tmp;

  @Test
  void aSinkDrainingItsBacklogSatisfiesLagFalling() throws Exception {
    ConnectWorker connect = ConnectWorker.get();
    String name = "lagwait-sink";
    String topic = "lagwait-orders";
    connect.cluster().kafka().createTopic(topic, 1);
    for (int i = 0; i < 600; i++) {
      connect.cluster().kafka().produce(topic, "k" + i, "v" + i);
    }
    Failures.set(name, "Connection to localhost:5432 refused (simulated)");
    connect.cluster().configureConnector(name, Map.of(
        "connector.class", SlowSink.class.getName(),
        "tasks.max", "1",
        "topics", topic,
        SlowSink.FAIL_KEY_CONFIG, name,
        SlowSink.SLEEP_CONFIG, "20",
        "consumer.override.max.poll.records", "25",
        "key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter",
        "value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"));
    try {
      connect.awaitTaskFailed(name, Duration.ofSeconds(30));
      Failures.clear(name);
      Path rules = Daemon.rulesDir(tmp, "10-lag.yaml", "rules:\n  - name: sink-backlog\n"
          + "    match:\n      alert: ['alertname=\"KafkaConnectTaskFailure\"']\n"
          + "    target:\n      cluster: '{{ labels.connect_cluster }}'\n      connector: '{{ labels.connector }}'\n"
          + "    steps:\n      - restart: {}\n"
          + "      - wait_for: { state: RUNNING, within: 1m, lag: { falling: true } }\n");
      try (Daemon d = Daemon.start("rules: { paths: ['" + rules + "'] }\n"
          + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "', kafka: main }\n"
          + "kafka_clusters:\n  main: { bootstrap_servers: '" + connect.bootstrapServers() + "', request_timeout: 10s }\n"
          + "engine: { tick: 200ms, poll_interval: 1s }\n", tmp.resolve("data"))) {
        Instant posted = Instant.now();
        d.postAlerts(AlertmanagerPayloads.firing("KafkaConnectTaskFailure", Map.of("connect_cluster", "local",
            "connector", name, "task", "0"), posted.minusSeconds(60)));
        JsonObject closed = d.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(90));
        JsonObject detail = d.incident(closed.getString("id"));
        LOG.info("incident: {}", detail.encodePrettily());
        assertThat(closed.getString("outcome")).isEqualTo("recovered");
        JsonObject waitFor = detail.getJsonArray("steps").getJsonObject(1);
        assertThat(waitFor.getString("type")).isEqualTo("wait_for");
        assertThat(waitFor.getString("outcome")).isEqualTo("ok");
        String kafka = new JsonObject(waitFor.getString("after")).getString("kafka");
        assertThat(kafka).matches("lag [0-9,]+ → [0-9,]+ \\(connect-lagwait-sink\\)");
        String[] figures = kafka.substring(4, kafka.indexOf(" (")).replace(",", "").split(" → ");
        assertThat(Long.parseLong(figures[1])).as("the lag fell").isLessThan(Long.parseLong(figures[0]));
        LOG.info("MEASURED alert->wait_for lag falling satisfied: {} ms ({})",
            Duration.between(posted, Instant.parse(closed.getString("closed_at"))).toMillis(), kafka);
      }
    } finally {
      Failures.clear(name);
      connect.deleteConnector(name);
    }
  }
}
