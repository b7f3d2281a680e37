package io.runbookd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The alert-processing keys of the {@code engine:} section: defaults, values, and refusals. */
class EngineConfigTest {

  @Test
  void defaultsWhenLeftOut() {
    RunbookdConfig.Engine e = ConfigLoader.parse("engine: { tick: 2s }\n", "t.yaml").engine();
    assertThat(e.alertConcurrency()).isEqualTo(32);
    assertThat(e.alertWindow()).isEqualTo(10_000);
    assertThat(e.matchThreads()).isEqualTo(2);
    assertThat(e.alertStoreThreads()).isEqualTo(2);
  }

  @Test
  void takesTheConfiguredValuesAndNeverAWindowBelowTheConcurrency() {
    RunbookdConfig.Engine e = ConfigLoader.parse(
        "engine: { alert_concurrency: 200, alert_window: 50, match_threads: 4, alert_store_threads: 8 }\n", "t.yaml")
        .engine();
    assertThat(e.alertConcurrency()).isEqualTo(200);
    assertThat(e.alertWindow()).isEqualTo(200);
    assertThat(e.matchThreads()).isEqualTo(4);
    assertThat(e.alertStoreThreads()).isEqualTo(8);
  }

  @Test
  void refusesNegativeValuesNamingTheKeys() {
    assertThatThrownBy(() -> ConfigLoader.parse("engine: { alert_concurrency: -1 }\n", "t.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("t.yaml").hasMessageContaining("alert_concurrency");
  }
}
