package io.runbookd.model;

import io.runbookd.policy.ClusterGuardPolicy;

import java.time.Instant;
import java.util.Objects;

/**
 * A slot taken by one remediation on one Connect cluster: the Connect actions one segment of an attempt
 * may issue (reserved before the first of them), and a concurrency slot held until it is released.
 * The store keeps them per cluster; {@link ClusterGuardPolicy#admit} decides over them.
 *
 * @param id store-assigned id
 * @param incidentId the incident that holds it
 * @param planned Connect actions reserved
 * @param used Connect actions issued so far (at most {@code planned})
 * @param reservedAt when it was admitted
 * @param lastActedAt when the last of its actions returned, null before the first
 * @param releasedAt when the remediation let go of it, null while held
 * @param live true while its incident is leased by a replica (a dead replica's slot frees itself when
 *     its lease expires)
 */
public record Reservation(
    long id, String incidentId, int planned, int used, Instant reservedAt, Instant lastActedAt, Instant releasedAt,
    boolean live) {

  public Reservation {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(reservedAt, "reservedAt");
  }

  /** Held by a running remediation: not released and its incident leased. */
  public boolean inFlight() {
    return releasedAt == null && live;
  }
}
