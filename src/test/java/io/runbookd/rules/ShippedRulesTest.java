package io.runbookd.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.ConnectorStatus;
import io.runbookd.rules.RuleEvaluator.Evaluation;
import io.runbookd.rules.RuleEvaluator.Match;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The rules shipped in {@code rules/}: they load with the notifiers and cluster label they
 * document, and each failure's real trace (the exception texts of pgjdbc, Kafka and Debezium, as in
 * {@code rules/tests/shipped-rules.test.yaml}) picks the rule written for it.
 */
class ShippedRulesTest {

  private static final Path RULES_DIR = Path.of("rules");
  private static RuleSet rules;

  @BeforeAll
  static void load() throws RuleLoadException {
    rules = new RuleLoader(new RuleLoader.Context(Set.of("prod"), Set.of("oncall", "owner")),
        Clock.fixed(Instant.EPOCH, ZoneOffset.UTC)).load(List.of(RULES_DIR));
  }

  private static Evaluation evaluate(String alertname, ConnectorStatus status) {
    Map<String, String> labels = Map.of(
        "alertname", alertname, "connector", status.name(), "connect_cluster", "prod", "severity", "warning");
    return RuleEvaluator.evaluate(rules, labels, Map.of(), t -> {
      assertThat(t).isEqualTo(new ConnectorTarget("prod", status.name()));
      return Optional.of(status);
    });
  }

  @Test
  void theRulesDirectoryLoadsWithoutErrorsInFileNameOrder() {
    assertThat(rules.files()).containsExactly(
        "rules/10-authentication-failure.yaml",
        "rules/20-schema-registry-unavailable.yaml",
        "rules/22-postgres-replication-slot-lost.yaml",
        "rules/23-postgres-replication-slot-busy.yaml",
        "rules/24-mysql-schema-not-known.yaml",
        "rules/25-mongodb-resume-token.yaml",
        "rules/30-connection-refused.yaml",
        "rules/40-schema-mismatch.yaml",
        "rules/50-tolerance-exceeded.yaml",
        "rules/60-sink-group-empty.yaml",
        "rules/70-no-tasks-or-unassigned.yaml",
        "rules/80-worker-lost.yaml",
        "rules/99-catch-all.yaml");
    assertThat(rules.rules()).extracting(Rule::name).containsExactly(
        "connect-auth-failure",
        "connect-schema-registry-unavailable",
        "debezium-pg-replication-slot-lost",
        "debezium-pg-replication-slot-busy",
        "debezium-mysql-schema-not-known",
        "connect-mongodb-resume-token-lost",
        "connect-db-connection-refused",
        "connect-sink-schema-mismatch",
        "connect-tolerance-exceeded",
        "connect-sink-group-empty",
        "connect-running-without-tasks",
        "connect-tasks-unassigned",
        "connect-worker-lost",
        "connect-catch-all");
  }

