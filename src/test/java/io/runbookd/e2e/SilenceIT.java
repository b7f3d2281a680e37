package io.runbookd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.it.AlertmanagerPayloads;
import io.runbookd.it.Failures;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.ConnectWorker;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code silence} step against the real Alertmanager binary and a real Connect worker: the silence a
 * remediation creates is active in Alertmanager's API while runbookd works, on the alert's
 * {@code alertname}, {@code connector} and {@code connect_cluster}; it is expired when the incident
 * closes; and an Alertmanager that cannot be reached does not stop the remediation.
 */
class SilenceIT {
  private static final Logger LOG = LoggerFactory.getLogger(SilenceIT.class);
  private static final String ALERT = "KafkaConnectTaskFailure";

  @TempDir
  Path tmp;

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static Optional<JsonObject> silenceOf(AlertmanagerProcess am, String connector) throws Exception {
    JsonArray all = new JsonArray(Http.get(am.url() + "/api/v2/silences"));
    return all.stream().map(o -> (JsonObject) o).filter(s -> s.getJsonArray("matchers").stream()
        .map(m -> (JsonObject) m).anyMatch(m -> m.getString("name").equals("connector") && m.getString("value")
            .equals(connector))).findFirst();
  }

  private static JsonObject awaitSilence(AlertmanagerProcess am, String connector, String state, Duration timeout) {
    java.util.concurrent.atomic.AtomicReference<JsonObject> found = new java.util.concurrent.atomic.AtomicReference<>();
    Await.until("a silence of " + connector + " in state " + state, timeout, () -> {
      Optional<JsonObject> s = silenceOf(am, connector).filter(x -> x.getJsonObject("status").getString("state").equals(state));
      s.ifPresent(found::set);
      return s.isPresent();
    });
    return found.get();
  }

  @Test
  void aSilenceIsActiveWhileRemediatingAndExpiredWhenTheIncidentCloses() throws Exception {
    ConnectWorker connect = ConnectWorker.get();
    Path amConfig = Files.writeString(tmp.resolve("alertmanager.yml"), """
        route: { receiver: blackhole }
        receivers: [ { name: blackhole } ]
        """);
    String name = "silenced-pg-sink";
    try (AlertmanagerProcess am = AlertmanagerProcess.start(Files.createDirectories(tmp.resolve("am")), freePort(), amConfig,
        pid -> { })) {
      Failures.set(name, "Connection to localhost:5432 refused (simulated)");
      connect.createFlakyConnector(name, name);
      connect.awaitTaskFailed(name, Duration.ofSeconds(30));
      Failures.clear(name);
      Path rules = Daemon.rulesDir(tmp, "silence.yaml", """
          rules:
            - name: refused-silenced
              match: { alert: ['alertname="KafkaConnectTaskFailure"'], trace: 'refused' }
              target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
              retry: { max_attempts: 1 }
              verify: { within: 60s, stable_for: 5s }
              steps:
                - silence: { alertmanager: down, duration: 10m }
                - silence: { alertmanager: main, duration: 30m, comment: 'runbookd restarts {{ target.connector }}' }
                - restart: {}
          """);
      String config = "rules: { paths: ['" + rules + "'] }\n"
          + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "' }\n"
          + "alertmanagers:\n"
          + "  main: { url: '" + am.url() + "' }\n"
          + "  down: { url: 'http://127.0.0.1:" + freePort() + "', timeout: 2s }\n"
          + "engine: { tick: 200ms, poll_interval: 500ms }\n";
      try (Daemon daemon = Daemon.start(config, tmp.resolve("data"))) {
        Instant posted = Instant.now();
        daemon.postAlerts(AlertmanagerPayloads.firing(ALERT, Map.of("alertname", ALERT, "connect_cluster", "local",
            "connector", name, "task", "0"), posted.minusSeconds(60)));

        JsonObject active = awaitSilence(am, name, "active", Duration.ofSeconds(30));
        Instant seen = Instant.now();
        assertThat(active.getString("createdBy")).isEqualTo("runbookd");
        assertThat(active.getString("comment")).isEqualTo("runbookd restarts " + name);
        assertThat(active.getJsonArray("matchers").stream().map(m -> ((JsonObject) m).getString("name") + "="
            + ((JsonObject) m).getString("value")).toList())
            .containsExactlyInAnyOrder("alertname=" + ALERT, "connector=" + name, "connect_cluster=local");
        assertThat(Duration.between(Instant.now(), Instant.parse(active.getString("endsAt"))))
            .isGreaterThan(Duration.ofMinutes(25)).isLessThanOrEqualTo(Duration.ofMinutes(30));

        JsonObject closed = daemon.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(60));
        assertThat(closed.getString("outcome")).isEqualTo("recovered");
        JsonObject expired = awaitSilence(am, name, "expired", Duration.ofSeconds(20));
        Instant gone = Instant.now();
        assertThat(expired.getString("id")).isEqualTo(active.getString("id"));

        JsonObject detail = daemon.incident(closed.getString("id"));
        JsonArray steps = detail.getJsonArray("steps");
        LOG.info("steps: {}", steps.encodePrettily());
        assertThat(steps.stream().map(s -> ((JsonObject) s).getString("type") + ":" + ((JsonObject) s).getString("outcome"))
            .toList()).containsExactly("silence:skipped", "silence:ok", "restart:ok");
        assertThat(steps.getJsonObject(0).getString("error")).startsWith("the silence was not created: ")
            .endsWith("; the remediation goes on without it");
        assertThat(steps.getJsonObject(1).getString("after")).contains(active.getString("id"));
        assertThat(detail.getJsonArray("timeline").stream().map(e -> ((JsonObject) e).getString("kind")).toList())
            .contains("silence_expired");
        LOG.info("MEASURED webhook->silence active seen: {} ms; incident closed->silence expired seen: {} ms",
            Duration.between(posted, seen).toMillis(),
            Duration.between(Instant.parse(closed.getString("closed_at")), gone).toMillis());
      }
    } finally {
      connect.deleteConnector(name);
    }
  }
}
