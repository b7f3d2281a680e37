package io.runbookd.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.bench.ManyRules;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** 10,000 rules load from ONE file (larger than SnakeYAML's default 3 MiB limit) and select as a scan would. */
class LargeRuleFileTest {

  @Test
  void tenThousandRulesLoadFromOneFileAndTheRightOneIsChosen() throws Exception {
    String text = ManyRules.file(10_000);
    assertThat(text.codePointCount(0, text.length())).as("above SnakeYAML's default limit").isGreaterThan(3 * 1024 * 1024);

    RuleSet rules = new RuleLoader(RuleLoader.Context.unchecked(), Clock.fixed(Instant.EPOCH, ZoneOffset.UTC))
        .parse("teams.yaml", text);

    assertThat(rules.rules()).hasSize(10_000);
    assertThat(rules.rules().get(9_999).source().toString()).startsWith("teams.yaml:");
    Map<String, String> labels = Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "prod",
        "connector", "team7777-orders");
    assertThat(RuleEvaluator.heldCandidates(RuleIndex.of(rules), labels, Map.of()))
        .extracting(c -> c.rule().name()).containsExactly("team-7777");
    assertThat(RuleEvaluator.candidates(rules, labels, Map.of()).stream().filter(RuleEvaluator.Candidate::labelsHold))
        .extracting(c -> c.rule().name()).containsExactly("team-7777");
  }
}
