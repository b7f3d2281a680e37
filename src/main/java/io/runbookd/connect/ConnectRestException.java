package io.runbookd.connect;

/**
 * A Kafka Connect REST call that did not succeed.
 *
 * <p>Connect reports errors as {@code {"error_code":<int>,"message":"<text>"}} (Kafka
 * {@code ConnectExceptionMapper}); {@link #errorCode()} and {@link #getMessage()} carry them. A
 * transport failure (connection refused, read timeout) has {@link #status()} {@code -1}. The message
 * has every configured secret masked ({@link io.runbookd.config.Secrets#redactKnown}): it is stored and
 * shown as a step's error.
 */
public class ConnectRestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String method;
  private final String path;
  private final int status;
  private final int errorCode;
  private final String restMessage;

  public ConnectRestException(String method, String path, int status, int errorCode, String restMessage, Throwable cause) {
    super(io.runbookd.config.Secrets.redactKnown(
        method + " " + path + " failed: " + (status < 0 ? "no response" : "HTTP " + status) + ": " + restMessage), cause);
    this.method = method;
    this.path = path;
    this.status = status;
    this.errorCode = errorCode;
    this.restMessage = restMessage;
  }

  public ConnectRestException(String method, String path, int status, int errorCode, String restMessage) {
    this(method, path, status, errorCode, restMessage, null);
  }

  /** The HTTP method, e.g. {@code POST}. */
  public String method() {
    return method;
  }

  /** The request path as sent, percent-encoded, without the cluster base URL. */
  public String path() {
    return path;
  }

  /** The HTTP status, or -1 when no response was received. */
  public int status() {
    return status;
  }

  /** The {@code error_code} from Connect's error body, or the HTTP status when the body had none. */
  public int errorCode() {
    return errorCode;
  }

  /** The {@code message} from Connect's error body (or a transport error description). */
  public String restMessage() {
    return restMessage;
  }

  /** True for 404 (unknown connector or task). */
  public boolean isNotFound() {
    return status == 404;
  }

  /** True for 409 (rebalance in progress; apache/kafka {@code connect/runtime/.../rest/HerderRequestHandler.java}). */
  public boolean isConflict() {
    return status == 409;
  }

  /**
   * True when the outcome is unknown: no response, or Connect's 500 "Request timed out" (apache/kafka
   * {@code HerderRequestHandler.completeRequest}; the operation may still finish after it).
   */
  public boolean isOutcomeUnknown() {
    return status < 0 || (status == 500 && restMessage != null && restMessage.startsWith("Request timed out"));
  }
}
