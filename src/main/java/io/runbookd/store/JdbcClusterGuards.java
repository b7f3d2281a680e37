package io.runbookd.store;

import static io.runbookd.store.Jdbc.instant;
import static io.runbookd.store.Jdbc.setString;

import io.runbookd.model.ClusterLimits;
import io.runbookd.model.IncidentState;
import io.runbookd.model.Reservation;
import io.runbookd.model.Storm;
import io.runbookd.model.StormMember;
import io.runbookd.policy.Admission;
import io.runbookd.policy.ClusterGuardPolicy;
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
import java.util.Objects;
import java.util.Optional;

/**
 * {@link ClusterGuardStore} on the {@code cluster_storms}, {@code guard_reservations} and
 * {@code cluster_guards} tables. Decisions on one cluster are serialized by a lock on its
 * {@code cluster_guards} row ({@link Dialect#rowLock()}), across threads and replicas.
 */
final class JdbcClusterGuards implements ClusterGuardStore {

  private static final String STORM_COLUMNS =
      "id, cluster, started_at, last_failure_at, quiet_until, window_ms, notifier, summary_sent_at, ended_at";
  private static final String STORM_BY_ID = "SELECT " + STORM_COLUMNS + " FROM cluster_storms WHERE id = ?";
  private static final String FAILING_CONNECTORS = "SELECT COUNT(DISTINCT connector) FROM incidents"
      + " WHERE cluster = ? AND opened_at > ? AND opened_at <= ?";
  /** Connector names listed in a storm's sample. */
  static final int STORM_SAMPLE = 10;

  private final Jdbc jdbc;

  JdbcClusterGuards(Jdbc jdbc) {
    this.jdbc = Objects.requireNonNull(jdbc, "jdbc");
  }

  /** {@inheritDoc} A storm that would start while another is being ended by a concurrent call is re-evaluated. */
  @Override
  public Optional<Storm> noteClusterFailure(String cluster, Instant at, ClusterLimits.StormSettings settings) {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(settings, "settings");
    return jdbc.write("noteClusterFailure", c -> noteFailure(c, cluster, at, settings));
  }

  /** {@link #noteClusterFailure} inside the caller's transaction; it takes the cluster's lock. */
  Optional<Storm> noteFailure(Connection c, String cluster, Instant at, ClusterLimits.StormSettings settings)
      throws SQLException {
    lockCluster(c, cluster);
    Optional<Storm> current = selectCurrentStorm(c, cluster);
    if (current.isPresent() && !current.get().activeAt(at)) {
      endStorm(c, current.get().id());
      current = Optional.empty();
    }
    // No upper bound: openings of one webhook are stamped before they queue for this lock, so one that
    // committed first may carry a later stamp; every committed failure since the window began counts.
    int failing = countFailing(c, cluster, at.minus(settings.window()).toEpochMilli(), Long.MAX_VALUE);
    switch (ClusterGuardPolicy.onFailure(settings, current, failing, at)) {
      case EXTEND -> {
        Storm s = current.orElseThrow();
        Jdbc.update(c, "UPDATE cluster_storms SET last_failure_at = ?, quiet_until = ? WHERE id = ?"
            + " AND last_failure_at <= ?", at, ClusterGuardPolicy.quietUntil(s.window(), at), s.id(), at);
        return Optional.empty();
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
        return selectStorms(c, STORM_BY_ID, id).stream().findFirst();
      }
      default -> {
        return Optional.empty();
      }
    }
  }

  @Override
  public Optional<Storm> currentStorm(String cluster) {
    Objects.requireNonNull(cluster, "cluster");
    return jdbc.read("currentStorm", c -> selectCurrentStorm(c, cluster));
  }

  @Override
  public Optional<Storm> latestStorm(String cluster) {
    Objects.requireNonNull(cluster, "cluster");
    return jdbc.read("latestStorm", c -> selectStorms(c, "SELECT " + STORM_COLUMNS
        + " FROM cluster_storms WHERE cluster = ? ORDER BY id DESC LIMIT 1", cluster).stream().findFirst());
  }

