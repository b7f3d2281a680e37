package io.runbookd.notify;

import io.vertx.core.Future;

/** Delivers notifications to one destination configured under {@code notifiers:} in runbookd.yaml. */
public interface Notifier {

  /** The notifier's name in runbookd.yaml. */
  String name();

  /**
   * Sends {@code notification}. Succeeds on a 2xx answer; fails with {@link NotifyException} on any
   * other status, a transport error, or no answer within {@link #timeout()}.
   */
  Future<Void> send(Notification notification);

  /**
   * The longest a {@link #send} may take before it fails (the notifier's {@code timeout} in
   * runbookd.yaml); default 10 s.
   */
  default java.time.Duration timeout() {
    return java.time.Duration.ofSeconds(10);
  }

  /** The notifier's type in runbookd.yaml: {@code webhook}, {@code slack} or {@code pagerduty}. */
  default String type() {
    return "webhook";
  }

  /**
   * As {@link #send}, and returns what the receiver answered that later messages of the incident refer
   * to (a Slack chat.postMessage {@code channel} and {@code ts}).
   */
  default Future<Receipt> deliver(Notification notification) {
    return send(notification).map(v -> new Receipt(type(), null, null));
  }

  /**
   * Sends a follow-up that closes the loop on an earlier message (a PagerDuty resolve or acknowledge,
   * a Slack reply in the earlier message's thread). Fails as {@link #send} does.
   */
  default Future<Void> followUp(FollowUp followUp) {
    return send(followUp.notification());
  }
}
