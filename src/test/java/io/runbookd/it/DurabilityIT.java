package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.ConnectWorker;
import io.runbookd.testkit.Daemon;
import io.runbookd.testkit.Postgres;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durable incidents against a real Connect worker: nothing acknowledged is lost, nothing is done twice,
 * a resolve is not proof of a fix, and budgets outlive incidents.
 */
class DurabilityIT {
  private static final String ALERT = "KafkaConnectTaskFailure";
  private static final String REFUSED = "Connection to localhost:5432 refused (simulated)";

  private static ConnectWorker connect;
  private static WireMockServer notifiers;
  private static Path rules;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startWorld(@TempDir Path shared) throws Exception {
    connect = ConnectWorker.get();
    notifiers = new WireMockServer(options().dynamicPort());
    notifiers.start();
    notifiers.stubFor(post(urlEqualTo("/oncall")).willReturn(aResponse().withStatus(200)));
    rules = Files.createDirectories(shared.resolve("rules"));
    Files.copy(Path.of("src/test/resources/it/fast-rules.yaml"), rules.resolve("10-fast.yaml"));
  }

  @AfterAll
  static void stopWorld() {
    notifiers.stop();
  }

  private static String config() {
    return "rules: { paths: ['" + rules + "'] }\n"
        + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "' }\n"
        + "notifiers:\n  oncall: { type: slack, url: 'http://127.0.0.1:" + notifiers.port() + "/oncall' }\n"
        + "engine: { tick: 200ms, poll_interval: 250ms, lease: 3s }\n";
  }

  private static String firing(String connector, Instant startsAt) {
    return AlertmanagerPayloads.firing(ALERT, labels(connector), startsAt);
  }

  private static Map<String, String> labels(String connector) {
    return Map.of("alertname", ALERT, "connect_cluster", "local", "connector", connector, "task", "0");
  }

  private static void failing(String name) {
    Failures.set(name, REFUSED);
    connect.createFlakyConnector(name, name);
    connect.awaitTaskFailed(name, Duration.ofSeconds(30));
  }

