package io.runbookd.store;

import static io.runbookd.store.Jdbc.instant;
import static io.runbookd.store.Jdbc.setInstant;
import static io.runbookd.store.Jdbc.setString;

import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.Wait;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.IncidentQuery;
import io.runbookd.model.IncidentState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLDataException;
import java.sql.SQLException;
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
import java.util.stream.Collectors;

/**
 * {@link IncidentStore} on the {@code incidents}, {@code incident_alerts} and {@code incident_events}
 * tables. The statements that {@link JdbcUnitsOfWork} combines are package-private and run in the
 * caller's transaction.
 *
 * <p>Choices where {@link IncidentStore}'s Javadoc leaves room (the safer reading each time):
 * <ul>
 *   <li>Leases are held strictly before their expiry: a lease until {@code t} is free at {@code now >= t}.
 *   <li>An incident is open while {@code closedAt} is null. Incidents written must be consistent: state
 *       CLOSED exactly when {@code closedAt} is set, {@code nextAction} set exactly when
 *       {@code nextActionAt} is, {@code leaseOwner} set exactly when {@code leaseUntil} is
 *       ({@link IllegalArgumentException} otherwise, before anything is written).
 *   <li>{@link #updateIncident} with {@code expectedOwner == null} succeeds when the row has no live
 *       lease: no owner, or a lease that expired at or before the incident's {@code updatedAt} (the
 *       caller's now).
 *   <li>{@link #noteAlertResolved} treats an incident as leased while its lease is live at {@code at};
 *       it never schedules anything on a closed incident.
 *   <li>{@link #updateIncident}, {@link #noteAlertResolved} and the foreign keys of {@link #linkAlert}
 *       and {@link #addEvent} fail with {@link StoreException} for an unknown incident.
 *   <li>{@link #linkAlert} never moves an alert's last status back to an older {@code at}.
 * </ul>
 */
final class JdbcIncidents implements IncidentStore {

  static final String INCIDENT_COLUMNS =
      "id, cluster, connector, rule, state, outcome, attempts, cause, trace, opened_at, updated_at, closed_at,"
          + " next_action_at, next_action, alert_resolved_at, lease_owner, lease_until";
  /** The columns an incident write binds, in {@link #bindMutable} order. */
  private static final List<String> MUTABLE_COLUMNS = List.of("state", "outcome", "attempts", "cause", "trace",
      "updated_at", "closed_at", "next_action_at", "next_action", "alert_resolved_at", "lease_owner", "lease_until");
  /** The SET list of an update: alert_resolved_at is only filled in, never overwritten. */
  private static final String UPDATE_SET = MUTABLE_COLUMNS.stream()
      .map(col -> col.equals("alert_resolved_at") ? col + " = COALESCE(" + col + ", ?)" : col + " = ?")
      .collect(Collectors.joining(", "));
  private static final String BY_ID = "SELECT " + INCIDENT_COLUMNS + " FROM incidents WHERE id = ?";

  private final Jdbc jdbc;

