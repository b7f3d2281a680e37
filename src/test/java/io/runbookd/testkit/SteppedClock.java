package io.runbookd.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock that only moves when a test steps it (like Kafka's {@code MockTime}); thread-safe. */
public final class SteppedClock extends Clock {
  private volatile Instant now;

  public SteppedClock(Instant start) {
    this.now = start;
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  /** Moves the clock forward by {@code d}. */
  public synchronized void advance(Duration d) {
    now = now.plus(d);
  }

  /** Moves the clock forward by {@code ms} milliseconds. */
  public void advanceMillis(long ms) {
    advance(Duration.ofMillis(ms));
  }

  /** Sets the clock to {@code t}. */
  public synchronized void set(Instant t) {
    now = t;
  }
}
