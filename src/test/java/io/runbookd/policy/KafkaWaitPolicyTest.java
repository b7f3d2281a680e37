package io.runbookd.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.ConnectorState;
import io.runbookd.model.KafkaWait;
import io.runbookd.model.Wait;
import io.runbookd.testkit.SteppedClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The lag and dead-letter conditions of wait_for, with the connector state, read after read on a stepped clock. */
class KafkaWaitPolicyTest {
  private static final Instant T0 = Instant.parse("2026-11-28T03:00:00Z");
  private static final Duration POLL = Duration.ofSeconds(5);
  private static final Duration WITHIN = Duration.ofMinutes(5);
  private static final StabilityPolicy.Reading RUNNING = StabilityPolicyTest.RUNNING;

  private static Wait wait(KafkaWait k, Duration stableFor) {
    return new Wait("inc-1", Wait.Kind.STEP, 1, 1, 7, ConnectorState.RUNNING, T0.plus(WITHIN), stableFor, null, null, 0, T0)
        .withKafka(k);
  }

  private static KafkaWaitPolicy.Reading lag(long lag) {
    return new KafkaWaitPolicy.Reading("connect-orders-sink", null, lag, null, null, null, null);
  }

  private static KafkaWaitPolicy.Reading dlq(long end) {
    return new KafkaWaitPolicy.Reading("connect-orders-sink", "orders-dlq", null, null, end, null, null);
  }

  /** One read: the state verdict, then the Kafka conditions. */
  private static StabilityPolicy.Verdict read(Wait w, StabilityPolicy.Reading status, KafkaWaitPolicy.Reading k,
      Instant now) {
    return KafkaWaitPolicy.observe(w, StabilityPolicy.observe(w, status, now, POLL), k, now, POLL);
  }

  private static Wait next(StabilityPolicy.Verdict v) {
    assertThat(v).isInstanceOf(StabilityPolicy.Verdict.Again.class);
    return ((StabilityPolicy.Verdict.Again) v).next();
  }

  @Test
  void lagFallingHoldsOnceALaterReadingIsLowerAndKeepsItThroughUnchangedReadings() {
    SteppedClock clock = new SteppedClock(T0);
    Wait w = wait(KafkaWait.of(true, null, null), Duration.ZERO);
    Wait after1 = next(read(w, RUNNING, lag(5_210), clock.instant()));
    assertThat(after1.kafka().lagTo()).isEqualTo(5_210);
    assertThat(after1.stableSince()).as("the state streak is kept while the lag decides").isEqualTo(T0);

    clock.advance(POLL);
    Wait after2 = next(read(after1, RUNNING, lag(5_210), clock.instant()));
    assertThat(after2.kafka().lagFrom()).as("no change yet: a sink commits in steps").isNull();

    clock.advance(POLL);
    assertThat(read(after2, RUNNING, lag(4_900), clock.instant())).as("5,210 → 4,900")
        .isInstanceOf(StabilityPolicy.Verdict.Stable.class);
  }

  @Test
  void lagThatDoesNotFallFailsAtWithinNamingTheFigures() {
    SteppedClock clock = new SteppedClock(T0);
    Wait w = next(read(wait(KafkaWait.of(true, null, null), Duration.ZERO), RUNNING, lag(5_210), clock.instant()));
    clock.set(T0.plus(Duration.ofMinutes(1)));
    w = next(read(w, RUNNING, lag(5_380), clock.instant()));
    clock.set(T0.plus(WITHIN));
    Wait atDeadline = next(read(w, RUNNING, lag(5_380), clock.instant()));
    assertThat(atDeadline.kafka().lagFrom()).isEqualTo(5_210);

    clock.advanceMillis(1);
    assertThat(read(atDeadline, RUNNING, lag(5_380), clock.instant()))
        .isEqualTo(new StabilityPolicy.Verdict.Failed("not met in time: lag 5,210 → 5,380 (not falling)", false));
  }

  @Test
  void aCaughtUpSinkIsFallingAndLagBelowIsABound() {
    Wait w = wait(KafkaWait.of(true, null, null), Duration.ZERO);
    assertThat(read(w, RUNNING, lag(0), T0)).as("lag 0: nothing left to fall").isInstanceOf(StabilityPolicy.Verdict.Stable.class);

    Wait below = wait(KafkaWait.of(false, 1_000L, null), Duration.ZERO);
    Wait high = next(read(below, RUNNING, lag(1_000), T0));
    assertThat(read(high, RUNNING, lag(999), T0.plus(POLL))).isInstanceOf(StabilityPolicy.Verdict.Stable.class);
    assertThat(read(high, RUNNING, lag(1_000), T0.plus(WITHIN).plusMillis(1)))
        .isEqualTo(new StabilityPolicy.Verdict.Failed("not met in time: lag 1,000 (not below 1,000)", false));
  }

