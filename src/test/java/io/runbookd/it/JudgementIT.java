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
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
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
 * Judgement on a real Kafka Connect worker (a connector whose task fails with a given trace until the
 * failure is cleared): one page per ladder level when runbookd gives up, "Fixed — retry" after a fix made on
 * the server side, and a fix made by someone else credited to them.
 */
class JudgementIT {
  private static final Logger LOG = LoggerFactory.getLogger(JudgementIT.class);
  private static final String ALERT = "KafkaConnectTaskFailure";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static ConnectWorker connect;
  private static WireMockServer notifiers;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startWorld() {
    connect = ConnectWorker.get();
    notifiers = new WireMockServer(options().dynamicPort());
    notifiers.start();
    for (String n : List.of("/owner", "/oncall", "/manager")) {
      notifiers.stubFor(post(urlEqualTo(n)).willReturn(aResponse().withStatus(200)));
    }
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
        + "  oncall: { type: webhook, url: 'http://127.0.0.1:" + notifiers.port() + "/oncall' }\n"
        + "  manager: { type: webhook, url: 'http://127.0.0.1:" + notifiers.port() + "/manager' }\n"
        + "engine: { tick: 200ms, poll_interval: 500ms }\n";
  }

  private static Map<String, String> labels(String connector) {
    return Map.of("alertname", ALERT, "connect_cluster", "local", "connector", connector, "task", "0");
  }

  /** The catch-all's shape with a short ladder: one restart, verified for 5s within 20s. */
  private static final String CATCH_ALL = """
      rules:
        - name: catch-all
          match: { alert: ['alertname=~"KafkaConnect(Task|Connector)Failure"'] }
          target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
          retry: { max_attempts: 1, backoff: [0s] }
          steps:
            - restart: { include_tasks: true, only_failed: true }
            - wait_for: { state: RUNNING, within: 20s, stable_for: 5s }
          escalation:
            - after: 5m
              notify: oncall
              message: '{{ target.connector }}: one restart did not fix it. Cause: {{ trace.cause }}'
            - after: 6m
              notify: manager
              message: '{{ target.connector }} still failing. Cause: {{ trace.cause }}'
      """;

  @Test
  void givingUpSendsTheNextLevelOnceAndTheCauseNamesTheHostAndPort() throws Exception {
    String name = "judge-catch-all-sink";
    Failures.set(name, "org.postgresql.util.PSQLException: Connection to 127.0.0.1:5433 refused. Check that the hostname"
        + " and port are correct and that the postmaster is accepting TCP/IP connections.");
    connect.createFlakyConnector(name, name);
    connect.awaitTaskFailed(name, Duration.ofSeconds(30));
    try (Daemon daemon = Daemon.start(config(Daemon.rulesDir(tmp, "99-catch-all.yaml", CATCH_ALL)), tmp.resolve("data"))) {
      Instant posted = Instant.now();
      assertThat(daemon.postAlerts(AlertmanagerPayloads.firing(ALERT, labels(name), posted)).statusCode()).isEqualTo(200);
      List<LoggedRequest> oncall = awaitRequests("/oncall", name, 1, Duration.ofSeconds(90));
      Instant pagedAt = Instant.now();
      JsonObject page = new JsonObject(oncall.get(0).getBodyAsString());
      assertThat(page.getString("message")).startsWith("runbookd gave up after 1 attempt(s): attempt budget spent (1 of 1).")
          .contains("one restart did not fix it").contains("127.0.0.1:5433");
      assertThat(page.getString("cause")).contains("Connection to 127.0.0.1:5433 refused");
      JsonObject inc = daemon.awaitIncident(name, i -> "escalated".equals(i.getString("state")), Duration.ofSeconds(10));
      assertThat(inc.getString("outcome")).isEqualTo("gave_up");
      assertThat(inc.getString("cause")).contains("Connection to 127.0.0.1:5433 refused");
      // the gave-up page was the 5m level sent early; the 6m level keeps its time, and no third page exists
      JsonObject detail = daemon.incident(inc.getString("id"));
      assertThat(detail.getJsonArray("escalations").stream().map(e -> ((JsonObject) e).getString("level")).toList())
          .containsExactly("0", "1");
      assertThat(daemon.metric("runbookd_remediations_total", Map.of("rule", "catch-all", "outcome", "gave_up"))).contains(1.0);
      daemon.awaitLaterAlertProcessed();
      assertThat(notifiers.findAll(postRequestedFor(urlEqualTo("/oncall")).withRequestBody(containing(name)))).hasSize(1);
      assertThat(notifiers.findAll(postRequestedFor(urlEqualTo("/manager")).withRequestBody(containing(name)))).isEmpty();
      LOG.info("MEASURED webhook->gave-up page (level 0 of a 5m ladder): {} ms", Duration.between(posted, pagedAt).toMillis());
    } finally {
      Failures.clear(name);
      connect.deleteConnector(name);
    }
  }

