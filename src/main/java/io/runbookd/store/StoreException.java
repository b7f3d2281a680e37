package io.runbookd.store;

/**
 * The store could not complete an operation (database down, file not writable, constraint
 * violation). The webhook answers 503 on it so that Alertmanager retries.
 */
public class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreException(String message) {
    super(message);
  }
}
