package io.runbookd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runbookd.config.ConfigException;
import io.runbookd.config.ConfigLoader;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.engine.Guards;
import org.junit.jupiter.api.Test;

/** How many incidents one replica handles at once comes from the configuration, never a fixed number. */
class RemediationConcurrencyTest {

  private static int of(String yaml) {
    RunbookdConfig c = ConfigLoader.parse(yaml, "runbookd.yaml");
    return Runbookd.remediationConcurrency(c, Guards.from(c.guards()));
  }

  @Test
  void byDefaultTheSumOfTheClusterGuards() {
    assertThat(of("connect_clusters:\n  a: { url: http://a:8083 }\n  b: { url: http://b:8083 }\n"
        + "guards:\n  max_concurrent_remediations: 300\n  clusters:\n    b: { max_concurrent_remediations: 1000 }\n"))
        .isEqualTo(1300);
    assertThat(of("connect_clusters:\n  a: { url: http://a:8083 }\n")).isEqualTo(Guards.DEFAULT_MAX_CONCURRENT);
  }

  @Test
  void anExplicitEngineKeyWins() {
    assertThat(of("connect_clusters:\n  a: { url: http://a:8083 }\nengine: { remediation_concurrency: 7 }\n"))
        .isEqualTo(7);
  }

  @Test
  void refusesANegativeValueNamingTheKey() {
    assertThatThrownBy(() -> ConfigLoader.parse("engine: { remediation_concurrency: -2 }\n", "runbookd.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("remediation_concurrency");
  }
}
