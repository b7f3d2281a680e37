package io.runbookd.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runbookd.alert.LabelMatcher;
import io.runbookd.model.Budget;
import io.runbookd.model.Escalation;
import io.runbookd.rules.Rule;
import io.runbookd.rules.Step;
import io.runbookd.rules.Template;
import io.runbookd.testkit.SteppedClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RemediationPolicyTest {
  private static final Instant T0 = Instant.parse("2026-11-22T03:00:00Z");
  private static final Rule.RetryPolicy STRIMZI = new Rule.RetryPolicy(6, List.of(), Duration.ofMinutes(30));
  private static final Rule.RetryPolicy LISTED =
      new Rule.RetryPolicy(3, List.of(Duration.ZERO, Duration.ofMinutes(2), Duration.ofMinutes(6)), Duration.ofMinutes(30));

  @Test
  void defaultBackoffIsStrimzisNSquaredPlusNMinutesCappedAtAnHour() {
    List<Long> minutes = java.util.stream.IntStream.rangeClosed(1, 10)
        .mapToObj(k -> RemediationPolicy.delayBefore(STRIMZI, k).toMinutes()).toList();
    assertThat(minutes).containsExactly(0L, 2L, 6L, 12L, 20L, 30L, 42L, 56L, 60L, 60L);
  }

  @Test
  void explicitBackoffRepeatsItsLastEntry() {
    assertThat(RemediationPolicy.delayBefore(LISTED, 1)).isEqualTo(Duration.ZERO);
    assertThat(RemediationPolicy.delayBefore(LISTED, 2)).isEqualTo(Duration.ofMinutes(2));
    assertThat(RemediationPolicy.delayBefore(LISTED, 5)).isEqualTo(Duration.ofMinutes(6));
    assertThatThrownBy(() -> RemediationPolicy.delayBefore(LISTED, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void nextAttemptWaitsFromTheEndOfThePreviousAttemptToTheMillisecond() {
    SteppedClock clock = new SteppedClock(T0);
    Budget b = Budget.empty("prod", "pg-orders", "r");
    assertThat(RemediationPolicy.nextAttemptAt(STRIMZI, b, clock.instant())).isEqualTo(T0);

    b = RemediationPolicy.afterAttempt(b, clock.instant());
    Instant due = RemediationPolicy.nextAttemptAt(STRIMZI, b, clock.instant());
    assertThat(due).isEqualTo(T0.plus(Duration.ofMinutes(2)));

    clock.advance(Duration.ofMinutes(2).minusMillis(1));
    assertThat(clock.instant()).isBefore(due);
    clock.advance(Duration.ofMillis(1));
    assertThat(clock.instant()).isEqualTo(due);
    // Asked late, the next attempt is now, never in the past.
    clock.advance(Duration.ofHours(1));
    assertThat(RemediationPolicy.nextAttemptAt(STRIMZI, b, clock.instant())).isEqualTo(clock.instant());
  }

  @Test
  void budgetIsSpentAfterMaxAttemptsAndAFailedCallCountsLikeAnyOther() {
    Budget b = Budget.empty("prod", "pg-orders", "r");
    for (int i = 0; i < 3; i++) {
      assertThat(RemediationPolicy.exhausted(LISTED, b)).isFalse();
      b = RemediationPolicy.afterAttempt(b, T0.plusSeconds(i));
    }
    assertThat(RemediationPolicy.exhausted(LISTED, b)).isTrue();
  }

  @Test
  void aFlappingConnectorKeepsItsCountUntilStableForResetAfter() {
    Budget b = RemediationPolicy.afterAttempt(Budget.empty("prod", "c", "r"), T0);
    b = RemediationPolicy.afterRecovery(b, T0.plus(Duration.ofMinutes(1)));
    Instant recovered = b.lastRecoveredAt();

    // Fails again 30 s after the fix was verified: the count continues.
    Budget early = RemediationPolicy.onIncidentOpened(STRIMZI, b, recovered.plusSeconds(30));
    assertThat(early.attempts()).isEqualTo(1);
    // One millisecond short of reset_after: still continues.
    Budget almost = RemediationPolicy.onIncidentOpened(STRIMZI, b, recovered.plus(Duration.ofMinutes(30)).minusMillis(1));
    assertThat(almost.attempts()).isEqualTo(1);
    // Stable for exactly reset_after: a fresh budget.
    Budget reset = RemediationPolicy.onIncidentOpened(STRIMZI, b, recovered.plus(Duration.ofMinutes(30)));
    assertThat(reset.attempts()).isZero();
  }

  @Test
  void aBudgetNeverVerifiedHealthyIsNotReset() {
    Budget b = RemediationPolicy.afterAttempt(Budget.empty("prod", "c", "r"), T0);
    assertThat(RemediationPolicy.onIncidentOpened(STRIMZI, b, T0.plus(Duration.ofDays(3))).attempts()).isEqualTo(1);
  }

  @Test
  void escalationLadderIsDueAfterEachLevelsDelayFromOpening() {
    Rule rule = rule(List.of(
        new Rule.EscalationLevel(Duration.ofMinutes(15), "oncall", Template.compile("x")),
        new Rule.EscalationLevel(Duration.ofMinutes(45), "pager", Template.compile("y"))), List.of());
    List<Escalation> ladder = RemediationPolicy.ladder(rule, "inc-1", T0);
    assertThat(ladder).extracting(Escalation::level).containsExactly(0, 1);
    assertThat(ladder).extracting(Escalation::dueAt)
        .containsExactly(T0.plus(Duration.ofMinutes(15)), T0.plus(Duration.ofMinutes(45)));
    assertThat(ladder).extracting(Escalation::notifier).containsExactly("oncall", "pager");
    assertThat(RemediationPolicy.gaveUpNotifier(rule)).contains("pager");
  }

  @Test
  void gaveUpGoesToTheLastNotifyStepWhenThereIsNoLadder() {
    Rule rule = rule(List.of(), List.of(new Step.Notify("owner", Template.compile("m"))));
    assertThat(RemediationPolicy.gaveUpNotifier(rule)).contains("owner");
    assertThat(RemediationPolicy.gaveUpNotifier(rule(List.of(), List.of()))).isEmpty();
  }

  private static Rule rule(List<Rule.EscalationLevel> ladder, List<Step> steps) {
    return new Rule("r", "", new Rule.Source("t.yaml", 1), List.of(LabelMatcher.parse("alertname=\"X\"")),
        Optional.empty(), new Rule.Target(Template.compile("prod"), Template.compile("c")), STRIMZI,
        new Rule.Verify(Duration.ofMinutes(2), Duration.ofSeconds(30)), steps, ladder, false);
  }
}
