package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.ConnectWorker;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The main job end to end against a real Kafka Connect worker: an Alertmanager webhook, the live
 * trace, the shipped runbook rules, the restart, the verification, and the escalation.
 */
class RemediationIT {
  private static final Logger LOG = LoggerFactory.getLogger(RemediationIT.class);
  private static final String ALERT = "KafkaConnectTaskFailure";

  private static ConnectWorker connect;
  private static WireMockServer notifiers;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startWorld() {
    connect = ConnectWorker.get();
    notifiers = new WireMockServer(options().dynamicPort());
    notifiers.start();
    notifiers.stubFor(post(urlEqualTo("/owner")).willReturn(aResponse().withStatus(200)));
    notifiers.stubFor(post(urlEqualTo("/oncall")).willReturn(aResponse().withStatus(200)));
  }

  @AfterAll
  static void stopWorld() {
    notifiers.stop();
  }

  private String config(Path rules) {
    return "rules: { paths: ['" + rules + "'] }\n"
        + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "' }\n"
        + "notifiers:\n"
        + "  owner: { type: webhook, url: 'http://127.0.0.1:" + notifiers.port() + "/owner' }\n"
        + "  oncall: { type: slack, url: 'http://127.0.0.1:" + notifiers.port() + "/oncall' }\n"
        + "engine: { tick: 200ms, poll_interval: 500ms }\n";
  }

  private static Map<String, String> labels(String connector) {
    return Map.of("alertname", ALERT, "connect_cluster", "local", "connector", connector, "task", "0",
        "severity", "warning", "instance", "connect-0:9404", "job", "kafka-connect");
  }