  @Override
  public List<Storm> claimStormSummaries(String owner, Instant now, Duration lease, int limit) {
    return claimStormSummaryDeliveries(owner, now, lease, limit).stream().map(DeliveryClaim::item).toList();
  }

  @Override
  public List<DeliveryClaim<Storm>> claimStormSummaryDeliveries(String owner, Instant now, Duration lease,
      int limit) {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(now, "now");
    Jdbc.requireLease(lease);
    if (limit <= 0) {
      return List.of();
    }
    return claimDeliveries("claimStormSummaries", SUMMARY_DUE, owner, now, lease, limit);
  }

  /** An unsent summary. */
  private static final String SUMMARY_DUE = "summary_sent_at IS NULL";
  /** A due, unsent "storm over" message (its summary was sent, so the claim columns are free for it). */
  private static final String OVER_DUE = "summary_sent_at IS NOT NULL AND over_at IS NOT NULL AND over_sent_at IS NULL";

  /** Claims the storms with a notifier whose message {@code due} holds, counting each claim as a delivery. */
  private List<DeliveryClaim<Storm>> claimDeliveries(String op, String due, String owner, Instant now, Duration lease,
      int limit) {
    return jdbc.write(op, c -> {
      List<long[]> rows = Jdbc.claimRows(c, "UPDATE cluster_storms SET claimed_by = ?, claimed_until = ?,"
          + " delivery_claims = delivery_claims + 1"
          + " WHERE id IN (SELECT id FROM cluster_storms WHERE " + due + " AND notifier IS NOT NULL"
          + " AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY started_at, id LIMIT ?"
          + jdbc.dialect().claimLock() + ") RETURNING id, delivery_claims", owner, now, lease, 1, limit,
          rs -> new long[] {rs.getLong(1), rs.getLong(2)});
      List<DeliveryClaim<Storm>> out = new ArrayList<>();
      for (long[] row : rows) {
        for (Storm s : selectStorms(c, STORM_BY_ID, row[0])) {
          out.add(new DeliveryClaim<>(s, (int) Math.max(0, row[1] - 1)));
        }
      }
      out.sort(Comparator.comparing((DeliveryClaim<Storm> d) -> d.item().startedAt())
          .thenComparingLong(d -> d.item().id()));
      return Collections.unmodifiableList(out);
    });
  }

  /** {@inheritDoc} Claims on unsent "storm over" messages are handed back too. */
  @Override
  public int releaseStormSummaryClaims(String ownerPrefix) {
    return jdbc.release("releaseStormSummaryClaims", "cluster_storms", "claimed_by", "claimed_until",
        "(" + SUMMARY_DUE + " OR " + OVER_DUE + ")", ownerPrefix);
  }

