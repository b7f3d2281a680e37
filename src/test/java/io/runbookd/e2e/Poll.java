package io.runbookd.e2e;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Polling with a deadline: how the chain waits for a state anywhere, never with a fixed sleep. */
final class Poll {
  private Poll() {}

  /** A probe: a value once the awaited state holds, empty before. */
  interface Probe<T> {
    Optional<T> check() throws Exception;
  }

  /**
   * Calls {@code probe} every {@code every} until it returns a value.
   *
   * @param what what is awaited, for the failure message
   * @param lastSeen describes the current state, for the failure message
   * @throws AssertionError after {@code timeout}
   */
  static <T> T until(String what, Duration timeout, Duration every, Probe<T> probe, Supplier<String> lastSeen)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception lastError = null;
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
      if (System.nanoTime() >= deadline) {
        String seen;
        try {
          seen = lastSeen.get();
        } catch (RuntimeException e) {
          seen = "<" + e + ">";
        }
        throw new AssertionError("not " + what + " within " + timeout.toSeconds() + " s; last seen: " + seen
            + (lastError == null ? "" : "; last error: " + lastError), lastError);
      }
      TimeUnit.MILLISECONDS.sleep(every.toMillis());
    }
  }
}
