package io.runbookd.engine;

import io.runbookd.model.Approval;
import io.runbookd.model.Budget;
import io.runbookd.model.ClusterLimits;
import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.IncidentState;
import io.runbookd.model.StepRun;
import io.runbookd.policy.Admission;
import io.runbookd.policy.AttemptPlan;
import io.runbookd.policy.ClusterGuardPolicy;
import io.runbookd.policy.RemediationPolicy;

import io.runbookd.connect.ConnectApi;
import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.notify.Notification;
import io.runbookd.rules.Durations;
import io.runbookd.rules.Rule;
import io.runbookd.rules.Step;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acts on one incident that this replica has claimed (holds the lease of): runs one remediation
 * attempt (steps, then verification), or only verifies (after a resolved alert, or when resuming an
 * attempt a dead replica left half done). Every decision is written to the store before the next
 * action, so a killed daemon neither loses nor repeats one.
 */
final class Remediator {
  private static final Logger LOG = LoggerFactory.getLogger(Remediator.class);

  private final EngineDeps deps;
  private final StabilityWatcher watcher;
  private final StepExecutor steps;
  private final ClusterGuard guard;

  Remediator(EngineDeps deps) {
    this.deps = deps;
    this.watcher = new StabilityWatcher(deps);
    this.steps = new StepExecutor(deps, watcher);
    this.guard = new ClusterGuard(deps);
  }

  /** Handles a claimed incident; the future completes when the lease is released or lost. */
  Future<Void> handle(Incident claimed) {
    Optional<Rule> rule = deps.rules().get().byName(claimed.rule());
    Optional<ConnectApi> api = deps.clusters().get(claimed.cluster());
    if (rule.isEmpty() || api.isEmpty()) {
      String why = rule.isEmpty() ? "rule \"" + claimed.rule() + "\" is no longer loaded" : "Connect cluster \"" + claimed.cluster() + "\" is not configured";
      LOG.warn("{} msg=\"{}; leaving the incident to a human\"", claimed.context(), why);
      Incident parked = claimed.withState(IncidentState.ESCALATED, deps.now()).withNextAction(null, null, deps.now()).released(deps.now());
      return save(parked, claimed)
          .compose(ok -> cancelApproval(claimed, why))
          .compose(ok -> event(claimed, "parked", why + "; no further automatic action"));
    }
    Lease lease = new Lease(claimed);
    Future<Void> work;
    if (claimed.state() == IncidentState.REMEDIATING) {
      work = event(claimed, "resumed", "the previous attempt was interrupted (daemon stopped); verifying instead of repeating it")
          .compose(v -> verifyOnly(lease, rule.get(), api.get()));
    } else if (claimed.state() == IncidentState.AWAITING_APPROVAL) {
      work = awaiting(lease, rule.get(), api.get());
    } else if (Incident.VERIFY.equals(claimed.nextAction())) {
      work = verifyOnly(lease, rule.get(), api.get());
    } else if (Incident.RESUME.equals(claimed.nextAction())) {
      work = resume(lease, rule.get(), api.get());
    } else {
      work = attempt(lease, rule.get(), api.get());
    }
    return work
        .recover(err -> {
          if (err instanceof java.util.concurrent.RejectedExecutionException) {
            LOG.info("{} msg=\"daemon stopping mid-remediation; the incident resumes (verification first) at the next start\"",
                claimed.context());
            return Future.succeededFuture();
          }
          LOG.error("{} msg=\"remediation failed unexpectedly\"", claimed.context(), err);
          return Future.succeededFuture();
        })
        .eventually(lease::stop);
  }

  // ---- one attempt ----------------------------------------------------------------------------

