package io.runbookd.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code runbookd test-rules [--rules rules/] tests/*.yaml}, like {@code promtool test rules}; needs no config file. */
@Command(name = "test-rules", mixinStandardHelpOptions = true, description = "Run rule unit tests: given an alert and a connector status, assert the rule, "
    + "its target, steps, attempt schedule and escalation timeline.")
public final class TestRulesCommand implements Callable<Integer> {
  @Parameters(arity = "1..*", paramLabel = "FILE", description = "Rule test files.")
  List<Path> files;

  @picocli.CommandLine.Option(names = {"-r", "--rules"}, paramLabel = "PATH", description = "Rule files or directories "
      + "to test, instead of the test files' rule_files (repeatable).")
  List<Path> rules = List.of();

  @Override
  public Integer call() {
    PrintWriter out = new PrintWriter(System.out, true);
    boolean ok = true;
    for (Path f : files) {
      out.println("Unit Testing: " + f);
      RuleTests.Result r = RuleTests.run(f, rules);
      if (r.passed()) {
        out.println("  SUCCESS (" + r.tests() + " tests)");
      } else {
        ok = false;
        out.println("  FAILED:");
        r.failures().forEach(line -> out.println("    " + line.replace("\n", "\n    ")));
      }
    }
    return ok ? 0 : 1;
  }
}
