package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.runbookd.config.ConfigLoader;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon configured with known secrets (auth tokens and passwords, a Connect password, a notifier
 * URL, header and routing key), driven through intake, a 401, a remediation whose notifier times out,
 * and a reload: no secret may appear in its logs, its API output or the printed config.
 */
class RedactionIT {
  static final Pattern ANY_SECRET = Pattern.compile("SECRET-\\d+");
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  Path tmp;

  @Test
  void noSecretAppearsInLogsApiOutputOrPrintedConfig() throws Exception {
    // Connect: a failed connector; the notifier endpoint never answers within the notifier timeout.
    HttpServer fake = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    String status = new String(RedactionIT.class.getResourceAsStream("/connect/status-task-failed.json").readAllBytes(),
        StandardCharsets.UTF_8);
    fake.createContext("/connectors/", ex -> {
      byte[] body = status.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    fake.createContext("/hooks/", ex -> {
      try {
        TimeUnit.SECONDS.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    fake.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    fake.start();
    String base = "http://127.0.0.1:" + fake.getAddress().getPort();
    Path tokenFile = Files.writeString(tmp.resolve("am-token"), "FILE-SECRET-1\n");
    Path rules = Daemon.rulesDir(tmp, "10-notify.yaml", "rules:\n  - name: notify-first\n"
        + "    match:\n      alert: ['alertname=\"KafkaConnectTaskFailure\"']\n"
        + "    target:\n      cluster: '{{ labels.connect_cluster }}'\n      connector: '{{ labels.connector }}'\n"
        + "    retry: { max_attempts: 1 }\n"
        + "    steps:\n      - notify: { notifier: slow }\n");
    String yaml = "server:\n  listen: 127.0.0.1:0\n  auth:\n"
        + "    webhook: [ { bearer_token_file: '" + tokenFile + "' } ]\n"
        + "    operators:\n      - { name: alice, bearer_token: OPERATOR-SECRET-2 }\n"
        + "      - basic_auth: { username: bob, password: BOB-SECRET-3 }\n"
        + "store: { data_dir: '" + tmp.resolve("data") + "', password: STORE-SECRET-4 }\n"
        + "rules: { paths: ['" + rules + "'] }\n"
        + "connect_clusters:\n  local: { url: '" + base + "', username: runbookd, password: CONNECT-SECRET-5 }\n"
        + "notifiers:\n"
        + "  slow: { type: webhook, url: '" + base + "/hooks/T0/B0/URL-SECRET-6', timeout: 300ms,"
        + " headers: { Authorization: 'Bearer HEADER-SECRET-7' } }\n"
        + "  pd: { type: pagerduty, routing_key: ROUTING-SECRET-8 }\n";
    RunbookdConfig config = ConfigLoader.parse(yaml, "runbookd.yaml");
    assertThat(config.toString()).doesNotContainPattern(ANY_SECRET);

    List<String> api = new ArrayList<>();
    try (LogCapture logs = new LogCapture("io.runbookd", "io.vertx", "io.netty");
        Daemon d = Daemon.startWith(yaml)) {
      String alert = AlertmanagerPayloads.firing("KafkaConnectTaskFailure",
          Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "local", "connector", "inventory-sink"), Instant.now());
      assertThat(send(d, "POST", "/api/v1/alerts", "Bearer PRESENTED-SECRET-9", alert).statusCode()).isEqualTo(401);
      assertThat(send(d, "GET", "/api/v1/incidents", "Bearer PRESENTED-SECRET-10", null).statusCode()).isEqualTo(401);
      assertThat(send(d, "POST", "/api/v1/alerts", "Bearer FILE-SECRET-1", alert).statusCode()).isEqualTo(200);

      // Wait until the notify step has failed (the notifier timed out) and its error is recorded.
      String operator = "Bearer OPERATOR-SECRET-2";
      JsonObject detail = Await.value("an incident with the notifier's error", Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
        JsonArray incidents = new JsonObject(send(d, "GET", "/api/v1/incidents", operator, null).body()).getJsonArray("incidents");
        if (incidents.isEmpty()) {
          return Optional.empty();
        }
        return Optional.of(new JsonObject(send(d, "GET", "/api/v1/incidents/" + incidents.getJsonObject(0).getString("id"),
            operator, null).body())).filter(x -> x.encode().contains("notifier slow"));
      }, () -> null);
      assertThat(detail).as("an incident with the notifier's error").isNotNull();
      assertThat(detail.encode()).contains("notifier slow: ");
      api.add(detail.encode());
      api.add(send(d, "GET", "/api/v1/incidents", operator, null).body());
      api.add(send(d, "GET", "/api/v1/rules", operator, null).body());
      api.add(send(d, "POST", "/-/reload", operator, null).body());
      api.add(send(d, "GET", "/metrics", null, null).body());

      assertThat(api).allSatisfy(body -> assertThat(body).doesNotContainPattern(ANY_SECRET));
      assertThat(logs.lines()).isNotEmpty()
          .anySatisfy(l -> assertThat(l).contains("authentication failed"))
          .anySatisfy(l -> assertThat(l).contains("notifier slow: "))
          .allSatisfy(l -> assertThat(l).doesNotContainPattern(ANY_SECRET));
    } finally {
      fake.stop(0);
    }
  }

  static HttpResponse<String> send(Daemon d, String method, String path, String authorization, String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(d.url() + path))
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
