package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.engine.ActiveRules;
import io.runbookd.engine.Operations;
import io.runbookd.http.ApiServer;
import io.runbookd.metrics.RunbookdMetrics;
import io.runbookd.rules.RuleLoader;
import io.runbookd.store.Store;
import io.runbookd.store.StoreException;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The webhook receiver's answers, as Alertmanager sees them. */
class WebhookIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  static Path tmp;

  private static Daemon daemon;

  @BeforeAll
  static void start() throws Exception {
    // Connect is unreachable on purpose: intake must not depend on it.
    daemon = Daemon.start("rules: { paths: ['" + Daemon.shippedRules() + "'] }\n"
        + "connect_clusters:\n  local: { url: 'http://127.0.0.1:9' }\n"
        + "notifiers:\n  owner: { url: 'http://127.0.0.1:9/o' }\n  oncall: { url: 'http://127.0.0.1:9/c' }\n", tmp);
  }

  @AfterAll
  static void stop() throws Exception {
    daemon.close();
  }

  private static HttpResponse<String> post(String url, String contentType, byte[] body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + "/api/v1/alerts")).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertError(HttpResponse<String> r, int status, String message) {
    assertThat(r.statusCode()).isEqualTo(status);
    JsonObject body = new JsonObject(r.body());
    assertThat(body.getInteger("error_code")).isEqualTo(status);
    assertThat(body.getString("message")).isEqualTo(message);
  }

  @Test
  void aValidWebhookIsAcknowledgedAfterItIsRecorded() throws Exception {
    String body = AlertmanagerPayloads.firing("KafkaConnectTaskFailure",
        Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "local", "connector", "c1"), Instant.now());
    HttpResponse<String> r = daemon.postAlerts(body);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getInteger("alerts")).isEqualTo(1);
    assertThat(daemon.metric("runbookd_webhook_requests_total", Map.of("code", "200"))).isPresent();
  }

  @Test
  void malformedBodiesGet400WithAReason() throws Exception {
    assertError(post(daemon.url(), "application/json", "{\"version\":\"4\",".getBytes()), 400,
        "malformed JSON at line 1, column 16: Unexpected end-of-input within/between Object entries");
    assertError(post(daemon.url(), "application/json", "{\"version\":\"5\",\"alerts\":[]}".getBytes()), 400,
        "unsupported webhook version \"5\" (expected \"4\")");
    assertError(post(daemon.url(), "application/json", "{\"version\":\"4\"}".getBytes()), 400, "missing \"alerts\"");
    assertError(post(daemon.url(), "application/json", "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\"}]}".getBytes()), 400,
        "alerts[0].labels must be an object");
    assertThat(daemon.metric("runbookd_webhook_requests_total", Map.of("code", "400"))).contains(4.0);
  }

  @Test
  void wrongContentTypeGets415() throws Exception {
    assertError(post(daemon.url(), "text/plain", "{}".getBytes()), 415, "Content-Type must be application/json, got \"text/plain\"");
  }

  @Test
  void anOversizedBodyGets413() throws Exception {
    byte[] big = new byte[5 * 1024 * 1024];
    java.util.Arrays.fill(big, (byte) ' ');
    HttpResponse<String> r = post(daemon.url(), "application/json", big);
    assertThat(r.statusCode()).isEqualTo(413);
  }

  @Test
  void whenTheStoreCannotCommitTheWebhookGets503SoAlertmanagerRetries() throws Exception {
    Store down = (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (p, m, a) -> {
      if (m.getName().equals("close")) {
        return null;
      }
      throw new StoreException(m.getName() + " failed: database is locked");
    });
    Vertx vertx = Vertx.vertx();
    try {
      RunbookdMetrics metrics = new RunbookdMetrics(new PrometheusRegistry(), false);
      ActiveRules rules = new ActiveRules(List.of(Daemon.shippedRules()), RuleLoader.Context.unchecked(), metrics, Clock.systemUTC());
      rules.reload();
      ApiServer api = new ApiServer(new RunbookdConfig.Server("127.0.0.1:0", 0),
          Operations.create(vertx, down, rules, Clock.systemUTC()), metrics);
      vertx.deployVerticle(api).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      String body = AlertmanagerPayloads.firing("KafkaConnectTaskFailure", Map.of("alertname", "KafkaConnectTaskFailure"), Instant.now());
      HttpResponse<String> r = post("http://127.0.0.1:" + api.port(), "application/json", body.getBytes());
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(new JsonObject(r.body()).getString("message")).startsWith("store unavailable, retry later:");
      HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/-/ready")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(503);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void managementEndpointsFollowPrometheusConventions() throws Exception {
    assertThat(daemon.get("/-/healthy").statusCode()).isEqualTo(200);
    assertThat(daemon.get("/-/ready").statusCode()).isEqualTo(200);
    // connect_requests_total shows once the engine has tried Connect for an alert of another test: wait for it.
    HttpResponse<String> metrics = Await.value("runbookd_connect_requests_total in /metrics", Duration.ofSeconds(15),
        Duration.ofMillis(100), () -> Optional.of(daemon.get("/metrics")).filter(m -> m.body().contains("runbookd_connect_requests_total")),
        () -> null);
    assertThat(metrics.statusCode()).isEqualTo(200);
    JsonObject rules = new JsonObject(daemon.get("/api/v1/rules").body());
    assertThat(rules.getJsonArray("rules").size()).isGreaterThan(6);
    assertThat(metrics.body()).contains("runbookd_rules_loaded " + rules.getJsonArray("rules").size() + ".0")
        .contains("runbookd_connect_requests_total").doesNotContain("fingerprint");
    assertThat(rules.getJsonArray("rules").getJsonObject(0).getString("name")).isEqualTo("connect-auth-failure");
  }
}
