package io.runbookd.notify;

import java.util.Objects;

/**
 * One message to a human.
 *
 * @param kind {@code step} (a rule's notify step), {@code escalation}, {@code gave_up}, {@code approval}
 *     (an approval gate asks for a decision) or {@code storm} (the summary of a failure storm)
 * @param severity {@code info}, {@code warning} or {@code critical}
 * @param message the rendered text
 * @param incidentId the incident; for a storm, {@code storm-<id>}
 * @param rule the rule; null for a storm
 * @param cluster the Connect cluster
 * @param connector the connector; null for a storm
 * @param cause the cause line of the trace, may be null
 * @param dedupKey stable key so a receiver can drop a re-delivery (PagerDuty {@code dedup_key})
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
    String dedupKey) {
  public Notification {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(incidentId, "incidentId");
    severity = severity == null ? "warning" : severity;
    dedupKey = dedupKey == null ? incidentId : dedupKey;
  }
}