  @Test
  void fiftyConcurrentPostsOfTheSameAlertGiveOneIncidentAndOneRestart() throws Exception {
    String name = "dup-orders-sink";
    failing(name);
    Failures.clear(name);
    ExecutorService pool = Executors.newFixedThreadPool(50);
    try (Daemon daemon = Daemon.start(config(), tmp)) {
      String body = firing(name, Instant.now().minusSeconds(60));
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> codes = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        codes.add(pool.submit(() -> {
          go.await();
          return daemon.postAlerts(body).statusCode();
        }));
      }
      go.countDown();
      for (Future<Integer> c : codes) {
        assertThat(c.get()).isEqualTo(200);
      }
      JsonObject closed = daemon.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(30));
      assertThat(closed.getString("outcome")).isEqualTo("recovered");
      assertThat(daemon.incidents("connector=" + name)).hasSize(1);
      assertThat(RestartRequestRecorder.requests(name)).hasSize(1);
      assertThat(daemon.metric("runbookd_alerts_received_total", Map.of("status", "firing"))).contains(50.0);
      assertThat(daemon.metric("runbookd_remediations_total", Map.of("outcome", "recovered"))).contains(1.0);
    } finally {
      pool.shutdownNow();
      connect.deleteConnector(name);
    }
  }

  @Test
  void withPostgresDownTheWebhookGets503AndTheRetryIsProcessed() throws Exception {
    String name = "pgdown-orders-sink";
    String db = Postgres.createDatabase();
    try (TcpProxy pg = new TcpProxy("127.0.0.1", 5432)) {
      failing(name);
      Failures.clear(name);
      String store = "store: { jdbc_url: '" + Postgres.url("127.0.0.1", pg.port(), db) + "', username: postgres }\n";
      try (Daemon daemon = Daemon.startWithStore(config(), store)) {
        String body = firing(name, Instant.now().minusSeconds(60));
        pg.stop();
        HttpResponse<String> refused = daemon.postAlerts(body);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(new JsonObject(refused.body()).getString("message")).startsWith("store unavailable, retry later");
        assertThat(daemon.get("/-/ready").statusCode()).isEqualTo(503);
        assertThat(RestartRequestRecorder.requests(name)).isEmpty();

        pg.start();
        // Alertmanager retries the same body after a 5xx, with backoff, until it is acknowledged.
        int[] code = {0};
        Await.until("the retried webhook to be acknowledged", Duration.ofSeconds(30), () -> {
          code[0] = daemon.postAlerts(body).statusCode();
          assertThat(code[0]).isIn(200, 503);
          return code[0] == 200;
        });
        assertThat(code[0]).isEqualTo(200);
        JsonObject closed = daemon.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(30));
        assertThat(closed.getString("outcome")).isEqualTo("recovered");
        assertThat(RestartRequestRecorder.requests(name)).hasSize(1);
        assertThat(daemon.metric("runbookd_webhook_requests_total", Map.of("code", "503"))).hasValueSatisfying(n -> assertThat(n).isGreaterThanOrEqualTo(1.0));
        assertThat(daemon.metric("runbookd_alerts_received_total", Map.of("status", "firing"))).contains(1.0);
      }
    } finally {
      connect.deleteConnector(name);
      Postgres.dropDatabase(db);
    }
  }

  @Test
  void withTheSqliteFileLockedTheWebhookGets503AndTheRetryIsProcessed() throws Exception {
    String name = "sqlite-locked-sink";
    failing(name);
    Failures.clear(name);
    try (Daemon daemon = Daemon.start(config(), tmp)) {
      String body = firing(name, Instant.now().minusSeconds(60));
      try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + tmp.resolve("runbookd.db"));
          Statement s = other.createStatement()) {
        s.execute("BEGIN EXCLUSIVE");
        assertThat(daemon.postAlerts(body).statusCode()).isEqualTo(503);
        s.execute("ROLLBACK");
      }
      assertThat(daemon.postAlerts(body).statusCode()).isEqualTo(200);
      JsonObject closed = daemon.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(30));
      assertThat(closed.getString("outcome")).isEqualTo("recovered");
      assertThat(RestartRequestRecorder.requests(name)).hasSize(1);
    } finally {
      connect.deleteConnector(name);
    }
  }

  @Test
  void twoReplicasSharingPostgresRestartAConnectorOnce() throws Exception {
    String name = "ha-orders-sink";
    String db = Postgres.createDatabase();
    String store = "store: { jdbc_url: '" + Postgres.url("127.0.0.1", 5432, db) + "', username: postgres }\n";
    try {
      failing(name);
      Failures.clear(name);
      try (Daemon a = Daemon.startWithStore(config(), store); Daemon b = Daemon.startWithStore(config(), store)) {
        String body = firing(name, Instant.now().minusSeconds(60));
        // Alertmanager HA peers each deliver the same notification, to different replicas.
        for (int i = 0; i < 3; i++) {
          assertThat(a.postAlerts(body).statusCode()).isEqualTo(200);
          assertThat(b.postAlerts(body).statusCode()).isEqualTo(200);
        }
        JsonObject closed = a.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(30));
        assertThat(closed.getString("outcome")).isEqualTo("recovered");
        assertThat(b.incidents("connector=" + name)).hasSize(1);
        assertThat(RestartRequestRecorder.requests(name)).hasSize(1);
      }
    } finally {
      connect.deleteConnector(name);
      Postgres.dropDatabase(db);
    }
  }

  @Test
  void aResolveWhileTheConnectorStillFailsNeitherClosesNorResets() throws Exception {
    String name = "still-failing-sink";
    failing(name);
    try (Daemon daemon = Daemon.start(config(), tmp)) {
      Instant startsAt = Instant.now().minusSeconds(60);
      assertThat(daemon.postAlerts(firing(name, startsAt)).statusCode()).isEqualTo(200);
      // The restart does not help: the database still refuses. The attempt fails after wait_for.
      JsonObject waiting = daemon.awaitIncident(name, i -> i.getInteger("attempts") == 1 && "open".equals(i.getString("state")),
          Duration.ofSeconds(20));
      // The JMX status read "running" for a moment: the alert resolves although nothing is fixed.
      assertThat(daemon.postAlerts(AlertmanagerPayloads.resolved(ALERT, labels(name), startsAt, Instant.now())).statusCode())
          .isEqualTo(200);
      JsonObject detail = awaitTimeline(daemon, waiting.getString("id"), "verify_failed", Duration.ofSeconds(20));
      assertThat(detail.getString("state")).isNotEqualTo("closed");
      assertThat(detail.getInteger("attempts")).isEqualTo(1);
      // The next attempt keeps its backoff: the resolve reset nothing.
      assertThat(detail.getString("next_action")).isEqualTo("remediate");
      assertThat(detail.getString("next_action_at")).isNotNull();
    } finally {
      Failures.clear(name);
      connect.deleteConnector(name);
    }
  }

  @Test
  void aFlappingConnectorKeepsItsBudgetAcrossIncidentsAndReachesItsEscalation() throws Exception {
    String name = "flapping-sink";
    failing(name);
    Failures.clear(name);
    try (Daemon daemon = Daemon.start(config(), tmp)) {
      // Round 1: fixed by one restart and verified.
      assertThat(daemon.postAlerts(firing(name, Instant.now().minusSeconds(60))).statusCode()).isEqualTo(200);
      JsonObject first = daemon.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(30));
      assertThat(first.getInteger("attempts")).isEqualTo(1);

      // Round 2, seconds later (well within reset_after): it fails again and stays failed.
      Failures.set(name, REFUSED);
      connect.awaitTaskFailed(name, Duration.ofSeconds(30));
      assertThat(daemon.postAlerts(firing(name, Instant.now())).statusCode()).isEqualTo(200);
      JsonObject second = daemon.awaitIncident(name, i -> !i.getString("id").equals(first.getString("id")), Duration.ofSeconds(10));
      JsonObject opened = daemon.incident(second.getString("id"));
      assertThat(opened.getJsonArray("timeline").getJsonObject(0).getString("message"))
          .contains("1 earlier attempt(s) count toward the budget of 3");
      // Attempts 2 and 3 spend the budget: then one "gave up" escalation, not a restart storm.
      JsonObject escalated = daemon.awaitIncident(name, i -> "escalated".equals(i.getString("state")), Duration.ofSeconds(40));
      assertThat(escalated.getString("id")).isEqualTo(second.getString("id"));
      assertThat(RestartRequestRecorder.requests(name)).hasSize(3);
      JsonObject detail = awaitTimeline(daemon, second.getString("id"), "escalated", Duration.ofSeconds(10));
      assertThat(timelineKinds(detail)).contains("gave_up");
    } finally {
      Failures.clear(name);
      connect.deleteConnector(name);
    }
  }

  @Test
  void anIncidentWhoseConnectorWasDeletedClosesOnItsResolve() throws Exception {
    String name = "deleted-sink";
    failing(name);
    try (Daemon daemon = Daemon.start(config(), tmp)) {
      Instant startsAt = Instant.now().minusSeconds(60);
      assertThat(daemon.postAlerts(firing(name, startsAt)).statusCode()).isEqualTo(200);
      daemon.awaitIncident(name, i -> i.getInteger("attempts") == 1 && "open".equals(i.getString("state")), Duration.ofSeconds(20));
      connect.deleteConnector(name);
      // Its series vanish, so the alert resolves.
      assertThat(daemon.postAlerts(AlertmanagerPayloads.resolved(ALERT, labels(name), startsAt, Instant.now())).statusCode())
          .isEqualTo(200);
      JsonObject closed = daemon.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(20));
      assertThat(closed.getString("outcome")).isEqualTo("connector_deleted");
    } finally {
      Failures.clear(name);
      connect.deleteConnector(name);
    }
  }

  @Test
  void whileConnectDoesNotAnswerAnAlertIsDeferredNotGivenToTheCatchAll(@TempDir Path data) throws Exception {
    String unreachable = "rules: { paths: ['" + Daemon.shippedRules() + "'] }\n"
        + "connect_clusters:\n  local: { url: 'http://127.0.0.1:9' }\n"
        + "notifiers:\n  owner: { url: 'http://127.0.0.1:9/o' }\n  oncall: { url: 'http://127.0.0.1:9/c' }\n"
        + "engine: { tick: 100ms }\n";
    try (Daemon daemon = Daemon.start(unreachable, data)) {
      assertThat(daemon.postAlerts(firing("orders-sink", Instant.now())).statusCode()).isEqualTo(200);
      // The engine tries Connect for the alert and fails; without the trace, connect-db-connection-refused
      // cannot match, and the catch-all must not take the alert while Connect may just be restarting.
      Await.until("a failed request to Connect", Duration.ofSeconds(10),
          () -> daemon.metric("runbookd_connect_requests_total", Map.of("code", "-1")).isPresent());
      daemon.awaitLaterAlertProcessed();
      assertThat(daemon.incidents("")).isEmpty();
      assertThat(daemon.metric("runbookd_connect_requests_total", Map.of("code", "-1"))).isPresent();
    }
  }

  private static List<String> timelineKinds(JsonObject detail) {
    JsonArray t = detail.getJsonArray("timeline");
    List<String> kinds = new ArrayList<>();
    for (int i = 0; i < t.size(); i++) {
      kinds.add(t.getJsonObject(i).getString("kind"));
    }
    return kinds;
  }

  private static JsonObject awaitTimeline(Daemon daemon, String id, String kind, Duration timeout) {
    JsonObject[] detail = {null};
    return Await.value(kind + " in the timeline of " + id, timeout, Duration.ofMillis(100), () -> {
      detail[0] = daemon.incident(id);
      return Optional.of(detail[0]).filter(d -> timelineKinds(d).contains(kind));
    }, () -> String.valueOf(detail[0]));
  }
}
