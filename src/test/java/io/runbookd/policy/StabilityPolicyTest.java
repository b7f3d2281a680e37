package io.runbookd.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.model.Wait;
import io.runbookd.testkit.SteppedClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stable streak, stepped to the millisecond on each side of every boundary. */
class StabilityPolicyTest {
  private static final Instant T0 = Instant.parse("2026-11-28T03:00:00Z");
  private static final Duration POLL = Duration.ofSeconds(2);
  private static final Duration WITHIN = Duration.ofMinutes(2);
  private static final Duration STABLE_FOR = Duration.ofSeconds(30);

  static ConnectorStatus status(ConnectorState connector, ConnectorState... tasks) {
    List<ConnectorStatus.TaskStatus> list = new java.util.ArrayList<>();
    for (int i = 0; i < tasks.length; i++) {
      list.add(new ConnectorStatus.TaskStatus(i, new ConnectorStatus.InstanceStatus(tasks[i], "w:8083",
          tasks[i] == ConnectorState.FAILED ? "java.net.ConnectException: Connection refused" : null)));
    }
    return new ConnectorStatus("orders-sink", "sink", new ConnectorStatus.InstanceStatus(connector, "w:8083", null), list);
  }

  static final StabilityPolicy.Reading RUNNING = StabilityPolicy.Reading.of(status(ConnectorState.RUNNING, ConnectorState.RUNNING));
  static final StabilityPolicy.Reading FAILED = StabilityPolicy.Reading.of(status(ConnectorState.RUNNING, ConnectorState.FAILED));

  private static Wait wait(Instant now) {
    return Wait.verification("inc-1", Wait.Kind.ATTEMPT, 1, ConnectorState.RUNNING, now, WITHIN, STABLE_FOR, 0, now);
  }

  @Test
  void aFixIsVerifiedExactlyWhenTheStateHeldForStableFor() {
    SteppedClock clock = new SteppedClock(T0);
    Wait w = wait(clock.instant());
    StabilityPolicy.Verdict first = StabilityPolicy.observe(w, RUNNING, clock.instant(), POLL);
    assertThat(first).isInstanceOfSatisfying(StabilityPolicy.Verdict.Again.class, a -> {
      assertThat(a.next().stableSince()).as("the streak starts at the first RUNNING reading").isEqualTo(T0);
      assertThat(a.at()).isEqualTo(T0.plus(POLL));
    });
    Wait streak = ((StabilityPolicy.Verdict.Again) first).next();

    clock.set(T0.plus(STABLE_FOR).minusMillis(1));
    assertThat(StabilityPolicy.observe(streak, RUNNING, clock.instant(), POLL))
        .as("1 ms short of stable_for").isInstanceOfSatisfying(StabilityPolicy.Verdict.Again.class,
            a -> assertThat(a.at()).as("read again exactly when it would be stable").isEqualTo(T0.plus(STABLE_FOR)));

    clock.advanceMillis(1);
    assertThat(StabilityPolicy.observe(streak, RUNNING, clock.instant(), POLL))
        .isEqualTo(new StabilityPolicy.Verdict.Stable(T0));
  }

  @Test
  void aFailedReadingOrAFailedTaskBreaksTheStreak() {
    Wait streak = wait(T0).withStableSince(T0);
    Instant later = T0.plusSeconds(20);
    assertThat(StabilityPolicy.observe(streak, FAILED, later, POLL)).isInstanceOfSatisfying(
        StabilityPolicy.Verdict.Again.class, a -> {
          assertThat(a.next().stableSince()).isNull();
          assertThat(a.at()).isEqualTo(later.plus(POLL));
        });
    assertThat(StabilityPolicy.observe(streak, StabilityPolicy.Reading.failed("status unavailable: timeout"), later, POLL))
        .isInstanceOfSatisfying(StabilityPolicy.Verdict.Again.class, a -> assertThat(a.next().stableSince()).isNull());
  }

  @Test
  void noStreakByTheDeadlineFailsOneMillisecondAfterIt() {
    Wait w = wait(T0);
    Instant deadline = T0.plus(WITHIN);
    assertThat(StabilityPolicy.observe(w, FAILED, deadline, POLL)).as("at the deadline a streak may still start")
        .isInstanceOf(StabilityPolicy.Verdict.Again.class);
    assertThat(StabilityPolicy.observe(w, FAILED, deadline.plusMillis(1), POLL)).isEqualTo(new StabilityPolicy.Verdict.Failed(
        "not RUNNING and stable for 30s in time: connector RUNNING, task 0 FAILED", false));
    assertThat(StabilityPolicy.observe(w, StabilityPolicy.Reading.failed(StabilityPolicy.NOT_FOUND), deadline.plusMillis(1), POLL))
        .isEqualTo(new StabilityPolicy.Verdict.Failed(StabilityPolicy.NOT_FOUND, true));
  }

