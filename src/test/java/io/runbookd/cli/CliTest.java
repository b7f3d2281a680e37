package io.runbookd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.Main;
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
  void checkRulesPrintsSuccessAndExitsZeroForTheShippedRules() {
    Run r = run("check-rules", "--config", "runbookd.yaml", "rules");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).isEqualTo("Checking 'rules'\n  SUCCESS: 6 rules found\n");
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
    Run r = run("check-rules", "--config", "runbookd.yaml", rule.toString());
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
    Run r = run("explain", "--config", "runbookd.yaml", "--status", status.toString(), payload.toString());
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("rule \"connect-auth-failure\"").contains("no match")
        .contains("=> rule \"connect-db-connection-refused\" on local/pg: org.postgresql.util.PSQLException: Connection to db:5432 refused.");
  }
}
