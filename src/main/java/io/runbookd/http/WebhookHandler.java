package io.runbookd.http;

import io.runbookd.alert.WebhookMessage;
import io.runbookd.alert.WebhookParser;
import io.runbookd.model.AlertEvent;
import io.runbookd.engine.IncidentEngine;
import io.runbookd.metrics.RunbookdMetrics;
import io.runbookd.store.AlertRecorder;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/alerts}: the Alertmanager webhook receiver.
 *
 * <p>Answers 200 only after every alert of the body is committed to the store; 503 when the store
 * cannot commit (Alertmanager retries 5xx); 400 with a reason for a malformed body (Alertmanager does
 * not retry 4xx); 415 for a body that is not JSON. Remediation runs later, never inside the request.
 */
final class WebhookHandler implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookHandler.class);

  private final AlertRecorder recorder;
  private final RunbookdMetrics metrics;
  private final Clock clock;

  WebhookHandler(AlertRecorder recorder, RunbookdMetrics metrics, Clock clock) {
    this.recorder = recorder;
    this.metrics = metrics;
    this.clock = clock;
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
    Instant now = clock.instant();
    List<AlertEvent> events = new ArrayList<>(msg.alerts().size());
    for (WebhookMessage.Alert a : msg.alerts()) {
      events.add(new AlertEvent(0, now, a.fingerprint(), a.status(), a.startsAt(), a.endsAt(), a.labels(),
          a.annotations() == null ? Map.of() : a.annotations(), msg.receiver(), msg.groupKey()));
    }
    recorder.record(events).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("alerts={} receiver={} msg=\"webhook not committed, answering 503 so Alertmanager retries: {}\"",
            events.size(), msg.receiver(), ar.cause().getMessage());
        reply(ctx, 503, "store unavailable, retry later: " + ar.cause().getMessage());
        return;
      }
      for (AlertEvent e : events) {
        metrics.alertReceived(e.alertname(), e.status());
      }
      metrics.webhookRequest(200);
      ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("status", "success").put("alerts", events.size()).encode());
      ctx.vertx().eventBus().send(IncidentEngine.WAKE_ADDRESS, null);
    });
  }

  private void reply(RoutingContext ctx, int status, String message) {
    metrics.webhookRequest(status);
    ErrorResponse.send(ctx, status, message);
  }
}