  @Test
  void aRetryAfterAServerSideFixRestartsOnceVerifiesClosesAndCancelsThePendingPage() throws Exception {
    String name = "judge-auth-source";
    String rules = """
        rules:
          - name: connect-auth-failure
            match:
              alert: ['alertname=~"KafkaConnect(Task|Connector)Failure"']
              trace: 'password authentication failed for user'
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            retry: { max_attempts: 1 }
            verify: { within: 30s, stable_for: 5s }
            steps:
              - notify: { notifier: owner, message: '{{ target.connector }}: credentials rejected; fixed? {{ incident.url }}' }
              - wait_for: { config_change: true, within: 10m }
              - restart: { include_tasks: true, only_failed: true }
            escalation:
              - after: 5m
                notify: oncall
                message: '{{ target.connector }} still failing on credentials'
        """;
    Failures.set(name, "org.postgresql.util.PSQLException: FATAL: password authentication failed for user \"app\"");
    connect.createFlakyConnector(name, name);
    connect.awaitTaskFailed(name, Duration.ofSeconds(30));
    try (Daemon daemon = Daemon.start(config(Daemon.rulesDir(tmp, "10-auth.yaml", rules)), tmp.resolve("data"))) {
      assertThat(daemon.postAlerts(AlertmanagerPayloads.firing(ALERT, labels(name), Instant.now())).statusCode()).isEqualTo(200);
      awaitRequests("/owner", name, 1, Duration.ofSeconds(30));
      JsonObject open = daemon.awaitIncident(name, i -> "wait".equals(i.getString("next_action")), Duration.ofSeconds(30));
      assertThat(RestartRequestRecorder.requests(name)).isEmpty();

      // the password is changed back on the server: the connector config does not change
      Failures.clear(name);
      Instant asked = Instant.now();
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.url() + "/api/v1/incidents/"
              + open.getString("id") + "/retry")).timeout(Duration.ofSeconds(10))
          .POST(HttpRequest.BodyPublishers.ofString("{\"comment\": \"ALTER ROLE app PASSWORD restored\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(202);
      assertThat(new JsonObject(r.body()).getString("comment")).isEqualTo("ALTER ROLE app PASSWORD restored");

      JsonObject closed = daemon.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(90));
      Instant closedAt = Instant.now();
      assertThat(closed.getString("outcome")).isEqualTo("recovered");
      assertThat(RestartRequestRecorder.requests(name)).singleElement().satisfies(q -> assertThat(q.onlyFailed()).isTrue());
      JsonObject detail = daemon.incident(closed.getString("id"));
      assertThat(detail.getJsonArray("escalations").stream().map(e -> (JsonObject) e).toList())
          .singleElement().satisfies(e -> assertThat(e.getString("cancelled_at")).isNotNull());
      assertThat(detail.getJsonArray("timeline").stream().map(e -> ((JsonObject) e).getString("message")).toList())
          .anyMatch(m -> m.startsWith("retry requested by anonymous: ALTER ROLE app PASSWORD restored"));
      assertThat(notifiers.findAll(postRequestedFor(urlEqualTo("/oncall")).withRequestBody(containing(name)))).isEmpty();
      assertThat(notifiers.findAll(postRequestedFor(urlEqualTo("/owner")).withRequestBody(containing(name))).get(0)
          .getBodyAsString()).contains("/ui/incidents/" + open.getString("id"));
      LOG.info("MEASURED retry request->incident closed (stable_for 5s): {} ms", Duration.between(asked, closedAt).toMillis());
    } finally {
      Failures.clear(name);
      connect.deleteConnector(name);
    }
  }

  @Test
  void aConnectorFixedByAConfigChangeOutsideRunbookdClosesAsChangedBySomeoneElse() throws Exception {
    String name = "judge-fixed-by-a-human";
    Failures.set(name, "io.debezium.DebeziumException: ERROR: replication slot \"debezium\" does not exist");
    connect.createFlakyConnector(name, name);
    connect.awaitTaskFailed(name, Duration.ofSeconds(30));
    try (Daemon daemon = Daemon.start(config(Daemon.rulesDir(tmp, "99-catch-all.yaml", CATCH_ALL)), tmp.resolve("data"))) {
      Instant startsAt = Instant.now();
      assertThat(daemon.postAlerts(AlertmanagerPayloads.firing(ALERT, labels(name), startsAt)).statusCode()).isEqualTo(200);
      daemon.awaitIncident(name, i -> "escalated".equals(i.getString("state")), Duration.ofSeconds(90));
      assertThat(RestartRequestRecorder.requests(name)).hasSize(1);

      // a human fixes it with a PUT of the connector config on Connect (which restarts its tasks)
      Failures.clear(name);
      JsonObject cfg = new JsonObject(HTTP.send(HttpRequest.newBuilder(URI.create(connect.restUrl() + "/connectors/" + name
          + "/config")).GET().build(), HttpResponse.BodyHandlers.ofString()).body());
      cfg.put("slot.name", "debezium_2");
      HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(connect.restUrl() + "/connectors/" + name
              + "/config")).header("Content-Type", "application/json")
          .PUT(HttpRequest.BodyPublishers.ofString(cfg.encode())).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(put.statusCode()).isEqualTo(200);
      connect.awaitRunning(name, Duration.ofSeconds(60));
      assertThat(daemon.postAlerts(AlertmanagerPayloads.resolved(ALERT, labels(name), startsAt, Instant.now())).statusCode())
          .isEqualTo(200);

      JsonObject closed = daemon.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(90));
      assertThat(closed.getString("outcome")).isEqualTo("changed_by_someone_else");
      assertThat(RestartRequestRecorder.requests(name)).as("runbookd restarted it once, before the fix").hasSize(1);
      assertThat(daemon.metric("runbookd_remediations_total", Map.of("rule", "catch-all",
          "outcome", "changed_by_someone_else"))).contains(1.0);
      assertThat(daemon.metric("runbookd_remediations_total", Map.of("rule", "catch-all", "outcome", "recovered")))
          .as("runbookd's failed restart gets no credit (the series exists at 0)").contains(0.0);
    } finally {
      Failures.clear(name);
      connect.deleteConnector(name);
    }
  }

  @Test
  void anAlertForAnUnknownClusterIsAConfigurationErrorEscalatedOnceAndNeverRetried() throws Exception {
    String name = "judge-wrong-cluster";
    try (Daemon daemon = Daemon.start(config(Daemon.rulesDir(tmp, "99-catch-all.yaml", CATCH_ALL)), tmp.resolve("data"))) {
      Map<String, String> wrong = Map.of("alertname", ALERT, "connect_cluster", "lcoal", "connector", name, "task", "0");
      Instant posted = Instant.now();
      assertThat(daemon.postAlerts(AlertmanagerPayloads.firing(ALERT, wrong, posted)).statusCode()).isEqualTo(200);
      List<LoggedRequest> page = awaitRequests("/oncall", name, 1, Duration.ofSeconds(60));
      Instant pagedAt = Instant.now();
      assertThat(new JsonObject(page.get(0).getBodyAsString()).getString("message"))
          .contains("configuration error: Connect cluster \"lcoal\" is not configured (configured: local)");
      JsonObject inc = daemon.awaitIncident(name, i -> "config_error".equals(i.getString("outcome")), Duration.ofSeconds(10));
      assertThat(inc.getString("state")).isEqualTo("escalated");
      assertThat(inc.getString("next_action")).isNull();
      assertThat(daemon.metric("runbookd_config_errors_total", Map.of("kind", "unknown_cluster"))).contains(1.0);
      JsonObject detail = daemon.incident(inc.getString("id"));
      assertThat(detail.getJsonArray("timeline").stream().map(e -> ((JsonObject) e).getString("kind")).toList())
          .contains("config_error");
      // the same alert again joins the incident: no second page, nothing retried against nothing
      assertThat(daemon.postAlerts(AlertmanagerPayloads.firing(ALERT, wrong, posted)).statusCode()).isEqualTo(200);
      daemon.awaitLaterAlertProcessed();
      assertThat(daemon.incidents("connector=" + name)).hasSize(1);
      assertThat(notifiers.findAll(postRequestedFor(urlEqualTo("/oncall")).withRequestBody(containing(name)))).hasSize(1);
      assertThat(RestartRequestRecorder.requests(name)).isEmpty();
      LOG.info("MEASURED webhook->configuration error page: {} ms", Duration.between(posted, pagedAt).toMillis());
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