  private Future<Void> attempt(Lease lease, Rule rule, ConnectApi api) {
    Incident inc = lease.incident();
    return api.status(inc.connector())
        .map(Optional::of)
        .recover(err -> Future.succeededFuture(Optional.empty()))
        .compose(status -> {
          if (status.isPresent() && status.get().isHealthy()) {
            return event(inc, "healthy", "connector is healthy now (" + StabilityWatcher.describe(status.get())
                + "); verifying stability instead of acting")
                .compose(v -> verifyOnly(lease, rule, api));
          }
          if (rule.steps().isEmpty()) {
            return escalateOnly(lease, rule);
          }
          return deps.blocking(() -> deps.store().budget(inc.cluster(), inc.connector(), rule.name()))
              .compose(budget -> {
                if (RemediationPolicy.exhausted(rule.retry(), budget)) {
                  return giveUp(lease, rule, budget);
                }
                return guard.storm(inc.cluster()).compose(storm -> {
                  if (storm.isPresent()) {
                    return defer(lease, new ClusterGuardPolicy.Decision.StormHold(storm.get().quietUntil(), storm.get()),
                        Incident.REMEDIATE);
                  }
                  if (deps.dryRun() || rule.dryRun()) {
                    return shadow(lease, rule);
                  }
                  int attempt = inc.attempts() + 1;
                  Optional<Step.Approve> gate = rule.gateBeforeSteps();
                  if (gate.isPresent()) {
                    Incident started = inc.withAttempts(attempt, deps.now());
                    return save(started, inc)
                        .compose(v -> event(started, "attempt", "attempt " + attempt + " of " + rule.retry().maxAttempts()
                            + describe(status.orElse(null)) + ": " + plan(rule, 0) + "; approval first: "
                            + AttemptPlan.why(rule, Approval.BEFORE_STEPS)))
                        .compose(v -> gate(lease, rule, attempt, Approval.BEFORE_STEPS, gate.get()));
                  }
                  return segment(lease, rule, api, attempt, 0, status.orElse(null));
                });
              });
        });
  }

  /** An approved attempt continues after its gate (it was deferred by a guard after the approval). */
  private Future<Void> resume(Lease lease, Rule rule, ConnectApi api) {
    Incident inc = lease.incident();
    return deps.blocking(() -> deps.store().approvals(inc.id())).compose(list -> {
      Optional<Approval> approved = list.stream()
          .filter(a -> a.attempt() == inc.attempts() && a.decision() == Approval.Decision.APPROVED)
          .reduce((a, b) -> b);
      if (approved.isEmpty()) {
        return event(inc, "resumed", "no approved gate of attempt " + inc.attempts() + " to continue from; starting a new attempt")
            .compose(v -> attempt(lease, rule, api));
      }
      return segment(lease, rule, api, inc.attempts(), approved.get().resumeAt(), null);
    });
  }

  /**
   * Runs the segment of attempt {@code attempt} that starts at step {@code from} (0 for a new attempt,
   * else right after an approved gate), if the guards admit it: the storm check, and for a segment with
   * Connect actions the worker's health and the blast radius. A deferral leaves the incident waiting
   * (nothing done, no attempt counted); the attempt is counted when its first segment with steps starts.
   */
  private Future<Void> segment(Lease lease, Rule rule, ConnectApi api, int attempt, int from, ConnectorStatus before) {
    Incident inc = lease.incident();
    boolean fresh = from == 0 && inc.attempts() < attempt;
    String waitAction = fresh ? Incident.REMEDIATE : Incident.RESUME;
    int to = AttemptPlan.segmentEnd(rule, from);
    int planned = AttemptPlan.actions(rule, from, to);
    Future<Admission> admitted = planned == 0
        ? guard.storm(inc.cluster()).map(s -> s.<Admission>map(x -> new Admission(
            new ClusterGuardPolicy.Decision.StormHold(x.quietUntil(), x), 0))
            .orElse(new Admission(new ClusterGuardPolicy.Decision.Act(), 0)))
        : guard.admit(inc, api, attempt, planned);
    return admitted.compose(admission -> {
      if (admission.decision() instanceof ClusterGuardPolicy.Decision.Blocked b) {
        return park(lease, b.detail());
      }
      if (!admission.admitted()) {
        return defer(lease, admission.decision(), waitAction);
      }
      return runSegment(lease, rule, api, attempt, from, to, admission.reservationId(), before, waitAction)
          .eventually(() -> guard.release(admission.reservationId()));
    });
  }

