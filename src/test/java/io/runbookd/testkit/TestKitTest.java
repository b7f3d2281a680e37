package io.runbookd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The test kit itself: waits end when they should and say why, the stepped clock moves only when stepped. */
class TestKitTest {

  @Test
  void untilReturnsOnceTheConditionHoldsAndRetriesThroughExceptions() {
    AtomicInteger calls = new AtomicInteger();
    Await.until("the third call", Duration.ofSeconds(5), () -> {
      if (calls.incrementAndGet() == 1) {
        throw new IOException("not listening yet");
      }
      return calls.get() >= 3;
    });
    assertThat(calls).hasValue(3);
  }

  @Test
  void valueReturnsWhatTheProbeFound() {
    AtomicInteger calls = new AtomicInteger();
    assertThat(Await.value("a value", Duration.ofSeconds(5),
        () -> calls.incrementAndGet() < 2 ? Optional.empty() : Optional.of("found"))).isEqualTo("found");
  }

  @Test
  void aTimeoutNamesWhatWasAwaitedTheTimeoutTheLastStateAndTheLastError() {
    assertThatThrownBy(() -> Await.value("the storm to end", Duration.ofMillis(50), Duration.ofMillis(10),
        () -> {
          throw new IOException("connection refused");
        }, () -> "storm active"))
        .isInstanceOf(AssertionError.class)
        .hasMessage("timed out after 50 ms waiting for the storm to end; last seen: storm active;"
            + " last error: java.io.IOException: connection refused")
        .hasCauseInstanceOf(IOException.class);
  }

  @Test
  void aFailedAssertionInsideTheConditionEndsTheWaitAtOnce() {
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(() -> Await.until("never", Duration.ofSeconds(30), () -> {
      calls.incrementAndGet();
      throw new AssertionError("HTTP 500");
    })).isInstanceOf(AssertionError.class).hasMessage("HTTP 500");
    assertThat(calls).hasValue(1);
  }

  @Test
  void theSteppedClockMovesOnlyWhenStepped() {
    Instant t0 = Instant.parse("2026-11-22T03:00:00Z");
    SteppedClock clock = new SteppedClock(t0);
    assertThat(clock.instant()).isEqualTo(t0);
    clock.advance(Duration.ofMinutes(2));
    clock.advanceMillis(5);
    assertThat(clock.instant()).isEqualTo(t0.plusSeconds(120).plusMillis(5));
    clock.set(t0.minusSeconds(1));
    assertThat(clock.millis()).isEqualTo(t0.minusSeconds(1).toEpochMilli());
    assertThat(clock.getZone()).isEqualTo(java.time.ZoneOffset.UTC);
    assertThat(clock.withZone(java.time.ZoneId.of("Europe/Paris"))).isSameAs(clock);
  }
}
