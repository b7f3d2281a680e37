package io.runbookd.engine;

import io.runbookd.config.Secrets;
import io.runbookd.connect.ConnectApi;
import io.runbookd.engine.IncidentWriter.AlertContext;
import io.runbookd.engine.IncidentWriter.Lease;
import io.runbookd.model.Budget;
import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentState;
import io.runbookd.model.Outcome;
import io.runbookd.model.Storm;
import io.runbookd.model.Wait;
import io.runbookd.policy.Admission;
import io.runbookd.policy.AttemptPlan;
import io.runbookd.policy.ClusterGuardPolicy;
import io.runbookd.policy.ConfigDiff;
import io.runbookd.policy.RebalancePolicy;
import io.runbookd.policy.RemediationDecider;
import io.runbookd.policy.RemediationPolicy;
import io.runbookd.policy.StabilityPolicy;
import io.runbookd.rules.Durations;
import io.runbookd.rules.Rule;
import io.runbookd.rules.Step;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the segments of an attempt: the steps between two approval gates, admitted as a whole by the
 * cluster guards. A {@code wait} or {@code wait_for} step suspends the segment as a stored {@link Wait}
 * (the engine continues it after the wait, on any replica); the end of the last segment starts the stored
 * verification of the attempt.
 */
final class SegmentRunner {
  private static final Logger LOG = LoggerFactory.getLogger(SegmentRunner.class);

  /** What the segment runner hands back to the remediator. */
  interface Continuation {
    /** Look at the incident again now (a wait was stored with the lease kept). */
    Future<Void> advance(Lease lease);

    /** The attempt reached approval gate {@code gate}. */
    Future<Void> gate(Lease lease, Rule rule, int attempt, int gate);

    /** Carries out {@code decision} about the incident. */
    Future<Void> execute(Lease lease, Rule rule, RemediationDecider.Decision decision);
  }

  private final EngineDeps deps;
  private final IncidentWriter writer;
  private final ClusterGuard guard;
  private final StepExecutor steps;
  private final Continuation next;

  SegmentRunner(EngineDeps deps, IncidentWriter writer, ClusterGuard guard, Continuation next) {
    this.deps = deps;
    this.writer = writer;
    this.guard = guard;
    this.steps = new StepExecutor(deps);
    this.next = next;
  }