  @Test
  void aStreakThatStartedBeforeTheDeadlineMayFinishAfterIt() {
    Instant deadline = T0.plus(WITHIN);
    Wait streak = wait(T0).withStableSince(deadline.minusSeconds(1));
    assertThat(StabilityPolicy.observe(streak, RUNNING, deadline.plusSeconds(10), POLL))
        .isInstanceOf(StabilityPolicy.Verdict.Again.class);
    assertThat(StabilityPolicy.observe(streak, RUNNING, deadline.plus(STABLE_FOR).minusSeconds(1), POLL))
        .isInstanceOf(StabilityPolicy.Verdict.Stable.class);
  }

  @Test
  void aStoppedConnectorWithoutTasksHoldsStoppedAtOnceWithoutStableFor() {
    Wait stopped = Wait.verification("inc-1", Wait.Kind.STEP, 1, ConnectorState.STOPPED, T0, WITHIN, Duration.ZERO, 0, T0);
    assertThat(StabilityPolicy.observe(stopped, StabilityPolicy.Reading.of(status(ConnectorState.STOPPED)), T0, POLL))
        .isInstanceOf(StabilityPolicy.Verdict.Stable.class);
    assertThat(StabilityPolicy.holds(status(ConnectorState.STOPPED), ConnectorState.STOPPED))
        .as("a STOPPED connector lists no task").isTrue();
    assertThat(StabilityPolicy.holds(status(ConnectorState.RUNNING), ConnectorState.RUNNING))
        .as("a RUNNING connector without tasks processes nothing: not RUNNING and stable").isFalse();
  }

  private static StabilityPolicy.Reading reading(ConnectorState connector, ConnectorState... tasks) {
    return StabilityPolicy.Reading.of(status(connector, tasks));
  }

  @Test
  void aPauseIsVerifiedOnceTheConnectorAndItsTasksHeldPausedForStableFor() {
    SteppedClock clock = new SteppedClock(T0);
    Wait w = Wait.verification("inc-1", Wait.Kind.ATTEMPT, 1, ConnectorState.PAUSED, T0, WITHIN, STABLE_FOR, 0, T0);
    StabilityPolicy.Verdict v = StabilityPolicy.observe(w, reading(ConnectorState.PAUSED, ConnectorState.RUNNING,
        ConnectorState.PAUSED), clock.instant(), POLL);
    assertThat(v).as("task 0 has not paused yet").isInstanceOfSatisfying(StabilityPolicy.Verdict.Again.class,
        a -> assertThat(a.next().stableSince()).isNull());
    w = ((StabilityPolicy.Verdict.Again) v).next();

    clock.advanceMillis(POLL.toMillis());
    Instant paused = clock.instant();
    StabilityPolicy.Reading allPaused = reading(ConnectorState.PAUSED, ConnectorState.PAUSED, ConnectorState.FAILED);
    v = StabilityPolicy.observe(w, allPaused, paused, POLL);
    assertThat(v).as("a task that had failed stays FAILED: Connect pauses running tasks only")
        .isInstanceOfSatisfying(StabilityPolicy.Verdict.Again.class,
            a -> assertThat(a.next().stableSince()).isEqualTo(paused));
    w = ((StabilityPolicy.Verdict.Again) v).next();

    clock.set(paused.plus(STABLE_FOR).minusMillis(1));
    assertThat(StabilityPolicy.observe(w, allPaused, clock.instant(), POLL)).as("1 ms short of stable_for")
        .isInstanceOfSatisfying(StabilityPolicy.Verdict.Again.class, a -> assertThat(a.at()).isEqualTo(paused.plus(STABLE_FOR)));
    clock.advanceMillis(1);
    assertThat(StabilityPolicy.observe(w, allPaused, clock.instant(), POLL)).isEqualTo(new StabilityPolicy.Verdict.Stable(paused));
    assertThat(StabilityPolicy.observe(w, reading(ConnectorState.RUNNING, ConnectorState.RUNNING), clock.instant(), POLL))
        .as("resumed by someone meanwhile: the streak breaks")
        .isInstanceOfSatisfying(StabilityPolicy.Verdict.Again.class, a -> assertThat(a.next().stableSince()).isNull());
  }

