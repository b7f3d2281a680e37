package io.runbookd.store;

import static io.runbookd.store.Jdbc.instant;
import static io.runbookd.store.Jdbc.setString;

import io.runbookd.model.NotificationThread;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/** {@link NotificationThreadStore} on the {@code notification_threads} table (V6). */
final class JdbcNotificationThreads implements NotificationThreadStore {
  private static final String COLUMNS =
      "incident_id, notifier, notifier_type, dedup_key, channel, thread_ts, sent_at, followup_done";
  /** The close is due: the incident is closed (recovered, for a PagerDuty trigger) and not told yet. */
  private static final String CLOSE_DUE = "(t.followup_done IS NULL OR t.followup_done <> 'close') AND EXISTS"
      + " (SELECT 1 FROM incidents i WHERE i.id = t.incident_id AND i.closed_at IS NOT NULL"
      + " AND (t.notifier_type <> 'pagerduty' OR i.outcome = 'recovered'))";
  /** The acknowledge is due: a PagerDuty trigger of an open incident whose approval a human rejected. */
  private static final String ACK_DUE = "t.followup_done IS NULL AND t.notifier_type = 'pagerduty' AND EXISTS"
      + " (SELECT 1 FROM incidents i WHERE i.id = t.incident_id AND i.closed_at IS NULL) AND EXISTS"
      + " (SELECT 1 FROM approvals a WHERE a.incident_id = t.incident_id AND a.decision = 'rejected'"
      + " AND a.decided_via = 'human')";

  private final Jdbc jdbc;

  JdbcNotificationThreads(Jdbc jdbc) {
    this.jdbc = Objects.requireNonNull(jdbc, "jdbc");
  }

  @Override
  public void recordNotificationThread(NotificationThread t) {
    Objects.requireNonNull(t, "thread");
    jdbc.execute("recordNotificationThread", c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO notification_threads (" + COLUMNS
          + ") VALUES (?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (incident_id, notifier, dedup_key) DO NOTHING")) {
        ps.setString(1, t.incidentId());
        ps.setString(2, t.notifier());
        ps.setString(3, t.notifierType());
        ps.setString(4, t.dedupKey());
        setString(ps, 5, t.channel());
        setString(ps, 6, t.threadTs());
        ps.setLong(7, t.sentAt().toEpochMilli());
        ps.executeUpdate();
      }
    });
  }

  @Override
  public List<NotificationThread> notificationThreads(String incidentId) {
    Objects.requireNonNull(incidentId, "incidentId");
    return jdbc.read("notificationThreads", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS
          + " FROM notification_threads WHERE incident_id = ? ORDER BY notifier, dedup_key")) {
        ps.setString(1, incidentId);
        return Collections.unmodifiableList(Jdbc.list(ps, JdbcNotificationThreads::thread));
      }
    });
  }

  @Override
  public List<DeliveryClaim<NotificationThread>> claimFollowUps(String owner, Instant now, Duration lease, int limit) {
    Comparator<NotificationThread> order = Comparator.comparing(NotificationThread::incidentId)
        .thenComparing(NotificationThread::notifier).thenComparing(NotificationThread::dedupKey);
    return jdbc.claim("claimFollowUps", owner, now, lease, limit,
        "UPDATE notification_threads SET followup_claimed_by = ?, followup_claimed_until = ?,"
            + " followup_claims = followup_claims + 1 WHERE (incident_id, notifier, dedup_key) IN ("
            + "SELECT t.incident_id, t.notifier, t.dedup_key FROM notification_threads t WHERE"
            + " (t.followup_claimed_until IS NULL OR t.followup_claimed_until <= ?) AND ((" + CLOSE_DUE + ") OR ("
            + ACK_DUE + ")) ORDER BY t.incident_id, t.notifier, t.dedup_key LIMIT ?" + jdbc.dialect().claimLock() + ")"
            + " RETURNING " + COLUMNS + ", followup_claims",
        1, rs -> new DeliveryClaim<>(thread(rs), Math.max(0, rs.getInt(9) - 1)),
        Comparator.comparing(DeliveryClaim<NotificationThread>::item, order));
  }

  @Override
  public void markFollowUpSent(String incidentId, String notifier, String dedupKey, String done, Instant at) {
    Objects.requireNonNull(done, "done");
    Objects.requireNonNull(at, "at");
    jdbc.execute("markFollowUpSent", c -> Jdbc.update(c, "UPDATE notification_threads SET followup_done = ?,"
        + " followup_at = ?, followup_claimed_by = NULL, followup_claimed_until = NULL, followup_claims = 0"
        + " WHERE incident_id = ? AND notifier = ? AND dedup_key = ? AND (followup_done IS NULL OR followup_done <> 'close')",
        done, at, incidentId, notifier, dedupKey == null ? "" : dedupKey));
  }

  @Override
  public void retryFollowUpAt(String incidentId, String notifier, String dedupKey, Instant at) {
    Objects.requireNonNull(at, "at");
    jdbc.execute("retryFollowUpAt", c -> Jdbc.update(c, "UPDATE notification_threads SET followup_claimed_by = NULL,"
        + " followup_claimed_until = ? WHERE incident_id = ? AND notifier = ? AND dedup_key = ?",
        at, incidentId, notifier, dedupKey == null ? "" : dedupKey));
  }

  @Override
  public int releaseFollowUpClaims(String ownerPrefix) {
    return jdbc.release("releaseFollowUpClaims", "notification_threads", "followup_claimed_by",
        "followup_claimed_until", "(followup_done IS NULL OR followup_done <> 'close')", ownerPrefix);
  }

  private static NotificationThread thread(ResultSet rs) throws SQLException {
    return new NotificationThread(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
        rs.getString(5), rs.getString(6), instant(rs, 7), rs.getString(8));
  }
}
