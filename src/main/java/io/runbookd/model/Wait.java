package io.runbookd.model;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A stored wait of one incident: the engine looks at the connector again at the incident's
 * {@code nextActionAt} and decides from this record, so no thread and no remediation slot is held while
 * a fix is verified, a {@code wait_for} step polls, or a {@code wait} step sleeps. At most one wait per
 * incident; a daemon that dies mid-wait leaves it to whichever replica claims the incident next.
 *
 * @param incidentId the incident
 * @param kind what the wait is for, which decides what follows it
 * @param attempt the attempt it belongs to (0 for a check outside any attempt)
 * @param step for {@link Kind#STEP}: the index of the {@code wait}/{@code wait_for} step; {@link #RETRY_STEP} for
 *     the verification of a human's retry; -1 otherwise
 * @param stepRunId for {@link Kind#STEP}: the stored step run to finish; 0 otherwise
 * @param state the state that must hold ({@code RUNNING}: connector and every task RUNNING); null for a
 *     {@code wait} step or a config-change wait
 * @param deadline a streak must start by this instant (a {@code wait} step ends at it)
 * @param stableFor how long the state must hold without interruption; zero for a {@code wait} step
 * @param stableSince when the current streak started, null while the state does not hold
 * @param baseline for a config-change wait: the connector config when the wait started, as JSON; else
 *     null
 * @param reservationId the blast-radius reservation of the segment the wait interrupts (released when
 *     the attempt ends); 0 for none
 * @param startedAt when the attempt (or the check) started, for durations
 * @param leftFailedAt for a RUNNING wait: the first reading in which neither the connector nor any task
 *     was FAILED (RESTARTING, UNASSIGNED, RUNNING...); a FAILED reading after it means the action did not
 *     hold and ends the wait at once. Null while every reading so far had something FAILED.
 * @param kafka the Kafka conditions of a {@code wait_for} ({@code lag}, {@code dlq_quiet}) and their readings so
 *     far; null when it has none
 */
public record Wait(
    String incidentId,
    Kind kind,
    int attempt,
    int step,
    long stepRunId,
    ConnectorState state,
    Instant deadline,
    Duration stableFor,
    Instant stableSince,
    String baseline,
    long reservationId,
    Instant startedAt,
    Instant leftFailedAt,
    KafkaWait kafka) {

  /** What a wait is for. */
  public enum Kind {
    /** A {@code wait} or {@code wait_for} step inside a segment: the segment continues after it. */
    STEP,
    /** The verification that ends an attempt: recovered, or the attempt failed. */
    ATTEMPT,
    /**
     * A verification outside an attempt: after a resolved alert, a connector found healthy, or an
     * attempt a dead replica left half done. Stable closes the incident; otherwise the budget decides.
     */
    CHECK,
    /** A verification while an approval is pending: stable closes; otherwise it keeps waiting. */
    APPROVAL_CHECK
  }

  public Wait {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(deadline, "deadline");
    Objects.requireNonNull(stableFor, "stableFor");
    Objects.requireNonNull(startedAt, "startedAt");
  }

  /** A wait without Kafka conditions. */
  public Wait(String incidentId, Kind kind, int attempt, int step, long stepRunId, ConnectorState state,
      Instant deadline, Duration stableFor, Instant stableSince, String baseline, long reservationId,
      Instant startedAt, Instant leftFailedAt) {
    this(incidentId, kind, attempt, step, stepRunId, state, deadline, stableFor, stableSince, baseline, reservationId,
        startedAt, leftFailedAt, null);
  }

  /** A wait that has not yet read the connector out of FAILED. */
  public Wait(String incidentId, Kind kind, int attempt, int step, long stepRunId, ConnectorState state,
      Instant deadline, Duration stableFor, Instant stableSince, String baseline, long reservationId,
      Instant startedAt) {
    this(incidentId, kind, attempt, step, stepRunId, state, deadline, stableFor, stableSince, baseline, reservationId,
        startedAt, null);
  }

  /** A verification that {@code state} holds for {@code stableFor}, starting by {@code now + within}. */
  public static Wait verification(String incidentId, Kind kind, int attempt, ConnectorState state, Instant now,
      Duration within, Duration stableFor, long reservationId, Instant startedAt) {
    return new Wait(incidentId, kind, attempt, -1, 0, state, now.plus(within), stableFor, null, null, reservationId,
        startedAt);
  }

  /** The {@code step} of the {@link Kind#CHECK} verification after a human's "Fixed — retry" restart. */
  public static final int RETRY_STEP = -2;

  /** The verification after a human's "Fixed — retry" restart: a {@link Kind#CHECK} outside any attempt. */
  public static Wait retryVerification(String incidentId, int attempts, Instant now, Duration within, Duration stableFor) {
    return new Wait(incidentId, Kind.CHECK, attempts, RETRY_STEP, 0, ConnectorState.RUNNING, now.plus(within), stableFor,
        null, null, 0, now);
  }

  /** True for the verification of a human's retry. */
  public boolean retry() {
    return kind == Kind.CHECK && step == RETRY_STEP;
  }

  /** True for a {@code wait} step: nothing is polled, the wait ends at {@link #deadline}. */
  public boolean sleep() {
    return kind == Kind.STEP && state == null && baseline == null;
  }

  /** True for a {@code wait_for: { config_change: true }} step. */
  public boolean configChange() {
    return baseline != null;
  }

  /** A copy with the streak start set (null: the state does not hold). */
  public Wait withStableSince(Instant since) {
    return new Wait(incidentId, kind, attempt, step, stepRunId, state, deadline, stableFor, since, baseline,
        reservationId, startedAt, leftFailedAt, kafka);
  }

  /** A copy with {@link #leftFailedAt} set. */
  public Wait withLeftFailedAt(Instant at) {
    return new Wait(incidentId, kind, attempt, step, stepRunId, state, deadline, stableFor, stableSince, baseline,
        reservationId, startedAt, at, kafka);
  }

  /** A copy with {@link #kafka} set. */
  public Wait withKafka(KafkaWait k) {
    return new Wait(incidentId, kind, attempt, step, stepRunId, state, deadline, stableFor, stableSince, baseline,
        reservationId, startedAt, leftFailedAt, k);
  }
}
