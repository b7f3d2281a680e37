package io.runbookd.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.rules.RuleEvaluator.Evaluation;
import io.runbookd.rules.RuleEvaluator.Match;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile and huge traces against the shipped rules: matching runs in linear time over a bounded
 * part of the trace, and the right rule is still chosen.
 */
class BoundedMatchingTest {

  private static final String PSQL_REFUSED = "org.postgresql.util.PSQLException: Connection to db:5432 refused."
      + " Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.";
  private static final int MB = 1 << 20;
  private static RuleSet rules;

  @BeforeAll
  static void load() throws RuleLoadException {
    rules = new RuleLoader(new RuleLoader.Context(Set.of("prod"), Set.of("oncall", "owner")),
        Clock.fixed(Instant.EPOCH, ZoneOffset.UTC)).load(List.of(Path.of("rules")));
  }

  private static Evaluation evaluate(String trace) {
    Map<String, String> labels = Map.of(
        "alertname", "KafkaConnectTaskFailure", "connector", "orders-sink", "connect_cluster", "prod");
    return RuleEvaluator.evaluate(rules, labels, Map.of(),
        t -> Optional.of(Traces.taskFailed("orders-sink", trace)));
  }

  @Test
  void aTraceBuiltToMakeTheSchemaRegistryRuleBacktrackIsMatchedAndTheRightRuleChosen() {
    // java.util.regex spends seconds on 64 KiB of this (see HostileTraces), minutes on more
    String trace = HostileTraces.schemaRegistryBacktracking(MB);
    Evaluation e = evaluate(trace);
    Match m = e.match().orElseThrow();
    assertThat(m.rule().name()).isEqualTo("connect-tolerance-exceeded");
    // every rule before the tolerance rule was tried and did not match; none after it was tried
    List<Boolean> matched = e.explanation().stream().map(RuleEvaluator.RuleExplanation::matched).toList();
    assertThat(matched).last().isEqualTo(true);
    assertThat(matched.subList(0, matched.size() - 1)).hasSizeGreaterThanOrEqualTo(4).containsOnly(false);
    assertThat(m.trace().orElseThrow().text()).isEqualTo(trace);
  }

  @Test
  void aMegabyteTraceWithTheCauseAtTheEndMatchesTheRuleForThatCause() {
    String trace = HostileTraces.causeAtTheEnd(MB, PSQL_REFUSED);
    assertThat(trace.length()).isGreaterThanOrEqualTo(MB - 200);
    Match m = evaluate(trace).match().orElseThrow();
    assertThat(m.rule().name()).isEqualTo("connect-db-connection-refused");
    assertThat(m.trace().orElseThrow().line()).isEqualTo("Caused by: " + PSQL_REFUSED);
    assertThat(m.cause()).contains(PSQL_REFUSED);
    // only matching is bounded: the match carries the whole trace, which is what the incident stores
    assertThat(m.trace().orElseThrow().text()).isEqualTo(trace);
  }

  @Test
  void aTwoPartPatternMatchesAcrossTheLimitWhenItsSecondPartIsInACauseAtTheEnd() {
    String head = HostileTraces.HEADER
        + "Caused by: org.apache.kafka.common.errors.SerializationException: Error retrieving Avro value schema for id"
        + " 12\n";
    String frame = "\tat io.confluent.kafka.schemaregistry.client.rest.RestService.sendHttpRequest(RestService.java:294)\n";
    String trace = HostileTraces.repeatTo(head, frame, MB, "Caused by: java.net.ConnectException: Connection refused\n");
    Match m = evaluate(trace).match().orElseThrow();
    assertThat(m.rule().name()).isEqualTo("connect-schema-registry-unavailable");
    assertThat(m.cause()).contains("java.net.ConnectException: Connection refused");
  }

  @Test
  void textPastTheLimitOutsideACauseIsNotSearched() {
    // a frame that happens to say "connection refused", after the first 64 KiB: not a cause, not searched
    String frame = "\tat com.example.Retry.run(Retry.java:12)\n";
    String trace = HostileTraces.repeatTo("com.example.BoomException: boom\n", frame, 2 * RuleEvaluator.TRACE_SEARCH_LIMIT,
        "\tat com.example.ConnectionRefusedHandler.onConnectionRefused(Handler.java:7) connection refused\n");
    Match m = evaluate(trace).match().orElseThrow();
    assertThat(m.rule().name()).isEqualTo("connect-catch-all");
  }
}
