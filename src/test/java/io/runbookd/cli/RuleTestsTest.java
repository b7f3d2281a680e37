package io.runbookd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuleTestsTest {

  @Test
  void everyShippedRuleTestPasses() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(Path.of("rules/tests"))) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).isNotEmpty();
    for (Path f : files) {
      RuleTests.Result r = RuleTests.run(f);
      assertThat(r.failures()).as(f.toString()).isEmpty();
      assertThat(r.tests()).isGreaterThan(0);
    }
  }

  @Test
  void everyShippedRuleHasATestCase() throws IOException {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> s = Files.list(Path.of("rules/tests"))) {
      for (Path f : s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        all.append(Files.readString(f)).append('\n');
      }
    }
    String tests = all.toString();
    try (Stream<Path> s = Files.list(Path.of("rules"))) {
      for (Path rule : s.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        for (String line : Files.readAllLines(rule)) {
          if (line.startsWith("  - name: ")) {
            String name = line.substring("  - name: ".length()).strip();
            assertThat(tests).as("a test case for rule " + name).contains("rule: " + name);
          }
        }
      }
    }
  }

  @Test
  void failuresSayWhatWasExpectedAndWhatCame() {
    RuleTests.Result r = RuleTests.run(Path.of("src/test/resources/ruletests/bad.test.yaml"));
    assertThat(r.passed()).isFalse();
    assertThat(r.tests()).isEqualTo(2);
    assertThat(r.failures().get(0)).startsWith(
        "test \"wrong rule\": expected rule connect-auth-failure, got connect-db-connection-refused\n")
        .contains("rule \"connect-auth-failure\"").contains("=> rule \"connect-db-connection-refused\" on prod/c");
    assertThat(r.failures().subList(1, r.failures().size())).containsExactly(
        "test \"wrong escalation and a typo\": unknown key \"expect.atempts\" (allowed: [attempts, cause, decision, escalation, pages, rule, steps, target])",
        "test \"wrong escalation and a typo\": expected target staging/c, got prod/c",
        "test \"wrong escalation and a typo\": expected steps [restart], got [restart, wait_for]",
        "test \"wrong escalation and a typo\": expected attempt delays [0s, 1m], got [0s, 2m] (max_attempts 6)",
        "test \"wrong escalation and a typo\": expected escalation [10m oncall], got [15m oncall]");
  }

  @Test
  void brokenRuleFilesAreReportedNotThrown(@TempDir Path tmp) throws IOException {
    Files.writeString(tmp.resolve("r.yaml"), "rules:\n  - name: x\n    bogus: 1\n");
    Path t = Files.writeString(tmp.resolve("t.yaml"), "rule_files: [r.yaml]\ntests: []\n");
    RuleTests.Result r = RuleTests.run(t);
    assertThat(r.passed()).isFalse();
    assertThat(r.failures().get(0)).startsWith("rule files do not load: ");
  }
}
