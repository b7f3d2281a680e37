package io.runbookd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.it.AlertmanagerPayloads;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import io.runbookd.testkit.Postgres;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Judgement on real faults of Debezium's JDBC sink in a real Connect worker (its own JVM) writing to the
 * real PostgreSQL: the catch-all gives up and sends one page per ladder level, the cause naming the
 * database's host and port; "Fixed — retry" after a table fixed on the database server (the shipped
 * schema-mismatch rule, unchanged); and a fix made by a human's config PUT on Connect credited to them.
 * Restart requests are counted where Connect receives them ({@link RecordingConnectProxy}).
 */
class JudgementJdbcIT {
  private static final Logger LOG = LoggerFactory.getLogger(JudgementJdbcIT.class);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final String ALERT = "KafkaConnectTaskFailure";
  private static final String OPERATOR_TOKEN = "judge-jdbc-operator-token-0123456789";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static Path worldDir;
  private static ConnectJvm connect;
  private static RecordingConnectProxy recorder;
  private static NotificationCatcher pages;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startWorld() throws Exception {
    worldDir = Files.createTempDirectory("judgement-jdbc");
    pages = new NotificationCatcher(freePort(), n -> LOG.info("notification {}: {}", n.path(), n.body()));
    connect = ConnectJvm.start(worldDir.resolve("connect"), freePort(), freePort(), ChainFiles.EXPORTER_YML,
        Duration.ofSeconds(150), pid -> { });
    recorder = new RecordingConnectProxy(connect.restUrl());
  }

  @AfterAll
  static void stopWorld() {
    if (recorder != null) {
      recorder.close();
    }
    if (connect != null) {
      connect.close();
    }
    if (pages != null) {
      pages.close();
    }
  }

