package io.runbookd.connect;

import java.time.Duration;
import java.util.Objects;

/**
 * How a 409 Conflict from Kafka Connect is retried: capped exponential backoff with equal jitter.
 *
 * <p>Connect answers 409 while a rebalance is pending or no leader is known (apache/kafka
 * {@code connect/runtime/.../rest/HerderRequestHandler.java} and {@code DistributedHerder.checkRebalanceNeeded});
 * the request was not applied, so it is safe to send again.
 * Before retry {@code n} (0-based) the caller waits {@link #delay(int, double)}: half of
 * {@code min(maxDelay, initialDelay * 2^n)} plus a random share of the other half. Equal jitter keeps
 * a floor under every wait, so a burst of callers still gives the rebalance time to finish, while
 * spreading them out.
 *
 * <p>This is a pure value: it holds no attempt counter and reads no clock or random source; the
 * caller passes both in.
 *
 * @param maxRetries retries after the first attempt; 0 disables retrying
 * @param initialDelay the cap before the first retry; positive
 * @param maxDelay the largest cap; at least {@code initialDelay}
 */
public record BackOff(int maxRetries, Duration initialDelay, Duration maxDelay) {

  /**
   * 5 retries, 1 s doubling to at most 30 s, with equal jitter as in "Exponential Backoff And Jitter"
   * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
   */
  public static final BackOff DEFAULT = new BackOff(5, Duration.ofSeconds(1), Duration.ofSeconds(30));

  public BackOff {
    Objects.requireNonNull(initialDelay, "initialDelay");
    Objects.requireNonNull(maxDelay, "maxDelay");
    if (maxRetries < 0) {
      throw new IllegalArgumentException("maxRetries must be >= 0, got " + maxRetries);
    }
    if (initialDelay.isNegative() || initialDelay.isZero()) {
      throw new IllegalArgumentException("initialDelay must be positive, got " + initialDelay);
    }
    if (maxDelay.compareTo(initialDelay) < 0) {
      throw new IllegalArgumentException(
          "maxDelay (" + maxDelay + ") must not be below initialDelay (" + initialDelay + ")");
    }
  }

  /** The upper bound of the wait before retry {@code retry} (0-based): {@code min(maxDelay, initialDelay * 2^retry)}. */
  public Duration cap(int retry) {
    if (retry < 0) {
      throw new IllegalArgumentException("retry must be >= 0, got " + retry);
    }
    Duration cap = initialDelay;
    for (int i = 0; i < retry && cap.compareTo(maxDelay) < 0; i++) {
      cap = cap.multipliedBy(2);
    }
    return cap.compareTo(maxDelay) < 0 ? cap : maxDelay;
  }

  /**
   * The wait before retry {@code retry} (0-based), in {@code [cap/2, cap)}, with millisecond resolution.
   *
   * @param unitRandom a uniform random number in {@code [0, 1)}
   */
  public Duration delay(int retry, double unitRandom) {
    if (!(unitRandom >= 0.0 && unitRandom < 1.0)) {
      throw new IllegalArgumentException("unitRandom must be in [0, 1), got " + unitRandom);
    }
    long capMillis = cap(retry).toMillis();
    long half = capMillis / 2;
    return Duration.ofMillis(half + (long) (unitRandom * (capMillis - half)));
  }
}
