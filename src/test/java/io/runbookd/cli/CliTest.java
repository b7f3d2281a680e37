package io.runbookd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.Main;
import io.runbookd.testkit.ShippedConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line as an operator (or a CI job) uses it: output and exit codes. */
class CliTest {

  private record Run(int exit, String out) {}

  private static Run run(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      int exit = new CommandLine(new Main()).execute(args);
      return new Run(exit, buf.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(old);
    }
  }

  @Test
  void checkRulesPrintsSuccessAndExitsZeroForTheShippedRules(@TempDir Path tmp) throws Exception {
    Run r = run("check-rules", "--config", ShippedConfig.withSecrets(tmp).toString(), "rules");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).isEqualTo("Checking 'rules'\n  SUCCESS: 14 rules found\n");
  }

  @Test
  void checkRulesPrintsEveryErrorWithFileAndLineAndExitsOne(@TempDir Path tmp) throws Exception {
    Path bad = Files.writeString(tmp.resolve("bad.yaml"), "rules:\n  - name: x\n    match: { alert: ['alertname=\"A\"'] }\n"
        + "    target: { connector: '{{ labels.connector }}' }\n    steps:\n      - restart: { include_tasks: maybe }\n");
    Run r = run("check-rules", bad.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).startsWith("Checking '" + bad + "'\n  FAILED:\n    " + bad + ":6: rule \"x\": ");
  }

  @Test
  void checkRulesWithConfigRejectsAnUndefinedNotifier(@TempDir Path tmp) throws Exception {
    Path rule = Files.writeString(tmp.resolve("r.yaml"), "rules:\n  - name: x\n    match: { alert: ['alertname=\"A\"'] }\n"
        + "    target: { connector: '{{ labels.connector }}' }\n    steps: []\n    escalation:\n      - { after: 5m, notify: pager }\n");
    assertThat(run("check-rules", rule.toString()).exit()).isZero();
    Run r = run("check-rules", "--config", ShippedConfig.withSecrets(tmp).toString(), rule.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains(rule + ":7: rule \"x\": ").contains("\"pager\"");
  }

  @Test
  void testRulesExitCodes() {
    assertThat(run("test-rules", "rules/tests/shipped-rules.test.yaml").exit()).isZero();
    Run bad = run("test-rules", "src/test/resources/ruletests/bad.test.yaml");
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.out()).contains("  FAILED:\n    test \"wrong rule\": expected rule connect-auth-failure");
  }

  @Test
  void explainWithASavedStatusNamesTheRuleAndWhy(@TempDir Path tmp) throws Exception {
    Path payload = Files.writeString(tmp.resolve("p.json"), "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
        + "\"labels\":{\"alertname\":\"KafkaConnectTaskFailure\",\"connect_cluster\":\"local\",\"connector\":\"pg\"}}]}");
    Path status = Files.writeString(tmp.resolve("s.json"), "{\"name\":\"pg\",\"connector\":{\"state\":\"RUNNING\",\"worker_id\":\"w:8083\"},"
        + "\"tasks\":[{\"id\":0,\"state\":\"FAILED\",\"worker_id\":\"w:8083\",\"trace\":\"org.postgresql.util.PSQLException: Connection to db:5432 refused.\"}],"
        + "\"type\":\"source\"}");
    Run r = run("explain", "--config", ShippedConfig.withSecrets(tmp).toString(), "--status", status.toString(), payload.toString());
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("rule \"connect-auth-failure\"").contains("no match")
        .contains("=> rule \"connect-db-connection-refused\" on local/pg: org.postgresql.util.PSQLException: Connection to db:5432 refused.");
  }
  @org.junit.jupiter.params.ParameterizedTest(name = "runbookd {0} --help")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"run", "check-rules", "test-rules", "explain", "healthcheck"})
  void everySubcommandPrintsItsUsageOnHelp(String subcommand) {
    Run r = run(subcommand, "--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).startsWith("Usage: runbookd " + subcommand).contains("-h, --help");
  }

  /** A webhook body with one KafkaConnectTaskFailure alert for connector {@code pg} of cluster {@code local}. */
  private static Path payload(Path tmp) throws Exception {
    return Files.writeString(tmp.resolve("p.json"), "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
        + "\"labels\":{\"alertname\":\"KafkaConnectTaskFailure\",\"connect_cluster\":\"local\",\"connector\":\"pg\"}}]}");
  }

  private static Path failedStatus(Path tmp) throws Exception {
    return Files.writeString(tmp.resolve("s.json"), "{\"name\":\"pg\",\"connector\":{\"state\":\"RUNNING\",\"worker_id\":\"w:8083\"},"
        + "\"tasks\":[{\"id\":0,\"state\":\"FAILED\",\"worker_id\":\"w:8083\",\"trace\":\"org.postgresql.util.PSQLException: Connection to db:5432 refused.\"}],"
        + "\"type\":\"source\"}");
  }

  @Test
  void explainTakesRulePathsAndAStatusWithoutAnyConfigFile(@TempDir Path tmp) throws Exception {
    Path rules = Files.writeString(tmp.resolve("r.yaml"), """
        rules:
          - name: refused-verbose
            match:
              alert: ['alertname="KafkaConnectTaskFailure"']
              trace: |
                (?x)
                # the JDBC driver's words when the database port refuses
                Connection \\s+ to \\s+ \\S+ \\s+ refused
                | connection \\s+ refused
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            steps:
              - restart: { include_tasks: true, only_failed: true }
        """);
    Path elsewhere = Files.createDirectories(tmp.resolve("cwd-without-config"));
    assertThat(elsewhere.resolve("runbookd.yaml")).doesNotExist();
    Run r = run("explain", "--status", failedStatus(tmp).toString(), payload(tmp).toString(), rules.toString());
    assertThat(r.exit()).as(r.out()).isZero();
    assertThat(r.out()).contains("=> rule \"refused-verbose\" on local/pg")
        .as("the (?x) pattern by its first lines, not its comments").contains("trace /(?x) Connection \\s+ to \\s+ \\S+ \\s+ refused …/")
        .doesNotContain("the JDBC driver's words");
  }

  @Test
  void explainWithoutRulesOrConfigSaysWhatItNeeds(@TempDir Path tmp) throws Exception {
    Run r = run("explain", "--config", tmp.resolve("missing.yaml").toString(), payload(tmp).toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).startsWith("FAILED: ").contains("missing.yaml");
    Run noStatus = run("explain", payload(tmp).toString(), "rules");
    assertThat(noStatus.out()).as("no config: no live status, said so")
        .contains("no connector status: give --status FILE, or --config for live status from Connect");
  }

  @Test
  void testRulesRunsAgainstTheGivenRulePaths(@TempDir Path tmp) throws Exception {
    Path rules = Files.writeString(tmp.resolve("other.yaml"), """
        rules:
          - name: connect-auth-failure
            match: { alert: ['alertname="KafkaConnectTaskFailure"'] }
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            steps:
              - restart: { include_tasks: true, only_failed: true }
        """);
    // bad.test.yaml expects connect-auth-failure where the shipped rules pick another rule: against a rule set
    // where connect-auth-failure catches every failure, that expectation holds
    Run shipped = run("test-rules", "src/test/resources/ruletests/bad.test.yaml");
    Run other = run("test-rules", "--rules", rules.toString(), "src/test/resources/ruletests/bad.test.yaml");
    assertThat(shipped.out()).contains("test \"wrong rule\": expected rule connect-auth-failure");
    assertThat(other.out()).doesNotContain("test \"wrong rule\": expected rule connect-auth-failure");
  }
}
