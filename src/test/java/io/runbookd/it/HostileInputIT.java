package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.sun.net.httpserver.HttpServer;
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
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input end to end: alert label values become rule targets and then Connect requests, and
 * must stay one percent-encoded path segment; bodies that are too big, too deep, not UTF-8, not
 * JSON or very many get a clear status and never stop the daemon.
 *
 * <p>"Connect" here is the JDK's plain HTTP server, which records the raw request line and headers:
 * Jetty (WireMock, and Connect itself) would reject some of these paths with 400 before they could be
 * inspected.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputIT {
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  static Path tmp;

  /** A request as Connect received it: the raw path and the header names. */
  record Received(String rawPath, List<String> headerNames) {}

  static final List<Received> received = new CopyOnWriteArrayList<>();
  static HttpServer connect;
  static Daemon daemon;

  @BeforeAll
  static void start() throws Exception {
    connect = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    connect.createContext("/", ex -> {
      received.add(new Received(ex.getRequestURI().getRawPath(), List.copyOf(ex.getRequestHeaders().keySet())));
      byte[] body = "{\"error_code\":404,\"message\":\"Connector not found\"}".getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(404, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    connect.start();
    Path rules = Daemon.rulesDir(tmp, "10-any.yaml", "rules:\n  - name: any-failure\n"
        + "    match:\n      alert: ['alertname=\"KafkaConnectTaskFailure\"']\n"
        + "    target:\n      cluster: '{{ labels.connect_cluster }}'\n      connector: '{{ labels.connector }}'\n"
        + "    steps:\n      - restart: {}\n");
    daemon = Daemon.start("rules: { paths: ['" + rules + "'] }\n"
        + "connect_clusters:\n  local: { url: 'http://127.0.0.1:" + connect.getAddress().getPort() + "' }\n", tmp.resolve("data"));
  }

  @AfterAll
  static void stop() throws Exception {
    daemon.close();
    connect.stop(0);
  }

  @BeforeEach
  void reset() {
    received.clear();
  }

  static HttpResponse<String> post(String contentType, byte[] body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(daemon.url() + "/api/v1/alerts"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static void assertError(HttpResponse<String> r, int status, String messageStart) {
    assertThat(r.statusCode()).isEqualTo(status);
    JsonObject body = new JsonObject(r.body());
    assertThat(body.getInteger("error_code")).isEqualTo(status);
    assertThat(body.getString("message")).startsWith(messageStart);
  }

  static void assertStillServing() throws Exception {
    assertThat(daemon.get("/-/healthy").statusCode()).isEqualTo(200);
    String ok = AlertmanagerPayloads.firing("Probe", Map.of("alertname", "Probe", "connector", "probe"), Instant.now());
    assertThat(daemon.postAlerts(ok).statusCode()).isEqualTo(200);
  }

  @Test
  @Order(1) // before the 10,000 alerts, which the engine works through afterwards
  void hostileConnectorNamesReachConnectAsExactlyOneEncodedSegment() throws Exception {
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("a/b", "/connectors/a%2Fb/status");
    expected.put("../../admin", "/connectors/..%2F..%2Fadmin/status");
    expected.put("..", "/connectors/%2E%2E/status");
    expected.put("50% off", "/connectors/50%25%20off/status");
    expected.put("%2F..%2F", "/connectors/%252F..%252F/status");
    expected.put("名前 ünïcode", "/connectors/%E5%90%8D%E5%89%8D%20%C3%BCn%C3%AFcode/status");
    expected.put("x\r\nX-Injected: yes", "/connectors/x%0D%0AX-Injected%3A%20yes/status");
    expected.put("q?x=1#frag", "/connectors/q%3Fx%3D1%23frag/status");
    JsonArray alerts = new JsonArray();
    int i = 0;
    for (String name : expected.keySet()) {
      alerts.add(new JsonObject().put("status", "firing")
          .put("labels", new JsonObject().put("alertname", "KafkaConnectTaskFailure").put("connect_cluster", "local")
              .put("connector", name).put("task", "0\r\nX-Injected-Label: yes"))
          .put("startsAt", Instant.now().toString()).put("fingerprint", String.format("%016x", 0xabc00L + i++)));
    }
    String body = new JsonObject().put("version", "4").put("status", "firing").put("receiver", "runbookd").put("alerts", alerts).encode();

    assertThat(daemon.postAlerts(body).statusCode()).isEqualTo(200);

    // The cluster's listing (GET /connectors?expand=status&expand=info) names no connector in its path; this
    // stub answers it with nothing, so each connector is then read on its own path.
    java.util.function.Supplier<List<Received>> perConnector = () -> received.stream()
        .filter(r -> !r.rawPath().equals("/connectors")).toList();
    Await.until("a status request per connector", RuleReloadIT.RELOAD, () -> perConnector.get().size() >= expected.size());
    assertThat(perConnector.get()).extracting(Received::rawPath).containsExactlyInAnyOrderElementsOf(expected.values());
    for (Received r : perConnector.get()) {
      assertThat(r.rawPath().split("/", -1)).as(r.rawPath()).hasSize(4);
      assertThat(r.headerNames()).as("no header injected by " + r.rawPath())
          .noneMatch(h -> h.toLowerCase(java.util.Locale.ROOT).startsWith("x-injected"));
    }
  }

  @Test
  void tenThousandAlertsInOnePayloadAreAcceptedAndTheDaemonKeepsServing() throws Exception {
    StringBuilder b = new StringBuilder("{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"runbookd\",\"alerts\":[");
    for (int i = 0; i < 10_000; i++) {
      b.append(i == 0 ? "" : ",").append("{\"status\":\"firing\",\"labels\":{\"alertname\":\"StormUnmatched\",\"connector\":\"c")
          .append(i).append("\"},\"startsAt\":\"2025-01-01T00:00:00Z\",\"fingerprint\":\"").append(String.format("%016x", i)).append("\"}");
    }
    byte[] body = b.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    assertThat(body.length).isLessThan(4 * 1024 * 1024);
    Level before = LogCapture.level("io.runbookd.engine.AlertProcessor", Level.WARN);
    try {
      HttpResponse<String> r = post("application/json", body);

      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(r.body()).getInteger("alerts")).isEqualTo(10_000);
      assertStillServing();
    } finally {
      LogCapture.level("io.runbookd.engine.AlertProcessor", before);
    }
  }

  @Test
  void tenThousandAlertsOverTheBodyLimitGet413() throws Exception {
    String padding = "p".repeat(400);
    StringBuilder b = new StringBuilder("{\"version\":\"4\",\"alerts\":[");
    for (int i = 0; i < 10_000; i++) {
      b.append(i == 0 ? "" : ",").append("{\"status\":\"firing\",\"labels\":{\"alertname\":\"Big\"},\"annotations\":{\"description\":\"")
          .append(padding).append("\"}}");
    }
    byte[] body = b.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    assertThat(body.length).isGreaterThan(4 * 1024 * 1024);

    assertError(post("application/json", body), 413, "request body larger than 4194304 bytes");
    assertStillServing();
  }

  @Test
  void deeplyNestedJsonGets400() throws Exception {
    String deep = "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{},\"annotations\":"
        + "[".repeat(100_000) + "]".repeat(100_000) + "}]}";

    assertError(post("application/json", deep.getBytes(StandardCharsets.UTF_8)), 400, "malformed JSON");
    assertThat(new JsonObject(post("application/json", deep.getBytes(StandardCharsets.UTF_8)).body()).getString("message"))
        .contains("nesting depth");
    assertStillServing();
  }

  @Test
  void invalidUtf8Gets400() throws Exception {
    byte[] body = "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"connector\":\"X\"}}]}".getBytes(StandardCharsets.UTF_8);
    int x = new String(body, StandardCharsets.UTF_8).indexOf('X');
    body[x] = (byte) 0xC3; // a lead byte followed by '"', not a continuation byte

    assertError(post("application/json", body), 400, "body is not valid UTF-8");
    assertStillServing();
  }

  @Test
  void aWrongContentTypeGets415() throws Exception {
    for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml")) {
      assertError(post(type, "{}".getBytes(StandardCharsets.UTF_8)), 415, "Content-Type must be application/json, got \"" + type + "\"");
    }
    assertStillServing();
  }
}