  JdbcIncidents(Jdbc jdbc) {
    this.jdbc = Objects.requireNonNull(jdbc, "jdbc");
  }

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
    return jdbc.write("openIncident", c -> insertOpen(c, incident, escalations, opened));
  }

  /** {@link #openIncident} inside the caller's transaction (arguments already checked). */
  static Optional<Incident> insertOpen(Connection c, Incident incident, List<Escalation> escalations,
      IncidentEvent opened) throws SQLException {
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
      return Optional.empty();
    }
    insertEvent(c, incident.id(), opened);
    for (Escalation e : escalations) {
      JdbcEscalations.insertEscalation(c, e);
    }
    return selectIncident(c, BY_ID, incident.id());
  }

  @Override
  public Optional<Incident> findOpen(String cluster, String connector) {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(connector, "connector");
    return jdbc.read("findOpen", c -> selectOpen(c, cluster, connector));
  }

  static Optional<Incident> selectOpen(Connection c, String cluster, String connector) throws SQLException {
    return selectIncident(c,
        "SELECT " + INCIDENT_COLUMNS + " FROM incidents WHERE cluster = ? AND connector = ? AND closed_at IS NULL",
        cluster, connector);
  }

  /** {@inheritDoc} If several open incidents have it, the most recently opened. */
  @Override
  public Optional<Incident> findOpenByFingerprint(String fingerprint) {
    Objects.requireNonNull(fingerprint, "fingerprint");
    return jdbc.read("findOpenByFingerprint", c -> selectOpenByFingerprint(c, fingerprint));
  }

  static Optional<Incident> selectOpenByFingerprint(Connection c, String fingerprint) throws SQLException {
    return selectIncident(c,
        "SELECT " + Jdbc.prefixed("i.", INCIDENT_COLUMNS) + " FROM incidents i"
            + " JOIN incident_alerts a ON a.incident_id = i.id"
            + " WHERE a.fingerprint = ? AND i.closed_at IS NULL ORDER BY i.opened_at DESC, i.id DESC LIMIT 1",
        fingerprint);
  }

  @Override
  public Optional<Incident> get(String incidentId) {
    Objects.requireNonNull(incidentId, "incidentId");
    return jdbc.read("get", c -> selectIncident(c, BY_ID, incidentId));
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
    for (String[] eq : new String[][] {{"cluster", query.cluster()}, {"connector", query.connector()},
        {"rule", query.rule()}}) {
      if (eq[1] != null) {
        sql.append(" AND ").append(eq[0]).append(" = ?");
        params.add(eq[1]);
      }
    }
    if (query.since() != null) {
      sql.append(" AND opened_at >= ?");
      params.add(query.since().toEpochMilli());
    }
    sql.append(" ORDER BY opened_at DESC, id DESC LIMIT ? OFFSET ?");
    params.add((long) query.limit());
    params.add((long) query.offset());
    return jdbc.read("list", c -> {
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < params.size(); i++) {
          Jdbc.bind(ps, i + 1, params.get(i));
        }
        return Collections.unmodifiableList(Jdbc.list(ps, JdbcIncidents::incident));
      }
    });
  }

  /** {@inheritDoc} Sorted by rule name; rules with no open incident are absent. */
  @Override
  public Map<String, Integer> countOpenByRule() {
    return jdbc.read("countOpenByRule", c -> {
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
    jdbc.execute("linkAlert", c -> link(c, incidentId, fingerprint, alertname, status, at));
  }

  static void link(Connection c, String incidentId, String fingerprint, String alertname, String status, Instant at)
      throws SQLException {
    Jdbc.update(c, "INSERT INTO incident_alerts (incident_id, fingerprint, alertname, status, first_seen_at,"
        + " last_seen_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id, fingerprint) DO UPDATE SET"
        + " alertname = excluded.alertname, status = excluded.status, last_seen_at = excluded.last_seen_at"
        + " WHERE incident_alerts.last_seen_at <= excluded.last_seen_at", incidentId, fingerprint, alertname, status,
        at, at);
  }

  /** {@inheritDoc} The claim does not change {@code updatedAt}; ties on {@code nextActionAt} go by id. */
  @Override
  public List<Incident> claimDueIncidents(String owner, Instant now, Duration lease, int limit) {
    return jdbc.claim("claimDueIncidents", owner, now, lease, limit,
        "UPDATE incidents SET lease_owner = ?, lease_until = ? WHERE id IN ("
            + "SELECT id FROM incidents WHERE closed_at IS NULL"
            + " AND next_action_at IS NOT NULL AND next_action_at <= ?"
            + " AND (lease_until IS NULL OR lease_until <= ?)"
            + " ORDER BY next_action_at, id LIMIT ?" + jdbc.dialect().claimLock() + ") RETURNING " + INCIDENT_COLUMNS,
        2, JdbcIncidents::incident, Comparator.comparing(Incident::nextActionAt).thenComparing(Incident::id));
  }

  @Override
  public int releaseLeases(String ownerPrefix) {
    return jdbc.release("releaseLeases", "incidents", "lease_owner", "lease_until", "closed_at IS NULL", ownerPrefix);
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
    return jdbc.write("updateIncident", c -> update(c, incident, expectedOwner));
  }

  @Override
  public boolean saveProgress(Incident incident, String expectedOwner, Wait wait) {
    Objects.requireNonNull(incident, "incident");
    Objects.requireNonNull(expectedOwner, "expectedOwner");
    requireConsistent(incident);
    return jdbc.write("saveProgress", c -> {
      if (!update(c, incident, expectedOwner)) {
        return false;
      }
      WaitRows.replace(c, incident.id(), wait);
      return true;
    });
  }

  @Override
  public Optional<Wait> storedWait(String incidentId) {
    Objects.requireNonNull(incidentId, "incidentId");
    return jdbc.read("storedWait", c -> WaitRows.select(c, incidentId));
  }

  /** {@link #updateIncident} inside the caller's transaction (arguments already checked). */
  static boolean update(Connection c, Incident incident, String expectedOwner) throws SQLException {
    int n;
    try (PreparedStatement ps = c.prepareStatement("UPDATE incidents SET " + UPDATE_SET + " WHERE id = ?"
        + (expectedOwner == null ? " AND (lease_owner IS NULL OR lease_until <= ?)" : " AND lease_owner = ?"))) {
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
      Jdbc.requireRow(c, "SELECT 1 FROM incidents WHERE id = ?", incident.id(), "no incident " + incident.id());
    }
    return n == 1;
  }

  @Override
  public boolean renewLease(String incidentId, String owner, Instant until) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(until, "until");
    return jdbc.write("renewLease", c -> Jdbc.update(c,
        "UPDATE incidents SET lease_until = ? WHERE id = ? AND lease_owner = ? AND closed_at IS NULL", until,
        incidentId, owner) == 1);
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
    jdbc.execute("noteAlertResolved", c -> noteResolved(c, incidentId, at, verifyAt));
  }

  static void noteResolved(Connection c, String incidentId, Instant at, Instant verifyAt) throws SQLException {
    int n;
    if (verifyAt == null) {
      n = Jdbc.update(c, "UPDATE incidents SET alert_resolved_at = ? WHERE id = ?", at, incidentId);
    } else {
      String schedule = "closed_at IS NULL AND (lease_owner IS NULL OR lease_until <= ?)"
          + " AND (next_action_at IS NULL OR next_action_at > ?)";
      n = Jdbc.update(c, "UPDATE incidents SET alert_resolved_at = ?,"
          + " next_action = CASE WHEN " + schedule + " THEN ? ELSE next_action END,"
          + " next_action_at = CASE WHEN " + schedule + " THEN ? ELSE next_action_at END"
          + " WHERE id = ?", at, at, verifyAt, Incident.VERIFY, at, verifyAt, verifyAt, incidentId);
    }
    if (n == 0) {
      throw new SQLDataException("no incident " + incidentId);
    }
  }

  @Override
  public io.runbookd.model.RetryOutcome requestRetry(String incidentId, String principal, String comment, Instant at) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(at, "at");
    return jdbc.write("requestRetry", c -> {
      Optional<Incident> found = selectIncident(c, BY_ID, incidentId);
      io.runbookd.model.RetryOutcome.Status status;
      if (found.isEmpty()) {
        status = io.runbookd.model.RetryOutcome.Status.NO_INCIDENT;
      } else if (found.get().closedAt() != null) {
        status = io.runbookd.model.RetryOutcome.Status.CLOSED;
      } else if (Jdbc.update(c, "UPDATE incidents SET next_action = ?, next_action_at = ?"
          + " WHERE id = ? AND closed_at IS NULL AND (lease_owner IS NULL OR lease_until <= ?)",
          Incident.RETRY, at, incidentId, at) == 0) {
        status = io.runbookd.model.RetryOutcome.Status.BUSY;
      } else {
        insertEvent(c, incidentId, new IncidentEvent(at, "retry_requested", "retry requested by " + principal
            + (comment == null || comment.isBlank() ? "" : ": " + comment)
            + "; runbookd restarts the failed tasks once now and verifies (outside the attempt budget)"));
        status = io.runbookd.model.RetryOutcome.Status.ACCEPTED;
      }
      return new io.runbookd.model.RetryOutcome(status, incidentId, principal, at, comment);
    });
  }

  @Override
  public boolean renameConnector(String incidentId, String expectedOwner, String connector, IncidentEvent event) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(expectedOwner, "expectedOwner");
    Objects.requireNonNull(connector, "connector");
    requireEvent(event);
    return jdbc.write("renameConnector", c -> {
      int n = Jdbc.update(c, "UPDATE incidents SET connector = ? WHERE id = ? AND lease_owner = ? AND closed_at IS NULL",
          connector, incidentId, expectedOwner);
      if (n == 0) {
        Jdbc.requireRow(c, "SELECT 1 FROM incidents WHERE id = ?", incidentId, "no incident " + incidentId);
        return false;
      }
      insertEvent(c, incidentId, event);
      return true;
    });
  }

  @Override
  public void addEvent(String incidentId, IncidentEvent event) {
    Objects.requireNonNull(incidentId, "incidentId");
    requireEvent(event);
    jdbc.execute("addEvent", c -> insertEvent(c, incidentId, event));
  }

  static void insertEvent(Connection c, String incidentId, IncidentEvent event) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO incident_events (incident_id, event_at, kind, message) VALUES (?, ?, ?, ?)")) {
      ps.setString(1, incidentId);
      ps.setLong(2, event.at().toEpochMilli());
      ps.setString(3, event.kind());
      setString(ps, 4, event.message());
      ps.executeUpdate();
    }
  }

  /** {@inheritDoc} Ties on time go by insertion order. */
  @Override
  public List<IncidentEvent> events(String incidentId) {
    Objects.requireNonNull(incidentId, "incidentId");
    return jdbc.read("events", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT event_at, kind, message FROM incident_events WHERE incident_id = ? ORDER BY event_at, id")) {
        ps.setString(1, incidentId);
        return Collections.unmodifiableList(
            Jdbc.list(ps, rs -> new IncidentEvent(instant(rs, 1), rs.getString(2), rs.getString(3))));
      }
    });
  }

  // ---- rows -----------------------------------------------------------------------------------

  private static Optional<Incident> selectIncident(Connection c, String sql, String... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setString(i + 1, params[i]);
      }
      return Jdbc.list(ps, JdbcIncidents::incident).stream().findFirst();
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

  private static Incident incident(ResultSet rs) throws SQLException {
    IncidentState state;
    try {
      state = IncidentState.valueOf(rs.getString(5));
    } catch (IllegalArgumentException e) {
      throw new SQLDataException("incident " + rs.getString(1) + " has unknown state " + rs.getString(5), e);
    }
    return new Incident(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), state, rs.getString(6),
        rs.getInt(7), rs.getString(8), rs.getString(9), instant(rs, 10), instant(rs, 11), instant(rs, 12),
        instant(rs, 13), rs.getString(14), instant(rs, 15), rs.getString(16), instant(rs, 17));
  }

  static void requireEvent(IncidentEvent event) {
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(event.at(), "event.at");
    Objects.requireNonNull(event.kind(), "event.kind");
  }

  /** The invariants every stored incident keeps; see the class Javadoc. */
  static void requireConsistent(Incident in) {
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