  @Test
  void connectionRefusedIsHealedByOneRestartAndVerified() throws Exception {
    String name = "orders-pg-sink";
    Failures.set(name, "Connection to localhost:5432 refused (simulated). Check that the hostname and port are correct"
        + " and that the postmaster is accepting TCP/IP connections.");
    connect.createFlakyConnector(name, name);
    connect.awaitTaskFailed(name, Duration.ofSeconds(30));
    // The database is back, but a FAILED task stays FAILED until someone restarts it.
    Failures.clear(name);

    try (Daemon daemon = Daemon.start(config(Daemon.shippedRules()), tmp)) {
      Instant posted = Instant.now();
      HttpResponse<String> resp = daemon.postAlerts(AlertmanagerPayloads.firing(ALERT, labels(name), posted.minusSeconds(120)));
      assertThat(resp.statusCode()).isEqualTo(200);

      connect.awaitRunning(name, Duration.ofSeconds(30));
      Instant running = Instant.now();

      JsonObject closed = daemon.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(90));
      assertThat(closed.getString("outcome")).isEqualTo("recovered");
      assertThat(closed.getString("rule")).isEqualTo("connect-db-connection-refused");
      assertThat(closed.getInteger("attempts")).isEqualTo(1);
      assertThat(closed.getString("cause")).contains("Connection to localhost:5432 refused");

      // Exactly one KIP-745 restart of the failed instances, then verified RUNNING and stable.
      assertThat(RestartRequestRecorder.requests(name)).singleElement().satisfies(r -> {
        assertThat(r.includeTasks()).isTrue();
        assertThat(r.onlyFailed()).isTrue();
      });
      assertThat(connect.status(name).tasks()).allSatisfy(t -> assertThat(t.state()).isEqualTo("RUNNING"));
      assertThat(daemon.metric("runbookd_remediations_total", Map.of("outcome", "recovered"))).contains(1.0);
      assertThat(daemon.metric("runbookd_actions_total", Map.of("action", "restart", "outcome", "ok"))).contains(1.0);
      assertThat(daemon.metric("runbookd_alerts_received_total", Map.of("alertname", ALERT, "status", "firing"))).contains(1.0);

      JsonObject detail = daemon.incident(closed.getString("id"));
      JsonArray steps = detail.getJsonArray("steps");
      assertThat(steps.stream().map(s -> ((JsonObject) s).getString("type")).toList()).containsExactly("restart", "wait_for");
      assertThat(steps.stream().map(s -> ((JsonObject) s).getString("outcome")).toList()).containsExactly("ok", "ok");
      Instant restartAt = Instant.parse(steps.getJsonObject(0).getString("started_at"));
      LOG.info("MEASURED webhook->restart call: {} ms; webhook->task RUNNING: {} ms; webhook->incident closed (stable_for 30s): {} ms",
          Duration.between(posted, restartAt).toMillis(), Duration.between(posted, running).toMillis(),
          Duration.between(posted, Instant.parse(closed.getString("closed_at"))).toMillis());
      // The escalation ladder was cancelled by the verified fix: on-call was never paged.
      assertThat(notifiers.findAll(postRequestedFor(urlEqualTo("/oncall")).withRequestBody(containing(name)))).isEmpty();
    } finally {
      connect.deleteConnector(name);
    }
  }

  @Test
  void authenticationFailureIsNeverRestartedBlindlyButNotifiedAndEscalated() throws Exception {
    String name = "billing-pg-source";
    String rules = """
        rules:
          - name: connect-auth-failure
            match:
              alert: ['alertname=~"KafkaConnect(Task|Connector)Failure"']
              trace: 'password authentication failed for user'
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            retry: { max_attempts: 1 }
            steps:
              - notify: { notifier: owner, message: '{{ target.connector }}: credentials rejected: {{ trace.cause }}' }
              - wait_for: { config_change: true, within: 60s }
              - restart: { include_tasks: true, only_failed: true }
            escalation:
              - after: 3s
                notify: oncall
                message: '{{ target.connector }} still failing on credentials after {{ incident.attempts }} attempt(s): {{ trace.cause }}'
        """;
    Failures.set(name, "org.postgresql.util.PSQLException: FATAL: password authentication failed for user \"app\"");
    connect.createFlakyConnector(name, name);
    connect.awaitTaskFailed(name, Duration.ofSeconds(30));

    try (Daemon daemon = Daemon.start(config(Daemon.rulesDir(tmp, "10-auth.yaml", rules)), tmp.resolve("data"))) {
      Instant posted = Instant.now();
      assertThat(daemon.postAlerts(AlertmanagerPayloads.firing(ALERT, labels(name), posted)).statusCode()).isEqualTo(200);

      List<LoggedRequest> escalations = awaitRequests("/oncall", name, 1, Duration.ofSeconds(30));
      Instant escalatedAt = Instant.now();
      assertThat(escalations.get(0).getBodyAsString()).contains("still failing on credentials")
          .contains("password authentication failed for user");
      assertThat(Duration.between(posted, escalatedAt)).isGreaterThanOrEqualTo(Duration.ofSeconds(3));

      List<LoggedRequest> owner = notifiers.findAll(postRequestedFor(urlEqualTo("/owner")).withRequestBody(containing(name)));
      assertThat(owner).hasSize(1);
      JsonObject body = new JsonObject(owner.get(0).getBodyAsString());
      assertThat(body.getString("connector")).isEqualTo(name);
      assertThat(body.getString("message")).contains(name).contains("password authentication failed for user \"app\"");
      assertThat(body.getString("incident_id")).startsWith("inc-");

      // No restart: a blind restart with a wrong password locks accounts.
      assertThat(RestartRequestRecorder.requests(name)).isEmpty();
      assertThat(connect.status(name).tasks().get(0).state()).isEqualTo("FAILED");
      JsonObject open = daemon.awaitIncident(name, i -> !"closed".equals(i.getString("state")), Duration.ofSeconds(5));
      assertThat(open.getString("rule")).isEqualTo("connect-auth-failure");
      assertThat(daemon.metric("runbookd_escalations_total", Map.of("rule", "connect-auth-failure", "level", "0"))).contains(1.0);
      LOG.info("MEASURED webhook->escalation delivered: {} ms (after: 3s)", Duration.between(posted, escalatedAt).toMillis());
    } finally {
      Failures.clear(name);
      connect.deleteConnector(name);
    }
  }

  @Test
  void theSameFiringAlertRepeatedFiveTimesRestartsOnce() throws Exception {
    String name = "inventory-jdbc-sink";
    Failures.set(name, "java.net.ConnectException: Connection refused (simulated)");
    connect.createFlakyConnector(name, name);
    connect.awaitTaskFailed(name, Duration.ofSeconds(30));
    Failures.clear(name);

    try (Daemon daemon = Daemon.start(config(Daemon.shippedRules()), tmp)) {
      String body = AlertmanagerPayloads.firing(ALERT, labels(name), Instant.now().minusSeconds(60));
      for (int i = 0; i < 5; i++) {
        assertThat(daemon.postAlerts(body).statusCode()).isEqualTo(200);
      }
      JsonObject closed = daemon.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(90));
      assertThat(closed.getString("outcome")).isEqualTo("recovered");
      assertThat(RestartRequestRecorder.requests(name)).hasSize(1);
      assertThat(daemon.incidents("connector=" + name)).hasSize(1);
      assertThat(daemon.metric("runbookd_alerts_received_total", Map.of("alertname", ALERT, "status", "firing"))).contains(5.0);
      assertThat(daemon.metric("runbookd_rule_matches_total", Map.of("rule", "connect-db-connection-refused"))).contains(1.0);
    } finally {
      connect.deleteConnector(name);
    }
  }

  @Test
  void aSchemaMismatchIsNotRestartedButTheOwnerIsToldAtOnce() throws Exception {
    String name = "orders-jdbc-sink-mismatch";
    Failures.set(name, "org.apache.kafka.connect.errors.ConnectException: java.sql.SQLException: Exception chain:\n"
        + "java.sql.BatchUpdateException: Batch entry 0 INSERT INTO \"orders\" (\"id\",\"currency\") VALUES (42,'EUR') was aborted: "
        + "ERROR: column \"currency\" of relation \"orders\" does not exist");
    connect.createFlakyConnector(name, name);
    connect.awaitTaskFailed(name, Duration.ofSeconds(30));
    try (Daemon daemon = Daemon.start(config(Daemon.shippedRules()), tmp)) {
      assertThat(daemon.postAlerts(AlertmanagerPayloads.firing(ALERT, labels(name), Instant.now())).statusCode()).isEqualTo(200);
      List<LoggedRequest> owner = awaitRequests("/owner", name, 1, Duration.ofSeconds(20));
      assertThat(new JsonObject(owner.get(0).getBodyAsString()).getString("kind")).isEqualTo("escalation");
      JsonObject open = daemon.awaitIncident(name, i -> "open".equals(i.getString("state")) && i.getString("next_action") == null,
          Duration.ofSeconds(10));
      assertThat(open.getString("rule")).isEqualTo("connect-sink-schema-mismatch");
      assertThat(open.getInteger("attempts")).isZero();
      assertThat(daemon.incident(open.getString("id")).getJsonArray("timeline").stream()
          .map(e -> ((JsonObject) e).getString("kind")).toList()).contains("no_action");
      assertThat(RestartRequestRecorder.requests(name)).isEmpty();
    } finally {
      Failures.clear(name);
      connect.deleteConnector(name);
    }
  }

  private static List<LoggedRequest> awaitRequests(String path, String containingText, int n, Duration timeout) {
    AtomicReference<List<LoggedRequest>> found = new AtomicReference<>(List.of());
    return Await.value(n + " request(s) to " + path, timeout, Duration.ofMillis(100), () -> {
      found.set(notifiers.findAll(postRequestedFor(urlEqualTo(path)).withRequestBody(containing(containingText))));
      return Optional.of(found.get()).filter(f -> f.size() >= n);
    }, () -> found.get().size() + " request(s)");
  }
}
