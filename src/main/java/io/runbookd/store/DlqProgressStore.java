package io.runbookd.store;

import io.runbookd.model.DlqProgress;
import java.util.List;

/**
 * The progress of {@code dlq_replay} step runs, per dead-letter partition: what a replay resumes from after
 * a crash.
 *
 * <p>Every method is <b>blocking</b> JDBC and must be called from a worker thread, never from an event
 * loop. Every method either commits completely, in one transaction, or throws {@link StoreException} and
 * changes nothing. A part of {@link Store}.
 */
public interface DlqProgressStore {

  /**
   * Stores {@code progress} for its step run and partition, replacing what was stored; called once Kafka
   * acknowledged the records replayed up to {@code progress.nextOffset()}.
   *
   * @param incidentId the incident the step run belongs to
   * @throws StoreException when the incident does not exist, or the stored progress of this partition is
   *     further on (progress never goes back)
   */
  void saveDlqProgress(String incidentId, DlqProgress progress);

  /** The stored progress of a step run, by topic and partition; empty when none was stored. */
  List<DlqProgress> dlqProgress(long stepRunId);
}
