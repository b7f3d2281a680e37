package io.runbookd.engine;

import io.runbookd.model.Approval;
import io.runbookd.model.Budget;
import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.IncidentState;
import io.runbookd.model.Outcome;
import io.runbookd.model.StepRun;
import io.runbookd.model.Wait;
import io.runbookd.policy.ClusterGuardPolicy;
import io.runbookd.policy.EscalationPolicy;
import io.runbookd.policy.RemediationPolicy;
import io.runbookd.rules.Durations;
import io.runbookd.store.UnitsOfWork;
import io.runbookd.rules.Rule;
import io.runbookd.rules.Step;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what the engine decided about a claimed incident: its new state and next action (with its stored
 * wait, if any), its timeline, and the outcomes that end or suspend automation (closed, parked, deferred,
 * backoff, gave up, shadow). Every write checks that this replica still holds the incident's lease.
 */
final class IncidentWriter {
  private static final Logger LOG = LoggerFactory.getLogger(IncidentWriter.class);

  private final EngineDeps deps;
  private final ClusterGuard guard;
  private final Map<String, Incident> leases = new ConcurrentHashMap<>();
  /** The wait each incident has that this replica stored or took over, by incident id. */
  private final Map<String, String> waits = new ConcurrentHashMap<>();

  IncidentWriter(EngineDeps deps, ClusterGuard guard) {
    this.deps = deps;
    this.guard = guard;
  }

  /** Writes {@code next} (and removes the incident's stored wait) if this replica still holds the lease. */
  Future<Void> save(Incident next, Incident previous) {
    return write(next, previous, null);
  }

  /**
   * Stores {@code wait} with the incident in {@code state}, due again at {@code at}; the lease is released
   * unless {@code keepLease} (the caller looks at the connector at once).
   */
  Future<Void> saveWait(Lease lease, IncidentState state, Wait wait, Instant at, boolean keepLease) {
    Instant now = deps.now();
    Incident inc = lease.incident();
    Incident waiting = inc.withState(state, now).withNextAction(Incident.WAIT, at, now);
    return write(keepLease ? waiting : waiting.released(now), inc, wait);
  }

  /**
   * True the first time this replica looks at {@code wait} without having stored it: the replica that
   * stored it stopped (or handed it over). From then on it is this replica's.
   */
  boolean takeOver(Wait wait) {
    String key = key(wait);
    return !key.equals(waits.put(wait.incidentId(), key));
  }

  private static String key(Wait w) {
    return w.kind() + "/" + w.attempt() + "/" + w.step();
  }

  private Future<Void> write(Incident next, Incident previous, Wait wait) {
    Instant leaseUntil = next.leaseOwner() == null ? null : deps.now().plus(deps.config().lease());
    Incident toWrite = next.leaseOwner() == null ? next : new Incident(next.id(), next.cluster(), next.connector(), next.rule(),
        next.state(), next.outcome(), next.attempts(), next.cause(), next.trace(), next.openedAt(), next.updatedAt(),
        next.closedAt(), next.nextActionAt(), next.nextAction(), next.alertResolvedAt(), deps.owner(), leaseUntil);
    return deps.blocking(() -> deps.store().saveProgress(toWrite, deps.owner(), wait)).compose(ok -> {
      if (!ok) {
        return Future.failedFuture(new IllegalStateException("lease on " + previous.id() + " was lost to another replica"));
      }
      leases.put(toWrite.id(), toWrite);
      if (wait == null) {
        waits.remove(toWrite.id());
      } else {
        waits.put(toWrite.id(), key(wait));
      }
      return Future.succeededFuture();
    });
  }

