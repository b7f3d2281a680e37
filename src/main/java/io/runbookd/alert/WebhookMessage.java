package io.runbookd.alert;

import java.util.List;
import java.util.Map;

/**
 * The Alertmanager webhook body, version 4 (prometheus/alertmanager {@code notify/webhook/webhook.go};
 * https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). Unknown fields are ignored
 * because Alertmanager keeps adding them.
 *
 * @param version always {@code "4"}
 * @param groupKey the route's group key
 * @param truncatedAlerts alerts dropped by {@code max_alerts}
 * @param status the GROUP status; never used to decide anything (a firing group can hold resolved
 *     alerts)
 * @param receiver the receiver name
 * @param groupLabels labels the group is keyed by
 * @param commonLabels labels common to all alerts
 * @param commonAnnotations annotations common to all alerts
 * @param externalUrl Alertmanager's external URL
 * @param alerts the alerts, each with its own status and fingerprint
 */
public record WebhookMessage(
    String version,
    String groupKey,
    int truncatedAlerts,
    String status,
    String receiver,
    Map<String, String> groupLabels,
    Map<String, String> commonLabels,
    Map<String, String> commonAnnotations,
    String externalUrl,
    List<Alert> alerts) {

  /**
   * One alert.
   *
   * @param status {@code firing} or {@code resolved}
   * @param labels identifying labels
   * @param annotations annotations
   * @param startsAt RFC 3339
   * @param endsAt RFC 3339; {@code 0001-01-01T00:00:00Z} while firing
   * @param generatorUrl link to the Prometheus expression
   * @param fingerprint 16 hex digits identifying the label set
   */
  public record Alert(
      String status,
      Map<String, String> labels,
      Map<String, String> annotations,
      java.time.Instant startsAt,
      java.time.Instant endsAt,
      String generatorUrl,
      String fingerprint) {}
}
