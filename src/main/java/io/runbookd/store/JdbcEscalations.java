package io.runbookd.store;

import static io.runbookd.store.Jdbc.instant;
import static io.runbookd.store.Jdbc.setInstant;
import static io.runbookd.store.Jdbc.setString;

import io.runbookd.model.Escalation;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLDataException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link EscalationStore} on the {@code escalations} table.
 *
 * <p>Escalations are only claimed (and only count for {@link #nextEscalationDue}) while their incident
 * is open, so a closed incident never pages even if its escalations were not cancelled.
 * {@link #nextEscalationDue} reports, for an escalation leased to a claimer, the lease expiry when that
 * is later than its due time: the earliest instant {@link #claimDueEscalations} could return it, so a
 * timer armed on it never spins. {@link #markEscalationFired} keeps the first delivery time and fails
 * with {@link StoreException} for an unknown escalation, as {@link #scheduleEscalation} does for an
 * unknown incident. Every claim adds one to {@code delivery_claims} (V5); {@link #deferEscalation} takes
 * back the claim it drops, since a held escalation was not sent.
 */
final class JdbcEscalations implements EscalationStore {

  private static final String ESCALATION_COLUMNS =
      "incident_id, level, due_at, notifier, message, fired_at, cancelled_at";
  private static final String INCIDENT_IS_OPEN =
      "EXISTS (SELECT 1 FROM incidents i WHERE i.id = e.incident_id AND i.closed_at IS NULL)";
  private static final String PENDING_ESCALATION = "e.fired_at IS NULL AND e.cancelled_at IS NULL";

  private final Jdbc jdbc;

  JdbcEscalations(Jdbc jdbc) {
    this.jdbc = Objects.requireNonNull(jdbc, "jdbc");
  }

  /** {@inheritDoc} The first timer stored for (incident, level) wins. */
  @Override
  public void scheduleEscalation(Escalation escalation) {
    Objects.requireNonNull(escalation, "escalation");
    jdbc.execute("scheduleEscalation", c -> insertEscalation(c, escalation));
  }

  /** {@link #scheduleEscalation} inside the caller's transaction. */
  static void insertEscalation(Connection c, Escalation e) throws SQLException {
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

  /** {@inheritDoc} Only escalations of open incidents are claimed; ordered by due time. */
  @Override
  public List<Escalation> claimDueEscalations(String owner, Instant now, Duration lease, int limit) {
    return claimEscalationDeliveries(owner, now, lease, limit).stream().map(DeliveryClaim::item).toList();
  }

  /** {@inheritDoc} Only escalations of open incidents are claimed. */
  @Override
  public List<DeliveryClaim<Escalation>> claimEscalationDeliveries(String owner, Instant now, Duration lease,
      int limit) {
    Comparator<Escalation> order =
        Comparator.comparing(Escalation::dueAt).thenComparing(Escalation::incidentId).thenComparingInt(Escalation::level);
    return jdbc.claim("claimDueEscalations", owner, now, lease, limit,
        "UPDATE escalations SET claimed_by = ?, claimed_until = ?, delivery_claims = delivery_claims + 1"
            + " WHERE (incident_id, level) IN ("
            + "SELECT e.incident_id, e.level FROM escalations e WHERE " + PENDING_ESCALATION
            + " AND e.due_at <= ? AND (e.claimed_until IS NULL OR e.claimed_until <= ?) AND " + INCIDENT_IS_OPEN
            + " ORDER BY e.due_at, e.incident_id, e.level LIMIT ?" + jdbc.dialect().claimLock() + ")"
            + " RETURNING " + ESCALATION_COLUMNS + ", delivery_claims",
        2, rs -> new DeliveryClaim<>(escalation(rs), Math.max(0, rs.getInt(8) - 1)),
        Comparator.comparing(DeliveryClaim<Escalation>::item, order));
  }

  @Override
  public void retryEscalationAt(String incidentId, int level, Instant at) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(at, "at");
    jdbc.execute("retryEscalationAt", c -> Jdbc.update(c, "UPDATE escalations SET claimed_by = NULL,"
        + " claimed_until = ? WHERE incident_id = ? AND level = ? AND fired_at IS NULL AND cancelled_at IS NULL",
        at, incidentId, level));
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
    jdbc.execute("markEscalationFired", c -> {
      if (Jdbc.update(c, "UPDATE escalations SET fired_at = ? WHERE incident_id = ? AND level = ?"
          + " AND fired_at IS NULL", at, incidentId, level) == 0) {
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
    });
  }

  /** {@inheritDoc} Escalations already cancelled keep their first cancellation time. */
  @Override
  public void cancelEscalations(String incidentId, Instant at) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(at, "at");
    jdbc.execute("cancelEscalations", c -> cancelPending(c, incidentId, at));
  }

  /** {@link #cancelEscalations} inside the caller's transaction. */
  static void cancelPending(Connection c, String incidentId, Instant at) throws SQLException {
    Jdbc.update(c, "UPDATE escalations SET cancelled_at = ? WHERE incident_id = ? AND fired_at IS NULL"
        + " AND cancelled_at IS NULL", at, incidentId);
  }

  @Override
  public List<Escalation> escalations(String incidentId) {
    Objects.requireNonNull(incidentId, "incidentId");
    return jdbc.read("escalations", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT " + ESCALATION_COLUMNS + " FROM escalations WHERE incident_id = ? ORDER BY level")) {
        ps.setString(1, incidentId);
        return Collections.unmodifiableList(Jdbc.list(ps, JdbcEscalations::escalation));
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
    return jdbc.read("nextEscalationDue", c -> {
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

  @Override
  public int releaseEscalationClaims(String ownerPrefix) {
    return jdbc.release("releaseEscalationClaims", "escalations", "claimed_by", "claimed_until",
        "fired_at IS NULL AND cancelled_at IS NULL", ownerPrefix);
  }

  @Override
  public void deferEscalation(String incidentId, int level, Instant dueAt) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(dueAt, "dueAt");
    jdbc.execute("deferEscalation", c -> Jdbc.update(c, "UPDATE escalations SET due_at = ?, claimed_by = NULL,"
        + " claimed_until = NULL, delivery_claims = CASE WHEN delivery_claims > 0 THEN delivery_claims - 1 ELSE 0 END"
        + " WHERE incident_id = ? AND level = ? AND fired_at IS NULL AND cancelled_at IS NULL",
        dueAt, incidentId, level));
  }

  @Override
  public boolean advanceEscalation(String incidentId, int level, Instant dueAt, String note) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(dueAt, "dueAt");
    int[] n = new int[1];
    jdbc.execute("advanceEscalation", c -> n[0] = Jdbc.update(c, "UPDATE escalations SET due_at = ?, message = ?,"
        + " claimed_by = NULL, claimed_until = NULL"
        + " WHERE incident_id = ? AND level = ? AND fired_at IS NULL AND cancelled_at IS NULL",
        dueAt, note, incidentId, level));
    return n[0] > 0;
  }

  private static Escalation escalation(ResultSet rs) throws SQLException {
    return new Escalation(rs.getString(1), rs.getInt(2), instant(rs, 3), rs.getString(4), rs.getString(5),
        instant(rs, 6), instant(rs, 7));
  }
}
