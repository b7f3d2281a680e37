package io.runbookd.http;

import static io.runbookd.http.AuthTest.basic;
import static io.runbookd.http.AuthTest.basicHeader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.config.AuthConfig;
import io.runbookd.config.ConfigException;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.engine.ActiveRules;
import io.runbookd.engine.Operations;
import io.runbookd.metrics.RunbookdMetrics;
import io.runbookd.model.Approval;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentState;
import io.runbookd.rules.RuleLoader;
import io.runbookd.store.Store;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The web page's routes on the real listener (the shipped rules, a stand-in store): what a read-only viewer
 * may do, the CSRF token and origin checks on decisions, the explain form, and escaping of stored text.
 */
class UiRoutesTest {
  static final String ALICE = basicHeader("alice", "alice-pw");
  static final String CAROL = basicHeader("carol", "carol-pw");
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(java.time.Duration.ofSeconds(10)).build();
  static final String HOSTILE = "<img src=x onerror=alert(1)>";
  /** A storm's quiet time far in the future: it is active throughout the test. */
  static final Instant FAR = Instant.now().plus(java.time.Duration.ofDays(1));

  static Vertx vertx;
  static String base;
  static final List<Object[]> decisions = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    Instant t = Instant.parse("2026-11-28T10:00:00Z");
    Incident hostile = new Incident("inc-1", "local", HOSTILE, "connect-db-connection-refused", IncidentState.OPEN, null, 1,
        "Connection refused", null, t, t, null, null, null, null, null, null);
    Store store = (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (p, m, a) -> {
      switch (m.getName()) {
        case "list" -> {
          return List.of(hostile);
        }
        case "get" -> {
          return java.util.Optional.empty();
        }
        case "currentStorm" -> {
          return "storming".equals(a[0])
              ? java.util.Optional.of(new io.runbookd.model.Storm(7, "storming", t, t.plusSeconds(30), FAR, java.time.Duration.ofMinutes(2),
                  "oncall", null, null, 23, List.of("orders-000", "orders-001")))
              : java.util.Optional.empty();
        }
        case "decideApproval" -> {
          decisions.add(a);
          return new Approval.Outcome(Approval.Outcome.Status.NO_INCIDENT, null);
        }
        default -> {
          return null;
        }
      }
    });
    RunbookdMetrics metrics = new RunbookdMetrics(new PrometheusRegistry(), false);
    ActiveRules rules = new ActiveRules(List.of(Path.of("rules").toAbsolutePath()), RuleLoader.Context.unchecked(), metrics,
        Clock.systemUTC());
    rules.reload();
    AuthConfig auth = new AuthConfig(null, List.of(basic("alice", "alice-pw")), null, List.of(basic("carol", "carol-pw")));
    ApiServer api = new ApiServer(new RunbookdConfig.Server("127.0.0.1:0", 1024 * 1024, auth, null),
        Operations.create(vertx, store, rules, Clock.systemUTC(), io.runbookd.engine.Guards.defaults(),
            java.util.Set.of("storming", "quiet")), metrics);
    vertx.deployVerticle(api).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + api.port();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void clear() {
    decisions.clear();
  }

