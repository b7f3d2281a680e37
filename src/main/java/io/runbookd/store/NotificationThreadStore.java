package io.runbookd.store;

import io.runbookd.model.NotificationThread;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Messages receivers accepted about incidents, and the follow-ups that close the loop on them (a
 * PagerDuty {@code resolve} or {@code acknowledge}, a Slack reply in the incident's thread). A follow-up
 * is due from the incident's own state, so the transaction that closes an incident (or records a human
 * rejection) is what makes it due, and no crash can lose it:
 *
 * <ul>
 *   <li>{@code close}: the incident is closed; for a {@code pagerduty} row only when its outcome is
 *       {@code recovered} (a page for anything else stays open for a human);
 *   <li>{@code acknowledge}: a {@code pagerduty} row of an open incident whose approval a human rejected.
 * </ul>
 *
 * <p>Every method is <b>blocking</b> JDBC, called from a worker thread; each commits completely or
 * throws {@link StoreException}. A part of {@link Store}.
 */
public interface NotificationThreadStore {

  /** Records a message the receiver accepted; the first row for (incident, notifier, dedup key) wins. */
  void recordNotificationThread(NotificationThread thread);

  /** The recorded messages of an incident, by notifier and dedup key. */
  List<NotificationThread> notificationThreads(String incidentId);

  /**
   * Claims up to {@code limit} rows whose follow-up is due (see the class comment) and not leased by a
   * live claim; leases them to {@code owner} until {@code now + lease} and counts the claim as a delivery
   * attempt ({@link DeliveryClaim#mayHaveBeenSent()}).
   */
  List<DeliveryClaim<NotificationThread>> claimFollowUps(String owner, Instant now, Duration lease, int limit);

  /**
   * Marks the follow-up {@code done} ({@link NotificationThread#CLOSE} or
   * {@link NotificationThread#ACKNOWLEDGE}) delivered and drops the claim (its attempt count starts again
   * at 0 for the next follow-up). A row already marked {@code close} stays so.
   */
  void markFollowUpSent(String incidentId, String notifier, String dedupKey, String done, Instant at);

  /** Drops the claim of a follow-up whose delivery failed; claimable again from {@code at}. */
  void retryFollowUpAt(String incidentId, String notifier, String dedupKey, Instant at);

  /** Hands back follow-up claims of owners starting with {@code ownerPrefix}; returns how many. */
  int releaseFollowUpClaims(String ownerPrefix);
}
