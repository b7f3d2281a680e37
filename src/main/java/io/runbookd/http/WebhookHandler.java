package io.runbookd.http;

import io.runbookd.alert.WebhookMessage;
import io.runbookd.alert.WebhookParser;
import io.runbookd.engine.Operations;
import io.runbookd.engine.ServiceUnavailableException;
import io.runbookd.metrics.RunbookdMetrics;
import io.runbookd.model.AlertEvent;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/alerts}: the Alertmanager webhook receiver (the body Alertmanager's
 * {@code webhook_config} sends, https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
 *
 * <p>Answers 200 only after every alert of the body is committed to the store; 503 when the store
 * cannot commit (Alertmanager retries 5xx); 400 with a reason for a malformed body (Alertmanager does
 * not retry 4xx); 415 for a body that is not JSON. Remediation runs later, never inside the request.
 */
final class WebhookHandler implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookHandler.class);

  private final Operations operations;
  private final RunbookdMetrics metrics;

  WebhookHandler(Operations operations, RunbookdMetrics metrics) {
    this.operations = Objects.requireNonNull(operations, "operations");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  @Override
  public void handle(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (type != null && !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      reply(ctx, 415, "Content-Type must be application/json, got \"" + type + "\"");
      return;
    }
    WebhookMessage msg;
    try {
      msg = WebhookParser.parse(ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes());
    } catch (WebhookParser.InvalidWebhookException e) {
      reply(ctx, 400, e.getMessage());
      return;
    }
    operations.recordWebhook(msg).onComplete(ar -> {
      if (ar.failed() && ar.cause() instanceof ServiceUnavailableException e) {
        LOG.warn("alerts={} receiver={} msg=\"webhook not committed, answering 503 so Alertmanager retries: {}\"",
            msg.alerts().size(), msg.receiver(), e.getMessage());
        reply(ctx, 503, "store unavailable, retry later: " + e.getMessage());
        return;
      }
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      for (AlertEvent e : ar.result()) {
        metrics.alertReceived(e.alertname(), e.status());
      }
      metrics.webhookRequest(200);
      ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("status", "success").put("alerts", ar.result().size()).encode());
    });
  }

  private void reply(RoutingContext ctx, int status, String message) {
    metrics.webhookRequest(status);
    ErrorResponse.send(ctx, status, message);
  }
}
