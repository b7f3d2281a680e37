package io.runbookd.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runbookd.model.ClusterLimits;
import io.runbookd.model.Reservation;
import io.runbookd.model.Storm;
import io.runbookd.policy.ClusterGuardPolicy.Decision;
import io.runbookd.policy.ClusterGuardPolicy.Reason;
import io.runbookd.policy.ClusterGuardPolicy.StormChange;
import io.runbookd.testkit.SteppedClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The cluster guards' decisions, stepped to the millisecond on each side of every boundary. */
class ClusterGuardPolicyTest {
  private static final Instant T0 = Instant.parse("2026-11-22T03:00:00.250Z");
  private static final Duration WINDOW = Duration.ofSeconds(10);
  private static final ClusterLimits.StormSettings STORM = new ClusterLimits.StormSettings(3, Duration.ofSeconds(60), "oncall");
  private static final ClusterLimits LIMITS =
      new ClusterLimits(2, 4, WINDOW, STORM, true, Duration.ofSeconds(30), Duration.ofSeconds(2));

  private final SteppedClock clock = new SteppedClock(T0);
  private final List<Reservation> held = new ArrayList<>();

  private Decision admit(String incident, int planned) {
    return ClusterGuardPolicy.admit(LIMITS, Optional.empty(), held, incident, planned, clock.instant());
  }

  private static Reservation running(String incident, int planned, Instant at) {
    return new Reservation(0, incident, planned, 0, at, null, null, true);
  }

  private static Reservation done(String incident, int used, Instant lastActed) {
    return new Reservation(0, incident, used, used, lastActed.minusMillis(50), lastActed, lastActed.plusMillis(5), true);
  }

  @Test
  void actsWhenTheClusterHasRoom() {
    assertThat(admit("a", 1)).isEqualTo(new Decision.Act());
    assertThat(admit("a", 4)).as("exactly max_actions").isEqualTo(new Decision.Act());
  }

  @Test
  void concurrencyLimitDefersByTheRecheckInterval() {
    held.add(running("a", 1, T0));
    held.add(running("b", 1, T0));
    assertThat(admit("c", 1)).isEqualTo(new Decision.Defer(T0.plusSeconds(2), Reason.CONCURRENCY,
        "2 of 2 remediations already running on the cluster (guards.max_concurrent_remediations)"));
    assertThat(admit("a", 1)).as("its own earlier slot is not a concurrent remediation").isInstanceOf(Decision.Act.class);
  }

  @Test
  void aSlotOfAReplicaThatDiedOrReleasedIsFree() {
    held.add(new Reservation(0, "a", 1, 0, T0, null, null, false));
    held.add(new Reservation(0, "b", 1, 0, T0, null, T0.plusMillis(1), true));
    assertThat(admit("c", 1)).isInstanceOf(Decision.Act.class);
  }

  @Test
  void heldReservationsCountAllTheirPlannedActions() {
    held.add(running("a", 3, T0.minus(Duration.ofHours(1))));
    assertThat(admit("b", 1)).isInstanceOf(Decision.Act.class);
    assertThat(admit("b", 2)).isInstanceOfSatisfying(Decision.Defer.class, d -> {
      assertThat(d.reason()).isEqualTo(Reason.ACTIONS);
      assertThat(d.until()).as("only a release frees them: re-check").isEqualTo(T0.plusSeconds(2));
    });
  }

  @Test
  void usedActionsLeaveTheWindowExactlyWindowAfterTheyReturned() {
    held.add(done("a", 2, T0));
    held.add(done("b", 1, T0.plusMillis(700)));
    clock.set(T0.plusSeconds(1));
    // 3 counted; 2 more would make 5 > 4: a's 2 actions must leave, at T0 + 10 s
    assertThat(admit("c", 2)).isEqualTo(new Decision.Defer(T0.plus(WINDOW), Reason.ACTIONS,
        "3 Connect actions in the last 10s (in flight included); this attempt needs 2 of at most 4 (guards.max_actions)"));
    clock.set(T0.plus(WINDOW).minusMillis(1));
    assertThat(admit("c", 2)).isInstanceOf(Decision.Defer.class);
    clock.set(T0.plus(WINDOW));
    assertThat(admit("c", 2)).isEqualTo(new Decision.Act());
    // 4 planned needs b's action gone too: at T0 + 700 ms + 10 s
    clock.set(T0.plusSeconds(1));
    assertThat(admit("c", 4)).isInstanceOfSatisfying(Decision.Defer.class,
        d -> assertThat(d.until()).isEqualTo(T0.plusMillis(700).plus(WINDOW)));
    clock.set(T0.plusMillis(700).plus(WINDOW).minusMillis(1));
    assertThat(admit("c", 4)).isInstanceOf(Decision.Defer.class);
    clock.set(T0.plusMillis(700).plus(WINDOW));
    assertThat(admit("c", 4)).isEqualTo(new Decision.Act());
  }

