package io.runbookd.model;

import java.time.Instant;
import java.util.Objects;

/**
 * One incident: a failure of one connector on one Connect cluster, handled by one rule. At most one
 * incident per (cluster, connector) is open at a time; every alert for that connector joins it.
 *
 * @param id stable identifier, e.g. {@code inc-01J9...}
 * @param cluster Connect cluster name from runbookd.yaml
 * @param connector connector name
 * @param rule the rule that matched when the incident opened
 * @param state lifecycle state
 * @param outcome for a CLOSED incident, the {@link Outcome#label()} of how it ended: {@code recovered}
 *     (verified after runbookd acted), {@code healthy} (verified healthy without any action), {@code shadow}
 *     (dry run), or {@code connector_deleted}; null while open
 * @param attempts remediation attempts started within this incident (the attempt number of the latest);
 *     the attempt budget counts only attempts that acted (see {@link Budget})
 * @param cause the cause line of the trace (the last "Caused by:" line, or the first line)
 * @param trace the full trace seen when the incident opened (may be null)
 * @param openedAt when the incident opened
 * @param updatedAt last change
 * @param closedAt when it closed, null while open
 * @param nextActionAt when the engine should next act on it (remediate or verify), null for none
 * @param nextAction {@code remediate}, {@code verify}, {@code approval} (waiting for a decision),
 *     {@code resume} (continue an approved attempt) or {@code wait} (look again for the stored {@link Wait});
 *     null when {@code nextActionAt} is null
 * @param alertResolvedAt when the last resolved alert for it arrived, null if none since the last
 *     firing
 * @param leaseOwner replica that holds the incident while acting, null when free
 * @param leaseUntil lease expiry, null when free
 */
public record Incident(
    String id,
    String cluster,
    String connector,
    String rule,
    IncidentState state,
    String outcome,
    int attempts,
    String cause,
    String trace,
    Instant openedAt,
    Instant updatedAt,
    Instant closedAt,
    Instant nextActionAt,
    String nextAction,
    Instant alertResolvedAt,
    String leaseOwner,
    Instant leaseUntil) {

  public static final String REMEDIATE = "remediate";
  /**
   * {@link #nextAction()} of an incident an operator asked for ({@code POST /api/v1/actions}): its first
   * attempt runs even when the connector looks healthy (an emergency pause of a running connector).
   */
  public static final String REQUESTED = "requested";
  public static final String VERIFY = "verify";
  /** Next action while AWAITING_APPROVAL: apply the decision, or the TTL default at {@code nextActionAt}. */
  public static final String APPROVAL = "approval";
  /** Continue an approved attempt after its gate (the approval says where). */
  public static final String RESUME = "resume";
  /** Look at the connector again for the incident's stored {@link Wait} (a verification or a wait step). */
  public static final String WAIT = "wait";
  /**
   * Next action: a human's "Fixed — retry": restart the failed tasks once and verify, outside the attempt
   * budget ({@link RetryOutcome}).
   */
  public static final String RETRY = "retry";

  public Incident {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(connector, "connector");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(openedAt, "openedAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
  }

  /** A copy in {@code state}, updated at {@code now}. */
  public Incident withState(IncidentState newState, Instant now) {
    return new Incident(id, cluster, connector, rule, newState, outcome, attempts, cause, trace, openedAt, now,
        closedAt, nextActionAt, nextAction, alertResolvedAt, leaseOwner, leaseUntil);
  }

  /** A copy with the next action set (both null for none). */
  public Incident withNextAction(String action, Instant at, Instant now) {
    return new Incident(id, cluster, connector, rule, state, outcome, attempts, cause, trace, openedAt, now,
        closedAt, at, action, alertResolvedAt, leaseOwner, leaseUntil);
  }

  /** A copy with {@code attempts} set. */
  public Incident withAttempts(int n, Instant now) {
    return new Incident(id, cluster, connector, rule, state, outcome, n, cause, trace, openedAt, now,
        closedAt, nextActionAt, nextAction, alertResolvedAt, leaseOwner, leaseUntil);
  }

  /** A copy with the resolved-alert time set (null clears it). */
  public Incident withAlertResolvedAt(Instant at, Instant now) {
    return new Incident(id, cluster, connector, rule, state, outcome, attempts, cause, trace, openedAt, now,
        closedAt, nextActionAt, nextAction, at, leaseOwner, leaseUntil);
  }

  /**
   * A copy recording how the incident ended so far while it stays with people ({@code gave_up},
   * {@code escalated}, {@code config_error}); closing it later records the final outcome.
   */
  public Incident withOutcome(Outcome ended, Instant now) {
    return new Incident(id, cluster, connector, rule, state, ended.label(), attempts, cause, trace, openedAt, now,
        closedAt, nextActionAt, nextAction, alertResolvedAt, leaseOwner, leaseUntil);
  }

  /** A CLOSED copy with {@code outcome}, no next action and no lease. */
  public Incident closed(String closeOutcome, Instant now) {
    return new Incident(id, cluster, connector, rule, IncidentState.CLOSED, closeOutcome, attempts, cause, trace,
        openedAt, now, now, null, null, alertResolvedAt, null, null);
  }

  /** A copy without a lease. */
  public Incident released(Instant now) {
    return new Incident(id, cluster, connector, rule, state, outcome, attempts, cause, trace, openedAt, now,
        closedAt, nextActionAt, nextAction, alertResolvedAt, null, null);
  }

  /** The log and store context: the incident's id, rule, cluster and connector (see {@link LogContext}). */
  public LogContext context() {
    return new LogContext(id, rule, cluster, connector);
  }

  /**
   * The incident's id, rule, cluster and connector as log fields; {@link #toString()} gives them as
   * {@code incident=<id> rule=<rule> cluster=<cluster> connector=<connector>} for error texts.
   */
  public record LogContext(String incident, String rule, String cluster, String connector) {
    /** The fields in the order they are written. */
    public java.util.Map<String, ?> fields() {
      java.util.Map<String, String> f = new java.util.LinkedHashMap<>();
      f.put("incident", incident);
      f.put("rule", rule);
      f.put("cluster", cluster);
      f.put("connector", connector);
      return f;
    }

    @Override
    public String toString() {
      return "incident=" + incident + " rule=" + rule + " cluster=" + cluster + " connector=" + connector;
    }
  }
}