  /**
   * A {@code recreate} step created the connector under a new name: the incident (store and lease) follows
   * it, with the timeline line "connector recreated as X". {@code after} is the step's after-state, whose
   * {@code new_name} is the new connector name; nothing is done without one.
   */
  Future<Void> followRecreated(Lease lease, String after) {
    Incident inc = lease.incident();
    String newName = OffsetSteps.newName(after);
    if (newName == null || newName.equals(inc.connector())) {
      return Future.succeededFuture();
    }
    Instant now = deps.now();
    String message = "connector recreated as " + newName + " (was " + inc.connector() + "); the incident follows "
        + newName;
    return deps.blocking(() -> deps.store().renameConnector(inc.id(), deps.owner(), newName,
        new IncidentEvent(now, "connector_recreated", message))).compose(ok -> {
          if (!ok) {
            return Future.failedFuture(new IllegalStateException("lease on " + inc.id() + " was lost to another replica"));
          }
          Incident cur = lease.incident();
          leases.put(inc.id(), new Incident(cur.id(), cur.cluster(), newName, cur.rule(), cur.state(), cur.outcome(),
              cur.attempts(), cur.cause(), cur.trace(), cur.openedAt(), cur.updatedAt(), cur.closedAt(), cur.nextActionAt(),
              cur.nextAction(), cur.alertResolvedAt(), cur.leaseOwner(), cur.leaseUntil()));
          LOG.info("{} new_connector={} msg=\"{}\"", inc.context(), newName, message);
          return Future.<Void>succeededFuture();
        });
  }

  /** Appends a line to the incident's timeline. */
  Future<Void> event(Incident inc, String kind, String message) {
    return deps.blocking(() -> {
      deps.store().addEvent(inc.id(), new IncidentEvent(deps.now(), kind, message));
      return null;
    });
  }

  /** Records a step that started now. Empty when it had started once already (it must not run again). */
  Future<Optional<StepRun>> startStep(Incident inc, int attempt, int index, Step step) {
    StepRun run = new StepRun(0, inc.id(), attempt, index, step.type(), StepExecutor.params(step), deps.now(), null, null,
        null, null, null);
    return deps.blocking(() -> deps.store().startStep(run));
  }

  /** Records the state a step found before acting, before it acts. */
  Future<Void> recordBefore(long stepId, String before) {
    return deps.blocking(() -> {
      deps.store().recordBefore(stepId, before);
      return null;
    });
  }

  /** Records the end of a step. */
  Future<Void> finishStep(long stepId, String outcome, String error, String after) {
    return deps.blocking(() -> {
      deps.store().finishStep(stepId, deps.now(), outcome, error, after);
      return null;
    });
  }

  /** Hands the incident to a human: ESCALATED, no next action, its pending approval cancelled. */
  Future<Void> park(Lease lease, String why) {
    Instant now = deps.now();
    Incident inc = lease.incident();
    Incident parked = inc.withState(IncidentState.ESCALATED, now).withNextAction(null, null, now).released(now);
    LOG.warn("{} msg=\"{}; leaving the incident to a human\"", inc.context(), why);
    guard.forget(inc.id());
    return save(parked, inc)
        .compose(ok -> cancelApproval(inc, why))
        .compose(v -> event(parked, "parked", why + "; no further automatic action"));
  }

  /**
   * A configuration error, not an outage: ESCALATED with outcome {@code config_error}, no next action (never
   * retried), counted in {@code runbookd_config_errors_total}, and escalated once: the pending ladder is
   * cancelled and one escalation goes now, with the reason, to the first ladder level's notifier (else the
   * "gave up" notifier).
   */
  Future<Void> configError(Lease lease, Rule rule, String why) {
    Instant now = deps.now();
    Incident inc = lease.incident();
    if (Outcome.CONFIG_ERROR.label().equals(inc.outcome())) {
      return idle(lease); // recorded and escalated already
    }
    Incident parked = inc.withState(IncidentState.ESCALATED, now).withOutcome(Outcome.CONFIG_ERROR, now)
        .withNextAction(null, null, now).released(now);
    // the cause recorded at opening also says which clusters are configured
    String reason = inc.cause() != null && inc.cause().startsWith(io.runbookd.policy.AlertPolicy.UNKNOWN_CLUSTER)
        ? inc.cause() : "configuration error: " + why;
    Optional<String> notifier = rule == null ? Optional.empty() : rule.escalation().isEmpty()
        ? RemediationPolicy.gaveUpNotifier(rule) : Optional.of(rule.escalation().get(0).notifier());
    deps.metrics().configError("unknown_cluster");
    if (rule != null) {
      deps.metrics().remediation(rule.name(), Outcome.CONFIG_ERROR, null);
    }
    LOG.warn("{} msg=\"{}; escalating once, never retried\"", inc.context(), reason.replace('"', '\''));
    guard.forget(inc.id());
    return save(parked, inc)
        .compose(v -> deps.blocking(() -> {
          deps.store().cancelEscalations(inc.id(), now);
          notifier.ifPresent(n -> deps.store().scheduleEscalation(
              new Escalation(inc.id(), Escalation.GAVE_UP, now, n, reason, null, null)));
          return null;
        }))
        .compose(v -> event(parked, "config_error", reason + "; nothing is retried; "
            + notifier.map(n -> "escalated once to " + n).orElse("no notifier named by the rule")));
  }

