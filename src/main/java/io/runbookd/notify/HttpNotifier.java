package io.runbookd.notify;

import io.runbookd.config.RunbookdConfig;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
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
 *   <li>{@code slack}: {@code text} (the plain fallback Slack shows in notifications) and Block Kit
 *       {@code blocks} (https://docs.slack.dev/block-kit/): a header, the message, the connector and rule,
 *       the cause, the plan when there is one, and a button to the incident page; plus
 *       {@code idempotency_key} and {@code redelivery} (Slack ignores them and cannot deduplicate, so a
 *       redelivery also says so at the end of the text). Without a {@code token} the body goes to an
 *       incoming webhook ({@code url}), which answers {@code ok} and no message ts, so a follow-up cannot
 *       reply in a thread and is a new message in the channel. With a bot {@code token} it goes to
 *       chat.postMessage (https://docs.slack.dev/reference/methods/chat.postMessage) with {@code channel}
 *       and the token as {@code Authorization: Bearer}; Slack answers HTTP 200 with
 *       {@code {"ok":true,"channel":..,"ts":..}} or {@code {"ok":false,"error":..}} (a failure here), and a
 *       follow-up carries {@code thread_ts} (the first message's ts) to reply in its thread;
 *   <li>{@code pagerduty}: a PagerDuty Events API v2 {@code trigger} event with {@code dedup_key}
 *       (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/): PagerDuty folds a trigger
 *       with the dedup_key of an open alert into that alert; {@code redelivery} and {@code idempotency_key}
 *       are in {@code payload.custom_details}; the incident page is in {@code links}. A follow-up is a
 *       {@code resolve} or {@code acknowledge} event with the trigger's {@code dedup_key}
 *       (https://developer.pagerduty.com/docs/events-api-v2/resolve-events/,
 *       https://developer.pagerduty.com/docs/events-api-v2/acknowledge-events/): only
 *       {@code routing_key}, {@code event_action} and {@code dedup_key} are sent, as those events take no
 *       payload.
 * </ul>
 *
 * <p>Every message carries the incident page's URL, {@code {server.external_url}/ui/incidents/{id}}, when
 * {@code server.external_url} is set (webhook {@code incident_url}, PagerDuty {@code links}, a Slack
 * button). A follow-up's idempotency key is the earlier message's key plus {@code /resolve} or
 * {@code /acknowledge}.
 *
 * <p>Every request carries the header {@value #IDEMPOTENCY_KEY} (the notification's key, the same for
 * every delivery of it), and a redelivery the header {@value #REDELIVERY}{@code : true}. The whole
 * exchange (connecting, sending, waiting for the answer) is bounded by the notifier's {@code timeout}.
 */
final class HttpNotifier implements Notifier {
  static final String PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue";
  /** Slack's chat.postMessage Web API method. */
  static final String SLACK_POST_MESSAGE = "https://slack.com/api/chat.postMessage";
  /** The idempotency key header (as in the IETF httpapi draft "The Idempotency-Key HTTP Header Field"). */
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  /** Present, with value {@code true}, on a delivery that may have reached the receiver before. */
  static final String REDELIVERY = "X-Runbookd-Redelivery";

  private final String name;
  private final RunbookdConfig.Notifier config;
  private final WebClient client;
  private final String externalUrl;

  HttpNotifier(String name, RunbookdConfig.Notifier config, WebClient client) {
    this(name, config, client, null);
  }

  /**
   * @param externalUrl {@code server.external_url} without a trailing slash, or null (no incident link)
   */
  HttpNotifier(String name, RunbookdConfig.Notifier config, WebClient client, String externalUrl) {
    this.name = name;
    this.config = config;
    this.client = client;
    this.externalUrl = externalUrl;
  }

  @Override
  public String type() {
    return config.type();
  }

  private boolean slackApi() {
    return "slack".equals(config.type()) && config.token() != null;
  }

  /**
   * The incident page, {@code {external_url}/ui/incidents/{id}} (the id percent-encoded as a path
   * segment); null without an external URL or for a storm summary (no incident page).
   */
  String incidentUrl(Notification n) {
    if (externalUrl == null || "storm".equals(n.kind()) || "storm_over".equals(n.kind())) {
      return null;
    }
    return externalUrl + "/ui/incidents/" + java.net.URLEncoder.encode(n.incidentId(), java.nio.charset.StandardCharsets.UTF_8)
        .replace("+", "%20");
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
    return deliver(n).mapEmpty();
  }

  @Override
  public Future<Receipt> deliver(Notification n) {
    return post(n.dedupKey(), n.redelivery(), body(n));
  }

  @Override
  public Future<Void> followUp(FollowUp f) {
    Notification n = f.notification();
    return post(n.dedupKey() + "/" + f.action(), n.redelivery(), followUpBody(f)).mapEmpty();
  }

  private Future<Receipt> post(String idempotencyKey, boolean redelivery, JsonObject body) {
    String url = config.url() != null ? config.url().reveal()
        : "pagerduty".equals(config.type()) ? PAGERDUTY_URL : SLACK_POST_MESSAGE;
    long timeoutMs = Math.max(1, config.timeout().toMillis());
    HttpRequest<Buffer> req = client.postAbs(url).timeout(timeoutMs);
    for (Map.Entry<String, String> h : config.headers().entrySet()) {
      req.putHeader(h.getKey(), h.getValue());
    }
    if (slackApi()) {
      req.putHeader("Authorization", "Bearer " + config.token().reveal());
    }
    req.putHeader(IDEMPOTENCY_KEY, idempotencyKey);
    if (redelivery) {
      req.putHeader(REDELIVERY, "true");
    }
    return req.sendJsonObject(body)
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .recover(err -> Future.failedFuture(new NotifyException("notifier " + name + ": " + (err instanceof TimeoutException
            ? "no answer within " + timeoutMs + " ms (timeout)" : redact(err.getMessage(), url)), null)))
        .compose(resp -> {
          if (resp.statusCode() / 100 == 2) {
            return slackApi() ? slackAnswer(resp.bodyAsString(), url) : Future.succeededFuture(new Receipt(type(), null, null));
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
   * chat.postMessage answers HTTP 200 even when it refuses: {@code {"ok":false,"error":"channel_not_found"}}
   * is a failure; {@code {"ok":true,"channel":"C1","ts":"1503435956.000247"}} gives the thread.
   */
  private Future<Receipt> slackAnswer(String text, String url) {
    JsonObject answer;
    try {
      answer = text == null ? new JsonObject() : new JsonObject(text);
    } catch (RuntimeException e) {
      return Future.failedFuture(new NotifyException("notifier " + name + ": Slack answered no JSON", null));
    }
    if (!answer.getBoolean("ok", false)) {
      return Future.failedFuture(new NotifyException("notifier " + name + ": Slack refused the message: "
          + redact(String.valueOf(answer.getValue("error", "no error given")), url), null));
    }
    return Future.succeededFuture(new Receipt(type(), answer.getString("channel"), answer.getString("ts")));
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
      case "slack": {
        String text = n.redelivery() ? n.message() + "\n_(runbookd redelivery of " + n.dedupKey()
            + ": this message may have been sent before)_" : n.message();
        JsonObject body = new JsonObject();
        if (slackApi()) {
          body.put("channel", config.channel());
        }
        return body.put("text", text)
            .put("blocks", SlackBlocks.of(title(n), text, n, incidentUrl(n)))
            .put("idempotency_key", n.dedupKey())
            .put("redelivery", n.redelivery());
      }
      case "pagerduty":
        return pagerDutyTrigger(n);
      default:
        return webhook(n);
    }
  }

  private JsonObject pagerDutyTrigger(Notification n) {
    JsonObject body = new JsonObject()
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
                    .put("idempotency_key", n.dedupKey()).put("redelivery", n.redelivery())
                    .put("incident_url", incidentUrl(n))));
    if (incidentUrl(n) != null) {
      body.put("links", new JsonArray().add(new JsonObject().put("href", incidentUrl(n))
          .put("text", "runbookd incident " + n.incidentId())));
    }
    return body;
  }

  private JsonObject webhook(Notification n) {
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
            .put("incident_url", incidentUrl(n))
            .put("sent_at", Instant.now().toString());
  }

  /** The body of a follow-up (see the class comment). */
  JsonObject followUpBody(FollowUp f) {
    Notification n = f.notification();
    String key = n.dedupKey() + "/" + f.action();
    switch (config.type()) {
      case "pagerduty":
        return new JsonObject()
            .put("routing_key", config.routingKey() == null ? "" : config.routingKey().reveal())
            .put("event_action", f.action())
            .put("dedup_key", n.dedupKey());
      case "slack": {
        JsonObject body = new JsonObject();
        if (slackApi()) {
          body.put("channel", f.channel() != null ? f.channel() : config.channel());
          if (f.threadTs() != null) {
            body.put("thread_ts", f.threadTs());
          }
        }
        return body.put("text", n.message())
            .put("blocks", SlackBlocks.of(title(n), n.message(), n, incidentUrl(n)))
            .put("idempotency_key", key)
            .put("redelivery", n.redelivery());
      }
      default:
        return new JsonObject()
            .put("kind", n.kind())
            .put("action", f.action())
            .put("severity", n.severity())
            .put("message", n.message())
            .put("incident_id", n.incidentId())
            .put("rule", n.rule())
            .put("cluster", n.cluster())
            .put("connector", n.connector())
            .put("cause", n.cause())
            .put("dedup_key", key)
            .put("idempotency_key", key)
            .put("redelivery", n.redelivery())
            .put("incident_url", incidentUrl(n))
            .put("sent_at", Instant.now().toString());
    }
  }

  /** The Slack header: what happened, and where. */
  static String title(Notification n) {
    String what = switch (n.kind()) {
      case "escalation" -> "Escalation";
      case "gave_up" -> "runbookd gave up";
      case "approval" -> "Approval needed";
      case "storm" -> "Failure storm";
      case "storm_over" -> "Failure storm over";
      case "resolved" -> "Resolved";
      case "closed" -> "Closed";
      default -> "runbookd";
    };
    return what + ": " + n.cluster() + (n.connector() == null ? "" : "/" + n.connector());
  }
}
