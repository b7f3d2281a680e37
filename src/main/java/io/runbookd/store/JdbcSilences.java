package io.runbookd.store;

import io.runbookd.model.SilenceRef;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/** {@link SilenceStore} on the {@code silences} table (V13). */
final class JdbcSilences implements SilenceStore {
  private static final String COLUMNS = "incident_id, alertmanager, silence_id, created_at, ends_at, expired_at";

  private final Jdbc jdbc;

  JdbcSilences(Jdbc jdbc) {
    this.jdbc = Objects.requireNonNull(jdbc, "jdbc");
  }

  @Override
  public void recordSilence(SilenceRef s) {
    Objects.requireNonNull(s, "silence");
    jdbc.execute("recordSilence", c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO silences (" + COLUMNS
          + ") VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT (incident_id, alertmanager, silence_id) DO NOTHING")) {
        ps.setString(1, s.incidentId());
        ps.setString(2, s.alertmanager());
        ps.setString(3, s.silenceId());
        ps.setLong(4, s.createdAt().toEpochMilli());
        ps.setLong(5, s.endsAt().toEpochMilli());
        ps.executeUpdate();
      }
    });
  }

  @Override
  public List<SilenceRef> silences(String incidentId) {
    Objects.requireNonNull(incidentId, "incidentId");
    return jdbc.read("silences", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS
          + " FROM silences WHERE incident_id = ? ORDER BY created_at, silence_id")) {
        ps.setString(1, incidentId);
        return Collections.unmodifiableList(Jdbc.list(ps, JdbcSilences::silence));
      }
    });
  }

  @Override
  public List<SilenceRef> silencesToExpire(Instant now, int limit) {
    return jdbc.read("silencesToExpire", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM silences s WHERE s.expired_at IS NULL"
          + " AND s.ends_at > ? AND EXISTS (SELECT 1 FROM incidents i WHERE i.id = s.incident_id"
          + " AND (i.closed_at IS NOT NULL OR i.state = 'ESCALATED')) ORDER BY s.created_at LIMIT ?")) {
        ps.setLong(1, now.toEpochMilli());
        ps.setInt(2, limit);
        return Collections.unmodifiableList(Jdbc.list(ps, JdbcSilences::silence));
      }
    });
  }

  @Override
  public void silenceExpired(String incidentId, String alertmanager, String silenceId, Instant at) {
    jdbc.execute("silenceExpired", c -> Jdbc.update(c, "UPDATE silences SET expired_at = ? WHERE incident_id = ?"
        + " AND alertmanager = ? AND silence_id = ? AND expired_at IS NULL", at.toEpochMilli(), incidentId, alertmanager,
        silenceId));
  }

  private static SilenceRef silence(ResultSet rs) throws SQLException {
    long expired = rs.getLong(6);
    boolean none = rs.wasNull();
    return new SilenceRef(rs.getString(1), rs.getString(2), rs.getString(3), Instant.ofEpochMilli(rs.getLong(4)),
        Instant.ofEpochMilli(rs.getLong(5)), none ? null : Instant.ofEpochMilli(expired));
  }
}
