package io.runbookd.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.engine.ActiveRules;
import io.runbookd.engine.Operations;
import io.runbookd.metrics.RunbookdMetrics;
import io.runbookd.model.RetryOutcome;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** "Fixed — retry" over HTTP: who asked and why reach the store; each store answer has its status and body. */
class RetryHandlerTest {
  private static final Instant NOW = Instant.parse("2026-11-28T03:00:00Z");
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(java.time.Duration.ofSeconds(10)).build();

  private Vertx vertx;
  private final List<Object[]> calls = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private String serve(String principal, RetryOutcome.Status status) throws Exception {
    Store store = (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (p, m, a) -> {
      if (m.getName().equals("requestRetry")) {
        calls.add(a);
        return new RetryOutcome(status, (String) a[0], (String) a[1], (Instant) a[3], (String) a[2]);
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
    RetryHandler.mount(router, Operations.create(vertx, store, rules, clock));
    HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").toCompletionStage()
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    return "http://127.0.0.1:" + server.actualPort() + "/api/v1/incidents/inc-7/retry";
  }

  private static HttpResponse<String> post(String url, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anAcceptedRetryIs202WithWhoWhenAndWhy() throws Exception {
    HttpResponse<String> r = post(serve("alice", RetryOutcome.Status.ACCEPTED),
        "{\"comment\": \"password changed back with ALTER ROLE\"}");
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(new JsonObject(r.body())).isEqualTo(new JsonObject().put("incident_id", "inc-7").put("requested_by", "alice")
        .put("requested_at", NOW.toString()).put("comment", "password changed back with ALTER ROLE"));
    assertThat(calls).singleElement().satisfies(a -> assertThat(a)
        .containsExactly("inc-7", "alice", "password changed back with ALTER ROLE", NOW));
  }

  @Test
  void noIncidentIs404AClosedOneOrOneBeingActedOnIs409InTheErrorShape() throws Exception {
    HttpResponse<String> missing = post(serve(null, RetryOutcome.Status.NO_INCIDENT), "");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(missing.body())).isEqualTo(new JsonObject().put("error_code", 404)
        .put("message", "no incident inc-7"));
    assertThat(calls).singleElement().satisfies(a -> assertThat(a[1]).isEqualTo("anonymous"));
    HttpResponse<String> closed = post(serve(null, RetryOutcome.Status.CLOSED), "");
    assertThat(closed.statusCode()).isEqualTo(409);
    assertThat(new JsonObject(closed.body()).getString("message")).contains("is closed");
    assertThat(post(serve(null, RetryOutcome.Status.BUSY), "").statusCode()).isEqualTo(409);
  }

  @Test
  void aBadBodyIs400AndNeverReachesTheStore() throws Exception {
    String url = serve("alice", RetryOutcome.Status.ACCEPTED);
    for (String body : List.of("[1]", "{\"comment\": 7}", "{\"why\": \"x\"}", "not json")) {
      assertThat(post(url, body).statusCode()).as(body).isEqualTo(400);
    }
    assertThat(calls).isEmpty();
  }
}
