package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAPI 3.1 document runbookd serves at {@code /api/v1/openapi.yaml} describes what it really
 * answers: every endpoint of a running daemon is called (successes and the errors a client meets) and
 * each answer is validated against the served document by Vert.x OpenAPI's response validator
 * (https://vertx.io/docs/vertx-openapi/java/). Two incidents wait for approval on a simulated Connect
 * cluster: one is approved, one rejected (and the approver's PagerDuty page is acknowledged).
 */
class OpenApiIT {
  private static final Logger LOG = LoggerFactory.getLogger(OpenApiIT.class);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static SimulatedConnect connect;
  private static WireMockServer receivers;
  private static Vertx vertx;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startWorld() {
    connect = new SimulatedConnect();
    receivers = new WireMockServer(options().dynamicPort());
    receivers.start();
    receivers.stubFor(post(urlEqualTo("/pd")).willReturn(aResponse().withStatus(202)));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopWorld() throws Exception {
    connect.close();
    receivers.stop();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private final Set<String> validated = new TreeSet<>();
  private ResponseValidator validator;
  private Daemon daemon;

  @Test
  void everyEndpointAnswersAsTheDocumentSays() throws Exception {
    String rules = """
        rules:
          - name: sim-refused
            match:
              alert: ['alertname="KafkaConnectTaskFailure"']
              trace: 'Connection refused'
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            approval: { required: always, notify: approver }
            steps:
              - restart: {}
        """;
    String yaml = "rules: { paths: ['" + Daemon.rulesDir(tmp, "10-sim.yaml", rules) + "'] }\n"
        + "connect_clusters:\n  sim: { url: '" + connect.url() + "' }\n"
        + "notifiers:\n"
        + "  approver: { type: pagerduty, url: 'http://127.0.0.1:" + receivers.port() + "/pd', routing_key: R0UTING }\n"
        + "engine: { tick: 100ms, poll_interval: 100ms }\n";
    try (Daemon d = Daemon.start(yaml, tmp.resolve("data"))) {
      daemon = d;
      HttpResponse<String> doc = call("GET", "/api/v1/openapi.yaml", null);
      assertThat(doc.statusCode()).isEqualTo(200);
      assertThat(doc.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/yaml"));
      JsonObject spec = new JsonObject(new ObjectMapper(new YAMLFactory()).readValue(doc.body(), Map.class));
      assertThat(spec.getString("openapi")).isEqualTo("3.1.0");
      // Vert.x OpenAPI 5.0 validates JSON, text and binary bodies only (it refuses a contract with any
      // other media type): the document's own answer, application/yaml, was checked above (status, type,
      // a YAML body that is this OpenAPI 3.1 document); the validator gets the document without it.
      JsonObject forValidator = spec.copy();
      JsonObject docResponse = forValidator.getJsonObject("paths").getJsonObject("/api/v1/openapi.yaml")
          .getJsonObject("get").getJsonObject("responses").getJsonObject("200");
      assertThat(docResponse.getJsonObject("content").fieldNames()).containsExactly("application/yaml");
      docResponse.remove("content");
      OpenAPIContract contract = OpenAPIContract.from(vertx, forValidator).toCompletionStage().toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
      validator = ResponseValidator.create(vertx, contract);
      validated.add("getOpenApi");

      validate("healthy", call("GET", "/-/healthy", null));
      validate("ready", call("GET", "/-/ready", null));
      HttpResponse<String> metrics = call("GET", "/metrics", null);
      assertThat(metrics.headers().firstValue("Content-Type")).contains("text/plain; version=0.0.4; charset=utf-8");
      validate("metrics", metrics);
      validate("listRules", call("GET", "/api/v1/rules", null));
      validate("reloadRules", call("POST", "/-/reload", ""));
      validate("receiveAlerts", expect(400, call("POST", "/api/v1/alerts", "{\"alerts\": 7}")));
      AlertmanagerPayloads.Group g = AlertmanagerPayloads.group();
      for (String c : List.of("approved-sink", "rejected-sink")) {
        g.alert(AlertmanagerPayloads.Alert.firing(Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster",
            "sim", "connector", c, "task", "0"), Instant.now().minusSeconds(60)));
      }
      validate("receiveAlerts", expect(200, call("POST", "/api/v1/alerts", g.build())));

      String approved = d.awaitIncident("approved-sink", i -> "awaiting_approval".equals(i.getString("state")),
          Duration.ofSeconds(30)).getString("id");
      String rejected = d.awaitIncident("rejected-sink", i -> "awaiting_approval".equals(i.getString("state")),
          Duration.ofSeconds(30)).getString("id");
      validate("listIncidents", expect(200, call("GET", "/api/v1/incidents?state=open&limit=10", null)));
      validate("listIncidents", expect(400, call("GET", "/api/v1/incidents?limit=0", null)));
      validate("getIncident", expect(200, call("GET", "/api/v1/incidents/" + approved, null)));
      validate("getIncident", expect(404, call("GET", "/api/v1/incidents/inc-nope", null)));
      validate("approveIncident", expect(400, call("POST", "/api/v1/incidents/" + approved + "/approve", "{\"coment\":1}")));
      validate("approveIncident", expect(404, call("POST", "/api/v1/incidents/inc-nope/approve", "")));
      validate("approveIncident", expect(200, call("POST", "/api/v1/incidents/" + approved + "/approve",
          "{\"comment\":\"go\"}")));
      validate("approveIncident", expect(409, call("POST", "/api/v1/incidents/" + approved + "/approve", "")));
      validate("rejectIncident", expect(200, call("POST", "/api/v1/incidents/" + rejected + "/reject",
          "{\"comment\":\"DBA is on it\"}")));
      validate("getIncident", expect(200, call("GET", "/api/v1/incidents/" + rejected, null)));

      validate("requestAction", expect(202, call("POST", "/api/v1/actions",
          "{\"cluster\":\"sim\",\"connector\":\"on-demand-sink\",\"rule\":\"sim-refused\",\"comment\":\"drill\"}")));
      validate("requestAction", expect(409, call("POST", "/api/v1/actions",
          "{\"cluster\":\"sim\",\"connector\":\"on-demand-sink\",\"rule\":\"sim-refused\"}")));
      validate("requestAction", expect(400, call("POST", "/api/v1/actions",
          "{\"cluster\":\"sim\",\"connector\":\"on-demand-sink\",\"rule\":\"nope\"}")));
      validate("requestAction", expect(202, call("POST", "/api/v1/actions",
          "{\"cluster\":\"sim\",\"connector\":\"step-sink\",\"step\":{\"restart\":{}}}")));
      validate("requestAction", expect(400, call("POST", "/api/v1/actions",
          "{\"cluster\":\"sim\",\"connector\":\"step-sink\",\"step\":{\"explode\":{}}}")));

      HttpResponse<String> retry = call("POST", "/api/v1/incidents/" + rejected + "/retry", "{\"comment\":\"fixed\"}");
      boolean retryServed = !(retry.statusCode() == 404 && retry.body().contains("no such endpoint"));
      if (retryServed) {
        validate("retryIncident", retry);
      } else {
        LOG.warn("POST /api/v1/incidents/{id}/retry is not served by this build: its answers are not validated");
      }

      // Every operation of the document was met, and answered as it says.
      Set<String> documented = contract.operations().stream().map(Operation::getOperationId)
          .collect(Collectors.toCollection(TreeSet::new));
      if (!retryServed) {
        documented.remove("retryIncident");
      }
      assertThat(validated).isEqualTo(documented);

      // The human rejection acknowledged the approver's PagerDuty page (same dedup_key as its trigger).
      List<LoggedRequest> pages = Await.value("the rejected page acknowledged", Duration.ofSeconds(30), () -> {
        List<JsonObject> forRejected = receivers.findAll(postRequestedFor(urlEqualTo("/pd"))).stream()
            .map(r -> new JsonObject(r.getBodyAsString()))
            .filter(b -> b.getString("dedup_key").startsWith(rejected + "/")).toList();
        return forRejected.stream().anyMatch(b -> "acknowledge".equals(b.getString("event_action")))
            ? java.util.Optional.of(receivers.findAll(postRequestedFor(urlEqualTo("/pd")))) : java.util.Optional.empty();
      });
      List<JsonObject> forRejected = pages.stream().map(r -> new JsonObject(r.getBodyAsString()))
          .filter(b -> b.getString("dedup_key").startsWith(rejected + "/")).toList();
      assertThat(forRejected).extracting(b -> b.getString("event_action")).containsExactly("trigger", "acknowledge");
      assertThat(forRejected.get(1)).isEqualTo(new JsonObject().put("routing_key", "R0UTING")
          .put("event_action", "acknowledge").put("dedup_key", forRejected.get(0).getString("dedup_key")));
    }
  }

  private static HttpResponse<String> expect(int status, HttpResponse<String> r) {
    assertThat(r.statusCode()).as("%s %s: %s", r.request().method(), r.uri(), r.body()).isEqualTo(status);
    return r;
  }

  private HttpResponse<String> call(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(daemon.url() + path)).timeout(Duration.ofSeconds(30));
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The media type as Vert.x OpenAPI 5.0 compares it (literally, with at most a charset): Prometheus's
   * {@code text/plain; version=0.0.4; charset=utf-8} is {@code text/plain; charset=utf-8}.
   */
  private static String withoutVersion(String contentType) {
    return contentType.replaceAll(";\\s*version=[^;]*", "");
  }

  private void validate(String operationId, HttpResponse<String> r) throws Exception {
    Map<String, String> headers = new HashMap<>();
    r.headers().map().forEach((k, v) -> headers.put(k, String.join(",", v)));
    String type = r.headers().firstValue("Content-Type").map(OpenApiIT::withoutVersion).orElse(null);
    ValidatableResponse response = ValidatableResponse.create(r.statusCode(), headers, Buffer.buffer(r.body()), type);
    try {
      validator.validate(response, operationId).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError(operationId + " answered " + r.statusCode() + " " + type + " not as documented: "
          + e.getCause() + "\n" + r.body().substring(0, Math.min(2000, r.body().length())), e.getCause());
    }
    validated.add(operationId);
  }
}
