package io.runbookd.store;

import static io.runbookd.store.Jdbc.instant;
import static io.runbookd.store.Jdbc.setInstant;
import static io.runbookd.store.Jdbc.setString;

import io.runbookd.model.StepRun;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLDataException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** {@link StepRunStore} on the {@code step_runs} table; the foreign key to the incident is checked. */
final class JdbcStepRuns implements StepRunStore {

  private static final String STEP_COLUMNS =
      "id, incident_id, attempt, step_index, type, params, started_at, ended_at, outcome, error, before_state,"
          + " after_state";

  private final Jdbc jdbc;

  JdbcStepRuns(Jdbc jdbc) {
    this.jdbc = Objects.requireNonNull(jdbc, "jdbc");
  }

  /** {@inheritDoc} The stored step keeps {@code endedAt}, {@code outcome} etc. as given. */
  @Override
  public Optional<StepRun> startStep(StepRun step) {
    Objects.requireNonNull(step, "step");
    return jdbc.write("startStep", c -> {
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
        return Jdbc.list(ps, JdbcStepRuns::step).stream().findFirst();
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
    jdbc.write("finishStep", c -> {
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
  public void recordBefore(long stepId, String before) {
    jdbc.write("recordBefore", c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE step_runs SET before_state = ? WHERE id = ?")) {
        setString(ps, 1, before);
        ps.setLong(2, stepId);
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
    return jdbc.read("steps", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT " + STEP_COLUMNS + " FROM step_runs WHERE incident_id = ? ORDER BY started_at, id")) {
        ps.setString(1, incidentId);
        return Collections.unmodifiableList(Jdbc.list(ps, JdbcStepRuns::step));
      }
    });
  }

  private static StepRun step(ResultSet rs) throws SQLException {
    return new StepRun(rs.getLong(1), rs.getString(2), rs.getInt(3), rs.getInt(4), rs.getString(5), rs.getString(6),
        instant(rs, 7), instant(rs, 8), rs.getString(9), rs.getString(10), rs.getString(11), rs.getString(12));
  }
}