  @Test
  void aStopIsVerifiedOnlyOnceConnectListsNoTasksAndItHeldForStableFor() {
    SteppedClock clock = new SteppedClock(T0);
    Wait w = Wait.verification("inc-1", Wait.Kind.ATTEMPT, 1, ConnectorState.STOPPED, T0, WITHIN, STABLE_FOR, 0, T0);
    StabilityPolicy.Verdict v = StabilityPolicy.observe(w, reading(ConnectorState.STOPPED, ConnectorState.RUNNING),
        clock.instant(), POLL);
    assertThat(v).as("a task still listed is still being shut down (KIP-875: a stopped connector has no tasks)")
        .isInstanceOfSatisfying(StabilityPolicy.Verdict.Again.class, a -> assertThat(a.next().stableSince()).isNull());
    w = ((StabilityPolicy.Verdict.Again) v).next();

    clock.advanceMillis(POLL.toMillis());
    Instant stopped = clock.instant();
    v = StabilityPolicy.observe(w, reading(ConnectorState.STOPPED), stopped, POLL);
    w = ((StabilityPolicy.Verdict.Again) v).next();
    assertThat(w.stableSince()).isEqualTo(stopped);

    clock.set(stopped.plus(STABLE_FOR).minusMillis(1));
    assertThat(StabilityPolicy.observe(w, reading(ConnectorState.STOPPED), clock.instant(), POLL))
        .isInstanceOf(StabilityPolicy.Verdict.Again.class);
    clock.advanceMillis(1);
    assertThat(StabilityPolicy.observe(w, reading(ConnectorState.STOPPED), clock.instant(), POLL))
        .isEqualTo(new StabilityPolicy.Verdict.Stable(stopped));
  }

  @Test
  void aPauseThatDidNotTakeByTheDeadlineFailsOneMillisecondAfterItAndSaysWhatWasSeen() {
    Wait w = Wait.verification("inc-1", Wait.Kind.ATTEMPT, 1, ConnectorState.PAUSED, T0, WITHIN, STABLE_FOR, 0, T0);
    Instant deadline = T0.plus(WITHIN);
    StabilityPolicy.Reading running = reading(ConnectorState.RUNNING, ConnectorState.RUNNING);
    assertThat(StabilityPolicy.observe(w, running, deadline, POLL)).isInstanceOf(StabilityPolicy.Verdict.Again.class);
    assertThat(StabilityPolicy.observe(w, running, deadline.plusMillis(1), POLL)).isEqualTo(new StabilityPolicy.Verdict.Failed(
        "not PAUSED and stable for 30s in time: connector RUNNING, task 0 RUNNING", false));
  }

  @Test
  void theTimelineSaysWhichStateWasVerified() {
    assertThat(StabilityPolicy.verified(ConnectorState.RUNNING, STABLE_FOR)).isEqualTo("RUNNING and stable for 30s");
    assertThat(StabilityPolicy.verified(ConnectorState.PAUSED, Duration.ofSeconds(10)))
        .isEqualTo("connector PAUSED as requested, held for 10s");
  }
  static final StabilityPolicy.Reading RESTARTING = StabilityPolicy.Reading.of(status(ConnectorState.RUNNING, ConnectorState.RESTARTING));

  @Test
  void aTaskFailedAgainAfterTheRestartTookEffectFailsTheWaitAtOnceNotAtItsDeadline() {
    SteppedClock clock = new SteppedClock(T0);
    Wait w = wait(clock.instant());
    clock.advanceMillis(POLL.toMillis());
    StabilityPolicy.Verdict stale = StabilityPolicy.observe(w, FAILED, clock.instant(), POLL);
    assertThat(stale).as("the FAILED state from before the restart (Connect applies it asynchronously)")
        .isInstanceOfSatisfying(StabilityPolicy.Verdict.Again.class, a -> assertThat(a.next().leftFailedAt()).isNull());
    w = ((StabilityPolicy.Verdict.Again) stale).next();

    clock.advanceMillis(POLL.toMillis());
    Instant restarting = clock.instant();
    StabilityPolicy.Verdict r = StabilityPolicy.observe(w, RESTARTING, restarting, POLL);
    assertThat(r).isInstanceOfSatisfying(StabilityPolicy.Verdict.Again.class, a -> {
      assertThat(a.next().leftFailedAt()).as("the restart took effect").isEqualTo(restarting);
      assertThat(a.next().stableSince()).as("RESTARTING is not RUNNING").isNull();
    });
    w = ((StabilityPolicy.Verdict.Again) r).next();

    clock.set(T0.plusSeconds(30).plusMillis(1));
    assertThat(StabilityPolicy.observe(w, FAILED, clock.instant(), POLL))
        .as("30 s after the restart, 90 s before `within` ends").isEqualTo(new StabilityPolicy.Verdict.Failed(
            "FAILED again after the restart: connector RUNNING, task 0 FAILED", false));
  }

  @Test
  void aStreakBrokenByFailedAfterRunningFailsAtOnce() {
    Wait w = wait(T0);
    StabilityPolicy.Verdict first = StabilityPolicy.observe(w, RUNNING, T0.plusMillis(1), POLL);
    Wait running = ((StabilityPolicy.Verdict.Again) first).next();
    assertThat(running.leftFailedAt()).isEqualTo(T0.plusMillis(1));
    assertThat(StabilityPolicy.observe(running, FAILED, T0.plusMillis(2), POLL))
        .isInstanceOf(StabilityPolicy.Verdict.Failed.class);
    assertThat(StabilityPolicy.observe(running, StabilityPolicy.Reading.failed("status unavailable: timeout"),
        T0.plusMillis(2), POLL)).as("an unreadable status is not FAILED").isInstanceOf(StabilityPolicy.Verdict.Again.class);
  }
}
