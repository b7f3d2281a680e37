package io.runbookd.store;

import io.runbookd.incident.AlertEvent;
import io.runbookd.incident.Budget;
import io.runbookd.incident.Escalation;
import io.runbookd.incident.Incident;
import io.runbookd.incident.IncidentEvent;
import io.runbookd.incident.StepRun;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Durable state of runbookd: received alerts, incidents, step runs, attempt budgets, escalation
 * timers and the incident timeline.
 *
 * <p>Every method is <b>blocking</b> JDBC and must be called from a worker thread, never from an
 * event loop. Every method either commits completely or throws {@link StoreException} and changes
 * nothing. Implementations are safe for concurrent use by many threads and, on PostgreSQL, by many
 * replicas: "claim" methods hand each row to exactly one caller (row locks with
 * {@code FOR UPDATE SKIP LOCKED} on PostgreSQL; a single writer on SQLite).
 */
public interface Store extends AutoCloseable {

  // ---- intake ---------------------------------------------------------------------------------

  /**
   * Records the alerts of one or more webhooks in one transaction and returns them with ids
   * assigned, in the given order. Only after this returns may the webhook be acknowledged.
   */
  List<AlertEvent> recordAlerts(List<AlertEvent> events);

  /**
   * Claims up to {@code limit} unprocessed alert events, oldest id first, for {@code lease}. A claimed
   * event is not returned again until its lease expires (the claimer died) or it is marked processed.
   */
  List<AlertEvent> claimAlerts(String owner, Instant now, Duration lease, int limit);

  /**
   * Marks an alert event processed.
   *
   * @param outcome what was done: {@code opened}, {@code joined}, {@code resolved}, {@code unmatched},
   *     {@code healthy}, {@code ignored}, {@code error}
   * @param incidentId the incident it opened or joined, or null
   */
  void markAlertProcessed(long eventId, Instant at, String outcome, String incidentId);

  // ---- incidents ------------------------------------------------------------------------------

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
  java.util.Map<String, Integer> countOpenByRule();

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
   * Writes every mutable field of {@code incident} (state, outcome, attempts, cause, trace, updatedAt,
   * closedAt, nextActionAt, nextAction, alertResolvedAt, leaseOwner, leaseUntil), but only if the row's
   * current lease owner is {@code expectedOwner} (null = the row must be unleased or leased by
   * nobody).
   *
   * @return false when the lease had been lost to another owner (nothing written)
   */
  boolean updateIncident(Incident incident, String expectedOwner);

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
   * The most recent alert event processed into {@code incidentId} (its labels and annotations feed the
   * message templates), if any.
   */
  Optional<AlertEvent> lastAlert(String incidentId);

  /** Appends a line to the incident timeline. */
  void addEvent(String incidentId, IncidentEvent event);

  /** The incident timeline, oldest first. */
  List<IncidentEvent> events(String incidentId);

  // ---- steps ----------------------------------------------------------------------------------

  /**
   * Records that a step is starting. Fails with empty if a step with the same
   * {@link StepRun#idempotencyKey()} was already started (the step must not run again).
   *
   * @return the stored step with its id
   */
  Optional<StepRun> startStep(StepRun step);

  /** Records the end of a step. */
  void finishStep(long stepId, Instant endedAt, String outcome, String error, String after);

  /** Step runs of an incident, in start order. */
  List<StepRun> steps(String incidentId);

  // ---- budgets --------------------------------------------------------------------------------

  /** The budget of (cluster, connector, rule); {@link Budget#empty} when none is stored. */
  Budget budget(String cluster, String connector, String rule);

  /** Inserts or replaces a budget. */
  void saveBudget(Budget budget);

  // ---- escalations ----------------------------------------------------------------------------

  /** Adds an escalation timer (ignored if (incident, level) already exists). */
  void scheduleEscalation(Escalation escalation);

  /**
   * Claims up to {@code limit} escalations that are due ({@code dueAt <= now}), not fired, not
   * cancelled, and not claimed by a live lease; leases them to {@code owner} until
   * {@code now + lease}.
   */
  List<Escalation> claimDueEscalations(String owner, Instant now, Duration lease, int limit);

  /** Marks an escalation delivered. */
  void markEscalationFired(String incidentId, int level, Instant at);

  /** Cancels every escalation of the incident that has not fired. */
  void cancelEscalations(String incidentId, Instant at);

  /** Escalations of an incident, by level. */
  List<Escalation> escalations(String incidentId);

  /** The earliest due time of a pending (not fired, not cancelled) escalation, if any. */
  Optional<Instant> nextEscalationDue();

  // ---- housekeeping ---------------------------------------------------------------------------

  /** Throws {@link StoreException} unless the store can be read and written now. */
  void ping();

  /**
   * Deletes incidents closed before {@code before} with their links, steps, events and escalations,
   * and processed alert events received before {@code before}.
   *
   * @return the number of incidents deleted
   */
  int prune(Instant before);

  @Override
  void close();
}
