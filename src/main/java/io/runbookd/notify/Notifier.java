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
}
