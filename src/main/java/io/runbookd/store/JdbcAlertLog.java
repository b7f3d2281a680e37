package io.runbookd.store;

import static io.runbookd.store.Jdbc.instant;
import static io.runbookd.store.Jdbc.setInstant;
import static io.runbookd.store.Jdbc.setString;

import io.runbookd.model.AlertEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link AlertLog} on the {@code alert_events} table. {@link #markAlertProcessed} keeps the first outcome
 * and time when repeated, and fails with {@link StoreException} for an unknown event.
 */
final class JdbcAlertLog implements AlertLog {

  private static final String ALERT_COLUMNS =
      "id, received_at, fingerprint, status, starts_at, ends_at, labels, annotations, receiver, group_key";

  private final Jdbc jdbc;

  JdbcAlertLog(Jdbc jdbc) {
    this.jdbc = Objects.requireNonNull(jdbc, "jdbc");
  }

  @Override
  public List<AlertEvent> recordAlerts(List<AlertEvent> events) {
    Objects.requireNonNull(events, "events");
    if (events.isEmpty()) {
      return List.of();
    }
    List<String[]> json = new ArrayList<>(events.size());
    for (AlertEvent e : events) {
      json.add(new String[] {Jdbc.toJson(e.labels()), Jdbc.toJson(e.annotations())});
    }
    return jdbc.write("recordAlerts", c -> {
      List<AlertEvent> stored = new ArrayList<>(events.size());
      if (jdbc.dialect() == Dialect.SQLITE) {
        // In-process: a row costs no round trip; one small statement re-executed per row measured no
        // slower there than a multi-row one (see README, Benchmarks).
        insertEach(c, events, json, stored);
      } else {
        for (int from = 0; from < events.size(); from += ROWS_PER_INSERT) {
          int to = Math.min(events.size(), from + ROWS_PER_INSERT);
          insert(c, events.subList(from, to), json.subList(from, to), stored);
        }
      }
      return Collections.unmodifiableList(stored);
    });
  }

  /** One {@code INSERT ... RETURNING}, prepared once, executed for each event in order (SQLite). */
  private static void insertEach(Connection c, List<AlertEvent> events, List<String[]> json, List<AlertEvent> stored)
      throws SQLException {
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
  }

  /**
   * Rows per multi-row {@code INSERT}: 9 parameters a row, well below SQLite's 32,766 host parameters
   * (SQLite 3.32+, "Limits In SQLite") and PostgreSQL's 65,535 bind parameters.
   */
  static final int ROWS_PER_INSERT = 500;

  /**
   * Inserts {@code events} with ONE {@code INSERT ... VALUES (...), (...) RETURNING} round trip (PostgreSQL) and appends
   * them, as stored, to {@code stored} in the given order. RETURNING gives the rows in no defined order
   * (SQLite's "RETURNING clause" docs), but the ids of one statement's rows grow in the order of its
   * VALUES (SQLite's rowid is the largest one plus 1 for each row inserted; PostgreSQL's identity column
   * calls {@code nextval} once per row, in order), so sorting by id restores the order.
   */
  private static void insert(Connection c, List<AlertEvent> events, List<String[]> json, List<AlertEvent> stored)
      throws SQLException {
    StringBuilder sql = new StringBuilder(96 + events.size() * 30).append(
        "INSERT INTO alert_events (received_at, fingerprint, status, starts_at, ends_at, labels, annotations,"
            + " receiver, group_key) VALUES ");
    for (int i = 0; i < events.size(); i++) {
      sql.append(i == 0 ? "" : ", ").append("(?, ?, ?, ?, ?, ?, ?, ?, ?)");
    }
    sql.append(" RETURNING ").append(ALERT_COLUMNS);
    List<AlertEvent> rows = new ArrayList<>(events.size());
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      int p = 0;
      for (int i = 0; i < events.size(); i++) {
        AlertEvent e = events.get(i);
        setInstant(ps, ++p, e.receivedAt());
        ps.setString(++p, e.fingerprint());
        ps.setString(++p, e.status());
        setInstant(ps, ++p, e.startsAt());
        setInstant(ps, ++p, e.endsAt());
        ps.setString(++p, json.get(i)[0]);
        ps.setString(++p, json.get(i)[1]);
        setString(ps, ++p, e.receiver());
        setString(ps, ++p, e.groupKey());
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(alert(rs));
        }
      }
    }
    if (rows.size() != events.size()) {
      throw new SQLException("insert of " + events.size() + " alerts returned " + rows.size() + " rows");
    }
    rows.sort(Comparator.comparingLong(AlertEvent::id));
    stored.addAll(rows);
  }

  @Override
  public List<AlertEvent> claimAlerts(String owner, Instant now, Duration lease, int limit) {
    return jdbc.claim("claimAlerts", owner, now, lease, limit,
        "UPDATE alert_events SET claimed_by = ?, claimed_until = ? WHERE id IN ("
            + "SELECT id FROM alert_events WHERE processed_at IS NULL"
            + " AND (claimed_until IS NULL OR claimed_until <= ?)"
            + " ORDER BY id LIMIT ?" + jdbc.dialect().claimLock() + ") RETURNING " + ALERT_COLUMNS,
        1, JdbcAlertLog::alert, Comparator.comparingLong(AlertEvent::id));
  }

  @Override
  public int releaseAlertClaims(String ownerPrefix) {
    return jdbc.release("releaseAlertClaims", "alert_events", "claimed_by", "claimed_until", "processed_at IS NULL",
        ownerPrefix);
  }

  @Override
  public void markAlertProcessed(long eventId, Instant at, String outcome, String incidentId) {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(outcome, "outcome");
    jdbc.execute("markAlertProcessed", c -> markProcessed(c, eventId, at, outcome, incidentId));
  }

  /** {@link #markAlertProcessed} inside the caller's transaction. */
  /** Inserts one alert event inside the caller's transaction; returns its id. */
  static long insert(Connection c, AlertEvent e) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO alert_events (received_at, fingerprint, status, starts_at, ends_at, labels, annotations,"
            + " receiver, group_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")) {
      setInstant(ps, 1, e.receivedAt());
      ps.setString(2, e.fingerprint());
      ps.setString(3, e.status());
      setInstant(ps, 4, e.startsAt());
      setInstant(ps, 5, e.endsAt());
      ps.setString(6, Jdbc.toJson(e.labels()));
      ps.setString(7, Jdbc.toJson(e.annotations()));
      setString(ps, 8, e.receiver());
      setString(ps, 9, e.groupKey());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("insert returned no row");
        }
        return rs.getLong(1);
      }
    }
  }

  static void markProcessed(Connection c, long eventId, Instant at, String outcome, String incidentId)
      throws SQLException {
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
      Jdbc.requireRow(c, "SELECT 1 FROM alert_events WHERE id = ?", eventId, "no alert event " + eventId);
    }
  }

  /** Ids per statement of a renewal or release (well below every driver's parameter limit). */
  private static final int IDS_PER_STATEMENT = 500;

  @Override
  public int renewAlertClaims(String owner, List<Long> eventIds, Instant until) {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(eventIds, "eventIds");
    Objects.requireNonNull(until, "until");
    return byIds("renewAlertClaims", "UPDATE alert_events SET claimed_until = ? WHERE claimed_by = ?"
        + " AND processed_at IS NULL AND id IN ", eventIds, until.toEpochMilli(), owner);
  }

  @Override
  public int releaseAlertClaims(String owner, List<Long> eventIds) {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(eventIds, "eventIds");
    return byIds("releaseAlertClaims", "UPDATE alert_events SET claimed_by = NULL, claimed_until = NULL"
        + " WHERE claimed_by = ? AND processed_at IS NULL AND id IN ", eventIds, owner);
  }

  /** Runs {@code sql + "(?, ...)"} over {@code ids} in chunks, in one transaction; the updated row count. */
  private int byIds(String op, String sql, List<Long> ids, Object... leading) {
    if (ids.isEmpty()) {
      return 0;
    }
    return jdbc.write(op, c -> {
      int n = 0;
      for (int from = 0; from < ids.size(); from += IDS_PER_STATEMENT) {
        List<Long> chunk = ids.subList(from, Math.min(ids.size(), from + IDS_PER_STATEMENT));
        String in = "(" + String.join(", ", Collections.nCopies(chunk.size(), "?")) + ")";
        try (PreparedStatement ps = c.prepareStatement(sql + in)) {
          int i = 1;
          for (Object o : leading) {
            ps.setObject(i++, o);
          }
          for (Long id : chunk) {
            ps.setLong(i++, id);
          }
          n += ps.executeUpdate();
        }
      }
      return n;
    });
  }

  @Override
  public Backlog alertBacklog() {
    return jdbc.read("alertBacklog", c -> {
      long count;
      // Both statements read the partial index alert_events_unprocessed only.
      try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM alert_events WHERE processed_at IS NULL");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        count = rs.getLong(1);
      }
      if (count == 0) {
        return new Backlog(0, null);
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT received_at FROM alert_events WHERE processed_at IS NULL ORDER BY id LIMIT 1");
          ResultSet rs = ps.executeQuery()) {
        return new Backlog(count, rs.next() ? instant(rs, 1) : null);
      }
    });
  }

  @Override
  public Optional<AlertEvent> lastAlert(String incidentId) {
    Objects.requireNonNull(incidentId, "incidentId");
    return jdbc.read("lastAlert", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT " + ALERT_COLUMNS + " FROM alert_events WHERE incident_id = ? ORDER BY id DESC LIMIT 1")) {
        ps.setString(1, incidentId);
        return Jdbc.list(ps, JdbcAlertLog::alert).stream().findFirst();
      }
    });
  }

  private static AlertEvent alert(ResultSet rs) throws SQLException {
    return new AlertEvent(
        rs.getLong(1),
        instant(rs, 2),
        rs.getString(3),
        rs.getString(4),
        instant(rs, 5),
        instant(rs, 6),
        Jdbc.fromJson(rs.getString(7)),
        Jdbc.fromJson(rs.getString(8)),
        rs.getString(9),
        rs.getString(10));
  }
}
