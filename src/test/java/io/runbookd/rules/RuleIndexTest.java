package io.runbookd.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.rules.RuleEvaluator.Candidate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The rule index finds exactly the rules a scan of every rule finds, in the same order, so the first
 * match is the same: checked on random rule sets and alerts built from a small vocabulary that makes
 * prefixes, empty values, missing labels and alternations collide often.
 */
class RuleIndexTest {

  private static final String[] NAMES = {"alertname", "connector", "team", "env"};
  private static final String[] VALUES = {"KafkaConnectTaskFailure", "KafkaConnectConnectorFailure", "orders-1",
      "orders-12", "pay-1", "", "a", "ab", "abc", "ac", "Orders-1"};
  private static final String[] REGEXES = {"orders-.*", "KafkaConnect(Task|Connector)Failure", "a|ab", "ab?c", "a+",
      "pay-\\\\d", "(?i)orders-.*", ".*", "ab*", "abc", "a{2}", "[ab]c", "orders-1(2)?", "orders-1|pay-1", "o.*",
      "abc?", "a(b|c)", "KafkaConnect.*", "ab+c?", "[a]bc", "abc|", "a\\\\|b"};
  private static final String[] OPS = {"=", "=", "=~", "=~", "!=", "!~"};

  private static RuleSet load(String yaml) throws RuleLoadException {
    return new RuleLoader(RuleLoader.Context.unchecked(), Clock.fixed(Instant.EPOCH, ZoneOffset.UTC)).parse("rules.yaml", yaml);
  }

  private static String randomRules(Random r, int count) {
    StringBuilder y = new StringBuilder("rules:\n");
    for (int i = 0; i < count; i++) {
      List<String> matchers = new ArrayList<>();
      int n = 1 + r.nextInt(3); // 1 to 3 matchers
      for (int j = 0; j < n; j++) {
        String op = OPS[r.nextInt(OPS.length)];
        String name = NAMES[r.nextInt(NAMES.length)];
        String value = op.contains("~") ? REGEXES[r.nextInt(REGEXES.length)] : VALUES[r.nextInt(VALUES.length)];
        matchers.add("'" + name + op + "\"" + value + "\"'");
      }
      y.append("  - name: r").append(i).append('\n')
          .append("    match:\n      alert: [").append(String.join(", ", matchers)).append("]\n")
          .append(r.nextBoolean() ? "      trace: 'boom" + r.nextInt(3) + "'\n" : "")
          .append("    target:\n      cluster: prod\n      connector: '{{ labels.connector }}'\n")
          .append("    steps: [restart: {}]\n");
    }
    return y.toString();
  }

  private static Map<String, String> randomLabels(Random r) {
    Map<String, String> labels = new HashMap<>();
    for (String name : NAMES) {
      if (r.nextInt(5) > 0) {
        labels.put(name, VALUES[r.nextInt(VALUES.length)]);
      }
    }
    return labels;
  }

  private static List<String> held(List<Candidate> candidates) {
    return candidates.stream().filter(Candidate::labelsHold)
        .map(c -> c.rule().name() + " " + c.target() + " " + c.targetError()).toList();
  }

  @Test
  void indexedSelectionEqualsALinearScanOnRandomRuleSetsAndAlerts() throws Exception {
    Random r = new Random(20261128L);
    int compared = 0;
    int nonEmpty = 0;
    for (int set = 0; set < 60; set++) {
      RuleSet rules = load(randomRules(r, 1 + r.nextInt(60)));
      RuleIndex index = RuleIndex.of(rules);
      for (int alert = 0; alert < 200; alert++) {
        Map<String, String> labels = randomLabels(r);
        List<Candidate> linear = RuleEvaluator.candidates(rules, labels, Map.of());
        List<Candidate> indexed = RuleEvaluator.heldCandidates(index, labels, Map.of());

        assertThat(held(indexed)).as("labels %s", labels).isEqualTo(held(linear));
        String trace = "x boom" + r.nextInt(4);
        Optional<ConnectorStatus> status = Optional.of(new ConnectorStatus("c", "sink",
            new ConnectorStatus.InstanceStatus(ConnectorState.FAILED, "w:8083", trace), List.of()));
        assertThat(RuleEvaluator.select(indexed, t -> status).match().map(m -> m.rule().name()))
            .as("labels %s, trace %s", labels, trace)
            .isEqualTo(RuleEvaluator.select(linear, t -> status).match().map(m -> m.rule().name()));
        compared++;
        nonEmpty += held(linear).isEmpty() ? 0 : 1;
      }
    }
    assertThat(compared).isEqualTo(12_000);
    assertThat(nonEmpty).as("alerts some rule's labels hold for").isGreaterThan(1_000);
  }

  @Test
  void anAlertIsTestedOnlyAgainstTheRulesFiledUnderItsLabels() throws Exception {
    StringBuilder y = new StringBuilder("rules:\n");
    for (int i = 0; i < 1000; i++) {
      y.append("  - name: team-").append(i).append('\n')
          .append("    match:\n      alert: ['alertname=~\"KafkaConnect(Task|Connector)Failure\"', 'connector=~\"team")
          .append(i).append("-.*\"']\n")
          .append("    target:\n      connector: '{{ labels.connector }}'\n    steps: [restart: {}]\n");
    }
    y.append("  - name: by-owner\n    match:\n      alert: ['owner=\"payments\"']\n")
        .append("    target:\n      connector: '{{ labels.connector }}'\n    steps: [restart: {}]\n");
    RuleIndex index = RuleIndex.of(load(y.toString()));

    List<Rule> c = index.candidates(Map.of("alertname", "KafkaConnectTaskFailure", "connector", "team42-orders"));

    assertThat(c).extracting(Rule::name).containsExactly("team-42");
    assertThat(index.candidates(Map.of("connector", "team4-x", "owner", "payments"))).extracting(Rule::name)
        .containsExactly("team-4", "by-owner");
  }

  @Test
  void literalPrefixIsOnlyWhatEveryMatchStartsWith() {
    assertThat(RuleIndex.literalPrefix("orders-.*")).isEqualTo("orders-");
    assertThat(RuleIndex.literalPrefix("KafkaConnect(Task|Connector)Failure")).isEqualTo("KafkaConnect");
    assertThat(RuleIndex.literalPrefix("ab?c")).isEqualTo("a");
    assertThat(RuleIndex.literalPrefix("ab*")).isEqualTo("a");
    assertThat(RuleIndex.literalPrefix("a{2}")).isEmpty();
    assertThat(RuleIndex.literalPrefix("ab+")).isEqualTo("ab");
    assertThat(RuleIndex.literalPrefix("a|ab")).isEmpty();
    assertThat(RuleIndex.literalPrefix("orders-(a|b)|pay")).isEmpty();
    assertThat(RuleIndex.literalPrefix("[|]x")).isEmpty();
    assertThat(RuleIndex.literalPrefix("x[|]")).isEqualTo("x");
    assertThat(RuleIndex.literalPrefix("(?i)orders")).isEmpty();
    assertThat(RuleIndex.literalPrefix("a\\|b")).isEqualTo("a");
  }
}
