package io.runbookd.engine;

import io.runbookd.connect.ConnectApi;
import io.runbookd.connect.ConnectRestException;
import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.time.Instant;

/**
 * Polls a connector's status until it has been in a state without interruption for {@code stableFor}.
 *
 * <p>The streak must start within {@code within} of the call; once started it must last
 * {@code stableFor}. A poll that fails (Connect unreachable, 409) breaks the streak. This is how a
 * fix is verified: a task that cannot reach its database goes RUNNING, then FAILED again a few seconds
 * later, so one RUNNING reading proves nothing (DESIGN.md "The flow of one alert").
 */
public final class StabilityWatcher {

  /**
   * The verdict.
   *
   * @param stable true when the state held for {@code stableFor}
   * @param last the last status seen, may be null when Connect never answered
   * @param reason for humans: what held, or why it did not
   */
  public record Verdict(boolean stable, ConnectorStatus last, String reason) {
    /** True when Connect answered 404: the connector was deleted. */
    public boolean connectorGone() {
      return !stable && last == null && "connector not found".equals(reason);
    }
  }

  private final EngineDeps deps;

  public StabilityWatcher(EngineDeps deps) {
    this.deps = deps;
  }

  /**
   * Watches {@code connector} on {@code api}.
   *
   * @param state the state to hold: RUNNING means connector and every task RUNNING; STOPPED and PAUSED
   *     compare the connector's state
   */
  public Future<Verdict> await(ConnectApi api, String connector, ConnectorState state, Duration within, Duration stableFor) {
    Instant start = deps.now();
    Promise<Verdict> result = Promise.promise();
    poll(api, connector, state, start.plus(within), stableFor, null, null, result);
    return result.future();
  }

  private void poll(ConnectApi api, String connector, ConnectorState state, Instant deadline, Duration stableFor,
      Instant since, ConnectorStatus lastSeen, Promise<Verdict> result) {
    api.status(connector).onComplete(ar -> {
      Instant now = deps.now();
      ConnectorStatus status = ar.succeeded() ? ar.result() : lastSeen;
      boolean holds = ar.succeeded() && holds(ar.result(), state);
      Instant streak = holds ? (since == null ? now : since) : null;
      if (streak != null && !now.isBefore(streak.plus(stableFor))) {
        result.complete(new Verdict(true, status, null));
        return;
      }
      if (streak == null && now.isAfter(deadline)) {
        String why;
        if (ar.failed()) {
          why = "status unavailable: " + ar.cause().getMessage();
          if (ar.cause() instanceof ConnectRestException e && e.isNotFound()) {
            why = "connector not found";
          }
        } else {
          why = describe(ar.result());
        }
        if (ar.failed() && ar.cause() instanceof ConnectRestException e && e.isNotFound()) {
          result.complete(new Verdict(false, null, why));
          return;
        }
        result.complete(new Verdict(false, status, "not " + state + " and stable for "
            + io.runbookd.rules.Durations.format(stableFor) + " in time: " + why));
        return;
      }
      long wait = deps.config().pollInterval().toMillis();
      if (streak != null) {
        long remaining = Duration.between(now, streak.plus(stableFor)).toMillis();
        wait = Math.max(1, Math.min(wait, remaining));
      }
      deps.delay(wait).onComplete(x -> {
        if (x.failed()) {
          // the timer was cancelled: Vert.x is closing
          result.tryFail(x.cause());
          return;
        }
        poll(api, connector, state, deadline, stableFor, streak, status, result);
      });
    });
  }

  static boolean holds(ConnectorStatus status, ConnectorState state) {
    if (state == ConnectorState.RUNNING) {
      return status.isHealthy();
    }
    return status.connector().state() == state;
  }

  /** e.g. {@code connector RUNNING, task 0 FAILED}. */
  public static String describe(ConnectorStatus s) {
    StringBuilder out = new StringBuilder("connector ").append(s.connector().state());
    for (ConnectorStatus.TaskStatus t : s.tasks()) {
      out.append(", task ").append(t.id()).append(' ').append(t.status().state());
    }
    return out.toString();
  }
}
