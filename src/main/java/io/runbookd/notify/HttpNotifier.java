package io.runbookd.notify;

import io.runbookd.config.RunbookdConfig;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import java.time.Instant;
import java.util.Map;

/**
 * Posts notifications as JSON over HTTP, in one of three shapes:
 *
 * <ul>
 *   <li>{@code webhook}: the whole {@link Notification} as JSON fields (snake_case) plus {@code sent_at};
 *   <li>{@code slack}: a Slack-compatible incoming-webhook body {@code {"text": "..."}};
 *   <li>{@code pagerduty}: a PagerDuty Events API v2 {@code trigger} event with {@code dedup_key}
 *       (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/).
 * </ul>
 */
final class HttpNotifier implements Notifier {
  static final String PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue";

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
  public Future<Void> send(Notification n) {
    String url = config.url() != null ? config.url().reveal() : PAGERDUTY_URL;
    HttpRequest<Buffer> req = client.postAbs(url).timeout(config.timeout().toMillis());
    for (Map.Entry<String, String> h : config.headers().entrySet()) {
      req.putHeader(h.getKey(), h.getValue());
    }
    return req.sendJsonObject(body(n))
        .recover(err -> Future.failedFuture(new NotifyException("notifier " + name + ": " + redact(err.getMessage(), url), null)))
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
        return new JsonObject().put("text", n.message());
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
                .put("custom_details", new JsonObject().put("incident", n.incidentId()).put("cause", n.cause())));
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
            .put("sent_at", Instant.now().toString());
    }
  }
}
