package io.runbookd.testkit;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Waiting with a deadline: how a test waits for a state anywhere (the daemon, Connect, a notifier, a
 * process), never with a fixed sleep. The only place in the tests that pauses a thread.
 *
 * <p>A condition or probe is called every {@link #EVERY} (or the given interval) until it holds. An
 * exception it throws counts as "not yet" and is kept as the cause of the failure if the deadline
 * passes; an {@link Error} (such as a failed assertion inside it) or an {@link InterruptedException}
 * ends the wait at once.
 */
public final class Await {
  /** The default polling interval. */
  public static final Duration EVERY = Duration.ofMillis(20);

  private Await() {}

  /** A condition that may throw, e.g. an HTTP call; {@code true} once the awaited state holds. */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  /** A probe that may throw: a value once the awaited state holds, empty before. */
  @FunctionalInterface
  public interface Probe<T> {
    Optional<T> check() throws Exception;
  }

  /**
   * Polls {@code condition} every {@link #EVERY} until it holds.
   *
   * @param what what is awaited, for the failure message ("the storm to end", "every connector restarted")
   * @throws AssertionError naming {@code what} and {@code timeout} if it does not hold within {@code timeout}
   */
  public static void until(String what, Duration timeout, Condition condition) {
    until(what, timeout, EVERY, condition, () -> null);
  }

  /**
   * Polls {@code condition} every {@code every} until it holds.
   *
   * @param lastSeen describes the current state for the failure message; may return null for none
   * @throws AssertionError as {@link #value(String, Duration, Duration, Probe, Supplier)}
   */
  public static void until(String what, Duration timeout, Duration every, Condition condition, Supplier<String> lastSeen) {
    Objects.requireNonNull(condition, "condition");
    value(what, timeout, every, () -> condition.holds() ? Optional.of(Boolean.TRUE) : Optional.empty(), lastSeen);
  }

  /**
   * Polls {@code probe} every {@link #EVERY} until it returns a value, and returns it.
   *
   * @throws AssertionError naming {@code what} and {@code timeout} if no value comes within {@code timeout}
   */
  public static <T> T value(String what, Duration timeout, Probe<T> probe) {
    return value(what, timeout, EVERY, probe, () -> null);
  }

  /**
   * Polls {@code probe} every {@code every} until it returns a value, and returns it.
   *
   * @param what what is awaited, for the failure message
   * @param every the pause between two calls (positive)
   * @param lastSeen describes the current state for the failure message; may return null for none
   * @throws AssertionError naming {@code what}, {@code timeout} and what {@code lastSeen} describes if no
   *     value comes within {@code timeout}; also when the waiting thread is interrupted (its flag is set again)
   */
  public static <T> T value(String what, Duration timeout, Duration every, Probe<T> probe, Supplier<String> lastSeen) {
    Objects.requireNonNull(what, "what");
    Objects.requireNonNull(probe, "probe");
    Objects.requireNonNull(lastSeen, "lastSeen");
    if (timeout.isNegative() || every.isNegative() || every.isZero()) {
      throw new IllegalArgumentException("timeout must be >= 0 and every > 0, got " + timeout + " and " + every);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception lastError = null;
    try {
      while (true) {
        try {
          Optional<T> v = probe.check();
          if (v.isPresent()) {
            return v.get();
          }
          lastError = null;
        } catch (InterruptedException e) {
          throw e;
        } catch (Exception e) {
          lastError = e;
        }
        if (System.nanoTime() - deadline >= 0) {
          throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what + describe(lastSeen)
              + (lastError == null ? "" : "; last error: " + lastError), lastError);
        }
        TimeUnit.NANOSECONDS.sleep(every.toNanos());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + what, e);
    }
  }

  private static String describe(Supplier<String> lastSeen) {
    try {
      String seen = lastSeen.get();
      return seen == null ? "" : "; last seen: " + seen;
    } catch (RuntimeException e) {
      return "; last seen: <" + e + ">";
    }
  }
}
