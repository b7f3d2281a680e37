package io.runbookd.http;

import io.runbookd.engine.IncidentDetail;
import io.runbookd.model.Approval;
import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.IncidentQuery;
import io.runbookd.model.StepRun;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** JSON views of incidents for {@code /api/v1/incidents}. */
final class IncidentsJson {
  private IncidentsJson() {}

  /**
   * Parses {@code state}, {@code open} (true/false), {@code cluster}, {@code connector}, {@code rule},
   * {@code since} (RFC 3339), {@code limit} (1..1000, default 100) and {@code offset}.
   */
  static IncidentQuery query(MultiMap p) {
    Boolean open = null;
    String state = p.get("state");
    if ("open".equals(state)) {
      open = true;
      state = null;
    } else if ("closed".equals(state)) {
      open = false;
      state = null;
    }
    int limit = intParam(p, "limit", 100, 1, 1000);
    int offset = intParam(p, "offset", 0, 0, Integer.MAX_VALUE);
    return new IncidentQuery(state == null ? null : ApiServer.state(state), open, p.get("cluster"), p.get("connector"),
        p.get("rule"), p.get("since") == null ? null : ApiServer.instant(p.get("since")), limit, offset);
  }

  private static int intParam(MultiMap p, String name, int dflt, int min, int max) {
    String v = p.get(name);
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) {
        throw new IllegalArgumentException(name + " must be between " + min + " and " + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number, got \"" + v + "\"");
    }
  }

  static JsonObject incident(Incident i) {
    return new JsonObject()
        .put("id", i.id())
        .put("cluster", i.cluster())
        .put("connector", i.connector())
        .put("rule", i.rule())
        .put("state", i.state().name().toLowerCase(java.util.Locale.ROOT))
        .put("outcome", i.outcome())
        .put("attempts", i.attempts())
        .put("cause", i.cause())
        .put("opened_at", str(i.openedAt()))
        .put("updated_at", str(i.updatedAt()))
        .put("closed_at", str(i.closedAt()))
        .put("next_action", i.nextAction())
        .put("next_action_at", str(i.nextActionAt()));
  }

  /** The incident with its trace, step timeline, escalations, approvals and event timeline. */
  static JsonObject detail(IncidentDetail d) {
    JsonObject out = incident(d.incident()).put("trace", d.incident().trace());
    JsonArray steps = new JsonArray();
    for (StepRun s : d.steps()) {
      steps.add(new JsonObject()
          .put("attempt", s.attempt())
          .put("index", s.index())
          .put("type", s.type())
          .put("params", s.params())
          .put("started_at", str(s.startedAt()))
          .put("ended_at", str(s.endedAt()))
          .put("outcome", s.outcome())
          .put("error", s.error())
          .put("before", s.before())
          .put("after", s.after()));
    }
    JsonArray escalations = new JsonArray();
    for (Escalation e : d.escalations()) {
      escalations.add(new JsonObject()
          .put("level", e.levelLabel())
          .put("notifier", e.notifier())
          .put("due_at", str(e.dueAt()))
          .put("fired_at", str(e.firedAt()))
          .put("cancelled_at", str(e.cancelledAt())));
    }
    JsonArray approvals = new JsonArray();
    for (Approval a : d.approvals()) {
      approvals.add(approval(a));
    }
    JsonArray timeline = new JsonArray();
    for (IncidentEvent ev : d.timeline()) {
      timeline.add(new JsonObject().put("at", str(ev.at())).put("kind", ev.kind()).put("message", ev.message()));
    }
    return out.put("steps", steps).put("escalations", escalations).put("approvals", approvals).put("timeline", timeline);
  }

  /** One approval gate: what it lets run, who was asked, and the decision. */
  static JsonObject approval(Approval a) {
    Object plan;
    try {
      plan = new JsonObject(a.plan());
    } catch (RuntimeException e) {
      plan = a.plan();
    }
    return new JsonObject()
        .put("attempt", a.attempt())
        .put("gate", a.gate() == Approval.BEFORE_STEPS ? "before_steps" : "steps[" + a.gate() + "]")
        .put("state", a.state())
        .put("reason", a.reason())
        .put("plan", plan)
        .put("notifier", a.notifier())
        .put("requested_at", str(a.requestedAt()))
        .put("notified_at", str(a.notifiedAt()))
        .put("expires_at", str(a.expiresAt()))
        .put("default", a.defaultApprove() ? "approve" : "reject")
        .put("decided_via", a.decidedVia())
        .put("decided_by", a.decidedBy())
        .put("decided_at", str(a.decidedAt()))
        .put("comment", a.comment());
  }

  private static String str(Instant i) {
    return i == null ? null : i.toString();
  }
}
