package io.runbookd.policy;

import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.Storm;
import io.runbookd.rules.Rule;
import io.runbookd.rules.Template;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Pure decisions about a due escalation timer: send it, hold it while a failure storm lasts (the storm's
 * one summary replaces per-connector pages), or cancel it because its incident is gone or closed; and
 * the text it carries. Like Cruise Control's {@code SelfHealingNotifier}, the answer is a value and
 * nothing here reads a clock.
 */
public final class EscalationPolicy {
  private EscalationPolicy() {}

  /** What to do with one due escalation. */
  public sealed interface Action permits Action.Send, Action.Hold, Action.Cancel {
    /** Deliver it now: {@code kind} and {@code severity} label the notification. */
    record Send(String kind, String severity) implements Action {}

    /** Not now: a storm on the incident's cluster is active; due again at {@code until}. */
    record Hold(Instant until, Storm storm) implements Action {
      public Hold {
        Objects.requireNonNull(until, "until");
        Objects.requireNonNull(storm, "storm");
      }
    }

    /** Never: the incident no longer exists or is no longer open. */
    record Cancel() implements Action {}
  }

  /**
   * Decides a due escalation.
   *
   * @param e the escalation, due at or before {@code now}
   * @param incident its incident, if it still exists
   * @param storm the current storm of the incident's cluster, if any (it may be over already)
   * @param now the decision time
   */
  public static Action decide(Escalation e, Optional<Incident> incident, Optional<Storm> storm, Instant now) {
    if (incident.isEmpty() || !incident.get().state().isOpen()) {
      return new Action.Cancel();
    }
    Optional<Storm> active = storm.filter(s -> s.activeAt(now));
    if (active.isPresent()) {
      return new Action.Hold(active.get().quietUntil(), active.get());
    }
    boolean gaveUp = e.level() == Escalation.GAVE_UP;
    return new Action.Send(gaveUp ? "gave_up" : "escalation", gaveUp ? "critical" : "warning");
  }

  /**
   * The text of an escalation: the rule's message template for its level, rendered with the incident and
   * its latest alert; a fixed text for "gave up" and for levels the rule no longer has; a template that
   * fails to render still gives a message, with the error appended.
   */
  public static String message(Escalation e, Incident inc, Optional<Rule> rule, Map<String, String> labels,
      Map<String, String> annotations) {
    String cause = inc.cause() == null ? "" : ": " + inc.cause();
    if (e.level() == Escalation.GAVE_UP) {
      return "runbookd gave up on " + inc.connector() + " on " + inc.cluster() + " after " + inc.attempts()
          + " attempt(s) (rule " + inc.rule() + ", incident " + inc.id() + ")" + cause;
    }
    String fallback = "runbookd: " + inc.connector() + " on " + inc.cluster() + " still failing after " + inc.attempts()
        + " attempt(s) (rule " + inc.rule() + ", incident " + inc.id() + ")" + cause;
    if (rule.isEmpty() || e.level() >= rule.get().escalation().size()) {
      return fallback;
    }
    Template t = rule.get().escalation().get(e.level()).message();
    try {
      return t.render(IncidentMessages.context(inc, labels, annotations, null));
    } catch (Template.TemplateException ex) {
      return fallback + " (message template failed: " + ex.getMessage() + ")";
    }
  }
}
