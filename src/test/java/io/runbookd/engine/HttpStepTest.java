package io.runbookd.engine;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.config.ConfigLoader;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.connect.ConnectApi;
import io.runbookd.connect.ConnectClusters;
import io.runbookd.metrics.RunbookdMetrics;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentState;
import io.runbookd.notify.Notifiers;
import io.runbookd.rules.RuleLoadException;
import io.runbookd.rules.RuleLoader;
import io.runbookd.rules.RuleSet;
import io.runbookd.rules.Step;
import io.runbookd.store.Store;
import io.runbookd.store.StoreSettings;
import io.runbookd.store.Stores;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code http} step against a real HTTP server (WireMock): what the rule author writes is what is sent
 * (templates, percent-encoded values, secret-file headers), the answer is checked against {@code expect},
 * polling ends when the answer meets it or at {@code within}, every request is bounded by its timeout, and
 * the recorded answer never shows a secret.
 */
class HttpStepTest {
  @TempDir
  Path tmp;

  private WireMockServer server;
  private Vertx vertx;
  private Store store;
  private StepExecutor executor;

  @BeforeEach
  void start() {
    server = new WireMockServer(options().dynamicPort());
    server.start();
    vertx = Vertx.vertx();
    store = Stores.open(StoreSettings.sqlite(tmp.resolve("data")));
    RunbookdConfig config = ConfigLoader.parse("connect_clusters: { c1: { url: 'http://unused:8083' } }\n", "runbookd.yaml");
    EngineDeps deps = new EngineDeps(vertx, Clock.systemUTC(), store, () -> null, new ConnectClusters(Map.of()),
        new Notifiers(Map.of()), new RunbookdMetrics(new PrometheusRegistry(), false), config.engine(), false, "test",
        Guards.from(config.guards()));
    executor = new StepExecutor(deps);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    store.close();
    server.stop();
  }

  private String base() {
    return "http://localhost:" + server.port();
  }

  private static Step.Http step(String yaml) throws RuleLoadException {
    RuleSet rules = new RuleLoader(new RuleLoader.Context(Set.of("c1"), Set.of()), Clock.systemUTC()).parse("r.yaml", """
        rules:
          - name: r
            match: { alert: ['alertname="KafkaConnectTaskFailure"'] }
            target: { cluster: c1, connector: '{{ labels.connector }}' }
            steps:
              - http: %s
        """.formatted(yaml));
    return (Step.Http) rules.rules().get(0).steps().get(0);
  }

