package io.runbookd.engine;

import io.runbookd.model.ClusterLimits;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.config.ConfigLoader;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A cluster's limits: its overrides, then the top-level guards, then the built-in defaults. */
class GuardsTest {

  @Test
  void defaultsApplyWithoutAGuardsSection() {
    ClusterLimits l = Guards.defaults().of("any");
    assertThat(l).isEqualTo(new ClusterLimits(10, 30, Duration.ofMinutes(5),
        new ClusterLimits.StormSettings(20, Duration.ofMinutes(2), null), true, Duration.ofSeconds(30),
        Duration.ofSeconds(2)));
  }

  @Test
  void aClusterOverridesTheTopLevelKeyByKey() {
    Guards g = Guards.from(ConfigLoader.parse("""
        connect_clusters: { prod: { url: 'http://p' }, dev: { url: 'http://d' } }
        notifiers: { oncall: { url: 'http://n/o' }, dev: { url: 'http://n/d' } }
        guards:
          max_actions: 12
          storm: { connectors: 50, notify: oncall }
          clusters:
            dev: { max_concurrent_remediations: 2, health_check: false, storm: { window: 30s, notify: dev } }
        """, "runbookd.yaml").guards());
    assertThat(g.of("prod")).isEqualTo(new ClusterLimits(10, 12, Duration.ofMinutes(5),
        new ClusterLimits.StormSettings(50, Duration.ofMinutes(2), "oncall"), true, Duration.ofSeconds(30),
        Duration.ofSeconds(2)));
    assertThat(g.of("dev")).isEqualTo(new ClusterLimits(2, 12, Duration.ofMinutes(5),
        new ClusterLimits.StormSettings(50, Duration.ofSeconds(30), "dev"), false, Duration.ofSeconds(30),
        Duration.ofSeconds(2)));
  }
}
