package io.runbookd.callout;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One bounded HTTP request to an endpoint a rule or the configuration names (a health check, a lease
 * renewal, Alertmanager's API). Non-blocking: nothing waits on a thread. Every request ends within its
 * {@link Request#timeout()} (connect, send and the whole answer), and at most {@link Request#maxBody()}
 * bytes of the answer are read: a longer body is cut there and the connection closed.
 */
public interface HttpCall {
  /** A client on {@code vertx}'s event loop. */
  static HttpCall create(Vertx vertx) {
    return new VertxHttpCall(vertx);
  }

  /**
   * A request.
   *
   * @param method HTTP method, e.g. {@code GET}, {@code POST}
   * @param url absolute {@code http://} or {@code https://} URL
   * @param headers request headers (values may be secrets: never logged here)
   * @param body request body, or null for none
   * @param timeout bound of the whole exchange; positive
   * @param maxBody bytes of the answer read at most
   */
  record Request(String method, String url, Map<String, String> headers, String body, Duration timeout, int maxBody) {
    public Request {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(url, "url");
      headers = headers == null ? Map.of() : Map.copyOf(headers);
      Objects.requireNonNull(timeout, "timeout");
    }
  }

  /**
   * An answer.
   *
   * @param status the HTTP status code
   * @param headers the answer's headers (lower-case names; the last value of a repeated header)
   * @param body the first {@code maxBody} bytes of the body, decoded as UTF-8
   * @param truncated true when the body was longer and was cut
   */
  record Response(int status, Map<String, String> headers, String body, boolean truncated) {}

  /**
   * Sends {@code request}. Fails (never hangs) when the endpoint cannot be reached, the exchange does not
   * end within the timeout ("timed out after ..."), or the URL is not a valid http(s) URL; any status
   * code is a successful answer.
   */
  Future<Response> send(Request request);
}
