package io.runbookd.connect;

/**
 * Observes every HTTP exchange with a Kafka Connect cluster, one call per request sent (each 409 retry
 * is its own exchange). runbookd feeds it into {@code runbookd_connect_requests_total{cluster,method,code}}.
 *
 * <p>Called on the Vert.x event loop, before the caller's future completes: it must be quick and must
 * not block. An exception it throws is logged and otherwise ignored.
 */
@FunctionalInterface
public interface ConnectRequestListener {

  /** A listener that ignores every exchange. */
  ConnectRequestListener NONE = (cluster, method, statusCode, durationNanos) -> {};

  /**
   * @param cluster the cluster name from {@link ConnectEndpoint#cluster()}
   * @param method the HTTP method, e.g. {@code GET}
   * @param statusCode the HTTP status, or -1 when no response arrived (connection refused, TLS failure,
   *     timeout)
   * @param durationNanos from sending the request to the response or the failure, in nanoseconds
   */
  void onResponse(String cluster, String method, int statusCode, long durationNanos);
}
