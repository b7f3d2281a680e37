package io.runbookd.notify;

/** A notifier's endpoint refused the notification or could not be reached. */
public class NotifyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NotifyException(String message, Throwable cause) {
    super(message, cause);
  }
}
