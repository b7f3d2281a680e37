package io.runbookd.http;

import io.runbookd.engine.Operations;
import io.runbookd.model.Approval;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/incidents/{id}/approve} and {@code .../reject}: a human decides the incident's
 * pending approval gate. The body is optional: {@code {"comment": "..."}}. The decision records who
 * (the request's principal, see {@link #PRINCIPAL}) and when; the first decision wins.
 *
 * <ul>
 *   <li>200 {@code {"incident_id","attempt","gate","decision","decided_by","decided_at","comment"}};
 *   <li>400 for a body that is not a JSON object, an unknown field, or a comment that is not a string of at
 *       most {@value #MAX_COMMENT} characters;
 *   <li>404 when no incident has the id;
 *   <li>409 when the incident has no pending approval (never had one, or it was decided), or when the
 *       approval expired (the rule's default applies);
 *   <li>503 when the store is unavailable;
 *   <li>500 for anything unexpected.
 * </ul>
 */
public final class ApprovalHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ApprovalHandler.class);

  /**
   * The routing-context key under which an authentication handler that runs earlier puts the caller's
   * name (a {@code String}); without one the decision is recorded as {@value #ANONYMOUS}.
   */
  public static final String PRINCIPAL = "runbookd.principal";
  /** The decider recorded when no principal is known. */
  public static final String ANONYMOUS = "anonymous";
  static final int MAX_COMMENT = 1000;
  static final int MAX_BODY = 16 * 1024;

  private final Operations operations;

  private ApprovalHandler(Operations operations) {
    this.operations = Objects.requireNonNull(operations, "operations");
  }

  /** Adds the two routes to {@code router}; decisions go to {@code operations}. */
  public static void mount(Router router, Operations operations) {
    ApprovalHandler h = new ApprovalHandler(operations);
    router.post("/api/v1/incidents/:id/approve").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY))
        .handler(ctx -> h.decide(ctx, Approval.Decision.APPROVED));
    router.post("/api/v1/incidents/:id/reject").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY))
        .handler(ctx -> h.decide(ctx, Approval.Decision.REJECTED));
  }

  private void decide(RoutingContext ctx, Approval.Decision decision) {
    String id = ctx.pathParam("id");
    String comment;
    try {
      comment = comment(ctx);
    } catch (IllegalArgumentException e) {
      ErrorResponse.send(ctx, 400, e.getMessage());
      return;
    }
    Object p = ctx.get(PRINCIPAL);
    String by = p instanceof String s && !s.isBlank() ? s : ANONYMOUS;
    operations.decideApproval(id, decision, by, comment).onComplete(ar -> {
      if (ErrorResponse.storeUnavailable(ctx, ar)) {
        return;
      }
      try {
        answer(ctx, id, decision, by, ar.result());
      } catch (RuntimeException e) {
        LOG.error("incident={} msg=\"approval request failed\"", id, ar.failed() ? ar.cause() : e);
        ErrorResponse.send(ctx, 500, "internal error");
      }
    });
  }

  /** Answers a decision request from the store's outcome (the engine is already woken on a decision). */
  private void answer(RoutingContext ctx, String id, Approval.Decision decision, String by, Approval.Outcome outcome) {
    Approval.Outcome out = Objects.requireNonNull(outcome, "decideApproval returned null");
    Approval a = out.approval();
    switch (out.status()) {
      case DECIDED -> {
        LOG.info("incident={} attempt={} gate={} decision={} by={} msg=\"approval decided\"", id, a.attempt(),
            a.gate(), decision.label(), by);
        ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(new JsonObject()
            .put("incident_id", a.incidentId())
            .put("attempt", a.attempt())
            .put("gate", a.gate())
            .put("decision", a.decision().label())
            .put("decided_by", a.decidedBy())
            .put("decided_at", a.decidedAt().toString())
            .put("comment", a.comment())
            .encode());
      }
      case NO_INCIDENT -> ErrorResponse.send(ctx, 404, "no incident " + id);
      case EXPIRED -> ErrorResponse.send(ctx, 409, "the approval of incident " + id + " expired at "
          + a.expiresAt() + "; the rule's default applies (" + (a.defaultApprove() ? "approve" : "reject") + ")");
      default -> ErrorResponse.send(ctx, 409, a == null
          ? "incident " + id + " has no pending approval"
          : "incident " + id + " has no pending approval (attempt " + a.attempt() + " was " + a.decision().label()
              + " by " + a.decidedBy() + " at " + a.decidedAt() + ")");
    }
  }

  /** The optional comment of the body; an empty body has none. */
  static String comment(RoutingContext ctx) {
    String text = ctx.body() == null ? null : ctx.body().asString();
    if (text == null || text.isBlank()) {
      return null;
    }
    JsonObject body;
    try {
      body = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException("body must be a JSON object such as {\"comment\": \"...\"}");
    }
    for (String k : body.fieldNames()) {
      if (!Set.of("comment").contains(k)) {
        throw new IllegalArgumentException("unknown field \"" + k + "\" (allowed: comment)");
      }
    }
    Object c = body.getValue("comment");
    if (c == null) {
      return null;
    }
    if (!(c instanceof String s)) {
      throw new IllegalArgumentException("comment must be a string");
    }
    if (s.length() > MAX_COMMENT) {
      throw new IllegalArgumentException("comment must be at most " + MAX_COMMENT + " characters");
    }
    return s;
  }
}