  @Override
  public List<StormMember> stormMembers(Storm storm) {
    Objects.requireNonNull(storm, "storm");
    return jdbc.read("stormMembers", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT i.id, i.connector, i.state, b.last_attempt_at"
          + " FROM incidents i LEFT JOIN budgets b ON b.cluster = i.cluster AND b.connector = i.connector"
          + " AND b.rule = i.rule WHERE i.cluster = ? AND i.opened_at >= ? AND i.opened_at <= ?"
          + " ORDER BY i.connector, i.opened_at, i.id")) {
        ps.setString(1, storm.cluster());
        ps.setLong(2, storm.startedAt().minus(storm.window()).toEpochMilli());
        ps.setLong(3, storm.quietUntil().toEpochMilli());
        return Jdbc.list(ps, rs -> new StormMember(rs.getString(1), rs.getString(2),
            IncidentState.valueOf(rs.getString(3)), instant(rs, 4)));
      }
    });
  }

  @Override
  public List<Storm> stormsAwaitingOver() {
    return jdbc.read("stormsAwaitingOver", c -> selectStorms(c, "SELECT " + STORM_COLUMNS + " FROM cluster_storms"
        + " WHERE ended_at IS NOT NULL AND summary_sent_at IS NOT NULL AND notifier IS NOT NULL AND over_at IS NULL"
        + " AND id > ? ORDER BY started_at, id", 0L));
  }

  @Override
  public void markStormOver(long stormId, Instant at) {
    Objects.requireNonNull(at, "at");
    jdbc.execute("markStormOver", c -> Jdbc.update(c, "UPDATE cluster_storms SET over_at = ?, delivery_claims = 0,"
        + " claimed_by = NULL, claimed_until = NULL WHERE id = ? AND over_at IS NULL AND summary_sent_at IS NOT NULL",
        at, stormId));
  }

  @Override
  public List<DeliveryClaim<Storm>> claimStormOverDeliveries(String owner, Instant now, Duration lease, int limit) {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(now, "now");
    Jdbc.requireLease(lease);
    if (limit <= 0) {
      return List.of();
    }
    return claimDeliveries("claimStormOvers", OVER_DUE, owner, now, lease, limit);
  }

  @Override
  public void retryStormOverAt(long stormId, Instant at) {
    Objects.requireNonNull(at, "at");
    jdbc.execute("retryStormOverAt", c -> Jdbc.update(c, "UPDATE cluster_storms SET claimed_by = NULL,"
        + " claimed_until = ? WHERE id = ? AND " + OVER_DUE, at, stormId));
  }

  @Override
  public void markStormOverSent(long stormId, Instant at) {
    Objects.requireNonNull(at, "at");
    jdbc.execute("markStormOverSent", c -> Jdbc.update(c, "UPDATE cluster_storms SET over_sent_at = ?,"
        + " claimed_by = NULL, claimed_until = NULL WHERE id = ? AND " + OVER_DUE, at, stormId));
  }

  @Override
  public void retryStormSummaryAt(long stormId, Instant at) {
    Objects.requireNonNull(at, "at");
    jdbc.execute("retryStormSummaryAt", c -> Jdbc.update(c, "UPDATE cluster_storms SET claimed_by = NULL,"
        + " claimed_until = ? WHERE id = ? AND summary_sent_at IS NULL", at, stormId));
  }

  @Override
  public void markStormSummarySent(long stormId, Instant at) {
    Objects.requireNonNull(at, "at");
    jdbc.execute("markStormSummarySent", c -> Jdbc.update(c, "UPDATE cluster_storms SET summary_sent_at = ?,"
        + " claimed_by = NULL, claimed_until = NULL WHERE id = ? AND summary_sent_at IS NULL", at, stormId));
  }

  /** {@inheritDoc} A storm's end time is its {@code quietUntil}. */
  @Override
  public List<Storm> endStorms(Instant now) {
    Objects.requireNonNull(now, "now");
    return jdbc.write("endStorms", c -> {
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
    return jdbc.write("admit", c -> {
      lockCluster(c, cluster);
      // A reservation whose incident is no longer leased by anyone is held by nobody: release it.
      Jdbc.update(c, "UPDATE guard_reservations SET released_at = ?"
          + " WHERE cluster = ? AND released_at IS NULL AND NOT EXISTS (SELECT 1 FROM incidents i"
          + " WHERE i.id = guard_reservations.incident_id AND i.lease_until > ?)"
          + " AND NOT " + WaitRows.heldByWait("guard_reservations.id"), nowMs, cluster, nowMs);
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
        reservations = Jdbc.list(ps, rs -> new Reservation(rs.getLong(1), rs.getString(2), rs.getInt(3), rs.getInt(4),
            instant(rs, 5), instant(rs, 6), instant(rs, 7), rs.getInt(8) == 1));
      }
      ClusterGuardPolicy.Decision decision =
          ClusterGuardPolicy.admit(limits, storm, reservations, incidentId, planned, now);
      if (!(decision instanceof ClusterGuardPolicy.Decision.Act)) {
        return new Admission(decision, 0);
      }
      Jdbc.update(c, "UPDATE guard_reservations SET released_at = ? WHERE incident_id = ? AND released_at IS NULL",
          nowMs, incidentId);
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
    jdbc.execute("recordAction", c -> {
      if (Jdbc.update(c, "UPDATE guard_reservations SET used = used + 1, last_acted_at = ? WHERE id = ?", at,
          reservationId) == 0) {
        throw new SQLDataException("no reservation " + reservationId);
      }
    });
  }

  @Override
  public void releaseReservation(long reservationId, Instant at) {
    Objects.requireNonNull(at, "at");
    jdbc.execute("releaseReservation", c -> Jdbc.update(c,
        "UPDATE guard_reservations SET released_at = ? WHERE id = ? AND released_at IS NULL", at, reservationId));
  }

  /** Serializes guard decisions per cluster: a row lock on PostgreSQL; SQLite has one writer anyway. */
  private void lockCluster(Connection c, String cluster) throws SQLException {
    Jdbc.update(c, "INSERT INTO cluster_guards (cluster) VALUES (?) ON CONFLICT (cluster) DO NOTHING", cluster);
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT cluster FROM cluster_guards WHERE cluster = ?" + jdbc.dialect().rowLock())) {
      ps.setString(1, cluster);
      ps.executeQuery().close();
    }
  }

  private static Optional<Storm> selectCurrentStorm(Connection c, String cluster) throws SQLException {
    return selectStorms(c, "SELECT " + STORM_COLUMNS + " FROM cluster_storms WHERE cluster = ? AND ended_at IS NULL",
        cluster).stream().findFirst();
  }

  private static void endStorm(Connection c, long id) throws SQLException {
    Jdbc.update(c, "UPDATE cluster_storms SET ended_at = quiet_until WHERE id = ? AND ended_at IS NULL", id);
  }

  /** Distinct connectors of {@code cluster} with an incident opened in ({@code fromMs}, {@code toMs}]. */
  private static int countFailing(Connection c, String cluster, long fromMs, long toMs) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(FAILING_CONNECTORS)) {
      ps.setString(1, cluster);
      ps.setLong(2, fromMs);
      ps.setLong(3, toMs);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /** Storms with their connector count and sample: the cluster's incidents opened during the storm. */
  private static List<Storm> selectStorms(Connection c, String sql, Object param) throws SQLException {
    List<Storm> raw;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      Jdbc.bind(ps, 1, param);
      raw = Jdbc.list(ps, rs -> new Storm(rs.getLong(1), rs.getString(2), instant(rs, 3), instant(rs, 4),
          instant(rs, 5), Duration.ofMillis(rs.getLong(6)), rs.getString(7), instant(rs, 8), instant(rs, 9), 0,
          List.of()));
    }
    List<Storm> out = new ArrayList<>(raw.size());
    for (Storm s : raw) {
      long from = s.startedAt().minus(s.window()).toEpochMilli();
      // Up to the hold's end, as detection counts (noteFailure): openings of one webhook are stamped before
      // they queue for the cluster lock, so one that started the storm may carry an earlier stamp than
      // another already committed; every failure of the storm is counted and listed.
      long to = s.quietUntil().toEpochMilli();
      int count = countFailing(c, s.cluster(), from, to);
      List<String> sample;
      try (PreparedStatement ps = c.prepareStatement("SELECT connector, MIN(opened_at) AS first FROM incidents"
          + " WHERE cluster = ? AND opened_at > ? AND opened_at <= ? GROUP BY connector ORDER BY first, connector"
          + " LIMIT " + STORM_SAMPLE)) {
        ps.setString(1, s.cluster());
        ps.setLong(2, from);
        ps.setLong(3, to);
        // The first connectors to fail, listed by name: connectors of one webhook open concurrently, so
        // their order of failure is no order a reader can use.
        sample = Jdbc.list(ps, rs -> rs.getString(1)).stream().sorted().toList();
      }
      out.add(new Storm(s.id(), s.cluster(), s.startedAt(), s.lastFailureAt(), s.quietUntil(), s.window(),
          s.notifier(), s.summarySentAt(), s.endedAt(), count, sample));
    }
    return out;
  }
}