  private Future<Void> runSegment(Lease lease, Rule rule, ConnectApi api, int attempt, int from, int to, long reservation,
      ConnectorStatus before, String waitAction) {
    Instant started = deps.now();
    Incident inc = lease.incident();
    boolean counts = !AttemptPlan.countedBefore(rule, from);
    return deps.blocking(() -> deps.store().budget(inc.cluster(), inc.connector(), rule.name())).compose(budget -> {
      Budget spent = counts ? RemediationPolicy.afterAttempt(budget, started) : budget;
      Incident acting = inc.withAttempts(attempt, started).withState(IncidentState.REMEDIATING, started);
      String segmentPlan = plan(rule, from);
      LOG.info("{} attempt={} from_step={} budget={}/{} msg=\"{}: {}\"", inc.context(), attempt, from, spent.attempts(),
          rule.retry().maxAttempts(), from == 0 ? "starting remediation" : "continuing after approval", segmentPlan);
      return deps.blocking(() -> {
            if (counts) {
              // The attempt counts before anything is called: a failed restart call is still an attempt.
              deps.store().saveBudget(spent);
            }
            return null;
          })
          .compose(v -> save(acting, inc))
          .compose(v -> event(acting, "attempt", Incident.REMEDIATE.equals(waitAction)
              ? "attempt " + attempt + " of " + rule.retry().maxAttempts() + describe(before) + ": " + segmentPlan
              : "attempt " + attempt + " continues after its approval: " + segmentPlan))
          .compose(v -> lease.alertContext())
          .compose(ctx -> runStep(lease, rule, api, ctx, attempt, from, to, reservation, false, false))
          .compose(outcome -> {
            if (outcome.rebalance) {
              return rebalanced(lease, budget, counts, waitAction, outcome.error);
            }
            if (!outcome.failed && to < rule.steps().size()) {
              return gate(lease, rule, attempt, to, (Step.Approve) rule.steps().get(to));
            }
            return verifyAttempt(lease, rule, api, attempt, started, outcome);
          });
    });
  }

  /** After the last segment (or a failed one): verification, then recovered, retry or give up. */
  private Future<Void> verifyAttempt(Lease lease, Rule rule, ConnectApi api, int attempt, Instant started,
      StepsOutcome stepsOutcome) {
    Future<StabilityWatcher.Verdict> verdictF;
    if (stepsOutcome.failed) {
      verdictF = Future.succeededFuture(new StabilityWatcher.Verdict(false, null, stepsOutcome.error));
    } else if (stepsOutcome.verified) {
      verdictF = Future.succeededFuture(new StabilityWatcher.Verdict(true, null, "wait_for step: RUNNING and stable for "
          + Durations.format(stepsOutcome.stableFor)));
    } else {
      verdictF = watcher.await(api, lease.incident().connector(), ConnectorState.RUNNING, rule.verify().within(),
              rule.verify().stableFor())
          .map(v -> v.stable() ? new StabilityWatcher.Verdict(true, v.last(), "RUNNING and stable for "
              + Durations.format(rule.verify().stableFor())) : v);
    }
    return verdictF.compose(verdict -> {
      Duration took = Duration.between(started, deps.now());
      if (verdict.stable()) {
        deps.metrics().remediation(rule.name(), "recovered", took);
        return close(lease, "recovered", "verified (" + verdict.reason() + ") after attempt " + attempt);
      }
      Incident inc = lease.incident();
      return deps.blocking(() -> {
            Budget b = deps.store().budget(inc.cluster(), inc.connector(), rule.name());
            Budget ended = new Budget(b.cluster(), b.connector(), b.rule(), b.attempts(), deps.now(), b.lastRecoveredAt());
            deps.store().saveBudget(ended);
            return ended;
          })
          .compose(ended -> event(lease.incident(), "attempt_failed", "attempt " + attempt + " did not fix it: "
              + verdict.reason()).map(ended))
          .compose(ended -> {
            deps.metrics().remediation(rule.name(), "failed", took);
            if (RemediationPolicy.exhausted(rule.retry(), ended)) {
              return giveUp(lease, rule, ended);
            }
            return scheduleRetry(lease, rule, ended);
          });
    });
  }

  /**
   * Connect answered the segment's first action with 409 (after the client's own retries): a rebalance
   * is under way and nothing was applied. The segment waits {@code health_backoff}; if it counted the
   * attempt, the count is taken back.
   */
  private Future<Void> rebalanced(Lease lease, Budget before, boolean counted, String waitAction, String error) {
    Incident inc = lease.incident();
    ClusterLimits limits = guard.limits(inc.cluster());
    Instant until = deps.now().plus(limits.healthBackoff());
    return deps.blocking(() -> {
          if (counted) {
            deps.store().saveBudget(before);
          }
          return null;
        })
        .compose(v -> defer(lease, new ClusterGuardPolicy.Decision.Defer(until, ClusterGuardPolicy.Reason.REBALANCE,
            "Connect is rebalancing (409: " + error + "); nothing was applied" + (counted ? " and the attempt is not"
            + " counted" : "")), waitAction));
  }

