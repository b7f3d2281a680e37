package io.runbookd.http;

import static io.runbookd.http.AuthTest.basic;
import static io.runbookd.http.AuthTest.basicHeader;
import static io.runbookd.http.AuthTest.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.config.AuthConfig;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.model.AlertEvent;
import io.runbookd.engine.ActiveRules;
import io.runbookd.engine.Operations;
import io.runbookd.metrics.RunbookdMetrics;
import io.runbookd.rules.RuleLoader;
import io.runbookd.store.Store;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The listener with {@code server.auth} set: who gets in where, and that a request without valid
 * credentials is answered 401 before anything is read or recorded.
 */
class ApiServerAuthTest {
  static final String WEBHOOK_TOKEN = "am-token-7f3a";
  static final String ALICE_TOKEN = "alice-token-91c2";
  static final String SCRAPE_TOKEN = "prometheus-token-55d0";
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(java.time.Duration.ofSeconds(10)).build();

  static Vertx vertx;
  static ApiServer api;
  static RunbookdMetrics metrics;
  static final List<List<AlertEvent>> recorded = new CopyOnWriteArrayList<>();
  static String base;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    Store store = (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (p, m, a) -> {
      switch (m.getName()) {
        case "recordAlerts" -> {
          @SuppressWarnings("unchecked")
          List<AlertEvent> events = (List<AlertEvent>) a[0];
          recorded.add(events);
          return events;
        }
        case "list" -> {
          return List.of();
        }
        case "get" -> {
          return java.util.Optional.empty();
        }
        default -> {
          return null;
        }
      }
    });
    metrics = new RunbookdMetrics(new PrometheusRegistry(), false);
    ActiveRules rules = new ActiveRules(List.of(Path.of("rules").toAbsolutePath()), RuleLoader.Context.unchecked(), metrics,
        Clock.systemUTC());
    rules.reload();
    AuthConfig auth = new AuthConfig(
        List.of(bearer(null, WEBHOOK_TOKEN), basic("alertmanager", "am-basic-pw")),
        List.of(bearer("alice", ALICE_TOKEN), basic("bob", "bob-pw")),
        List.of(bearer("prometheus", SCRAPE_TOKEN)));
    api = new ApiServer(new RunbookdConfig.Server("127.0.0.1:0", 1024 * 1024, auth, null),
        Operations.create(vertx, store, rules, Clock.systemUTC()), metrics);
    vertx.deployVerticle(api).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + api.port();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void clear() {
    recorded.clear();
  }

  static final String ALERT = "{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"runbookd\",\"alerts\":[{\"status\":\"firing\","
      + "\"labels\":{\"alertname\":\"KafkaConnectTaskFailure\",\"connect_cluster\":\"local\",\"connector\":\"c1\"},"
      + "\"startsAt\":\"2025-01-01T00:00:00Z\",\"fingerprint\":\"0123456789abcdef\"}]}";

  static HttpResponse<String> send(String method, String path, String authorization, byte[] body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> postAlert(String authorization) throws Exception {
    return send("POST", "/api/v1/alerts", authorization, ALERT.getBytes(StandardCharsets.UTF_8));
  }

  static void assert401(HttpResponse<String> r, String message) {
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().allValues("WWW-Authenticate")).isNotEmpty();
    JsonObject body = new JsonObject(r.body());
    assertThat(body.getInteger("error_code")).isEqualTo(401);
    assertThat(body.getString("message")).isEqualTo(message);
  }

  double webhook401() {
    return metrics.registry().scrape().stream()
        .filter(s -> s.getMetadata().getPrometheusName().equals("runbookd_webhook_requests"))
        .flatMap(s -> s.getDataPoints().stream())
        .filter(d -> "401".equals(d.getLabels().get("code")))
        .mapToDouble(d -> ((io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot) d).getValue())
        .sum();
  }

  @Test
  void aWebhookWithoutValidCredentialsGets401AndRecordsNothing() throws Exception {
    double before = webhook401();

    HttpResponse<String> none = postAlert(null);
    assert401(none, "authentication required: send a bearer token or basic auth in the Authorization header");
    assertThat(none.headers().allValues("WWW-Authenticate"))
        .containsExactly("Bearer realm=\"runbookd\"", "Basic realm=\"runbookd\", charset=\"UTF-8\"");
    assert401(postAlert("Bearer wrong-token"), "invalid credentials");
    assert401(postAlert("Bearer " + WEBHOOK_TOKEN.substring(1)), "invalid credentials");
    assert401(postAlert(basicHeader("alertmanager", "wrong")), "invalid credentials");
    assert401(postAlert("Bearer " + ALICE_TOKEN), "invalid credentials");

    assertThat(recorded).as("nothing reaches the store, so nothing is remediated").isEmpty();
    assertThat(webhook401() - before).isEqualTo(5.0);
  }

