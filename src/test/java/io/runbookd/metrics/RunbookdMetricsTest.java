package io.runbookd.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunbookdMetricsTest {

  @Test
  void exposesTheDesignedNamesWithBoundedLabelsAndJvmMetrics() {
    RunbookdMetrics m = new RunbookdMetrics(new PrometheusRegistry(), true);
    m.remediation("connect-db-connection-refused", "recovered", Duration.ofSeconds(31));
    m.action("connect-db-connection-refused", "restart", "ok", Duration.ofMillis(40));
    m.escalation("connect-auth-failure", "gave_up");
    m.incidentsOpen(Map.of("connect-auth-failure", 2), List.of("connect-auth-failure", "connect-catch-all"));
    m.connectRequest("prod", "POST", 202);
    m.rulesLoaded(6, true, 1_700_000_000_000L);
    String text = new String(m.scrape(), StandardCharsets.UTF_8);
    assertThat(text)
        .contains("runbookd_remediations_total{outcome=\"recovered\",rule=\"connect-db-connection-refused\"} 1.0")
        .contains("runbookd_actions_total{action=\"restart\",outcome=\"ok\",rule=\"connect-db-connection-refused\"} 1.0")
        .contains("runbookd_escalations_total{level=\"gave_up\",rule=\"connect-auth-failure\"} 1.0")
        .contains("runbookd_incidents_open{rule=\"connect-auth-failure\"} 2.0")
        .contains("runbookd_incidents_open{rule=\"connect-catch-all\"} 0.0")
        .contains("runbookd_connect_requests_total{cluster=\"prod\",code=\"202\",method=\"POST\"} 1.0")
        .contains("runbookd_rules_loaded 6.0")
        .contains("runbookd_rules_last_reload_success_timestamp_seconds 1.7E9")
        .contains("runbookd_remediation_duration_seconds_bucket{le=\"60.0\"} 1")
        .contains("jvm_memory_used_bytes")
        .contains("process_cpu_seconds_total");
  }

  @Test
  void aFailedReloadCountsButKeepsTheLoadedGauge() {
    RunbookdMetrics m = new RunbookdMetrics(new PrometheusRegistry(), false);
    m.rulesLoaded(6, true, 1000);
    m.rulesLoaded(0, false, 2000);
    String text = new String(m.scrape(), StandardCharsets.UTF_8);
    assertThat(text).contains("runbookd_rules_loaded 6.0")
        .contains("runbookd_rules_reload_total{outcome=\"failure\"} 1.0")
        .contains("runbookd_rules_reload_total{outcome=\"success\"} 1.0");
  }
}