  @Test
  void aReservationWithoutActionsDoesNotCountOnceReleased() {
    held.add(new Reservation(0, "a", 4, 0, T0, null, T0.plusMillis(10), true));
    clock.set(T0.plusMillis(20));
    assertThat(admit("b", 4)).isEqualTo(new Decision.Act());
  }

  @Test
  void anAttemptLargerThanTheWindowAllowsIsBlocked() {
    assertThat(admit("a", 5)).isEqualTo(new Decision.Blocked(
        "the attempt needs 5 Connect actions but the cluster allows 4 per 10s (guards.max_actions)"));
    assertThatThrownBy(() -> admit("a", 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anActiveStormHoldsEverythingUntilItsQuietTime() {
    Storm storm = new Storm(1, "prod", T0, T0.plusSeconds(5), T0.plusSeconds(65), Duration.ofSeconds(60), "oncall",
        null, null, 40, List.of("a", "b"));
    clock.set(T0.plusSeconds(65).minusMillis(1));
    assertThat(ClusterGuardPolicy.admit(LIMITS, Optional.of(storm), held, "a", 1, clock.instant()))
        .isEqualTo(new Decision.StormHold(T0.plusSeconds(65), storm));
    clock.set(T0.plusSeconds(65));
    assertThat(ClusterGuardPolicy.admit(LIMITS, Optional.of(storm), held, "a", 1, clock.instant()))
        .isEqualTo(new Decision.Act());
    Storm ended = new Storm(1, "prod", T0, T0.plusSeconds(5), T0.plusSeconds(65), Duration.ofSeconds(60), "oncall",
        null, T0.plusSeconds(1), 40, List.of());
    assertThat(ended.activeAt(T0.plusSeconds(2))).as("ended early").isFalse();
  }

  @Test
  void aStormStartsAtTheThresholdAndIsExtendedByEveryFailureWhileActive() {
    assertThat(ClusterGuardPolicy.onFailure(STORM, Optional.empty(), 2, T0)).isEqualTo(StormChange.NONE);
    assertThat(ClusterGuardPolicy.onFailure(STORM, Optional.empty(), 3, T0)).isEqualTo(StormChange.START);
    Storm storm = new Storm(1, "prod", T0, T0, ClusterGuardPolicy.quietUntil(STORM.window(), T0), STORM.window(),
        "oncall", null, null, 3, List.of());
    assertThat(storm.quietUntil()).isEqualTo(T0.plusSeconds(60));
    assertThat(ClusterGuardPolicy.onFailure(STORM, Optional.of(storm), 1, T0.plusSeconds(60).minusMillis(1)))
        .as("one more failure within the quiet time, even below the threshold").isEqualTo(StormChange.EXTEND);
    assertThat(ClusterGuardPolicy.onFailure(STORM, Optional.of(storm), 1, T0.plusSeconds(60)))
        .as("over: a lone failure starts nothing").isEqualTo(StormChange.NONE);
    assertThat(ClusterGuardPolicy.onFailure(STORM, Optional.of(storm), 3, T0.plusSeconds(60)))
        .as("over, and a new burst: a new storm").isEqualTo(StormChange.START);
  }

  @Test
  void stormDetectionCanBeTurnedOff() {
    ClusterLimits.StormSettings off = new ClusterLimits.StormSettings(0, Duration.ofSeconds(60), null);
    assertThat(off.enabled()).isFalse();
    assertThat(ClusterGuardPolicy.onFailure(off, Optional.empty(), 10_000, T0)).isEqualTo(StormChange.NONE);
  }

  @Test
  void countedActionsFollowTheWindowBoundary() {
    Reservation r = done("a", 2, T0);
    assertThat(ClusterGuardPolicy.counted(r, T0.minusMillis(1))).isEqualTo(2);
    assertThat(ClusterGuardPolicy.counted(r, T0)).as("the window start is exclusive").isZero();
    assertThat(ClusterGuardPolicy.counted(running("b", 3, T0), T0.plusSeconds(999))).isEqualTo(3);
  }
}
