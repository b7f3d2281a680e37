package io.runbookd.store;

import io.runbookd.model.ClusterLimits;
import io.runbookd.model.Storm;
import io.runbookd.model.StormMember;
import io.runbookd.policy.Admission;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The guards of each Connect cluster: failure storms and blast-radius reservations.
 *
 * <p>Every method is <b>blocking</b> JDBC and must be called from a worker thread, never from an
 * event loop. Every method either commits completely, in one transaction, or throws
 * {@link StoreException} and changes nothing. A part of {@link Store}.
 */
public interface ClusterGuardStore {

  /**
   * Notes that an incident opened on {@code cluster} at {@code at} (the incident must already be stored)
   * and updates the cluster's storm per {@link io.runbookd.policy.ClusterGuardPolicy#onFailure}, in one
   * transaction serialized per cluster: a storm that is over is ended; an active one is extended; a new
   * one starts when enough distinct connectors failed within the window.
   *
   * @return the storm this failure started, if it started one
   */
  Optional<Storm> noteClusterFailure(String cluster, Instant at, ClusterLimits.StormSettings settings);

  /** The cluster's storm that has not been ended (it may be over already: see {@link Storm#activeAt}). */
  Optional<Storm> currentStorm(String cluster);

  /** The cluster's most recent storm, active, over or ended; empty when it never had one. */
  Optional<Storm> latestStorm(String cluster);

  /**
   * Claims up to {@code limit} storms whose summary has a notifier and was not sent, and whose claim is
   * free or expired, until {@code now + lease}; oldest first.
   */
  List<Storm> claimStormSummaries(String owner, Instant now, Duration lease, int limit);

  /**
   * Hands back every claim on an unsent storm summary whose claimer starts with {@code ownerPrefix}: it
   * is claimable again at once. Used when a replica stops (its own owner name) and when it starts again
   * under the same identity (the prefix of every owner name of that identity), so nothing waits for a
   * dead run's lease to expire.
   *
   * @param ownerPrefix a non-empty owner name or prefix of owner names
   * @return how many were handed back
   */
  int releaseStormSummaryClaims(String ownerPrefix);

  /**
   * As {@link #claimStormSummaries}, and counts the claim as a delivery attempt: each result says how many
   * claims were taken before this one ({@link DeliveryClaim#mayHaveBeenSent()}). Oldest first.
   */
  List<DeliveryClaim<Storm>> claimStormSummaryDeliveries(String owner, Instant now, Duration lease, int limit);

  /**
   * Drops the claim of a storm summary whose delivery failed and makes it claimable again from {@code at};
   * nothing happens once it was sent.
   */
  void retryStormSummaryAt(long stormId, Instant at);

  /** Marks a storm's summary delivered (the first time is kept). */
  void markStormSummarySent(long stormId, Instant at);

  /**
   * The incidents of {@code storm}'s cluster opened from its window before its start to its hold's end
   * ({@code [startedAt - window, quietUntil]}), with their budget's last attempt; by connector.
   */
  List<StormMember> stormMembers(Storm storm);

  /**
   * Ended storms whose summary was sent and whose "storm over" message is not yet due
   * ({@link #markStormOver} not called), oldest first.
   */
  List<Storm> stormsAwaitingOver();

  /**
   * Makes the storm's "storm over" message due (once: later calls change nothing), after its summary was
   * sent; it is then claimed with {@link #claimStormOverDeliveries}.
   */
  void markStormOver(long stormId, Instant at);

  /** As {@link #claimStormSummaryDeliveries}, for due "storm over" messages not yet sent. */
  List<DeliveryClaim<Storm>> claimStormOverDeliveries(String owner, Instant now, Duration lease, int limit);

  /** As {@link #retryStormSummaryAt}, for the "storm over" message. */
  void retryStormOverAt(long stormId, Instant at);

  /** Marks a storm's "storm over" message delivered (the first time is kept). */
  void markStormOverSent(long stormId, Instant at);

  /** Ends the storms that are over at {@code now} ({@code quietUntil <= now}) and returns them. */
  List<Storm> endStorms(Instant now);

  /**
   * Decides whether {@code incidentId} may run a segment of {@code planned} Connect actions on
   * {@code cluster} now ({@link io.runbookd.policy.ClusterGuardPolicy#admit} over the cluster's storm and
   * reservations) and, if so, reserves them; in one transaction serialized per cluster, so the limits hold
   * across concurrent callers and replicas. Reservations of the incident still held are released first.
   */
  Admission admit(String cluster, String incidentId, int attempt, int planned, ClusterLimits limits, Instant now);

  /** Counts one Connect action of a reservation, which returned at {@code at}. */
  void recordAction(long reservationId, Instant at);

  /** Releases a reservation's concurrency slot (its used actions keep counting in the window). */
  void releaseReservation(long reservationId, Instant at);
}
