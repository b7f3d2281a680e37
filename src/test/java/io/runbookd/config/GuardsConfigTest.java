package io.runbookd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code guards:} section: parsed strictly, every error naming the line and the key. */
class GuardsConfigTest {
  private static final String BASE = "connect_clusters:\n  prod: { url: 'http://c:8083' }\n"
      + "notifiers:\n  oncall: { url: 'http://n/x' }\n";

  @Test
  void withoutASectionEveryValueIsUnset() {
    GuardsConfig g = ConfigLoader.parse(BASE, "runbookd.yaml").guards();
    assertThat(g).isEqualTo(GuardsConfig.defaults());
    assertThat(g.clusters()).isEmpty();
  }

  @Test
  void everyKeyIsRead() {
    GuardsConfig g = ConfigLoader.parse(BASE + """
        guards:
          max_concurrent_remediations: 4
          max_actions: 12
          action_window: 90s
          storm: { connectors: 50, window: 1m, notify: oncall }
          health_check: false
          health_backoff: 10s
          recheck: 500ms
          clusters:
            prod: { max_actions: 100, storm: { connectors: 0 } }
        """, "runbookd.yaml").guards();
    assertThat(g.maxConcurrentRemediations()).isEqualTo(4);
    assertThat(g.maxActions()).isEqualTo(12);
    assertThat(g.actionWindow()).isEqualTo(Duration.ofSeconds(90));
    assertThat(g.storm()).isEqualTo(new GuardsConfig.Storm(50, Duration.ofMinutes(1), "oncall"));
    assertThat(g.healthCheck()).isFalse();
    assertThat(g.healthBackoff()).isEqualTo(Duration.ofSeconds(10));
    assertThat(g.recheck()).isEqualTo(Duration.ofMillis(500));
    assertThat(g.clusters().get("prod")).isEqualTo(new GuardsConfig.Override(null, 100, null,
        new GuardsConfig.Storm(0, null, null), null, null, null));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "guards:\\n  max_actions: 0\\n"
          + "| runbookd.yaml:5: guards: max_actions must be at least 1, got 0",
      "guards:\\n  action_window: 0s\\n"
          + "| runbookd.yaml:5: guards: action_window must be longer than 0s",
      "guards:\\n  storm: { connectors: -1 }\\n"
          + "| runbookd.yaml:6: guards.storm: connectors must be 0 (off) or more, got -1",
      "guards:\\n  clusters:\\n    prod:\\n      max_concurrent_remediations: 0\\n"
          + "| runbookd.yaml:7: guards.clusters.prod: max_concurrent_remediations must be at least 1, got 0",
      "guards:\\n  clusters:\\n    staging: { max_actions: 5 }\\n"
          + "| runbookd.yaml:7: guards.clusters.staging: undefined Connect cluster \"staging\" (defined: prod)",
      "guards:\\n  storm: { notify: pager }\\n"
          + "| runbookd.yaml:6: guards.storm.notify: undefined notifier \"pager\" (defined: oncall)",
      "guards:\\n  clusters:\\n    prod:\\n      storm: { notify: pager }\\n"
          + "| runbookd.yaml:8: guards.clusters.prod.storm.notify: undefined notifier \"pager\" (defined: oncall)",
      "guards:\\n  health_check: maybe\\n"
          + "| runbookd.yaml:6: guards.health_check: Cannot deserialize value of type `java.lang.Boolean` from String"
          + " \"maybe\": only \"true\" or \"false\" recognized",
  })
  void mistakesAreNamedWithTheirLine(String section, String message) {
    assertThatThrownBy(() -> ConfigLoader.parse(BASE + section.replace("\\n", "\n"), "runbookd.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(message);
  }

  @Test
  void theRebalanceBoundIsReadAtTheTopAndPerClusterAndResolved() {
    GuardsConfig g = ConfigLoader.parse(BASE + """
        guards:
          max_rebalance_retries: 3
          clusters:
            prod: { max_rebalance_retries: 0 }
        """, "runbookd.yaml").guards();
    assertThat(g.maxRebalanceRetries()).isEqualTo(3);
    assertThat(g.clusters().get("prod").maxRebalanceRetries()).isZero();
    io.runbookd.engine.Guards resolved = io.runbookd.engine.Guards.from(g);
    assertThat(resolved.of("prod").maxRebalanceRetries()).isZero();
    assertThat(resolved.of("other").maxRebalanceRetries()).isEqualTo(3);
    assertThat(io.runbookd.engine.Guards.defaults().of("any").maxRebalanceRetries()).isEqualTo(10);
    assertThatThrownBy(() -> ConfigLoader.parse(BASE + "guards:\n  max_rebalance_retries: -1\n", "runbookd.yaml"))
        .hasMessage("runbookd.yaml:5: guards: max_rebalance_retries must be 0 or more, got -1");
  }

  @Test
  void anUnknownKeyListsTheAllowedOnes() {
    assertThatThrownBy(() -> ConfigLoader.parse(BASE + "guards:\n  max_action: 5\n", "runbookd.yaml"))
        .hasMessageStartingWith("runbookd.yaml:6: unknown key \"max_action\" in guards.max_action (allowed: ")
        .hasMessageContaining("max_actions");
  }
}
