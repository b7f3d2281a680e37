package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.testkit.Daemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alert rule on runbookd's backlog ({@code alertmanager/runbookd.rules.yml}; promtool and amtool check
 * it in {@code AlertingFilesIT}) reads gauges that a running runbookd exports.
 */
class BacklogAlertRuleIT {

  @TempDir
  Path tmp;

  @Test
  void runbookdExportsTheGaugesTheRuleReads() throws Exception {
    Path rules = Daemon.rulesDir(tmp, "10-any.yaml", "rules:\n  - name: any-failure\n"
        + "    match:\n      alert: ['alertname=\"KafkaConnectTaskFailure\"']\n"
        + "    target:\n      cluster: '{{ labels.connect_cluster }}'\n      connector: '{{ labels.connector }}'\n"
        + "    steps:\n      - restart: {}\n");
    String rule = Files.readString(Path.of("alertmanager", "runbookd.rules.yml"));
    try (Daemon d = Daemon.start("rules: { paths: ['" + rules + "'] }\n"
        + "connect_clusters:\n  local: { url: 'http://127.0.0.1:9' }\n", tmp.resolve("data"))) {
      d.awaitLaterAlertProcessed();
      for (String gauge : List.of("runbookd_alerts_backlog_oldest_age_seconds", "runbookd_alerts_backlog")) {
        assertThat(rule).contains(gauge);
        assertThat(d.metric(gauge, Map.of())).as(gauge).isPresent();
      }
    }
  }
}
