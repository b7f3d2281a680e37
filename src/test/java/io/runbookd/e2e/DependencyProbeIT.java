package io.runbookd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.it.AlertmanagerPayloads;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A database outage under a real Debezium JDBC sink (a Connect worker in its own JVM, the plugin in its
 * plugin.path) healed by the shipped connection rule, unchanged: runbookd's first restart happens while
 * the database port still refuses and is doomed; once the database accepts connections again, the
 * connector is RUNNING within 30 s, not after the doomed attempt's {@code within} and the 2-minute backoff.
 */
class DependencyProbeIT {
  private static final Logger LOG = LoggerFactory.getLogger(DependencyProbeIT.class);
  private static final Duration POLL = Duration.ofMillis(200);

  @TempDir
  Path tmp;

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void aDoomedFirstRestartThenRunningWithin30sOfTheDatabaseAcceptingConnections() throws Exception {
    String name = "probe-orders-sink";
    try (NotificationCatcher pages = new NotificationCatcher(freePort(), n -> LOG.info("notification {}: {}", n.path(), n.body()));
        ConnectJvm connect = ConnectJvm.start(tmp.resolve("connect"), freePort(), freePort(), ChainFiles.EXPORTER_YML,
            Duration.ofSeconds(150), pid -> { });
        OrdersPipeline pipeline = new OrdersPipeline(name, connect.bootstrapServers(), 0, 200)) {
      connect.putConfig(name, pipeline.connectorConfig());
      Await.value(name + " RUNNING with rows in PostgreSQL", Duration.ofSeconds(120), POLL,
          () -> ConnectJvm.running(connect.status(name)) && pipeline.rowsInDatabase() > 0 ? Optional.of(true) : Optional.empty(),
          () -> seen(connect, name));
      pipeline.pauseAndDrain(Duration.ofSeconds(60));
      pipeline.database().stop();
      pipeline.resume();
      JsonObject failed = Await.value(name + " task FAILED", Duration.ofSeconds(60), POLL,
          () -> ConnectJvm.failedTask(connect.status(name)), () -> seen(connect, name));
      assertThat(failed.getString("trace")).contains("Connection to 127.0.0.1:" + pipeline.database().port() + " refused");

      String config = "rules: { paths: ['" + Daemon.shippedRules() + "'] }\n"
          + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "' }\n"
          + "notifiers:\n"
          + "  owner: { type: webhook, url: '" + pages.url() + "/owner' }\n"
          + "  oncall: { type: slack, url: '" + pages.url() + "/oncall' }\n"
          + "engine: { tick: 200ms, poll_interval: 500ms }\n";
      try (Daemon daemon = Daemon.start(config, tmp.resolve("data"))) {
        Map<String, String> labels = Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "local",
            "connector", name, "task", "0", "severity", "warning");
        assertThat(daemon.postAlerts(AlertmanagerPayloads.firing("KafkaConnectTaskFailure", labels, Instant.now()))
            .statusCode()).isEqualTo(200);

        // The first restart runs at once (backoff 0s) while the port still refuses: it is doomed.
        JsonObject opened = daemon.awaitIncident(name, i -> true, Duration.ofSeconds(30));
        String id = opened.getString("id");
        assertThat(opened.getString("rule")).isEqualTo("connect-db-connection-refused");
        Await.value("attempt 1 failed (the task FAILED again after the restart)", Duration.ofSeconds(100), POLL,
            () -> kinds(daemon.incident(id)).contains("attempt_failed") ? Optional.of(true) : Optional.empty(),
            () -> kinds(daemonIncident(daemon, id)) + " / " + seen(connect, name));
        JsonObject afterFirst = daemon.incident(id);
        Instant restart1 = Instant.parse(afterFirst.getJsonArray("steps").getJsonObject(0).getString("started_at"));
        Instant failedAgain = Instant.parse(event(afterFirst, "attempt_failed").getString("at"));
        assertThat(event(afterFirst, "attempt_failed").getString("message")).contains("FAILED again after the restart");
        assertThat(Duration.between(restart1, failedAgain)).as("fail fast, not at wait_for's within (2m)")
            .isLessThan(Duration.ofMinutes(2));
        assertThat(ConnectJvm.failedTask(connect.status(name))).isPresent();

        pipeline.database().start();
        Instant back = Instant.now();
        Await.value(name + " RUNNING", Duration.ofSeconds(30), POLL,
            () -> ConnectJvm.running(connect.status(name)) ? Optional.of(true) : Optional.empty(),
            () -> seen(connect, name));
        Instant running = Instant.now();
        JsonObject detail = daemon.incident(id);
        LOG.info("MEASURED restart 1 -> FAILED again (fail fast): {} ms; database back -> RUNNING: {} ms; timeline {}",
            Duration.between(restart1, failedAgain).toMillis(), Duration.between(back, running).toMillis(),
            detail.getJsonArray("timeline").encode());
        assertThat(Duration.between(back, running)).isLessThanOrEqualTo(Duration.ofSeconds(30));
        assertThat(event(detail, "probe").getString("message")).contains("127.0.0.1:" + pipeline.database().port() + " answers");

        JsonObject closed = daemon.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(120));
        assertThat(closed.getInteger("attempts")).isEqualTo(2);
        assertThat(pages.received()).as("no page: healed before the 15m level").noneMatch(n -> n.path().equals("/oncall"));
      }
    }
  }

  private static String seen(ConnectJvm connect, String name) {
    try {
      return ConnectJvm.summary(connect.status(name));
    } catch (Exception e) {
      return "status unreadable: " + e;
    }
  }

  private static JsonObject daemonIncident(Daemon daemon, String id) {
    try {
      return daemon.incident(id);
    } catch (Exception e) {
      return new JsonObject();
    }
  }

  private static List<String> kinds(JsonObject detail) {
    JsonArray t = detail.getJsonArray("timeline", new JsonArray());
    return t.stream().map(e -> ((JsonObject) e).getString("kind")).toList();
  }

  private static JsonObject event(JsonObject detail, String kind) {
    return detail.getJsonArray("timeline").stream().map(e -> (JsonObject) e).filter(e -> kind.equals(e.getString("kind")))
        .reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no " + kind + " event in " + detail.getJsonArray("timeline")));
  }
}
