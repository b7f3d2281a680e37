package io.runbookd.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.Budget;
import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentState;
import io.runbookd.model.Storm;
import io.runbookd.policy.EscalationPolicy.Action;
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
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Storm members after the hold: their post-storm attempt does not spend the budget, and their own ladder
 * waits for that attempt, then resumes with its levels' distances kept. Stepped to the millisecond.
 */
class StormMemberPolicyTest {
  private static final Instant T0 = Instant.parse("2026-11-28T03:00:00Z");
  // 20 connectors failed from T0; the last at T0+30s; window 30s: the hold ends at T0+60s.
  private static final Storm STORM = new Storm(7, "prod", T0, T0.plusSeconds(30), T0.plusSeconds(60),
      Duration.ofSeconds(30), "oncall", T0, null, 20, List.of());
  private static final Instant HOLD_ENDS = T0.plusSeconds(60);
  private static final Rule CATCH_ALL = rule();

  private final SteppedClock clock = new SteppedClock(T0);

  private static Rule rule() {
    try {
      return new RuleLoader(new RuleLoader.Context(Set.of("prod"), Set.of("oncall", "manager")), Clock.systemUTC())
          .parse("r.yaml", """
              rules:
                - name: catch-all
                  match: { alert: ['alertname="KafkaConnectTaskFailure"'] }
                  target: { cluster: prod, connector: '{{ labels.connector }}' }
                  retry: { max_attempts: 1 }
                  verify: { within: 1m, stable_for: 30s }
                  escalation:
                    - { after: 1m, notify: oncall }
                    - { after: 16m, notify: manager }
                  steps:
                    - restart: {}
              """).rules().get(0);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Incident member(int attempts) {
    return new Incident("inc-1", "prod", "orders-sink", "catch-all", IncidentState.OPEN, null, attempts, "57P01", null,
        T0.plusSeconds(5), T0, null, HOLD_ENDS, Incident.REMEDIATE, null, null, null);
  }

  private static Budget budget(int attempts, Instant lastAttemptAt) {
    return new Budget("prod", "orders-sink", "catch-all", attempts, lastAttemptAt, null);
  }

  private Facts facts(Incident inc, Budget budget) {
    return new Facts(inc, Optional.of(CATCH_ALL), true, budget, Optional.of(STORM), List.of(), Optional.empty(),
        new Observation(StabilityPolicyTest.FAILED, null), false, Duration.ofSeconds(2), clock.instant());
  }

  @Test
  void anAttemptMadeBeforeTheStormWasDetectedDoesNotStopTheMembersPostStormAttempt() {
    // attempt 1 of a one-attempt rule ended at T0+10s, before the storm's end: the budget is spent.
    Budget spent = budget(1, T0.plusSeconds(10));
    clock.set(HOLD_ENDS.minusMillis(1));
    assertThat(RemediationDecider.decide(facts(member(1), spent))).as("during the hold: held, not given up")
        .isEqualTo(new Decision.StormHold(STORM, Incident.REMEDIATE));
    clock.set(HOLD_ENDS);
    assertThat(RemediationDecider.decide(facts(member(1), spent))).as("after the hold: its post-storm attempt runs")
        .isEqualTo(new Decision.RunSegment(2, 0));
    Budget after = budget(2, HOLD_ENDS.plusMillis(1));
    assertThat(RemediationDecider.decide(facts(member(2), after))).as("that attempt failed: its own rule decides")
        .isEqualTo(new Decision.GiveUp(after));
    Incident outsider = new Incident("inc-2", "prod", "other", "catch-all", IncidentState.OPEN, null, 1, "x", null,
        T0.minusSeconds(30).minusMillis(1), T0, null, HOLD_ENDS, Incident.REMEDIATE, null, null, null);
    assertThat(RemediationDecider.decide(facts(outsider, spent))).as("no member: its budget counts")
        .isEqualTo(new Decision.GiveUp(spent));
  }

  @Test
  void aMembersAttemptThatFailsDuringTheHoldWithItsBudgetSpentWaitsForTheHoldInsteadOfGivingUp() {
    // attempt 1 of the one-attempt rule started before the storm was detected; its verification ends in the hold
    io.runbookd.model.Wait w = io.runbookd.model.Wait.verification("inc-1", io.runbookd.model.Wait.Kind.ATTEMPT, 1,
        io.runbookd.model.ConnectorState.RUNNING, T0, Duration.ofSeconds(30), Duration.ofSeconds(10), 0, T0);
    Incident verifying = new Incident("inc-1", "prod", "orders-sink", "catch-all", IncidentState.REMEDIATING, null, 1,
        "57P01", null, T0.plusSeconds(5), T0, null, T0, Incident.WAIT, null, null, null);
    Budget started = budget(1, null);
    clock.set(T0.plusSeconds(30).plusMillis(1));
    Facts inHold = new Facts(verifying, Optional.of(CATCH_ALL), true, started, Optional.of(STORM), List.of(),
        Optional.of(w), new Observation(StabilityPolicyTest.FAILED, null), false, Duration.ofSeconds(2), clock.instant());
    assertThat(RemediationDecider.decide(inHold)).isInstanceOfSatisfying(Decision.AttemptFailed.class,
        a -> assertThat(a.then()).isEqualTo(new Decision.RetryAt(HOLD_ENDS)));
    Facts noStorm = new Facts(verifying, Optional.of(CATCH_ALL), true, started, Optional.empty(), List.of(),
        Optional.of(w), new Observation(StabilityPolicyTest.FAILED, null), false, Duration.ofSeconds(2), clock.instant());
    assertThat(RemediationDecider.decide(noStorm)).as("without the storm its rule gives up")
        .isInstanceOfSatisfying(Decision.AttemptFailed.class, a -> assertThat(a.then()).isInstanceOf(Decision.GiveUp.class));
  }

  @Test
  void aMembersLadderWaitsForItsPostStormAttemptThenKeepsItsDistances() {
    Escalation level0 = new Escalation("inc-1", 0, T0.plusSeconds(65), "oncall", null, null, null);
    Escalation level1 = new Escalation("inc-1", 1, T0.plusSeconds(965), "manager", null, null, null);
    Optional<Incident> inc = Optional.of(member(1));
    Budget before = budget(1, T0.plusSeconds(10));

    clock.set(HOLD_ENDS.minusMillis(1));
    assertThat(EscalationPolicy.decide(level0, inc, Optional.of(STORM), before, Optional.of(CATCH_ALL), clock.instant()))
        .as("the hold").isEqualTo(new Action.Hold(HOLD_ENDS, STORM));
    clock.set(HOLD_ENDS.plusSeconds(5));
    assertThat(EscalationPolicy.decide(level0, inc, Optional.of(STORM), before, Optional.of(CATCH_ALL), clock.instant()))
        .as("post-storm attempt pending: looked at again a storm window later")
        .isEqualTo(new Action.Hold(HOLD_ENDS.plusSeconds(35), STORM));
    // at the latest: the hold's end + the default delay before a second attempt (2m) + verify.within (1m)
    Instant cap = HOLD_ENDS.plusSeconds(180);
    clock.set(cap.minusSeconds(10));
    assertThat(EscalationPolicy.decide(level0, inc, Optional.of(STORM), before, Optional.of(CATCH_ALL), clock.instant()))
        .isEqualTo(new Action.Hold(cap, STORM));
    clock.set(cap);
    assertThat(EscalationPolicy.decide(level0, inc, Optional.of(STORM), before, Optional.of(CATCH_ALL), clock.instant()))
        .as("no attempt ended by then: the ladder resumes").isEqualTo(new Action.Send("escalation", "warning"));

    // The post-storm attempt failed at +100s: level 0 goes then, level 1 fifteen minutes later, as the rule says.
    Instant failedAt = HOLD_ENDS.plusSeconds(100);
    Budget failed = budget(2, failedAt);
    clock.set(failedAt);
    Optional<Incident> verifying = Optional.of(member(2).withState(IncidentState.REMEDIATING, failedAt));
    assertThat(EscalationPolicy.decide(level0, verifying, Optional.of(STORM), failed, Optional.of(CATCH_ALL),
        HOLD_ENDS.plusSeconds(100))).as("a later attempt still being verified").isInstanceOf(Action.Hold.class);
    assertThat(EscalationPolicy.decide(level0, inc, Optional.of(STORM), failed, Optional.of(CATCH_ALL), clock.instant()))
        .isEqualTo(new Action.Send("escalation", "warning"));
    assertThat(EscalationPolicy.decide(level1, inc, Optional.of(STORM), failed, Optional.of(CATCH_ALL), clock.instant()))
        .isEqualTo(new Action.Hold(failedAt.plusSeconds(900), STORM));
    clock.set(failedAt.plusSeconds(900).minusMillis(1));
    assertThat(EscalationPolicy.decide(level1, inc, Optional.of(STORM), failed, Optional.of(CATCH_ALL), clock.instant()))
        .isInstanceOf(Action.Hold.class);
    clock.advanceMillis(1);
    assertThat(EscalationPolicy.decide(level1, inc, Optional.of(STORM), failed, Optional.of(CATCH_ALL), clock.instant()))
        .isEqualTo(new Action.Send("escalation", "warning"));
  }

  @Test
  void gaveUpAndIncidentsOutsideTheStormAreNotDeferred() {
    clock.set(HOLD_ENDS.plusSeconds(5));
    Budget before = budget(1, T0.plusSeconds(10));
    Escalation gaveUp = new Escalation("inc-1", Escalation.GAVE_UP, HOLD_ENDS, "oncall", null, null, null);
    assertThat(EscalationPolicy.decide(gaveUp, Optional.of(member(1)), Optional.of(STORM), before, Optional.of(CATCH_ALL),
        clock.instant())).isEqualTo(new Action.Send("gave_up", "critical"));
    Incident later = new Incident("inc-3", "prod", "late", "catch-all", IncidentState.OPEN, null, 0, "x", null,
        HOLD_ENDS.plusMillis(1), HOLD_ENDS, null, null, null, null, null, null);
    Escalation level0 = new Escalation("inc-3", 0, HOLD_ENDS.plusSeconds(5), "oncall", null, null, null);
    assertThat(EscalationPolicy.decide(level0, Optional.of(later), Optional.of(STORM), budget(0, null),
        Optional.of(CATCH_ALL), clock.instant())).isEqualTo(new Action.Send("escalation", "warning"));
  }
}