  /** Outcome of the steps of one segment. */
  private record StepsOutcome(boolean failed, boolean verified, String error, Duration stableFor, boolean rebalance) {}

  private Future<StepsOutcome> runStep(Lease lease, Rule rule, ConnectApi api, AlertContext ctx, int attempt, int index,
      int to, long reservation, boolean verifiedSoFar, boolean acted) {
    if (index >= to) {
      return Future.succeededFuture(new StepsOutcome(false, verifiedSoFar, null, verifiedFor(rule), false));
    }
    Step step = rule.steps().get(index);
    Incident inc = lease.incident();
    Instant start = deps.now();
    StepRun run = new StepRun(0, inc.id(), attempt, index, step.type(), StepExecutor.params(step), start, null, null, null, null, null);
    return deps.blocking(() -> deps.store().startStep(run)).compose(stored -> {
      if (stored.isEmpty()) {
        // Already started once (idempotency key): never run a step twice.
        return runStep(lease, rule, api, ctx, attempt, index + 1, to, reservation, verifiedSoFar, acted);
      }
      return steps.run(step, new StepExecutor.Target(inc, api, ctx.labels(), ctx.annotations())).compose(result -> {
        Duration took = Duration.between(start, deps.now());
        deps.metrics().action(rule.name(), step.type(), result.outcome(), took);
        LOG.info("{} attempt={} step={} action={} outcome={} took_ms={}{}", inc.context(), attempt, index, step.type(),
            result.outcome(), took.toMillis(), result.error() == null ? "" : " error=\"" + result.error() + "\"");
        boolean reachedConnect = step.actsOnConnect() && !result.rebalance();
        return (reachedConnect ? guard.acted(reservation) : Future.<Void>succeededFuture())
            .compose(x -> deps.blocking(() -> {
              deps.store().finishStep(stored.get().id(), deps.now(), result.outcome(), result.error(), result.after());
              return null;
            }))
            .compose(v -> {
              if (result.rebalance() && !acted) {
                return Future.succeededFuture(new StepsOutcome(false, false, result.error(), null, true));
              }
              if (!result.succeeded()) {
                return Future.succeededFuture(new StepsOutcome(true, false, step.type() + " failed: " + result.error(), null, false));
              }
              boolean verified = step instanceof Step.WaitFor ? result.verified() : verifiedSoFar && !(mutates(step));
              return runStep(lease, rule, api, ctx, attempt, index + 1, to, reservation, verified, acted || reachedConnect);
            });
      });
    });
  }

  /** The stable_for of the rule's last wait_for RUNNING step, used when that step verified the fix. */
  private static Duration verifiedFor(Rule rule) {
    Duration d = rule.verify().stableFor();
    for (Step s : rule.steps()) {
      if (s instanceof Step.WaitFor w && !w.configChange() && w.state() == ConnectorState.RUNNING) {
        d = w.stableFor();
      }
    }
    return d;
  }

  /** Steps after which an earlier verification no longer holds. */
  private static boolean mutates(Step step) {
    return !(step instanceof Step.Notify) && !(step instanceof Step.Wait);
  }

  private static String plan(Rule rule, int from) {
    int to = AttemptPlan.segmentEnd(rule, from);
    List<String> types = rule.steps().subList(from, to).stream().map(Step::type).toList();
    String text = types.isEmpty() ? "no steps" : String.join(", ", types);
    return to < rule.steps().size() ? text + ", then approval (steps[" + to + "])" : text;
  }

  private static String describe(ConnectorStatus status) {
    return status == null ? "" : " (" + StabilityWatcher.describe(status) + ")";
  }

  // ---- guards ---------------------------------------------------------------------------------

