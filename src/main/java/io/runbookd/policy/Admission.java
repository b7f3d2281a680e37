package io.runbookd.policy;

import java.util.Objects;

/**
 * The answer of {@link io.runbookd.store.Store#admit}: the decision, and the reservation taken when it
 * is {@link ClusterGuardPolicy.Decision.Act}.
 *
 * @param decision what {@link ClusterGuardPolicy#admit} decided
 * @param reservationId the reservation to report actions on and release; 0 unless admitted
 */
public record Admission(ClusterGuardPolicy.Decision decision, long reservationId) {
  public Admission {
    Objects.requireNonNull(decision, "decision");
  }

  /** True when the segment may act now. */
  public boolean admitted() {
    return decision instanceof ClusterGuardPolicy.Decision.Act;
  }
}