  /**
   * Leaves the incident waiting after a guard said not now: OPEN, next action {@code action} at the
   * decision's time, the lease released. The timeline gets the reason once while it lasts.
   */
  Future<Void> defer(Lease lease, ClusterGuardPolicy.Decision decision, String action) {
    Instant now = deps.now();
    Incident inc = lease.incident();
    Instant until;
    ClusterGuardPolicy.Reason reason;
    String key;
    String text;
    if (decision instanceof ClusterGuardPolicy.Decision.StormHold h) {
      until = h.until();
      reason = ClusterGuardPolicy.Reason.STORM;
      key = Long.toString(h.storm().id());
      text = ClusterGuard.stormText(h.storm());
    } else if (decision instanceof ClusterGuardPolicy.Decision.Defer d) {
      until = d.until();
      reason = d.reason();
      key = "";
      text = d.detail() + "; next try at " + d.until();
    } else {
      throw new IllegalArgumentException("not a deferral: " + decision);
    }
    if (until.isBefore(now)) {
      until = now;
    }
    boolean first = guard.deferred(inc, reason, key);
    Incident waiting = inc.withState(IncidentState.OPEN, now).withNextAction(action, until, now).released(now);
    if (first) {
      LOG.info("{} reason={} until={} msg=\"deferred: {}\"", inc.context(), reason.label(), until, text.replace('"', '\''));
    } else {
      LOG.debug("{} reason={} until={} msg=\"deferred again\"", inc.context(), reason.label(), until);
    }
    return save(waiting, inc).compose(v -> first
        ? event(waiting, reason == ClusterGuardPolicy.Reason.STORM ? "storm_hold" : "deferred", text)
        : Future.succeededFuture());
  }

  /** The next attempt waits for its backoff: OPEN until {@code next}. */
  Future<Void> scheduleRetry(Lease lease, Instant at) {
    Instant now = deps.now();
    // decided a moment ago: a backoff of 0 may already lie in the past
    Instant next = at.isBefore(now) ? now : at;
    Incident inc = lease.incident();
    Incident waiting = inc.withState(IncidentState.OPEN, now).withNextAction(Incident.REMEDIATE, next, now).released(now);
    return save(waiting, inc).compose(v -> event(waiting, "backoff", "next attempt at " + next + " (in "
        + Durations.format(Duration.between(now, next)) + ")"));
  }

  /**
   * The next attempt waits for the rule's probe: OPEN, looked at again at {@code next} (at the latest
   * {@code backoffEnds}); {@code note}, when not null, goes to the timeline. No claim is held meanwhile.
   */
  Future<Void> scheduleProbe(Lease lease, Instant next, String note) {
    Instant now = deps.now();
    Instant at = next.isBefore(now) ? now : next;
    Incident inc = lease.incident();
    Incident waiting = inc.withState(IncidentState.OPEN, now).withNextAction(Incident.REMEDIATE, at, now).released(now);
    return save(waiting, inc).compose(v -> note == null ? Future.<Void>succeededFuture() : event(waiting, "probe", note));
  }