  /** The catch-all's shape with a short ladder: one restart at once, verified for 5 s within 20 s. */
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
            - after: 75s
              notify: oncall
              message: '{{ target.connector }}: one restart did not fix it. Cause: {{ trace.cause }}'
            - after: 90s
              notify: manager
              message: '{{ target.connector }} still failing. Cause: {{ trace.cause }}'
      """;

  private String config(Path rules) {
    return "server:\n  listen: 127.0.0.1:0\n  external_url: 'https://runbookd.example.com'\n  auth:\n"
        + "    operators:\n      - { name: alice, bearer_token: " + OPERATOR_TOKEN + " }\n"
        + "store: { data_dir: '" + tmp.resolve("data") + "' }\n"
        + "rules: { paths: ['" + rules + "'] }\n"
        + "connect_clusters:\n  local: { url: '" + recorder.url() + "' }\n"
        + "notifiers:\n"
        + "  owner: { type: webhook, url: '" + pages.url() + "/owner' }\n"
        + "  oncall: { type: webhook, url: '" + pages.url() + "/oncall' }\n"
        + "  manager: { type: webhook, url: '" + pages.url() + "/manager' }\n"
        + "engine: { tick: 200ms, poll_interval: 500ms }\n";
  }

  private static Map<String, String> labels(String connector) {
    return Map.of("alertname", ALERT, "connect_cluster", "local", "connector", connector, "task", "0");
  }

  @Test
  void theCatchAllGivesUpWithOnePagePerLevelNamingTheDatabaseThenAHumanConfigFixIsCreditedToThem() throws Exception {
    String name = "judge-jdbc-catch-all";
    try (OrdersPipeline pipeline = new OrdersPipeline(name, connect.bootstrapServers(), 0, 200)) {
      connect.putConfig(name, pipeline.connectorConfig());
      awaitRunningWithRows(pipeline);
      pipeline.pauseAndDrain(Duration.ofSeconds(60));
      pipeline.database().stop();
      pipeline.resume();
      String hostPort = "127.0.0.1:" + pipeline.database().port();
      JsonObject failed = Await.value(name + " task FAILED", Duration.ofSeconds(60), POLL,
          () -> ConnectJvm.failedTask(connect.status(name)), () -> seen(name));
      assertThat(failed.getString("trace")).contains("Connection to " + hostPort + " refused");

      try (Daemon daemon = Daemon.startWith(config(Daemon.rulesDir(tmp, "99-catch-all.yaml", CATCH_ALL)))) {
        Instant startsAt = Instant.now();
        assertThat(daemon.postAlerts(AlertmanagerPayloads.firing(ALERT, labels(name), startsAt)).statusCode()).isEqualTo(200);

        // one restart, doomed (the port still refuses): runbookd gives up and sends the 75s level now
        List<NotificationCatcher.Notification> oncall = awaitPages("/oncall", name, 1, Duration.ofSeconds(70));
        Instant gaveUpPageAt = Instant.now();
        JsonObject page = new JsonObject(oncall.get(0).body());
        assertThat(page.getString("message")).startsWith("runbookd gave up after 1 attempt(s): attempt budget spent (1 of 1).")
            .contains("one restart did not fix it").contains(hostPort);
        assertThat(page.getString("cause")).contains("Connection to " + hostPort + " refused");
        JsonObject inc = awaitIncident(daemon, name, i -> "escalated".equals(i.getString("state")), Duration.ofSeconds(10));
        String id = inc.getString("id");
        assertThat(inc.getString("outcome")).isEqualTo("gave_up");
        assertThat(inc.getString("cause")).contains("Connection to " + hostPort + " refused");
        assertThat(recorder.restarts(name)).hasSize(1);

        // the 90s level keeps its time: one manager page then, and no level is paged twice
        awaitPages("/manager", name, 1, Duration.ofSeconds(150));
        Instant managerAt = Instant.now();
        assertThat(Duration.between(startsAt, managerAt)).isGreaterThanOrEqualTo(Duration.ofSeconds(90));
        daemon.awaitLaterAlertProcessed();
        assertThat(pagesTo("/oncall", name)).hasSize(1);
        assertThat(pagesTo("/manager", name)).hasSize(1);
        assertThat(pagesTo("/owner", name)).isEmpty();
        JsonObject detail = incident(daemon, id);
        assertThat(detail.getString("cause")).contains("Connection to " + hostPort + " refused");
        assertThat(detail.getJsonArray("escalations").stream().map(e -> ((JsonObject) e).getString("level")).toList())
            .containsExactly("0", "1");
        LOG.info("MEASURED catch-all: webhook -> gave-up page {} ms, webhook -> manager level {} ms; cause {}",
            Duration.between(startsAt, gaveUpPageAt).toMillis(), Duration.between(startsAt, managerAt).toMillis(),
            detail.getString("cause"));

        // a human points the sink straight at PostgreSQL with a config PUT on Connect (not through runbookd)
        Map<String, String> fixed = new HashMap<>(pipeline.connectorConfig());
        fixed.put("connection.url", Postgres.url("127.0.0.1", 5432, "postgres"));
        assertThat(connect.putConfig(name, fixed)).isEqualTo(200);
        awaitRunningWithRows(pipeline);
        assertThat(daemon.postAlerts(AlertmanagerPayloads.resolved(ALERT, labels(name), startsAt, Instant.now())).statusCode())
            .isEqualTo(200);
        JsonObject closed = awaitIncident(daemon, name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(90));
        assertThat(closed.getString("outcome")).isEqualTo("changed_by_someone_else");
        assertThat(recorder.restarts(name)).as("runbookd restarted it once, before the fix").hasSize(1);
        assertThat(daemon.metric("runbookd_remediations_total", Map.of("rule", "catch-all",
            "outcome", "changed_by_someone_else"))).contains(1.0);
        assertThat(daemon.metric("runbookd_remediations_total", Map.of("rule", "catch-all", "outcome", "recovered"))
            .orElse(0.0)).as("not counted as runbookd's recovery").isZero();
        // paged levels hear of the close (a resolve, not a page); still one page per level
        NotificationCatcher.Notification close = awaitPages("/oncall", name, 2, Duration.ofSeconds(30)).get(1);
        assertThat(new JsonObject(close.body()).getString("action")).isEqualTo("resolve");
        assertThat(new JsonObject(close.body()).getString("message")).contains("closed: changed_by_someone_else");
        assertThat(pagesTo("/oncall", name)).filteredOn(n -> !isResolve(n)).hasSize(1);
        assertThat(pagesTo("/manager", name)).filteredOn(n -> !isResolve(n)).hasSize(1);
      } finally {
        connect.delete(name);
      }
    }
  }

  @Test
  void aRetryAfterTheTableIsFixedOnTheServerRestartsOnceVerifiesClosesAndCancelsThePendingPage() throws Exception {
    String name = "judge-jdbc-schema";
    try (OrdersPipeline pipeline = new OrdersPipeline(name, connect.bootstrapServers(), 0, 200)) {
      // the table exists with the wrong type for quantity: every upsert fails on the server
      sql("CREATE TABLE public." + pipeline.table() + " (id bigint PRIMARY KEY, item text NOT NULL, quantity boolean NOT NULL)");
      connect.putConfig(name, pipeline.connectorConfig());
      JsonObject failed = Await.value(name + " task FAILED", Duration.ofSeconds(120), POLL,
          () -> ConnectJvm.failedTask(connect.status(name)), () -> seen(name));
      assertThat(failed.getString("trace")).contains("column \"quantity\" is of type boolean but expression is of type");

      try (Daemon daemon = Daemon.startWith(config(Daemon.shippedRules()))) {
        assertThat(daemon.postAlerts(AlertmanagerPayloads.firing(ALERT, labels(name), Instant.now())).statusCode()).isEqualTo(200);
        JsonObject open = awaitIncident(daemon, name, i -> true, Duration.ofSeconds(30));
        String id = open.getString("id");
        assertThat(open.getString("rule")).isEqualTo("connect-sink-schema-mismatch");
        JsonObject owner = new JsonObject(awaitPages("/owner", name, 1, Duration.ofSeconds(30)).get(0).body());
        assertThat(owner.getString("message")).contains("https://runbookd.example.com/ui/incidents/" + id)
            .contains("/api/v1/incidents/" + id + "/retry");
        assertThat(owner.getString("cause")).contains("column \"quantity\" is of type boolean but expression is of type integer");
        daemon.awaitLaterAlertProcessed();
        assertThat(recorder.restarts(name)).as("the shipped rule restarts nothing on its own").isEmpty();
        assertThat(ConnectJvm.failedTask(connect.status(name))).isPresent();

        // the fix is made on the database; the connector config does not change
        sql("ALTER TABLE public." + pipeline.table() + " ALTER COLUMN quantity TYPE integer USING quantity::integer");
        HttpResponse<String> anonymous = retry(daemon, id, null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        Instant asked = Instant.now();
        HttpResponse<String> r = retry(daemon, id, OPERATOR_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(new JsonObject(r.body()).getString("requested_by")).isEqualTo("alice");

        JsonObject closed = awaitIncident(daemon, name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(180));
        Instant closedAt = Instant.now();
        assertThat(closed.getString("outcome")).isEqualTo("recovered");
        assertThat(recorder.restarts(name)).singleElement().satisfies(q -> assertThat(q).contains("onlyFailed=true"));
        assertThat(ConnectJvm.running(connect.status(name))).isTrue();
        assertThat(pipeline.rowsInDatabase()).isPositive();
        JsonObject detail = incident(daemon, id);
        List<JsonObject> escalations = detail.getJsonArray("escalations").stream().map(e -> (JsonObject) e).toList();
        assertThat(escalations).filteredOn(e -> "1".equals(e.getString("level")))
            .singleElement().satisfies(e -> assertThat(e.getString("cancelled_at")).isNotNull());
        assertThat(detail.getJsonArray("timeline").stream().map(e -> ((JsonObject) e).getString("message")).toList())
            .anyMatch(m -> m.startsWith("retry requested by alice: ALTER TABLE quantity TYPE integer"));
        daemon.awaitLaterAlertProcessed();
        assertThat(pagesTo("/oncall", name)).as("the pending 10m page is cancelled, never sent").isEmpty();
        assertThat(pagesTo("/owner", name)).extracting(n -> new JsonObject(n.body()).getString("kind"))
            .as("the owner's one page, then the close of the loop").containsExactly("escalation", "resolved");
        assertThat(new JsonObject(pagesTo("/owner", name).get(1).body()).getString("message")).contains("closed: recovered");
        LOG.info("MEASURED retry request -> incident closed recovered (shipped verify, stable_for 60s): {} ms",
            Duration.between(asked, closedAt).toMillis());
      } finally {
        connect.delete(name);
      }
    }
  }

  private static HttpResponse<String> retry(Daemon daemon, String id, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(daemon.url() + "/api/v1/incidents/" + id + "/retry"))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"comment\": \"ALTER TABLE quantity TYPE integer\"}"));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** {@code GET /api/v1/...} with the operator's credentials. */
  private static JsonObject api(Daemon daemon, String path) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.url() + path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + OPERATOR_TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new AssertionError("GET " + path + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return new JsonObject(r.body());
  }

  private static JsonObject incident(Daemon daemon, String id) throws Exception {
    return api(daemon, "/api/v1/incidents/" + id);
  }

  private static JsonObject awaitIncident(Daemon daemon, String connector, Predicate<JsonObject> test, Duration timeout) {
    String path = "/api/v1/incidents?connector=" + URLEncoder.encode(connector, StandardCharsets.UTF_8);
    JsonArray[] last = {null};
    return Await.value("an incident of " + connector + " that matches", timeout, POLL, () -> {
      last[0] = api(daemon, path).getJsonArray("incidents");
      return last[0].stream().map(JsonObject.class::cast).filter(test).findFirst();
    }, () -> String.valueOf(last[0]));
  }

  private static List<NotificationCatcher.Notification> pagesTo(String path, String text) {
    return pages.received().stream().filter(n -> n.path().equals(path) && n.body().contains(text)).toList();
  }

  /** A notification that closes the loop (PagerDuty's resolve), not a page. */
  private static boolean isResolve(NotificationCatcher.Notification n) {
    return "resolve".equals(new JsonObject(n.body()).getString("action"));
  }

  private static List<NotificationCatcher.Notification> awaitPages(String path, String text, int n, Duration timeout) {
    return Await.value(n + " notification(s) to " + path, timeout, POLL,
        () -> Optional.of(pagesTo(path, text)).filter(l -> l.size() >= n), () -> pagesTo(path, text).size() + " so far");
  }

  private static void awaitRunningWithRows(OrdersPipeline pipeline) {
    String name = pipeline.connector();
    Await.value(name + " RUNNING with rows in PostgreSQL", Duration.ofSeconds(120), POLL,
        () -> ConnectJvm.running(connect.status(name)) && pipeline.rowsInDatabase() > 0 ? Optional.of(true) : Optional.empty(),
        () -> seen(name));
  }

  private static void sql(String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(Postgres.SERVER + "postgres", Postgres.USER, "");
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private static String seen(String name) {
    try {
      return ConnectJvm.summary(connect.status(name));
    } catch (Exception e) {
      return "status unreadable: " + e;
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
