package io.runbookd.store;

import io.runbookd.model.IncidentQuery;

import io.runbookd.policy.Admission;
import io.runbookd.model.AlertEvent;
import io.runbookd.model.Approval;
import io.runbookd.model.Budget;
import io.runbookd.model.ClusterLimits;
import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.StepRun;
import io.runbookd.model.Storm;
import io.runbookd.model.Wait;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Durable state of runbookd: received alerts, incidents, step runs, attempt budgets, escalation
 * timers, the incident timeline, approvals, and the guards of each Connect cluster (failure storms and
 * blast-radius reservations).
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
   * Writes the progress of an incident held by {@code expectedOwner}, in one transaction: every mutable
   * field of {@code incident} except {@code alertResolvedAt} (a resolve noted meanwhile is kept), and its
   * stored wait, replaced by {@code wait} (null removes it).
   *
   * @return false when {@code expectedOwner} no longer holds the lease (nothing written)
   * @throws StoreException when no incident has this id
   */
  boolean saveProgress(Incident incident, String expectedOwner, Wait wait);

  /** The stored wait of an incident, if any. */
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

  /**
   * Moves a pending (not fired, not cancelled) escalation to {@code dueAt} and drops its claim; used to
   * hold escalations back while a failure storm is active. Nothing happens to a fired or cancelled one.
   */
  void deferEscalation(String incidentId, int level, Instant dueAt);

  // ---- approvals ------------------------------------------------------------------------------

  /**
   * Records a pending approval: the attempt reached a gate. Idempotent on (incident, attempt, gate):
   * an existing row is returned unchanged.
   *
   * @return the stored approval
   * @throws StoreException when another approval of the incident is pending, or the incident does not
   *     exist
   */
  Approval requestApproval(Approval request);

  /** Records that the notifier accepted the approval request (the first time is kept). */
  void markApprovalNotified(String incidentId, int attempt, int gate, Instant at);

  /** The approvals of an incident, oldest first. */
  List<Approval> approvals(String incidentId);

  /**
   * Decides the incident's pending approval, once: the first decision recorded wins. A {@code human}
   * decision must come before {@code expiresAt} ({@code EXPIRED} otherwise), a {@code ttl} decision at
   * or after it ({@code NOT_EXPIRED} otherwise), a {@code runbookd} one (cancellation) at any time. A
   * human or TTL decision on an incident in AWAITING_APPROVAL also makes the incident due at {@code at},
   * so the engine acts on it at its next tick.
   *
   * @param via {@code human}, {@code ttl} or {@code runbookd}
   * @param by who decided (the API principal, or {@code runbookd})
   * @param comment may be null
   */
  Approval.Outcome decideApproval(String incidentId, Approval.Decision decision, String via, String by, String comment,
      Instant at);

  // ---- cluster guards -------------------------------------------------------------------------

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

  /**
   * Claims up to {@code limit} storms whose summary has a notifier and was not sent, and whose claim is
   * free or expired, until {@code now + lease}; oldest first.
   */
  List<Storm> claimStormSummaries(String owner, Instant now, Duration lease, int limit);

  /** Marks a storm's summary delivered (the first time is kept). */
  void markStormSummarySent(long stormId, Instant at);

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
