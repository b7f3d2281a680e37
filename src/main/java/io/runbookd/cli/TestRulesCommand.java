package io.runbookd.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code runbookd test-rules tests/*.yaml}, like {@code promtool test rules}. */
@Command(name = "test-rules", description = "Run rule unit tests: given an alert and a connector status, assert the rule, "
    + "its target, steps, attempt schedule and escalation timeline.")
public final class TestRulesCommand implements Callable<Integer> {
  @Parameters(arity = "1..*", paramLabel = "FILE", description = "Rule test files.")
  List<Path> files;

  @Override
  public Integer call() {
    PrintWriter out = new PrintWriter(System.out, true);
    boolean ok = true;
    for (Path f : files) {
      out.println("Unit Testing: " + f);
      RuleTests.Result r = RuleTests.run(f);
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
