package io.runbookd.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.engine.ActiveRules;
import io.runbookd.engine.Operations;
import io.runbookd.metrics.RunbookdMetrics;
import io.runbookd.model.Approval;
import io.runbookd.rules.RuleLoader;
import io.runbookd.store.Store;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The approval routes against a stand-in store: who decided, and answers that never hang. */
class ApprovalHandlerTest {
  private static final Instant NOW = Instant.parse("2026-11-22T03:00:00Z");
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(java.time.Duration.ofSeconds(10)).build();

  private Vertx vertx;
  private HttpServer server;
  private final List<Object[]> calls = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Serves the approval routes; an authentication stand-in first puts {@code principal} (if any) on the context. */
  private String serve(String principal, Function<Object[], Object> decide) throws Exception {
    Store store = (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (p, m, a) -> {
      if (m.getName().equals("decideApproval")) {
        calls.add(a);
        return decide.apply(a);
      }
      throw new UnsupportedOperationException(m.getName());
    });
    Router router = Router.router(vertx);
    if (principal != null) {
      router.route().handler(ctx -> {
        ctx.put(ApprovalHandler.PRINCIPAL, principal);
        ctx.next();
      });
    }
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    ActiveRules rules = new ActiveRules(List.of(), RuleLoader.Context.unchecked(),
        new RunbookdMetrics(new PrometheusRegistry(), false), clock);
    ApprovalHandler.mount(router, Operations.create(vertx, store, rules, clock));
    server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").toCompletionStage()
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    return "http://127.0.0.1:" + server.actualPort();
  }

  private static HttpResponse<String> post(String url, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Object decided(Object[] a) {
    return new Approval.Outcome(Approval.Outcome.Status.DECIDED, new Approval((String) a[0], 2, -1, NOW.minusSeconds(60),
        NOW.plusSeconds(600), false, "owner", "{}", "why", NOW.minusSeconds(59), (Approval.Decision) a[1], (String) a[2],
        (String) a[3], (Instant) a[5], (String) a[4]));
  }

  @Test
  void theDeciderIsThePrincipalAnEarlierHandlerPutOnTheRequest() throws Exception {
    String url = serve("alice", ApprovalHandlerTest::decided);
    HttpResponse<String> r = post(url + "/api/v1/incidents/inc-7/approve", "{\"comment\": \"go\"}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(r.body())).isEqualTo(new JsonObject().put("incident_id", "inc-7").put("attempt", 2)
        .put("gate", -1).put("decision", "approved").put("decided_by", "alice").put("decided_at", NOW.toString())
        .put("comment", "go"));
    assertThat(calls).singleElement().satisfies(a -> assertThat(a)
        .containsExactly("inc-7", Approval.Decision.APPROVED, "human", "alice", "go", NOW));
  }

  @Test
  void withoutAPrincipalTheDeciderIsAnonymous() throws Exception {
    String url = serve(null, ApprovalHandlerTest::decided);
    HttpResponse<String> r = post(url + "/api/v1/incidents/inc-7/reject", "");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getString("decided_by")).isEqualTo("anonymous");
    assertThat(new JsonObject(r.body()).getString("decision")).isEqualTo("rejected");
  }

  @Test
  void badBodiesAre400AndNeverReachTheStore() throws Exception {
    String url = serve(null, ApprovalHandlerTest::decided);
    for (String body : List.of("[1]", "{\"comment\": 7}", "{\"reason\": \"x\"}", "not json",
        "{\"comment\": \"" + "x".repeat(1001) + "\"}")) {
      assertThat(post(url + "/api/v1/incidents/inc-7/approve", body).statusCode()).as(body).isEqualTo(400);
    }
    assertThat(calls).isEmpty();
  }

  @Test
  void anUnexpectedStoreAnswerIsA500NotAHang() throws Exception {
    String url = serve(null, a -> null);
    HttpResponse<String> r = post(url + "/api/v1/incidents/inc-7/approve", "");
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(new JsonObject(r.body())).isEqualTo(new JsonObject().put("error_code", 500).put("message", "internal error"));
  }
}
