package io.runbookd.notify;

import io.runbookd.config.RunbookdConfig;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Posts notifications as JSON over HTTP, in one of three shapes:
 *
 * <ul>
 *   <li>{@code webhook}: the whole {@link Notification} as JSON fields (snake_case) plus {@code sent_at},
 *       {@code idempotency_key} (equal to {@code dedup_key}) and {@code redelivery};
 *   <li>{@code slack}: a Slack-compatible incoming-webhook body {@code {"text": "..."}} plus
 *       {@code idempotency_key} and {@code redelivery} (Slack ignores them and cannot deduplicate, so a
 *       redelivery also says so at the end of the text);
 *   <li>{@code pagerduty}: a PagerDuty Events API v2 {@code trigger} event with {@code dedup_key}
 *       (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/): PagerDuty folds a trigger
 *       with the dedup_key of an open alert into that alert; {@code redelivery} and {@code idempotency_key}
 *       are in {@code payload.custom_details}.
 * </ul>
 *
 * <p>Every request carries the header {@value #IDEMPOTENCY_KEY} (the notification's key, the same for
 * every delivery of it), and a redelivery the header {@value #REDELIVERY}{@code : true}. The whole
 * exchange (connecting, sending, waiting for the answer) is bounded by the notifier's {@code timeout}.
 */
final class HttpNotifier implements Notifier {
  static final String PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue";
  /** The idempotency key header (as in the IETF httpapi draft "The Idempotency-Key HTTP Header Field"). */
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  /** Present, with value {@code true}, on a delivery that may have reached the receiver before. */
  static final String REDELIVERY = "X-Runbookd-Redelivery";

  private final String name;
  private final RunbookdConfig.Notifier config;
  private final WebClient client;

  HttpNotifier(String name, RunbookdConfig.Notifier config, WebClient client) {
    this.name = name;
    this.config = config;
    this.client = client;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public java.time.Duration timeout() {
    return config.timeout();
  }

  @Override
  public Future<Void> send(Notification n) {
    String url = config.url() != null ? config.url().reveal() : PAGERDUTY_URL;
    long timeoutMs = Math.max(1, config.timeout().toMillis());
    HttpRequest<Buffer> req = client.postAbs(url).timeout(timeoutMs);
    for (Map.Entry<String, String> h : config.headers().entrySet()) {
      req.putHeader(h.getKey(), h.getValue());
    }
    req.putHeader(IDEMPOTENCY_KEY, n.dedupKey());
    if (n.redelivery()) {
      req.putHeader(REDELIVERY, "true");
    }
    return req.sendJsonObject(body(n))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .recover(err -> Future.failedFuture(new NotifyException("notifier " + name + ": " + (err instanceof TimeoutException
            ? "no answer within " + timeoutMs + " ms (timeout)" : redact(err.getMessage(), url)), null)))
        .compose(resp -> {
          if (resp.statusCode() / 100 == 2) {
            return Future.<Void>succeededFuture();
          }
          // Receivers often echo the request path (a Slack or webhook URL's secret) in their error body:
          // mask it before cutting, so no part of it is left.
          String text = resp.bodyAsString() == null ? null : redact(resp.bodyAsString(), url);
          if (text != null && text.length() > 200) {
            text = text.substring(0, 200);
          }
          return Future.failedFuture(new NotifyException(
              "notifier " + name + ": HTTP " + resp.statusCode() + (text == null ? "" : ": " + text), null));
        });
  }

  /**
   * {@code message} without the notifier URL or its path: a Slack or webhook URL is a secret, and
   * Vert.x puts the request path into some errors ("... while executing POST /services/T0/B0/XXX").
   * The cause is not kept for the same reason. Every other configured secret is masked too
   * ({@link io.runbookd.config.Secrets#redactKnown}).
   */
  static String redact(String message, String url) {
    if (message == null) {
      return "request failed";
    }
    String out = message.replace(url, "<notifier url>");
    try {
      java.net.URI u = java.net.URI.create(url);
      String path = u.getRawPath();
      if (path != null && path.length() > 1) {
        out = out.replace(path + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery()), "<path>").replace(path, "<path>");
      }
    } catch (IllegalArgumentException e) {
      // not a URI: the whole-URL replacement above is all we can do
    }
    return io.runbookd.config.Secrets.redactKnown(out);
  }

  JsonObject body(Notification n) {
    switch (config.type()) {
      case "slack":
        return new JsonObject()
            .put("text", n.redelivery() ? n.message() + "\n_(runbookd redelivery of " + n.dedupKey()
                + ": this message may have been sent before)_" : n.message())
            .put("idempotency_key", n.dedupKey())
            .put("redelivery", n.redelivery());
      case "pagerduty":
        return new JsonObject()
            .put("routing_key", config.routingKey() == null ? "" : config.routingKey().reveal())
            .put("event_action", "trigger")
            .put("dedup_key", n.dedupKey())
            .put("payload", new JsonObject()
                .put("summary", n.message().length() > 1024 ? n.message().substring(0, 1024) : n.message())
                .put("source", n.connector() == null ? n.cluster() : n.cluster() + "/" + n.connector())
                .put("severity", n.severity())
                .put("component", n.connector() == null ? n.cluster() : n.connector())
                .put("group", n.cluster())
                .put("class", n.rule() == null ? n.kind() : n.rule())
                .put("custom_details", new JsonObject().put("incident", n.incidentId()).put("cause", n.cause())
                    .put("idempotency_key", n.dedupKey()).put("redelivery", n.redelivery())));
      default:
        return new JsonObject()
            .put("kind", n.kind())
            .put("severity", n.severity())
            .put("message", n.message())
            .put("incident_id", n.incidentId())
            .put("rule", n.rule())
            .put("cluster", n.cluster())
            .put("connector", n.connector())
            .put("cause", n.cause())
            .put("dedup_key", n.dedupKey())
            .put("idempotency_key", n.dedupKey())
            .put("redelivery", n.redelivery())
            .put("sent_at", Instant.now().toString());
    }
  }
}
