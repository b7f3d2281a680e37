package io.runbookd.engine;

import io.runbookd.connect.ConnectApi;
import io.runbookd.connect.ConnectRestException;
import io.runbookd.engine.IncidentWriter.Lease;
import io.runbookd.model.Approval;
import io.runbookd.model.Budget;
import io.runbookd.model.Incident;
import io.runbookd.model.StepRun;
import io.runbookd.model.IncidentState;
import io.runbookd.model.Storm;
import io.runbookd.rules.Durations;
import io.runbookd.model.Outcome;
import io.runbookd.model.Wait;
import io.runbookd.policy.ClusterGuardPolicy;
import io.runbookd.policy.RemediationDecider;
import io.runbookd.policy.RemediationDecider.Decision;
import io.runbookd.policy.StabilityPolicy;
import io.runbookd.policy.Endpoints;
import io.runbookd.model.ProbeResult;
import io.runbookd.probe.Prober;
import io.runbookd.rules.Rule;
import io.runbookd.rules.Step;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acts on one incident that this replica has claimed: gathers the facts (the incident, its rule, budget,
 * storm, approvals, stored wait, and one reading of the connector), asks the pure
 * {@link RemediationDecider} what to do, and carries the decision out, again while a decision leads
 * straight on to another. Every decision is written to the store before the next action, so a killed
 * daemon neither loses nor repeats one; every wait is a stored deadline, so the claim (and this
 * replica's slot) is given back while a fix is verified or a step waits.
 */
final class Remediator implements SegmentRunner.Continuation {
  private static final Logger LOG = LoggerFactory.getLogger(Remediator.class);
  /** Decisions that lead straight on to another, at most, in one handling (a guard against a loop). */
  private static final int MAX_STEPS = 32;

  private final EngineDeps deps;
  private final ClusterGuard guard;
  private final IncidentWriter writer;
  private final SegmentRunner segments;
  private final ApprovalRunner approvals;
  private final Prober prober;

  Remediator(EngineDeps deps) {
    this.deps = deps;
    this.guard = new ClusterGuard(deps);
    this.writer = new IncidentWriter(deps, guard);
    this.segments = new SegmentRunner(deps, writer, guard, this);
    this.approvals = new ApprovalRunner(deps, writer, segments, guard);
    this.prober = Prober.create(deps.vertx());
  }

  /** Handles a claimed incident; the future completes when the lease is released or lost. */
  Future<Void> handle(Incident claimed) {
    Lease lease = writer.lease(claimed);
    return decideAndAct(lease, 0)
        .recover(err -> {
          if (err instanceof RejectedExecutionException) {
            LOG.info("{} msg=\"daemon stopping mid-remediation; the incident resumes (verification first) at the next start\"",
                claimed.context());
            return Future.succeededFuture();
          }
          LOG.error("{} msg=\"remediation failed unexpectedly\"", claimed.context(), err);
          return Future.succeededFuture();
        })
        .eventually(lease::stop);
  }

  @Override
  public Future<Void> advance(Lease lease) {
    return decideAndAct(lease, 1);
  }

  @Override
  public Future<Void> gate(Lease lease, Rule rule, int attempt, int gate) {
    return approvals.gate(lease, rule, attempt, gate);
  }

  private Future<Void> decideAndAct(Lease lease, int depth) {
    if (depth > MAX_STEPS) {
      return writer.park(lease, "runbookd took " + MAX_STEPS + " decisions in a row on this incident without waiting");
    }
    return facts(lease.incident()).compose(facts -> interrupted(facts).compose(resumable -> {
      if (resumable.isPresent()) {
        StepRun s = resumable.get();
        Incident inc = lease.incident();
        return writer.event(inc, "resumed", "the daemon stopped during step " + s.index() + " (" + s.type() + ") of"
                + " attempt " + s.attempt() + "; it resumes from its stored progress")
            .compose(v -> segments.resumeInterrupted(lease, facts.rule().get(), api(inc), s.attempt(), s.index()));
      }
      Decision d = RemediationDecider.decide(facts);
      LOG.debug("{} decision={} msg=\"decided what to do next\"", lease.incident().context(), d);
      Optional<Wait> stored = facts.stored();
      if (stored.isPresent() && writer.takeOver(stored.get())) {
        return writer.event(lease.incident(), "resumed", "the replica that stored this wait ("
                + describe(stored.get()) + ") stopped; it goes on here, nothing is repeated")
            .compose(v -> act(lease, facts, d, depth));
      }
      return act(lease, facts, d, depth);
    }));
  }

  /**
   * The step run an interrupted attempt left started and unfinished, when its step is resumable
   * ({@link Step#resumable()}): instead of verifying (what an interrupted attempt gets otherwise), the
   * engine runs that step again from its stored progress.
   */
  private Future<Optional<StepRun>> interrupted(RemediationDecider.Facts f) {
    Incident inc = f.incident();
    if (inc.state() != IncidentState.REMEDIATING || f.stored().isPresent() || Incident.RETRY.equals(inc.nextAction())
        || f.rule().isEmpty() || !f.clusterConfigured() || f.dryRun()
        || f.rule().get().steps().stream().noneMatch(Step::resumable)) {
      return Future.succeededFuture(Optional.empty());
    }
    List<Step> steps = f.rule().get().steps();
    return deps.blocking(() -> deps.store().steps(inc.id()).stream()
        .filter(s -> s.attempt() == inc.attempts() && s.endedAt() == null && s.index() < steps.size()
            && steps.get(s.index()).resumable() && steps.get(s.index()).type().equals(s.type()))
        .findFirst());
  }

  /** Everything the decider needs, read now. */
  private Future<RemediationDecider.Facts> facts(Incident inc) {
    Optional<Rule> rule = OperatorSteps.byName(deps.rules().get(), inc.rule());
    Optional<ConnectApi> api = deps.clusters().get(inc.cluster());
    return deps.blocking(() -> new Stored(
            deps.store().budget(inc.cluster(), inc.connector(), inc.rule()),
            deps.store().latestStorm(inc.cluster()),
            deps.store().approvals(inc.id()),
            deps.store().storedWait(inc.id())))
        .compose(s -> observe(inc, s.pending(), api)
            .compose(obs -> s.pending().map(Wait::kafka).filter(k -> obs.status() != null)
                .map(k -> KafkaWaitReads.read(inc, k, api, deps.kafka().forConnectCluster(inc.cluster())).map(obs::withKafka))
                .orElseGet(() -> Future.succeededFuture(obs)))
            .compose(obs -> api.isPresent() && RemediationDecider.needsProbe(inc, rule, s.budget(), s.pending(), s.storm(), deps.now())
                ? probe(inc, rule.get().retry().probe(), api.get(), obs) : Future.succeededFuture(obs))
            .map(obs -> new RemediationDecider.Facts(inc, rule, api.isPresent(),
            s.budget(), s.storm(), s.approvals(), s.pending(), obs,
            deps.dryRun() || rule.map(Rule::dryRun).orElse(false), deps.config().pollInterval(), deps.now())));
  }

  private record Stored(Budget budget, Optional<Storm> storm, List<Approval> approvals, Optional<Wait> pending) {}

  /** Reads what the decision needs of the connector; a failed read is a fact too. */
  private Future<RemediationDecider.Observation> observe(Incident inc, Optional<Wait> wait, Optional<ConnectApi> api) {
    if (api.isEmpty()) {
      return Future.succeededFuture(RemediationDecider.Observation.NONE);
    }
    return switch (RemediationDecider.needs(inc, wait)) {
      case NOTHING -> Future.succeededFuture(RemediationDecider.Observation.NONE);
      case CONFIG -> api.get().config(inc.connector())
          .map(c -> new RemediationDecider.Observation(null, c))
          .recover(err -> Future.succeededFuture(RemediationDecider.Observation.NONE));
      case STATUS -> api.get().status(inc.connector())
          .map(s -> new RemediationDecider.Observation(StabilityPolicy.Reading.of(s), null))
          .recover(err -> Future.succeededFuture(new RemediationDecider.Observation(StabilityPolicy.Reading.failed(
              err instanceof ConnectRestException e && e.isNotFound() ? StabilityPolicy.NOT_FOUND
                  : "status unavailable: " + err.getMessage()), null)));
    };
  }

  /**
   * Reads the connector's config and probes the dependency it names, from runbookd's network; an
   * unreadable config or a config without endpoint is a fact too (NO_ENDPOINT: the clock decides).
   */
  private Future<RemediationDecider.Observation> probe(Incident inc, Rule.Probe spec, ConnectApi api,
      RemediationDecider.Observation obs) {
    return api.config(inc.connector())
        .map(c -> Endpoints.pick(c, spec.http()))
        .compose(found -> found.isEmpty()
            ? Future.succeededFuture(new ProbeResult(ProbeResult.Outcome.NO_ENDPOINT, null, "the connector config names"
                + " no " + (spec.http() ? "http(s) URL" : "endpoint") + " in " + Endpoints.KEYS))
            : spec.http() ? prober.http(found.get(), spec.path(), spec.status(), spec.body(), spec.timeout())
                : prober.tcp(found.get(), spec.timeout()),
            err -> Future.succeededFuture(new ProbeResult(ProbeResult.Outcome.NO_ENDPOINT, null,
                "the connector config could not be read: " + err.getMessage())))
        .map(p -> {
          LOG.debug("{} probe={} endpoint={} detail=\"{}\"", inc.context(), p.outcome(), p.endpoint(), p.detail());
          return new RemediationDecider.Observation(obs.status(), obs.config(), p);
        });
  }

  private Future<Void> act(Lease lease, RemediationDecider.Facts f, Decision d, int depth) {
    Incident inc = lease.incident();
    Rule rule = f.rule().orElse(null);
    if (d instanceof Decision.Retry rt) {
      return retry(lease, rule, rt, depth);
    }
    if (d instanceof Decision.ConfigError c) {
      return writer.configError(lease, rule, c.why());
    }
    if (d instanceof Decision.Park p) {
      return writer.park(lease, p.why());
    }
    if (d instanceof Decision.StartWait s) {
      return (s.eventKind() == null ? Future.<Void>succeededFuture() : writer.event(inc, s.eventKind(), s.eventText()))
          .compose(v -> writer.saveWait(lease, stateDuring(inc, s.start()), s.start(), deps.now(), true))
          .compose(v -> decideAndAct(lease, depth + 1));
    }
    if (d instanceof Decision.WaitAgain w) {
      return writer.saveWait(lease, stateDuring(inc, w.next()), w.next(), w.at(), false).onSuccess(v -> wakeAt(w.at()));
    }
    if (d instanceof Decision.StepDone s) {
      return stepDone(lease, rule, s);
    }
    if (d instanceof Decision.Noted n) {
      return writer.event(inc, n.kind(), n.text()).compose(v -> act(lease, f, n.then(), depth + 1));
    }
    if (d instanceof Decision.ProbeWait p) {
      return execute(lease, rule, p);
    }
    if (d instanceof Decision.CheckFailed c) {
      return writer.event(inc, "verify_failed", c.message()).compose(v -> act(lease, f, c.then(), depth + 1));
    }
    if (d instanceof Decision.Close c) {
      return close(lease, rule, f.stored(), c);
    }
    if (d instanceof Decision.Idle) {
      return writer.idle(lease);
    }
    if (d instanceof Decision.EscalateOnly) {
      return writer.escalateOnly(lease, rule);
    }
    if (d instanceof Decision.StormHold h) {
      return writer.defer(lease, new ClusterGuardPolicy.Decision.StormHold(h.storm().quietUntil(), h.storm()),
          h.waitAction());
    }
    if (d instanceof Decision.Shadow) {
      return writer.shadow(lease, rule);
    }
    if (d instanceof Decision.AskApproval a) {
      return approvals.beforeSteps(lease, rule, a.attempt(), statusText(f));
    }
    if (d instanceof Decision.RunSegment r) {
      return segments.segment(lease, rule, api(inc), r.attempt(), r.from(),
          f.observed().status() == null ? null : f.observed().status().status());
    }
    if (d instanceof Decision.AwaitDecision a) {
      return approvals.waitForDecision(lease, rule, a.pending());
    }
    if (d instanceof Decision.ApplyTtl t) {
      return approvals.applyTtl(lease, rule, t.pending());
    }
    if (d instanceof Decision.Decided dd) {
      return approvals.decided(lease, rule, dd.approval());
    }
    return execute(lease, rule, d);
  }

  @Override
  public Future<Void> execute(Lease lease, Rule rule, Decision decision) {
    if (decision instanceof Decision.AttemptFailed a) {
      return attemptFailed(lease, rule, a);
    }
    if (decision instanceof Decision.GiveUp g) {
      return writer.giveUp(lease, rule, g.budget());
    }
    if (decision instanceof Decision.RetryAt r) {
      return writer.scheduleRetry(lease, r.at());
    }
    if (decision instanceof Decision.ProbeWait p) {
      return writer.scheduleProbe(lease, p.next(), p.note()).onSuccess(v -> wakeAt(p.next()));
    }
    return Future.failedFuture(new IllegalArgumentException("no runner for decision " + decision));
  }

  /** The state an incident shows while it waits: an attempt in progress stays REMEDIATING. */
  private static IncidentState stateDuring(Incident inc, Wait w) {
    return switch (w.kind()) {
      case STEP, ATTEMPT -> IncidentState.REMEDIATING;
      case APPROVAL_CHECK -> IncidentState.AWAITING_APPROVAL;
      case CHECK -> inc.state();
    };
  }

  /** A wait step ended well: it is recorded, and its segment continues after it. */
  private Future<Void> stepDone(Lease lease, Rule rule, Decision.StepDone s) {
    Wait w = s.done();
    Incident inc = lease.incident();
    Step step = rule.steps().get(w.step());
    Duration took = Duration.between(stepStart(step, w), deps.now());
    deps.metrics().action(rule.name(), step.type(), "ok", took);
    LOG.info("{} attempt={} step={} action={} outcome=ok took_ms={} msg=\"step {} ({}) done\"", inc.context(), w.attempt(),
        w.step(), step.type(), took.toMillis(), w.step(), step.type());
    Instant now = deps.now();
    return writer.finishStep(w.stepRunId(), "ok", null, s.after())
        .compose(v -> writer.save(inc.withState(IncidentState.REMEDIATING, now).withNextAction(Incident.REMEDIATE, now, now), inc))
        .compose(v -> segments.resumeAfterWait(lease, rule, api(inc), w, s.verified()));
  }

  /** The attempt did not fix it: the reservation released, the end noted in the budget, then what follows. */
  private Future<Void> attemptFailed(Lease lease, Rule rule, Decision.AttemptFailed a) {
    Wait w = a.of();
    Duration took = Duration.between(w.startedAt(), deps.now());
    Future<Void> step = Future.succeededFuture();
    if (w.kind() == Wait.Kind.STEP) {
      Step s = rule.steps().get(w.step());
      deps.metrics().action(rule.name(), s.type(), "failed", Duration.between(stepStart(s, w), deps.now()));
      step = writer.finishStep(w.stepRunId(), "failed", a.stepError(), null);
    }
    return step
        .compose(v -> guard.release(w.reservationId()))
        .compose(v -> deps.blocking(() -> {
          deps.store().saveBudget(a.ended());
          return null;
        }))
        .compose(v -> writer.event(lease.incident(), "attempt_failed", "attempt " + w.attempt() + " did not fix it: "
            + a.reason()))
        .compose(v -> {
          deps.metrics().remediation(rule.name(), "failed", took);
          return execute(lease, rule, a.then());
        });
  }

  /**
   * A human's "Fixed — retry": restarts the failed tasks once now (outside the attempt budget and its
   * backoff) and stores the verification; the wait it replaces gives back its reservation. A restart Connect
   * refuses leaves the incident with people.
   */
  private Future<Void> retry(Lease lease, Rule rule, Decision.Retry rt, int depth) {
    Incident inc = lease.incident();
    Optional<io.runbookd.connect.ConnectApi> api = deps.clusters().get(inc.cluster());
    if (api.isEmpty()) {
      return writer.configError(lease, rule, "Connect cluster \"" + inc.cluster() + "\" is not configured");
    }
    Step restart = new Step.Restart(true, true);
    Instant start = deps.now();
    return guard.release(rt.superseded().map(Wait::reservationId).orElse(0L))
        .compose(v -> lease.alertContext())
        .compose(ctx -> new StepExecutor(deps).run(restart, new StepExecutor.Target(inc, api.get(), ctx.labels(),
            ctx.annotations())))
        .compose(result -> {
          deps.metrics().action(rule.name(), restart.type(), result.outcome(), Duration.between(start, deps.now()));
          LOG.info("{} action=restart outcome={} msg=\"retry requested by a human\"", inc.context(), result.outcome());
          if (!result.succeeded()) {
            return writer.event(inc, "retry_failed", "the restart a human asked for failed: " + result.error())
                .compose(v -> writer.park(lease, "the restart a human asked for failed"));
          }
          Wait w = Wait.retryVerification(inc.id(), inc.attempts(), deps.now(), rule.verify().within(),
              rule.verify().stableFor());
          return writer.event(inc, "retry", "restarted the failed tasks (include_tasks, only_failed) as asked;"
                  + " verifying: RUNNING and stable for " + Durations.format(rule.verify().stableFor()) + " within "
                  + Durations.format(rule.verify().within()) + ", outside the attempt budget")
              .compose(v -> writer.saveWait(lease, inc.state() == IncidentState.CLOSED ? IncidentState.OPEN : inc.state(),
                  w, deps.now(), true))
              .compose(v -> decideAndAct(lease, depth + 1));
        });
  }

  private Future<Void> close(Lease lease, Rule rule, Optional<Wait> wait, Decision.Close c) {
    if (c.skipped()) {
      deps.metrics().remediation(rule.name(), "skipped", null);
    } else if (c.outcome() == Outcome.CHANGED_BY_SOMEONE_ELSE) {
      deps.metrics().remediation(rule.name(), c.outcome(), null);
    } else if (wait.isPresent() && wait.get().kind() == Wait.Kind.ATTEMPT) {
      deps.metrics().remediation(rule.name(), "recovered", Duration.between(wait.get().startedAt(), deps.now()));
    }
    long reservation = wait.map(Wait::reservationId).orElse(0L);
    return guard.release(reservation).compose(v -> writer.close(lease, c.outcome(), c.why()));
  }

  /** When the step of a wait started: its deadline less its duration. */
  private static Instant stepStart(Step step, Wait w) {
    if (step instanceof Step.Wait s) {
      return w.deadline().minus(s.duration());
    }
    if (step instanceof Step.WaitFor s) {
      return w.deadline().minus(s.within());
    }
    return w.deadline();
  }

  private static String describe(Wait w) {
    return switch (w.kind()) {
      case STEP -> "step " + w.step() + " of attempt " + w.attempt();
      case ATTEMPT -> "the verification of attempt " + w.attempt();
      case CHECK -> "a verification";
      case APPROVAL_CHECK -> "a verification while an approval is pending";
    };
  }

  private static String statusText(RemediationDecider.Facts f) {
    StabilityPolicy.Reading r = f.observed().status();
    return SegmentRunner.describe(r == null ? null : r.status());
  }

  private ConnectApi api(Incident inc) {
    return deps.clusters().get(inc.cluster()).orElseThrow();
  }

  /** Asks the engine to tick at {@code at}: a stored wait is picked up on time, not at the next tick. */
  private void wakeAt(Instant at) {
    long delay = Math.max(1, Duration.between(deps.now(), at).toMillis());
    deps.vertx().setTimer(delay, t -> deps.vertx().eventBus().send(IncidentEngine.WAKE_ADDRESS, null));
  }
}
