package io.runbookd.http;

import io.runbookd.config.RunbookdConfig;
import io.runbookd.config.TlsConfig;
import io.runbookd.engine.Operations;
import io.runbookd.metrics.RunbookdMetrics;
import io.runbookd.model.IncidentQuery;
import io.runbookd.model.IncidentState;
import io.runbookd.rules.Durations;
import io.runbookd.rules.Rule;
import io.runbookd.rules.RuleSet;
import io.runbookd.rules.Step;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP listener: the webhook receiver and API under {@code /api/v1}, and the management endpoints
 * {@code /-/healthy}, {@code /-/ready}, {@code /-/reload} and {@code /metrics} following Prometheus'
 * management API (https://prometheus.io/docs/prometheus/latest/management_api/). Handlers are thin:
 * they parse and render, and ask the daemon everything else through {@link Operations}.
 */
public final class ApiServer extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

  private final RunbookdConfig.Server config;
  private final Operations operations;
  private final RunbookdMetrics metrics;
  private HttpServer server;
  private volatile boolean stopping;
  private final java.util.concurrent.atomic.AtomicInteger webhooksInFlight = new java.util.concurrent.atomic.AtomicInteger();

  /**
   * @param config listen address, body limit, authentication and TLS
   * @param operations what the handlers ask of the daemon
   * @param metrics counts requests and serves {@code /metrics}
   */
  public ApiServer(RunbookdConfig.Server config, Operations operations, RunbookdMetrics metrics) {
    this.config = Objects.requireNonNull(config, "config");
    this.operations = Objects.requireNonNull(operations, "operations");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    // A client that hung up (its body cut off, the connection reset) fails the request with its
    // connection's exception, which Vert.x Web would log as an unhandled ERROR with a stack trace.
    router.route().failureHandler(ctx -> {
      if (clientGone(ctx)) {
        clientGoneLine(ctx);
      } else {
        ctx.next();
      }
    });
    // First on every request, before any body is read: 401 unless the request's scope is open or its
    // credentials match (see Auth). Routes added later (approvals) are covered by their path's scope.
    router.route().handler(new Auth(config.auth(), metrics));
    router.post("/api/v1/alerts").handler(this::acceptWebhook);
    router.post("/api/v1/alerts").handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()))
        .handler(new WebhookHandler(operations, metrics));
    router.get("/api/v1/rules").handler(this::rules);
    router.get("/api/v1/incidents").handler(this::incidents);
    router.get("/api/v1/incidents/:id").handler(this::incident);
    ApprovalHandler.mount(router, operations);
    UiRoutes.mount(router, operations);
    ActionsHandler.mount(router, operations);
    RetryHandler.mount(router, operations);
    router.get("/-/healthy").handler(ctx -> ctx.response().putHeader("Content-Type", "text/plain").end("runbookd is Healthy.\n"));
    router.get("/-/ready").handler(this::ready);
    router.post("/-/reload").handler(this::reload);
    router.get("/metrics").handler(this::metrics);
    router.get("/api/v1/openapi.yaml").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "application/yaml; charset=utf-8").end(OPENAPI));
    router.errorHandler(413, ctx -> {
      metrics.webhookRequest(413);
      ErrorResponse.send(ctx, 413, "request body larger than " + config.maxBodyBytes() + " bytes");
    });
    router.errorHandler(404, ctx -> ErrorResponse.send(ctx, 404, "no such endpoint: " + ctx.request().method() + " " + ctx.request().path()));
    router.errorHandler(405, ctx -> ErrorResponse.send(ctx, 405, "method not allowed: " + ctx.request().method() + " " + ctx.request().path()));
    router.errorHandler(500, ctx -> {
      if (clientGone(ctx)) {
        clientGoneLine(ctx);
        return;
      }
      LOG.error("path={} msg=\"request failed\"", ctx.request().path(), ctx.failure());
      ErrorResponse.send(ctx, 500, "internal error");
    });
    for (String warning : Auth.warnings(config.auth(), config.tls(), config.host())) {
      LOG.warn("msg=\"{}\"", warning);
    }
    return vertx.createHttpServer(serverOptions(config.tls())).requestHandler(router).listen(config.port(), config.host()).onSuccess(s -> {
      server = s;
      LOG.info("listen={}:{} tls={} client_certs={} msg=\"HTTP server listening\"", config.host(), s.actualPort(),
          config.tls() != null, config.tls() != null && config.tls().clientCaFile() != null);
    });
  }

  private static final String CLIENT_GONE = "runbookd.client-gone";

  /** The OpenAPI 3.1 document of this API ({@code src/main/resources/api/openapi.yaml}), served as it is. */
  static final io.vertx.core.buffer.Buffer OPENAPI = openApi();

  private static io.vertx.core.buffer.Buffer openApi() {
    try (java.io.InputStream in = ApiServer.class.getResourceAsStream("/api/openapi.yaml")) {
      if (in == null) {
        throw new IllegalStateException("api/openapi.yaml is missing from the jar");
      }
      return io.vertx.core.buffer.Buffer.buffer(in.readAllBytes());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Nobody to answer: one DEBUG line, no stack trace (a client that hangs up is not runbookd's error). */
  private static void clientGoneLine(RoutingContext ctx) {
    // The connection's exception and its closing may both fail the request: one line per request.
    if (ctx.get(CLIENT_GONE) != null) {
      return;
    }
    ctx.put(CLIENT_GONE, Boolean.TRUE);
    LOG.debug("method={} path={} msg=\"client disconnected before the answer: {}\"", ctx.request().method(),
        ctx.request().path(), ctx.failure() == null ? "connection closed" : ctx.failure().toString());
  }

  /**
   * Whether the request failed because its client went away (the connection closed or reset while the
   * body was read or the answer written), rather than because of runbookd.
   */
  static boolean clientGone(RoutingContext ctx) {
    if (ctx.response().closed()) {
      return true;
    }
    for (Throwable t = ctx.failure(); t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof io.vertx.core.http.HttpClosedException || t instanceof java.nio.channels.ClosedChannelException) {
        return true;
      }
      if (t instanceof java.io.IOException && t.getMessage() != null
          && (t.getMessage().contains("Connection reset") || t.getMessage().contains("Broken pipe"))) {
        return true;
      }
    }
    return false;
  }

  /** Plain HTTP, or HTTPS with PEM files (and client certificates when {@code client_ca_file} is set). */
  static HttpServerOptions serverOptions(TlsConfig tls) {
    HttpServerOptions options = new HttpServerOptions();
    if (tls == null) {
      return options;
    }
    options.setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.certFile()).setKeyPath(tls.keyFile()))
        .setEnabledSecureTransportProtocols(tls.protocols());
    if (tls.clientCaFile() != null) {
      options.setTrustOptions(new PemTrustOptions().addCertPath(tls.clientCaFile())).setClientAuth(ClientAuth.REQUIRED);
    }
    return options;
  }

  /**
   * The first step of a graceful stop: from now on webhooks are answered 503 (Alertmanager retries, on
   * another replica or after the restart) and {@code /-/ready} is 503, so load balancers stop sending;
   * the other endpoints keep answering until the listener closes.
   */
  public void stopAccepting() {
    stopping = true;
  }

  /** Webhooks received before {@link #stopAccepting()} and not answered yet. */
  public int webhooksInFlight() {
    return webhooksInFlight.get();
  }

  private void acceptWebhook(RoutingContext ctx) {
    if (stopping) {
      metrics.webhookRequest(503);
      ctx.response().putHeader("Connection", "close").putHeader("Retry-After", "5");
      ErrorResponse.send(ctx, 503, SHUTTING_DOWN);
      return;
    }
    webhooksInFlight.incrementAndGet();
    ctx.addEndHandler(ar -> webhooksInFlight.decrementAndGet());
    ctx.next();
  }

  private static final String SHUTTING_DOWN = "runbookd is shutting down; retry on another replica or after it restarts";

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  private void rules(RoutingContext ctx) {
    operations.rules().onComplete(ar -> render(ctx, ar, set -> json(ctx, 200, rulesJson(set))));
  }

  private static JsonObject rulesJson(RuleSet set) {
    JsonArray out = new JsonArray();
    for (Rule r : set.rules()) {
      JsonArray steps = new JsonArray();
      for (Step s : r.steps()) {
        steps.add(s.type());
      }
      JsonArray escalation = new JsonArray();
      for (Rule.EscalationLevel l : r.escalation()) {
        escalation.add(new JsonObject().put("after", Durations.format(l.after())).put("notify", l.notifier()));
      }
      out.add(new JsonObject()
          .put("name", r.name())
          .put("description", r.description())
          .put("source", r.source().toString())
          .put("match", new JsonObject()
              .put("alert", new JsonArray(r.alertMatchers().stream().map(Object::toString).toList()))
              .put("trace", r.trace().map(io.runbookd.alert.LinearPattern::pattern).orElse(null)))
          .put("target", new JsonObject().put("cluster", r.target().cluster().source()).put("connector", r.target().connector().source()))
          .put("retry", new JsonObject().put("max_attempts", r.retry().maxAttempts())
              .put("backoff", new JsonArray(r.retry().backoff().stream().map(Durations::format).toList()))
              .put("reset_after", Durations.format(r.retry().resetAfter())))
          .put("steps", steps)
          .put("escalation", escalation)
          .put("dry_run", r.dryRun()));
    }
    return new JsonObject().put("loaded_at", set.loadedAt().toString()).put("files", new JsonArray(set.files())).put("rules", out);
  }

  private void incidents(RoutingContext ctx) {
    IncidentQuery q;
    try {
      q = IncidentsJson.query(ctx.queryParams());
    } catch (IllegalArgumentException e) {
      ErrorResponse.send(ctx, 400, e.getMessage());
      return;
    }
    operations.incidents(q).onComplete(ar -> render(ctx, ar, list -> {
      JsonArray items = new JsonArray();
      list.forEach(i -> items.add(IncidentsJson.incident(i)));
      json(ctx, 200, new JsonObject().put("incidents", items).put("limit", q.limit()).put("offset", q.offset()));
    }));
  }

  private void incident(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    operations.incident(id).onComplete(ar -> render(ctx, ar, found -> {
      if (found.isEmpty()) {
        ErrorResponse.send(ctx, 404, "no incident " + id);
      } else {
        json(ctx, 200, IncidentsJson.detail(found.get()));
      }
    }));
  }

  private void ready(RoutingContext ctx) {
    if (stopping) {
      ErrorResponse.send(ctx, 503, "not ready: " + SHUTTING_DOWN);
      return;
    }
    operations.ready().onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.response().putHeader("Content-Type", "text/plain").end("runbookd is Ready.\n");
      } else {
        ErrorResponse.send(ctx, 503, "not ready: " + ar.cause().getMessage());
      }
    });
  }

  private void reload(RoutingContext ctx) {
    operations.reloadRules("api").onComplete(ar -> {
      if (ar.succeeded()) {
        json(ctx, 200, new JsonObject().put("status", "success").put("rules", ar.result().rules().size()));
      } else {
        ErrorResponse.send(ctx, 500, "failed to reload rules; the last good rules stay active: " + ar.cause().getMessage());
      }
    });
  }

  private void metrics(RoutingContext ctx) {
    vertx.executeBlocking(metrics::scrape, false).onComplete(ar -> {
      if (ar.failed()) {
        ErrorResponse.send(ctx, 500, ar.cause().getMessage());
        return;
      }
      ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
          .end(io.vertx.core.buffer.Buffer.buffer(ar.result()));
    });
  }

  /**
   * Answers from an {@link Operations} result: 503 with the store's message when it did not answer,
   * else {@code onSuccess}; any other failure, or one while rendering, goes to the router's 500 handler.
   */
  private static <T> void render(RoutingContext ctx, AsyncResult<T> ar, Consumer<T> onSuccess) {
    if (ErrorResponse.storeUnavailable(ctx, ar)) {
      return;
    }
    try {
      if (ar.failed()) {
        throw ar.cause();
      }
      onSuccess.accept(ar.result());
    } catch (Throwable e) {
      ctx.fail(e);
    }
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(Redacted.json(body).encode());
  }

  static IncidentState state(String s) {
    try {
      return IncidentState.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown state \"" + s + "\"");
    }
  }

  static Instant instant(String s) {
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("since must be an RFC 3339 time, got \"" + s + "\"");
    }
  }
}