  @Test
  void alertmanagerIsLetInWithItsBearerTokenOrBasicAuth() throws Exception {
    assertThat(postAlert("Bearer " + WEBHOOK_TOKEN).statusCode()).isEqualTo(200);
    assertThat(postAlert(basicHeader("alertmanager", "am-basic-pw")).statusCode()).isEqualTo(200);
    assertThat(recorded).hasSize(2);
  }

  @Test
  void anUnauthenticatedOversizedBodyGets401WithoutBeingRead() throws Exception {
    byte[] big = new byte[4 * 1024 * 1024];
    java.util.Arrays.fill(big, (byte) ' ');
    HttpResponse<String> r = send("POST", "/api/v1/alerts", null, big);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(recorded).isEmpty();
  }

  @Test
  void theApiNeedsAnOperatorNotTheWebhookCredential() throws Exception {
    for (String path : List.of("/api/v1/incidents", "/api/v1/incidents/inc-1", "/api/v1/rules")) {
      assert401(send("GET", path, null, null), "authentication required: send a bearer token or basic auth in the Authorization header");
      assert401(send("GET", path, "Bearer " + WEBHOOK_TOKEN, null), "invalid credentials");
      assert401(send("GET", path, basicHeader("alertmanager", "am-basic-pw"), null), "invalid credentials");
    }
    assertThat(send("GET", "/api/v1/incidents", "Bearer " + ALICE_TOKEN, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/api/v1/incidents/inc-1", basicHeader("bob", "bob-pw"), null).statusCode()).isEqualTo(404);
    assertThat(send("GET", "/api/v1/rules", "Bearer " + ALICE_TOKEN, null).statusCode()).isEqualTo(200);
  }

  @Test
  void reloadAndTheComingApprovalRoutesNeedAnOperator() throws Exception {
    assert401(send("POST", "/-/reload", null, null), "authentication required: send a bearer token or basic auth in the Authorization header");
    assert401(send("POST", "/-/reload", "Bearer " + WEBHOOK_TOKEN, null), "invalid credentials");
    assertThat(send("POST", "/-/reload", "Bearer " + ALICE_TOKEN, null).statusCode()).isEqualTo(200);
    for (String action : List.of("approve", "reject")) {
      assertThat(send("POST", "/api/v1/incidents/inc-1/" + action, null, null).statusCode()).isEqualTo(401);
      assertThat(send("POST", "/api/v1/incidents/inc-1/" + action, "Bearer " + ALICE_TOKEN, null).statusCode()).isNotEqualTo(401);
    }
  }

  @Test
  void pathTricksDoNotSlipPastTheOperatorCheck() throws Exception {
    for (String path : List.of("/api/v1/../v1/incidents", "/api/v1/%69ncidents", "/api/v1/incidents/", "/api/v1/./rules",
        "/api//v1/incidents", "/-/../api/v1/rules")) {
      assertThat(send("GET", path, null, null).statusCode()).as(path).isEqualTo(401);
    }
    assertThat(send("POST", "/api/v1/alerts/", null, ALERT.getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(401);
    assertThat(recorded).isEmpty();
  }

  @Test
  void healthAndReadinessStayOpenAndMetricsTakeAScraperOrAnOperator() throws Exception {
    assertThat(send("GET", "/-/healthy", null, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/-/ready", null, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/metrics", null, null).statusCode()).isEqualTo(401);
    assertThat(send("GET", "/metrics", "Bearer " + WEBHOOK_TOKEN, null).statusCode()).isEqualTo(401);
    assertThat(send("GET", "/metrics", "Bearer " + SCRAPE_TOKEN, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/metrics", "Bearer " + ALICE_TOKEN, null).statusCode()).isEqualTo(200);
  }

  @Test
  void handlersReadWhoMadeTheRequest() throws Exception {
    Router router = Router.router(vertx);
    router.route().handler(new Auth(new AuthConfig(null, List.of(bearer("alice", ALICE_TOKEN), basic("bob", "bob-pw")), null), null));
    router.post("/api/v1/incidents/:id/approve").handler(ctx -> ctx.response().end(Auth.principal(ctx) + " " + Auth.authenticated(ctx)));
    router.get("/-/healthy").handler(ctx -> ctx.response().end(Auth.principal(ctx) + " " + Auth.authenticated(ctx)));
    var server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    try {
      String url = "http://127.0.0.1:" + server.actualPort();
      HttpResponse<String> alice = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/incidents/i/approve"))
          .header("Authorization", "Bearer " + ALICE_TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(alice.body()).isEqualTo("alice true");
      HttpResponse<String> bob = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/incidents/i/approve"))
          .header("Authorization", basicHeader("bob", "bob-pw")).POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(bob.body()).isEqualTo("bob true");
      HttpResponse<String> open = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/-/healthy")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(open.body()).isEqualTo(Auth.ANONYMOUS + " false");
    } finally {
      server.close();
    }
  }
}
