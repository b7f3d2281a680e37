package io.runbookd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.policy.RemediationPolicy;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.Durations;
import io.runbookd.rules.Rule;
import io.runbookd.rules.RuleEvaluator;
import io.runbookd.rules.RuleLoadException;
import io.runbookd.rules.RuleLoader;
import io.runbookd.rules.RuleSet;
import io.runbookd.rules.Step;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Unit tests for rules, like {@code promtool test rules}: given an alert and a connector status, assert
 * which rule matches, its target, its steps, its attempt schedule and its escalation timeline. The
 * file format is documented in rules/README.md ("Testing rules").
 *
 * <pre>
 * rule_files: [../]                 # relative to the test file; files or directories
 * tests:
 *   - name: refused connection is restarted
 *     alert: { labels: {alertname: KafkaConnectTaskFailure, connect_cluster: prod, connector: pg} }
 *     status: { name: pg, connector: {state: RUNNING}, tasks: [{id: 0, state: FAILED, trace: "..."}] }
 *     expect:
 *       rule: connect-db-connection-refused      # or "none"
 *       target: { cluster: prod, connector: pg }
 *       cause: Connection to db:5432 refused     # the cause line contains this
 *       steps: [restart, wait_for]
 *       attempts: [0s, 2m, 6m]                   # delays before the first attempts
 *       escalation: ["15m oncall"]
 *   - name: the catch-all gives up at 3m: its 15m page goes out then, once
 *     gave_up_after: 3m                        # when runbookd gives up, from the incident's opening
 *     expect:
 *       pages: ["3m oncall (gave up)"]         # every page of the incident, one per ladder level
 * </pre>
 */
public final class RuleTests {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> FILE_KEYS = Set.of("rule_files", "tests");
  private static final Set<String> TEST_KEYS = Set.of("name", "alert", "status", "gave_up_after", "expect");
  private static final Set<String> EXPECT_KEYS = Set.of("rule", "target", "cause", "steps", "attempts", "escalation", "pages");

  private RuleTests() {}

  /**
   * The outcome of one test file.
   *
   * @param file the test file
   * @param failures one line per failed expectation or error; empty when every test passed
   * @param tests number of test cases run
   */
  public record Result(Path file, List<String> failures, int tests) {
    public boolean passed() {
      return failures.isEmpty();
    }
  }

  /** Runs every test case of {@code file}. Never throws: errors become failures. */
  public static Result run(Path file) {
    return run(file, List.of());
  }

  /**
   * Runs every test case of {@code file} against {@code rulePaths} (rule files or directories), or
   * against the file's {@code rule_files} when {@code rulePaths} is empty. Never throws.
   */
  public static Result run(Path file, List<Path> rulePaths) {
    List<String> failures = new ArrayList<>();
    JsonNode root;
    try {
      root = YAML.readTree(file.toFile());
    } catch (IOException e) {
      return new Result(file, List.of("cannot read " + file + ": " + e.getMessage()), 0);
    }
    if (root == null || !root.isObject()) {
      return new Result(file, List.of(file + ": expected a mapping with rule_files and tests"), 0);
    }
    unknownKeys(root, FILE_KEYS, "", failures);
    List<Path> ruleFiles = new ArrayList<>();
    Path base = file.toAbsolutePath().getParent();
    JsonNode rf = root.path("rule_files");
    if (!rulePaths.isEmpty()) {
      ruleFiles.addAll(rulePaths);
    } else if (rf.isArray()) {
      rf.forEach(n -> ruleFiles.add(base.resolve(n.asText()).normalize()));
    } else {
      ruleFiles.add(base.getParent() == null ? base : base.getParent());
    }
    RuleSet rules;
    try {
      rules = new RuleLoader(RuleLoader.Context.unchecked(), Clock.systemUTC()).load(ruleFiles);
    } catch (RuleLoadException e) {
      List<String> out = new ArrayList<>();
      e.errors().forEach(err -> out.add("rule files do not load: " + err));
      return new Result(file, out, 0);
    }
    int count = 0;
    for (JsonNode test : root.path("tests")) {
      count++;
      String name = test.path("name").asText("test " + count);
      List<String> own = new ArrayList<>();
      unknownKeys(test, TEST_KEYS, "", own);
      unknownKeys(test.path("expect"), EXPECT_KEYS, "expect.", own);
      try {
        check(rules, test, own);
      } catch (RuntimeException e) {
        own.add(e.getMessage());
      }
      own.forEach(f -> failures.add("test \"" + name + "\": " + f));
    }
    if (count == 0) {
      failures.add(file + ": no tests");
    }
    return new Result(file, failures, count);
  }

