package io.runbookd.store;

import io.runbookd.model.IncidentQuery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.runbookd.policy.Admission;
import io.runbookd.model.AlertEvent;
import io.runbookd.model.Approval;
import io.runbookd.model.Budget;
import io.runbookd.policy.ClusterGuardPolicy;
import io.runbookd.model.ClusterLimits;
import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.IncidentState;
import io.runbookd.model.Reservation;
import io.runbookd.model.StepRun;
import io.runbookd.model.Wait;
import io.runbookd.model.Storm;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLDataException;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The {@link Store} on SQLite or PostgreSQL, over a HikariCP pool; the schema comes from the Flyway
 * migrations in {@code db/migration}. Built by {@link Stores#open}.
 *
 * <p>Each method runs in exactly one transaction on one pooled connection, and every
 * {@link SQLException} becomes a {@link StoreException} whose message starts with the method's name.
 * Only prepared statements are used. Instants are stored as epoch milliseconds, so they come back
 * truncated to the millisecond. A null argument where a value is required is a
 * {@link NullPointerException}, an invalid one an {@link IllegalArgumentException}; both are thrown
 * before anything is written.
 *
 * <p>Choices where {@link Store}'s Javadoc leaves room (the safer reading each time):
 * <ul>
 *   <li>Leases are held strictly before their expiry: a lease until {@code t} is free at {@code now >= t}.
 *   <li>An incident is open while {@code closedAt} is null. Incidents written must be consistent: state
 *       CLOSED exactly when {@code closedAt} is set, {@code nextAction} set exactly when
 *       {@code nextActionAt} is, {@code leaseOwner} set exactly when {@code leaseUntil} is.
 *   <li>{@link #updateIncident} with {@code expectedOwner == null} succeeds when the row has no live
 *       lease: no owner, or a lease that expired at or before the incident's {@code updatedAt} (the
 *       caller's now).
 *   <li>{@link #noteAlertResolved} treats an incident as leased while its lease is live at {@code at};
 *       it never schedules anything on a closed incident.
 *   <li>Escalations are only claimed (and only count for {@link #nextEscalationDue}) while their incident
 *       is open, so a closed incident never pages even if its escalations were not cancelled.
 *       {@link #nextEscalationDue} reports, for an escalation leased to a claimer, the lease expiry when
 *       that is later than its due time: the earliest instant {@link #claimDueEscalations} could return
 *       it, so a timer armed on it never spins.
 *   <li>Operations that name a row which does not exist ({@link #markAlertProcessed},
 *       {@link #updateIncident}, {@link #noteAlertResolved}, {@link #finishStep},
 *       {@link #markEscalationFired}, and the foreign keys of {@link #linkAlert}, {@link #addEvent},
 *       {@link #startStep}, {@link #scheduleEscalation}) throw {@link StoreException}.
 *   <li>{@link #markAlertProcessed} and {@link #markEscalationFired} keep the first outcome and time when
 *       repeated; {@link #linkAlert} never moves an alert's last status back to an older {@code at}.
 * </ul>
 */
final class JdbcStore implements Store {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};

  private static final String ALERT_COLUMNS =
      "id, received_at, fingerprint, status, starts_at, ends_at, labels, annotations, receiver, group_key";
  private static final String INCIDENT_COLUMNS =
      "id, cluster, connector, rule, state, outcome, attempts, cause, trace, opened_at, updated_at, closed_at,"
          + " next_action_at, next_action, alert_resolved_at, lease_owner, lease_until";
  /** The columns {@link #updateIncident} writes, in {@link #bindMutable} order. */
  private static final List<String> MUTABLE_COLUMNS = List.of("state", "outcome", "attempts", "cause", "trace",
      "updated_at", "closed_at", "next_action_at", "next_action", "alert_resolved_at", "lease_owner", "lease_until");
  private static final String STEP_COLUMNS =
      "id, incident_id, attempt, step_index, type, params, started_at, ended_at, outcome, error, before_state,"
          + " after_state";
  private static final String ESCALATION_COLUMNS =
      "incident_id, level, due_at, notifier, message, fired_at, cancelled_at";
  private static final String INCIDENT_IS_OPEN =
      "EXISTS (SELECT 1 FROM incidents i WHERE i.id = e.incident_id AND i.closed_at IS NULL)";
  private static final String PENDING_ESCALATION = "e.fired_at IS NULL AND e.cancelled_at IS NULL";
  private static final String CLOSED_BEFORE = "SELECT id FROM incidents WHERE closed_at IS NOT NULL AND closed_at < ?";
  private static final List<String> INCIDENT_CHILDREN =
      List.of("incident_alerts", "step_runs", "incident_events", "escalations", "approvals", "guard_reservations",
          "incident_waits");
  private static final String APPROVAL_COLUMNS =
      "incident_id, attempt, gate, requested_at, expires_at, default_decision, notifier, plan, reason, notified_at,"
          + " decision, decided_via, decided_by, decided_at, comment";
  private static final String STORM_COLUMNS =
      "id, cluster, started_at, last_failure_at, quiet_until, window_ms, notifier, summary_sent_at, ended_at";
  /** Connector names listed in a storm's sample. */
  static final int STORM_SAMPLE = 10;

  private final HikariDataSource pool;
  private final Dialect dialect;
  private final String where;
  private final Duration pingTimeout;

  /**
   * @param pool the connections; owned by this store and closed with it
   * @param dialect the database
   * @param where the database for messages, without secrets
   * @param pingTimeout the longest a {@link #ping()} round trip may take
   */
  JdbcStore(HikariDataSource pool, Dialect dialect, String where, Duration pingTimeout) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.where = Objects.requireNonNull(where, "where");
    this.pingTimeout = Objects.requireNonNull(pingTimeout, "pingTimeout");
  }

  // ---- intake ---------------------------------------------------------------------------------

  @Override
  public List<AlertEvent> recordAlerts(List<AlertEvent> events) {
    Objects.requireNonNull(events, "events");
    if (events.isEmpty()) {
      return List.of();
    }
    List<String[]> json = new ArrayList<>(events.size());
    for (AlertEvent e : events) {
      json.add(new String[] {toJson(e.labels()), toJson(e.annotations())});
    }
    return write("recordAlerts", c -> {
      List<AlertEvent> stored = new ArrayList<>(events.size());
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO alert_events (received_at, fingerprint, status, starts_at, ends_at, labels, annotations,"
              + " receiver, group_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING " + ALERT_COLUMNS)) {
        for (int i = 0; i < events.size(); i++) {
          AlertEvent e = events.get(i);
          setInstant(ps, 1, e.receivedAt());
          ps.setString(2, e.fingerprint());
          ps.setString(3, e.status());
          setInstant(ps, 4, e.startsAt());
          setInstant(ps, 5, e.endsAt());
          ps.setString(6, json.get(i)[0]);
          ps.setString(7, json.get(i)[1]);
          setString(ps, 8, e.receiver());
          setString(ps, 9, e.groupKey());
          try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
              throw new SQLException("insert returned no row");
            }
            stored.add(alert(rs));
          }
        }
      }
      return Collections.unmodifiableList(stored);
    });
  }

  @Override
  public List<AlertEvent> claimAlerts(String owner, Instant now, Duration lease, int limit) {
    return claim("claimAlerts", owner, now, lease, limit,
        "UPDATE alert_events SET claimed_by = ?, claimed_until = ? WHERE id IN ("
            + "SELECT id FROM alert_events WHERE processed_at IS NULL"
            + " AND (claimed_until IS NULL OR claimed_until <= ?)"
            + " ORDER BY id LIMIT ?" + dialect.claimLock() + ") RETURNING " + ALERT_COLUMNS,
        1, JdbcStore::alert, Comparator.comparingLong(AlertEvent::id));
  }

  @Override
  public void markAlertProcessed(long eventId, Instant at, String outcome, String incidentId) {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(outcome, "outcome");
    write("markAlertProcessed", c -> {
      int n;
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE alert_events SET processed_at = ?, outcome = ?, incident_id = ?, claimed_by = NULL,"
              + " claimed_until = NULL WHERE id = ? AND processed_at IS NULL")) {
        ps.setLong(1, at.toEpochMilli());
        ps.setString(2, outcome);
        setString(ps, 3, incidentId);
        ps.setLong(4, eventId);
        n = ps.executeUpdate();
      }
      if (n == 0) {
        requireRow(c, "SELECT 1 FROM alert_events WHERE id = ?", eventId, "no alert event " + eventId);
      }
      return null;
    });
  }

  // ---- incidents ------------------------------------------------------------------------------

  @Override
  public Optional<Incident> openIncident(Incident incident, List<Escalation> escalations, IncidentEvent opened) {
    Objects.requireNonNull(incident, "incident");
    Objects.requireNonNull(escalations, "escalations");
    requireEvent(opened);
    requireConsistent(incident);
    if (!incident.state().isOpen()) {
      throw new IllegalArgumentException(incident.context() + ": openIncident needs an open incident, got "
          + incident.state());
    }
    for (Escalation e : escalations) {
      if (!e.incidentId().equals(incident.id())) {
        throw new IllegalArgumentException(incident.context() + ": escalation level " + e.level()
            + " belongs to incident " + e.incidentId());
      }
    }
    return write("openIncident", c -> {
      int n;
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO incidents (id, cluster, connector, rule, opened_at, " + String.join(", ", MUTABLE_COLUMNS)
              + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
              + " ON CONFLICT (cluster, connector) WHERE closed_at IS NULL DO NOTHING")) {
        ps.setString(1, incident.id());
        ps.setString(2, incident.cluster());
        ps.setString(3, incident.connector());
        ps.setString(4, incident.rule());
        ps.setLong(5, incident.openedAt().toEpochMilli());
        bindMutable(ps, 6, incident);
        n = ps.executeUpdate();
      }
      if (n == 0) {
        return Optional.<Incident>empty();
      }
      insertEvent(c, incident.id(), opened);
      for (Escalation e : escalations) {
        insertEscalation(c, e);
      }
      return selectIncident(c, "SELECT " + INCIDENT_COLUMNS + " FROM incidents WHERE id = ?", incident.id());
    });
  }

  @Override
  public Optional<Incident> findOpen(String cluster, String connector) {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(connector, "connector");
    return read("findOpen", c -> selectIncident(c,
        "SELECT " + INCIDENT_COLUMNS + " FROM incidents WHERE cluster = ? AND connector = ? AND closed_at IS NULL",
        cluster, connector));
  }

  /** {@inheritDoc} If several open incidents have it, the most recently opened. */
  @Override
  public Optional<Incident> findOpenByFingerprint(String fingerprint) {
    Objects.requireNonNull(fingerprint, "fingerprint");
    return read("findOpenByFingerprint", c -> selectIncident(c,
        "SELECT " + prefixed("i.", INCIDENT_COLUMNS) + " FROM incidents i"
            + " JOIN incident_alerts a ON a.incident_id = i.id"
            + " WHERE a.fingerprint = ? AND i.closed_at IS NULL ORDER BY i.opened_at DESC, i.id DESC LIMIT 1",
        fingerprint));
  }

  @Override
  public boolean renewLease(String incidentId, String owner, Instant until) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(until, "until");
    return write("renewLease", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE incidents SET lease_until = ? WHERE id = ? AND lease_owner = ? AND closed_at IS NULL")) {
        ps.setLong(1, until.toEpochMilli());
        ps.setString(2, incidentId);
        ps.setString(3, owner);
        return ps.executeUpdate() == 1;
      }
    });
  }

  @Override
  public Optional<AlertEvent> lastAlert(String incidentId) {
    Objects.requireNonNull(incidentId, "incidentId");
    return read("lastAlert", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT " + ALERT_COLUMNS + " FROM alert_events WHERE incident_id = ? ORDER BY id DESC LIMIT 1")) {
        ps.setString(1, incidentId);
        return list(ps, JdbcStore::alert).stream().findFirst();
      }
    });
  }

  @Override
  public Optional<Incident> get(String incidentId) {
    Objects.requireNonNull(incidentId, "incidentId");
    return read("get", c -> selectIncident(c,
        "SELECT " + INCIDENT_COLUMNS + " FROM incidents WHERE id = ?", incidentId));
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException when {@code limit} is outside 1..1000 or {@code offset} is negative
   */
  @Override
  public List<Incident> list(IncidentQuery query) {
    Objects.requireNonNull(query, "query");
    if (query.limit() < 1 || query.limit() > 1000) {
      throw new IllegalArgumentException("incident query limit must be 1..1000, got " + query.limit());
    }
    if (query.offset() < 0) {
      throw new IllegalArgumentException("incident query offset must be >= 0, got " + query.offset());
    }
    StringBuilder sql = new StringBuilder("SELECT " + INCIDENT_COLUMNS + " FROM incidents WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    if (query.state() != null) {
      sql.append(" AND state = ?");
      params.add(query.state().name());
    }
    if (query.open() != null) {
      sql.append(query.open() ? " AND closed_at IS NULL" : " AND closed_at IS NOT NULL");
    }
    if (query.cluster() != null) {
      sql.append(" AND cluster = ?");
      params.add(query.cluster());
    }
    if (query.connector() != null) {
      sql.append(" AND connector = ?");
      params.add(query.connector());
    }
    if (query.rule() != null) {
      sql.append(" AND rule = ?");
      params.add(query.rule());
    }
    if (query.since() != null) {
      sql.append(" AND opened_at >= ?");
      params.add(query.since().toEpochMilli());
    }
    sql.append(" ORDER BY opened_at DESC, id DESC LIMIT ? OFFSET ?");
    params.add(query.limit());
    params.add(query.offset());
    return read("list", c -> {
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < params.size(); i++) {
          Object p = params.get(i);
          if (p instanceof String s) {
            ps.setString(i + 1, s);
          } else if (p instanceof Long l) {
            ps.setLong(i + 1, l);
          } else {
            ps.setInt(i + 1, (Integer) p);
          }
        }
        return Collections.unmodifiableList(list(ps, JdbcStore::incident));
      }
    });
  }

  /** {@inheritDoc} Sorted by rule name; rules with no open incident are absent. */
  @Override
  public Map<String, Integer> countOpenByRule() {
    return read("countOpenByRule", c -> {
      Map<String, Integer> counts = new TreeMap<>();
      try (PreparedStatement ps = c.prepareStatement(
              "SELECT rule, COUNT(*) FROM incidents WHERE closed_at IS NULL GROUP BY rule");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          counts.put(rs.getString(1), rs.getInt(2));
        }
      }
      return Collections.unmodifiableMap(counts);
    });
  }

  /**
   * {@inheritDoc} A link whose last time is later than {@code at} is left as it is, so an alert delivered
   * late cannot overwrite a newer status.
   */
  @Override
  public void linkAlert(String incidentId, String fingerprint, String alertname, String status, Instant at) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(alertname, "alertname");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(at, "at");
    write("linkAlert", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO incident_alerts (incident_id, fingerprint, alertname, status, first_seen_at, last_seen_at)"
              + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id, fingerprint) DO UPDATE SET"
              + " alertname = excluded.alertname, status = excluded.status, last_seen_at = excluded.last_seen_at"
              + " WHERE incident_alerts.last_seen_at <= excluded.last_seen_at")) {
        ps.setString(1, incidentId);
        ps.setString(2, fingerprint);
        ps.setString(3, alertname);
        ps.setString(4, status);
        ps.setLong(5, at.toEpochMilli());
        ps.setLong(6, at.toEpochMilli());
        ps.executeUpdate();
      }
      return null;
    });
  }

  /** {@inheritDoc} The claim does not change {@code updatedAt}; ties on {@code nextActionAt} go by id. */
  @Override
  public List<Incident> claimDueIncidents(String owner, Instant now, Duration lease, int limit) {
    return claim("claimDueIncidents", owner, now, lease, limit,
        "UPDATE incidents SET lease_owner = ?, lease_until = ? WHERE id IN ("
            + "SELECT id FROM incidents WHERE closed_at IS NULL"
            + " AND next_action_at IS NOT NULL AND next_action_at <= ?"
            + " AND (lease_until IS NULL OR lease_until <= ?)"
            + " ORDER BY next_action_at, id LIMIT ?" + dialect.claimLock() + ") RETURNING " + INCIDENT_COLUMNS,
        2, JdbcStore::incident, Comparator.comparing(Incident::nextActionAt).thenComparing(Incident::id));
  }

  /**
   * {@inheritDoc}
   *
   * <p>With {@code expectedOwner == null} the row must hold no live lease: no lease owner, or a lease that
   * ended at or before {@code incident.updatedAt()}, which is taken as the caller's now.
   *
   * @throws IllegalArgumentException when the incident is inconsistent (see the class Javadoc)
   * @throws StoreException when no incident has this id
   */
  @Override
  public boolean updateIncident(Incident incident, String expectedOwner) {
    Objects.requireNonNull(incident, "incident");
    requireConsistent(incident);
    String set = "UPDATE incidents SET " + String.join(" = ?, ", MUTABLE_COLUMNS) + " = ? WHERE id = ?";
    return write("updateIncident", c -> {
      int n;
      try (PreparedStatement ps = c.prepareStatement(set + (expectedOwner == null
          ? " AND (lease_owner IS NULL OR lease_until <= ?)"
          : " AND lease_owner = ?"))) {
        int i = bindMutable(ps, 1, incident);
        ps.setString(i++, incident.id());
        if (expectedOwner == null) {
          ps.setLong(i, incident.updatedAt().toEpochMilli());
        } else {
          ps.setString(i, expectedOwner);
        }
        n = ps.executeUpdate();
      }
      if (n == 0) {
        requireRow(c, "SELECT 1 FROM incidents WHERE id = ?", incident.id(), "no incident " + incident.id());
      }
      return n == 1;
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>Like {@link #updateIncident} with an owner, but {@code alert_resolved_at} is never written: a
   * resolve noted meanwhile by {@link #noteAlertResolved} is kept.
   */
  @Override
  public boolean saveProgress(Incident incident, String expectedOwner, Wait wait) {
    Objects.requireNonNull(incident, "incident");
    Objects.requireNonNull(expectedOwner, "expectedOwner");
    requireConsistent(incident);
    List<String> columns = MUTABLE_COLUMNS.stream().filter(col -> !col.equals("alert_resolved_at")).toList();
    String set = "UPDATE incidents SET " + String.join(" = ?, ", columns) + " = ? WHERE id = ? AND lease_owner = ?";
    return write("saveProgress", c -> {
      int n;
      try (PreparedStatement ps = c.prepareStatement(set)) {
        int i = 1;
        ps.setString(i++, incident.state().name());
        setString(ps, i++, incident.outcome());
        ps.setInt(i++, incident.attempts());
        setString(ps, i++, incident.cause());
        setString(ps, i++, incident.trace());
        setInstant(ps, i++, incident.updatedAt());
        setInstant(ps, i++, incident.closedAt());
        setInstant(ps, i++, incident.nextActionAt());
        setString(ps, i++, incident.nextAction());
        setString(ps, i++, incident.leaseOwner());
        setInstant(ps, i++, incident.leaseUntil());
        ps.setString(i++, incident.id());
        ps.setString(i, expectedOwner);
        n = ps.executeUpdate();
      }
      if (n == 0) {
        requireRow(c, "SELECT 1 FROM incidents WHERE id = ?", incident.id(), "no incident " + incident.id());
        return false;
      }
      WaitRows.replace(c, incident.id(), wait);
      return true;
    });
  }

  @Override
  public Optional<Wait> storedWait(String incidentId) {
    Objects.requireNonNull(incidentId, "incidentId");
    return read("storedWait", c -> WaitRows.select(c, incidentId));
  }

  /**
   * {@inheritDoc}
   *
   * <p>"Not leased" means no live lease at {@code at}. Nothing is scheduled on a closed incident. An
   * action at or before {@code verifyAt} is kept; a later one is replaced by the verification.
   *
   * @throws StoreException when no incident has this id
   */
  @Override
  public void noteAlertResolved(String incidentId, Instant at, Instant verifyAt) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(at, "at");
    long atMs = at.toEpochMilli();
    write("noteAlertResolved", c -> {
      int n;
      if (verifyAt == null) {
        try (PreparedStatement ps = c.prepareStatement("UPDATE incidents SET alert_resolved_at = ? WHERE id = ?")) {
          ps.setLong(1, atMs);
          ps.setString(2, incidentId);
          n = ps.executeUpdate();
        }
      } else {
        String schedule = "closed_at IS NULL AND (lease_owner IS NULL OR lease_until <= ?)"
            + " AND (next_action_at IS NULL OR next_action_at > ?)";
        long verifyMs = verifyAt.toEpochMilli();
        try (PreparedStatement ps = c.prepareStatement("UPDATE incidents SET alert_resolved_at = ?,"
            + " next_action = CASE WHEN " + schedule + " THEN ? ELSE next_action END,"
            + " next_action_at = CASE WHEN " + schedule + " THEN ? ELSE next_action_at END"
            + " WHERE id = ?")) {
          ps.setLong(1, atMs);
          ps.setLong(2, atMs);
          ps.setLong(3, verifyMs);
          ps.setString(4, Incident.VERIFY);
          ps.setLong(5, atMs);
          ps.setLong(6, verifyMs);
          ps.setLong(7, verifyMs);
          ps.setString(8, incidentId);
          n = ps.executeUpdate();
        }
      }
      if (n == 0) {
        throw new SQLDataException("no incident " + incidentId);
      }
      return null;
    });
  }

  @Override
  public void addEvent(String incidentId, IncidentEvent event) {
    Objects.requireNonNull(incidentId, "incidentId");
    requireEvent(event);
    write("addEvent", c -> {
      insertEvent(c, incidentId, event);
      return null;
    });
  }

  /** {@inheritDoc} Ties on time go by insertion order. */
  @Override
  public List<IncidentEvent> events(String incidentId) {
    Objects.requireNonNull(incidentId, "incidentId");
    return read("events", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT event_at, kind, message FROM incident_events WHERE incident_id = ? ORDER BY event_at, id")) {
        ps.setString(1, incidentId);
        return Collections.unmodifiableList(
            list(ps, rs -> new IncidentEvent(instant(rs, 1), rs.getString(2), rs.getString(3))));
      }
    });
  }

  // ---- steps ----------------------------------------------------------------------------------

  /** {@inheritDoc} The stored step keeps {@code endedAt}, {@code outcome} etc. as given. */
  @Override
  public Optional<StepRun> startStep(StepRun step) {
    Objects.requireNonNull(step, "step");
    return write("startStep", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO step_runs (incident_id, attempt, step_index, idempotency_key, type, params, started_at,"
              + " ended_at, outcome, error, before_state, after_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
              + " ON CONFLICT (idempotency_key) DO NOTHING RETURNING " + STEP_COLUMNS)) {
        ps.setString(1, step.incidentId());
        ps.setInt(2, step.attempt());
        ps.setInt(3, step.index());
        ps.setString(4, step.idempotencyKey());
        ps.setString(5, step.type());
        setString(ps, 6, step.params());
        setInstant(ps, 7, step.startedAt());
        setInstant(ps, 8, step.endedAt());
        setString(ps, 9, step.outcome());
        setString(ps, 10, step.error());
        setString(ps, 11, step.before());
        setString(ps, 12, step.after());
        List<StepRun> rows = list(ps, JdbcStore::step);
        return rows.isEmpty() ? Optional.<StepRun>empty() : Optional.of(rows.get(0));
      }
    });
  }

  /**
   * {@inheritDoc} Repeating it overwrites the end (a retried call is harmless).
   *
   * @throws StoreException when no step has this id
   */
  @Override
  public void finishStep(long stepId, Instant endedAt, String outcome, String error, String after) {
    Objects.requireNonNull(endedAt, "endedAt");
    Objects.requireNonNull(outcome, "outcome");
    write("finishStep", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE step_runs SET ended_at = ?, outcome = ?, error = ?, after_state = ? WHERE id = ?")) {
        ps.setLong(1, endedAt.toEpochMilli());
        ps.setString(2, outcome);
        setString(ps, 3, error);
        setString(ps, 4, after);
        ps.setLong(5, stepId);
        if (ps.executeUpdate() == 0) {
          throw new SQLDataException("no step run " + stepId);
        }
      }
      return null;
    });
  }

  @Override
  public List<StepRun> steps(String incidentId) {
    Objects.requireNonNull(incidentId, "incidentId");
    return read("steps", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT " + STEP_COLUMNS + " FROM step_runs WHERE incident_id = ? ORDER BY started_at, id")) {
        ps.setString(1, incidentId);
        return Collections.unmodifiableList(list(ps, JdbcStore::step));
      }
    });
  }

  // ---- budgets --------------------------------------------------------------------------------

  @Override
  public Budget budget(String cluster, String connector, String rule) {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(connector, "connector");
    Objects.requireNonNull(rule, "rule");
    return read("budget", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT attempts, last_attempt_at, last_recovered_at FROM budgets"
              + " WHERE cluster = ? AND connector = ? AND rule = ?")) {
        ps.setString(1, cluster);
        ps.setString(2, connector);
        ps.setString(3, rule);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Budget.empty(cluster, connector, rule);
          }
          return new Budget(cluster, connector, rule, rs.getInt(1), instant(rs, 2), instant(rs, 3));
        }
      }
    });
  }

  @Override
  public void saveBudget(Budget budget) {
    Objects.requireNonNull(budget, "budget");
    write("saveBudget", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO budgets (cluster, connector, rule, attempts, last_attempt_at, last_recovered_at)"
              + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (cluster, connector, rule) DO UPDATE SET"
              + " attempts = excluded.attempts, last_attempt_at = excluded.last_attempt_at,"
              + " last_recovered_at = excluded.last_recovered_at")) {
        ps.setString(1, budget.cluster());
        ps.setString(2, budget.connector());
        ps.setString(3, budget.rule());
        ps.setInt(4, budget.attempts());
        setInstant(ps, 5, budget.lastAttemptAt());
        setInstant(ps, 6, budget.lastRecoveredAt());
        ps.executeUpdate();
      }
      return null;
    });
  }

  // ---- escalations ----------------------------------------------------------------------------

  /** {@inheritDoc} The first timer stored for (incident, level) wins. */
  @Override
  public void scheduleEscalation(Escalation escalation) {
    Objects.requireNonNull(escalation, "escalation");
    write("scheduleEscalation", c -> {
      insertEscalation(c, escalation);
      return null;
    });
  }

  /** {@inheritDoc} Only escalations of open incidents are claimed; ordered by due time. */
  @Override
  public List<Escalation> claimDueEscalations(String owner, Instant now, Duration lease, int limit) {
    return claim("claimDueEscalations", owner, now, lease, limit,
        "UPDATE escalations SET claimed_by = ?, claimed_until = ? WHERE (incident_id, level) IN ("
            + "SELECT e.incident_id, e.level FROM escalations e WHERE " + PENDING_ESCALATION
            + " AND e.due_at <= ? AND (e.claimed_until IS NULL OR e.claimed_until <= ?) AND " + INCIDENT_IS_OPEN
            + " ORDER BY e.due_at, e.incident_id, e.level LIMIT ?" + dialect.claimLock() + ")"
            + " RETURNING " + ESCALATION_COLUMNS,
        2, JdbcStore::escalation,
        Comparator.comparing(Escalation::dueAt).thenComparing(Escalation::incidentId).thenComparingInt(Escalation::level));
  }

  /**
   * {@inheritDoc} Repeating it keeps the first delivery time.
   *
   * @throws StoreException when the escalation does not exist
   */
  @Override
  public void markEscalationFired(String incidentId, int level, Instant at) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(at, "at");
    write("markEscalationFired", c -> {
      int n;
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE escalations SET fired_at = ? WHERE incident_id = ? AND level = ? AND fired_at IS NULL")) {
        ps.setLong(1, at.toEpochMilli());
        ps.setString(2, incidentId);
        ps.setInt(3, level);
        n = ps.executeUpdate();
      }
      if (n == 0) {
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT 1 FROM escalations WHERE incident_id = ? AND level = ?")) {
          ps.setString(1, incidentId);
          ps.setInt(2, level);
          try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
              throw new SQLDataException("no escalation " + incidentId + " level " + level);
            }
          }
        }
      }
      return null;
    });
  }

  /** {@inheritDoc} Escalations already cancelled keep their first cancellation time. */
  @Override
  public void cancelEscalations(String incidentId, Instant at) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(at, "at");
    write("cancelEscalations", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE escalations SET cancelled_at = ? WHERE incident_id = ? AND fired_at IS NULL AND cancelled_at IS NULL")) {
        ps.setLong(1, at.toEpochMilli());
        ps.setString(2, incidentId);
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public List<Escalation> escalations(String incidentId) {
    Objects.requireNonNull(incidentId, "incidentId");
    return read("escalations", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT " + ESCALATION_COLUMNS + " FROM escalations WHERE incident_id = ? ORDER BY level")) {
        ps.setString(1, incidentId);
        return Collections.unmodifiableList(list(ps, JdbcStore::escalation));
      }
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>Precisely: the earliest instant at which {@link #claimDueEscalations} could return a pending
   * escalation of an open incident. That is its due time, or, while a claimer's lease on it runs past the
   * due time, the lease expiry (the claimer is delivering it; it becomes claimable again only if the
   * claimer dies). The result may lie in the past: the escalation is due now.
   */
  @Override
  public Optional<Instant> nextEscalationDue() {
    return read("nextEscalationDue", c -> {
      try (PreparedStatement ps = c.prepareStatement(
              "SELECT MIN(CASE WHEN e.claimed_until IS NOT NULL AND e.claimed_until > e.due_at"
                  + " THEN e.claimed_until ELSE e.due_at END) FROM escalations e WHERE " + PENDING_ESCALATION
                  + " AND " + INCIDENT_IS_OPEN);
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return Optional.ofNullable(instant(rs, 1));
      }
    });
  }

  /** {@inheritDoc} */
  @Override
  public void deferEscalation(String incidentId, int level, Instant dueAt) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(dueAt, "dueAt");
    write("deferEscalation", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE escalations SET due_at = ?, claimed_by = NULL, claimed_until = NULL"
              + " WHERE incident_id = ? AND level = ? AND fired_at IS NULL AND cancelled_at IS NULL")) {
        ps.setLong(1, dueAt.toEpochMilli());
        ps.setString(2, incidentId);
        ps.setInt(3, level);
        ps.executeUpdate();
      }
      return null;
    });
  }

  // ---- approvals ------------------------------------------------------------------------------

  @Override
  public Approval requestApproval(Approval request) {
    Objects.requireNonNull(request, "request");
    if (!request.pending()) {
      throw new IllegalArgumentException("requestApproval needs a pending approval, got " + request.state());
    }
    return write("requestApproval", c -> {
      Optional<Approval> existing = selectApproval(c, request.incidentId(), request.attempt(), request.gate());
      if (existing.isPresent()) {
        return existing.get();
      }
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO approvals (" + APPROVAL_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, request.incidentId());
        ps.setInt(2, request.attempt());
        ps.setInt(3, request.gate());
        ps.setLong(4, request.requestedAt().toEpochMilli());
        ps.setLong(5, request.expiresAt().toEpochMilli());
        ps.setString(6, request.defaultApprove() ? "approved" : "rejected");
        ps.setString(7, request.notifier());
        ps.setString(8, request.plan());
        ps.setString(9, request.reason());
        setInstant(ps, 10, request.notifiedAt());
        ps.setNull(11, Types.VARCHAR);
        ps.setNull(12, Types.VARCHAR);
        ps.setNull(13, Types.VARCHAR);
        ps.setNull(14, Types.BIGINT);
        ps.setNull(15, Types.VARCHAR);
        ps.executeUpdate();
      }
      return selectApproval(c, request.incidentId(), request.attempt(), request.gate()).orElseThrow();
    });
  }

  @Override
  public void markApprovalNotified(String incidentId, int attempt, int gate, Instant at) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(at, "at");
    write("markApprovalNotified", c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE approvals SET notified_at = ?"
          + " WHERE incident_id = ? AND attempt = ? AND gate = ? AND notified_at IS NULL")) {
        ps.setLong(1, at.toEpochMilli());
        ps.setString(2, incidentId);
        ps.setInt(3, attempt);
        ps.setInt(4, gate);
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public List<Approval> approvals(String incidentId) {
    Objects.requireNonNull(incidentId, "incidentId");
    return read("approvals", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + APPROVAL_COLUMNS
          + " FROM approvals WHERE incident_id = ? ORDER BY requested_at, attempt, gate")) {
        ps.setString(1, incidentId);
        return Collections.unmodifiableList(list(ps, JdbcStore::approval));
      }
    });
  }

  @Override
  public Approval.Outcome decideApproval(String incidentId, Approval.Decision decision, String via, String by,
      String comment, Instant at) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(decision, "decision");
    Objects.requireNonNull(via, "via");
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(at, "at");
    if (!List.of("human", "ttl", "runbookd").contains(via)) {
      throw new IllegalArgumentException("via must be human, ttl or runbookd, got " + via);
    }
    long atMs = at.toEpochMilli();
    return write("decideApproval", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM incidents WHERE id = ?")) {
        ps.setString(1, incidentId);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return new Approval.Outcome(Approval.Outcome.Status.NO_INCIDENT, null);
          }
        }
      }
      Optional<Approval> pending;
      try (PreparedStatement ps = c.prepareStatement("SELECT " + APPROVAL_COLUMNS
          + " FROM approvals WHERE incident_id = ? AND decision IS NULL")) {
        ps.setString(1, incidentId);
        pending = list(ps, JdbcStore::approval).stream().findFirst();
      }
      if (pending.isEmpty()) {
        return new Approval.Outcome(Approval.Outcome.Status.NOT_PENDING, latestApproval(c, incidentId).orElse(null));
      }
      Approval p = pending.get();
      if (via.equals("human") && !at.isBefore(p.expiresAt())) {
        return new Approval.Outcome(Approval.Outcome.Status.EXPIRED, p);
      }
      if (via.equals("ttl") && at.isBefore(p.expiresAt())) {
        return new Approval.Outcome(Approval.Outcome.Status.NOT_EXPIRED, p);
      }
      int n;
      try (PreparedStatement ps = c.prepareStatement("UPDATE approvals SET decision = ?, decided_via = ?,"
          + " decided_by = ?, decided_at = ?, comment = ? WHERE incident_id = ? AND attempt = ? AND gate = ?"
          + " AND decision IS NULL")) {
        ps.setString(1, decision.label());
        ps.setString(2, via);
        ps.setString(3, by);
        ps.setLong(4, atMs);
        setString(ps, 5, comment);
        ps.setString(6, incidentId);
        ps.setInt(7, p.attempt());
        ps.setInt(8, p.gate());
        n = ps.executeUpdate();
      }
      if (n == 0) {
        // decided concurrently (another transaction got the row lock first): its decision stands
        return new Approval.Outcome(Approval.Outcome.Status.NOT_PENDING, latestApproval(c, incidentId).orElse(null));
      }
      if (!via.equals("runbookd")) {
        try (PreparedStatement ps = c.prepareStatement("UPDATE incidents SET next_action = ?, next_action_at = ?,"
            + " updated_at = ? WHERE id = ? AND state = ? AND closed_at IS NULL")) {
          ps.setString(1, io.runbookd.model.Incident.APPROVAL);
          ps.setLong(2, atMs);
          ps.setLong(3, atMs);
          ps.setString(4, incidentId);
          ps.setString(5, IncidentState.AWAITING_APPROVAL.name());
          ps.executeUpdate();
        }
      }
      return new Approval.Outcome(Approval.Outcome.Status.DECIDED,
          selectApproval(c, incidentId, p.attempt(), p.gate()).orElseThrow());
    });
  }

  private Optional<Approval> selectApproval(Connection c, String incidentId, int attempt, int gate) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + APPROVAL_COLUMNS
        + " FROM approvals WHERE incident_id = ? AND attempt = ? AND gate = ?")) {
      ps.setString(1, incidentId);
      ps.setInt(2, attempt);
      ps.setInt(3, gate);
      return list(ps, JdbcStore::approval).stream().findFirst();
    }
  }

  private Optional<Approval> latestApproval(Connection c, String incidentId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + APPROVAL_COLUMNS
        + " FROM approvals WHERE incident_id = ? ORDER BY requested_at DESC, attempt DESC, gate DESC LIMIT 1")) {
      ps.setString(1, incidentId);
      return list(ps, JdbcStore::approval).stream().findFirst();
    }
  }

  // ---- cluster guards -------------------------------------------------------------------------

  /** {@inheritDoc} A storm that would start while another is being ended by a concurrent call is re-evaluated. */
  @Override
  public Optional<Storm> noteClusterFailure(String cluster, Instant at, ClusterLimits.StormSettings settings) {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(settings, "settings");
    return write("noteClusterFailure", c -> {
      lockCluster(c, cluster);
      Optional<Storm> current = selectCurrentStorm(c, cluster);
      if (current.isPresent() && !current.get().activeAt(at)) {
        endStorm(c, current.get().id());
        current = Optional.empty();
      }
      int failing;
      try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(DISTINCT connector) FROM incidents"
          + " WHERE cluster = ? AND opened_at > ? AND opened_at <= ?")) {
        ps.setString(1, cluster);
        ps.setLong(2, at.minus(settings.window()).toEpochMilli());
        ps.setLong(3, at.toEpochMilli());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          failing = rs.getInt(1);
        }
      }
      switch (ClusterGuardPolicy.onFailure(settings, current, failing, at)) {
        case EXTEND -> {
          Storm s = current.orElseThrow();
          try (PreparedStatement ps = c.prepareStatement("UPDATE cluster_storms SET last_failure_at = ?,"
              + " quiet_until = ? WHERE id = ? AND last_failure_at <= ?")) {
            ps.setLong(1, at.toEpochMilli());
            ps.setLong(2, ClusterGuardPolicy.quietUntil(s.window(), at).toEpochMilli());
            ps.setLong(3, s.id());
            ps.setLong(4, at.toEpochMilli());
            ps.executeUpdate();
          }
          return Optional.<Storm>empty();
        }
        case START -> {
          long id;
          try (PreparedStatement ps = c.prepareStatement("INSERT INTO cluster_storms (cluster, started_at,"
              + " last_failure_at, quiet_until, window_ms, notifier) VALUES (?, ?, ?, ?, ?, ?) RETURNING id")) {
            ps.setString(1, cluster);
            ps.setLong(2, at.toEpochMilli());
            ps.setLong(3, at.toEpochMilli());
            ps.setLong(4, ClusterGuardPolicy.quietUntil(settings.window(), at).toEpochMilli());
            ps.setLong(5, settings.window().toMillis());
            setString(ps, 6, settings.notifier());
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              id = rs.getLong(1);
            }
          }
          return selectStorms(c, "SELECT " + STORM_COLUMNS + " FROM cluster_storms WHERE id = ?", id).stream()
              .findFirst();
        }
        default -> {
          return Optional.<Storm>empty();
        }
      }
    });
  }

  @Override
  public Optional<Storm> currentStorm(String cluster) {
    Objects.requireNonNull(cluster, "cluster");
    return read("currentStorm", c -> selectCurrentStorm(c, cluster));
  }

  @Override
  public List<Storm> claimStormSummaries(String owner, Instant now, Duration lease, int limit) {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(now, "now");
    requireLease(lease);
    if (limit <= 0) {
      return List.of();
    }
    return write("claimStormSummaries", c -> {
      List<Long> ids = claimRows(c, "UPDATE cluster_storms SET claimed_by = ?, claimed_until = ?"
          + " WHERE id IN (SELECT id FROM cluster_storms WHERE summary_sent_at IS NULL AND notifier IS NOT NULL"
          + " AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY started_at, id LIMIT ?" + dialect.claimLock()
          + ") RETURNING id", owner, now, lease, 1, limit, rs -> rs.getLong(1));
      List<Storm> out = new ArrayList<>();
      for (long id : ids) {
        out.addAll(selectStorms(c, "SELECT " + STORM_COLUMNS + " FROM cluster_storms WHERE id = ?", id));
      }
      out.sort(Comparator.comparing(Storm::startedAt).thenComparingLong(Storm::id));
      return Collections.unmodifiableList(out);
    });
  }

  @Override
  public void markStormSummarySent(long stormId, Instant at) {
    Objects.requireNonNull(at, "at");
    write("markStormSummarySent", c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE cluster_storms SET summary_sent_at = ?,"
          + " claimed_by = NULL, claimed_until = NULL WHERE id = ? AND summary_sent_at IS NULL")) {
        ps.setLong(1, at.toEpochMilli());
        ps.setLong(2, stormId);
        ps.executeUpdate();
      }
      return null;
    });
  }

  /** {@inheritDoc} A storm's end time is its {@code quietUntil}. */
  @Override
  public List<Storm> endStorms(Instant now) {
    Objects.requireNonNull(now, "now");
    return write("endStorms", c -> {
      List<Storm> over = selectStorms(c, "SELECT " + STORM_COLUMNS + " FROM cluster_storms WHERE ended_at IS NULL"
          + " AND quiet_until <= ? ORDER BY started_at, id", now.toEpochMilli());
      List<Storm> ended = new ArrayList<>();
      for (Storm s : over) {
        endStorm(c, s.id());
        ended.add(new Storm(s.id(), s.cluster(), s.startedAt(), s.lastFailureAt(), s.quietUntil(), s.window(),
            s.notifier(), s.summarySentAt(), s.quietUntil(), s.connectors(), s.sample()));
      }
      return Collections.unmodifiableList(ended);
    });
  }

  @Override
  public Admission admit(String cluster, String incidentId, int attempt, int planned, ClusterLimits limits,
      Instant now) {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(now, "now");
    long nowMs = now.toEpochMilli();
    return write("admit", c -> {
      lockCluster(c, cluster);
      // A reservation whose incident is no longer leased by anyone is held by nobody: release it.
      try (PreparedStatement ps = c.prepareStatement("UPDATE guard_reservations SET released_at = ?"
          + " WHERE cluster = ? AND released_at IS NULL AND NOT EXISTS (SELECT 1 FROM incidents i"
          + " WHERE i.id = guard_reservations.incident_id AND i.lease_until > ?)"
          + " AND NOT " + WaitRows.heldByWait("guard_reservations.id"))) {
        ps.setLong(1, nowMs);
        ps.setString(2, cluster);
        ps.setLong(3, nowMs);
        ps.executeUpdate();
      }
      Optional<Storm> storm = selectCurrentStorm(c, cluster);
      List<Reservation> reservations;
      try (PreparedStatement ps = c.prepareStatement("SELECT g.id, g.incident_id, g.planned, g.used, g.reserved_at,"
          + " g.last_acted_at, g.released_at, CASE WHEN i.lease_until > ? OR " + WaitRows.heldByWait("g.id")
          + " THEN 1 ELSE 0 END"
          + " FROM guard_reservations g LEFT JOIN incidents i ON i.id = g.incident_id"
          + " WHERE g.cluster = ? AND (g.released_at IS NULL OR g.last_acted_at > ?) ORDER BY g.id")) {
        ps.setLong(1, nowMs);
        ps.setString(2, cluster);
        ps.setLong(3, now.minus(limits.actionWindow()).toEpochMilli());
        reservations = list(ps, rs -> new Reservation(rs.getLong(1), rs.getString(2), rs.getInt(3), rs.getInt(4),
            instant(rs, 5), instant(rs, 6), instant(rs, 7), rs.getInt(8) == 1));
      }
      ClusterGuardPolicy.Decision decision =
          ClusterGuardPolicy.admit(limits, storm, reservations, incidentId, planned, now);
      if (!(decision instanceof ClusterGuardPolicy.Decision.Act)) {
        return new Admission(decision, 0);
      }
      try (PreparedStatement ps = c.prepareStatement("UPDATE guard_reservations SET released_at = ?"
          + " WHERE incident_id = ? AND released_at IS NULL")) {
        ps.setLong(1, nowMs);
        ps.setString(2, incidentId);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO guard_reservations (cluster, incident_id, attempt,"
          + " planned, used, reserved_at) VALUES (?, ?, ?, ?, 0, ?) RETURNING id")) {
        ps.setString(1, cluster);
        ps.setString(2, incidentId);
        ps.setInt(3, attempt);
        ps.setInt(4, planned);
        ps.setLong(5, nowMs);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return new Admission(decision, rs.getLong(1));
        }
      }
    });
  }

  @Override
  public void recordAction(long reservationId, Instant at) {
    Objects.requireNonNull(at, "at");
    write("recordAction", c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE guard_reservations SET used = used + 1,"
          + " last_acted_at = ? WHERE id = ?")) {
        ps.setLong(1, at.toEpochMilli());
        ps.setLong(2, reservationId);
        if (ps.executeUpdate() == 0) {
          throw new SQLDataException("no reservation " + reservationId);
        }
      }
      return null;
    });
  }

  @Override
  public void releaseReservation(long reservationId, Instant at) {
    Objects.requireNonNull(at, "at");
    write("releaseReservation", c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE guard_reservations SET released_at = ?"
          + " WHERE id = ? AND released_at IS NULL")) {
        ps.setLong(1, at.toEpochMilli());
        ps.setLong(2, reservationId);
        ps.executeUpdate();
      }
      return null;
    });
  }

  /** Serializes guard decisions per cluster: a row lock on PostgreSQL; SQLite has one writer anyway. */
  private void lockCluster(Connection c, String cluster) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO cluster_guards (cluster) VALUES (?) ON CONFLICT (cluster) DO NOTHING")) {
      ps.setString(1, cluster);
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT cluster FROM cluster_guards WHERE cluster = ?" + dialect.rowLock())) {
      ps.setString(1, cluster);
      ps.executeQuery().close();
    }
  }

  private Optional<Storm> selectCurrentStorm(Connection c, String cluster) throws SQLException {
    return selectStorms(c, "SELECT " + STORM_COLUMNS + " FROM cluster_storms WHERE cluster = ? AND ended_at IS NULL",
        cluster).stream().findFirst();
  }

  private static void endStorm(Connection c, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE cluster_storms SET ended_at = quiet_until WHERE id = ? AND ended_at IS NULL")) {
      ps.setLong(1, id);
      ps.executeUpdate();
    }
  }

  /** Storms with their connector count and sample: the cluster's incidents opened during the storm. */
  private List<Storm> selectStorms(Connection c, String sql, Object param) throws SQLException {
    List<Storm> raw;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (param instanceof Long l) {
        ps.setLong(1, l);
      } else {
        ps.setString(1, (String) param);
      }
      raw = list(ps, rs -> new Storm(rs.getLong(1), rs.getString(2), instant(rs, 3), instant(rs, 4), instant(rs, 5),
          Duration.ofMillis(rs.getLong(6)), rs.getString(7), instant(rs, 8), instant(rs, 9), 0, List.of()));
    }
    List<Storm> out = new ArrayList<>(raw.size());
    for (Storm s : raw) {
      long from = s.startedAt().minus(s.window()).toEpochMilli();
      long to = s.lastFailureAt().toEpochMilli();
      int count;
      try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(DISTINCT connector) FROM incidents"
          + " WHERE cluster = ? AND opened_at > ? AND opened_at <= ?")) {
        ps.setString(1, s.cluster());
        ps.setLong(2, from);
        ps.setLong(3, to);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          count = rs.getInt(1);
        }
      }
      List<String> sample;
      try (PreparedStatement ps = c.prepareStatement("SELECT connector, MIN(opened_at) AS first FROM incidents"
          + " WHERE cluster = ? AND opened_at > ? AND opened_at <= ? GROUP BY connector ORDER BY first, connector"
          + " LIMIT " + STORM_SAMPLE)) {
        ps.setString(1, s.cluster());
        ps.setLong(2, from);
        ps.setLong(3, to);
        sample = list(ps, rs -> rs.getString(1));
      }
      out.add(new Storm(s.id(), s.cluster(), s.startedAt(), s.lastFailureAt(), s.quietUntil(), s.window(),
          s.notifier(), s.summarySentAt(), s.endedAt(), count, sample));
    }
    return out;
  }

  // ---- housekeeping ---------------------------------------------------------------------------

  /**
   * {@inheritDoc} It commits a one-row update, so it also proves the database accepts writes. On
   * PostgreSQL each round trip is bounded by the connection timeout, so a half-open connection to a
   * partitioned server fails the ping quickly instead of after the socket timeout.
   */
  @Override
  public void ping() {
    write("ping", c -> {
      dialect.limitRoundTrips(c, pingTimeout);
      try (PreparedStatement ps = c.prepareStatement("UPDATE store_heartbeat SET beats = beats + 1 WHERE id = 1")) {
        if (ps.executeUpdate() != 1) {
          throw new SQLDataException("store_heartbeat row is missing");
        }
      }
      return null;
    });
  }

  /** {@inheritDoc} Budgets are kept. Unprocessed alert events are kept whatever their age. */
  @Override
  public int prune(Instant before) {
    Objects.requireNonNull(before, "before");
    long beforeMs = before.toEpochMilli();
    return write("prune", c -> {
      for (String table : INCIDENT_CHILDREN) {
        try (PreparedStatement ps = c.prepareStatement(
            "DELETE FROM " + table + " WHERE incident_id IN (" + CLOSED_BEFORE + ")")) {
          ps.setLong(1, beforeMs);
          ps.executeUpdate();
        }
      }
      int incidents;
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM incidents WHERE closed_at IS NOT NULL AND closed_at < ?")) {
        ps.setLong(1, beforeMs);
        incidents = ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM alert_events WHERE processed_at IS NOT NULL AND received_at < ?")) {
        ps.setLong(1, beforeMs);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM cluster_storms WHERE ended_at IS NOT NULL AND ended_at < ?")) {
        ps.setLong(1, beforeMs);
        ps.executeUpdate();
      }
      return incidents;
    });
  }

  /** Closes the pool; later calls fail with {@link StoreException}. Idempotent. */
  @Override
  public void close() {
    pool.close();
  }

  @Override
  public String toString() {
    return "JdbcStore[" + where + "]";
  }

  // ---- transactions ---------------------------------------------------------------------------

  @FunctionalInterface
  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  @FunctionalInterface
  private interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  /**
   * The shape of every claim: checks the arguments, runs {@code sql} in one write transaction, and
   * returns the claimed rows in {@code order} (RETURNING gives no order).
   */
  private <T> List<T> claim(String op, String owner, Instant now, Duration lease, int limit, String sql, int nowParams,
      RowMapper<T> mapper, Comparator<T> order) {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(now, "now");
    requireLease(lease);
    if (limit <= 0) {
      return List.of();
    }
    List<T> claimed = write(op, c -> claimRows(c, sql, owner, now, lease, nowParams, limit, mapper));
    claimed.sort(order);
    return Collections.unmodifiableList(claimed);
  }

  /**
   * Runs a claim statement {@code UPDATE ... SET <owner> = ?, <until> = ? WHERE <key> IN (SELECT ... <now>
   * ... LIMIT ? <lock>) RETURNING ...}, binding the owner, {@code now + lease}, {@code nowParams} times
   * {@code now}, then {@code limit} (all times as epoch milliseconds).
   */
  private static <T> List<T> claimRows(Connection c, String sql, String owner, Instant now, Duration lease, int nowParams,
      int limit, RowMapper<T> mapper) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      ps.setString(i++, owner);
      ps.setLong(i++, now.plus(lease).toEpochMilli());
      for (int n = 0; n < nowParams; n++) {
        ps.setLong(i++, now.toEpochMilli());
      }
      ps.setInt(i, limit);
      return list(ps, mapper);
    }
  }

  private <T> T write(String op, Work<T> work) {
    return inTransaction(op, true, work);
  }

  private <T> T read(String op, Work<T> work) {
    return inTransaction(op, false, work);
  }

  /**
   * Runs {@code work} in one transaction on one connection: commits when it returns, rolls back when it
   * throws. A connection whose rollback failed is evicted from the pool rather than reused.
   */
  private <T> T inTransaction(String op, boolean write, Work<T> work) {
    Connection c;
    try {
      c = pool.getConnection();
    } catch (SQLException e) {
      throw new StoreException(op + " failed: no connection to the " + where + ": " + e.getMessage(), e);
    }
    try {
      boolean begun = false;
      try {
        dialect.begin(c, write);
        begun = true;
        T result = work.run(c);
        dialect.commit(c);
        return result;
      } catch (Throwable t) {
        if (begun) {
          rollback(c, t);
        }
        throw t;
      }
    } catch (SQLException e) {
      throw new StoreException(op + " failed (" + where + "): " + e.getMessage(), e);
    } finally {
      try {
        c.close();
      } catch (SQLException ignored) {
        // the pool logs and discards a connection it cannot reset
      }
    }
  }

  private void rollback(Connection c, Throwable cause) {
    try {
      dialect.rollback(c);
    } catch (SQLException | RuntimeException e) {
      cause.addSuppressed(e);
      pool.evictConnection(c);
    }
  }

  // ---- statements -----------------------------------------------------------------------------

  private Optional<Incident> selectIncident(Connection c, String sql, String... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setString(i + 1, params[i]);
      }
      List<Incident> rows = list(ps, JdbcStore::incident);
      return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }
  }

  private static void insertEvent(Connection c, String incidentId, IncidentEvent event) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO incident_events (incident_id, event_at, kind, message) VALUES (?, ?, ?, ?)")) {
      ps.setString(1, incidentId);
      ps.setLong(2, event.at().toEpochMilli());
      ps.setString(3, event.kind());
      setString(ps, 4, event.message());
      ps.executeUpdate();
    }
  }

  private static void insertEscalation(Connection c, Escalation e) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO escalations (" + ESCALATION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (incident_id, level) DO NOTHING")) {
      ps.setString(1, e.incidentId());
      ps.setInt(2, e.level());
      setInstant(ps, 3, e.dueAt());
      ps.setString(4, e.notifier());
      setString(ps, 5, e.message());
      setInstant(ps, 6, e.firedAt());
      setInstant(ps, 7, e.cancelledAt());
      ps.executeUpdate();
    }
  }

  /** Binds the {@link #MUTABLE_COLUMNS} from parameter {@code first} on; returns the next parameter index. */
  private static int bindMutable(PreparedStatement ps, int first, Incident in) throws SQLException {
    int i = first;
    ps.setString(i++, in.state().name());
    setString(ps, i++, in.outcome());
    ps.setInt(i++, in.attempts());
    setString(ps, i++, in.cause());
    setString(ps, i++, in.trace());
    setInstant(ps, i++, in.updatedAt());
    setInstant(ps, i++, in.closedAt());
    setInstant(ps, i++, in.nextActionAt());
    setString(ps, i++, in.nextAction());
    setInstant(ps, i++, in.alertResolvedAt());
    setString(ps, i++, in.leaseOwner());
    setInstant(ps, i++, in.leaseUntil());
    return i;
  }

  private static void requireRow(Connection c, String sql, Object key, String missing) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (key instanceof Long l) {
        ps.setLong(1, l);
      } else {
        ps.setString(1, (String) key);
      }
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLDataException(missing);
        }
      }
    }
  }

  private static <T> List<T> list(PreparedStatement ps, RowMapper<T> mapper) throws SQLException {
    List<T> rows = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        rows.add(mapper.map(rs));
      }
    }
    return rows;
  }

  // ---- rows -----------------------------------------------------------------------------------

  private static AlertEvent alert(ResultSet rs) throws SQLException {
    return new AlertEvent(
        rs.getLong(1),
        instant(rs, 2),
        rs.getString(3),
        rs.getString(4),
        instant(rs, 5),
        instant(rs, 6),
        fromJson(rs.getString(7)),
        fromJson(rs.getString(8)),
        rs.getString(9),
        rs.getString(10));
  }

  private static Incident incident(ResultSet rs) throws SQLException {
    IncidentState state;
    try {
      state = IncidentState.valueOf(rs.getString(5));
    } catch (IllegalArgumentException e) {
      throw new SQLDataException("incident " + rs.getString(1) + " has unknown state " + rs.getString(5), e);
    }
    return new Incident(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        state,
        rs.getString(6),
        rs.getInt(7),
        rs.getString(8),
        rs.getString(9),
        instant(rs, 10),
        instant(rs, 11),
        instant(rs, 12),
        instant(rs, 13),
        rs.getString(14),
        instant(rs, 15),
        rs.getString(16),
        instant(rs, 17));
  }

  private static StepRun step(ResultSet rs) throws SQLException {
    return new StepRun(
        rs.getLong(1),
        rs.getString(2),
        rs.getInt(3),
        rs.getInt(4),
        rs.getString(5),
        rs.getString(6),
        instant(rs, 7),
        instant(rs, 8),
        rs.getString(9),
        rs.getString(10),
        rs.getString(11),
        rs.getString(12));
  }

  private static Approval approval(ResultSet rs) throws SQLException {
    String decision = rs.getString(11);
    return new Approval(
        rs.getString(1),
        rs.getInt(2),
        rs.getInt(3),
        instant(rs, 4),
        instant(rs, 5),
        "approved".equals(rs.getString(6)),
        rs.getString(7),
        rs.getString(8),
        rs.getString(9),
        instant(rs, 10),
        decision == null ? null : Approval.Decision.of(decision),
        rs.getString(12),
        rs.getString(13),
        instant(rs, 14),
        rs.getString(15));
  }

  private static Escalation escalation(ResultSet rs) throws SQLException {
    return new Escalation(
        rs.getString(1),
        rs.getInt(2),
        instant(rs, 3),
        rs.getString(4),
        rs.getString(5),
        instant(rs, 6),
        instant(rs, 7));
  }

  // ---- values ---------------------------------------------------------------------------------

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    long ms = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(ms);
  }

  private static void setInstant(PreparedStatement ps, int i, Instant at) throws SQLException {
    if (at == null) {
      ps.setNull(i, Types.BIGINT);
    } else {
      ps.setLong(i, at.toEpochMilli());
    }
  }

  private static void setString(PreparedStatement ps, int i, String s) throws SQLException {
    if (s == null) {
      ps.setNull(i, Types.VARCHAR);
    } else {
      ps.setString(i, s);
    }
  }

  private static String toJson(Map<String, String> map) {
    try {
      return JSON.writeValueAsString(new TreeMap<>(map));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialize " + map.keySet() + " as JSON", e);
    }
  }

  private static Map<String, String> fromJson(String json) throws SQLException {
    try {
      return JSON.readValue(json, STRING_MAP);
    } catch (JsonProcessingException e) {
      throw new SQLDataException("stored JSON is not a string map: " + e.getOriginalMessage(), e);
    }
  }

  private static String prefixed(String prefix, String columns) {
    return prefix + columns.replace(", ", ", " + prefix);
  }

  private static void requireLease(Duration lease) {
    Objects.requireNonNull(lease, "lease");
    if (lease.isNegative() || lease.isZero()) {
      throw new IllegalArgumentException("lease must be positive, got " + lease);
    }
  }

  private static void requireEvent(IncidentEvent event) {
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(event.at(), "event.at");
    Objects.requireNonNull(event.kind(), "event.kind");
  }

  /** The invariants every stored incident keeps; see the class Javadoc. */
  private static void requireConsistent(Incident in) {
    if ((in.state() == IncidentState.CLOSED) != (in.closedAt() != null)) {
      throw new IllegalArgumentException(in.context() + ": state " + in.state() + " with closedAt "
          + in.closedAt() + " (a CLOSED incident has closedAt, an open one has none)");
    }
    if ((in.nextAction() == null) != (in.nextActionAt() == null)) {
      throw new IllegalArgumentException(in.context() + ": nextAction " + in.nextAction() + " with nextActionAt "
          + in.nextActionAt() + " (both set or both null)");
    }
    if ((in.leaseOwner() == null) != (in.leaseUntil() == null)) {
      throw new IllegalArgumentException(in.context() + ": leaseOwner " + in.leaseOwner() + " with leaseUntil "
          + in.leaseUntil() + " (both set or both null)");
    }
  }
}
