package io.runbookd.incident;

import io.runbookd.connect.ConnectApi;
import io.runbookd.connect.ConnectorState;
import io.runbookd.connect.ConnectorStatus;
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

  Remediator(EngineDeps deps) {
    this.deps = deps;
    this.watcher = new StabilityWatcher(deps);
    this.steps = new StepExecutor(deps, watcher);
  }

  /** Handles a claimed incident; the future completes when the lease is released or lost. */
  Future<Void> handle(Incident claimed) {
    Optional<Rule> rule = deps.rules().get().byName(claimed.rule());
    Optional<ConnectApi> api = deps.clusters().get(claimed.cluster());
    if (rule.isEmpty() || api.isEmpty()) {
      String why = rule.isEmpty() ? "rule \"" + claimed.rule() + "\" is no longer loaded" : "Connect cluster \"" + claimed.cluster() + "\" is not configured";
      LOG.warn("{} msg=\"{}; leaving the incident to a human\"", claimed.context(), why);
      Incident parked = claimed.withState(IncidentState.ESCALATED, deps.now()).withNextAction(null, null, deps.now()).released(deps.now());
      return save(parked, claimed).compose(ok -> event(claimed, "parked", why + "; no further automatic action"));
    }
    Lease lease = new Lease(claimed);
    Future<Void> work;
    if (claimed.state() == IncidentState.REMEDIATING) {
      work = event(claimed, "resumed", "the previous attempt was interrupted (daemon stopped); verifying instead of repeating it")
          .compose(v -> verifyOnly(lease, rule.get(), api.get()));
    } else if (Incident.VERIFY.equals(claimed.nextAction())) {
      work = verifyOnly(lease, rule.get(), api.get());
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
                if (deps.dryRun() || rule.dryRun()) {
                  return shadow(lease, rule);
                }
                return runSteps(lease, rule, api, budget, status.orElse(null));
              });
        });
  }

  private Future<Void> runSteps(Lease lease, Rule rule, ConnectApi api, Budget budget, ConnectorStatus before) {
    Instant started = deps.now();
    Incident inc = lease.incident();
    int attempt = inc.attempts() + 1;
    Budget spent = RemediationPolicy.afterAttempt(budget, started);
    Incident acting = inc.withAttempts(attempt, started).withState(IncidentState.REMEDIATING, started);
    String plan = String.join(", ", rule.steps().stream().map(Step::type).toList());
    LOG.info("{} attempt={} budget={}/{} msg=\"starting remediation: {}\"", inc.context(), attempt, spent.attempts(),
        rule.retry().maxAttempts(), plan);
    return deps.blocking(() -> {
          // The attempt counts before anything is called: a failed restart call is still an attempt.
          deps.store().saveBudget(spent);
          return null;
        })
        .compose(v -> save(acting, inc))
        .compose(v -> event(acting, "attempt", "attempt " + attempt + " of " + rule.retry().maxAttempts()
            + (before == null ? "" : " (" + StabilityWatcher.describe(before) + ")") + ": " + (plan.isEmpty() ? "no steps" : plan)))
        .compose(v -> lease.alertContext())
        .compose(ctx -> runStep(lease, rule, api, ctx, attempt, 0, false))
        .compose(stepsOutcome -> {
          if (stepsOutcome.failed) {
            return Future.succeededFuture(new StabilityWatcher.Verdict(false, null, stepsOutcome.error));
          }
          if (stepsOutcome.verified) {
            return Future.succeededFuture(new StabilityWatcher.Verdict(true, null, "wait_for step: RUNNING and stable for "
                + Durations.format(stepsOutcome.stableFor)));
          }
          return watcher.await(api, acting.connector(), ConnectorState.RUNNING, rule.verify().within(), rule.verify().stableFor())
              .map(v -> v.stable() ? new StabilityWatcher.Verdict(true, v.last(), "RUNNING and stable for "
                  + Durations.format(rule.verify().stableFor())) : v);
        })
        .compose(verdict -> {
          Duration took = Duration.between(started, deps.now());
          if (verdict.stable()) {
            deps.metrics().remediation(rule.name(), "recovered", took);
            return close(lease, "recovered", "verified (" + verdict.reason() + ") after attempt " + attempt);
          }
          Budget ended = new Budget(spent.cluster(), spent.connector(), spent.rule(), spent.attempts(), deps.now(), spent.lastRecoveredAt());
          return deps.blocking(() -> {
                deps.store().saveBudget(ended);
                return null;
              })
              .compose(v -> event(lease.incident(), "attempt_failed", "attempt " + attempt + " did not fix it: " + verdict.reason()))
              .compose(v -> {
                if (RemediationPolicy.exhausted(rule.retry(), ended)) {
                  deps.metrics().remediation(rule.name(), "failed", took);
                  return giveUp(lease, rule, ended);
                }
                deps.metrics().remediation(rule.name(), "failed", took);
                return scheduleRetry(lease, rule, ended);
              });
        });
  }

  /** Outcome of the steps of one attempt. */
  private record StepsOutcome(boolean failed, boolean verified, String error, Duration stableFor) {}

  private Future<StepsOutcome> runStep(Lease lease, Rule rule, ConnectApi api, AlertContext ctx, int attempt, int index,
      boolean verifiedSoFar) {
    if (index >= rule.steps().size()) {
      return Future.succeededFuture(new StepsOutcome(false, verifiedSoFar, null, verifiedFor(rule)));
    }
    Step step = rule.steps().get(index);
    Incident inc = lease.incident();
    Instant start = deps.now();
    StepRun run = new StepRun(0, inc.id(), attempt, index, step.type(), StepExecutor.params(step), start, null, null, null, null, null);
    return deps.blocking(() -> deps.store().startStep(run)).compose(stored -> {
      if (stored.isEmpty()) {
        // Already started once (idempotency key): never run a step twice.
        return runStep(lease, rule, api, ctx, attempt, index + 1, verifiedSoFar);
      }
      return steps.run(step, new StepExecutor.Target(inc, api, ctx.labels(), ctx.annotations())).compose(result -> {
        Duration took = Duration.between(start, deps.now());
        deps.metrics().action(rule.name(), step.type(), result.outcome(), took);
        LOG.info("{} attempt={} step={} action={} outcome={} took_ms={}{}", inc.context(), attempt, index, step.type(),
            result.outcome(), took.toMillis(), result.error() == null ? "" : " error=\"" + result.error() + "\"");
        return deps.blocking(() -> {
              deps.store().finishStep(stored.get().id(), deps.now(), result.outcome(), result.error(), result.after());
              return null;
            })
            .compose(v -> {
              if (!result.succeeded()) {
                return Future.succeededFuture(new StepsOutcome(true, false, step.type() + " failed: " + result.error(), null));
              }
              boolean verified = step instanceof Step.WaitFor ? result.verified() : verifiedSoFar && !(mutates(step));
              return runStep(lease, rule, api, ctx, attempt, index + 1, verified);
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
              + String.join(", ", rule.steps().stream().map(Step::type).toList()) + "; nothing was done"));
        });
  }

  private Future<Void> close(Lease lease, String outcome, String why) {
    Instant now = deps.now();
    Incident inc = lease.incident();
    Incident closed = inc.closed(outcome, now);
    return save(closed, inc)
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