  /**
   * The budget is spent: ESCALATED, and one incident stays one page per ladder level: the next ladder level
   * not yet sent goes out now with the reason (later levels keep their times); only a rule without a ladder
   * gets the separate "gave up" escalation ({@link EscalationPolicy#giveUp}).
   */
  Future<Void> giveUp(Lease lease, Rule rule, Budget budget) {
    Instant now = deps.now();
    Incident inc = lease.incident();
    Incident escalated = inc.withState(IncidentState.ESCALATED, now).withOutcome(Outcome.GAVE_UP, now)
        .withNextAction(null, null, now).released(now);
    deps.metrics().remediation(rule.name(), Outcome.GAVE_UP, null);
    String reason = "attempt budget spent (" + budget.attempts() + " of " + rule.retry().maxAttempts() + ")";
    LOG.warn("{} attempts={} msg=\"attempt budget spent; giving up and escalating\"", inc.context(), budget.attempts());
    return save(escalated, inc)
        .compose(v -> deps.blocking(() -> {
          EscalationPolicy.GiveUp g = EscalationPolicy.giveUp(rule, deps.store().escalations(inc.id()), inc.id(), now);
          if (g instanceof EscalationPolicy.GiveUp.Advance a) {
            deps.store().advanceEscalation(inc.id(), a.level(), now, reason);
            return "escalation " + a.level() + " to " + a.notifier() + " (due " + a.wasDue()
                + ") sent now with the reason; later levels keep their times";
          } else if (g instanceof EscalationPolicy.GiveUp.Page p) {
            deps.store().scheduleEscalation(p.escalation());
            return "escalating to " + p.escalation().notifier();
          } else if (g instanceof EscalationPolicy.GiveUp.AlreadyPaged) {
            return "every escalation level was sent already: no further page";
          }
          return "no notifier named by the rule";
        }))
        .compose(what -> event(escalated, "gave_up", reason + "; " + what));
  }

  /** An escalated incident stays with humans: no next action. */
  Future<Void> idle(Lease lease) {
    Instant now = deps.now();
    Incident inc = lease.incident();
    return save(inc.withNextAction(null, null, now).released(now), inc);
  }

  /**
   * A rule without steps (schema mismatch, tolerance exceeded) only escalates: nothing is attempted,
   * the ladder notifies people, and a resolved alert triggers the verification that closes it.
   */
  Future<Void> escalateOnly(Lease lease, Rule rule) {
    Instant now = deps.now();
    Incident inc = lease.incident();
    Incident watching = inc.withState(IncidentState.OPEN, now).withOutcome(Outcome.ESCALATED, now)
        .withNextAction(null, null, now).released(now);
    deps.metrics().remediation(rule.name(), Outcome.ESCALATED, null);
    return save(watching, inc).compose(v -> event(watching, "no_action", "rule " + rule.name()
        + " has no steps: nothing is done automatically; its escalation ladder tells people, and a resolved alert is verified"));
  }

  /** Dry run: every step recorded as {@code shadow}, nothing done. */
  Future<Void> shadow(Lease lease, Rule rule) {
    Instant now = deps.now();
    Incident inc = lease.incident();
    return deps.blocking(() -> {
          for (int i = 0; i < rule.steps().size(); i++) {
            Step s = rule.steps().get(i);
            Optional<StepRun> run = deps.store().startStep(new StepRun(0, inc.id(), 0, i, s.type(), StepExecutor.params(s), now, null, null, null, null, null));
            run.ifPresent(r -> deps.store().finishStep(r.id(), now, "shadow", null, null));
            deps.metrics().action(rule.name(), s.type(), "shadow", Duration.ZERO);
          }
          return null;
        })
        .compose(v -> {
          deps.metrics().remediation(rule.name(), "shadow", null);
          Incident watching = inc.withState(IncidentState.OPEN, now).withNextAction(null, null, now).released(now);
          return save(watching, inc).compose(x -> event(watching, "shadow", "dry run: would have run "
              + rule.gateBeforeSteps().map(g -> "(after approval by " + g.notifier() + ") ").orElse("")
              + String.join(", ", rule.steps().stream().map(Step::type).toList()) + "; nothing was done"));
        });
  }

