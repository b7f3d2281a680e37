package io.runbookd.store;

import io.runbookd.model.ConnectorState;
import io.runbookd.model.Wait;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** The {@code incident_waits} table (migration V4): at most one stored {@link Wait} per incident. */
final class WaitRows {
  private static final String COLUMNS = "incident_id, kind, attempt, step_index, step_run_id, state, deadline,"
      + " stable_for_ms, stable_since, baseline, reservation_id, started_at, left_failed_at, kafka_wait";

  /** SQL true when reservation {@code alias.id} is held by a stored wait (its segment is suspended, not over). */
  static String heldByWait(String reservationId) {
    return "EXISTS (SELECT 1 FROM incident_waits w WHERE w.reservation_id = " + reservationId + ")";
  }

  private WaitRows() {}

  static Optional<Wait> select(Connection c, String incidentId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM incident_waits WHERE incident_id = ?")) {
      ps.setString(1, incidentId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        String state = rs.getString(6);
        return Optional.of(new Wait(rs.getString(1), Wait.Kind.valueOf(rs.getString(2)), rs.getInt(3), rs.getInt(4),
            rs.getLong(5), state == null ? null : ConnectorState.valueOf(state), Instant.ofEpochMilli(rs.getLong(7)),
            Duration.ofMillis(rs.getLong(8)), Jdbc.instant(rs, 9), rs.getString(10), rs.getLong(11),
            Instant.ofEpochMilli(rs.getLong(12)), Jdbc.instant(rs, 13),
            io.runbookd.model.KafkaWait.fromJson(rs.getString(14))));
      }
    }
  }

  /** Replaces the incident's wait with {@code wait}, or removes it when {@code wait} is null. */
  static void replace(Connection c, String incidentId, Wait wait) throws SQLException {
    Jdbc.update(c, "DELETE FROM incident_waits WHERE incident_id = ?", incidentId);
    if (wait == null) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO incident_waits (" + COLUMNS + ")"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, wait.incidentId());
      ps.setString(2, wait.kind().name());
      ps.setInt(3, wait.attempt());
      ps.setInt(4, wait.step());
      ps.setLong(5, wait.stepRunId());
      Jdbc.setString(ps, 6, wait.state() == null ? null : wait.state().name());
      ps.setLong(7, wait.deadline().toEpochMilli());
      ps.setLong(8, wait.stableFor().toMillis());
      Jdbc.setInstant(ps, 9, wait.stableSince());
      Jdbc.setString(ps, 10, wait.baseline());
      ps.setLong(11, wait.reservationId());
      ps.setLong(12, wait.startedAt().toEpochMilli());
      Jdbc.setInstant(ps, 13, wait.leftFailedAt());
      Jdbc.setString(ps, 14, wait.kafka() == null ? null : wait.kafka().toJson());
      ps.executeUpdate();
    }
  }
}
