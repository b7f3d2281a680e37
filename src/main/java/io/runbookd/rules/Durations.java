package io.runbookd.rules;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Prometheus-style durations, as written in rule files: {@code 500ms}, {@code 30s}, {@code 2m},
 * {@code 1h30m}, {@code 1d}, {@code 0s}.
 *
 * <p>The grammar is Prometheus' {@code model.ParseDuration} (prometheus/common {@code
 * model/time.go}): one or more {@code <integer><unit>} parts, units from largest to smallest,
 * each at most once, with units {@code y} (365 days), {@code w} (7 days), {@code d} (24 hours),
 * {@code h}, {@code m}, {@code s} and {@code ms}. As in Prometheus, a bare {@code 0} is accepted
 * and means zero. Everything else is rejected: a number without a unit ({@code 5}), a sign
 * ({@code -1s}), a fraction ({@code 1.5m}), spaces, an unknown unit, or the empty string.
 */
public final class Durations {

  private static final String UNITS = "ms, s, m, h, d, w or y";

  /** Units from largest to smallest, with their lengths in milliseconds. */
  private static final String[] UNIT_NAMES = {"y", "w", "d", "h", "m", "s", "ms"};

  private static final long[] UNIT_MILLIS = {
    365L * 24 * 3600 * 1000, 7L * 24 * 3600 * 1000, 24L * 3600 * 1000, 3600L * 1000, 60L * 1000, 1000L, 1L
  };

  private static final Pattern PART = Pattern.compile("([0-9]+)(ms|[a-zA-Zµ]+)?");

  private Durations() {}

  /**
   * Parses a Prometheus-style duration.
   *
   * @param text the duration as written, e.g. {@code 1h30m}
   * @return the duration, never negative
   * @throws IllegalArgumentException with a message that names the text and says how to fix it,
   *     e.g. {@code invalid duration "5": no unit (use ms, s, m, h, d, w or y, e.g. "5s")}
   */
  public static Duration parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.isEmpty()) {
      throw invalid(text, "empty (use e.g. \"30s\")");
    }
    if (text.equals("0")) {
      return Duration.ZERO;
    }
    if (text.startsWith("-")) {
      throw invalid(text, "must not be negative");
    }
    if (text.startsWith("+")) {
      throw invalid(text, "must not have a sign");
    }
    if (!text.strip().equals(text) || text.contains(" ")) {
      throw invalid(text, "must not contain spaces (write e.g. \"1h30m\")");
    }
    if (text.matches(".*[0-9][.,][0-9].*")) {
      throw invalid(text, "fractions are not allowed (write e.g. \"1m30s\" for 1.5m, \"1500ms\" for 1.5s)");
    }
    long totalMillis = 0;
    int lastUnit = -1;
    int pos = 0;
    Matcher m = PART.matcher(text);
    while (pos < text.length()) {
      if (!m.find(pos) || m.start() != pos) {
        throw invalid(text, "expected a number followed by a unit (" + UNITS + ") at \"" + text.substring(pos) + "\"");
      }
      String digits = m.group(1);
      String unit = m.group(2);
      if (unit == null) {
        throw invalid(text, "no unit after \"" + digits + "\" (use " + UNITS + ", e.g. \"" + digits + "s\")");
      }
      int u = unitIndex(unit);
      if (u < 0) {
        throw invalid(text, "unknown unit \"" + unit + "\" (use " + UNITS + ")");
      }
      if (u <= lastUnit) {
        throw invalid(text, "units must go from largest to smallest (y, w, d, h, m, s, ms), each at most once");
      }
      lastUnit = u;
      long n;
      try {
        n = Long.parseLong(digits);
        totalMillis = Math.addExact(totalMillis, Math.multiplyExact(n, UNIT_MILLIS[u]));
      } catch (NumberFormatException | ArithmeticException e) {
        throw invalid(text, "too large");
      }
      pos = m.end();
    }
    return Duration.ofMillis(totalMillis);
  }

  /**
   * Formats a duration the way {@link #parse} reads it and Prometheus prints it, e.g.
   * {@code 1h30m}, {@code 500ms}, {@code 0s}. Sub-millisecond parts are dropped.
   *
   * @throws IllegalArgumentException for a negative duration
   */
  public static String format(Duration duration) {
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative()) {
      throw new IllegalArgumentException("negative duration " + duration);
    }
    long ms = duration.toMillis();
    if (ms == 0) {
      return "0s";
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < UNIT_NAMES.length; i++) {
      long n = ms / UNIT_MILLIS[i];
      if (n > 0) {
        out.append(n).append(UNIT_NAMES[i]);
        ms -= n * UNIT_MILLIS[i];
      }
    }
    return out.toString();
  }

  private static int unitIndex(String unit) {
    for (int i = 0; i < UNIT_NAMES.length; i++) {
      if (UNIT_NAMES[i].equals(unit)) {
        return i;
      }
    }
    return -1;
  }

  private static IllegalArgumentException invalid(String text, String why) {
    return new IllegalArgumentException("invalid duration \"" + text + "\": " + why);
  }
}