  private static void check(RuleSet rules, JsonNode test, List<String> failures) {
    Map<String, String> labels = strings(test.path("alert").path("labels"));
    Map<String, String> annotations = strings(test.path("alert").path("annotations"));
    Optional<ConnectorStatus> status = test.hasNonNull("status")
        ? Optional.of(io.runbookd.connect.ConnectApis.parseStatus(test.get("status").toString()))
        : Optional.empty();
    RuleEvaluator.Evaluation ev = RuleEvaluator.evaluate(rules, labels, annotations, t -> status);
    JsonNode expect = test.path("expect");
    String want = expect.path("rule").asText("");
    Optional<RuleEvaluator.Match> match = ev.match();
    String got = match.map(m -> m.rule().name()).orElse("none");
    if (!want.isEmpty() && !want.equals(got)) {
      failures.add("expected rule " + want + ", got " + got + "\n" + indent(ev.explain()));
      return;
    }
    if (match.isEmpty()) {
      return;
    }
    Rule rule = match.get().rule();
    if (expect.has("target")) {
      ConnectorTarget t = match.get().target();
      ConnectorTarget w = new ConnectorTarget(expect.path("target").path("cluster").asText(t.cluster()),
          expect.path("target").path("connector").asText(t.connector()));
      if (!w.equals(t)) {
        failures.add("expected target " + w + ", got " + t);
      }
    }
    if (expect.has("cause")) {
      String cause = match.get().cause().orElse("");
      if (!cause.contains(expect.get("cause").asText())) {
        failures.add("expected the cause to contain \"" + expect.get("cause").asText() + "\", got \"" + cause + "\"");
      }
    }
    if (expect.has("steps")) {
      List<String> want2 = texts(expect.get("steps"));
      List<String> got2 = rule.steps().stream().map(Step::type).toList();
      if (!want2.equals(got2)) {
        failures.add("expected steps " + want2 + ", got " + got2);
      }
    }
    if (expect.has("attempts")) {
      List<String> want3 = texts(expect.get("attempts")).stream().map(d -> Durations.format(Durations.parse(d))).toList();
      List<String> got3 = new ArrayList<>();
      for (int k = 1; k <= Math.min(want3.size(), rule.retry().maxAttempts()); k++) {
        got3.add(Durations.format(RemediationPolicy.delayBefore(rule.retry(), k)));
      }
      if (!want3.equals(got3)) {
        failures.add("expected attempt delays " + want3 + ", got " + got3 + " (max_attempts " + rule.retry().maxAttempts() + ")");
      }
    }
    if (expect.has("escalation")) {
      List<String> want4 = texts(expect.get("escalation")).stream().map(RuleTests::normalizeLevel).toList();
      List<String> got4 = rule.escalation().stream().map(l -> Durations.format(l.after()) + " " + l.notifier()).toList();
      if (!want4.equals(got4)) {
        failures.add("expected escalation " + want4 + ", got " + got4);
      }
    }
    if (expect.has("pages")) {
      Optional<java.time.Duration> gaveUp = test.hasNonNull("gave_up_after")
          ? Optional.of(Durations.parse(test.get("gave_up_after").asText()))
          : Optional.empty();
      List<String> want5 = texts(expect.get("pages"));
      List<String> got5 = io.runbookd.policy.EscalationPolicy.pages(rule, gaveUp);
      if (!want5.equals(got5)) {
        failures.add("expected pages " + want5 + ", got " + got5 + " (the timeline of pages"
            + gaveUp.map(d -> " when runbookd gives up at " + Durations.format(d)).orElse("") + ")");
      }
    }
  }

  private static String normalizeLevel(String level) {
    String[] parts = level.trim().split("\\s+");
    if (parts.length != 2) {
      throw new IllegalArgumentException("escalation entries are \"<after> <notifier>\", got \"" + level + "\"");
    }
    return Durations.format(Durations.parse(parts[0])) + " " + parts[1];
  }

  private static void unknownKeys(JsonNode node, Set<String> allowed, String prefix, List<String> failures) {
    if (!node.isObject()) {
      return;
    }
    Set<String> seen = new HashSet<>();
    node.fieldNames().forEachRemaining(seen::add);
    seen.removeAll(allowed);
    for (String k : seen) {
      failures.add("unknown key \"" + prefix + k + "\" (allowed: " + new java.util.TreeSet<>(allowed) + ")");
    }
  }

  private static Map<String, String> strings(JsonNode n) {
    Map<String, String> out = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = n.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  private static List<String> texts(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.forEach(x -> out.add(x.asText()));
    return out;
  }

  private static String indent(String text) {
    return ("    " + text.strip()).replace("\n", "\n    ");
  }
}
