package io.runbookd.policy;

import io.runbookd.model.ClusterLimits;
import io.runbookd.model.IncidentState;
import io.runbookd.model.Reservation;
import io.runbookd.model.Storm;
import io.runbookd.model.StormMember;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Pure decisions of the cluster guards: whether a remediation may act on a Connect cluster now (blast
 * radius), and what a new failure does to the cluster's storm. Like Cruise Control's
 * {@code SelfHealingNotifier}, the answer is a value: {@link Decision.Act}, {@link Decision.Defer} with
 * the instant to try again, {@link Decision.StormHold} while a storm lasts, or {@link Decision.Blocked}
 * when the attempt can never fit. Nothing here reads a clock or does I/O: the store calls
 * {@link #admit} inside the transaction that records the reservation, so the limits hold across
 * concurrent remediations and across replicas sharing the store.
 *
 * <p><b>Counting actions.</b> An action counts in the window {@code (now - actionWindow, now]}. A
 * reservation still held by a running remediation counts with all of its {@code planned} actions (it may
 * issue them at any moment); a released one, or one whose replica died, counts with the actions it
 * {@code used}, while its last action returned within the window. Since a remediation's actions happen
 * after its admission and before its release, no window of length {@code actionWindow} ever holds more
 * than {@code maxActions} actions, measured when they reach Connect.
 */
public final class ClusterGuardPolicy {
  private ClusterGuardPolicy() {}

  /** Why an attempt waits; also the {@code reason} label of {@code runbookd_guard_deferrals_total}. */
  public enum Reason {
    /** A failure storm on the cluster. */
    STORM,
    /** The cluster's {@code max_concurrent_remediations} is reached. */
    CONCURRENCY,
    /** The cluster's {@code max_actions} per {@code action_window} is reached. */
    ACTIONS,
    /** {@code GET /health} failed. */
    UNHEALTHY,
    /** Connect answered 409: a rebalance is under way. */
    REBALANCE;

    /** The metric label value. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A decision about acting on a cluster now. */
  public sealed interface Decision permits Decision.Act, Decision.Defer, Decision.StormHold, Decision.Blocked {
    /** Go ahead: the reservation is taken. */
    record Act() implements Decision {}

    /** Not now: try again at {@code until}; {@code detail} is for humans. */
    record Defer(Instant until, Reason reason, String detail) implements Decision {
      public Defer {
        Objects.requireNonNull(until, "until");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(detail, "detail");
      }
    }

    /** A storm is active: automatic actions wait until {@code until} (re-checked then). */
    record StormHold(Instant until, Storm storm) implements Decision {
      public StormHold {
        Objects.requireNonNull(until, "until");
        Objects.requireNonNull(storm, "storm");
      }
    }

    /** Never, with these limits: the attempt alone needs more actions than a window allows. */
    record Blocked(String detail) implements Decision {
      public Blocked {
        Objects.requireNonNull(detail, "detail");
      }
    }
  }

  /**
   * Whether {@code incidentId} may start a segment of {@code planned} Connect actions on a cluster now.
   *
   * @param limits the cluster's limits
   * @param storm the cluster's latest storm, if any
   * @param reservations the cluster's reservations that may still count: in flight, or with an action
   *     that returned within the window (others are ignored)
   * @param incidentId the incident asking; its own earlier reservations do not count as concurrent
   * @param planned Connect actions of the segment, at least 1
   * @param now the decision time
   */
  public static Decision admit(ClusterLimits limits, Optional<Storm> storm, List<Reservation> reservations,
      String incidentId, int planned, Instant now) {
    if (planned < 1) {
      throw new IllegalArgumentException("planned must be >= 1, got " + planned);
    }
    if (storm.isPresent() && storm.get().activeAt(now)) {
      return new Decision.StormHold(storm.get().quietUntil(), storm.get());
    }
    if (planned > limits.maxActions()) {
      return new Decision.Blocked("the attempt needs " + planned + " Connect actions but the cluster allows "
          + limits.maxActions() + " per " + io.runbookd.rules.Durations.format(limits.actionWindow())
          + " (guards.max_actions)");
    }
    Set<String> running = new HashSet<>();
    for (Reservation r : reservations) {
      if (r.inFlight() && !r.incidentId().equals(incidentId)) {
        running.add(r.incidentId());
      }
    }
    if (running.size() >= limits.maxConcurrentRemediations()) {
      return new Decision.Defer(now.plus(limits.recheck()), Reason.CONCURRENCY, running.size() + " of "
          + limits.maxConcurrentRemediations() + " remediations already running on the cluster"
          + " (guards.max_concurrent_remediations)");
    }
    Instant windowStart = now.minus(limits.actionWindow());
    int counted = 0;
    List<Reservation> expiring = new ArrayList<>();
    for (Reservation r : reservations) {
      int n = counted(r, windowStart);
      counted += n;
      if (n > 0 && !r.inFlight()) {
        expiring.add(r);
      }
    }
    if (counted + planned <= limits.maxActions()) {
      return new Decision.Act();
    }
    // The earliest instant enough counted actions leave the window: a released reservation stops
    // counting at lastActedAt + window exactly. Held ones only leave when released: re-check then.
    int excess = counted + planned - limits.maxActions();
    expiring.sort(Comparator.comparing(Reservation::lastActedAt));
    Instant until = null;
    for (Reservation r : expiring) {
      excess -= r.used();
      if (excess <= 0) {
        until = r.lastActedAt().plus(limits.actionWindow());
        break;
      }
    }
    if (until == null) {
      until = now.plus(limits.recheck());
    }
    return new Decision.Defer(until, Reason.ACTIONS, counted + " Connect actions in the last "
        + io.runbookd.rules.Durations.format(limits.actionWindow()) + " (in flight included); this attempt needs "
        + planned + " of at most " + limits.maxActions() + " (guards.max_actions)");
  }

  /** The actions {@code r} counts in the window that starts (exclusive) at {@code windowStart}. */
  static int counted(Reservation r, Instant windowStart) {
    if (r.inFlight()) {
      return r.planned();
    }
    return r.lastActedAt() != null && r.lastActedAt().isAfter(windowStart) ? r.used() : 0;
  }

  /** What one more failure does to a cluster's storm. */
  public enum StormChange {
    /** Nothing: no storm, or detection is off. */
    NONE,
    /** The failure crossed the threshold: a storm starts now. */
    START,
    /** A storm is active: it now lasts until the failure time plus the window. */
    EXTEND
  }

  /**
   * The effect of a failure (an incident opened) at {@code at} on a cluster.
   *
   * @param settings the cluster's storm settings
   * @param active the cluster's storm that has not ended, if any (it may be over already)
   * @param connectorsInWindow distinct connectors of the cluster with an incident opened in
   *     {@code (at - window, at]}, this failure included
   * @param at the failure time
   */
  public static StormChange onFailure(ClusterLimits.StormSettings settings, Optional<Storm> active,
      int connectorsInWindow, Instant at) {
    if (active.isPresent() && active.get().activeAt(at)) {
      return StormChange.EXTEND;
    }
    if (settings.enabled() && connectorsInWindow >= settings.connectors()) {
      return StormChange.START;
    }
    return StormChange.NONE;
  }

  /**
   * Until when a storm with detection window {@code window} lasts after a failure at {@code at}: it ends
   * once no failure arrived for a whole window, at {@code at + window}.
   */
  public static Instant quietUntil(java.time.Duration window, Instant at) {
    return at.plus(window);
  }

  /** How many connector names a storm message lists per group. */
  public static final int STORM_MESSAGE_NAMES = 10;

  /**
   * True when a member of {@code storm} is settled: its incident is closed, is with a human (escalated
   * or awaiting approval), or its post-storm attempt failed (it is OPEN again, waiting for its next try,
   * and an attempt of its budget ended after the hold's end). A member whose attempt is running or being
   * verified (REMEDIATING) is not settled.
   */
  public static boolean settled(Storm storm, StormMember m) {
    return m.state() == IncidentState.CLOSED || m.state() == IncidentState.ESCALATED
        || m.state() == IncidentState.AWAITING_APPROVAL
        || m.state() == IncidentState.OPEN && m.lastAttemptAt() != null && m.lastAttemptAt().isAfter(storm.quietUntil());
  }

  /**
   * True when {@code storm} is over, so its one "storm over" message is due: its hold has ended at
   * {@code now} and every member ({@link StormMember}) is {@link #settled}.
   */
  public static boolean over(Storm storm, List<StormMember> members, Instant now) {
    return !storm.activeAt(now) && members.stream().allMatch(m -> settled(storm, m));
  }

  /**
   * The "storm over" message: how many of the storm's connectors recovered (their latest member incident
   * is closed) and how many did not, with the first {@link #STORM_MESSAGE_NAMES} names of each, in name
   * order.
   */
  public static String overMessage(Storm storm, List<StormMember> members) {
    java.util.Map<String, StormMember> latest = new java.util.TreeMap<>();
    members.forEach(m -> latest.put(m.connector(), m));
    List<String> recovered = new ArrayList<>();
    List<String> failing = new ArrayList<>();
    latest.forEach((connector, m) -> (m.state() == IncidentState.CLOSED ? recovered : failing).add(connector));
    return "runbookd: failure storm on Connect cluster " + storm.cluster() + " (from " + storm.startedAt()
        + ") is over: " + recovered.size() + " of " + latest.size() + " connectors recovered" + names(recovered)
        + "; " + failing.size() + " did not" + names(failing) + (failing.isEmpty() ? "." : " and follow their own"
        + " rules now. Open incidents: GET /api/v1/incidents?cluster=" + storm.cluster() + "&state=open");
  }

  private static String names(List<String> connectors) {
    if (connectors.isEmpty()) {
      return "";
    }
    int more = connectors.size() - STORM_MESSAGE_NAMES;
    return " (" + String.join(", ", connectors.subList(0, Math.min(STORM_MESSAGE_NAMES, connectors.size())))
        + (more > 0 ? " and " + more + " more" : "") + ")";
  }
}