  /**
   * Closes the incident in one store transaction: the CLOSED row (while this replica holds the lease),
   * its pending approval and unfired escalations cancelled, the recovery noted in the budget, the
   * timeline told.
   */
  Future<Void> close(Lease lease, Outcome outcome, String why) {
    Instant now = deps.now();
    Incident inc = lease.incident();
    Incident closed = inc.closed(outcome.label(), now);
    guard.forget(inc.id());
    return deps.blocking(() -> deps.store().closeIncident(new UnitsOfWork.Closing(closed, deps.owner(), why,
            RemediationPolicy::afterRecovery)))
        .compose(closure -> {
          if (!closure.written()) {
            return Future.failedFuture(new IllegalStateException("lease on " + inc.id() + " was lost to another replica"));
          }
          leases.put(inc.id(), closed);
          waits.remove(inc.id());
          if (closure.approvalCancelled()) {
            deps.metrics().approval(inc.rule(), "cancelled", "runbookd");
          }
          if (outcome == Outcome.RECOVERED) {
            deps.metrics().recovered(Duration.between(inc.openedAt(), now));
          }
          LOG.info("{} outcome={} msg=\"incident closed: {}\"", inc.context(), outcome.label(), why);
          return Future.<Void>succeededFuture();
        });
  }

  /** Cancels the incident's pending approval, if any (the incident closed or was parked). */
  Future<Void> cancelApproval(Incident inc, String why) {
    if (inc.state() != IncidentState.AWAITING_APPROVAL) {
      return Future.succeededFuture();
    }
    Instant now = deps.now();
    return deps.blocking(() -> {
      Approval.Outcome out = deps.store().decideApproval(inc.id(), Approval.Decision.CANCELLED, "runbookd", "runbookd", why, now);
      if (out.status() == Approval.Outcome.Status.DECIDED) {
        deps.metrics().approval(inc.rule(), "cancelled", "runbookd");
      }
      return null;
    });
  }

  /** Labels and annotations of the incident's latest alert, for templates. */
  record AlertContext(Map<String, String> labels, Map<String, String> annotations) {}

  /** Starts holding a claimed incident's lease. */
  Lease lease(Incident claimed) {
    return new Lease(claimed);
  }

  /**
   * Holds an incident's lease while work runs: renews it every third of the lease time and tracks the
   * latest written copy of the incident.
   */
  final class Lease {
    private final String id;
    private final long timer;

    private Lease(Incident claimed) {
      this.id = claimed.id();
      leases.put(id, claimed);
      long every = Math.max(1000, deps.config().lease().toMillis() / 3);
      this.timer = deps.vertx().setPeriodic(every, t -> renew());
    }

    Incident incident() {
      return leases.get(id);
    }

    Future<AlertContext> alertContext() {
      return deps.blocking(() -> deps.store().lastAlert(id))
          .map(a -> a.map(e -> new AlertContext(e.labels(), e.annotations())).orElse(new AlertContext(Map.of(), Map.of())));
    }

    private void renew() {
      Incident cur = leases.get(id);
      if (cur == null || cur.leaseOwner() == null) {
        return;
      }
      Instant until = deps.now().plus(deps.config().lease());
      deps.blocking(() -> deps.store().renewLease(id, deps.owner(), until)).onComplete(ar -> {
        if (ar.failed()) {
          LOG.warn("{} msg=\"lease renewal failed: {}\"", cur.context(), ar.cause().getMessage());
        } else if (!ar.result()) {
          LOG.warn("{} msg=\"lease lost to another replica\"", cur.context());
        }
      });
    }

    Future<Void> stop() {
      deps.vertx().cancelTimer(timer);
      leases.remove(id);
      return Future.succeededFuture();
    }
  }
}
