package io.runbookd.http;

import io.runbookd.engine.ActionOutcome;
import io.runbookd.engine.ActionRequest;
import io.runbookd.engine.Operations;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Objects;

/**
 * {@code POST /api/v1/actions}: an operator asks runbookd to run a named rule on a connector, as if an
 * alert had fired (the rule's guards, approvals and record apply; see
 * {@link Operations#requestAction}). Operator credentials; the request records who asked (the request's
 * principal, {@code anonymous} without credentials).
 *
 * <p>Body: {@code {"cluster": "local", "connector": "orders-sink", "rule": "emergency-pause",
 * "comment": "..."}} ({@code comment} optional, at most 1,000 characters), or instead of {@code rule} a
 * single step without parameters, {@code "step": {"pause": {}}} ({@code pause}, {@code resume},
 * {@code stop}, {@code restart}, {@code dlq_replay}: the connector's dead letter topic re-produced to the
 * topics its records came from), run as a built-in one-step rule. Instead of {@code connector}, a
 * {@code pipeline} of runbookd.yaml: the incident is opened on its first connector and the steps {@code pause},
 * {@code resume} and {@code stop} act on all of it in the runbook's order ({@code operator.pipeline.<step>}).
 * Answers:
 *
 * <ul>
 *   <li>202 {@code {"incident_id","cluster","connector","pipeline","rule","requested_by","comment"}}: the incident is
 *       open and the engine runs the rule;
 *   <li>400 for a body that is not such an object (an unknown or missing field, a field that is not a
 *       string), an unknown rule or cluster, with the reason;
 *   <li>409 when the connector already has an open incident (its id is in the message);
 *   <li>503 when the store does not answer.
 * </ul>
 */
public final class ActionsHandler {
  static final int MAX_BODY = 16 * 1024;
  private static final List<String> FIELDS = List.of("cluster", "connector", "pipeline", "rule", "step", "comment");

  private final Operations operations;

  private ActionsHandler(Operations operations) {
    this.operations = Objects.requireNonNull(operations, "operations");
  }

  /** Adds the route to {@code router}; requests go to {@code operations}. */
  public static void mount(Router router, Operations operations) {
    ActionsHandler h = new ActionsHandler(operations);
    router.post("/api/v1/actions").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY)).handler(h::request);
  }

  private void request(RoutingContext ctx) {
    Object p = ctx.get(ApprovalHandler.PRINCIPAL);
    String by = p instanceof String s && !s.isBlank() ? s : ApprovalHandler.ANONYMOUS;
    ActionRequest r;
    try {
      r = parse(ctx.body() == null ? null : ctx.body().asString(), by);
    } catch (IllegalArgumentException e) {
      ErrorResponse.send(ctx, 400, e.getMessage());
      return;
    }
    operations.requestAction(r).onComplete(ar -> {
      if (ErrorResponse.storeUnavailable(ctx, ar)) {
        return;
      }
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      ActionOutcome out = ar.result();
      switch (out.status()) {
        case OPENED -> ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("incident_id", out.incidentId()).put("cluster", r.cluster())
                .put("connector", out.connector() != null ? out.connector() : r.connector())
                .put("pipeline", r.pipeline())
                .put("rule", r.rule() != null ? r.rule()
                    : (r.pipeline() != null ? "operator.pipeline." : "operator.") + r.step())
                .put("requested_by", r.requestedBy())
                .put("comment", r.comment()).encode());
        case CONFLICT -> ErrorResponse.send(ctx, 409, out.reason());
        default -> ErrorResponse.send(ctx, 400, out.reason());
      }
    });
  }

  /** The request of a body; {@link IllegalArgumentException} saying what is wrong with it. */
  static ActionRequest parse(String text, String requestedBy) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(EXAMPLE);
    }
    JsonObject body;
    try {
      body = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException(EXAMPLE);
    }
    for (String k : body.fieldNames()) {
      if (!FIELDS.contains(k)) {
        throw new IllegalArgumentException("unknown field \"" + k + "\" (allowed: " + String.join(", ", FIELDS) + ")");
      }
    }
    String comment = string(body, "comment", false);
    if (comment != null && comment.length() > ApprovalHandler.MAX_COMMENT) {
      throw new IllegalArgumentException("comment must be at most " + ApprovalHandler.MAX_COMMENT + " characters");
    }
    String step = step(body.getValue("step"));
    String rule = string(body, "rule", step == null);
    if (rule != null && step != null) {
      throw new IllegalArgumentException("give either \"rule\" or \"step\", not both");
    }
    String pipeline = string(body, "pipeline", false);
    String connector = string(body, "connector", pipeline == null);
    if (pipeline != null && connector != null) {
      throw new IllegalArgumentException("give either \"connector\" or \"pipeline\", not both");
    }
    return new ActionRequest(string(body, "cluster", true), connector, rule, step, comment, requestedBy, pipeline);
  }

  /** {@code {"pause": {}}}: the step's type; null when absent. Steps on demand take no parameters. */
  private static String step(Object v) {
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonObject o) || o.size() != 1) {
      throw new IllegalArgumentException("\"step\" must be an object with one step, such as {\"pause\": {}}");
    }
    String type = o.fieldNames().iterator().next();
    Object params = o.getValue(type);
    if (params != null && !(params instanceof JsonObject p && p.isEmpty())) {
      throw new IllegalArgumentException("a step on demand takes no parameters (" + type + " was given some):"
          + " for a step with parameters, name a rule");
    }
    return type;
  }

  private static String string(JsonObject body, String field, boolean required) {
    Object v = body.getValue(field);
    if (v == null) {
      if (required) {
        throw new IllegalArgumentException("\"" + field + "\" is required" + ("rule".equals(field)
            ? " (or \"step\")" : "connector".equals(field) ? " (or \"pipeline\")" : "") + "; " + EXAMPLE);
      }
      return null;
    }
    if (!(v instanceof String s) || (required && s.isBlank())) {
      throw new IllegalArgumentException("\"" + field + "\" must be a non-empty string");
    }
    return (String) v;
  }

  private static final String EXAMPLE = "body must be a JSON object such as {\"cluster\": \"local\", \"connector\":"
      + " \"orders-sink\", \"rule\": \"emergency-pause\", \"comment\": \"...\"}";
}
