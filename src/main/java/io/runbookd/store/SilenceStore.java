package io.runbookd.store;

import io.runbookd.model.SilenceRef;
import java.time.Instant;
import java.util.List;

/**
 * The Alertmanager silences created by {@code silence} steps (table {@code silences}, V13).
 *
 * <p>Every method is <b>blocking</b> JDBC and must be called from a worker thread, never from an
 * event loop. Every method either commits completely, in one transaction, or throws
 * {@link StoreException} and changes nothing. A part of {@link Store}.
 */
public interface SilenceStore {
  /** Records a silence Alertmanager created (a second record of the same silence changes nothing). */
  void recordSilence(SilenceRef silence);

  /** The silences of an incident, oldest first. */
  List<SilenceRef> silences(String incidentId);

  /**
   * Silences due to be expired, at most {@code limit}: not expired yet, not past their own end at
   * {@code now}, of an incident that is closed or ESCALATED. Derived from the incident's row, so the commit
   * that closes or escalates the incident is what makes them due: a crash cannot lose one.
   */
  List<SilenceRef> silencesToExpire(Instant now, int limit);

  /** Marks a silence expired at {@code at}. */
  void silenceExpired(String incidentId, String alertmanager, String silenceId, Instant at);
}
