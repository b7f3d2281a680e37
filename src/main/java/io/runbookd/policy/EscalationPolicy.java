package io.runbookd.policy;

import io.runbookd.model.Budget;
import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentState;
import io.runbookd.model.Storm;
import io.runbookd.rules.Rule;
import io.runbookd.rules.Template;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
    boolean gaveUp = e.level() == Escalation.GAVE_UP || e.message() != null;
    return new Action.Send(gaveUp ? "gave_up" : "escalation", gaveUp ? "critical" : "warning");
  }

  /**
   * As {@link #decide(Escalation, Optional, Optional, Instant)}, and after a storm's hold: a member's
   * ladder level (not "gave up") waits until its post-storm attempt has had its chance, so no member is
   * paged on its own while the shared cause may persist. That chance ends at {@code T}: the end of the
   * last attempt, once one ended after the hold ({@code budget.lastAttemptAt}) and the incident is not
   * REMEDIATING (an attempt running or being verified), or, if none has, at the hold's
   * end plus the rule's {@code backoff[1]} (when that attempt runs by the clock) plus its
   * {@code verify.within}. Then the ladder resumes: it counts from {@code max(openedAt, T - after[0])}, so
   * the first level is due at {@code T} at the earliest and later levels keep their distance to it.
   * Until {@code T} is known the level is held and looked at again every storm window.
   *
   * @param storm the cluster's latest storm, active, over or ended
   * @param budget the incident's attempt budget
   * @param rule the incident's rule, if still loaded (none, or one without steps, is never deferred)
   */
  public static Action decide(Escalation e, Optional<Incident> incident, Optional<Storm> storm, Budget budget,
      Optional<Rule> rule, Instant now) {
    Action plain = decide(e, incident, storm, now);
    if (!(plain instanceof Action.Send) || e.level() == Escalation.GAVE_UP || storm.isEmpty() || rule.isEmpty()
        || rule.get().steps().isEmpty() || e.level() >= rule.get().escalation().size()
        || !RemediationDecider.member(incident.get(), storm.get())) {
      return plain;
    }
    Storm s = storm.get();
    Rule r = rule.get();
    Instant cap = s.quietUntil().plus(RemediationPolicy.delayBefore(r.retry(), 2)).plus(r.verify().within());
    Instant chanceEnd;
    if (RemediationDecider.postStormAttemptPending(incident.get(), storm, budget, now)
        || incident.get().state() == IncidentState.REMEDIATING) {
      if (now.isBefore(cap)) {
        Instant again = now.plus(s.window());
        return new Action.Hold(again.isBefore(cap) ? again : cap, s);
      }
      chanceEnd = cap;
    } else {
      chanceEnd = budget.lastAttemptAt();
    }
    Instant origin = chanceEnd.minus(r.escalation().get(0).after());
    if (origin.isBefore(incident.get().openedAt())) {
      origin = incident.get().openedAt();
    }
    Instant due = origin.plus(r.escalation().get(e.level()).after());
    return due.isAfter(now) ? new Action.Hold(due, s) : plain;
  }

  /**
   * The text of an escalation: the rule's message template for its level, rendered with the incident and
   * its latest alert; a fixed text for "gave up" and for levels the rule no longer has; a template that
   * fails to render still gives a message, with the error appended.
   *
   * @param externalUrl {@code server.external_url} for {@code incident.url}, or null (the path alone)
   */
  public static String message(Escalation e, Incident inc, Optional<Rule> rule, Map<String, String> labels,
      Map<String, String> annotations, String externalUrl) {
    String cause = inc.cause() == null ? "" : ": " + inc.cause();
    if (e.level() == Escalation.GAVE_UP && e.message() != null) {
      return "runbookd did not act on " + inc.connector() + " on " + inc.cluster() + " (rule " + inc.rule()
          + ", incident " + inc.id() + "): " + e.message();
    }
    if (e.level() == Escalation.GAVE_UP) {
      return "runbookd gave up on " + inc.connector() + " on " + inc.cluster() + " after " + inc.attempts()
          + " attempt(s) (rule " + inc.rule() + ", incident " + inc.id() + ")" + cause;
    }
    String fallback = "runbookd: " + inc.connector() + " on " + inc.cluster() + " still failing after " + inc.attempts()
        + " attempt(s) (rule " + inc.rule() + ", incident " + inc.id() + ")" + cause;
    String gaveUp = e.message() == null ? "" : "runbookd gave up after " + inc.attempts() + " attempt(s): "
        + e.message() + ". ";
    if (rule.isEmpty() || e.level() >= rule.get().escalation().size()) {
      return gaveUp + fallback;
    }
    Template t = rule.get().escalation().get(e.level()).message();
    try {
      return gaveUp + t.render(IncidentMessages.context(inc, labels, annotations, null, externalUrl));
    } catch (Template.TemplateException ex) {
      return gaveUp + fallback + " (message template failed: " + ex.getMessage() + ")";
    }
  }

  /**
   * What giving up (the attempt budget is spent) does to an incident's pages. One incident, one page per
   * ladder level: the next level not yet sent is sent now, carrying the reason, and the later levels keep
   * their times. Only a rule without a ladder gets the separate "gave up" page.
   */
  public sealed interface GiveUp permits GiveUp.Advance, GiveUp.Page, GiveUp.AlreadyPaged, GiveUp.Nobody {
    /** Send ladder level {@code level} (to {@code notifier}, due at {@code wasDue}) now, with the reason. */
    record Advance(int level, String notifier, Instant wasDue) implements GiveUp {}

    /** The rule has no ladder: this one "gave up" escalation, due now. */
    record Page(Escalation escalation) implements GiveUp {}

    /** Every ladder level was sent (or cancelled) already: no further page, the timeline says why. */
    record AlreadyPaged() implements GiveUp {}

    /** The rule names no notifier at all. */
    record Nobody() implements GiveUp {}
  }

  /**
   * Decides the pages when runbookd gives up on an incident.
   *
   * @param rule the incident's rule
   * @param existing the incident's escalations as stored (any order)
   * @param incidentId the incident
   * @param now when runbookd gave up
   */
  public static GiveUp giveUp(Rule rule, List<Escalation> existing, String incidentId, Instant now) {
    Optional<Escalation> next = existing.stream()
        .filter(e -> e.level() != Escalation.GAVE_UP && e.firedAt() == null && e.cancelledAt() == null)
        .min(Comparator.comparingInt(Escalation::level));
    if (next.isPresent()) {
      return new GiveUp.Advance(next.get().level(), next.get().notifier(), next.get().dueAt());
    }
    if (!rule.escalation().isEmpty()) {
      return new GiveUp.AlreadyPaged();
    }
    return RemediationPolicy.gaveUpNotifier(rule)
        .<GiveUp>map(n -> new GiveUp.Page(new Escalation(incidentId, Escalation.GAVE_UP, now, n, null, null, null)))
        .orElse(new GiveUp.Nobody());
  }

  /**
   * The pages of an incident of {@code rule}, as {@code "<after> <notifier>"} from its opening, when runbookd
   * gives up {@code gaveUpAfter} after opening (empty: it never gives up). A level brought forward by giving
   * up reads {@code "<after> <notifier> (gave up)"}; e.g. {@code ["3m oncall (gave up)"]} for a 15m ladder.
   */
  public static List<String> pages(Rule rule, Optional<Duration> gaveUpAfter) {
    List<String> out = new ArrayList<>();
    boolean advanced = gaveUpAfter.isEmpty();
    for (Rule.EscalationLevel level : rule.escalation()) {
      if (!advanced && gaveUpAfter.get().compareTo(level.after()) < 0) {
        out.add(io.runbookd.rules.Durations.format(gaveUpAfter.get()) + " " + level.notifier() + " (gave up)");
        advanced = true;
      } else {
        out.add(io.runbookd.rules.Durations.format(level.after()) + " " + level.notifier());
      }
    }
    if (!advanced && rule.escalation().isEmpty()) {
      RemediationPolicy.gaveUpNotifier(rule).ifPresent(n ->
          out.add(io.runbookd.rules.Durations.format(gaveUpAfter.get()) + " " + n + " (gave up)"));
    }
    return out;
  }
}
