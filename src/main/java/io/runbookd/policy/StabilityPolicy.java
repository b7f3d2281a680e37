package io.runbookd.policy;

import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.model.Wait;
import io.runbookd.rules.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The stable streak, as a pure function of one observation: a fix is verified when the connector has
 * been in a state without interruption for {@code stableFor}. One RUNNING reading proves nothing: after
 * a restart, a task that still cannot reach its database goes RUNNING, then FAILED again a few seconds
 * later (Kafka Connect keeps a failed task FAILED until it is restarted; see the Connect REST API docs,
 * "GET /connectors/{name}/status", https://kafka.apache.org/documentation/#connect_rest).
 *
 * <p>The streak must start by the wait's {@link Wait#deadline()}; once started it may finish after it. A
 * reading that fails (Connect unreachable, 409) breaks the streak. A RUNNING wait fails fast: once a
 * reading showed nothing FAILED ({@link Wait#leftFailedAt()}, the restart took effect), a reading with the
 * connector or a task FAILED fails the wait at once instead of at its deadline; readings that still show
 * the FAILED state from before the action (Connect applies a restart asynchronously) do not count. Nothing
 * here reads a clock.
 */
public final class StabilityPolicy {
  /** The reason of a verdict on a connector that Connect answered 404 for. */
  public static final String NOT_FOUND = "connector not found";

  private StabilityPolicy() {}

  /** What one reading of the connector means for a wait. */
  public sealed interface Verdict permits Verdict.Stable, Verdict.Again, Verdict.Failed {
    /** The state held for the whole {@code stableFor}, from {@code since}. */
    record Stable(Instant since) implements Verdict {}

    /** Not decided yet: read again at {@code at}; {@code next} carries the streak. */
    record Again(Instant at, Wait next) implements Verdict {
      public Again {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(next, "next");
      }
    }

    /**
     * No streak started by the deadline. {@code gone} is true when Connect answered 404 (the connector was
     * deleted); {@code reason} is for humans.
     */
    record Failed(String reason, boolean gone) implements Verdict {
      public Failed {
        Objects.requireNonNull(reason, "reason");
      }
    }
  }

  /**
   * One reading of the connector.
   *
   * @param status the status read, or null when the read failed
   * @param readError why the read failed ({@link #NOT_FOUND} for a 404), null when it succeeded
   */
  public record Reading(ConnectorStatus status, String readError) {
    /** A successful read. */
    public static Reading of(ConnectorStatus status) {
      return new Reading(Objects.requireNonNull(status, "status"), null);
    }

    /** A failed read. */
    public static Reading failed(String error) {
      return new Reading(null, Objects.requireNonNull(error, "error"));
    }

    /** True when Connect answered 404. */
    public boolean notFound() {
      return status == null && NOT_FOUND.equals(readError);
    }
  }

  /**
   * Decides a state wait after reading the connector at {@code now}.
   *
   * @param wait the stored wait (its {@code state} must not be null)
   * @param reading what Connect answered
   * @param now the time of the reading
   * @param pollInterval how often to read while the verdict is open
   */
  public static Verdict observe(Wait wait, Reading reading, Instant now, Duration pollInterval) {
    Objects.requireNonNull(wait.state(), "a state wait");
    if (wait.state() == ConnectorState.RUNNING && reading.status() != null) {
      if (!reading.status().hasFailure()) {
        wait = wait.leftFailedAt() == null ? wait.withLeftFailedAt(now) : wait;
      } else if (wait.leftFailedAt() != null) {
        // Connect keeps a failed instance FAILED until it is restarted: once this wait saw nothing FAILED
        // (the restart took effect), FAILED means the action did not hold, and waiting on cannot help.
        return new Verdict.Failed("FAILED again after the restart: " + describe(reading.status()), false);
      }
    }
    boolean holds = reading.status() != null && holds(reading.status(), wait.state());
    Instant streak = holds ? (wait.stableSince() == null ? now : wait.stableSince()) : null;
    if (streak != null && !now.isBefore(streak.plus(wait.stableFor()))) {
      return new Verdict.Stable(streak);
    }
    if (streak == null && now.isAfter(wait.deadline())) {
      if (reading.notFound()) {
        return new Verdict.Failed(NOT_FOUND, true);
      }
      String why = reading.status() == null ? "status unavailable: " + reading.readError() : describe(reading.status());
      return new Verdict.Failed("not " + wait.state() + " and stable for " + Durations.format(wait.stableFor())
          + " in time: " + why, false);
    }
    long waitMs = pollInterval.toMillis();
    if (streak != null) {
      long remaining = Duration.between(now, streak.plus(wait.stableFor())).toMillis();
      waitMs = Math.max(1, Math.min(waitMs, remaining));
    }
    return new Verdict.Again(now.plusMillis(waitMs), wait.withStableSince(streak));
  }

  /**
   * True when {@code status} is in {@code state}, as {@code GET /connectors/{name}/status} reports it
   * (Connect REST API docs, https://kafka.apache.org/documentation/#connect_rest):
   * <ul>
   *   <li>RUNNING: the connector and every task RUNNING.
   *   <li>PAUSED: the connector PAUSED and every task PAUSED, or FAILED: pausing a connector pauses its
   *       running tasks, but a task that had already failed has no thread left to pause and stays FAILED
   *       (it processes nothing either). A task still RUNNING, UNASSIGNED or RESTARTING has not paused yet.
   *   <li>STOPPED: the connector STOPPED and no task listed: stopping a connector shuts its tasks down and
   *       removes their configurations, so a stopped connector has no tasks (KIP-875, Kafka 3.5+). Tasks
   *       still listed are still being shut down.
   *   <li>Any other state: the connector's state.
   * </ul>
   */
  public static boolean holds(ConnectorStatus status, ConnectorState state) {
    return switch (state) {
      case RUNNING -> status.isHealthy();
      case PAUSED -> status.connector().state() == ConnectorState.PAUSED && status.tasks().stream()
          .allMatch(t -> t.status().state() == ConnectorState.PAUSED || t.status().state() == ConnectorState.FAILED);
      case STOPPED -> status.connector().state() == ConnectorState.STOPPED && status.tasks().isEmpty();
      default -> status.connector().state() == state;
    };
  }

  /**
   * What a verification of {@code state} says once it held, for the timeline: {@code RUNNING and stable
   * for 60s}, or for an expected pause or stop {@code connector PAUSED as requested, held for 5s}.
   */
  public static String verified(ConnectorState state, Duration stableFor) {
    return state == ConnectorState.RUNNING ? "RUNNING and stable for " + Durations.format(stableFor)
        : "connector " + state + " as requested, held for " + Durations.format(stableFor);
  }

  /** For humans, e.g. {@code connector RUNNING, task 0 FAILED}. */
  public static String describe(ConnectorStatus s) {
    StringBuilder out = new StringBuilder("connector ").append(s.connector().state());
    for (ConnectorStatus.TaskStatus t : s.tasks()) {
      out.append(", task ").append(t.id()).append(' ').append(t.status().state());
    }
    return out.toString();
  }
}
