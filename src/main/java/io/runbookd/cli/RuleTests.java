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
 *   - name: a sink's group is EMPTY and its lag grows while Connect says RUNNING
 *     alert: { labels: {alertname: KafkaConnectSinkLagGrowing, connect_cluster: prod, connector: s3} }
 *     status: { name: s3, type: sink, connector: {state: RUNNING}, tasks: [{id: 0, state: RUNNING}] }
 *     consumer_group:                          # connect-s3 as read now; absent = not readable
 *       state: EMPTY
 *       members: 0
 *       lag: [{topic: orders, partition: 0, committed: 100, end: 5000}]
 *       earlier: {age: 2m, lag: [{topic: orders, partition: 0, committed: 100, end: 1200}]}
 *     expect:
 *       decision: open                         # open | wait | stale | unmatched: what the daemon does
 *       rule: connect-sink-group-empty
 *   - name: the catch-all gives up at 3m: its 15m page goes out then, once
 *     gave_up_after: 3m                        # when runbookd gives up, from the incident's opening
 *     expect:
 *       pages: ["3m oncall (gave up)"]         # every page of the incident, one per ladder level
 * </pre>
 */
public final class RuleTests {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> FILE_KEYS = Set.of("rule_files", "tests");
  private static final Set<String> TEST_KEYS = Set.of("name", "alert", "status", "consumer_group", "gave_up_after",
      "expect");
  private static final Set<String> EXPECT_KEYS = Set.of("rule", "decision", "target", "cause", "steps", "attempts",
      "escalation", "pages");
  private static final Set<String> GROUP_KEYS = Set.of("state", "members", "lag", "earlier");
  private static final Set<String> EARLIER_KEYS = Set.of("age", "state", "members", "lag");
  private static final Set<String> LAG_KEYS = Set.of("topic", "partition", "committed", "end", "start");
  /** The instant a test case's alert is decided at (the consumer group's current reading is taken then). */
  static final java.time.Instant AT = java.time.Instant.parse("2026-01-01T00:00:00Z");

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
    io.runbookd.rules.GroupReading group = test.hasNonNull("consumer_group")
        ? groupReading(test.get("consumer_group"), failures)
        : io.runbookd.rules.GroupReading.unavailable("the test case gives no consumer_group");
    // The daemon's decision, through the daemon's code path (AlertPolicy.decide).
    List<RuleEvaluator.Candidate> candidates = RuleEvaluator.candidates(rules, labels, annotations);
    Map<ConnectorTarget, io.runbookd.policy.AlertPolicy.Lookup> lookups = new LinkedHashMap<>();
    Map<ConnectorTarget, io.runbookd.rules.GroupReading> groups = new LinkedHashMap<>();
    for (RuleEvaluator.Candidate c : candidates) {
      c.target().ifPresent(t -> {
        status.ifPresent(st -> lookups.put(t, new io.runbookd.policy.AlertPolicy.Lookup(st, null)));
        groups.put(t, named(group, "connect-" + t.connector()));
      });
    }
    RuleEvaluator.Evaluation ev = io.runbookd.policy.AlertPolicy.evaluate(candidates, lookups, groups);
    String decision = io.runbookd.policy.AlertPolicy.name(io.runbookd.policy.AlertPolicy.decide(AT, AT, candidates,
        lookups, groups));
    JsonNode expect = test.path("expect");
    if (expect.has("decision") && !expect.get("decision").asText().equals(decision)) {
      failures.add("expected decision " + expect.get("decision").asText() + ", got " + decision + "\n"
          + indent(ev.explain()));
      return;
    }
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

  /** A test case's {@code consumer_group}: the reading now (at {@link #AT}) and, optionally, an earlier one. */
  private static io.runbookd.rules.GroupReading groupReading(JsonNode n, List<String> failures) {
    unknownKeys(n, GROUP_KEYS, "consumer_group.", failures);
    io.runbookd.model.ConsumerGroupSnapshot now = snapshot(n, AT, failures, "consumer_group.");
    List<io.runbookd.model.ConsumerGroupSnapshot> earlier = new ArrayList<>();
    if (n.hasNonNull("earlier")) {
      JsonNode e = n.get("earlier");
      unknownKeys(e, EARLIER_KEYS, "consumer_group.earlier.", failures);
      if (!e.hasNonNull("age")) {
        throw new IllegalArgumentException("consumer_group.earlier needs age (how long before now it was read)");
      }
      earlier.add(snapshot(e, AT.minus(Durations.parse(e.get("age").asText())), failures, "consumer_group.earlier."));
    }
    return io.runbookd.rules.GroupReading.of(now, earlier);
  }

  private static io.runbookd.rules.GroupReading named(io.runbookd.rules.GroupReading r, String groupId) {
    if (r.current() == null) {
      return r;
    }
    java.util.function.UnaryOperator<io.runbookd.model.ConsumerGroupSnapshot> f = g -> new io.runbookd.model.ConsumerGroupSnapshot(
        groupId, g.state(), g.members(), g.partitions(), g.readAt());
    return io.runbookd.rules.GroupReading.of(f.apply(r.current()), r.earlier().stream().map(f).toList());
  }

  private static io.runbookd.model.ConsumerGroupSnapshot snapshot(JsonNode n, java.time.Instant at, List<String> failures,
      String prefix) {
    List<io.runbookd.model.PartitionLag> lags = new ArrayList<>();
    for (JsonNode p : n.path("lag")) {
      unknownKeys(p, LAG_KEYS, prefix + "lag[].", failures);
      lags.add(new io.runbookd.model.PartitionLag(p.path("topic").asText("topic"), p.path("partition").asInt(0),
          p.hasNonNull("committed") ? p.get("committed").asLong() : null, p.path("start").asLong(0), p.path("end").asLong(0)));
    }
    return new io.runbookd.model.ConsumerGroupSnapshot("connect-?", n.path("state").asText("STABLE"),
        n.path("members").asInt(0), lags, at);
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