  /**
   * Runs the segment of attempt {@code attempt} that starts at step {@code from} (0 for a new attempt,
   * else right after an approved gate), if the guards admit it: the storm check, and for a segment with
   * Connect actions the worker's health and the blast radius. A deferral leaves the incident waiting
   * (nothing done, no attempt counted); the attempt is counted when its first segment with steps starts.
   */
  Future<Void> segment(Lease lease, Rule rule, ConnectApi api, int attempt, int from, ConnectorStatus before) {
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
        return writer.park(lease, b.detail());
      }
      if (!admission.admitted()) {
        return writer.defer(lease, admission.decision(), waitAction);
      }
      return start(lease, rule, api, attempt, from, to, admission.reservationId(), before, waitAction);
    });
  }

  private Future<Void> start(Lease lease, Rule rule, ConnectApi api, int attempt, int from, int to, long reservation,
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
      Run run = new Run(lease, rule, api, attempt, to, reservation, started, budget, counts, waitAction, inc.attempts());
      return deps.blocking(() -> {
            if (counts) {
              // The attempt counts before anything is called: a failed restart call is still an attempt.
              deps.store().saveBudget(spent);
            }
            return null;
          })
          .compose(v -> writer.save(acting, inc))
          .compose(v -> writer.event(acting, "attempt", Incident.REMEDIATE.equals(waitAction)
              ? "attempt " + attempt + " of " + rule.retry().maxAttempts() + describe(before) + ": " + segmentPlan
              : "attempt " + attempt + " continues after its approval: " + segmentPlan))
          .compose(v -> lease.alertContext())
          .compose(ctx -> runStep(run, ctx, from, false, false));
    });
  }

  /**
   * Continues a segment after its {@code wait}/{@code wait_for} step {@code w.step()} ended well.
   *
   * @param verified whether the segment is verified so far (a {@code wait_for RUNNING} just held)
   */
  Future<Void> resumeAfterWait(Lease lease, Rule rule, ConnectApi api, Wait w, boolean verified) {
    int to = AttemptPlan.segmentEnd(rule, w.step() + 1);
    int segmentStart = segmentStart(rule, w.step());
    boolean acted = AttemptPlan.actions(rule, segmentStart, w.step()) > 0;
    Run run = new Run(lease, rule, api, w.attempt(), to, w.reservationId(), w.startedAt(), null, false, Incident.REMEDIATE,
        w.attempt());
    return lease.alertContext().compose(ctx -> runStep(run, ctx, w.step() + 1, verified, acted));
  }

  /** One segment in progress. */
  private record Run(Lease lease, Rule rule, ConnectApi api, int attempt, int to, long reservation, Instant started,
      Budget before, boolean counted, String waitAction, int attemptsBefore) {}

  private Future<Void> runStep(Run r, AlertContext ctx, int index, boolean verifiedSoFar, boolean acted) {
    if (index >= r.to()) {
      return ended(r, verifiedSoFar);
    }
    Step step = r.rule().steps().get(index);
    if (step.actsOnConnect() && !acted) {
      // The segment's first Connect action: a storm that started since the admission holds it (the
      // admission may be a while ago on a busy store); later actions of the segment go on, so a stop +
      // resume cycle is never cut in half.
      return guard.storm(r.lease().incident().cluster()).compose(storm -> storm.isPresent()
          ? heldByStorm(r, storm.get())
          : startStep(r, ctx, index, step, verifiedSoFar, acted));
    }
    return startStep(r, ctx, index, step, verifiedSoFar, acted);
  }

  private Future<Void> startStep(Run r, AlertContext ctx, int index, Step step, boolean verifiedSoFar, boolean acted) {
    Incident inc = r.lease().incident();
    return writer.startStep(inc, r.attempt(), index, step).compose(stored -> {
      if (stored.isEmpty()) {
        // Already started once (idempotency key): never run a step twice.
        return runStep(r, ctx, index + 1, verifiedSoFar, acted);
      }
      if (step instanceof Step.Wait || step instanceof Step.WaitFor) {
        return suspend(r, index, step, stored.get().id());
      }
      Instant start = deps.now();
      return steps.run(step, new StepExecutor.Target(inc, r.api(), ctx.labels(), ctx.annotations(),
          deps.kafka().forConnectCluster(inc.cluster()), stored.get().id())).compose(result -> {
        Duration took = Duration.between(start, deps.now());
        deps.metrics().action(r.rule().name(), step.type(), result.outcome(), took);
        LOG.info("{} attempt={} step={} action={} outcome={} took_ms={} error={} msg=\"step {} ({}) {}\"", inc.context(),
            r.attempt(), index, step.type(), result.outcome(), took.toMillis(), result.error(), index, step.type(),
            "ok".equals(result.outcome()) ? "done" : result.outcome());
        boolean reachedConnect = step.actsOnConnect() && !result.rebalance();
        return (reachedConnect ? guard.acted(r.reservation()) : Future.<Void>succeededFuture())
            .compose(x -> result.before() == null ? Future.<Void>succeededFuture()
                : writer.recordBefore(stored.get().id(), result.before()))
            .compose(x -> step instanceof Step.Recreate && result.succeeded()
                ? writer.followRecreated(r.lease(), result.after()) : Future.<Void>succeededFuture())
            .compose(x -> writer.finishStep(stored.get().id(), result.outcome(), result.error(), result.after()))
            .compose(v -> {
              if (result.rebalance() && !acted) {
                return rebalanced(r, result.error());
              }
              if (!result.succeeded()) {
                return failed(r, step.type() + " failed: " + result.error());
              }
              boolean verified = verifiedSoFar && !RemediationDecider.mutates(step);
              return runStep(r, ctx, index + 1, verified, acted || reachedConnect);
            });
      });
    });
  }

  /** A {@code wait}/{@code wait_for} step: the segment is stored as a wait and looked at again at once. */
  private Future<Void> suspend(Run r, int index, Step step, long stepRunId) {
    Instant now = deps.now();
    Incident inc = r.lease().incident();
    Future<Wait> wait;
    if (step instanceof Step.Wait s) {
      wait = Future.succeededFuture(new Wait(inc.id(), Wait.Kind.STEP, r.attempt(), index, stepRunId, null,
          now.plus(s.duration()), Duration.ZERO, null, null, r.reservation(), r.started()));
    } else {
      Step.WaitFor w = (Step.WaitFor) step;
      wait = w.configChange()
          ? r.api().config(inc.connector()).map(config -> new Wait(inc.id(), Wait.Kind.STEP, r.attempt(), index, stepRunId,
              null, now.plus(w.within()), Duration.ZERO, null, ConfigDiff.write(config), r.reservation(), r.started()))
          : Future.succeededFuture(new Wait(inc.id(), Wait.Kind.STEP, r.attempt(), index, stepRunId, w.state(),
              now.plus(w.within()), w.stableFor(), null, null, r.reservation(), r.started()));
    }
    return wait
        .compose(w -> writer.saveWait(r.lease(), IncidentState.REMEDIATING, w, now, true))
        .compose(v -> next.advance(r.lease()))
        .recover(err -> {
          String error = Secrets.redactKnown(String.valueOf(err.getMessage()));
          return writer.finishStep(stepRunId, "failed", error, null).compose(v -> failed(r, step.type() + " failed: " + error));
        });
  }

  /** The segment's steps are done: another gate, the recorded verification, or the attempt's verification. */
  private Future<Void> ended(Run r, boolean verified) {
    Rule rule = r.rule();
    if (r.to() < rule.steps().size()) {
      return guard.release(r.reservation()).compose(v -> next.gate(r.lease(), rule, r.attempt(), r.to()));
    }
    Incident inc = r.lease().incident();
    if (verified && rule.verify().state() == ConnectorState.RUNNING) {
      deps.metrics().remediation(rule.name(), "recovered", Duration.between(r.started(), deps.now()));
      return guard.release(r.reservation()).compose(v -> writer.close(r.lease(), Outcome.RECOVERED, "verified (wait_for step:"
          + " RUNNING and stable for " + Durations.format(RemediationDecider.verifiedFor(rule)) + ") after attempt " + r.attempt()));
    }
    Wait w = Wait.verification(inc.id(), Wait.Kind.ATTEMPT, r.attempt(), rule.verify().state(), deps.now(),
        rule.verify().within(), rule.verify().stableFor(), r.reservation(), r.started());
    return writer.saveWait(r.lease(), IncidentState.REMEDIATING, w, deps.now(), true).compose(v -> next.advance(r.lease()));
  }

  /** A step failed: the attempt failed (its end counts in the budget), then give up or back off. */
  private Future<Void> failed(Run r, String reason) {
    Incident inc = r.lease().incident();
    Wait w = Wait.verification(inc.id(), Wait.Kind.ATTEMPT, r.attempt(), ConnectorState.RUNNING, deps.now(),
        Duration.ZERO, Duration.ZERO, r.reservation(), r.started());
    return deps.blocking(() -> deps.store().budget(inc.cluster(), inc.connector(), r.rule().name()))
        .compose(b -> next.execute(r.lease(), r.rule(), RemediationDecider.attemptFailed(r.rule(), w, null, reason, b,
            deps.now())));
  }

  /**
   * Connect answered the segment's first action with 409 (after the client's own retries): a rebalance
   * is under way and nothing was applied. The segment waits {@code health_backoff}; if it counted the
   * attempt, the count is taken back. Once the incident has had more than
   * {@code guards.max_rebalance_retries} such answers ({@link RebalancePolicy}), the attempt counts as
   * failed instead and the ladder goes on.
   */
  private Future<Void> rebalanced(Run r, String error) {
    Incident inc = r.lease().incident();
    int max = guard.limits(inc.cluster()).maxRebalanceRetries();
    return deps.blocking(() -> deps.store().steps(inc.id()).stream().filter(s -> "rebalance".equals(s.outcome())).count())
        .compose(n -> {
          if (RebalancePolicy.defer(Math.max(1, n), max)) {
            return deferRebalanced(r, error);
          }
          LOG.warn("{} rebalances={} max_rebalance_retries={} msg=\"Connect keeps answering 409; the attempt counts\"",
              inc.context(), n, max);
          return failed(r, RebalancePolicy.exhausted(n, max, error));
        });
  }

  private Future<Void> deferRebalanced(Run r, String error) {
    Incident inc = r.lease().incident();
    Instant until = deps.now().plus(guard.limits(inc.cluster()).healthBackoff());
    return guard.release(r.reservation())
        .compose(x -> deps.blocking(() -> {
          if (r.counted()) {
            deps.store().saveBudget(r.before());
          }
          return null;
        }))
        .compose(v -> writer.defer(r.lease(), new ClusterGuardPolicy.Decision.Defer(until,
            ClusterGuardPolicy.Reason.REBALANCE, "Connect is rebalancing (409: " + error + "); nothing was applied"
            + (r.counted() ? " and the attempt is not counted" : "")), r.waitAction()));
  }

  /** A storm started before the segment's first action: nothing was done, the attempt is not counted. */
  private Future<Void> heldByStorm(Run r, Storm storm) {
    return guard.release(r.reservation())
        .compose(x -> deps.blocking(() -> {
          if (r.counted() && r.before() != null) {
            deps.store().saveBudget(r.before());
          }
          return null;
        }))
        // nothing was tried: the attempt number goes back too, so the attempt after the storm is this one
        .compose(v -> writer.save(r.lease().incident().withAttempts(r.attemptsBefore(), deps.now()), r.lease().incident()))
        .compose(v -> writer.defer(r.lease(), new ClusterGuardPolicy.Decision.StormHold(storm.quietUntil(), storm),
            r.waitAction()));
  }

  /** The first step of the segment that contains step {@code index}. */
  private static int segmentStart(Rule rule, int index) {
    for (int i = index - 1; i >= 0; i--) {
      if (rule.steps().get(i) instanceof Step.Approve) {
        return i + 1;
      }
    }
    return 0;
  }

  static String plan(Rule rule, int from) {
    int to = AttemptPlan.segmentEnd(rule, from);
    List<String> types = rule.steps().subList(from, to).stream().map(Step::type).toList();
    String text = types.isEmpty() ? "no steps" : String.join(", ", types);
    return to < rule.steps().size() ? text + ", then approval (steps[" + to + "])" : text;
  }

  static String describe(ConnectorStatus status) {
    return status == null ? "" : " (" + StabilityPolicy.describe(status) + ")";
  }
}