  static HttpResponse<String> send(String method, String path, String authorization, Map<String, String> headers,
      String form) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
        .method(method, form == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(form))
        .timeout(java.time.Duration.ofSeconds(30));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    if (form != null) {
      b.header("Content-Type", "application/x-www-form-urlencoded");
    }
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String path, String authorization) throws Exception {
    return send("GET", path, authorization, Map.of(), null);
  }

  static String token(String authorization) throws Exception {
    Matcher m = Pattern.compile("X-CSRF-Token\": \"([^\"]+)\"").matcher(get("/ui/explain", authorization).body());
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void aViewerReadsEverythingButEveryChangeIs403() throws Exception {
    assertThat(get("/api/v1/incidents", CAROL).statusCode()).isEqualTo(200);
    HttpResponse<String> page = get("/ui/incidents", CAROL);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("carol (read-only)");
    for (String[] r : List.of(new String[] {"POST", "/-/reload"}, new String[] {"POST", "/api/v1/incidents/inc-1/approve"},
        new String[] {"POST", "/ui/incidents/inc-1/reject"}, new String[] {"DELETE", "/api/v1/incidents/inc-1"})) {
      HttpResponse<String> refused = send(r[0], r[1], CAROL, Map.of(), "_csrf=" + token(CAROL));
      assertThat(refused.statusCode()).as(r[0] + " " + r[1]).isEqualTo(403);
      assertThat(new JsonObject(refused.body()).getString("message"))
          .isEqualTo("\"carol\" is a read-only viewer (server.auth.viewers): only operators may decide");
    }
    assertThat(decisions).isEmpty();
    assertThat(get("/ui/incidents", basicHeader("carol", "wrong")).statusCode()).isEqualTo(401);
  }

  @Test
  void aDecisionNeedsThePrincipalsTokenAndThisOrigin() throws Exception {
    String path = "/ui/incidents/inc-9/approve";
    HttpResponse<String> noToken = send("POST", path, ALICE, Map.of(), "comment=go");
    assertThat(noToken.statusCode()).isEqualTo(403);
    assertThat(new JsonObject(noToken.body()).getString("message")).startsWith("missing CSRF token");
    assertThat(send("POST", path, ALICE, Map.of(), "_csrf=" + token(CAROL)).statusCode()).as("another user's token")
        .isEqualTo(403);
    assertThat(send("POST", path, ALICE, Map.of("X-CSRF-Token", token(ALICE) + "x"), "").statusCode()).isEqualTo(403);
    assertThat(send("POST", path, ALICE, Map.of("Origin", "https://evil.example"), "_csrf=" + token(ALICE)).statusCode())
        .isEqualTo(403);
    assertThat(send("POST", path, ALICE, Map.of("Sec-Fetch-Site", "cross-site"), "_csrf=" + token(ALICE)).statusCode())
        .isEqualTo(403);
    assertThat(decisions).isEmpty();

    // With the token, from this origin: decided as alice, then back to the incident's page.
    HttpResponse<String> ok = send("POST", path, ALICE, Map.of("Origin", base, "Sec-Fetch-Site", "same-origin"),
        "_csrf=" + token(ALICE) + "&comment=" + enc("DB is back"));
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(303);
    assertThat(ok.headers().firstValue("Location")).contains("/ui/incidents/inc-9");
    assertThat(decisions).singleElement().satisfies(a -> assertThat(List.of(a[0], a[1], a[3], a[4]))
        .containsExactly("inc-9", Approval.Decision.APPROVED, "alice", "DB is back"));
  }

  @Test
  void theJsonApiRefusesWritesABrowserMarksCrossSite() throws Exception {
    HttpResponse<String> cross = send("POST", "/api/v1/incidents/inc-9/approve", ALICE,
        Map.of("Origin", "https://evil.example"), "");
    assertThat(cross.statusCode()).isEqualTo(403);
    assertThat(decisions).isEmpty();
    // A tool (no Origin, no Sec-Fetch-Site) is unaffected: the store answers "no incident".
    assertThat(send("POST", "/api/v1/incidents/inc-9/approve", ALICE, Map.of(), null).statusCode()).isEqualTo(404);
    assertThat(decisions).hasSize(1);
  }

  @Test
  void storedTextIsEscaped() throws Exception {
    String body = get("/ui/incidents", ALICE).body();
    assertThat(body).contains("&lt;img src=x onerror=alert(1)&gt;").doesNotContain(HOSTILE);
  }

  @Test
  void theRulesPageShowsEachRuleWithItsFileAndLine() throws Exception {
    String body = get("/ui/rules", CAROL).body();
    List<String> lines = java.nio.file.Files.readAllLines(java.nio.file.Path.of("rules/30-connection-refused.yaml"));
    int line = lines.indexOf("  - name: connect-db-connection-refused") + 1;
    assertThat(line).as("the shipped rule's line in its file").isPositive();
    assertThat(body).contains("connect-db-connection-refused").contains("30-connection-refused.yaml:" + line + "</code>");
  }

  @Test
  void theExplainFormSaysWhichRuleMatchesAndWhyForAViewerToo() throws Exception {
    String webhook = "{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"runbookd\",\"alerts\":[{\"status\":\"firing\","
        + "\"labels\":{\"alertname\":\"KafkaConnectTaskFailure\",\"connect_cluster\":\"local\",\"connector\":\"orders\","
        + "\"task\":\"0\"},\"startsAt\":\"2026-01-01T00:00:00Z\",\"fingerprint\":\"0123456789abcdef\"}]}";
    String status = "{\"name\":\"orders\",\"type\":\"sink\",\"connector\":{\"state\":\"RUNNING\",\"worker_id\":\"w:8083\"},"
        + "\"tasks\":[{\"id\":0,\"state\":\"FAILED\",\"worker_id\":\"w:8083\",\"trace\":\"org.apache.kafka.connect.errors."
        + "ConnectException: x\\nCaused by: org.postgresql.util.PSQLException: Connection to db:5432 refused. Check that the"
        + " hostname and port are correct and that the postmaster is accepting TCP/IP connections.\"}]}";
    HttpResponse<String> r = send("POST", "/ui/explain", CAROL, Map.of(),
        "_csrf=" + token(CAROL) + "&webhook=" + enc(webhook) + "&status=" + enc(status));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("⇒ rule &quot;connect-db-connection-refused&quot; on local/orders")
        .contains("Connection to db:5432 refused");

    HttpResponse<String> noStatus = send("POST", "/ui/explain", CAROL, Map.of(), "_csrf=" + token(CAROL) + "&webhook=" + enc(webhook));
    assertThat(noStatus.body()).contains("no status for the connector");

    HttpResponse<String> badBody = send("POST", "/ui/explain", CAROL, Map.of(), "_csrf=" + token(CAROL) + "&webhook=" + enc("{"));
    assertThat(badBody.statusCode()).isEqualTo(400);
    assertThat(badBody.body()).contains("webhook body:");
    HttpResponse<String> badStatus = send("POST", "/ui/explain", CAROL, Map.of(),
        "_csrf=" + token(CAROL) + "&webhook=" + enc(webhook) + "&status=" + enc("[1]"));
    assertThat(badStatus.statusCode()).isEqualTo(400);
    assertThat(badStatus.body()).contains("connector status: not a Connect connector status");
  }

  @Test
  void theGuardsPageShowsEachClustersStormAndLimits() throws Exception {
    String body = get("/ui/guards/live", CAROL).body();
    Matcher storming = Pattern.compile("(?s)data-cluster=\"storming\">(.*?)</tr>").matcher(body);
    Matcher quiet = Pattern.compile("(?s)data-cluster=\"quiet\">(.*?)</tr>").matcher(body);
    assertThat(storming.find()).isTrue();
    assertThat(quiet.find()).isTrue();
    assertThat(body.indexOf("data-cluster=\"quiet\"")).as("clusters in name order").isLessThan(body.indexOf("data-cluster=\"storming\""));
    assertThat(storming.group(1)).contains("STORM").contains("23 connectors (orders-000, orders-001)")
        .contains("quiet at " + FAR).contains("30 actions per").contains("20 connectors in 2m");
    // The stand-in store lists one open incident for any cluster.
    assertThat(storming.group(1)).contains("<td>1</td><td>0 / 10</td><td>0</td>");
    assertThat(quiet.group(1)).contains("none").doesNotContain("STORM");
  }

  @Test
  void originsAreComparedByHostAndPort() {
    assertThat(UiCsrf.sameOrigin("http://127.0.0.1:9095", "127.0.0.1:9095")).isTrue();
    assertThat(UiCsrf.sameOrigin("https://runbookd.example", "runbookd.example:443")).isTrue();
    assertThat(UiCsrf.sameOrigin("http://runbookd.example:80", "runbookd.example")).isTrue();
    assertThat(UiCsrf.sameOrigin("http://127.0.0.1:9096", "127.0.0.1:9095")).isFalse();
    assertThat(UiCsrf.sameOrigin("http://runbookd.example.evil", "runbookd.example")).isFalse();
    assertThat(UiCsrf.sameOrigin("null", "runbookd.example")).isFalse();
  }

  @Test
  void viewersNeedOperatorsAndTheirOwnSecrets() {
    assertThatThrownBy(() -> new AuthConfig(null, null, null, List.of(basic("carol", "carol-pw"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("server.auth.viewers is set but server.auth.operators is not");
    assertThatThrownBy(() -> new AuthConfig(null, List.of(basic("alice", "pw-1234")), null, List.of(basic("alice", "pw-1234"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("use the same credentials");
  }
}
