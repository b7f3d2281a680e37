package io.runbookd.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookParserTest {

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static final String ALERT = """
      {"status":"resolved","labels":{"alertname":"KafkaConnectTaskFailure","connector":"pg-orders"},
       "annotations":{"summary":"s"},"startsAt":"2026-11-22T03:00:00.123456789Z","endsAt":"0001-01-01T00:00:00Z",
       "generatorURL":"http://prom/graph","fingerprint":"1a2b3c4d5e6f7a8b","futureField":{"x":1}}""";

  @Test
  void eachAlertKeepsItsOwnStatusWhateverTheGroupSays() {
    WebhookMessage m = WebhookParser.parse(b("{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"runbookd\","
        + "\"groupKey\":\"{}:{alertname=\\\"X\\\"}\",\"truncatedAlerts\":0,\"newTopLevel\":true,\"alerts\":[" + ALERT + "]}"));
    assertThat(m.status()).isEqualTo("firing");
    assertThat(m.alerts()).hasSize(1);
    WebhookMessage.Alert a = m.alerts().get(0);
    assertThat(a.status()).isEqualTo("resolved");
    assertThat(a.fingerprint()).isEqualTo("1a2b3c4d5e6f7a8b");
    assertThat(a.labels()).containsEntry("connector", "pg-orders");
    assertThat(a.startsAt()).isEqualTo(Instant.parse("2026-11-22T03:00:00.123456789Z"));
  }

  @Test
  void missingFingerprintIsComputedLikeAlertmanager() {
    WebhookMessage m = WebhookParser.parse(b("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"b\":\"2\",\"a\":\"1\"}}]}"));
    String fp = m.alerts().get(0).fingerprint();
    assertThat(fp).hasSize(16).isEqualTo(WebhookParser.fingerprint(Map.of("a", "1", "b", "2")));
    assertThat(fp).isNotEqualTo(WebhookParser.fingerprint(Map.of("a", "1", "b", "3")));
  }

  @Test
  void rejectsWithAReason() {
    assertThatThrownBy(() -> WebhookParser.parse(b("{\"version\":\"4\",\"alerts\":[")))
        .hasMessage("malformed JSON at line 1, column 26: Unexpected end-of-input: expected close marker for Array");
    assertThatThrownBy(() -> WebhookParser.parse(b("{\"version\":\"3\",\"alerts\":[]}")))
        .hasMessage("unsupported webhook version \"3\" (expected \"4\")");
    assertThatThrownBy(() -> WebhookParser.parse(b("{\"alerts\":[]}")))
        .hasMessage("missing \"version\" (Alertmanager sends \"4\")");
    assertThatThrownBy(() -> WebhookParser.parse(b("{\"version\":\"4\"}")))
        .hasMessage("missing \"alerts\"");
    assertThatThrownBy(() -> WebhookParser.parse(b("{\"version\":\"4\",\"alerts\":{}}")))
        .hasMessage("\"alerts\" must be an array");
    assertThatThrownBy(() -> WebhookParser.parse(b("{\"version\":\"4\",\"alerts\":[{\"status\":\"pending\",\"labels\":{}}]}")))
        .hasMessage("alerts[0].status must be \"firing\" or \"resolved\", got \"pending\"");
    assertThatThrownBy(() -> WebhookParser.parse(b("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\"}]}")))
        .hasMessage("alerts[0].labels must be an object");
    assertThatThrownBy(() -> WebhookParser.parse(b("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{},\"startsAt\":\"yesterday\"}]}")))
        .hasMessage("alerts[0].startsAt is not an RFC 3339 time: \"yesterday\"");
    assertThatThrownBy(() -> WebhookParser.parse(b("[]"))).hasMessage("body must be a JSON object");
  }

  @Test
  void rejectsDeepNestingAndInvalidUtf8() {
    String deep = "{\"version\":\"4\",\"alerts\":[],\"x\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
    assertThatThrownBy(() -> WebhookParser.parse(b(deep))).hasMessageContaining("nesting depth");
    byte[] bad = {'{', '"', 'v', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    assertThatThrownBy(() -> WebhookParser.parse(bad)).hasMessage("body is not valid UTF-8");
  }
}