  @Test
  void stateAndLagMustHoldTogether() {
    SteppedClock clock = new SteppedClock(T0);
    Duration stableFor = Duration.ofSeconds(60);
    Wait w = next(read(wait(KafkaWait.of(true, null, null), stableFor), RUNNING, lag(900), clock.instant()));
    clock.advance(POLL);
    Wait fell = next(read(w, RUNNING, lag(800), clock.instant()));
    assertThat(fell.kafka().lagFrom()).as("lag fell, but RUNNING only 5s of 60s").isEqualTo(900);

    clock.set(T0.plus(stableFor));
    assertThat(read(fell, RUNNING, lag(800), clock.instant())).as("RUNNING for 60s, lag last fell")
        .isEqualTo(new StabilityPolicy.Verdict.Stable(T0));
  }

  @Test
  void theDeadLetterTopicMustBeQuietForItsDurationCountedFromTheFirstReading() {
    SteppedClock clock = new SteppedClock(T0);
    Duration quiet = Duration.ofMinutes(2);
    Wait w = wait(KafkaWait.of(false, null, quiet), Duration.ZERO);
    StabilityPolicy.Verdict first = read(w, RUNNING, dlq(40), clock.instant());
    assertThat(((StabilityPolicy.Verdict.Again) first).at()).isEqualTo(T0.plus(POLL));
    w = next(first);

    clock.set(T0.plus(Duration.ofSeconds(30)));
    w = next(read(w, RUNNING, dlq(52), clock.instant()));
    assertThat(w.kafka().dlqSince()).as("12 new dead letters: the quiet starts again").isEqualTo(clock.instant());

    Instant quietFrom = clock.instant();
    clock.set(quietFrom.plus(quiet).minusMillis(1));
    StabilityPolicy.Verdict almost = read(w, RUNNING, dlq(52), clock.instant());
    assertThat(((StabilityPolicy.Verdict.Again) almost).at()).as("read again when it is quiet long enough")
        .isEqualTo(quietFrom.plus(quiet));
    clock.advanceMillis(1);
    assertThat(read(next(almost), RUNNING, dlq(52), clock.instant())).isInstanceOf(StabilityPolicy.Verdict.Stable.class);
  }

  @Test
  void aDeadLetterAfterTheDeadlineFailsAtOnce() {
    Duration quiet = Duration.ofMinutes(2);
    Wait w = next(read(wait(KafkaWait.of(false, null, quiet), Duration.ZERO), RUNNING, dlq(40), T0.plus(WITHIN)));
    assertThat(read(w, RUNNING, dlq(41), T0.plus(WITHIN).plusSeconds(5))).isEqualTo(new StabilityPolicy.Verdict.Failed(
        "dead-letter topic orders-dlq got 1 new record(s) (end offsets 40 → 41), not quiet for 2m", false));
  }

  @Test
  void noKafkaClusterFailsAtOnceAndAnUnreadableLagFailsOnlyAtTheDeadline() {
    Wait w = wait(KafkaWait.of(true, null, null), Duration.ZERO);
    String why = "wait_for lag needs the Kafka cluster of Connect cluster \"prod\": set connect_clusters.prod.kafka in"
        + " runbookd.yaml";
    assertThat(read(w, RUNNING, KafkaWaitPolicy.Reading.fatal(why), T0))
        .isEqualTo(new StabilityPolicy.Verdict.Failed(why, false));

    KafkaWaitPolicy.Reading down = new KafkaWaitPolicy.Reading("connect-orders-sink", null, null, "TIMEOUT", null, null, null);
    assertThat(read(w, RUNNING, down, T0.plus(WITHIN))).isInstanceOf(StabilityPolicy.Verdict.Again.class);
    assertThat(read(w, RUNNING, down, T0.plus(WITHIN).plusMillis(1))).isEqualTo(new StabilityPolicy.Verdict.Failed(
        "not met in time: lag of consumer group connect-orders-sink unavailable: TIMEOUT", false));
  }

  @Test
  void aFailedStateWinsAndTheStoredReadingsSurviveTheStore() {
    Wait w = wait(KafkaWait.of(true, 10L, Duration.ofSeconds(30)), Duration.ZERO);
    assertThat(read(w, StabilityPolicyTest.FAILED, lag(3), T0.plus(WITHIN).plusMillis(1)))
        .isInstanceOf(StabilityPolicy.Verdict.Failed.class)
        .extracting(v -> ((StabilityPolicy.Verdict.Failed) v).reason()).asString().startsWith("not RUNNING");
    KafkaWait k = new KafkaWait(true, 10L, Duration.ofSeconds(30), "g", "dlq", 7L, 3L, 40L, T0);
    assertThat(KafkaWait.fromJson(k.toJson())).isEqualTo(k);
    assertThat(KafkaWait.fromJson(KafkaWait.of(true, null, null).toJson())).isEqualTo(KafkaWait.of(true, null, null));
  }
}
