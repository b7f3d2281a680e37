package io.runbookd.notify;

import java.util.Objects;

/**
 * One message to a human.
 *
 * @param kind {@code step} (a rule's notify step), {@code escalation} or {@code gave_up}
 * @param severity {@code info}, {@code warning} or {@code critical}
 * @param message the rendered text
 * @param incidentId the incident
 * @param rule the rule
 * @param cluster the Connect cluster
 * @param connector the connector
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
