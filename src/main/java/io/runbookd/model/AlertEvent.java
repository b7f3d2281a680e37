package io.runbookd.model;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One alert of one webhook, as received and durably recorded before the webhook is acknowledged.
 *
 * @param id store-assigned sequence number (0 before it is stored)
 * @param receivedAt when runbookd received it
 * @param fingerprint Alertmanager's alert fingerprint
 * @param status {@code firing} or {@code resolved} (the alert's own status, never the group's)
 * @param startsAt the alert's {@code startsAt}
 * @param endsAt the alert's {@code endsAt}, may be null
 * @param labels alert labels
 * @param annotations alert annotations
 * @param receiver the Alertmanager receiver name
 * @param groupKey the Alertmanager group key
 */
public record AlertEvent(
    long id,
    Instant receivedAt,
    String fingerprint,
    String status,
    Instant startsAt,
    Instant endsAt,
    Map<String, String> labels,
    Map<String, String> annotations,
    String receiver,
    String groupKey) {

  public AlertEvent {
    Objects.requireNonNull(receivedAt, "receivedAt");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(status, "status");
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
  }

  public boolean firing() {
    return "firing".equals(status);
  }

  /** The {@code alertname} label, or {@code ""}. */
  public String alertname() {
    return labels.getOrDefault("alertname", "");
  }

  /** A copy with the store id. */
  public AlertEvent withId(long newId) {
    return new AlertEvent(newId, receivedAt, fingerprint, status, startsAt, endsAt, labels, annotations, receiver, groupKey);
  }
}
