package io.runbookd.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.ConnectorStatus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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
 * The shipped rules pick the right rule for the real Debezium PostgreSQL traces in
 * {@code src/test/resources/traces}: captured unchanged from {@code GET /connectors/{name}/status} of Debezium
 * PostgreSQL connector 3.5.0.Final in a Kafka Connect 4.1.0 worker on PostgreSQL 15 with pgoutput (how each was
 * provoked: {@code traces/README.md}).
 */
class DebeziumSlotTracesTest {
  private static RuleSet rules;

  @BeforeAll
  static void load() throws RuleLoadException {
    rules = new RuleLoader(new RuleLoader.Context(Set.of("prod"), Set.of("oncall", "owner")),
        Clock.fixed(Instant.EPOCH, ZoneOffset.UTC)).load(List.of(Path.of("rules")));
  }

  private static String trace(String name) throws IOException {
    try (InputStream in = DebeziumSlotTracesTest.class.getResourceAsStream("/traces/" + name)) {
      assertThat(in).as(name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String ruleFor(String trace) {
    ConnectorStatus status = Traces.taskFailed("pg-orders", trace);
    Map<String, String> labels = Map.of("alertname", "KafkaConnectTaskFailure", "connector", "pg-orders",
        "connect_cluster", "prod", "task", "0");
    RuleEvaluator.Evaluation e = RuleEvaluator.evaluate(rules, labels, Map.of(),
        t -> Optional.of(status).filter(s -> t.equals(new ConnectorTarget("prod", "pg-orders"))));
    return e.match().map(m -> m.rule().name()).orElse("(none)");
  }

  @Test
  void aDroppedSlotIsTheSlotLostRuleNotARestart() throws IOException {
    String trace = trace("debezium-pg-slot-dropped.txt");
    assertThat(trace).contains("no longer available on the server").contains("PostgresOffsetContext");
    assertThat(ruleFor(trace)).isEqualTo("debezium-pg-replication-slot-lost");
  }

  @Test
  void aSlotHeldByAnotherProcessIsTheSlotBusyRule() throws IOException {
    String trace = trace("debezium-pg-slot-busy.txt");
    assertThat(trace).containsPattern("replication slot \"[^\"]+\" is active for PID \\d+");
    assertThat(ruleFor(trace)).isEqualTo("debezium-pg-replication-slot-busy");
  }
}
