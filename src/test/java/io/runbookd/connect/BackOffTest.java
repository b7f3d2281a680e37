package io.runbookd.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BackOffTest {

  private static final double ALMOST_ONE = Math.nextDown(1.0);

  @Test
  void defaultIsFiveRetriesFromOneSecondCappedAtThirty() {
    assertThat(BackOff.DEFAULT).isEqualTo(new BackOff(5, Duration.ofSeconds(1), Duration.ofSeconds(30)));
  }

  @Test
  void capDoublesFromTheInitialDelayUpToTheMaximum() {
    assertThat(IntStream.range(0, 8).mapToObj(BackOff.DEFAULT::cap).map(Duration::toSeconds))
        .containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L);
  }

  @Test
  void capDoesNotOverflowForLargeRetryNumbers() {
    assertThat(BackOff.DEFAULT.cap(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void equalJitterWaitsAtLeastHalfTheCap() {
    assertThat(BackOff.DEFAULT.delay(0, 0.0)).isEqualTo(Duration.ofMillis(500));
    assertThat(BackOff.DEFAULT.delay(3, 0.0)).isEqualTo(Duration.ofSeconds(4));
    assertThat(BackOff.DEFAULT.delay(9, 0.0)).isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void equalJitterStaysBelowTheCap() {
    assertThat(BackOff.DEFAULT.delay(0, ALMOST_ONE)).isEqualTo(Duration.ofMillis(999));
    assertThat(BackOff.DEFAULT.delay(3, ALMOST_ONE)).isEqualTo(Duration.ofMillis(7_999));
    assertThat(BackOff.DEFAULT.delay(9, ALMOST_ONE)).isEqualTo(Duration.ofMillis(29_999));
  }

  @Test
  void jitterIsLinearInTheRandomNumber() {
    assertThat(BackOff.DEFAULT.delay(1, 0.5)).isEqualTo(Duration.ofMillis(1_500));
  }

  @Test
  void rejectsNonsense() {
    assertThatIllegalArgumentException().isThrownBy(() -> new BackOff(-1, Duration.ofSeconds(1), Duration.ofSeconds(1)))
        .withMessage("maxRetries must be >= 0, got -1");
    assertThatIllegalArgumentException().isThrownBy(() -> new BackOff(1, Duration.ZERO, Duration.ofSeconds(1)))
        .withMessage("initialDelay must be positive, got PT0S");
    assertThatIllegalArgumentException().isThrownBy(() -> new BackOff(1, Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .withMessage("maxDelay (PT1S) must not be below initialDelay (PT2S)");
    assertThatIllegalArgumentException().isThrownBy(() -> BackOff.DEFAULT.delay(0, 1.0));
    assertThatIllegalArgumentException().isThrownBy(() -> BackOff.DEFAULT.delay(-1, 0.5));
  }
}
