package io.runbookd.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.Approval;
import io.runbookd.model.Budget;
import io.runbookd.model.ConnectorState;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentState;
import io.runbookd.model.Outcome;
import io.runbookd.model.Storm;
import io.runbookd.model.Wait;
import io.runbookd.policy.RemediationDecider.Decision;
import io.runbookd.policy.RemediationDecider.Facts;
import io.runbookd.policy.RemediationDecider.Observation;
import io.runbookd.rules.Rule;
import io.runbookd.rules.RuleLoader;
import io.runbookd.testkit.SteppedClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pure remediation decider, stepped to the millisecond on each side of every boundary. */
class RemediationDeciderTest {
  private static final Instant T0 = Instant.parse("2026-11-28T03:00:00Z");
  private static final Duration POLL = Duration.ofSeconds(2);
  private static final Observation RUNNING = new Observation(StabilityPolicyTest.RUNNING, null);
  private static final Observation FAILED = new Observation(StabilityPolicyTest.FAILED, null);

  private final SteppedClock clock = new SteppedClock(T0);

  private static Rule rule(String extra, String steps) {
    try {
      return new RuleLoader(new RuleLoader.Context(Set.of("prod"), Set.of("owner", "oncall")), Clock.systemUTC())
          .parse("r.yaml", """
              rules:
                - name: refused
                  match: { alert: ['alertname="KafkaConnectTaskFailure"'] }
                  target: { cluster: prod, connector: '{{ labels.connector }}' }
                  retry: { max_attempts: 2, backoff: [0s, 2m] }
                  verify: { within: 2m, stable_for: 30s }
              %s
                  steps:
              %s
              """.formatted(extra.isEmpty() ? "" : "    " + extra, steps.indent(6).stripTrailing())).rules().get(0);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static final Rule RESTART = rule("", "- restart: {}");

  private static Incident incident(IncidentState state, int attempts, String nextAction) {
    return new Incident("inc-1", "prod", "orders-sink", "refused", state, null, attempts, "refused", null, T0, T0, null,
        T0, nextAction, null, null, null);
  }

  private static Budget budget(int attempts) {
    return new Budget("prod", "orders-sink", "refused", attempts, attempts == 0 ? null : T0, null);
  }

  private Facts facts(Incident inc, Rule rule, Budget budget, Optional<Storm> storm, List<Approval> approvals,
      Optional<Wait> wait, Observation observed, boolean dryRun) {
    return new Facts(inc, Optional.ofNullable(rule), true, budget, storm, approvals, wait, observed, dryRun, POLL,
        clock.instant());
  }

  private Facts fresh(Rule rule, Observation observed) {
    return facts(incident(IncidentState.OPEN, 0, Incident.REMEDIATE), rule, budget(0), Optional.empty(), List.of(),
        Optional.empty(), observed, false);
  }

  @Test
  void aMissingRuleOrClusterHandsTheIncidentToAHuman() {
    Incident inc = incident(IncidentState.OPEN, 0, Incident.REMEDIATE);
    assertThat(RemediationDecider.decide(facts(inc, null, budget(0), Optional.empty(), List.of(), Optional.empty(), FAILED,
        false))).isEqualTo(new Decision.Park("rule \"refused\" is no longer loaded"));
    assertThat(RemediationDecider.decide(new Facts(inc, Optional.of(RESTART), false, budget(0), Optional.empty(), List.of(),
        Optional.empty(), FAILED, false, POLL, T0))).isEqualTo(new Decision.ConfigError("Connect cluster \"prod\" is not configured"));
  }

  @Test
  void aFailedConnectorGetsItsFirstAttempt() {
    assertThat(RemediationDecider.decide(fresh(RESTART, FAILED))).isEqualTo(new Decision.RunSegment(1, 0));
  }

  @Test
  void aConnectorHealthyByNowIsVerifiedInsteadOfActedOn() {
    assertThat(RemediationDecider.decide(fresh(RESTART, RUNNING))).isInstanceOfSatisfying(Decision.StartWait.class, s -> {
      assertThat(s.start().kind()).isEqualTo(Wait.Kind.CHECK);
      assertThat(s.start().deadline()).isEqualTo(T0.plus(Duration.ofMinutes(2)));
      assertThat(s.eventKind()).isEqualTo("healthy");
      assertThat(s.eventText()).isEqualTo("connector is healthy now (connector RUNNING, task 0 RUNNING); verifying"
          + " stability instead of acting");
    });
  }

  @Test
  void aRuleWithoutStepsOnlyEscalatesAndASpentBudgetGivesUp() {
    assertThat(RemediationDecider.decide(fresh(rule("escalation: [{ after: 15m, notify: oncall }]", "[]"), FAILED)))
        .isEqualTo(new Decision.EscalateOnly());
    Facts spent = facts(incident(IncidentState.OPEN, 2, Incident.REMEDIATE), RESTART, budget(2), Optional.empty(), List.of(),
        Optional.empty(), FAILED, false);
    assertThat(RemediationDecider.decide(spent)).isEqualTo(new Decision.GiveUp(budget(2)));
  }

  @Test
  void aStormHoldsTheAttemptUntilItsQuietTimeToTheMillisecond() {
    Storm storm = new Storm(7, "prod", T0, T0, T0.plusSeconds(30), Duration.ofSeconds(30), "oncall", null, null, 12, List.of());
    clock.set(T0.plusSeconds(30).minusMillis(1));
    Facts during = facts(incident(IncidentState.OPEN, 0, Incident.REMEDIATE), RESTART, budget(0), Optional.of(storm),
        List.of(), Optional.empty(), FAILED, false);
    assertThat(RemediationDecider.decide(during)).isEqualTo(new Decision.StormHold(storm, Incident.REMEDIATE));
    clock.advanceMillis(1);
    Facts after = facts(incident(IncidentState.OPEN, 0, Incident.REMEDIATE), RESTART, budget(0), Optional.of(storm),
        List.of(), Optional.empty(), FAILED, false);
    assertThat(RemediationDecider.decide(after)).isEqualTo(new Decision.RunSegment(1, 0));
  }

  @Test
  void shadowModeAndApprovalGatesComeBeforeAnyStep() {
    Incident inc = incident(IncidentState.OPEN, 0, Incident.REMEDIATE);
    assertThat(RemediationDecider.decide(facts(inc, RESTART, budget(0), Optional.empty(), List.of(), Optional.empty(), FAILED,
        true))).isEqualTo(new Decision.Shadow());
    Rule gated = rule("approval: { required: always, notify: oncall }", "- restart: {}");
    assertThat(RemediationDecider.decide(fresh(gated, FAILED))).isEqualTo(new Decision.AskApproval(1, Approval.BEFORE_STEPS));
  }

  @Test
  void anAttemptInterruptedByADeadDaemonIsVerifiedNotRepeated() {
    Facts f = facts(incident(IncidentState.REMEDIATING, 1, Incident.REMEDIATE), RESTART, budget(1), Optional.empty(),
        List.of(), Optional.empty(), FAILED, false);
    assertThat(RemediationDecider.decide(f)).isInstanceOfSatisfying(Decision.StartWait.class, s -> {
      assertThat(s.start().kind()).isEqualTo(Wait.Kind.CHECK);
      assertThat(s.eventKind()).isEqualTo("resumed");
    });
  }

  @Test
  void theApprovalTtlAppliesAtItsExpiryNotAMillisecondBefore() {
    Approval pending = Approval.request("inc-1", 1, Approval.BEFORE_STEPS, T0, Duration.ofMinutes(30), false, "oncall",
        "{}", "why");
    Incident inc = incident(IncidentState.AWAITING_APPROVAL, 1, Incident.APPROVAL);
    clock.set(T0.plus(Duration.ofMinutes(30)).minusMillis(1));
    assertThat(RemediationDecider.decide(facts(inc, RESTART, budget(0), Optional.empty(), List.of(pending), Optional.empty(),
        Observation.NONE, false))).isEqualTo(new Decision.AwaitDecision(pending));
    clock.advanceMillis(1);
    assertThat(RemediationDecider.decide(facts(inc, RESTART, budget(0), Optional.empty(), List.of(pending), Optional.empty(),
        Observation.NONE, false))).isEqualTo(new Decision.ApplyTtl(pending));
    assertThat(RemediationDecider.needs(inc, Optional.empty())).isEqualTo(RemediationDecider.Need.NOTHING);
  }

  @Test
  void anApprovedGateRunsTheStepsAfterIt() {
    Approval approved = new Approval("inc-1", 1, Approval.BEFORE_STEPS, T0, T0.plusSeconds(60), false, "oncall", "{}", "why",
        T0, Approval.Decision.APPROVED, "human", "alice", T0.plusSeconds(5), null);
    Incident waiting = incident(IncidentState.AWAITING_APPROVAL, 1, Incident.APPROVAL);
    assertThat(RemediationDecider.decide(facts(waiting, RESTART, budget(0), Optional.empty(), List.of(approved),
        Optional.empty(), Observation.NONE, false))).isEqualTo(new Decision.Decided(approved));
    Incident resumed = incident(IncidentState.OPEN, 1, Incident.RESUME);
    assertThat(RemediationDecider.decide(facts(resumed, RESTART, budget(0), Optional.empty(), List.of(approved),
        Optional.empty(), FAILED, false))).isEqualTo(new Decision.RunSegment(1, 0));
  }

  @Test
  void theAttemptsVerificationClosesAtStableForAndFailsJustAfterItsDeadline() {
    Wait w = Wait.verification("inc-1", Wait.Kind.ATTEMPT, 1, ConnectorState.RUNNING, T0, Duration.ofMinutes(2),
        Duration.ofSeconds(30), 0, T0).withStableSince(T0);
    Incident inc = incident(IncidentState.REMEDIATING, 1, Incident.WAIT);
    clock.set(T0.plusSeconds(30).minusMillis(1));
    assertThat(RemediationDecider.decide(facts(inc, RESTART, budget(1), Optional.empty(), List.of(), Optional.of(w), RUNNING,
        false))).isEqualTo(new Decision.WaitAgain(w.withLeftFailedAt(clock.instant()), T0.plusSeconds(30)));
    clock.advanceMillis(1);
    assertThat(RemediationDecider.decide(facts(inc, RESTART, budget(1), Optional.empty(), List.of(), Optional.of(w), RUNNING,
        false))).isEqualTo(new Decision.Close(Outcome.RECOVERED, "verified (RUNNING and stable for 30s) after attempt 1", false));

    Wait noStreak = w.withStableSince(null);
    clock.set(T0.plus(Duration.ofMinutes(2)));
    assertThat(RemediationDecider.decide(facts(inc, RESTART, budget(1), Optional.empty(), List.of(), Optional.of(noStreak),
        FAILED, false))).isInstanceOf(Decision.WaitAgain.class);
    clock.advanceMillis(1);
    Instant end = clock.instant();
    Decision failed = RemediationDecider.decide(facts(inc, RESTART, budget(1), Optional.empty(), List.of(),
        Optional.of(noStreak), FAILED, false));
    Budget ended = new Budget("prod", "orders-sink", "refused", 1, end, null);
    assertThat(failed).isEqualTo(new Decision.AttemptFailed(noStreak, null,
        "not RUNNING and stable for 30s in time: connector RUNNING, task 0 FAILED", ended,
        new Decision.RetryAt(end.plus(Duration.ofMinutes(2)))));
    Decision last = RemediationDecider.decide(facts(inc, RESTART, budget(2), Optional.empty(), List.of(),
        Optional.of(noStreak), FAILED, false));
    assertThat(((Decision.AttemptFailed) last).then()).as("the budget of 2 is spent")
        .isEqualTo(new Decision.GiveUp(new Budget("prod", "orders-sink", "refused", 2, end, null)));
  }

  private static Rule pauseRule() {
    try {
      return new RuleLoader(new RuleLoader.Context(Set.of("prod"), Set.of()), Clock.systemUTC()).parse("p.yaml", """
          rules:
            - name: refused
              match: { alert: ['alertname="OrdersDbOverloaded"'] }
              target: { cluster: prod, connector: '{{ labels.connector }}' }
              retry: { max_attempts: 1 }
              verify: { within: 2m, stable_for: 30s, state: PAUSED }
              steps: [ { pause: {} } ]
          """).rules().get(0);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aPauseRuleClosesRecoveredWhenTheConnectorHeldPausedNotWhenItRuns() {
    Rule pause = pauseRule();
    Observation paused = new Observation(StabilityPolicy.Reading.of(StabilityPolicyTest.status(ConnectorState.PAUSED,
        ConnectorState.PAUSED)), null);
    assertThat(RemediationDecider.decide(fresh(pause, RUNNING))).as("a running connector is what the pause is for")
        .isEqualTo(new Decision.RunSegment(1, 0));
    assertThat(RemediationDecider.decide(fresh(pause, paused))).isInstanceOfSatisfying(Decision.StartWait.class, s -> {
      assertThat(s.start().state()).isEqualTo(ConnectorState.PAUSED);
      assertThat(s.eventText()).isEqualTo("connector is PAUSED already (connector PAUSED, task 0 PAUSED); verifying"
          + " stability instead of acting");
    });

    Wait w = Wait.verification("inc-1", Wait.Kind.ATTEMPT, 1, ConnectorState.PAUSED, T0, Duration.ofMinutes(2),
        Duration.ofSeconds(30), 0, T0).withStableSince(T0);
    Incident inc = incident(IncidentState.REMEDIATING, 1, Incident.WAIT);
    clock.set(T0.plusSeconds(30).minusMillis(1));
    assertThat(RemediationDecider.decide(facts(inc, pause, budget(1), Optional.empty(), List.of(), Optional.of(w), paused,
        false))).isEqualTo(new Decision.WaitAgain(w, T0.plusSeconds(30)));
    clock.advanceMillis(1);
    assertThat(RemediationDecider.decide(facts(inc, pause, budget(1), Optional.empty(), List.of(), Optional.of(w), paused,
        false))).isEqualTo(new Decision.Close(Outcome.RECOVERED,
            "verified (connector PAUSED as requested, held for 30s) after attempt 1", false));
    assertThat(RemediationDecider.decide(facts(inc, pause, budget(1), Optional.empty(), List.of(), Optional.of(w), RUNNING,
        false))).as("resumed meanwhile: not verified").isInstanceOfSatisfying(Decision.WaitAgain.class,
            a -> assertThat(a.next().stableSince()).isNull());
  }

  @Test
  void aCheckOnADeletedConnectorClosesItAndAFailedCheckOnAnEscalatedIncidentStaysWithHumans() {
    Wait check = Wait.verification("inc-1", Wait.Kind.CHECK, 0, ConnectorState.RUNNING, T0, Duration.ofMinutes(2),
        Duration.ofSeconds(30), 0, T0);
    clock.set(T0.plus(Duration.ofMinutes(2)).plusMillis(1));
    Observation gone = new Observation(StabilityPolicy.Reading.failed(StabilityPolicy.NOT_FOUND), null);
    assertThat(RemediationDecider.decide(facts(incident(IncidentState.OPEN, 0, Incident.WAIT), RESTART, budget(0),
        Optional.empty(), List.of(), Optional.of(check), gone, false)))
        .isEqualTo(new Decision.Close(Outcome.CONNECTOR_DELETED, "the connector no longer exists on prod", false));
    assertThat(RemediationDecider.decide(facts(incident(IncidentState.ESCALATED, 2, Incident.WAIT), RESTART, budget(2),
        Optional.empty(), List.of(), Optional.of(check), FAILED, false))).isEqualTo(new Decision.CheckFailed(
        "not closing: not RUNNING and stable for 30s in time: connector RUNNING, task 0 FAILED", new Decision.Idle()));
  }

  @Test
  void aDoomedRestartsWaitForFailsWhenTheTaskIsFailedAgainNotAtWithin() {
    Rule r = rule("", "- restart: {}\n- wait_for: { state: RUNNING, within: 2m, stable_for: 30s }");
    Incident inc = incident(IncidentState.REMEDIATING, 1, Incident.WAIT);
    Wait step = new Wait("inc-1", Wait.Kind.STEP, 1, 1, 44, ConnectorState.RUNNING, T0.plus(Duration.ofMinutes(2)),
        Duration.ofSeconds(30), null, null, 0, T0);
    clock.set(T0.plusSeconds(2));
    Decision restarting = RemediationDecider.decide(facts(inc, r, budget(1), Optional.empty(), List.of(), Optional.of(step),
        new Observation(StabilityPolicyTest.RESTARTING, null), false));
    Wait seen = ((Decision.WaitAgain) restarting).next();
    assertThat(seen.leftFailedAt()).isEqualTo(T0.plusSeconds(2));

    clock.set(T0.plusSeconds(31));
    assertThat(RemediationDecider.decide(facts(inc, r, budget(1), Optional.empty(), List.of(), Optional.of(seen), FAILED,
        false))).isInstanceOfSatisfying(Decision.AttemptFailed.class, a -> {
          assertThat(a.reason()).isEqualTo("wait_for failed: FAILED again after the restart: connector RUNNING, task 0 FAILED");
          assertThat(a.ended().lastAttemptAt()).as("the backoff counts from the failure, 89 s before `within` ends")
              .isEqualTo(T0.plusSeconds(31));
          assertThat(a.then()).isEqualTo(new Decision.RetryAt(T0.plusSeconds(31).plus(Duration.ofMinutes(2))));
        });
  }

  private static final Rule PROBED = probedRule();

  private static Rule probedRule() {
    try {
      return new RuleLoader(new RuleLoader.Context(Set.of("prod"), Set.of("owner", "oncall")), Clock.systemUTC())
          .parse("r.yaml", """
              rules:
                - name: refused
                  match: { alert: ['alertname="KafkaConnectTaskFailure"'] }
                  target: { cluster: prod, connector: '{{ labels.connector }}' }
                  retry: { max_attempts: 3, backoff: [0s, 2m], probe: tcp }
                  steps:
                    - restart: {}
              """).rules().get(0);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
  private static final io.runbookd.model.Endpoint PG = new io.runbookd.model.Endpoint("127.0.0.1", 5434, null, "connection.url");

  private Facts probed(io.runbookd.model.ProbeResult probe) {
    return facts(incident(IncidentState.OPEN, 1, Incident.REMEDIATE), PROBED, budget(1), Optional.empty(), List.of(),
        Optional.empty(), new Observation(StabilityPolicyTest.FAILED, null, probe), false);
  }

  @Test
  void withAProbeTheNextAttemptStartsWhenTheDependencyAnswersAtTheLatestWhenTheBackoffEnds() {
    Instant backoffEnds = T0.plus(Duration.ofMinutes(2));
    Wait step = new Wait("inc-1", Wait.Kind.STEP, 1, 1, 44, ConnectorState.RUNNING, T0.plus(Duration.ofMinutes(2)),
        Duration.ofSeconds(30), null, null, 0, T0);
    assertThat(RemediationDecider.attemptFailed(PROBED, step, null, "FAILED again", budget(1), T0).then())
        .as("the first look 5 s after the failure").isEqualTo(new Decision.ProbeWait(backoffEnds, T0.plusSeconds(5),
            "next attempt as soon as the connector's endpoint answers a tcp connect from runbookd (every 5s), at the"
                + " latest at " + backoffEnds));
    Incident inc = incident(IncidentState.OPEN, 1, Incident.REMEDIATE);
    assertThat(RemediationDecider.needsProbe(inc, Optional.of(PROBED), budget(1), Optional.empty(), T0)).isTrue();
    assertThat(RemediationDecider.needsProbe(inc, Optional.of(RESTART), budget(1), Optional.empty(), T0))
        .as("a rule without probe waits for the clock").isFalse();
    assertThat(RemediationDecider.needsProbe(incident(IncidentState.OPEN, 0, Incident.REMEDIATE), Optional.of(PROBED),
        budget(0), Optional.empty(), T0)).as("the first attempt is not held by a probe").isFalse();

    io.runbookd.model.ProbeResult refused = new io.runbookd.model.ProbeResult(io.runbookd.model.ProbeResult.Outcome.UNREACHABLE,
        PG, "tcp connect to 127.0.0.1:5434 failed: Connection refused");
    clock.set(backoffEnds.minusSeconds(3));
    assertThat(RemediationDecider.decide(probed(refused))).as("never later than the backoff's end")
        .isEqualTo(new Decision.ProbeWait(backoffEnds, backoffEnds, null));
    clock.set(T0.plusSeconds(40));
    assertThat(RemediationDecider.decide(probed(refused))).isEqualTo(new Decision.ProbeWait(backoffEnds, T0.plusSeconds(45), null));
    io.runbookd.model.ProbeResult up = new io.runbookd.model.ProbeResult(io.runbookd.model.ProbeResult.Outcome.REACHED, PG,
        "tcp connect to 127.0.0.1:5434 succeeded");
    assertThat(RemediationDecider.decide(probed(up))).isEqualTo(new Decision.Noted("probe", "127.0.0.1:5434 answers (tcp"
        + " connect to 127.0.0.1:5434 succeeded); retrying now instead of at " + backoffEnds + " (the end of the backoff)",
        new Decision.RunSegment(2, 0)));

    io.runbookd.model.ProbeResult none = new io.runbookd.model.ProbeResult(io.runbookd.model.ProbeResult.Outcome.NO_ENDPOINT,
        null, "the connector config names no endpoint");
    assertThat(RemediationDecider.decide(probed(none))).as("no endpoint: the clock decides, and the timeline says so")
        .isEqualTo(new Decision.ProbeWait(backoffEnds, backoffEnds, "no endpoint to probe (the connector config names no"
            + " endpoint); the next attempt waits for the backoff until " + backoffEnds));
    clock.set(backoffEnds);
    assertThat(RemediationDecider.decide(probed(refused))).as("unreachable from runbookd: retry by the clock")
        .isEqualTo(new Decision.Noted("probe", "the backoff is over and 127.0.0.1:5434 still does not answer runbookd (tcp"
            + " connect to 127.0.0.1:5434 failed: Connection refused); retrying by the clock", new Decision.RunSegment(2, 0)));
  }

  @Test
  void aStormMembersFirstAttemptAfterTheHoldWaitsForTheDatabaseAtMostItsSecondBackoff() {
    // 20 connectors failed from T0; the last at T0+30s; window 30s: the hold ends at T0+60s.
    Storm storm = new Storm(7, "prod", T0, T0.plusSeconds(30), T0.plusSeconds(60), Duration.ofSeconds(30), "oncall", T0,
        null, 20, List.of());
    Instant holdEnds = T0.plusSeconds(60);
    Instant bound = holdEnds.plus(Duration.ofMinutes(2));
    Incident member = incident(IncidentState.OPEN, 0, Incident.REMEDIATE);
    io.runbookd.model.ProbeResult refused = new io.runbookd.model.ProbeResult(io.runbookd.model.ProbeResult.Outcome.UNREACHABLE,
        PG, "tcp connect to 127.0.0.1:5434 failed: Connection refused");
    java.util.function.Function<io.runbookd.model.ProbeResult, Facts> at = probe -> facts(member, PROBED, budget(0),
        Optional.of(storm), List.of(), Optional.empty(), new Observation(StabilityPolicyTest.FAILED, null, probe), false);

    clock.set(holdEnds.minusMillis(1));
    assertThat(RemediationDecider.decide(at.apply(null))).as("the hold").isEqualTo(new Decision.StormHold(storm, Incident.REMEDIATE));
    assertThat(RemediationDecider.needsProbe(member, Optional.of(PROBED), budget(0), Optional.empty(), Optional.of(storm),
        clock.instant())).as("nothing to probe while the hold lasts").isFalse();
    clock.set(holdEnds);
    assertThat(RemediationDecider.needsProbe(member, Optional.of(PROBED), budget(0), Optional.empty(), Optional.of(storm),
        clock.instant())).isTrue();
    assertThat(RemediationDecider.decide(at.apply(refused))).as("the database is still down: no restart, no budget spent")
        .isEqualTo(new Decision.ProbeWait(bound, holdEnds.plusSeconds(5), null));
    io.runbookd.model.ProbeResult up = new io.runbookd.model.ProbeResult(io.runbookd.model.ProbeResult.Outcome.REACHED, PG,
        "tcp connect to 127.0.0.1:5434 succeeded");
    clock.set(holdEnds.plusSeconds(40));
    assertThat(RemediationDecider.decide(at.apply(up))).isInstanceOfSatisfying(Decision.Noted.class,
        n -> assertThat(n.then()).isEqualTo(new Decision.RunSegment(1, 0)));
    clock.set(bound);
    assertThat(RemediationDecider.decide(at.apply(refused))).as("at the bound the attempt runs by the clock")
        .isEqualTo(new Decision.RunSegment(1, 0));
    Incident before = new Incident("inc-0", "prod", "orders-sink", "refused", IncidentState.OPEN, null, 0, "refused", null,
        T0.minusSeconds(31), T0, null, T0, Incident.REMEDIATE, null, null, null);
    assertThat(RemediationDecider.needsProbe(before, Optional.of(PROBED), budget(0), Optional.empty(), Optional.of(storm),
        holdEnds)).as("an incident older than the storm's window is no member").isFalse();
  }

  @Test
  void aVerifiedRecoveryIsCreditedToWhoeverActedLast() {
    Wait check = Wait.verification("inc-1", Wait.Kind.CHECK, 1, ConnectorState.RUNNING, T0, Duration.ofMinutes(2),
        Duration.ofSeconds(30), 0, T0).withStableSince(T0);
    clock.set(T0.plusSeconds(30));
    // runbookd's attempt 1 failed (the incident is with people) and it did nothing since: someone else fixed it
    Decision afterGivingUp = RemediationDecider.decide(facts(incident(IncidentState.ESCALATED, 1, Incident.WAIT), RESTART,
        budget(1), Optional.empty(), List.of(), Optional.of(check), RUNNING, false));
    assertThat(afterGivingUp).isInstanceOfSatisfying(Decision.Close.class, c -> {
      assertThat(c.outcome()).isEqualTo(Outcome.CHANGED_BY_SOMEONE_ELSE);
      assertThat(c.why()).contains("after runbookd's attempt 1 had failed");
    });
    Decision inBackoff = RemediationDecider.decide(facts(incident(IncidentState.OPEN, 1, Incident.WAIT), RESTART,
        budget(1), Optional.empty(), List.of(), Optional.of(check), RUNNING, false));
    assertThat(((Decision.Close) inBackoff).outcome()).isEqualTo(Outcome.CHANGED_BY_SOMEONE_ELSE);
    // an attempt a stopped daemon left half done is verified instead of repeated: runbookd's restart did it
    Decision resumed = RemediationDecider.decide(facts(incident(IncidentState.REMEDIATING, 1, Incident.WAIT), RESTART,
        budget(1), Optional.empty(), List.of(), Optional.of(check), RUNNING, false));
    assertThat(((Decision.Close) resumed).outcome()).isEqualTo(Outcome.RECOVERED);
    // no runbookd action at all: recovered by itself
    Wait none = Wait.verification("inc-1", Wait.Kind.CHECK, 0, ConnectorState.RUNNING, T0, Duration.ofMinutes(2),
        Duration.ofSeconds(30), 0, T0).withStableSince(T0);
    Decision byItself = RemediationDecider.decide(facts(incident(IncidentState.OPEN, 0, Incident.WAIT), RESTART,
        budget(0), Optional.empty(), List.of(), Optional.of(none), RUNNING, false));
    assertThat(((Decision.Close) byItself).outcome()).isEqualTo(Outcome.HEALTHY);
    assertThat(Outcome.labels()).contains("recovered", "changed_by_someone_else", "healthy", "escalated", "gave_up",
        "config_error");
  }

  @Test
  void aHumansRetryComesBeforeAnyStoredWaitAndItsVerificationClosesOrHandsBack() {
    Wait configWait = new Wait("inc-1", Wait.Kind.STEP, 1, 1, 7, null, T0.plus(Duration.ofHours(4)), Duration.ZERO, null,
        "{}", 0, T0);
    Incident asked = incident(IncidentState.OPEN, 1, Incident.RETRY);
    assertThat(RemediationDecider.decide(facts(asked, RESTART, budget(1), Optional.empty(), List.of(), Optional.of(configWait),
        FAILED, false))).isEqualTo(new Decision.Retry(Optional.of(configWait)));
    Wait verifying = Wait.retryVerification("inc-1", 1, T0, Duration.ofMinutes(2), Duration.ofSeconds(30)).withStableSince(T0);
    clock.set(T0.plusSeconds(30));
    Decision ok = RemediationDecider.decide(facts(incident(IncidentState.ESCALATED, 1, Incident.WAIT), RESTART, budget(1),
        Optional.empty(), List.of(), Optional.of(verifying), RUNNING, false));
    assertThat(ok).isInstanceOfSatisfying(Decision.Close.class, c -> {
      assertThat(c.outcome()).as("runbookd's own verified restart, asked for by a human").isEqualTo(Outcome.RECOVERED);
      assertThat(c.why()).contains("Fixed — retry");
    });
    clock.set(T0.plus(Duration.ofMinutes(2)).plusMillis(1));
    Wait stillFailing = Wait.retryVerification("inc-1", 1, T0, Duration.ofMinutes(2), Duration.ofSeconds(30));
    Decision bad = RemediationDecider.decide(facts(incident(IncidentState.ESCALATED, 1, Incident.WAIT), RESTART, budget(1),
        Optional.empty(), List.of(), Optional.of(stillFailing), FAILED, false));
    assertThat(bad).as("outside the budget: no new attempt, no give-up page; back to people")
        .isInstanceOfSatisfying(Decision.CheckFailed.class, c -> assertThat(c.then()).isInstanceOf(Decision.Park.class));
  }

  @Test
  void aWaitStepEndsAtItsDeadlineAndAConfigWaitAtTheFirstChange() {
    Rule r = rule("", "- stop: {}\n- wait: 10s\n- resume: {}");
    Wait sleep = new Wait("inc-1", Wait.Kind.STEP, 1, 1, 42, null, T0.plusSeconds(10), Duration.ZERO, null, null, 3, T0);
    Incident inc = incident(IncidentState.REMEDIATING, 1, Incident.WAIT);
    clock.set(T0.plusSeconds(10).minusMillis(1));
    assertThat(RemediationDecider.needs(inc, Optional.of(sleep))).isEqualTo(RemediationDecider.Need.NOTHING);
    assertThat(RemediationDecider.decide(facts(inc, r, budget(1), Optional.empty(), List.of(), Optional.of(sleep),
        Observation.NONE, false))).isEqualTo(new Decision.WaitAgain(sleep, T0.plusSeconds(10)));
    clock.advanceMillis(1);
    assertThat(RemediationDecider.decide(facts(inc, r, budget(1), Optional.empty(), List.of(), Optional.of(sleep),
        Observation.NONE, false))).isEqualTo(new Decision.StepDone(sleep, false, null));

    Rule auth = rule("", "- wait_for: { config_change: true, within: 1h }\n- restart: {}");
    Map<String, String> before = Map.of("connection.password", "old", "tasks.max", "1");
    Wait config = new Wait("inc-1", Wait.Kind.STEP, 1, 0, 43, null, T0.plus(Duration.ofHours(1)), Duration.ZERO, null,
        ConfigDiff.write(before), 0, T0);
    assertThat(RemediationDecider.needs(inc, Optional.of(config))).isEqualTo(RemediationDecider.Need.CONFIG);
    assertThat(RemediationDecider.decide(facts(inc, auth, budget(1), Optional.empty(), List.of(), Optional.of(config),
        new Observation(null, before), false))).isInstanceOf(Decision.WaitAgain.class);
    assertThat(RemediationDecider.decide(facts(inc, auth, budget(1), Optional.empty(), List.of(), Optional.of(config),
        new Observation(null, Map.of("connection.password", "new", "tasks.max", "1")), false)))
        .isEqualTo(new Decision.StepDone(config, false, "{\"changed_keys\":[\"connection.password\"],\"removed_keys\":[]}"));
    clock.set(T0.plus(Duration.ofHours(1)).plusMillis(1));
    assertThat(RemediationDecider.decide(facts(inc, auth, budget(1), Optional.empty(), List.of(), Optional.of(config),
        new Observation(null, before), false))).isInstanceOfSatisfying(Decision.AttemptFailed.class, a -> {
          assertThat(a.stepError()).isEqualTo("connector configuration did not change in time");
          assertThat(a.reason()).isEqualTo("wait_for failed: connector configuration did not change in time");
        });
  }

  @Test
  void aStoredWaitGoesOnWhateverTheNextActionSays() {
    Wait w = Wait.verification("inc-1", Wait.Kind.ATTEMPT, 1, ConnectorState.RUNNING, T0, Duration.ofMinutes(2),
        Duration.ofSeconds(30), 0, T0);
    Incident resolvedMeanwhile = incident(IncidentState.REMEDIATING, 1, Incident.VERIFY);
    assertThat(RemediationDecider.decide(facts(resolvedMeanwhile, RESTART, budget(1), Optional.empty(), List.of(),
        Optional.of(w), RUNNING, false))).isInstanceOfSatisfying(Decision.WaitAgain.class,
        a -> assertThat(a.next().kind()).isEqualTo(Wait.Kind.ATTEMPT));
  }
}
