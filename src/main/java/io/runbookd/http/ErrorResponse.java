package io.runbookd.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Error bodies in the shape Kafka Connect and the Strimzi Bridge use:
 * {@code {"error_code": <http status>, "message": "<reason>"}}.
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
        .end(new JsonObject().put("error_code", status).put("message", message).encode());
  }
}
