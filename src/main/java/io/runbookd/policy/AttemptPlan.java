package io.runbookd.policy;

import io.runbookd.model.Approval;
import io.runbookd.model.Incident;

import io.runbookd.rules.Durations;
import io.runbookd.rules.Rule;
import io.runbookd.rules.Step;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How one attempt of a rule is cut at its approval gates, as pure functions of the rule. An attempt
 * runs its steps in order; an {@code approve} step (and the rule's gate before the first step, see
 * {@link Rule#gateBeforeSteps()}) stops it until a decision. The steps between two gates are a
 * <em>segment</em>: the guards admit a segment as a whole (its Connect actions are reserved together,
 * so a stop + resume cycle is never cut in half by a limit), and it never waits for a human midway.
 */
public final class AttemptPlan {
  private AttemptPlan() {}

  /** The end (exclusive) of the segment starting at {@code from}: the next approve step, or the end. */
  public static int segmentEnd(Rule rule, int from) {
    List<Step> steps = rule.steps();
    for (int i = from; i < steps.size(); i++) {
      if (steps.get(i) instanceof Step.Approve) {
        return i;
      }
    }
    return steps.size();
  }

  /** The Connect actions among steps {@code [from, to)}. */
  public static int actions(Rule rule, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      if (rule.steps().get(i).actsOnConnect()) {
        n++;
      }
    }
    return n;
  }

  /**
   * True when the attempt was counted against the budget before step {@code from}: a segment with steps
   * ran before it. An attempt counts once, when its first segment with steps starts.
   */
  public static boolean countedBefore(Rule rule, int from) {
    for (int i = 0; i < from && i < rule.steps().size(); i++) {
      if (!(rule.steps().get(i) instanceof Step.Approve)) {
        return true;
      }
    }
    return false;
  }

  /** The steps an approval of gate {@code gate} lets run: from {@code gate + 1} to the next gate. */
  public static List<Integer> approvedSteps(Rule rule, int gate) {
    List<Integer> out = new ArrayList<>();
    for (int i = gate + 1; i < segmentEnd(rule, gate + 1); i++) {
      out.add(i);
    }
    return out;
  }

  /** True when the segment after {@code gate} is the attempt's last: verification follows it. */
  public static boolean lastSegment(Rule rule, int gate) {
    return segmentEnd(rule, gate + 1) == rule.steps().size();
  }

  /**
   * Exactly what an approval of {@code gate} lets runbookd do, as stored with the approval:
   * {@code {"steps":[{"index":i,"type":t,"params":{...}}], "then": "..."}}.
   */
  public static String planJson(Rule rule, int gate) {
    return planJson(rule, gate, Map.of());
  }

  /**
   * The plan of an approval request with what runbookd read before asking: for each approved step that can
   * say exactly what it will do (the partitions and offsets a reset moves, the records a replay sends), its
   * preview under {@code preview}. A preview is a JSON object whose {@code lines} (a list of strings) are
   * shown to the approver as they are; its other members are stored for the record.
   *
   * @param previews step index to preview object
   */
  public static String planJson(Rule rule, int gate, Map<Integer, ?> previews) {
    Map<String, Object> plan = new LinkedHashMap<>();
    List<Map<String, Object>> steps = new ArrayList<>();
    for (int i : approvedSteps(rule, gate)) {
      Step s = rule.steps().get(i);
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("index", i);
      one.put("type", s.type());
      one.put("params", s);
      if (previews.get(i) != null) {
        one.put("preview", previews.get(i));
      }
      steps.add(one);
    }
    plan.put("steps", steps);
    plan.put("then", then(rule, gate));
    return io.runbookd.model.Json.write(plan);
  }

  /** What follows the approved steps. */
  public static String then(Rule rule, int gate) {
    int end = segmentEnd(rule, gate + 1);
    if (end < rule.steps().size()) {
      return "stop at steps[" + end + "].approve for another approval";
    }
    return "verify: connector and tasks " + rule.verify().state() + " and stable for " + Durations.format(rule.verify().stableFor())
        + " within " + Durations.format(rule.verify().within());
  }

  /** Why gate {@code gate} asks for approval, for humans. */
  public static String why(Rule rule, int gate) {
    if (gate >= 0) {
      return "the rule has an approve step (steps[" + gate + "])";
    }
    if (rule.approval().required() == Rule.Approval.Required.ALWAYS) {
      return "the rule says approval.required: always";
    }
    int i = rule.firstUngatedDestructiveStep();
    Step s = rule.steps().get(i);
    return "steps[" + i + "]." + s.type() + " is destructive"
        + (s instanceof Step.PatchConfig ? " (errors.tolerance: all can drop records)" : "");
  }

  /** The message sent to the approver: the incident id and exactly what will be done. */
  public static String message(Incident inc, Rule rule, Approval a) {
    StringBuilder out = new StringBuilder();
    out.append("runbookd asks for approval to act on ").append(inc.cluster()).append('/').append(inc.connector())
        .append(" (incident ").append(inc.id()).append(", rule ").append(rule.name()).append(", attempt ")
        .append(a.attempt()).append(")\n");
    if (inc.cause() != null) {
      out.append("Cause: ").append(inc.cause()).append('\n');
    }
    out.append("Why: ").append(a.reason()).append('\n');
    out.append("When approved, runbookd will run:\n");
    int n = 1;
    for (int i : approvedSteps(rule, a.gate())) {
      Step s = rule.steps().get(i);
      out.append("  ").append(n++).append(". steps[").append(i).append("] ").append(s.type()).append(' ')
          .append(io.runbookd.model.Json.write(s)).append('\n');
      for (String line : previewLines(a.plan(), i)) {
        out.append("       ").append(line).append('\n');
      }
    }
    out.append("  then ").append(then(rule, a.gate())).append('\n');
    out.append("Approve: POST /api/v1/incidents/").append(inc.id()).append("/approve\n");
    out.append("Reject:  POST /api/v1/incidents/").append(inc.id()).append("/reject\n");
    out.append("Without a decision by ").append(a.expiresAt()).append(" the rule's default applies: ")
        .append(a.defaultApprove() ? "approve" : "reject").append('.');
    return out.toString();
  }

  /** The {@code lines} of step {@code index}'s preview in a stored plan; none when there is no preview. */
  public static List<String> previewLines(String planJson, int index) {
    if (planJson == null) {
      return List.of();
    }
    try {
      com.fasterxml.jackson.databind.JsonNode steps = io.runbookd.model.Json.read(planJson).path("steps");
      for (com.fasterxml.jackson.databind.JsonNode step : steps) {
        if (step.path("index").asInt(-1) == index) {
          List<String> out = new ArrayList<>();
          step.path("preview").path("lines").forEach(l -> out.add(l.asText()));
          return out;
        }
      }
    } catch (java.io.IOException e) {
      return List.of("(the stored plan is not readable: " + e.getMessage() + ")");
    }
    return List.of();
  }

  /** The next time a waiting gate is looked at: its expiry, sooner while the request is not delivered. */
  public static Instant recheckAt(Approval a, Instant now, java.time.Duration retry) {
    if (a.notifiedAt() != null) {
      return a.expiresAt();
    }
    Instant r = now.plus(retry);
    return r.isBefore(a.expiresAt()) ? r : a.expiresAt();
  }
}
