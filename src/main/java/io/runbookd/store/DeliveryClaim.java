package io.runbookd.store;

import java.util.Objects;

/**
 * A notification claimed for delivery (an escalation or a storm summary) and how many claims to deliver
 * it were taken before this one. A claim is taken before the notifier is called and the "sent" mark is
 * written after it answered, so an earlier claim means the receiver may already have it: a daemon killed
 * between the receiver's 2xx and the mark, or a timeout after the receiver had accepted it.
 *
 * @param item the claimed escalation or storm
 * @param earlierClaims claims taken before this one (0 for the first delivery attempt)
 * @param <T> {@link io.runbookd.model.Escalation} or {@link io.runbookd.model.Storm}
 */
public record DeliveryClaim<T>(T item, int earlierClaims) {
  public DeliveryClaim {
    Objects.requireNonNull(item, "item");
    if (earlierClaims < 0) {
      throw new IllegalArgumentException("earlierClaims must be >= 0, got " + earlierClaims);
    }
  }

  /** True when an earlier delivery attempt may have reached the receiver: send it as a redelivery. */
  public boolean mayHaveBeenSent() {
    return earlierClaims > 0;
  }
}