  /**
   * Leaves the incident waiting after a guard said not now: OPEN, next action {@code action} at the
   * decision's time, the lease released. The timeline gets the reason once while it lasts.
   */
  private Future<Void> defer(Lease lease, ClusterGuardPolicy.Decision decision, String action) {
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

  /** The guards can never admit the attempt (it needs more actions than a window allows): a human decides. */
  private Future<Void> park(Lease lease, String why) {
    Instant now = deps.now();
    Incident inc = lease.incident();
    Incident parked = inc.withState(IncidentState.ESCALATED, now).withNextAction(null, null, now).released(now);
    LOG.warn("{} msg=\"{}; leaving the incident to a human\"", inc.context(), why);
    guard.forget(inc.id());
    return save(parked, inc).compose(v -> event(parked, "parked", why + "; no further automatic action"));
  }

  // ---- approval gates -------------------------------------------------------------------------

  /**
   * The attempt reached a gate: the request (with exactly what will be done) is stored, the incident
   * waits in AWAITING_APPROVAL, and the approver is notified with the incident id.
   */
  private Future<Void> gate(Lease lease, Rule rule, int attempt, int gateIndex, Step.Approve gate) {
    Instant now = deps.now();
    Incident inc = lease.incident();
    Approval request = Approval.request(inc.id(), attempt, gateIndex, now, gate.ttl(), gate.defaultApprove(),
        gate.notifier(), AttemptPlan.planJson(rule, gateIndex), AttemptPlan.why(rule, gateIndex));
    return deps.blocking(() -> {
          for (Approval stale : deps.store().approvals(inc.id())) {
            if (stale.pending() && (stale.attempt() != attempt || stale.gate() != gateIndex)) {
              deps.store().decideApproval(inc.id(), Approval.Decision.CANCELLED, "runbookd", "runbookd",
                  "superseded by attempt " + attempt, now);
            }
          }
          return deps.store().requestApproval(request);
        })
        .compose(stored -> {
          Incident waiting = inc.withAttempts(attempt, now).withState(IncidentState.AWAITING_APPROVAL, now)
              .withNextAction(Incident.APPROVAL, AttemptPlan.recheckAt(stored, now, NOTIFY_RETRY), now);
          deps.metrics().remediation(rule.name(), "awaiting_approval", null);
          LOG.info("{} attempt={} gate={} notifier={} expires_at={} msg=\"awaiting approval\"", inc.context(), attempt,
              gateIndex, stored.notifier(), stored.expiresAt());
          return save(waiting, inc)
              .compose(v -> event(waiting, "awaiting_approval", "attempt " + attempt + " waits for approval ("
                  + stored.reason() + "); asked " + stored.notifier() + "; without a decision by " + stored.expiresAt()
                  + ": " + (stored.defaultApprove() ? "approve" : "reject") + "; approved, it runs "
                  + String.join(", ", AttemptPlan.approvedSteps(rule, gateIndex).stream()
                      .map(i -> rule.steps().get(i).type()).toList()) + ", then " + AttemptPlan.then(rule, gateIndex)))
              .compose(v -> waitForDecision(lease, rule, stored));
        });
  }

  /** How soon an undelivered approval request is sent again. */
  static final Duration NOTIFY_RETRY = Duration.ofSeconds(30);
  /** Approval requests whose delivery failure is in the timeline already (once is enough). */
  private final java.util.Set<String> undelivered = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Makes sure the approver was told, then leaves the incident waiting (lease released) until the
   * decision or the TTL. A decision that arrived meanwhile is applied at once.
   */
  private Future<Void> waitForDecision(Lease lease, Rule rule, Approval approval) {
    Incident inc = lease.incident();
    Future<Approval> told = approval.notifiedAt() != null ? Future.succeededFuture(approval)
        : notifyApprover(inc, rule, approval);
    return told.compose(a -> {
      Instant now = deps.now();
      Incident waiting = inc.withState(IncidentState.AWAITING_APPROVAL, now)
          .withNextAction(Incident.APPROVAL, AttemptPlan.recheckAt(a, now, NOTIFY_RETRY), now);
      return save(waiting, inc)
          .compose(v -> deps.blocking(() -> deps.store().approvals(inc.id())))
          .compose(list -> {
            Optional<Approval> now2 = list.stream().filter(x -> x.attempt() == a.attempt() && x.gate() == a.gate()).findFirst();
            if (now2.isPresent() && !now2.get().pending()) {
              return decided(lease, rule, now2.get());
            }
            Instant t = deps.now();
            return save(waiting.released(t), waiting);
          });
    });
  }

  private Future<Approval> notifyApprover(Incident inc, Rule rule, Approval a) {
    Notification n = new Notification("approval", "warning", AttemptPlan.message(inc, rule, a), inc.id(), inc.rule(),
        inc.cluster(), inc.connector(), inc.cause(), inc.id() + "/approval/" + a.attempt() + "/" + a.gate());
    return deps.notifiers().send(a.notifier(), n)
        .onComplete(ar -> deps.metrics().notification(a.notifier(), ar.succeeded()))
        .compose(v -> deps.blocking(() -> {
          Instant at = deps.now();
          deps.store().markApprovalNotified(inc.id(), a.attempt(), a.gate(), at);
          deps.store().addEvent(inc.id(), new IncidentEvent(at, "approval_requested", "approval request sent to "
              + a.notifier() + " (POST /api/v1/incidents/" + inc.id() + "/approve or /reject)"));
          return new Approval(a.incidentId(), a.attempt(), a.gate(), a.requestedAt(), a.expiresAt(), a.defaultApprove(),
              a.notifier(), a.plan(), a.reason(), at, a.decision(), a.decidedVia(), a.decidedBy(), a.decidedAt(),
              a.comment());
        }))
        .recover(err -> {
          LOG.warn("{} notifier={} msg=\"approval request not delivered, retrying in {}: {}\"", inc.context(),
              a.notifier(), Durations.format(NOTIFY_RETRY), err.getMessage());
          if (!undelivered.add(inc.id() + "/" + a.attempt() + "/" + a.gate())) {
            return Future.succeededFuture(a);
          }
          return event(inc, "approval_request_failed", "approval request to " + a.notifier() + " not delivered ("
              + err.getMessage() + "); retrying every " + Durations.format(NOTIFY_RETRY)).map(a);
        });
  }

  /** A claimed incident in AWAITING_APPROVAL: a decision, the TTL, a resolved alert, or a re-check. */
  private Future<Void> awaiting(Lease lease, Rule rule, ConnectApi api) {
    Incident inc = lease.incident();
    return deps.blocking(() -> deps.store().approvals(inc.id())).compose(list -> {
      Optional<Approval> pending = list.stream().filter(Approval::pending).findFirst();
      if (pending.isEmpty()) {
        Optional<Approval> latest = list.stream().filter(a -> a.attempt() == inc.attempts()).reduce((a, b) -> b);
        if (latest.isEmpty()) {
          return park(lease, "AWAITING_APPROVAL without an approval request");
        }
        return decided(lease, rule, latest.get());
      }
      Approval a = pending.get();
      Instant now = deps.now();
      if (!now.isBefore(a.expiresAt())) {
        Approval.Decision d = a.defaultApprove() ? Approval.Decision.APPROVED : Approval.Decision.REJECTED;
        return deps.blocking(() -> deps.store().decideApproval(inc.id(), d, "ttl", "runbookd",
                "no decision within the TTL; the rule's default applies", now))
            .compose(out -> switch (out.status()) {
              case DECIDED -> decided(lease, rule, out.approval());
              // a human decided a moment before the TTL: that decision stands
              case NOT_PENDING -> out.approval() == null ? park(lease, "the approval disappeared")
                  : decided(lease, rule, out.approval());
              default -> park(lease, "the approval's TTL could not be applied (" + out.status() + ")");
            });
      }
      if (Incident.VERIFY.equals(inc.nextAction())) {
        return watcher.await(api, inc.connector(), ConnectorState.RUNNING, rule.verify().within(), rule.verify().stableFor())
            .compose(verdict -> {
              if (verdict.stable()) {
                deps.metrics().remediation(rule.name(), "skipped", null);
                return close(lease, "recovered", "verified while waiting for approval: RUNNING and stable for "
                    + Durations.format(rule.verify().stableFor()) + "; the approval is no longer needed");
              }
              return event(inc, "verify_failed", "not closing: " + verdict.reason() + "; still waiting for approval")
                  .compose(v -> waitForDecision(lease, rule, a));
            });
      }
      return waitForDecision(lease, rule, a);
    });
  }

  /** Applies a recorded decision: approved continues the attempt after its gate; rejected ends automation. */
  private Future<Void> decided(Lease lease, Rule rule, Approval a) {
    Incident inc = lease.incident();
    deps.metrics().approval(rule.name(), a.decision().label(), a.decidedVia());
    String who = "ttl".equals(a.decidedVia()) ? "the TTL default (no decision by " + a.expiresAt() + ")" : a.decidedBy();
    String note = a.comment() == null || "ttl".equals(a.decidedVia()) ? "" : ": " + a.comment();
    if (a.decision() == Approval.Decision.APPROVED) {
      LOG.info("{} attempt={} gate={} by={} via={} msg=\"approved\"", inc.context(), a.attempt(), a.gate(), a.decidedBy(),
          a.decidedVia());
      return event(inc, "approved", "approved by " + who + note)
          .compose(v -> segment(lease, rule, deps.clusters().get(inc.cluster()).orElseThrow(), a.attempt(), a.resumeAt(), null));
    }
    Instant now = deps.now();
    Incident escalated = inc.withState(IncidentState.ESCALATED, now).withNextAction(null, null, now).released(now);
    deps.metrics().remediation(rule.name(), "escalated", null);
    boolean human = "human".equals(a.decidedVia());
    LOG.warn("{} attempt={} gate={} by={} via={} msg=\"{}; no further automatic action\"", inc.context(), a.attempt(),
        a.gate(), a.decidedBy(), a.decidedVia(), a.decision().label());
    guard.forget(inc.id());
    return save(escalated, inc)
        .compose(v -> human ? deps.blocking(() -> {
          deps.store().cancelEscalations(inc.id(), now);
          return null;
        }) : Future.succeededFuture())
        .compose(v -> event(escalated, a.decision() == Approval.Decision.REJECTED ? "rejected" : "approval_cancelled",
            a.decision().label() + " by " + who + note + "; no further automatic action"
                + (human ? "; pending escalations cancelled (a human has it)" : "; the escalation ladder continues")));
  }

  /** Cancels the incident's pending approval, if any (the incident closed or was parked). */
  private Future<Void> cancelApproval(Incident inc, String why) {
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

  // ---- verification only ----------------------------------------------------------------------

  private Future<Void> verifyOnly(Lease lease, Rule rule, ConnectApi api) {
    Incident inc = lease.incident();
    return watcher.await(api, inc.connector(), ConnectorState.RUNNING, rule.verify().within(), rule.verify().stableFor())
        .compose(verdict -> {
          if (verdict.stable()) {
            String outcome = inc.attempts() > 0 ? "recovered" : (deps.dryRun() || rule.dryRun() ? "shadow" : "healthy");
            if (inc.attempts() == 0) {
              deps.metrics().remediation(rule.name(), "skipped", null);
            }
            return close(lease, outcome, "verified: RUNNING and stable for " + Durations.format(rule.verify().stableFor()));
          }
          Incident current = lease.incident();
          if (verdict.connectorGone()) {
            return close(lease, "connector_deleted", "the connector no longer exists on " + current.cluster());
          }
          return event(current, "verify_failed", "not closing: " + verdict.reason()).compose(v -> {
            if (current.state() == IncidentState.ESCALATED) {
              return save(current.withNextAction(null, null, deps.now()).released(deps.now()), current);
            }
            return deps.blocking(() -> deps.store().budget(current.cluster(), current.connector(), rule.name()))
                .compose(budget -> RemediationPolicy.exhausted(rule.retry(), budget)
                    ? giveUp(lease, rule, budget)
                    : scheduleRetry(lease, rule, budget));
          });
        });
  }

  // ---- outcomes -------------------------------------------------------------------------------

  private Future<Void> scheduleRetry(Lease lease, Rule rule, Budget budget) {
    Instant now = deps.now();
    Instant next = RemediationPolicy.nextAttemptAt(rule.retry(), budget, now);
    Incident inc = lease.incident();
    Incident waiting = inc.withState(IncidentState.OPEN, now).withNextAction(Incident.REMEDIATE, next, now).released(now);
    return save(waiting, inc).compose(v -> event(waiting, "backoff", "next attempt at " + next + " (in "
        + Durations.format(Duration.between(now, next)) + ")"));
  }

  private Future<Void> giveUp(Lease lease, Rule rule, Budget budget) {
    Instant now = deps.now();
    Incident inc = lease.incident();
    Incident escalated = inc.withState(IncidentState.ESCALATED, now).withNextAction(null, null, now).released(now);
    Optional<String> notifier = RemediationPolicy.gaveUpNotifier(rule);
    deps.metrics().remediation(rule.name(), "escalated", null);
    LOG.warn("{} attempts={} msg=\"attempt budget spent; giving up and escalating\"", inc.context(), budget.attempts());
    return save(escalated, inc)
        .compose(v -> deps.blocking(() -> {
          notifier.ifPresent(n -> deps.store().scheduleEscalation(new Escalation(inc.id(), Escalation.GAVE_UP, now, n, null, null, null)));
          return null;
        }))
        .compose(v -> event(escalated, "gave_up", "attempt budget spent (" + budget.attempts() + " of "
            + rule.retry().maxAttempts() + "); " + notifier.map(n -> "escalating to " + n).orElse("no notifier named by the rule")));
  }

  /**
   * A rule without steps (schema mismatch, tolerance exceeded) only escalates: nothing is attempted,
   * the ladder notifies people, and a resolved alert triggers the verification that closes it.
   */
  private Future<Void> escalateOnly(Lease lease, Rule rule) {
    Instant now = deps.now();
    Incident inc = lease.incident();
    Incident watching = inc.withState(IncidentState.OPEN, now).withNextAction(null, null, now).released(now);
    deps.metrics().remediation(rule.name(), "escalated", null);
    return save(watching, inc).compose(v -> event(watching, "no_action", "rule " + rule.name()
        + " has no steps: nothing is done automatically; its escalation ladder tells people, and a resolved alert is verified"));
  }

  private Future<Void> shadow(Lease lease, Rule rule) {
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

  private Future<Void> close(Lease lease, String outcome, String why) {
    Instant now = deps.now();
    Incident inc = lease.incident();
    Incident closed = inc.closed(outcome, now);
    guard.forget(inc.id());
    return save(closed, inc)
        .compose(v -> cancelApproval(inc, "the incident closed: " + why))
        .compose(v -> deps.blocking(() -> {
          deps.store().cancelEscalations(inc.id(), now);
          Budget b = deps.store().budget(inc.cluster(), inc.connector(), inc.rule());
          deps.store().saveBudget(RemediationPolicy.afterRecovery(b, now));
          return null;
        }))
        .compose(v -> {
          if ("recovered".equals(outcome)) {
            deps.metrics().recovered(Duration.between(inc.openedAt(), now));
          }
          LOG.info("{} outcome={} msg=\"incident closed: {}\"", inc.context(), outcome, why);
          return event(closed, "closed", why);
        });
  }

  // ---- store helpers --------------------------------------------------------------------------

  /** Writes {@code next} if this replica still holds the lease; the lease object follows. */
  private Future<Void> save(Incident next, Incident previous) {
    Instant leaseUntil = next.leaseOwner() == null ? null : deps.now().plus(deps.config().lease());
    Incident toWrite = next.leaseOwner() == null ? next : new Incident(next.id(), next.cluster(), next.connector(), next.rule(),
        next.state(), next.outcome(), next.attempts(), next.cause(), next.trace(), next.openedAt(), next.updatedAt(),
        next.closedAt(), next.nextActionAt(), next.nextAction(), next.alertResolvedAt(), deps.owner(), leaseUntil);
    return deps.blocking(() -> {
      // A resolved alert may have been noted while this replica held the lease: keep it.
      Instant resolved = deps.store().get(toWrite.id()).map(Incident::alertResolvedAt).orElse(null);
      Incident merged = resolved == null || toWrite.state() == IncidentState.CLOSED ? toWrite : toWrite.withAlertResolvedAt(resolved, toWrite.updatedAt());
      return deps.store().updateIncident(merged, deps.owner());
    }).compose(ok -> {
      if (!ok) {
        return Future.failedFuture(new IllegalStateException("lease on " + previous.id() + " was lost to another replica"));
      }
      leases.put(toWrite.id(), toWrite);
      return Future.succeededFuture();
    });
  }

  private final Map<String, Incident> leases = new java.util.concurrent.ConcurrentHashMap<>();

  private Future<Void> event(Incident inc, String kind, String message) {
    return deps.blocking(() -> {
      deps.store().addEvent(inc.id(), new IncidentEvent(deps.now(), kind, message));
      return null;
    });
  }

  /** Labels and annotations of the incident's latest alert, for templates. */
  record AlertContext(Map<String, String> labels, Map<String, String> annotations) {}

  /**
   * Holds an incident's lease while work runs: renews it every third of the lease time and tracks the
   * latest written copy of the incident.
   */
  private final class Lease {
    private final String id;
    private final long timer;

    Lease(Incident claimed) {
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
