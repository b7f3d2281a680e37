package io.runbookd.alert;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the webhook parser with arbitrary bytes: it must answer every body with a
 * {@link WebhookParser.InvalidWebhookException} (400) or a valid message, never with any other
 * exception or error (a 500, or a dead event loop).
 *
 * <p>Without {@code JAZZER_FUZZ} (every build) this runs the seed corpus in
 * {@code src/test/resources/io/runbookd/alert/WebhookParserFuzzTestInputs/parse/}, plus every
 * crashing input Jazzer saved there. Fuzzing: README "Security".
 */
class WebhookParserFuzzTest {

  @FuzzTest(maxDuration = "5m")
  void parse(byte[] body) {
    WebhookMessage m;
    try {
      m = WebhookParser.parse(body);
    } catch (WebhookParser.InvalidWebhookException expected) {
      assertThat(expected.getMessage()).isNotBlank();
      return;
    }
    assertThat(m.version()).isEqualTo("4");
    assertThat(m.alerts()).isNotNull();
    for (WebhookMessage.Alert a : m.alerts()) {
      assertThat(a.status()).isIn("firing", "resolved");
      assertThat(a.labels()).isNotNull().doesNotContainValue(null);
      assertThat(a.annotations()).isNotNull();
      assertThat(a.fingerprint()).isNotBlank().hasSizeLessThanOrEqualTo(64);
    }
  }
}
