package io.runbookd.store;

import io.runbookd.model.StepRun;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The remediation steps run for incidents.
 *
 * <p>Every method is <b>blocking</b> JDBC and must be called from a worker thread, never from an
 * event loop. Every method either commits completely, in one transaction, or throws
 * {@link StoreException} and changes nothing. A part of {@link Store}.
 */
public interface StepRunStore {

  /**
   * Records that a step is starting. Fails with empty if a step with the same
   * {@link StepRun#idempotencyKey()} was already started (the step must not run again).
   *
   * @return the stored step with its id
   */
  Optional<StepRun> startStep(StepRun step);

  /** Records the end of a step. */
  void finishStep(long stepId, Instant endedAt, String outcome, String error, String after);

  /**
   * Records the state a step found before it acted (old config values, the offsets it is about to move), in
   * its own transaction, before the step acts: a daemon killed halfway still has it.
   *
   * @throws StoreException when no step has this id
   */
  void recordBefore(long stepId, String before);

  /** Step runs of an incident, in start order. */
  List<StepRun> steps(String incidentId);
}
