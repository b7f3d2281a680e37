package io.runbookd.store;

import io.runbookd.model.DlqProgress;
import io.runbookd.model.TopicPartition;
import java.sql.PreparedStatement;
import java.sql.SQLDataException;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/** {@link DlqProgressStore} on the {@code dlq_replay_progress} table. */
final class JdbcDlqProgress implements DlqProgressStore {
  private final Jdbc jdbc;

  JdbcDlqProgress(Jdbc jdbc) {
    this.jdbc = Objects.requireNonNull(jdbc, "jdbc");
  }

  @Override
  public void saveDlqProgress(String incidentId, DlqProgress p) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(p, "progress");
    jdbc.write("saveDlqProgress", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO dlq_replay_progress (incident_id, step_run_id, dlq_topic, dlq_partition, start_offset,"
              + " next_offset, replayed, skipped, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
              + " ON CONFLICT (step_run_id, dlq_topic, dlq_partition) DO UPDATE SET next_offset = excluded.next_offset,"
              + " replayed = excluded.replayed, skipped = excluded.skipped, updated_at = excluded.updated_at"
              + " WHERE dlq_replay_progress.next_offset <= excluded.next_offset")) {
        ps.setString(1, incidentId);
        ps.setLong(2, p.stepRunId());
        ps.setString(3, p.partition().topic());
        ps.setInt(4, p.partition().partition());
        ps.setLong(5, p.startOffset());
        ps.setLong(6, p.nextOffset());
        ps.setLong(7, p.replayed());
        ps.setLong(8, p.skipped());
        ps.setLong(9, p.updatedAt().toEpochMilli());
        if (ps.executeUpdate() == 0) {
          throw new SQLDataException("the stored progress of step run " + p.stepRunId() + " on " + p.partition()
              + " is past offset " + p.nextOffset() + ": progress never goes back");
        }
      }
      return null;
    });
  }

  @Override
  public List<DlqProgress> dlqProgress(long stepRunId) {
    return jdbc.read("dlqProgress", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT step_run_id, dlq_topic, dlq_partition, start_offset, next_offset, replayed, skipped, updated_at"
              + " FROM dlq_replay_progress WHERE step_run_id = ? ORDER BY dlq_topic, dlq_partition")) {
        ps.setLong(1, stepRunId);
        return Collections.unmodifiableList(Jdbc.list(ps, rs -> new DlqProgress(rs.getLong(1),
            new TopicPartition(rs.getString(2), rs.getInt(3)), rs.getLong(4), rs.getLong(5), rs.getLong(6),
            rs.getLong(7), Instant.ofEpochMilli(rs.getLong(8)))));
      }
    });
  }
}
