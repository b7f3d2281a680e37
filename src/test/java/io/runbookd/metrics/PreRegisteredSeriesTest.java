package io.runbookd.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.engine.ActiveRules;
import io.runbookd.model.Outcome;
import io.runbookd.rules.RuleLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Prometheus scrapes before any alert: every loaded rule's series at 0, so a dashboard's plain
 * {@code increase()} counts each rule's first remediation; a rule added by a reload gets them too.
 */
class PreRegisteredSeriesTest {
  private static final String RULE = """
      rules:
        - name: %s
          match: { alert: ['alertname="KafkaConnectTaskFailure"'] }
          target: { cluster: local, connector: '{{ labels.connector }}' }
          steps:
            - restart: { include_tasks: true, only_failed: true }
            - wait_for: { state: RUNNING, within: 1m }
          escalation:
            - { after: 10m, notify: oncall }
      """;

  @Test
  void everyRuleAndOutcomeIsExposedAtZeroFromTheFirstScrapeAndAgainAfterAReload(@TempDir Path tmp) throws Exception {
    Files.writeString(tmp.resolve("a.yaml"), RULE.formatted("restart-sink"));
    RunbookdMetrics m = new RunbookdMetrics(new PrometheusRegistry(), false);
    m.configured(Set.of("oncall"));
    ActiveRules rules = new ActiveRules(List.of(tmp), new RuleLoader.Context(Set.of("local"), Set.of("oncall")), m,
        Clock.systemUTC());
    rules.reload("start");

    String text = scrape(m);
    for (Outcome o : Outcome.values()) {
      assertThat(text).contains("runbookd_remediations_total{outcome=\"" + o.label() + "\",rule=\"restart-sink\"} 0.0");
    }
    assertThat(RunbookdMetrics.REMEDIATION_OUTCOMES).contains("recovered", "shadow", "failed", "escalated", "skipped",
        "awaiting_approval");
    for (String o : RunbookdMetrics.REMEDIATION_OUTCOMES) {
      assertThat(text).contains("runbookd_remediations_total{outcome=\"" + o + "\",rule=\"restart-sink\"} 0.0");
    }
    assertThat(text)
        .contains("runbookd_rule_matches_total{rule=\"restart-sink\"} 0.0")
        .contains("runbookd_actions_total{action=\"restart\",outcome=\"ok\",rule=\"restart-sink\"} 0.0")
        .contains("runbookd_actions_total{action=\"wait_for\",outcome=\"failed\",rule=\"restart-sink\"} 0.0")
        .contains("runbookd_escalations_total{level=\"0\",rule=\"restart-sink\"} 0.0")
        .contains("runbookd_escalations_total{level=\"gave_up\",rule=\"restart-sink\"} 0.0")
        .contains("runbookd_incidents_open{rule=\"restart-sink\"} 0.0")
        .contains("runbookd_notifications_total{notifier=\"oncall\",outcome=\"failed\"} 0.0")
        .doesNotContain("rule=\"pause-source\"");

    m.remediation("restart-sink", "recovered", null);
    Files.writeString(tmp.resolve("b.yaml"), RULE.formatted("pause-source"));
    rules.reload("sighup");
    text = scrape(m);
    assertThat(text)
        .contains("runbookd_remediations_total{outcome=\"recovered\",rule=\"restart-sink\"} 1.0")
        .contains("runbookd_remediations_total{outcome=\"recovered\",rule=\"pause-source\"} 0.0")
        .contains("runbookd_remediations_total{outcome=\"escalated\",rule=\"pause-source\"} 0.0");
  }

  private static String scrape(RunbookdMetrics m) {
    return new String(m.scrape(), StandardCharsets.UTF_8);
  }
}
