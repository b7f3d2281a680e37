package io.runbookd.engine;

/**
 * The daemon could not answer because its store did not (database down, locked, unreachable, or a
 * write that could not commit). The HTTP API answers 503 on it, so Alertmanager retries a webhook
 * (see the {@code webhook_config} notes at
 * https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). The message is the
 * store's own, unchanged; the cause is the store's error.
 */
public final class ServiceUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** @param message why the daemon cannot answer, for the 503 body */
  public ServiceUnavailableException(String message) {
    super(message);
  }

  /** @param cause the store's error; its message becomes this exception's message */
  public ServiceUnavailableException(Throwable cause) {
    super(cause.getMessage(), cause);
  }
}
