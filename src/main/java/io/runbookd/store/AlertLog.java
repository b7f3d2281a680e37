package io.runbookd.store;

import io.runbookd.model.AlertEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The alert log: every alert event received from Alertmanager, kept until it is processed into an incident.
 *
 * <p>Every method is <b>blocking</b> JDBC and must be called from a worker thread, never from an
 * event loop. Every method either commits completely, in one transaction, or throws
 * {@link StoreException} and changes nothing. A part of {@link Store}.
 */
public interface AlertLog {

  /**
   * Records the alerts of one or more webhooks in one transaction and returns them with ids
   * assigned, in the given order. Only after this returns may the webhook be acknowledged.
   */
  List<AlertEvent> recordAlerts(List<AlertEvent> events);

  /**
   * Claims up to {@code limit} unprocessed alert events, oldest id first, for {@code lease}. A claimed
   * event is not returned again until its lease expires (the claimer died) or it is marked processed.
   */
  List<AlertEvent> claimAlerts(String owner, Instant now, Duration lease, int limit);

  /**
   * Hands back every unprocessed alert event claim whose claimer starts with {@code ownerPrefix}: the
   * event is claimable again at once. Used when a replica stops (its own owner name) and when it starts
   * again under the same identity (the prefix of every owner name of that identity), so nothing waits
   * for a dead run's lease to expire.
   *
   * @param ownerPrefix a non-empty owner name or prefix of owner names
   * @return how many were handed back
   */
  int releaseAlertClaims(String ownerPrefix);

  /**
   * Marks an alert event processed.
   *
   * @param outcome what was done: {@code opened}, {@code joined}, {@code resolved}, {@code unmatched},
   *     {@code healthy}, {@code ignored}, {@code error}
   * @param incidentId the incident it opened or joined, or null
   */
  void markAlertProcessed(long eventId, Instant at, String outcome, String incidentId);

  /**
   * The most recent alert event processed into {@code incidentId} (its labels and annotations feed the
   * message templates), if any.
   */
  Optional<AlertEvent> lastAlert(String incidentId);
}