  /** A Connect stand-in whose only answer is the connector config. */
  private static ConnectApi connect(Map<String, String> config) {
    return (ConnectApi) Proxy.newProxyInstance(HttpStepTest.class.getClassLoader(), new Class<?>[] {ConnectApi.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "config" -> Future.succeededFuture(config);
          case "cluster" -> "c1";
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  private StepExecutor.Result run(Step step, String connector, Map<String, String> config) throws Exception {
    return run(step, connector, config, Map.of("alertname", "KafkaConnectTaskFailure", "connector", connector), Map.of());
  }

  private StepExecutor.Result run(Step step, String connector, Map<String, String> config, Map<String, String> labels,
      Map<String, String> annotations) throws Exception {
    Instant now = Instant.now();
    Incident inc = new Incident("inc-1", "c1", connector, "r", IncidentState.REMEDIATING, null, 1, "cause", "trace", now,
        now, null, null, null, null, null, null);
    return executor.run(step, new StepExecutor.Target(inc, connect(config), labels, annotations))
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Test
  @SuppressWarnings("unchecked")
  void aStatusAndBodyThatMeetTheExpectationEndTheStepOkWithTheAnswerRecorded() throws Exception {
    server.stubFor(get(urlEqualTo("/health")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody("{\"status\": \"UP\"}")));
    StepExecutor.Result r = run(step("{ url: '" + base() + "/health', expect: { status: [200, 204], body: '\"status\":\\s*\"UP\"' } }"),
        "orders", Map.of());
    assertThat(r.outcome()).isEqualTo("ok");
    Map<String, Object> after = new io.vertx.core.json.JsonObject(r.after()).getMap();
    assertThat(after).containsEntry("status", 200).containsEntry("body", "{\"status\": \"UP\"}").containsEntry("requests", 1);
    assertThat((Map<String, Object>) after.get("headers")).containsEntry("content-type", "application/json");
  }

  @Test
  void aStatusOrBodyThatMissesFailsTheStepNamingWhatCameBack() throws Exception {
    server.stubFor(get(urlEqualTo("/health")).willReturn(aResponse().withStatus(200).withBody("{\"status\": \"DOWN\"}")));
    server.stubFor(get(urlEqualTo("/gone")).willReturn(aResponse().withStatus(404)));
    StepExecutor.Result body = run(step("{ url: '" + base() + "/health', expect: { body: 'UP' } }"), "orders", Map.of());
    assertThat(body.outcome()).isEqualTo("failed");
    assertThat(body.error()).isEqualTo("GET " + base() + "/health answered 200 without a body matching UP");
    assertThat(body.after()).contains("DOWN");
    StepExecutor.Result status = run(step("{ url: '" + base() + "/gone', expect: { status: 2xx } }"), "orders", Map.of());
    assertThat(status.error()).isEqualTo("GET " + base() + "/gone answered 404, expected 2xx");
  }

  @Test
  void valuesPutIntoTheUrlArePercentEncodedAndTheSchemaRegistryUrlComesFromTheConnectorConfig() throws Exception {
    server.stubFor(get(urlEqualTo("/subjects/a%20b%2Fc-value/versions")).willReturn(aResponse().withStatus(200)));
    StepExecutor.Result r = run(step("{ url: '{{ schema_registry.url }}/subjects/{{ target.connector }}-value/versions' }"),
        "a b/c", Map.of("value.converter.schema.registry.url", base() + "/, http://second:8081"));
    assertThat(r.outcome()).as(String.valueOf(r.error())).isEqualTo("ok");
    server.verify(1, getRequestedFor(urlEqualTo("/subjects/a%20b%2Fc-value/versions")));

    server.stubFor(get(urlEqualTo("/base/x%2Fy")).willReturn(aResponse().withStatus(200)));
    StepExecutor.Result raw = run(step("{ url: '{{ annotations.base | raw }}/{{ labels.path }}' }"), "orders", Map.of(),
        Map.of("alertname", "KafkaConnectTaskFailure", "path", "x/y"), Map.of("base", base() + "/base"));
    assertThat(raw.outcome()).as("raw puts a value in as it is; others are encoded").isEqualTo("ok");

    StepExecutor.Result none = run(step("{ url: '{{ schema_registry.url }}/subjects' }"), "orders", Map.of());
    assertThat(none.outcome()).as("no URL in the connector config: nothing to call, the steps go on").isEqualTo("skipped");
    assertThat(none.error()).contains("names no Schema Registry");
  }

  @Test
  void pollingEndsAtTheFirstAnswerThatMeetsTheExpectation() throws Exception {
    server.stubFor(get(urlEqualTo("/subjects")).inScenario("sr").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withStatus(503)).willSetStateTo("one"));
    server.stubFor(get(urlEqualTo("/subjects")).inScenario("sr").whenScenarioStateIs("one")
        .willReturn(aResponse().withStatus(503)).willSetStateTo("up"));
    server.stubFor(get(urlEqualTo("/subjects")).inScenario("sr").whenScenarioStateIs("up")
        .willReturn(aResponse().withStatus(200).withBody("[]")));
    StepExecutor.Result r = run(step("{ url: '" + base() + "/subjects', expect: { status: [200] },"
        + " until: { every: 100ms, within: 20s } }"), "orders", Map.of());
    assertThat(r.outcome()).isEqualTo("ok");
    assertThat(new io.vertx.core.json.JsonObject(r.after()).getMap()).containsEntry("requests", 3);
    server.verify(3, getRequestedFor(urlEqualTo("/subjects")));
  }

  @Test
  void pollingFailsAtWithinWithTheLastAnswer() throws Exception {
    server.stubFor(get(urlEqualTo("/subjects")).willReturn(aResponse().withStatus(503).withBody("unavailable")));
    long t0 = System.nanoTime();
    StepExecutor.Result r = run(step("{ url: '" + base() + "/subjects', until: { every: 100ms, within: 1s } }"),
        "orders", Map.of());
    long ms = (System.nanoTime() - t0) / 1_000_000;
    int requests = server.findAll(getRequestedFor(urlEqualTo("/subjects"))).size();
    System.out.println("MEASURED http step poll within=1s every=100ms took_ms=" + ms + " requests=" + requests);
    assertThat(r.outcome()).isEqualTo("failed");
    assertThat(r.error()).startsWith("no answer met the expectation within 1s (" + requests + " requests); the last: GET "
        + base() + "/subjects answered 503, expected 2xx");
    assertThat(requests).isGreaterThan(1);
    assertThat(r.after()).contains("unavailable");
  }

  @Test
  void aHangingEndpointIsCutAtTheTimeoutAndALongBodyAt64KiB() throws Exception {
    server.stubFor(get(urlEqualTo("/slow")).willReturn(aResponse().withStatus(200).withFixedDelay(5_000)));
    long t0 = System.nanoTime();
    StepExecutor.Result slow = run(step("{ url: '" + base() + "/slow', timeout: 500ms }"), "orders", Map.of());
    System.out.println("MEASURED http step against a 5s endpoint with timeout=500ms took_ms="
        + (System.nanoTime() - t0) / 1_000_000);
    assertThat(slow.outcome()).isEqualTo("failed");
    assertThat(slow.error()).isEqualTo("GET " + base() + "/slow failed: GET timed out after 500 ms");

    server.stubFor(get(urlEqualTo("/big")).willReturn(aResponse().withStatus(200).withBody("x".repeat(300_000) + "END")));
    StepExecutor.Result big = run(step("{ url: '" + base() + "/big', expect: { body: END } }"), "orders", Map.of());
    assertThat(big.outcome()).as("the end of the body is past the 64 KiB read").isEqualTo("failed");
    Map<String, Object> after = new io.vertx.core.json.JsonObject(big.after()).getMap();
    assertThat(after).containsEntry("body_truncated", true);
    assertThat((String) after.get("body")).hasSize(HttpSteps.EXCERPT);
  }

  @Test
  void aSecretFileHeaderIsSentButNeverRecorded() throws Exception {
    Path token = Files.writeString(tmp.resolve("vault-token"), "hvs.s3cr3t-token-value\n");
    server.stubFor(post(urlEqualTo("/v1/sys/leases/renew")).willReturn(aResponse().withStatus(200)
        .withBody("{\"auth\":\"{{request.headers.Authorization}}\",\"lease\":\"{{jsonPath request.body '$.lease_id'}}\"}")
        .withTransformers("response-template")));
    StepExecutor.Result r = run(step("{ method: POST, url: '" + base() + "/v1/sys/leases/renew',"
        + " headers: { Authorization: { file: '" + token + "', prefix: 'Bearer ' }, Content-Type: application/json },"
        + " body: '{\"lease_id\": \"db/creds/{{ target.connector }}\"}' }"), "orders", Map.of());
    assertThat(r.outcome()).as(String.valueOf(r.error())).isEqualTo("ok");
    server.verify(postRequestedFor(urlEqualTo("/v1/sys/leases/renew"))
        .withHeader("Authorization", equalTo("Bearer hvs.s3cr3t-token-value")));
    assertThat(r.after()).doesNotContain("s3cr3t").contains("Bearer <redacted>").contains("db/creds/orders");

    StepExecutor.Result missing = run(step("{ url: '" + base() + "/x', headers: { Authorization: { file: '"
        + tmp.resolve("none") + "' } } }"), "orders", Map.of());
    assertThat(missing.outcome()).isEqualTo("failed");
    assertThat(missing.error()).contains("cannot read the secret file of header Authorization");
  }

  @Test
  void badHttpStepsAreLoadErrorsNamingTheKey() {
    assertThatThrownBy(() -> step("{ url: '/relative' }")).hasMessageContaining("steps[0].http.url must be an absolute"
        + " http:// or https:// URL");
    assertThatThrownBy(() -> step("{ url: 'http://x', expect: { status: 2x } }"))
        .hasMessageContaining("steps[0].http.expect.status must be a status (200), a class (2xx) or a range (200-299)");
    assertThatThrownBy(() -> step("{ url: 'http://x', until: { every: 1m, within: 30s } }"))
        .hasMessageContaining("steps[0].http.until.every (1m) must be shorter than within (30s)");
    assertThatThrownBy(() -> step("{ url: 'http://x', retries: 3 }")).hasMessageContaining("unknown key \"retries\"");
    assertThatThrownBy(() -> step("{ url: 'http://x/{{ schema_registry.uri }}' }"))
        .hasMessageContaining("schema_registry.uri");
  }
}
