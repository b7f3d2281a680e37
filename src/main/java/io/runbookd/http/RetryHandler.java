package io.runbookd.http;

import io.runbookd.engine.Operations;
import io.runbookd.model.RetryOutcome;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/incidents/{id}/retry}: "Fixed — retry". Someone fixed the cause outside runbookd (a
 * password changed back on the database server, a table fixed, a poison record skipped) and asks runbookd
 * to restart the failed tasks once now and verify, outside the attempt budget. Operator credentials (as
 * every {@code /api/} endpoint); the optional JSON body {@code {"comment": "..."}} is recorded with the
 * principal in the incident's timeline.
 *
 * <ul>
 *   <li>202 {@code {"incident_id", "requested_by", "requested_at", "comment"}}: recorded; the engine acts on
 *       its next round (a verified recovery closes the incident and cancels its pending escalations);
 *   <li>400 for a body that is not {@code {"comment": "<at most 1000 characters>"}};
 *   <li>404 when no incident has the id; 409 when it is closed, or while runbookd is acting on it (ask again);
 *   <li>503 when the store is unavailable.
 * </ul>
 * Errors have the API's {@code {"error_code", "message"}} shape.
 */
public final class RetryHandler {
  private static final Logger LOG = LoggerFactory.getLogger(RetryHandler.class);

  private final Operations operations;

  private RetryHandler(Operations operations) {
    this.operations = Objects.requireNonNull(operations, "operations");
  }

  /** Adds the route to {@code router}; requests go to {@code operations}. */
  public static void mount(Router router, Operations operations) {
    RetryHandler h = new RetryHandler(operations);
    router.post("/api/v1/incidents/:id/retry").handler(BodyHandler.create(false).setBodyLimit(ApprovalHandler.MAX_BODY))
        .handler(h::retry);
  }

  private void retry(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    String comment;
    try {
      comment = ApprovalHandler.comment(ctx);
    } catch (IllegalArgumentException e) {
      ErrorResponse.send(ctx, 400, e.getMessage());
      return;
    }
    Object p = ctx.get(ApprovalHandler.PRINCIPAL);
    String by = p instanceof String s && !s.isBlank() ? s : ApprovalHandler.ANONYMOUS;
    operations.retry(id, by, comment).onComplete(ar -> {
      if (ErrorResponse.storeUnavailable(ctx, ar)) {
        return;
      }
      if (ar.failed()) {
        LOG.error("incident={} msg=\"retry request failed\"", id, ar.cause());
        ErrorResponse.send(ctx, 500, "internal error");
        return;
      }
      RetryOutcome out = ar.result();
      switch (out.status()) {
        case ACCEPTED -> {
          LOG.info("incident={} by={} msg=\"retry requested\"", id, by);
          ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json").end(new JsonObject()
              .put("incident_id", out.incidentId())
              .put("requested_by", out.requestedBy())
              .put("requested_at", out.requestedAt().toString())
              .put("comment", out.comment())
              .encode());
        }
        case NO_INCIDENT -> ErrorResponse.send(ctx, 404, "no incident " + id);
        case CLOSED -> ErrorResponse.send(ctx, 409, "incident " + id + " is closed: there is nothing to retry");
        case BUSY -> ErrorResponse.send(ctx, 409, "runbookd is acting on incident " + id + " right now; ask again in a"
            + " few seconds");
      }
    });
  }
}
