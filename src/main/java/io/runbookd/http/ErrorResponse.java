package io.runbookd.http;

import io.runbookd.engine.ServiceUnavailableException;
import io.vertx.core.AsyncResult;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Error bodies in the shape of Kafka Connect's REST API (https://kafka.apache.org/documentation/#connect_rest)
 * and the Strimzi Bridge: {@code {"error_code": <http status>, "message": "<reason>"}}.
 */
final class ErrorResponse {
  private ErrorResponse() {}

  static void send(RoutingContext ctx, int status, String message) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error_code", status).put("message", io.runbookd.config.Secrets.redactKnown(message)).encode());
  }

  /**
   * Answers 503 {@code store unavailable: <the store's message>} when {@code ar} failed with a
   * {@link ServiceUnavailableException}.
   *
   * @return whether it answered
   */
  static boolean storeUnavailable(RoutingContext ctx, AsyncResult<?> ar) {
    if (ar.failed() && ar.cause() instanceof ServiceUnavailableException e) {
      send(ctx, 503, "store unavailable: " + e.getMessage());
      return true;
    }
    return false;
  }
}
