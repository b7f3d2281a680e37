package io.runbookd.notify;

import java.util.Objects;

/**
 * One message to a human.
 *
 * @param kind {@code step} (a rule's notify step), {@code escalation}, {@code gave_up}, {@code approval}
 *     (an approval gate asks for a decision), {@code storm} (the summary of a failure storm) or
 *     {@code storm_over} (its one "storm over" message: what recovered and what did not)
 * @param severity {@code info}, {@code warning} or {@code critical}
 * @param message the rendered text
 * @param incidentId the incident; for a storm, {@code storm-<id>}
 * @param rule the rule; null for a storm
 * @param cluster the Connect cluster
 * @param connector the connector; null for a storm
 * @param cause the cause line of the trace, may be null
 * @param dedupKey the idempotency key: the same for every delivery of this notification, different for
 *     any other (PagerDuty {@code dedup_key}, HTTP {@code Idempotency-Key}, body field {@code idempotency_key});
 *     default the incident id
 * @param redelivery true when an earlier delivery of this notification may have reached the receiver (a
 *     daemon stopped between the receiver's answer and the "sent" mark, or an attempt that failed or timed
 *     out after the receiver had accepted it); receivers drop it if they already have {@code dedupKey}
 * @param plan what runbookd will do, as the approval plan's JSON ({@code {"steps":[{"index","type","params"}]}}),
 *     or null; shown as its own block in Slack
 */
public record Notification(
    String kind,
    String severity,
    String message,
    String incidentId,
    String rule,
    String cluster,
    String connector,
    String cause,
    String dedupKey,
    boolean redelivery,
    String plan) {
  public Notification {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(incidentId, "incidentId");
    severity = severity == null ? "warning" : severity;
    dedupKey = dedupKey == null ? incidentId : dedupKey;
  }

  /** A notification without a plan. */
  public Notification(String kind, String severity, String message, String incidentId, String rule, String cluster,
      String connector, String cause, String dedupKey, boolean redelivery) {
    this(kind, severity, message, incidentId, rule, cluster, connector, cause, dedupKey, redelivery, null);
  }

  /** This notification carrying {@code plan} (see the record's {@code plan}). */
  public Notification withPlan(String plan) {
    return new Notification(kind, severity, message, incidentId, rule, cluster, connector, cause, dedupKey,
        redelivery, plan);
  }

  /** A first delivery ({@code redelivery} false). */
  public Notification(String kind, String severity, String message, String incidentId, String rule, String cluster,
      String connector, String cause, String dedupKey) {
    this(kind, severity, message, incidentId, rule, cluster, connector, cause, dedupKey, false);
  }

  /** This notification with {@code redelivery} set as given. */
  public Notification redelivered(boolean mayHaveBeenSent) {
    return new Notification(kind, severity, message, incidentId, rule, cluster, connector, cause, dedupKey,
        mayHaveBeenSent, plan);
  }
}
