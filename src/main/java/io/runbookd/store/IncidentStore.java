package io.runbookd.store;

import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.Wait;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.IncidentQuery;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Incidents, the alerts linked to them, and their timeline.
 *
 * <p>Every method is <b>blocking</b> JDBC and must be called from a worker thread, never from an
 * event loop. Every method either commits completely, in one transaction, or throws
 * {@link StoreException} and changes nothing. A part of {@link Store}.
 */
public interface IncidentStore {

  /**
   * Inserts a new OPEN incident, its first timeline event, and its escalation timers, in one
   * transaction.
   *
   * @return the incident, or empty when another incident is already open for the same (cluster,
   *     connector) (the unique constraint on open incidents decided; nothing was written)
   */
  Optional<Incident> openIncident(Incident incident, List<Escalation> escalations, IncidentEvent opened);

  /** The open incident of (cluster, connector), if any. */
  Optional<Incident> findOpen(String cluster, String connector);

  /** The open incident that an alert with {@code fingerprint} has joined, if any. */
  Optional<Incident> findOpenByFingerprint(String fingerprint);

  /** One incident by id. */
  Optional<Incident> get(String incidentId);

  /** Incidents matching {@code query}. */
  List<Incident> list(IncidentQuery query);

  /** Counts open incidents per rule name (for the {@code incidents_open} gauge). */
  Map<String, Integer> countOpenByRule();

  /**
   * Links an alert to an incident (idempotent on (incident, fingerprint)); updates its last status and
   * time.
   */
  void linkAlert(String incidentId, String fingerprint, String alertname, String status, Instant at);

  /**
   * Claims up to {@code limit} open incidents whose {@code nextActionAt <= now} and whose lease is free
   * or expired, setting {@code leaseOwner=owner}, {@code leaseUntil=now+lease}. Ordered by
   * {@code nextActionAt}.
   */
  List<Incident> claimDueIncidents(String owner, Instant now, Duration lease, int limit);

  /**
   * Hands back every incident lease whose lease owner starts with {@code ownerPrefix}: the incident is
   * claimable again as soon as its next action is due (its writes by the old owner are refused from then
   * on). Used when a replica stops (its own owner name) and when it starts again under the same identity
   * (the prefix of every owner name of that identity), so nothing waits for a dead run's lease to
   * expire.
   *
   * @param ownerPrefix a non-empty owner name or prefix of owner names
   * @return how many were handed back
   */
  int releaseLeases(String ownerPrefix);

  /**
   * Writes every mutable field of {@code incident} (state, outcome, attempts, cause, trace, updatedAt,
   * closedAt, nextActionAt, nextAction, leaseOwner, leaseUntil), but only if the row's current lease
   * owner is {@code expectedOwner} (null = the row must be unleased or leased by nobody).
   *
   * <p>{@code alertResolvedAt} is never overwritten: it is written only when the row has none yet, and a
   * stored time is kept whatever {@code incident} says. Only {@link #noteAlertResolved} moves it (nothing
   * clears it), so a resolved alert noted between the caller's read of the incident and this write is
   * not lost to the caller's stale copy.
   *
   * @return false when the lease had been lost to another owner (nothing written)
   */
  boolean updateIncident(Incident incident, String expectedOwner);

  /**
   * Writes the progress of an incident held by {@code expectedOwner} and its stored wait, in one
   * transaction: the incident as {@link #updateIncident} does, and the wait replaced by {@code wait}
   * (null removes it).
   *
   * @return false when {@code expectedOwner} no longer holds the lease (nothing written)
   * @throws StoreException when no incident has this id
   */
  boolean saveProgress(Incident incident, String expectedOwner, Wait wait);

  /** The stored wait of an incident (a verification or a wait step in progress), if any. */
  Optional<Wait> storedWait(String incidentId);

  /**
   * Extends the lease of an incident held by {@code owner} to {@code until}, touching nothing else.
   *
   * @return false when {@code owner} no longer holds the lease
   */
  boolean renewLease(String incidentId, String owner, Instant until);

  /**
   * Updates only {@code alertResolvedAt} and, when {@code verifyAt} is not null and the incident is
   * not leased, schedules a verification ({@code nextAction=verify, nextActionAt=verifyAt}) unless
   * an earlier action is already scheduled.
   */
  void noteAlertResolved(String incidentId, Instant at, Instant verifyAt);

  /**
   * Records a "Fixed — retry" request in one transaction: when the incident is open and not leased at
   * {@code at}, its next action becomes {@code retry} due at {@code at} (a stored deadline the engine claims)
   * and the timeline gets a {@code retry_requested} line with who and why.
   *
   * @return {@code ACCEPTED}, {@code NO_INCIDENT}, {@code CLOSED} or {@code BUSY} (leased: nothing written)
   */
  io.runbookd.model.RetryOutcome requestRetry(String incidentId, String principal, String comment, Instant at);

  /** Appends a line to the incident timeline. */
  void addEvent(String incidentId, IncidentEvent event);

  /** The incident timeline, oldest first. */
  List<IncidentEvent> events(String incidentId);

  /**
   * Points an open incident held by {@code expectedOwner} at another connector of the same cluster (a
   * {@code recreate} step created it under a new name) and appends {@code event} to its timeline, in one
   * transaction: later steps, verification, escalations and the API then use the new name.
   *
   * @return false when the incident is closed or {@code expectedOwner} no longer holds it (nothing written)
   * @throws StoreException when no incident has this id, or another open incident already has that connector
   */
  boolean renameConnector(String incidentId, String expectedOwner, String connector, IncidentEvent event);
}
