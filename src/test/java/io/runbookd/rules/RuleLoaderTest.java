package io.runbookd.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.runbookd.alert.LabelMatcher;
import io.runbookd.model.ConnectorState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RuleLoaderTest {

  private static final Path GOOD = Path.of("src/test/resources/rules/good");
  private static final Path BAD = Path.of("src/test/resources/rules/bad");
  private static final String B = BAD + "/";
  private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
  private static final RuleLoader LOADER = new RuleLoader(
      new RuleLoader.Context(Set.of("prod"), Set.of("oncall", "owner")), Clock.fixed(NOW, ZoneOffset.UTC));
  private static final String STEPS = "(steps: " + String.join(", ", RuleLoader.STEP_TYPES) + ")";
  private static final String RULE_KEYS =
      "(allowed: name, description, dry_run, match, target, retry, verify, approval, steps, escalation)";

  /** Every bad fixture and the exact errors it gives, in order. */
  private static final Map<String, List<String>> BAD_FIXTURES = new LinkedHashMap<>();

  static {
    bad("unknown-key.yaml",
        "unknown-key.yaml:5: rule \"misspelt-trace\": unknown key \"trce\" in match; did you mean \"trace\"?"
            + " (allowed: alert, trace, status, consumer_group)");
    bad("unknown-rule-key.yaml",
        "unknown-rule-key.yaml:7: rule \"misspelt-steps\": unknown key \"step\" in rule; did you mean \"steps\"? "
            + RULE_KEYS,
        "unknown-rule-key.yaml:9: rule \"misspelt-steps\": unknown key \"owner\" in rule " + RULE_KEYS);
    bad("wrong-type.yaml",
        "wrong-type.yaml:3: rule \"wrong-types\": dry_run must be true or false, got \"yes\"",
        "wrong-type.yaml:5: rule \"wrong-types\": match.alert must be a list of matchers, got"
            + " \"alertname=\"KafkaConnectTaskFailure\"\"; write it as a list: ['alertname=\"KafkaConnectTaskFailure\"']",
        "wrong-type.yaml:6: rule \"wrong-types\": match.trace must be a string, got a list",
        "wrong-type.yaml:7: rule \"wrong-types\": target must be a mapping (keys: cluster, connector), got"
            + " \"{{ labels.connector }}\"",
        "wrong-type.yaml:9: rule \"wrong-types\": retry.max_attempts must be an integer, got \"six\"",
        "wrong-type.yaml:11: rule \"wrong-types\": steps must be a list of steps, got a mapping");
    bad("missing-required.yaml",
        "missing-required.yaml:2: rule \"no-target-no-steps\": missing required key \"target\" in rule",
        "missing-required.yaml:2: rule \"no-target-no-steps\": missing required key \"steps\" in rule",
        "missing-required.yaml:5: missing required key \"name\" in rule",
        "missing-required.yaml:7: missing required key \"alert\" in match",
        "missing-required.yaml:9: missing required key \"connector\" in target");
    bad("duplicate-name.yaml",
        "duplicate-name.yaml:10: rule \"restart-on-refused\": duplicate rule name; first defined at " + B
            + "duplicate-name.yaml:2");
    bad("bad-rule-name.yaml",
        "bad-rule-name.yaml:2: rule \"Connect DB refused\": invalid rule name: use lowercase letters, digits, '.',"
            + " '_' and '-', starting with a letter or digit (e.g. \"connect-db-connection-refused\")");
    bad("bad-matcher.yaml",
        "bad-matcher.yaml:5: rule \"bad-matchers\": match.alert[0]: invalid regular expression"
            + " \"KafkaConnect(Task|Connector\": Unclosed group",
        "bad-matcher.yaml:6: rule \"bad-matchers\": match.alert[1]: matcher \"connector\" has no operator after"
            + " \"connector\" (use =, !=, =~ or !~)",
        "bad-matcher.yaml:7: rule \"bad-matchers\": match.alert[2]: matcher"
            + " \"alertname=\"KafkaConnectTaskFailure\",connector=\"pg\"\" has more than one matcher; write one"
            + " matcher per list item",
        "bad-matcher.yaml:8: rule \"bad-matchers\": match.alert[3]: matcher \"conn-ector=\"pg\"\" has no operator"
            + " after \"conn\" (use =, !=, =~ or !~)");
    bad("empty-matchers.yaml",
        "empty-matchers.yaml:4: rule \"matches-every-alert\": match.alert must list at least one matcher, e.g."
            + " 'alertname=\"KafkaConnectTaskFailure\"'");
    bad("bad-trace-regex.yaml",
        "bad-trace-regex.yaml:5: rule \"unclosed-group\": match.trace: invalid regular expression"
            + " \"(?i)connection (to \\S+ refused\": Unclosed group near index 30");
    bad("unsupported-regex.yaml",
        "unsupported-regex.yaml:5: rule \"repeated-word\": match.trace: unsupported regular expression"
            + " \"(\\w+) \\1 refused\": backreference \"\\1\" is not supported (patterns use RE2 syntax, which"
            + " matches in linear time: https://github.com/google/re2/wiki/Syntax)",
        "unsupported-regex.yaml:13: rule \"refused-not-by-proxy\": match.trace: unsupported regular expression"
            + " \"(?ix)\\n  connection\\s refused   # the database\\n  (?!\\s by \\s proxy)     # but not the proxy\\n\":"
            + " lookahead \"(?!\" is not supported (patterns use RE2 syntax, which matches in linear time:"
            + " https://github.com/google/re2/wiki/Syntax)",
        "unsupported-regex.yaml:25: rule \"not-test-connectors\": match.alert[1]: unsupported regular expression"
            + " \"(?!test-).*\": lookahead \"(?!\" is not supported (patterns use RE2 syntax, which matches in linear"
            + " time: https://github.com/google/re2/wiki/Syntax)");
    bad("trace-matches-empty.yaml",
        "trace-matches-empty.yaml:5: rule \"trailing-alternation\": match.trace: regular expression"
            + " \"Connection refused|\" matches the empty string, so it matches every trace; leave match.trace out"
            + " to match any trace");
    bad("bad-duration.yaml",
        "bad-duration.yaml:8: rule \"bad-durations\": retry.reset_after: invalid duration \"-1s\": must not be"
            + " negative",
        "bad-duration.yaml:10: rule \"bad-durations\": verify.within: invalid duration \"1.5m\": fractions are not"
            + " allowed (write e.g. \"1m30s\" for 1.5m, \"1500ms\" for 1.5s)",
        "bad-duration.yaml:12: rule \"bad-durations\": steps[0].wait: invalid duration \"30\": no unit after \"30\""
            + " (use ms, s, m, h, d, w or y, e.g. \"30s\")",
        "bad-duration.yaml:13: rule \"bad-durations\": steps[1].wait_for.within: invalid duration \"2 minutes\":"
            + " must not contain spaces (write e.g. \"1h30m\")",
        "bad-duration.yaml:15: rule \"bad-durations\": escalation[0].after: invalid duration \"\": empty (use e.g."
            + " \"30s\")");
    bad("bad-template.yaml",
        "bad-template.yaml:6: rule \"bad-templates\": target.connector: invalid template: \"{{\" is not closed by"
            + " \"}}\"",
        "bad-template.yaml:8: rule \"bad-templates\": steps[0].notify.message: invalid template: unknown filter"
            + " \"shout\"",
        "bad-template.yaml:12: rule \"bad-templates\": escalation[0].message: invalid template: Unexpected end of"
            + " template. Pebble was looking for the \"endif\" tag");
    bad("undefined-template-variable.yaml",
        "undefined-template-variable.yaml:6: rule \"typo-in-variables\": target.cluster: variable \"trace\" does not"
            + " exist (variables: labels, annotations, rule); target templates are rendered before the connector is"
            + " known, so they see only labels, annotations and rule",
        "undefined-template-variable.yaml:7: rule \"typo-in-variables\": target.connector: variable \"lables\" does"
            + " not exist (variables: labels, annotations, rule); target templates are rendered before the"
            + " connector is known, so they see only labels, annotations and rule",
        "undefined-template-variable.yaml:9: rule \"typo-in-variables\": steps[0].notify.message: variable"
            + " \"target.conector\" does not exist (target has: cluster, connector)",
        "undefined-template-variable.yaml:13: rule \"typo-in-variables\": escalation[0].message: variable"
            + " \"incident.attempt\" does not exist (incident has: id, attempts, state, url)");
    bad("undefined-notifier.yaml",
        "undefined-notifier.yaml:8: rule \"unknown-notifiers\": undefined notifier \"slack\" used in steps[0].notify"
            + " (defined: oncall, owner)",
        "undefined-notifier.yaml:11: rule \"unknown-notifiers\": undefined notifier \"pager\" used in"
            + " escalation[0].notify (defined: oncall, owner)");
    bad("undefined-cluster.yaml",
        "undefined-cluster.yaml:6: rule \"literal-cluster\": undefined Connect cluster \"staging\" used in"
            + " target.cluster (defined: prod)");
    bad("unknown-step.yaml",
        "unknown-step.yaml:8: rule \"unknown-steps\": steps[0]: unknown step \"restrt\"; did you mean \"restart\"? "
            + STEPS,
        "unknown-step.yaml:9: rule \"unknown-steps\": steps[1]: unknown step \"snapshots\"; did you mean"
            + " \"snapshot\"? " + STEPS,
        "unknown-step.yaml:10: rule \"unknown-steps\": steps[2]: unknown step \"reboot\" " + STEPS);
    bad("step-params.yaml",
        "step-params.yaml:8: rule \"wrong-step-params\": unknown key \"only_faild\" in steps[0].restart; did you mean"
            + " \"only_failed\"? (allowed: include_tasks, only_failed)",
        "step-params.yaml:9: rule \"wrong-step-params\": steps[1].restart_task.task must be a task id (0 or more),"
            + " got -1",
        "step-params.yaml:10: rule \"wrong-step-params\": unknown key \"force\" in steps[2].pause (allowed:"
            + " pipeline)",
        "step-params.yaml:11: rule \"wrong-step-params\": steps[3].wait_for needs state (e.g. state: RUNNING) or"
            + " config_change: true",
        "step-params.yaml:12: rule \"wrong-step-params\": steps[4].wait_for takes either state or config_change:"
            + " true, not both",
        "step-params.yaml:13: rule \"wrong-step-params\": steps[5].wait_for.state must be one of RUNNING, PAUSED,"
            + " STOPPED, got \"running\"",
        "step-params.yaml:14: rule \"wrong-step-params\": missing required key \"set\" in steps[6].patch_config",
        "step-params.yaml:15: rule \"wrong-step-params\": steps[7].patch_config.set.transforms must be a string, a"
            + " number, a boolean or null (to remove the key), got a list",
        "step-params.yaml:16: rule \"wrong-step-params\": missing required key \"notifier\" in steps[8].notify");
    bad("step-shape.yaml",
        "step-shape.yaml:8: rule \"step-shapes\": steps[0] must be a mapping with one step, e.g. \"restart: {}\","
            + " got \"pause\"; write \"pause: {}\"",
        "step-shape.yaml:9: rule \"step-shapes\": steps[1] has 2 keys (restart, wait); write one step per list item",
        "step-shape.yaml:11: rule \"step-shapes\": steps[2] is empty; write one step, e.g. \"restart: {}\"",
        "step-shape.yaml:12: rule \"step-shapes\": steps[3].stop takes {} or {pipeline: true}; write \"stop: {}\"");
    bad("escalation-order.yaml",
        "escalation-order.yaml:12: rule \"ladder-out-of-order\": escalation[1].after (10m) must be later than"
            + " escalation[0].after (15m)",
        "escalation-order.yaml:14: rule \"ladder-out-of-order\": escalation[2].after (10m) must be later than"
            + " escalation[1].after (10m)");
    bad("max-attempts.yaml",
        "max-attempts.yaml:7: rule \"zero-attempts\": retry.max_attempts must be at least 1, got 0");
    bad("backoff.yaml",
        "backoff.yaml:7: rule \"too-many-backoffs\": retry.backoff has 4 entries but retry.max_attempts is 3;"
            + " entries after the 3rd would never be used",
        "backoff.yaml:15: rule \"bad-backoff-entries\": retry.backoff[1]: invalid duration \"2\": no unit after"
            + " \"2\" (use ms, s, m, h, d, w or y, e.g. \"2s\")",
        "backoff.yaml:15: rule \"bad-backoff-entries\": retry.backoff[2] must be a duration such as \"30s\", got a"
            + " mapping",
        "backoff.yaml:23: rule \"backoff-not-a-list\": retry.backoff must be a list of durations, got \"2m\"");
    bad("empty-file.yaml",
        "empty-file.yaml:1: the file is empty; it must have a top-level \"rules:\" list");
    bad("no-rules-key.yaml",
        "no-rules-key.yaml:1: unknown key \"rule\" in the file; did you mean \"rules\"? (allowed: rules)",
        "no-rules-key.yaml:1: missing top-level key \"rules\"");
    bad("yaml-syntax.yaml",
        "yaml-syntax.yaml:6: YAML syntax error: expected ',' or '}', but got <scalar> (while parsing a flow mapping"
            + " at line 5)");
    bad("duplicate-key.yaml",
        "duplicate-key.yaml:9: rule \"steps-twice\": duplicate key \"steps\" in rule");
    bad("does-nothing.yaml",
        "does-nothing.yaml:7: rule \"no-steps-no-escalation\": steps is empty and there is no escalation, so the"
            + " rule would do nothing; add a step or an escalation level");
    bad("merge-key.yaml",
        "merge-key.yaml:11: rule \"second\": YAML merge keys (<<) are not supported in rule files; write the keys"
            + " out",
        "merge-key.yaml:11: rule \"second\": missing required key \"alert\" in match");
    bad("rules-not-a-list.yaml",
        "rules-not-a-list.yaml:2: rules must be a list of rules, each starting with \"- name:\", got a mapping");
    bad("empty-values.yaml",
        "empty-values.yaml:3: rule \"empty-values\": description must not be empty",
        "empty-values.yaml:6: rule \"empty-values\": match.trace must not be empty; leave it out to match any"
            + " trace",
        "empty-values.yaml:8: rule \"empty-values\": target.connector must not be empty");
    bad("rule-not-a-mapping.yaml",
        "rule-not-a-mapping.yaml:2: rules[0] must be a mapping (a rule), got \"connect-db-connection-refused\"");
    bad("many-errors.yaml",
        "many-errors.yaml:5: rule \"many-errors\": match.alert[0]: matcher \"alertname=KafkaConnectTaskFailure\"\""
            + " has '\"' or ',' in an unquoted value; quote the whole value, e.g. alertname=\"...\"",
        "many-errors.yaml:6: rule \"many-errors\": match.trace: invalid regular expression \"(refused\": Unclosed"
            + " group near index 8",
        "many-errors.yaml:9: rule \"many-errors\": retry.max_attempts must be at least 1, got 0",
        "many-errors.yaml:9: rule \"many-errors\": retry.reset_after: invalid duration \"30\": no unit after \"30\""
            + " (use ms, s, m, h, d, w or y, e.g. \"30s\")",
        "many-errors.yaml:11: rule \"many-errors\": steps[0].restart.only_failed must be true or false, got"
            + " \"maybe\"",
        "many-errors.yaml:12: rule \"many-errors\": undefined notifier \"pager\" used in steps[1].notify (defined:"
            + " oncall, owner)",
        "many-errors.yaml:16: rule \"many-errors\": unknown key \"colour\" in escalation[0] (allowed: after, notify,"
            + " message)");
    bad("approval.yaml",
        "approval.yaml:8: rule \"destructive-without-approver\": steps[1].patch_config sets errors.tolerance: all,"
            + " which can drop records, so attempts need an approval: set approval.notify (who is asked to approve),"
            + " put an approve step before it, or set approval.required: never",
        "approval.yaml:12: rule \"always-without-approver\": approval.required: always needs approval.notify (who"
            + " is asked to approve)",
        "approval.yaml:18: rule \"bad-approval-values\": unknown key \"timeout\" in approval (allowed: required, ttl,"
            + " default, notify)",
        "approval.yaml:18: rule \"bad-approval-values\": approval.required must be auto, always or never, got"
            + " \"sometimes\"",
        "approval.yaml:18: rule \"bad-approval-values\": approval.ttl must be longer than 0s",
        "approval.yaml:18: rule \"bad-approval-values\": approval.default must be approve or reject, got \"ignore\"",
        "approval.yaml:18: rule \"bad-approval-values\": undefined notifier \"pager\" used in approval.notify"
            + " (defined: oncall, owner)",
        "approval.yaml:25: rule \"gate-without-approver\": steps[0].approve needs notify (who is asked to approve),"
            + " or set approval.notify for the rule",
        "approval.yaml:31: rule \"bad-gate-values\": unknown key \"message\" in steps[0].approve (allowed: ttl,"
            + " default, notify)",
        "approval.yaml:31: rule \"bad-gate-values\": steps[0].approve.ttl: invalid duration \"90\": no unit after"
            + " \"90\" (use ms, s, m, h, d, w or y, e.g. \"90s\")",
        "approval.yaml:31: rule \"bad-gate-values\": steps[0].approve.default must be approve or reject, got"
            + " \"maybe\"",
        "approval.yaml:39: rule \"nothing-to-approve\": steps[1].approve is the last step, so there is nothing to"
            + " approve; put it before the steps it guards",
        "approval.yaml:46: rule \"two-gates-in-a-row\": steps[1].approve follows steps[0].approve with nothing to"
            + " approve between them; remove one");
  }

  /** Loaded together with good/minimal.yaml, see {@link #aRuleNameMustBeUniqueAcrossFiles()}. */
  private static final String ACROSS_FILES = "duplicate-name-across-files.yaml";

  private static void bad(String file, String... messages) {
    BAD_FIXTURES.put(file, Stream.of(messages).map(m -> B + m).toList());
  }

  static Stream<Arguments> badFixtures() {
    return BAD_FIXTURES.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFixtures")
  void eachBadFixtureFailsWithExactlyTheseErrors(String file, List<String> expected) {
    RuleLoadException e = catchThrowableOfType(RuleLoadException.class, () -> LOADER.load(List.of(BAD.resolve(file))));
    assertThat(e).as("%s should not load", file).isNotNull();
    assertThat(e.errors()).extracting(RuleError::toString).containsExactlyElementsOf(expected);
    assertThat(e.getMessage()).isEqualTo(String.join("\n", expected));
  }

  @Test
  void everyBadFixtureHasItsExpectedErrors() throws IOException {
    try (Stream<Path> files = Files.list(BAD)) {
      assertThat(files.map(p -> p.getFileName().toString()).filter(n -> !n.equals(ACROSS_FILES)))
          .containsExactlyInAnyOrderElementsOf(BAD_FIXTURES.keySet());
    }
  }

  @Test
  void errorsCarryFileLineRuleAndMessageSeparately() {
    RuleLoadException e = catchThrowableOfType(RuleLoadException.class,
        () -> LOADER.load(List.of(BAD.resolve("undefined-notifier.yaml"))));
    assertThat(e.errors().get(1)).isEqualTo(new RuleError(B + "undefined-notifier.yaml", 11, "unknown-notifiers",
        "undefined notifier \"pager\" used in escalation[0].notify (defined: oncall, owner)"));
  }

  @Test
  void errorsInEveryFileAreCollectedInFileOrder() {
    RuleLoadException e = catchThrowableOfType(RuleLoadException.class, () -> LOADER.load(List.of(
        BAD.resolve("max-attempts.yaml"), GOOD.resolve("minimal.yaml"), BAD.resolve("unknown-key.yaml"))));
    assertThat(e.errors()).extracting(RuleError::toString).containsExactly(
        B + "max-attempts.yaml:7: rule \"zero-attempts\": retry.max_attempts must be at least 1, got 0",
        B + "unknown-key.yaml:5: rule \"misspelt-trace\": unknown key \"trce\" in match; did you mean \"trace\"?"
            + " (allowed: alert, trace, status, consumer_group)");
  }

  @Test
  void aRuleNameMustBeUniqueAcrossFiles() {
    assertThatThrownBy(() -> LOADER.load(List.of(GOOD.resolve("minimal.yaml"), BAD.resolve(ACROSS_FILES))))
        .isInstanceOf(RuleLoadException.class)
        .hasMessage(B + ACROSS_FILES + ":3: rule \"minimal\": duplicate rule name; first defined at " + GOOD
            + "/minimal.yaml:3");
  }

  @Test
  void withoutAConfigNotifiersAndClustersAreNotChecked() throws RuleLoadException {
    RuleLoader unchecked = new RuleLoader(RuleLoader.Context.unchecked(), Clock.fixed(NOW, ZoneOffset.UTC));
    assertThat(unchecked.load(List.of(BAD.resolve("undefined-notifier.yaml"), BAD.resolve("undefined-cluster.yaml")))
        .rules()).extracting(Rule::name)
        .containsExactly("unknown-notifiers", "literal-cluster", "templated-cluster-is-not-checked");
  }

  @Test
  void aConfigWithoutNotifiersSaysSo() {
    RuleLoader none = new RuleLoader(new RuleLoader.Context(null, Set.of()), Clock.fixed(NOW, ZoneOffset.UTC));
    assertThatThrownBy(() -> none.load(List.of(GOOD.resolve("notify-only.yml"))))
        .hasMessage(GOOD + "/notify-only.yml:13: rule \"notify-only\": undefined notifier \"oncall\" used in"
            + " escalation[0].notify (none defined in runbookd.yaml)");
  }

  // ---------------------------------------------------------------- good fixtures

  @Test
  void aDirectoryLoadsItsYamlFilesSortedByNameAndSkipsOtherFiles() throws RuleLoadException {
    RuleSet set = LOADER.load(List.of(GOOD));
    assertThat(set.files()).containsExactly(GOOD + "/approval.yaml", GOOD + "/full.yaml", GOOD + "/minimal.yaml",
        GOOD + "/notify-only.yml");
    assertThat(set.rules()).extracting(Rule::name).containsExactly("tolerance-to-dlq", "gated-cycle",
        "tolerance-unattended", "every-restart-approved", "full.example_1", "minimal", "notify-only");
    assertThat(set.loadedAt()).isEqualTo(NOW);
    assertThat(set.byName("minimal")).isPresent();
  }

  @Test
  void aPathGivenTwiceIsLoadedOnce() throws RuleLoadException {
    RuleSet set = LOADER.load(List.of(GOOD, GOOD.resolve("minimal.yaml")));
    assertThat(set.rules()).extracting(Rule::name).containsExactly("tolerance-to-dlq", "gated-cycle",
        "tolerance-unattended", "every-restart-approved", "full.example_1", "minimal", "notify-only");
  }

  private static String probeRule(String probe) {
    return """
        rules:
          - name: probed
            match: { alert: ['alertname="KafkaConnectTaskFailure"'] }
            target: { cluster: prod, connector: c }
            retry: { max_attempts: 3, backoff: [0s, 2m], probe: %s }
            steps: [ { restart: {} } ]
        """.formatted(probe);
  }

  @Test
  void retryProbeReadsTcpHttpAndTheirDefaults() throws RuleLoadException {
    assertThat(LOADER.parse("p.yaml", probeRule("tcp")).rules().get(0).retry().probe())
        .isEqualTo(new Rule.Probe(false, null, 0, null, Duration.ofSeconds(5), Duration.ofSeconds(3)));
    Rule.Probe http = LOADER.parse("p.yaml", probeRule("{ http: { path: /subjects, status: 200, body: 'ok' }, every: 10s,"
        + " timeout: 2s }")).rules().get(0).retry().probe();
    assertThat(http.http()).isTrue();
    assertThat(http.path()).isEqualTo("/subjects");
    assertThat(http.status()).isEqualTo(200);
    assertThat(http.body().pattern()).isEqualTo("ok");
    assertThat(http.every()).isEqualTo(Duration.ofSeconds(10));
    assertThat(http.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(LOADER.parse("p.yaml", probeRule("{ tcp: {} }")).rules().get(0).retry().probe().http()).isFalse();
  }

  private static String verifyRule(String verify) {
    return """
        rules:
          - name: pause-the-pipeline
            match: { alert: ['alertname="OrdersDbOverloaded"'] }
            target: { cluster: prod, connector: c }
            verify: %s
            steps: [ { pause: {} } ]
        """.formatted(verify);
  }

  @Test
  void verifyStateNamesTheStateTheStepsLeaveTheConnectorInAndDefaultsToRunning() throws RuleLoadException {
    assertThat(LOADER.parse("v.yaml", verifyRule("{ state: PAUSED, within: 1m, stable_for: 5s }")).rules().get(0).verify())
        .isEqualTo(new Rule.Verify(Duration.ofMinutes(1), Duration.ofSeconds(5), ConnectorState.PAUSED));
    assertThat(LOADER.parse("v.yaml", verifyRule("{ state: STOPPED }")).rules().get(0).verify())
        .isEqualTo(new Rule.Verify(Duration.ofMinutes(5), Duration.ofSeconds(60), ConnectorState.STOPPED));
    assertThat(LOADER.parse("v.yaml", verifyRule("{ within: 2m }")).rules().get(0).verify().state())
        .isEqualTo(ConnectorState.RUNNING);
  }

  @Test
  void aVerifyStateConnectCannotBeAskedForIsAnErrorNamingFileLineAndRule() {
    RuleLoadException e = catchThrowableOfType(RuleLoadException.class,
        () -> LOADER.parse("v.yaml", verifyRule("{ within: 1m,\n                state: FAILED }")));
    assertThat(e.errors()).extracting(RuleError::toString).containsExactly(
        "v.yaml:6: rule \"pause-the-pipeline\": verify.state must be one of RUNNING, PAUSED, STOPPED, got \"FAILED\"");
    assertThat(catchThrowableOfType(RuleLoadException.class, () -> LOADER.parse("v.yaml", verifyRule("{ state: paused }")))
        .errors()).extracting(RuleError::message)
        .containsExactly("verify.state must be one of RUNNING, PAUSED, STOPPED, got \"paused\"");
  }

  @Test
  void aWrongRetryProbeIsAClearError() {
    assertThat(catchThrowableOfType(RuleLoadException.class, () -> LOADER.parse("p.yaml", probeRule("ping"))).errors())
        .extracting(RuleError::message)
        .containsExactly("retry.probe must be tcp, http, or a mapping {tcp: {}} / {http: {path, status, body}}, got \"ping\"");
    assertThat(catchThrowableOfType(RuleLoadException.class, () -> LOADER.parse("p.yaml",
        probeRule("{ tcp: {}, http: {} }"))).errors()).extracting(RuleError::message)
        .containsExactly("retry.probe needs exactly one of tcp or http");
    assertThat(catchThrowableOfType(RuleLoadException.class, () -> LOADER.parse("p.yaml",
        probeRule("{ http: { status: 42, path: subjects } }"))).errors()).extracting(RuleError::message)
        .containsExactlyInAnyOrder("retry.probe.http.path must start with /, got \"subjects\"",
            "retry.probe.http.status must be an HTTP status (100-599), got 42");
  }

  @Test
  void omittedKeysTakeTheirDocumentedDefaults() throws RuleLoadException {
    Rule r = LOADER.load(List.of(GOOD.resolve("minimal.yaml"))).rules().get(0);
    assertThat(r.name()).isEqualTo("minimal");
    assertThat(r.source()).isEqualTo(new Rule.Source(GOOD + "/minimal.yaml", 3));
    assertThat(r.description()).isEmpty();
    assertThat(r.dryRun()).isFalse();
    assertThat(r.alertMatchers()).containsExactly(LabelMatcher.parse("alertname=\"KafkaConnectTaskFailure\""));
    assertThat(r.trace()).isEmpty();
    assertThat(r.target().cluster().source()).isEqualTo("{{ labels.connect_cluster }}");
    assertThat(r.target().connector().source()).isEqualTo("{{ labels.connector }}");
    assertThat(r.retry()).isEqualTo(new Rule.RetryPolicy(6, List.of(), Duration.ofMinutes(30)));
    assertThat(r.verify()).isEqualTo(new Rule.Verify(Duration.ofMinutes(5), Duration.ofSeconds(60)));
    assertThat(r.steps()).containsExactly(new Step.Restart(true, true));
    assertThat(r.escalation()).isEmpty();
    assertThat(r.approval()).isEqualTo(Rule.Approval.DEFAULT);
    assertThat(r.gateBeforeSteps()).isEmpty();
  }

  @Test
  void everyKeyAndStepIsReadIntoTheModel() throws RuleLoadException {
    Rule r = LOADER.load(List.of(GOOD.resolve("full.yaml"))).rules().get(0);
    assertThat(r.name()).isEqualTo("full.example_1");
    assertThat(r.description()).isEqualTo("Every key set.");
    assertThat(r.dryRun()).isTrue();
    assertThat(r.alertMatchers()).containsExactly(
        LabelMatcher.of("alertname", LabelMatcher.Op.REGEX, "KafkaConnect(Task|Connector)Failure"),
        LabelMatcher.of("severity", LabelMatcher.Op.NOT_EQUAL, "info"),
        LabelMatcher.of("team", LabelMatcher.Op.EQUAL, "db"));
    assertThat(r.trace().orElseThrow().pattern()).isEqualTo("(?i)connection (to \\S+ )?refused");
    assertThat(r.target().cluster().source()).isEqualTo("prod");
    assertThat(r.retry()).isEqualTo(new Rule.RetryPolicy(3,
        List.of(Duration.ZERO, Duration.ofSeconds(90), Duration.ofMinutes(90)), Duration.ofHours(2)));
    assertThat(r.verify()).isEqualTo(new Rule.Verify(Duration.ofMinutes(10), Duration.ofMillis(500)));

    Map<String, String> patch = new LinkedHashMap<>();
    patch.put("errors.tolerance", "all");
    patch.put("errors.deadletterqueue.topic.name", "dlq-orders");
    patch.put("max.retries", "10");
    patch.put("errors.log.enable", "true");
    patch.put("transforms", null);
    List<Step> steps = r.steps();
    assertThat(steps.subList(0, 15)).containsExactly(
        new Step.Restart(false, false),
        new Step.Restart(true, true),
        new Step.Restart(true, true),
        new Step.RestartTask(Optional.of(2)),
        new Step.RestartTask(Optional.empty()),
        new Step.Pause(),
        new Step.Resume(),
        new Step.Stop(),
        new Step.PatchConfig(patch, true),
        new Step.PatchConfig(Map.of("auto.evolve", "true"), false),
        new Step.Wait(Duration.ofSeconds(30)),
        new Step.WaitFor(ConnectorState.RUNNING, Duration.ofMinutes(2), Duration.ofSeconds(30), false),
        new Step.WaitFor(ConnectorState.STOPPED, Duration.ofMinutes(1), Duration.ZERO, false),
        new Step.WaitFor(ConnectorState.RUNNING, Duration.ofHours(4), Duration.ZERO, true),
        new Step.Approve(Duration.ofMinutes(10), true, "oncall"));
    assertThat(new java.util.ArrayList<>(((Step.PatchConfig) steps.get(8)).set().keySet()))
        .as("config keys keep file order").containsExactlyElementsOf(patch.keySet());
    assertThat(steps.get(8).destructive()).as("errors.tolerance: all can drop records").isTrue();
    Step.Notify owner = (Step.Notify) steps.get(15);
    assertThat(owner.notifier()).isEqualTo("owner");
    assertThat(owner.message().source()).isEqualTo("{{ target.connector }} on {{ target.cluster }}: {{ trace.cause }}");
    Step.Notify oncall = (Step.Notify) steps.get(16);
    assertThat(oncall.message().source()).isEqualTo(RuleLoader.DEFAULT_MESSAGE);
    assertThat(steps).hasSize(17);
    assertThat(r.approval()).isEqualTo(new Rule.Approval(Rule.Approval.Required.AUTO, Duration.ofMinutes(30), false, "owner"));
    assertThat(r.gateBeforeSteps()).as("steps[8] is destructive and no approve step comes before it")
        .contains(new Step.Approve(Duration.ofMinutes(30), false, "owner"));

    assertThat(r.escalation()).hasSize(2);
    assertThat(r.escalation().get(0).after()).isEqualTo(Duration.ZERO);
    assertThat(r.escalation().get(0).notifier()).isEqualTo("owner");
    assertThat(r.escalation().get(0).message().source()).isEqualTo(RuleLoader.DEFAULT_MESSAGE);
    assertThat(r.escalation().get(1).after()).isEqualTo(Duration.ofMinutes(15));
    assertThat(r.escalation().get(1).message().render(TemplateContext.message(new TemplateContext.Message(r.name(),
        Map.of(), Map.of(), new ConnectorTarget("prod", "pg-orders"), "inc-1", 4, "ESCALATED",
        "java.net.ConnectException: Connection refused", "", "FAILED"))))
        .isEqualTo("pg-orders still failing after 4 attempts\n(many): java.net.ConnectException: Connection refused\n");
  }

  @Test
  void approvalGatesComeFromTheRulePolicyAndApproveSteps() throws RuleLoadException {
    Map<String, Rule> rules = new LinkedHashMap<>();
    LOADER.load(List.of(GOOD.resolve("approval.yaml"))).rules().forEach(r -> rules.put(r.name(), r));

    Rule dlq = rules.get("tolerance-to-dlq");
    assertThat(dlq.approval()).isEqualTo(new Rule.Approval(Rule.Approval.Required.AUTO, Duration.ofMinutes(30), false,
        "owner"));
    assertThat(dlq.firstUngatedDestructiveStep()).isZero();
    assertThat(dlq.gateBeforeSteps()).as("a destructive step and no approve step before it")
        .contains(new Step.Approve(Duration.ofMinutes(30), false, "owner"));

    Rule cycle = rules.get("gated-cycle");
    assertThat(cycle.gateBeforeSteps()).as("nothing destructive").isEmpty();
    assertThat(cycle.steps().get(1)).isEqualTo(new Step.Approve(Duration.ofHours(2), true, "oncall"));
    assertThat(cycle.steps()).extracting(Step::actsOnConnect).containsExactly(false, false, true, true);

    assertThat(rules.get("tolerance-unattended").gateBeforeSteps()).as("required: never").isEmpty();

    Rule always = rules.get("every-restart-approved");
    assertThat(always.gateBeforeSteps()).contains(new Step.Approve(Duration.ofMinutes(5), true, "oncall"));
    assertThat(always.steps().get(1)).as("an approve step takes the rule's values")
        .isEqualTo(new Step.Approve(Duration.ofMinutes(5), true, "oncall"));
  }

  @Test
  void templatesAreCompiledAtLoadAndRenderWithAlertLabels() throws RuleLoadException {
    Rule r = LOADER.load(List.of(GOOD.resolve("full.yaml"))).rules().get(0);
    Map<String, Object> ctx = TemplateContext.target(r.name(), Map.of(), Map.of("connector", "from-annotation"));
    assertThat(r.target().connector().render(ctx)).isEqualTo("from-annotation");
  }

  @Test
  void aNotifyOnlyRuleHasNoStepsAndADefaultEscalationMessage() throws RuleLoadException {
    Rule r = LOADER.load(List.of(GOOD.resolve("notify-only.yml"))).rules().get(0);
    assertThat(r.steps()).isEmpty();
    assertThat(r.escalation()).singleElement().satisfies(level -> {
      assertThat(level.after()).isEqualTo(Duration.ofMinutes(5));
      assertThat(level.notifier()).isEqualTo("oncall");
      assertThat(level.message().render(TemplateContext.message(new TemplateContext.Message("notify-only",
          Map.of(), Map.of(), new ConnectorTarget("prod", "orders-sink"), "inc-7", 2, "ESCALATED",
          "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler", "", "RUNNING"))))
          .isEqualTo("[runbookd] prod/orders-sink is RUNNING (rule notify-only, incident inc-7, 2 attempts):"
              + " org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler");
    });
  }

  @Test
  void aFileCanBeParsedFromMemory() throws RuleLoadException {
    RuleSet set = LOADER.parse("inline.yaml", "rules: []\n");
    assertThat(set.rules()).isEmpty();
    assertThat(set.files()).containsExactly("inline.yaml");
    assertThatThrownBy(() -> LOADER.parse("inline.yaml", "rules:\n  - name: x\n    steps: []\n"))
        .hasMessage("inline.yaml:2: rule \"x\": missing required key \"match\" in rule\n"
            + "inline.yaml:2: rule \"x\": missing required key \"target\" in rule");
  }

  // ---------------------------------------------------------------- paths

  @Test
  void aMissingPathIsAnError() {
    Path missing = GOOD.resolve("nope.yaml");
    assertThatThrownBy(() -> LOADER.load(List.of(missing)))
        .hasMessage(missing + ": no such file or directory");
  }

  @Test
  void aDirectoryWithoutRuleFilesIsAnError(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("notes.txt"), "not a rule file");
    Files.createDirectory(dir.resolve("sub.yaml"));
    assertThatThrownBy(() -> LOADER.load(List.of(dir)))
        .hasMessage(dir + ": no rule files (*.yaml, *.yml) in directory");
  }

  @Test
  void hiddenFilesInADirectoryAreSkipped(@TempDir Path dir) throws IOException, RuleLoadException {
    Files.copy(GOOD.resolve("minimal.yaml"), dir.resolve("10-minimal.yaml"));
    Files.writeString(dir.resolve(".10-minimal.yaml.swp"), "editor swap file: not YAML {{{");
    Files.writeString(dir.resolve(".#10-minimal.yaml"), "editor lock: not YAML {{{");
    assertThat(LOADER.load(List.of(dir)).files()).containsExactly(dir.resolve("10-minimal.yaml").toString());
  }

  @Test
  void aFileThatIsNotUtf8IsAnError(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("latin1.yaml");
    Files.write(f, new byte[] {'r', 'u', 'l', 'e', 's', ':', ' ', '#', ' ', (byte) 0xE9, '\n'});
    assertThatThrownBy(() -> LOADER.load(List.of(f))).hasMessage(f + ": cannot read: not valid UTF-8");
  }

  @Test
  void noPathIsAnError() {
    assertThatThrownBy(() -> LOADER.load(List.of())).hasMessage("<none>: no rule files or directories given");
  }

  @Test
  void aLoadExceptionNeedsAtLeastOneError() {
    assertThatThrownBy(() -> new RuleLoadException(List.of())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anErrorWithoutLineOrRuleLeavesThoseParts() {
    assertThat(new RuleError("rules/x.yaml", 0, null, "cannot read")).hasToString("rules/x.yaml: cannot read");
    assertThat(new RuleError("rules/x.yaml", 4, null, "m")).hasToString("rules/x.yaml:4: m");
    assertThat(new RuleError("rules/x.yaml", 4, "r", "m")).hasToString("rules/x.yaml:4: rule \"r\": m");
  }
}
