package io.runbookd.store;

import io.runbookd.model.Escalation;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Escalation timers of incidents.
 *
 * <p>Every method is <b>blocking</b> JDBC and must be called from a worker thread, never from an
 * event loop. Every method either commits completely, in one transaction, or throws
 * {@link StoreException} and changes nothing. A part of {@link Store}.
 */
public interface EscalationStore {

  /** Adds an escalation timer (ignored if (incident, level) already exists). */
  void scheduleEscalation(Escalation escalation);

  /**
   * Claims up to {@code limit} escalations that are due ({@code dueAt <= now}), not fired, not
   * cancelled, and not claimed by a live lease; leases them to {@code owner} until
   * {@code now + lease}.
   */
  List<Escalation> claimDueEscalations(String owner, Instant now, Duration lease, int limit);

  /**
   * Hands back every pending escalation claim whose claimer starts with {@code ownerPrefix} (not fired,
   * not cancelled): it is claimable again as soon as it is due. Used when a replica stops (its own owner
   * name) and when it starts again under the same identity (the prefix of every owner name of that
   * identity), so nothing waits for a dead run's lease to expire.
   *
   * @param ownerPrefix a non-empty owner name or prefix of owner names
   * @return how many were handed back
   */
  int releaseEscalationClaims(String ownerPrefix);

  /**
   * As {@link #claimDueEscalations}, and counts the claim as a delivery attempt: each result says how many
   * claims were taken before this one ({@link DeliveryClaim#mayHaveBeenSent()}), so a delivery after a
   * crash or a failed attempt goes out marked as a redelivery. Ordered by due time.
   */
  List<DeliveryClaim<Escalation>> claimEscalationDeliveries(String owner, Instant now, Duration lease, int limit);

  /**
   * Drops the claim of a pending escalation whose delivery failed and makes it claimable again from
   * {@code at} (its due time is unchanged; its delivery attempts are kept). Nothing happens to a fired or
   * cancelled one.
   */
  void retryEscalationAt(String incidentId, int level, Instant at);

  /** Marks an escalation delivered. */
  void markEscalationFired(String incidentId, int level, Instant at);

  /** Cancels every escalation of the incident that has not fired. */
  void cancelEscalations(String incidentId, Instant at);

  /** Escalations of an incident, by level. */
  List<Escalation> escalations(String incidentId);

  /** The earliest due time of a pending (not fired, not cancelled) escalation, if any. */
  Optional<Instant> nextEscalationDue();

  /**
   * Moves a pending (not fired, not cancelled) escalation to {@code dueAt} and drops its claim; used to
   * hold escalations back while a failure storm is active. Nothing happens to a fired or cancelled one.
   * The claim it drops was not used to deliver, so it no longer counts as a delivery attempt.
   */
  void deferEscalation(String incidentId, int level, Instant dueAt);

  /**
   * Brings a pending (not fired, not cancelled) escalation forward to {@code dueAt} with {@code note} (stored as
   * its message, e.g. why runbookd gave up) and drops its claim; nothing happens to a fired or cancelled one.
   *
   * @return true when a pending escalation was moved
   */
  boolean advanceEscalation(String incidentId, int level, Instant dueAt, String note);
}
