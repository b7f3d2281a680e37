package io.runbookd.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link Clock} that a test steps by hand and that never reads the wall clock. Always in UTC.
 *
 * <p>Thread-safe: the daemon's threads may read it while the test steps it; every read sees the last
 * {@link #advance}, {@link #advanceMillis} or {@link #set}.
 */
public final class SteppedClock extends Clock {
  private final AtomicReference<Instant> now;

  /**
   * A clock that reads {@code start} until it is stepped.
   *
   * @throws NullPointerException if {@code start} is null
   */
  public SteppedClock(Instant start) {
    now = new AtomicReference<>(Objects.requireNonNull(start, "start"));
  }

  /** The current instant: the start plus every step so far. */
  @Override
  public Instant instant() {
    return now.get();
  }

  /** Always {@link ZoneOffset#UTC}. */
  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  /** This clock: its instant does not depend on the zone, and the daemon only reads instants. */
  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  /**
   * Moves the clock forward (or back, for a negative duration) by {@code d}.
   *
   * @throws NullPointerException if {@code d} is null
   */
  public void advance(Duration d) {
    Objects.requireNonNull(d, "d");
    now.updateAndGet(t -> t.plus(d));
  }

  /** Moves the clock forward by {@code ms} milliseconds (back for a negative value). */
  public void advanceMillis(long ms) {
    now.updateAndGet(t -> t.plusMillis(ms));
  }

  /**
   * Sets the clock to {@code t}, which may be before the current instant.
   *
   * @throws NullPointerException if {@code t} is null
   */
  public void set(Instant t) {
    now.set(Objects.requireNonNull(t, "t"));
  }

  @Override
  public String toString() {
    return "SteppedClock[" + now.get() + "]";
  }
}
