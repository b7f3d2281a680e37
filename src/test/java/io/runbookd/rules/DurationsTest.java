package io.runbookd.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DurationsTest {

  @ParameterizedTest(name = "{0} = {1} ms")
  @CsvSource({
      "500ms, 500",
      "30s, 30000",
      "2m, 120000",
      "1h30m, 5400000",
      "1d, 86400000",
      "1w, 604800000",
      "1y, 31536000000",
      "0s, 0",
      "0, 0",
      "1m30s, 90000",
      "1s500ms, 1500",
      "2h0m5s, 7205000",
      "90m, 5400000",
      "1d2h3m4s5ms, 93784005",
  })
  void parsesPrometheusDurations(String text, long millis) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "`5`      | invalid duration \"5\": no unit after \"5\" (use ms, s, m, h, d, w or y, e.g. \"5s\")",
      "`-1s`    | invalid duration \"-1s\": must not be negative",
      "`+1s`    | invalid duration \"+1s\": must not have a sign",
      "`1.5m`   | invalid duration \"1.5m\": fractions are not allowed (write e.g. \"1m30s\" for 1.5m, \"1500ms\" for 1.5s)",
      "``       | invalid duration \"\": empty (use e.g. \"30s\")",
      "`5min`   | invalid duration \"5min\": unknown unit \"min\" (use ms, s, m, h, d, w or y)",
      "`5S`     | invalid duration \"5S\": unknown unit \"S\" (use ms, s, m, h, d, w or y)",
      "`30s1m`  | invalid duration \"30s1m\": units must go from largest to smallest (y, w, d, h, m, s, ms), each at most once",
      "`1m1m`   | invalid duration \"1m1m\": units must go from largest to smallest (y, w, d, h, m, s, ms), each at most once",
      "`1h 30m` | invalid duration \"1h 30m\": must not contain spaces (write e.g. \"1h30m\")",
      "` 5s`    | invalid duration \" 5s\": must not contain spaces (write e.g. \"1h30m\")",
      "`s`      | invalid duration \"s\": expected a number followed by a unit (ms, s, m, h, d, w or y) at \"s\"",
      "`1m30`   | invalid duration \"1m30\": no unit after \"30\" (use ms, s, m, h, d, w or y, e.g. \"30s\")",
      "`PT5M`   | invalid duration \"PT5M\": expected a number followed by a unit (ms, s, m, h, d, w or y) at \"PT5M\"",
      "`99999999999999999999s` | invalid duration \"99999999999999999999s\": too large",
  })
  void rejectsWhatIsNotAPrometheusDuration(String text, String message) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @ParameterizedTest(name = "{0} ms -> {1}")
  @CsvSource({
      "0, 0s",
      "500, 500ms",
      "30000, 30s",
      "90000, 1m30s",
      "5400000, 1h30m",
      "86400000, 1d",
      "93784005, 1d2h3m4s5ms",
  })
  void formatsTheWayItParses(long millis, String text) {
    assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text);
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @Test
  void formatRejectsNegativeDurations() {
    assertThatThrownBy(() -> Durations.format(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
