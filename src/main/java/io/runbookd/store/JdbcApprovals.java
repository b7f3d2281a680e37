package io.runbookd.store;

import static io.runbookd.store.Jdbc.instant;
import static io.runbookd.store.Jdbc.setInstant;
import static io.runbookd.store.Jdbc.setString;

import io.runbookd.model.Approval;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** {@link ApprovalStore} on the {@code approvals} table. */
final class JdbcApprovals implements ApprovalStore {

  private static final String APPROVAL_COLUMNS =
      "incident_id, attempt, gate, requested_at, expires_at, default_decision, notifier, plan, reason, notified_at,"
          + " decision, decided_via, decided_by, decided_at, comment";
  /** Who decides a cancellation by runbookd itself. */
  static final String RUNBOOKD = "runbookd";

  private final Jdbc jdbc;

  JdbcApprovals(Jdbc jdbc) {
    this.jdbc = Objects.requireNonNull(jdbc, "jdbc");
  }

  @Override
  public Approval requestApproval(Approval request) {
    Objects.requireNonNull(request, "request");
    if (!request.pending()) {
      throw new IllegalArgumentException("requestApproval needs a pending approval, got " + request.state());
    }
    return jdbc.write("requestApproval", c -> {
      Optional<Approval> existing = select(c, request.incidentId(), request.attempt(), request.gate());
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
      return select(c, request.incidentId(), request.attempt(), request.gate()).orElseThrow();
    });
  }

  @Override
  public void markApprovalNotified(String incidentId, int attempt, int gate, Instant at) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(at, "at");
    jdbc.execute("markApprovalNotified", c -> Jdbc.update(c, "UPDATE approvals SET notified_at = ?"
        + " WHERE incident_id = ? AND attempt = ? AND gate = ? AND notified_at IS NULL", at, incidentId, attempt, gate));
  }

  @Override
  public List<Approval> approvals(String incidentId) {
    Objects.requireNonNull(incidentId, "incidentId");
    return jdbc.read("approvals", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + APPROVAL_COLUMNS
          + " FROM approvals WHERE incident_id = ? ORDER BY requested_at, attempt, gate")) {
        ps.setString(1, incidentId);
        return Collections.unmodifiableList(Jdbc.list(ps, JdbcApprovals::approval));
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
    if (!List.of("human", "ttl", RUNBOOKD).contains(via)) {
      throw new IllegalArgumentException("via must be human, ttl or runbookd, got " + via);
    }
    return jdbc.write("decideApproval", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM incidents WHERE id = ?")) {
        ps.setString(1, incidentId);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return new Approval.Outcome(Approval.Outcome.Status.NO_INCIDENT, null);
          }
        }
      }
      Optional<Approval> pending = selectPending(c, incidentId);
      if (pending.isEmpty()) {
        return new Approval.Outcome(Approval.Outcome.Status.NOT_PENDING, latest(c, incidentId).orElse(null));
      }
      Approval p = pending.get();
      if (via.equals("human") && !at.isBefore(p.expiresAt())) {
        return new Approval.Outcome(Approval.Outcome.Status.EXPIRED, p);
      }
      if (via.equals("ttl") && at.isBefore(p.expiresAt())) {
        return new Approval.Outcome(Approval.Outcome.Status.NOT_EXPIRED, p);
      }
      if (!decide(c, p, decision, via, by, comment, at)) {
        // decided concurrently (another transaction got the row lock first): its decision stands
        return new Approval.Outcome(Approval.Outcome.Status.NOT_PENDING, latest(c, incidentId).orElse(null));
      }
      if (!via.equals(RUNBOOKD)) {
        Jdbc.update(c, "UPDATE incidents SET next_action = ?, next_action_at = ?, updated_at = ? WHERE id = ?"
            + " AND state = ? AND closed_at IS NULL", Incident.APPROVAL, at, at, incidentId,
            IncidentState.AWAITING_APPROVAL.name());
      }
      return new Approval.Outcome(Approval.Outcome.Status.DECIDED,
          select(c, incidentId, p.attempt(), p.gate()).orElseThrow());
    });
  }

  /**
   * Cancels the incident's pending approval, if any, inside the caller's transaction (decision
   * CANCELLED, via and by {@code runbookd}).
   *
   * @return true when a pending approval was cancelled
   */
  static boolean cancelPending(Connection c, String incidentId, String comment, Instant at) throws SQLException {
    Optional<Approval> pending = selectPending(c, incidentId);
    return pending.isPresent()
        && decide(c, pending.get(), Approval.Decision.CANCELLED, RUNBOOKD, RUNBOOKD, comment, at);
  }

  /** Records the decision on {@code p} unless it was decided already; true when it was recorded. */
  private static boolean decide(Connection c, Approval p, Approval.Decision decision, String via, String by,
      String comment, Instant at) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE approvals SET decision = ?, decided_via = ?,"
        + " decided_by = ?, decided_at = ?, comment = ? WHERE incident_id = ? AND attempt = ? AND gate = ?"
        + " AND decision IS NULL")) {
      ps.setString(1, decision.label());
      ps.setString(2, via);
      ps.setString(3, by);
      ps.setLong(4, at.toEpochMilli());
      setString(ps, 5, comment);
      ps.setString(6, p.incidentId());
      ps.setInt(7, p.attempt());
      ps.setInt(8, p.gate());
      return ps.executeUpdate() > 0;
    }
  }

  private static Optional<Approval> selectPending(Connection c, String incidentId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + APPROVAL_COLUMNS
        + " FROM approvals WHERE incident_id = ? AND decision IS NULL")) {
      ps.setString(1, incidentId);
      return Jdbc.list(ps, JdbcApprovals::approval).stream().findFirst();
    }
  }

  private static Optional<Approval> select(Connection c, String incidentId, int attempt, int gate) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + APPROVAL_COLUMNS
        + " FROM approvals WHERE incident_id = ? AND attempt = ? AND gate = ?")) {
      ps.setString(1, incidentId);
      ps.setInt(2, attempt);
      ps.setInt(3, gate);
      return Jdbc.list(ps, JdbcApprovals::approval).stream().findFirst();
    }
  }

  private static Optional<Approval> latest(Connection c, String incidentId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + APPROVAL_COLUMNS
        + " FROM approvals WHERE incident_id = ? ORDER BY requested_at DESC, attempt DESC, gate DESC LIMIT 1")) {
      ps.setString(1, incidentId);
      return Jdbc.list(ps, JdbcApprovals::approval).stream().findFirst();
    }
  }

  private static Approval approval(ResultSet rs) throws SQLException {
    String decision = rs.getString(11);
    return new Approval(rs.getString(1), rs.getInt(2), rs.getInt(3), instant(rs, 4), instant(rs, 5),
        "approved".equals(rs.getString(6)), rs.getString(7), rs.getString(8), rs.getString(9), instant(rs, 10),
        decision == null ? null : Approval.Decision.of(decision), rs.getString(12), rs.getString(13), instant(rs, 14),
        rs.getString(15));
  }
}
