package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.testkit.Daemon;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alert rule on runbookd's backlog ({@code alertmanager/runbookd.rules.yml}) passes Debian's
 * {@code promtool} checks and its unit tests, is loaded by the shipped prometheus.yml, reaches people
 * (not runbookd) through the shipped alertmanager.yml, and reads gauges a running runbookd exports.
 */
class BacklogAlertRuleIT {
  private static final Path SHIPPED = Path.of("alertmanager").toAbsolutePath();

  @TempDir
  Path tmp;

  @Test
  void promtoolAcceptsTheRuleAndItsUnitTestsPass() throws Exception {
    assertThat(run("promtool", "check", "rules", SHIPPED.resolve("runbookd.rules.yml").toString()))
        .contains("SUCCESS: 1 rules found");
    assertThat(run("promtool", "test", "rules", SHIPPED.resolve("runbookd.rules.test.yml").toString())).contains("SUCCESS");
    assertThat(run("promtool", "check", "config", SHIPPED.resolve("prometheus.yml").toString()))
        .contains("SUCCESS: 2 rule files found").contains("runbookd.rules.yml");
  }

  @Test
  void theBacklogAlertGoesToPeople() throws Exception {
    String out = run("amtool", "config", "routes", "test", "--config.file=" + SHIPPED.resolve("alertmanager.yml"),
        "alertname=RunbookdAlertBacklog", "severity=critical", "job=runbookd");
    assertThat(out.strip()).isEqualTo("oncall");
  }

  @Test
  void runbookdExportsTheGaugesTheRuleReads() throws Exception {
    Path rules = Daemon.rulesDir(tmp, "10-any.yaml", "rules:\n  - name: any-failure\n"
        + "    match:\n      alert: ['alertname=\"KafkaConnectTaskFailure\"']\n"
        + "    target:\n      cluster: '{{ labels.connect_cluster }}'\n      connector: '{{ labels.connector }}'\n"
        + "    steps:\n      - restart: {}\n");
    String rule = Files.readString(SHIPPED.resolve("runbookd.rules.yml"));
    try (Daemon d = Daemon.start("rules: { paths: ['" + rules + "'] }\n"
        + "connect_clusters:\n  local: { url: 'http://127.0.0.1:9' }\n", tmp.resolve("data"))) {
      d.awaitLaterAlertProcessed();
      for (String gauge : List.of("runbookd_alerts_backlog_oldest_age_seconds", "runbookd_alerts_backlog")) {
        assertThat(rule).contains(gauge);
        assertThat(d.metric(gauge, Map.of())).as(gauge).isPresent();
      }
    }
  }

  /** Runs a Debian binary from /usr/bin; its stdout, or an assertion error with stdout and stderr when it exits non-zero. */
  private String run(String... cmd) throws IOException, InterruptedException {
    Path binary = Path.of("/usr/bin/" + cmd[0]);
    assertThat(Files.isExecutable(binary)).as(binary + " (scripts/setup.sh installs it)").isTrue();
    List<String> command = new ArrayList<>(List.of(cmd));
    command.set(0, binary.toString());
    Path stderr = Files.createTempFile(tmp, cmd[0], ".stderr");
    Process p = new ProcessBuilder(command).directory(tmp.toFile()).redirectError(stderr.toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s exited with %s:%n%s%n%s", String.join(" ", cmd), p.exitValue(), out,
        Files.readString(stderr)).isZero();
    return out;
  }
}
