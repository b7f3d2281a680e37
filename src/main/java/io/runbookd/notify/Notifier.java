package io.runbookd.notify;

import io.vertx.core.Future;

/** Delivers notifications to one destination configured under {@code notifiers:} in runbookd.yaml. */
public interface Notifier {

  /** The notifier's name in runbookd.yaml. */
  String name();

  /**
   * Sends {@code notification}. Succeeds on a 2xx answer; fails with {@link NotifyException} on any
   * other status or a transport error.
   */
  Future<Void> send(Notification notification);
}
