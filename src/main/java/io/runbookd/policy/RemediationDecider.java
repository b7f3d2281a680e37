package io.runbookd.policy;

import io.runbookd.model.Approval;
import io.runbookd.model.Budget;
import io.runbookd.model.ConnectorState;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentState;
import io.runbookd.model.Storm;
import io.runbookd.model.Json;
import io.runbookd.model.Outcome;
import io.runbookd.model.ProbeResult;
import io.runbookd.model.Wait;
import io.runbookd.rules.Durations;
import io.runbookd.rules.Rule;
import io.runbookd.rules.Step;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What to do next with one claimed incident, as a pure function of what is known about it now: the
 * incident, its rule, its attempt budget, the cluster's storm, its approvals, its stored wait and one
 * fresh observation of the connector. The engine gathers those facts, calls {@link #decide}, carries the
 * {@link Decision} out, stores the result, and calls again whenever a decision leads straight on to
 * another. Waiting (a verification, a {@code wait_for} step, an approval, a backoff) is always a stored
 * deadline ({@link Wait}, {@code nextActionAt}), never a held thread.
 *
 * <p>Like Cruise Control's {@code SelfHealingNotifier} the answers are values; nothing here reads a clock
 * or does I/O, so tests step time to the millisecond on each side of every boundary.
 */
public final class RemediationDecider {
  /** How soon an approval request that could not be delivered is sent again. */
  public static final Duration NOTIFY_RETRY = Duration.ofSeconds(30);

  private RemediationDecider() {}

  /**
   * The facts of one decision.
   *
   * @param incident the claimed incident
   * @param rule its rule, empty when it is no longer loaded
   * @param clusterConfigured whether its Connect cluster is still configured
   * @param budget the attempt budget of (cluster, connector, rule)
   * @param storm the cluster's current storm, if any (it may be over already)
   * @param approvals the incident's approvals, oldest first
   * @param stored the incident's stored wait, if any
   * @param observed what was read of the connector for this decision ({@link #needs} says what)
   * @param dryRun global or per-rule shadow mode
   * @param pollInterval how often a connector is read while a verdict is open
   * @param now the decision time
   */
  public record Facts(Incident incident, Optional<Rule> rule, boolean clusterConfigured, Budget budget,
      Optional<Storm> storm, List<Approval> approvals, Optional<Wait> stored, Observation observed, boolean dryRun,
      Duration pollInterval, Instant now) {
    public Facts {
      Objects.requireNonNull(incident, "incident");
      Objects.requireNonNull(rule, "rule");
      Objects.requireNonNull(budget, "budget");
      Objects.requireNonNull(storm, "storm");
      approvals = List.copyOf(approvals);
      Objects.requireNonNull(stored, "stored");
      Objects.requireNonNull(observed, "observed");
      Objects.requireNonNull(pollInterval, "pollInterval");
      Objects.requireNonNull(now, "now");
    }
  }

  /** What must be read of the connector before deciding. */
  public enum Need {
    /** {@code GET /connectors/{name}/status}. */
    STATUS,
    /** {@code GET /connectors/{name}/config} (a config-change wait). */
    CONFIG,
    /** Nothing (a {@code wait} step, an approval). */
    NOTHING
  }

  /**
   * One observation of the connector.
   *
   * @param status the status reading, null when not read
   * @param config the connector config, null when not read or unreadable
   */
  public record Observation(StabilityPolicy.Reading status, Map<String, String> config, ProbeResult probe,
      KafkaWaitPolicy.Reading kafka) {
    /** Nothing was read. */
    public static final Observation NONE = new Observation(null, null, null, null);

    /** An observation without a probe. */
    public Observation(StabilityPolicy.Reading status, Map<String, String> config) {
      this(status, config, null, null);
    }

    /** An observation without a Kafka reading. */
    public Observation(StabilityPolicy.Reading status, Map<String, String> config, ProbeResult probe) {
      this(status, config, probe, null);
    }

    /** A copy with the Kafka reading of a wait with Kafka conditions ({@code wait_for} lag, dlq_quiet). */
    public Observation withKafka(KafkaWaitPolicy.Reading k) {
      return new Observation(status, config, probe, k);
    }
  }

  /**
   * True when, besides the status, the connector's config must be read and its dependency probed: the
   * rule has {@code retry.probe}, an attempt is due (OPEN, next action remediate) and an attempt already
   * ended: while its backoff lasts the probe may start the next attempt early; after it, the timeline says
   * whether the dependency answered.
   */
  public static boolean needsProbe(Incident incident, Optional<Rule> rule, Budget budget, Optional<Wait> wait,
      Instant now) {
    return needsProbe(incident, rule, budget, wait, Optional.empty(), now);
  }

  /**
   * As {@link #needsProbe(Incident, Optional, Budget, Optional, Instant)}, and also for the first attempt
   * of a storm member once the storm's hold is over ({@link #afterStorm}).
   */
  public static boolean needsProbe(Incident incident, Optional<Rule> rule, Budget budget, Optional<Wait> wait,
      Optional<Storm> storm, Instant now) {
    if (wait.isPresent() || rule.isEmpty() || rule.get().retry().probe() == null
        || incident.state() != IncidentState.OPEN || !Incident.REMEDIATE.equals(incident.nextAction())) {
      return false;
    }
    return budget.attempts() > 0 && budget.lastAttemptAt() != null
        || afterStorm(incident, rule.get(), budget, storm, now).isPresent();
  }

  /**
   * For a member of {@code storm} whose post-storm attempt is pending ({@link #postStormAttemptPending}),
   * once the storm's hold is over: until when that attempt waits for the rule's probe. The hold stands for the first attempt
   * (nothing was spent), so the bound is the hold's end plus the rule's backoff after a first attempt
   * ({@code backoff[1]}): members of a database outage are retried when the database answers, not all at
   * once into a database that is still down. Empty when that bound has passed or it does not apply.
   */
  static Optional<Instant> afterStorm(Incident incident, Rule rule, Budget budget, Optional<Storm> storm, Instant now) {
    if (!postStormAttemptPending(incident, storm, budget, now)) {
      return Optional.empty();
    }
    Storm s = storm.get();
    Instant end = s.quietUntil().plus(RemediationPolicy.delayBefore(rule.retry(), 2));
    return end.isAfter(now) ? Optional.of(end) : Optional.empty();
  }

  /** True when {@code incident} opened during {@code storm}: from its window before its start to its hold's end. */
  static boolean member(Incident incident, Storm storm) {
    return !incident.openedAt().isBefore(storm.startedAt().minus(storm.window()))
        && !incident.openedAt().isAfter(storm.quietUntil());
  }

  /**
   * True when {@code incident} is a member of {@code storm} whose hold is over at {@code now} and whose
   * post-storm attempt has not ended yet: no attempt of its budget ended after the hold's end
   * ({@code budget.lastAttemptAt <= quietUntil}). Until then that attempt does not spend the budget (the
   * attempts made before the storm was detected do not stop it) and the member's own ladder waits.
   */
  public static boolean postStormAttemptPending(Incident incident, Optional<Storm> storm, Budget budget, Instant now) {
    if (storm.isEmpty() || storm.get().activeAt(now) || !member(incident, storm.get())) {
      return false;
    }
    return budget.lastAttemptAt() == null || !budget.lastAttemptAt().isAfter(storm.get().quietUntil());
  }

  /** When the backoff after the last attempt ends, if an attempt ended and that is after {@code now}. */
  static Optional<Instant> backoffEnd(Rule rule, Budget budget, Instant now) {
    if (budget.lastAttemptAt() == null || budget.attempts() == 0) {
      return Optional.empty();
    }
    Instant end = RemediationPolicy.nextAttemptAt(rule.retry(), budget, now);
    return end.isAfter(now) ? Optional.of(end) : Optional.empty();
  }

  /** What {@link #decide} needs read for {@code incident} with its stored {@code wait}. */
  public static Need needs(Incident incident, Optional<Wait> wait) {
    if (wait.isPresent()) {
      Wait w = wait.get();
      return w.sleep() ? Need.NOTHING : w.configChange() ? Need.CONFIG : Need.STATUS;
    }
    if (incident.state() == IncidentState.AWAITING_APPROVAL && !Incident.VERIFY.equals(incident.nextAction())) {
      return Need.NOTHING;
    }
    return Need.STATUS;
  }

  /** A decision. Each says what the engine does now; the waiting ones say until when. */
  public sealed interface Decision {
    /** Hand the incident to a human: ESCALATED, no next action, a pending approval cancelled. */
    record Park(String why) implements Decision {}

    /**
     * A configuration error, not an outage (e.g. the incident's Connect cluster is not configured): recorded
     * on the incident, escalated once, never retried.
     */
    record ConfigError(String why) implements Decision {}

    /**
     * A human's "Fixed — retry": restart the failed tasks once now and verify (a CHECK verification while
     * the incident is REMEDIATING, so a stable result closes it as {@code recovered}), outside the attempt
     * budget; {@code superseded} is the stored wait it replaces, if any (its reservation is released).
     */
    record Retry(Optional<Wait> superseded) implements Decision {}

    /** Start a wait (a verification) now; {@code eventKind}/{@code eventText} go to the timeline first. */
    record StartWait(Wait start, String eventKind, String eventText) implements Decision {}

    /** The wait is undecided: store {@code next} and look again at {@code at}. */
    record WaitAgain(Wait next, Instant at) implements Decision {}

    /** A {@code wait}/{@code wait_for} step ended: record it, then continue the segment after it. */
    record StepDone(Wait done, boolean verified, String after) implements Decision {}

    /**
     * The attempt failed ({@code reason}); the budget says what follows ({@code then}). For a failed step
     * wait, {@code stepError} is the step's own error (null otherwise).
     */
    record AttemptFailed(Wait of, String stepError, String reason, Budget ended, Decision then) implements Decision {}

    /** A check failed: the timeline says why ({@code message}), then {@code then} follows. */
    record CheckFailed(String message, Decision then) implements Decision {}

    /** Close the incident with {@code outcome}; {@code skipped} counts a remediation that was not needed. */
    record Close(Outcome outcome, String why, boolean skipped) implements Decision {}

    /** Leave the ESCALATED incident to humans: no next action. */
    record Idle() implements Decision {}

    /** A rule without steps only escalates. */
    record EscalateOnly() implements Decision {}

    /** Spend no more: ESCALATED, the "gave up" escalation. */
    record GiveUp(Budget budget) implements Decision {}

    /** The next attempt waits for its backoff: OPEN until {@code at}. */
    record RetryAt(Instant at) implements Decision {}

    /**
     * The next attempt waits for the rule's probe to succeed, at the latest until {@code backoffEnds}: OPEN,
     * looked at again at {@code next}. {@code note}, when not null, goes to the timeline (kind "probe").
     */
    record ProbeWait(Instant backoffEnds, Instant next, String note) implements Decision {}

    /** Write {@code text} to the timeline (kind {@code kind}), then {@code then}. */
    record Noted(String kind, String text, Decision then) implements Decision {}

    /** A storm holds automatic actions: OPEN until the storm's quiet time, the attempt not started. */
    record StormHold(Storm storm, String waitAction) implements Decision {}

    /** Dry run: record what would be done, do nothing. */
    record Shadow() implements Decision {}

    /** Start attempt {@code attempt} by asking for approval at {@code gate} (before its first step). */
    record AskApproval(int attempt, int gate) implements Decision {}

    /** Run the segment of {@code attempt} that starts at step {@code from}, if the guards admit it. */
    record RunSegment(int attempt, int from) implements Decision {}

    /** Make sure the approver was told of {@code pending}, then wait for the decision or the TTL. */
    record AwaitDecision(Approval pending) implements Decision {}

    /** The TTL of {@code pending} passed: its default decides. */
    record ApplyTtl(Approval pending) implements Decision {}

    /** Apply a recorded decision: approved runs on after the gate, otherwise humans take over. */
    record Decided(Approval approval) implements Decision {}
  }

  /** Decides what to do with {@code f.incident()} now. */
  public static Decision decide(Facts f) {
    Incident inc = f.incident();
    if (f.rule().isEmpty()) {
      return new Decision.Park("rule \"" + inc.rule() + "\" is no longer loaded");
    }
    if (!f.clusterConfigured()) {
      return new Decision.ConfigError("Connect cluster \"" + inc.cluster() + "\" is not configured");
    }
    Rule rule = f.rule().get();
    if (Incident.RETRY.equals(inc.nextAction())) {
      return new Decision.Retry(f.stored());
    }
    if (f.stored().isPresent()) {
      return onWait(f, rule, f.stored().get());
    }
    if (inc.state() == IncidentState.REMEDIATING) {
      return check(f, rule, Wait.Kind.CHECK, "resumed",
          "the previous attempt was interrupted (daemon stopped); verifying instead of repeating it");
    }
    if (inc.state() == IncidentState.AWAITING_APPROVAL) {
      return awaiting(f, rule);
    }
    if (Incident.VERIFY.equals(inc.nextAction())) {
      return check(f, rule, Wait.Kind.CHECK, null, null);
    }
    if (Incident.RESUME.equals(inc.nextAction())) {
      Optional<Approval> approved = f.approvals().stream()
          .filter(a -> a.attempt() == inc.attempts() && a.decision() == Approval.Decision.APPROVED)
          .reduce((a, b) -> b);
      if (approved.isPresent()) {
        return new Decision.RunSegment(inc.attempts(), approved.get().resumeAt());
      }
    }
    return attempt(f, rule);
  }

  /** A new attempt is due (or an approved one could not be found: a new one starts). */
  static Decision attempt(Facts f, Rule rule) {
    Incident inc = f.incident();
    StabilityPolicy.Reading r = f.observed().status();
    boolean requested = Incident.REQUESTED.equals(inc.nextAction()) && inc.attempts() == 0;
    // A rule with a consumer_group condition is for a connector Connect shows healthy (a sink whose group lost
    // its members while its task still says RUNNING): a healthy status is no reason not to act for it.
    if (!requested && rule.live().consumerGroup() == null && r != null && r.status() != null
        && StabilityPolicy.holds(r.status(), rule.verify().state())) {
      return check(f, rule, Wait.Kind.CHECK, "healthy", (rule.verify().state() == ConnectorState.RUNNING
          ? "connector is healthy now (" : "connector is " + rule.verify().state() + " already (")
          + StabilityPolicy.describe(r.status()) + "); verifying stability instead of acting");
    }
    if (rule.steps().isEmpty()) {
      return new Decision.EscalateOnly();
    }
    Optional<Storm> storm = f.storm().filter(s -> s.activeAt(f.now()));
    if (storm.isPresent()) {
      return new Decision.StormHold(storm.get(), Incident.REMEDIATE);
    }
    if (RemediationPolicy.exhausted(rule.retry(), f.budget())
        && !postStormAttemptPending(inc, f.storm(), f.budget(), f.now())) {
      return new Decision.GiveUp(f.budget());
    }
    Rule.Probe probe = rule.retry().probe();
    Optional<Instant> backoffEnd = probe == null ? Optional.empty() : backoffEnd(rule, f.budget(), f.now())
        .or(() -> afterStorm(inc, rule, f.budget(), f.storm(), f.now()));
    String probed = null;
    if (backoffEnd.isPresent()) {
      ProbeResult p = f.observed().probe();
      if (p == null || p.outcome() == ProbeResult.Outcome.NO_ENDPOINT) {
        return new Decision.ProbeWait(backoffEnd.get(), backoffEnd.get(), "no endpoint to probe ("
            + (p == null ? "the connector config could not be read" : p.detail()) + "); the next attempt waits for the"
            + " backoff until " + backoffEnd.get());
      }
      if (!p.reached()) {
        Instant again = f.now().plus(probe.every());
        return new Decision.ProbeWait(backoffEnd.get(), again.isBefore(backoffEnd.get()) ? again : backoffEnd.get(), null);
      }
      probed = p.endpoint() + " answers (" + p.detail() + "); retrying now instead of at " + backoffEnd.get()
          + " (the end of the backoff)";
    } else if (probe != null && f.observed().probe() != null && !f.observed().probe().reached()
        && f.budget().attempts() > 0) {
      probed = "the backoff is over and " + (f.observed().probe().endpoint() == null ? "no endpoint was probed ("
          + f.observed().probe().detail() + ")" : f.observed().probe().endpoint() + " still does not answer runbookd ("
          + f.observed().probe().detail() + ")") + "; retrying by the clock";
    }
    Decision run = runAttempt(f, rule);
    return probed == null ? run : new Decision.Noted("probe", probed, run);
  }

  private static Decision runAttempt(Facts f, Rule rule) {
    if (f.dryRun()) {
      return new Decision.Shadow();
    }
    int next = f.incident().attempts() + 1;
    if (rule.gateBeforeSteps().isPresent()) {
      return new Decision.AskApproval(next, Approval.BEFORE_STEPS);
    }
    return new Decision.RunSegment(next, 0);
  }

  /** A verification outside an attempt, starting now with the reading in hand. */
  private static Decision check(Facts f, Rule rule, Wait.Kind kind, String eventKind, String eventText) {
    Wait w = Wait.verification(f.incident().id(), kind, f.incident().attempts(), rule.verify().state(), f.now(),
        rule.verify().within(), rule.verify().stableFor(), 0, f.now());
    return new Decision.StartWait(w, eventKind, eventText);
  }

  /** An incident in AWAITING_APPROVAL: a decision, the TTL, a verification, or waiting on. */
  private static Decision awaiting(Facts f, Rule rule) {
    Incident inc = f.incident();
    Optional<Approval> pending = f.approvals().stream().filter(Approval::pending).findFirst();
    if (pending.isEmpty()) {
      Optional<Approval> latest = f.approvals().stream().filter(a -> a.attempt() == inc.attempts()).reduce((a, b) -> b);
      return latest.<Decision>map(Decision.Decided::new)
          .orElseGet(() -> new Decision.Park("AWAITING_APPROVAL without an approval request"));
    }
    Approval a = pending.get();
    if (!f.now().isBefore(a.expiresAt())) {
      return new Decision.ApplyTtl(a);
    }
    if (Incident.VERIFY.equals(inc.nextAction())) {
      return check(f, rule, Wait.Kind.APPROVAL_CHECK, null, null);
    }
    return new Decision.AwaitDecision(a);
  }

  /** The incident has a stored wait: look at what was observed. */
  private static Decision onWait(Facts f, Rule rule, Wait w) {
    if (w.sleep()) {
      return f.now().isBefore(w.deadline()) ? new Decision.WaitAgain(w, w.deadline())
          : new Decision.StepDone(w, false, null);
    }
    if (w.configChange()) {
      return onConfigWait(f, rule, w);
    }
    StabilityPolicy.Reading reading = f.observed().status();
    if (reading == null) {
      return new Decision.WaitAgain(w, f.now());
    }
    StabilityPolicy.Verdict v = StabilityPolicy.observe(w, reading, f.now(), f.pollInterval());
    if (w.kafka() != null) {
      v = KafkaWaitPolicy.observe(w, v, f.observed().kafka(), f.now(), f.pollInterval());
    }
    if (v instanceof StabilityPolicy.Verdict.Again again) {
      return new Decision.WaitAgain(again.next(), again.at());
    }
    String stable = StabilityPolicy.verified(w.state(), w.stableFor());
    if (v instanceof StabilityPolicy.Verdict.Stable) {
      return switch (w.kind()) {
        case STEP -> new Decision.StepDone(w, w.state() == ConnectorState.RUNNING, stepAfter(w, reading, f));
        case ATTEMPT -> new Decision.Close(Outcome.RECOVERED, "verified (" + stable + ") after attempt " + w.attempt(), false);
        case CHECK -> w.retry()
            ? new Decision.Close(Outcome.RECOVERED, "verified (" + stable + ") after the restart a human asked for"
                + " (Fixed — retry)", false)
            : f.incident().attempts() == 0
            ? new Decision.Close(f.dryRun() ? Outcome.SHADOW : Outcome.HEALTHY, "verified: " + stable, true)
            : f.incident().state() == IncidentState.REMEDIATING
            ? new Decision.Close(Outcome.RECOVERED, "verified: " + stable, false)
            // runbookd's last attempt had failed and it has not acted since: someone else fixed it
            : new Decision.Close(Outcome.CHANGED_BY_SOMEONE_ELSE, "verified: " + stable + " after runbookd's attempt "
                + f.incident().attempts() + " had failed, with no runbookd action since: a restart, resume or config"
                + " change runbookd did not issue fixed it", false);
        case APPROVAL_CHECK -> new Decision.Close(Outcome.RECOVERED, "verified while waiting for approval: " + stable
            + "; the approval is no longer needed", true);
      };
    }
    StabilityPolicy.Verdict.Failed failed = (StabilityPolicy.Verdict.Failed) v;
    return switch (w.kind()) {
      case STEP -> attemptFailed(f, rule, w, failed.reason(), stepType(rule, w) + " failed: " + failed.reason());
      case ATTEMPT -> attemptFailed(f, rule, w, null, failed.reason());
      case CHECK -> failed.gone()
          ? new Decision.Close(Outcome.CONNECTOR_DELETED, "the connector no longer exists on " + f.incident().cluster(), false)
          : w.retry()
          ? new Decision.CheckFailed("the retry did not fix it: " + failed.reason(),
              new Decision.Park("the restart a human asked for did not fix it"))
          : new Decision.CheckFailed("not closing: " + failed.reason(), afterFailedCheck(f, rule));
      case APPROVAL_CHECK -> {
        Optional<Approval> pending = f.approvals().stream().filter(Approval::pending).findFirst();
        Decision then = pending.<Decision>map(Decision.AwaitDecision::new).orElseGet(() -> awaiting(f, rule));
        yield new Decision.CheckFailed("not closing: " + failed.reason() + "; still waiting for approval", then);
      }
    };
  }

  /** The after-state of a state wait step: the status read, and the Kafka figures when it had conditions. */
  private static String stepAfter(Wait w, StabilityPolicy.Reading reading, Facts f) {
    Map<String, Object> out = new java.util.LinkedHashMap<>();
    if (reading.status() != null) {
      out.put("status", StabilityPolicy.describe(reading.status()));
    }
    if (w.kafka() != null && f.observed().kafka() != null) {
      out.put("kafka", KafkaWaitPolicy.describe(KafkaWaitPolicy.update(w.kafka(), f.observed().kafka(), f.now())));
    }
    return out.isEmpty() ? null : Json.write(out);
  }

  private static Decision onConfigWait(Facts f, Rule rule, Wait w) {
    Map<String, String> current = f.observed().config();
    Map<String, String> baseline = ConfigDiff.parse(w.baseline());
    if (current != null && !current.equals(baseline)) {
      return new Decision.StepDone(w, false, ConfigDiff.describe(baseline, current));
    }
    if (f.now().isAfter(w.deadline())) {
      String error = "connector configuration did not change in time";
      return attemptFailed(f, rule, w, error, "wait_for failed: " + error);
    }
    return new Decision.WaitAgain(w, f.now().plus(f.pollInterval()));
  }

  private static String stepType(Rule rule, Wait w) {
    return w.step() >= 0 && w.step() < rule.steps().size() ? rule.steps().get(w.step()).type() : "wait_for";
  }

  private static Decision attemptFailed(Facts f, Rule rule, Wait w, String stepError, String reason) {
    Decision.AttemptFailed failed = attemptFailed(rule, w, stepError, reason, f.budget(), f.now());
    Optional<Storm> storm = f.storm().filter(s -> s.activeAt(f.now()) && member(f.incident(), s));
    if (storm.isPresent() && failed.then() instanceof Decision.GiveUp) {
      // An attempt that ends during its storm's hold does not make the member give up: its post-storm
      // attempt comes after the hold, when its dependency answers.
      return new Decision.AttemptFailed(w, stepError, reason, failed.ended(), new Decision.RetryAt(storm.get().quietUntil()));
    }
    return failed;
  }

  /**
   * The attempt of {@code w} failed at {@code now}: its end counts in the budget ({@code lastAttemptAt});
   * then give up when the budget is spent, else retry after the backoff.
   *
   * @param stepError the failed step's own error, or null when the attempt's verification failed
   * @param reason for the timeline
   */
  public static Decision.AttemptFailed attemptFailed(Rule rule, Wait w, String stepError, String reason, Budget budget,
      Instant now) {
    Budget ended = new Budget(budget.cluster(), budget.connector(), budget.rule(), budget.attempts(), now,
        budget.lastRecoveredAt());
    Decision then = RemediationPolicy.exhausted(rule.retry(), ended) ? new Decision.GiveUp(ended) : retry(rule, ended, now);
    return new Decision.AttemptFailed(w, stepError, reason, ended, then);
  }

  /** After a failed attempt: the backoff, or, with a probe, the probe with the backoff as upper bound. */
  private static Decision retry(Rule rule, Budget budget, Instant now) {
    Instant at = RemediationPolicy.nextAttemptAt(rule.retry(), budget, now);
    Rule.Probe probe = rule.retry().probe();
    if (probe == null || !at.isAfter(now)) {
      return new Decision.RetryAt(at);
    }
    Instant first = now.plus(probe.every());
    return new Decision.ProbeWait(at, first.isBefore(at) ? first : at, "next attempt as soon as the connector's"
        + " endpoint answers a " + probe.describe() + " from runbookd (every " + Durations.format(probe.every())
        + "), at the latest at " + at);
  }

  /** After a failed check: an escalated incident stays with humans; otherwise the budget decides. */
  private static Decision afterFailedCheck(Facts f, Rule rule) {
    if (f.incident().state() == IncidentState.ESCALATED) {
      return new Decision.Idle();
    }
    Optional<Storm> storm = f.storm().filter(s -> s.activeAt(f.now()) && member(f.incident(), s));
    if (storm.isPresent() && RemediationPolicy.exhausted(rule.retry(), f.budget())) {
      return new Decision.RetryAt(storm.get().quietUntil());
    }
    return RemediationPolicy.exhausted(rule.retry(), f.budget()) ? new Decision.GiveUp(f.budget())
        : retry(rule, f.budget(), f.now());
  }

  /** The stable_for of the rule's last {@code wait_for} RUNNING step, used when that step verified the fix. */
  public static Duration verifiedFor(Rule rule) {
    Duration d = rule.verify().stableFor();
    for (Step s : rule.steps()) {
      if (s instanceof Step.WaitFor w && !w.configChange() && w.state() == ConnectorState.RUNNING) {
        d = w.stableFor();
      }
    }
    return d;
  }

  /** Steps after which an earlier verification no longer holds. */
  public static boolean mutates(Step step) {
    return !(step instanceof Step.Notify) && !(step instanceof Step.Wait) && !(step instanceof Step.Http)
        && !(step instanceof Step.Silence);
  }
}