  @Test
  void everyShippedRuleHasADescriptionAndAnEscalationAndTargetsTheDocumentedLabels() {
    for (Rule r : rules.rules()) {
      assertThat(r.description()).as(r.name()).isNotBlank();
      assertThat(r.escalation()).as(r.name()).isNotEmpty();
      assertThat(r.target().cluster().source()).as(r.name()).isEqualTo("{{ labels.connect_cluster }}");
      assertThat(r.target().connector().source()).as(r.name()).isEqualTo("{{ labels.connector }}");
      assertThat(r.dryRun()).as(r.name()).isFalse();
    }
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      // connection refused or timeout
      "jdbc-source-connection-attempt-failed, connect-db-connection-refused",
      "debezium-pg-connection-refused,        connect-db-connection-refused",
      "mysql-communications-link-failure,     connect-db-connection-refused",
      // authentication: before the connection rule, although Debezium wraps it in "Couldn't obtain encoding"
      "debezium-pg-password-failed,           connect-auth-failure",
      "kafka-sasl-authentication,             connect-auth-failure",
      "mysql-access-denied,                   connect-auth-failure",
      "mongo-authentication-failed,           connect-auth-failure",
      // Schema Registry unreachable: before tolerance and connection, whose texts its traces contain
      "avro-schema-registry-refused,          connect-schema-registry-unavailable",
      "avro-network-exception,                connect-schema-registry-unavailable",
      // sink schema mismatch
      "jdbc-sink-missing-column,              connect-sink-schema-mismatch",
      "jdbc-sink-type-mismatch,               connect-sink-schema-mismatch",
      "jdbc-sink-auto-evolve-disabled,        connect-sink-schema-mismatch",
      "jdbc-sink-cannot-alter,                connect-sink-schema-mismatch",
      // tolerance exceeded, including a schema the registry does not have (a restart cannot help)
      "json-converter-tolerance-exceeded,     connect-tolerance-exceeded",
      "avro-subject-not-found,                connect-tolerance-exceeded",
      // MongoDB resume token lost (error 286/280, Debezium MongoDB's "no longer available")
      "mongo-change-stream-history-lost,      connect-mongodb-resume-token-lost",
      "mongo-change-stream-fatal-error,       connect-mongodb-resume-token-lost",
      "debezium-mongodb-resume-point-lost,    connect-mongodb-resume-token-lost",
      // anything else
  })
  void eachFailureIsHandledByTheRuleWrittenForIt(String trace, String rule) {
    Evaluation e = evaluate("KafkaConnectTaskFailure", Traces.taskFailed("orders-sink", Traces.read(trace)));
    assertThat(e.match()).as(e.explain()).isPresent();
    assertThat(e.match().get().rule().name()).as(e.explain()).isEqualTo(rule);
  }

  @Test
  void aJdbcSourceConnectorFailingAtStartHasItsTraceOnTheConnector() {
    Evaluation e = evaluate("KafkaConnectConnectorFailure",
        Traces.connectorFailed("pg-source", Traces.read("jdbc-source-connection-attempt-failed")));
    Match m = e.match().orElseThrow();
    assertThat(m.rule().name()).isEqualTo("connect-db-connection-refused");
    assertThat(m.trace().orElseThrow().source()).isEqualTo("connector");
    assertThat(m.cause()).contains("java.net.SocketTimeoutException: Connect timed out");
  }

  @Test
  void connectionRefusedRestartsFailedTasksWithBackoffAndEscalatesAt15m() {
    Rule r = rules.byName("connect-db-connection-refused").orElseThrow();
    assertThat(r.steps()).containsExactly(
        new Step.Restart(true, true),
        new Step.WaitFor(io.runbookd.model.ConnectorState.RUNNING, Duration.ofMinutes(2), Duration.ofSeconds(30),
            false));
    assertThat(r.retry().maxAttempts()).isEqualTo(6);
    assertThat(r.retry().backoff()).containsExactly(Duration.ZERO, Duration.ofMinutes(2), Duration.ofMinutes(6),
        Duration.ofMinutes(12), Duration.ofMinutes(20), Duration.ofMinutes(30));
    assertThat(r.escalation()).extracting(Rule.EscalationLevel::after, Rule.EscalationLevel::notifier)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(Duration.ofMinutes(15), "oncall"));
  }

  @Test
  void authenticationFailureNeverRestartsBeforeTheConfigChanges() {
    Rule r = rules.byName("connect-auth-failure").orElseThrow();
    assertThat(r.retry().maxAttempts()).isEqualTo(1);
    assertThat(r.steps().get(0)).isInstanceOfSatisfying(Step.Notify.class,
        n -> assertThat(n.notifier()).isEqualTo("owner"));
    assertThat(r.steps().get(1)).isInstanceOfSatisfying(Step.WaitFor.class, w -> {
      assertThat(w.configChange()).isTrue();
      assertThat(w.within()).isEqualTo(Duration.ofHours(4));
    });
    int firstRestart = indexOfFirst(r.steps(), Step.Restart.class);
    assertThat(firstRestart).isEqualTo(2);
    assertThat(r.escalation().get(0).notifier()).isEqualTo("oncall");
  }

  @Test
  void toleranceExceededRoutesBadRecordsToADeadLetterTopicOnlyAfterApproval() {
    Rule r = rules.byName("connect-tolerance-exceeded").orElseThrow();
    assertThat(r.gateBeforeSteps()).as("asks before widening tolerance").isPresent();
    assertThat(r.steps().get(0)).isInstanceOfSatisfying(Step.PatchConfig.class, p -> {
      assertThat(p.destructive()).isTrue();
      assertThat(p.set()).containsEntry("errors.tolerance", "all")
          .containsEntry("errors.deadletterqueue.topic.name", "{{ target.connector }}-dlq")
          .containsEntry("errors.deadletterqueue.context.headers.enable", "true");
    });
    assertThat(r.steps()).extracting(Step::type).containsExactly("patch_config", "restart", "wait_for", "notify");
    assertThat(((Step.Notify) r.steps().get(3)).message().source()).contains("{{ dlq.records }}");
  }

  @Test
  void schemaMismatchRestartsNothingAndTellsTheOwnerAtOnce() {
    for (String name : List.of("connect-sink-schema-mismatch")) {
      Rule r = rules.byName(name).orElseThrow();
      assertThat(r.steps()).as(name).isEmpty();
      assertThat(r.escalation().get(0).after()).as(name).isEqualTo(Duration.ZERO);
      assertThat(r.escalation().get(0).notifier()).as(name).isEqualTo("owner");
      assertThat(r.escalation().get(1).notifier()).as(name).isEqualTo("oncall");
    }
  }

  @Test
  void schemaRegistryWaitsForSchemaRegistryToAnswerBeforeRestartingWithALongerBackoffThanDatabases() {
    Rule sr = rules.byName("connect-schema-registry-unavailable").orElseThrow();
    Rule db = rules.byName("connect-db-connection-refused").orElseThrow();
    Step.Http probe = (Step.Http) sr.steps().get(0);
    assertThat(probe.url().source()).isEqualTo("{{ schema_registry.url }}/subjects");
    assertThat(probe.accepts(200)).isTrue();
    assertThat(probe.accepts(503)).isFalse();
    assertThat(probe.within()).isEqualTo(Duration.ofMinutes(2));
    assertThat(sr.steps().get(1)).isEqualTo(new Step.Restart(true, true));
    for (int i = 1; i < sr.retry().backoff().size(); i++) {
      assertThat(sr.retry().backoff().get(i)).isGreaterThan(db.retry().backoff().get(i));
    }
  }

  @Test
  void theCatchAllRestartsOnceAfterABackoffThenEscalates() {
    Rule r = rules.byName("connect-catch-all").orElseThrow();
    assertThat(r.trace()).isEmpty();
    assertThat(r.retry().maxAttempts()).isEqualTo(1);
    assertThat(r.retry().backoff()).containsExactly(Duration.ofMinutes(1));
    assertThat(r.steps()).filteredOn(s -> s instanceof Step.Restart).hasSize(1);
    assertThat(r.escalation()).isNotEmpty();
  }

  @Test
  void workerLostRestartsNothingAndVerifiesOnlyAfterConnectsDefaultRebalanceDelay() {
    Rule r = rules.byName("connect-worker-lost").orElseThrow();
    assertThat(r.steps()).noneMatch(s -> s instanceof Step.Restart || s instanceof Step.RestartTask);
    assertThat(r.steps()).allMatch(s -> s instanceof Step.WaitFor);
    assertThat(r.retry().maxAttempts()).isEqualTo(1);
    // scheduled.rebalance.max.delay.ms defaults to 300000 ms: the one attempt comes after it.
    assertThat(r.retry().backoff().get(0)).isGreaterThan(Duration.ofMinutes(5));
    String page = r.escalation().get(0).message().render(TemplateContext.message(new TemplateContext.Message(
        r.name(), Map.of("connector", "orders-sink", "worker", "connect-1:9404"), Map.of(),
        new ConnectorTarget("prod", "orders-sink"), "inc-7", 1, "REMEDIATING", "", "", "RUNNING")));
    assertThat(page).startsWith("prod/orders-sink is not back after worker connect-1:9404 left the group");
  }

  @Test
  void shippedMessagesRenderForARealIncident() {
    Evaluation e = evaluate("KafkaConnectTaskFailure",
        Traces.taskFailed("orders-source", Traces.read("debezium-pg-password-failed")));
    Match m = e.match().orElseThrow();
    Step.Notify notify = (Step.Notify) m.rule().steps().get(0);
    String text = notify.message().render(TemplateContext.message(new TemplateContext.Message(m.rule().name(),
        Map.of("connector", "orders-source"), Map.of(), m.target(), "inc-42", 0, "REMEDIATING", m.cause().orElse(""),
        m.trace().orElseThrow().text(), "RUNNING")));
    assertThat(text).startsWith("prod/orders-source: credentials rejected: org.postgresql.util.PSQLException: FATAL:"
        + " password authentication failed for user \"debezium\". runbookd will not restart it blindly");
    assertThat(text).contains("incident inc-42");
  }

  @Test
  void alertsOtherThanConnectFailuresMatchNoShippedRule() {
    Evaluation e = RuleEvaluator.evaluate(rules, Map.of("alertname", "KafkaBrokerDown", "connect_cluster", "prod"),
        Map.of(), t -> Optional.empty());
    assertThat(e.match()).isEmpty();
  }

  private static int indexOfFirst(List<Step> steps, Class<?> type) {
    for (int i = 0; i < steps.size(); i++) {
      if (type.isInstance(steps.get(i))) {
        return i;
      }
    }
    return -1;
  }
}
