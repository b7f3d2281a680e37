package io.runbookd.store;

import io.runbookd.model.AlertEvent;
import io.runbookd.model.Approval;
import io.runbookd.model.Budget;
import io.runbookd.model.ClusterLimits;
import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.Wait;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.IncidentQuery;
import io.runbookd.model.StepRun;
import io.runbookd.model.Storm;
import io.runbookd.model.StormMember;
import io.runbookd.policy.Admission;
import java.sql.PreparedStatement;
import java.sql.SQLDataException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@link Store} on SQLite or PostgreSQL, over a HikariCP pool; the schema comes from the Flyway
 * migrations in {@code db/migration}. Built by {@link Stores#open}.
 *
 * <p>A composition: each role is implemented by the class of its table family ({@link JdbcAlertLog},
 * {@link JdbcIncidents}, {@link JdbcStepRuns}, {@link JdbcBudgets}, {@link JdbcEscalations},
 * {@link JdbcApprovals}, {@link JdbcClusterGuards}), the units of work by {@link JdbcUnitsOfWork}, all
 * over one {@link Jdbc} (transactions, claims, value mapping). Each method runs in exactly one
 * transaction on one pooled connection, and every {@link SQLException} becomes a
 * {@link StoreException} whose message starts with the method's name. Only prepared statements are
 * used. A null argument where a value is required is a {@link NullPointerException}, an invalid one an
 * {@link IllegalArgumentException}; both are thrown before anything is written. Each table family's
 * class says which operations fail with {@link StoreException} on a row that does not exist.
 */
final class JdbcStore implements Store {

  private static final String CLOSED_BEFORE = "SELECT id FROM incidents WHERE closed_at IS NOT NULL AND closed_at < ?";
  private static final List<String> INCIDENT_CHILDREN =
      List.of("incident_alerts", "step_runs", "incident_events", "escalations", "approvals", "guard_reservations",
          "incident_waits", "notification_threads");

  private final Jdbc jdbc;
  private final Duration pingTimeout;
  private final JdbcAlertLog alerts;
  private final JdbcIncidents incidents;
  private final JdbcStepRuns steps;
  private final JdbcBudgets budgets;
  private final JdbcEscalations escalations;
  private final JdbcNotificationThreads threads;
  private final JdbcApprovals approvals;
  private final JdbcClusterGuards guards;
  private final JdbcUnitsOfWork units;

  /**
   * @param jdbc the transactions; its pool is owned by this store and closed with it
   * @param pingTimeout the longest a {@link #ping()} round trip may take
   */
  JdbcStore(Jdbc jdbc, Duration pingTimeout) {
    this.jdbc = Objects.requireNonNull(jdbc, "jdbc");
    this.pingTimeout = Objects.requireNonNull(pingTimeout, "pingTimeout");
    this.alerts = new JdbcAlertLog(jdbc);
    this.incidents = new JdbcIncidents(jdbc);
    this.steps = new JdbcStepRuns(jdbc);
    this.budgets = new JdbcBudgets(jdbc);
    this.escalations = new JdbcEscalations(jdbc);
    this.threads = new JdbcNotificationThreads(jdbc);
    this.approvals = new JdbcApprovals(jdbc);
    this.guards = new JdbcClusterGuards(jdbc);
    this.units = new JdbcUnitsOfWork(jdbc, guards);
  }

  /** The transactions of this store (tests read {@link Jdbc#committedTransactions()}). */
  Jdbc jdbc() {
    return jdbc;
  }

  // ---- AlertLog --------------------------------------------------------------------------------
  @Override
  public List<AlertEvent> recordAlerts(List<AlertEvent> events) {
    return alerts.recordAlerts(events);
  }

  @Override
  public List<AlertEvent> claimAlerts(String owner, Instant now, Duration lease, int limit) {
    return alerts.claimAlerts(owner, now, lease, limit);
  }

  @Override
  public int releaseAlertClaims(String ownerPrefix) {
    return alerts.releaseAlertClaims(ownerPrefix);
  }

  @Override
  public void markAlertProcessed(long eventId, Instant at, String outcome, String incidentId) {
    alerts.markAlertProcessed(eventId, at, outcome, incidentId);
  }

  @Override
  public int renewAlertClaims(String owner, List<Long> eventIds, Instant until) {
    return alerts.renewAlertClaims(owner, eventIds, until);
  }

  @Override
  public int releaseAlertClaims(String owner, List<Long> eventIds) {
    return alerts.releaseAlertClaims(owner, eventIds);
  }

  @Override
  public Backlog alertBacklog() {
    return alerts.alertBacklog();
  }

  @Override
  public Optional<AlertEvent> lastAlert(String incidentId) {
    return alerts.lastAlert(incidentId);
  }

  // ---- IncidentStore ---------------------------------------------------------------------------
  @Override
  public Optional<Incident> openIncident(Incident incident, List<Escalation> escalations, IncidentEvent opened) {
    return incidents.openIncident(incident, escalations, opened);
  }

  @Override
  public Optional<Incident> findOpen(String cluster, String connector) {
    return incidents.findOpen(cluster, connector);
  }

  @Override
  public Optional<Incident> findOpenByFingerprint(String fingerprint) {
    return incidents.findOpenByFingerprint(fingerprint);
  }

  @Override
  public Optional<Incident> get(String incidentId) {
    return incidents.get(incidentId);
  }

  @Override
  public List<Incident> list(IncidentQuery query) {
    return incidents.list(query);
  }

  @Override
  public Map<String, Integer> countOpenByRule() {
    return incidents.countOpenByRule();
  }

  @Override
  public void linkAlert(String incidentId, String fingerprint, String alertname, String status, Instant at) {
    incidents.linkAlert(incidentId, fingerprint, alertname, status, at);
  }

  @Override
  public List<Incident> claimDueIncidents(String owner, Instant now, Duration lease, int limit) {
    return incidents.claimDueIncidents(owner, now, lease, limit);
  }

  @Override
  public int releaseLeases(String ownerPrefix) {
    return incidents.releaseLeases(ownerPrefix);
  }

  @Override
  public boolean updateIncident(Incident incident, String expectedOwner) {
    return incidents.updateIncident(incident, expectedOwner);
  }

  @Override
  public boolean saveProgress(Incident incident, String expectedOwner, Wait wait) {
    return incidents.saveProgress(incident, expectedOwner, wait);
  }

  @Override
  public Optional<Wait> storedWait(String incidentId) {
    return incidents.storedWait(incidentId);
  }

  @Override
  public boolean renewLease(String incidentId, String owner, Instant until) {
    return incidents.renewLease(incidentId, owner, until);
  }

  @Override
  public io.runbookd.model.RetryOutcome requestRetry(String incidentId, String principal, String comment, Instant at) {
    return incidents.requestRetry(incidentId, principal, comment, at);
  }

  @Override
  public void noteAlertResolved(String incidentId, Instant at, Instant verifyAt) {
    incidents.noteAlertResolved(incidentId, at, verifyAt);
  }

  @Override
  public boolean renameConnector(String incidentId, String expectedOwner, String connector, IncidentEvent event) {
    return incidents.renameConnector(incidentId, expectedOwner, connector, event);
  }

  @Override
  public void addEvent(String incidentId, IncidentEvent event) {
    incidents.addEvent(incidentId, event);
  }

  @Override
  public List<IncidentEvent> events(String incidentId) {
    return incidents.events(incidentId);
  }

  // ---- StepRunStore ----------------------------------------------------------------------------
  @Override
  public Optional<StepRun> startStep(StepRun step) {
    return steps.startStep(step);
  }

  @Override
  public void finishStep(long stepId, Instant endedAt, String outcome, String error, String after) {
    steps.finishStep(stepId, endedAt, outcome, error, after);
  }

  @Override
  public void recordBefore(long stepId, String before) {
    steps.recordBefore(stepId, before);
  }

  @Override
  public List<StepRun> steps(String incidentId) {
    return steps.steps(incidentId);
  }

  // ---- BudgetStore -----------------------------------------------------------------------------
  @Override
  public Budget budget(String cluster, String connector, String rule) {
    return budgets.budget(cluster, connector, rule);
  }

  @Override
  public void saveBudget(Budget budget) {
    budgets.saveBudget(budget);
  }

  // ---- EscalationStore -------------------------------------------------------------------------
  @Override
  public void scheduleEscalation(Escalation escalation) {
    escalations.scheduleEscalation(escalation);
  }

  @Override
  public List<Escalation> claimDueEscalations(String owner, Instant now, Duration lease, int limit) {
    return escalations.claimDueEscalations(owner, now, lease, limit);
  }

  @Override
  public int releaseEscalationClaims(String ownerPrefix) {
    return escalations.releaseEscalationClaims(ownerPrefix);
  }

  @Override
  public List<DeliveryClaim<Escalation>> claimEscalationDeliveries(String owner, Instant now, Duration lease,
      int limit) {
    return escalations.claimEscalationDeliveries(owner, now, lease, limit);
  }

  @Override
  public void retryEscalationAt(String incidentId, int level, Instant at) {
    escalations.retryEscalationAt(incidentId, level, at);
  }

  @Override
  public void markEscalationFired(String incidentId, int level, Instant at) {
    escalations.markEscalationFired(incidentId, level, at);
  }

  @Override
  public void cancelEscalations(String incidentId, Instant at) {
    escalations.cancelEscalations(incidentId, at);
  }

  @Override
  public List<Escalation> escalations(String incidentId) {
    return escalations.escalations(incidentId);
  }

  @Override
  public Optional<Instant> nextEscalationDue() {
    return escalations.nextEscalationDue();
  }

  @Override
  public boolean advanceEscalation(String incidentId, int level, Instant dueAt, String note) {
    return escalations.advanceEscalation(incidentId, level, dueAt, note);
  }

  @Override
  public void deferEscalation(String incidentId, int level, Instant dueAt) {
    escalations.deferEscalation(incidentId, level, dueAt);
  }

  // ---- ApprovalStore ---------------------------------------------------------------------------
  @Override
  public Approval requestApproval(Approval request) {
    return approvals.requestApproval(request);
  }

  @Override
  public void markApprovalNotified(String incidentId, int attempt, int gate, Instant at) {
    approvals.markApprovalNotified(incidentId, attempt, gate, at);
  }

  @Override
  public List<Approval> approvals(String incidentId) {
    return approvals.approvals(incidentId);
  }

  @Override
  public Approval.Outcome decideApproval(String incidentId, Approval.Decision decision, String via, String by,
      String comment, Instant at) {
    return approvals.decideApproval(incidentId, decision, via, by, comment, at);
  }

  // ---- ClusterGuardStore -----------------------------------------------------------------------
  @Override
  public Optional<Storm> noteClusterFailure(String cluster, Instant at, ClusterLimits.StormSettings settings) {
    return guards.noteClusterFailure(cluster, at, settings);
  }

  @Override
  public Optional<Storm> currentStorm(String cluster) {
    return guards.currentStorm(cluster);
  }

  @Override
  public Optional<Storm> latestStorm(String cluster) {
    return guards.latestStorm(cluster);
  }

  @Override
  public List<Storm> claimStormSummaries(String owner, Instant now, Duration lease, int limit) {
    return guards.claimStormSummaries(owner, now, lease, limit);
  }

  @Override
  public int releaseStormSummaryClaims(String ownerPrefix) {
    return guards.releaseStormSummaryClaims(ownerPrefix);
  }

  @Override
  public List<DeliveryClaim<Storm>> claimStormSummaryDeliveries(String owner, Instant now, Duration lease,
      int limit) {
    return guards.claimStormSummaryDeliveries(owner, now, lease, limit);
  }

  @Override
  public void retryStormSummaryAt(long stormId, Instant at) {
    guards.retryStormSummaryAt(stormId, at);
  }

  @Override
  public void markStormSummarySent(long stormId, Instant at) {
    guards.markStormSummarySent(stormId, at);
  }

  @Override
  public List<StormMember> stormMembers(Storm storm) {
    return guards.stormMembers(storm);
  }

  @Override
  public List<Storm> stormsAwaitingOver() {
    return guards.stormsAwaitingOver();
  }

  @Override
  public void markStormOver(long stormId, Instant at) {
    guards.markStormOver(stormId, at);
  }

  @Override
  public List<DeliveryClaim<Storm>> claimStormOverDeliveries(String owner, Instant now, Duration lease, int limit) {
    return guards.claimStormOverDeliveries(owner, now, lease, limit);
  }

  @Override
  public void retryStormOverAt(long stormId, Instant at) {
    guards.retryStormOverAt(stormId, at);
  }

  @Override
  public void markStormOverSent(long stormId, Instant at) {
    guards.markStormOverSent(stormId, at);
  }

  @Override
  public List<Storm> endStorms(Instant now) {
    return guards.endStorms(now);
  }

  @Override
  public Admission admit(String cluster, String incidentId, int attempt, int planned, ClusterLimits limits,
      Instant now) {
    return guards.admit(cluster, incidentId, attempt, planned, limits, now);
  }

  @Override
  public void recordAction(long reservationId, Instant at) {
    guards.recordAction(reservationId, at);
  }

  @Override
  public void releaseReservation(long reservationId, Instant at) {
    guards.releaseReservation(reservationId, at);
  }

  // ---- UnitsOfWork -----------------------------------------------------------------------------
  @Override
  public OpenOutcome openFromAlert(Opening opening) {
    return units.openFromAlert(opening);
  }

  @Override
  public OpenOutcome openOnRequest(Opening opening, AlertEvent request) {
    return units.openOnRequest(opening, request);
  }

  @Override
  public Optional<Incident> joinFromAlert(Joining joining) {
    return units.joinFromAlert(joining);
  }

  @Override
  public Optional<Incident> resolveFromAlert(Resolving resolving) {
    return units.resolveFromAlert(resolving);
  }

  @Override
  public Closure closeIncident(Closing closing) {
    return units.closeIncident(closing);
  }

  // ---- housekeeping ----------------------------------------------------------------------------

  /**
   * {@inheritDoc} It commits a one-row update, so it also proves the database accepts writes. On
   * PostgreSQL each round trip is bounded by the connection timeout, so a half-open connection to a
   * partitioned server fails the ping quickly instead of after the socket timeout.
   */
  @Override
  public void ping() {
    jdbc.execute("ping", c -> {
      jdbc.dialect().limitRoundTrips(c, pingTimeout);
      try (PreparedStatement ps = c.prepareStatement("UPDATE store_heartbeat SET beats = beats + 1 WHERE id = 1")) {
        if (ps.executeUpdate() != 1) {
          throw new SQLDataException("store_heartbeat row is missing");
        }
      }
    });
  }

  /** {@inheritDoc} Budgets are kept. Unprocessed alert events are kept whatever their age. */
  @Override
  public int prune(Instant before) {
    Objects.requireNonNull(before, "before");
    long beforeMs = before.toEpochMilli();
    return jdbc.write("prune", c -> {
      for (String table : INCIDENT_CHILDREN) {
        Jdbc.update(c, "DELETE FROM " + table + " WHERE incident_id IN (" + CLOSED_BEFORE + ")", beforeMs);
      }
      int incidents = Jdbc.update(c, "DELETE FROM incidents WHERE closed_at IS NOT NULL AND closed_at < ?", beforeMs);
      Jdbc.update(c, "DELETE FROM alert_events WHERE processed_at IS NOT NULL AND received_at < ?", beforeMs);
      Jdbc.update(c, "DELETE FROM cluster_storms WHERE ended_at IS NOT NULL AND ended_at < ?", beforeMs);
      return incidents;
    });
  }

  /** Closes the pool; later calls fail with {@link StoreException}. Idempotent. */
  @Override
  public void close() {
    jdbc.close();
  }

  @Override
  public String toString() {
    return "JdbcStore[" + jdbc.where() + "]";
  }

  @Override
  public void recordNotificationThread(io.runbookd.model.NotificationThread thread) {
    threads.recordNotificationThread(thread);
  }

  @Override
  public List<io.runbookd.model.NotificationThread> notificationThreads(String incidentId) {
    return threads.notificationThreads(incidentId);
  }

  @Override
  public List<DeliveryClaim<io.runbookd.model.NotificationThread>> claimFollowUps(String owner, Instant now,
      Duration lease, int limit) {
    return threads.claimFollowUps(owner, now, lease, limit);
  }

  @Override
  public void markFollowUpSent(String incidentId, String notifier, String dedupKey, String done, Instant at) {
    threads.markFollowUpSent(incidentId, notifier, dedupKey, done, at);
  }

  @Override
  public void retryFollowUpAt(String incidentId, String notifier, String dedupKey, Instant at) {
    threads.retryFollowUpAt(incidentId, notifier, dedupKey, at);
  }

  @Override
  public int releaseFollowUpClaims(String ownerPrefix) {
    return threads.releaseFollowUpClaims(ownerPrefix);
  }
}
