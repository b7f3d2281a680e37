package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlertmanagerPayloadsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> TASK_LABELS = Map.of(
      "connect_cluster", "connect-prod",
      "connector", "inventory-postgres-source",
      "task", "0",
      "severity", "warning",
      "namespace", "kafka",
      "instance", "connect-1.connect.kafka.svc:9404",
      "job", "kafka-connect");

  @Test
  void firingMatchesTheRawFixtureByteForByte() throws IOException {
    String body = AlertmanagerPayloads.firing("KafkaConnectTaskFailure", TASK_LABELS,
        Instant.parse("2025-03-14T02:17:43.512Z"));

    assertThat(body).isEqualTo(resource("/alertmanager/am-0.25-firing.json"));
  }

  @Test
  void firingHasAlertmanagerFieldOrderAndZeroEndsAt() throws IOException {
    JsonNode body = JSON.readTree(AlertmanagerPayloads.firing("KafkaConnectTaskFailure", TASK_LABELS,
        Instant.parse("2025-03-14T02:17:43Z")));

    assertThat(fieldNames(body)).containsExactly("receiver", "status", "alerts", "groupLabels", "commonLabels",
        "commonAnnotations", "externalURL", "version", "groupKey", "truncatedAlerts");
    JsonNode alert = body.get("alerts").get(0);
    assertThat(fieldNames(alert)).containsExactly("status", "labels", "annotations", "startsAt", "endsAt",
        "generatorURL", "fingerprint");
    assertThat(alert.get("startsAt").asText()).isEqualTo("2025-03-14T02:17:43Z");
    assertThat(alert.get("endsAt").asText()).isEqualTo("0001-01-01T00:00:00Z");
    assertThat(alert.get("fingerprint").asText()).matches("[0-9a-f]{16}");
    assertThat(body.get("version").asText()).isEqualTo("4");
    assertThat(body.get("truncatedAlerts").asInt()).isZero();
  }

  @Test
  void resolvedCarriesEndsAtAndTheSameFingerprint() throws IOException {
    Instant startsAt = Instant.parse("2025-03-14T02:17:43.512Z");
    JsonNode firing = JSON.readTree(AlertmanagerPayloads.firing("KafkaConnectTaskFailure", TASK_LABELS, startsAt));
    JsonNode resolved = JSON.readTree(AlertmanagerPayloads.resolved("KafkaConnectTaskFailure", TASK_LABELS,
        startsAt, Instant.parse("2025-03-14T02:31:13.100Z")));

    assertThat(resolved.get("status").asText()).isEqualTo("resolved");
    JsonNode alert = resolved.get("alerts").get(0);
    assertThat(alert.get("status").asText()).isEqualTo("resolved");
    assertThat(alert.get("endsAt").asText()).isEqualTo("2025-03-14T02:31:13.1Z");
    assertThat(alert.get("fingerprint")).isEqualTo(firing.get("alerts").get(0).get("fingerprint"));
    assertThat(resolved.get("groupKey")).isEqualTo(firing.get("groupKey"));
  }

  @Test
  void groupWithOneFiringAndOneResolvedAlertIsFiringWithCommonLabelsOnly() throws IOException {
    Map<String, String> task0 = Map.of("alertname", "KafkaConnectTaskFailure", "connector", "c", "task", "0");
    Map<String, String> task1 = Map.of("alertname", "KafkaConnectTaskFailure", "connector", "c", "task", "1");
    Instant t = Instant.parse("2025-03-14T02:17:43Z");

    JsonNode body = JSON.readTree(AlertmanagerPayloads.group()
        .alert(AlertmanagerPayloads.Alert.resolved(task0, t, t.plusSeconds(60)))
        .alert(AlertmanagerPayloads.Alert.firing(task1, t))
        .build());

    assertThat(body.get("status").asText()).isEqualTo("firing");
    assertThat(body.get("commonLabels").toString())
        .isEqualTo("{\"alertname\":\"KafkaConnectTaskFailure\",\"connector\":\"c\"}");
    assertThat(body.get("groupKey").asText()).isEqualTo("{}/{alertname=~\"KafkaConnect.*\"}:{connector=\"c\"}");
  }

  @Test
  void fingerprintIsPrometheusLabelSetFingerprint() {
    // Test vectors of prometheus/common model TestMetricToFingerprint: 14695981039346656037, 5799056148416392346.
    assertThat(AlertmanagerPayloads.fingerprint(Map.of())).isEqualTo("cbf29ce484222325");
    assertThat(AlertmanagerPayloads.fingerprint(Map.of("name", "garland, briggs", "fear", "love is not enough")))
        .isEqualTo("507a62d79ee76c9a");
  }

  @Test
  void timesUseGoRfc3339NanoWithoutTrailingZeros() {
    assertThat(AlertmanagerPayloads.rfc3339Nano(Instant.parse("2025-03-14T02:17:43Z"))).isEqualTo("2025-03-14T02:17:43Z");
    assertThat(AlertmanagerPayloads.rfc3339Nano(Instant.parse("2025-03-14T02:17:43.120Z")))
        .isEqualTo("2025-03-14T02:17:43.12Z");
    assertThat(AlertmanagerPayloads.rfc3339Nano(Instant.parse("2025-03-14T02:17:43.000000001Z")))
        .isEqualTo("2025-03-14T02:17:43.000000001Z");
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static String resource(String path) throws IOException {
    try (InputStream in = AlertmanagerPayloadsTest.class.getResourceAsStream(path)) {
      assertThat(in).as(path).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
