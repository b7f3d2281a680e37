package io.runbookd.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.ConnectorStatus;
import io.runbookd.rules.RuleEvaluator.Candidate;
import io.runbookd.rules.RuleEvaluator.Evaluation;
import io.runbookd.rules.RuleEvaluator.Match;
import io.runbookd.rules.RuleEvaluator.TraceOutcome;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class RuleEvaluatorTest {

  private static final String RULES = """
      rules:
        - name: db-refused
          match:
            alert: ['alertname=~"KafkaConnect(Task|Connector)Failure"', 'connector=~"pg"']
            trace: '(?i)connection (to \\S+ )?refused'
          target:
            connector: '{{ labels.connector }}'
          steps: [restart: {}]
        - name: db-timeout
          match:
            alert: ['alertname=~"KafkaConnect(Task|Connector)Failure"']
            trace: 'timed out'
          target:
            connector: '{{ labels.connector }}'
          steps: [restart: {}]
        - name: catch-all
          match:
            alert: ['alertname=~"KafkaConnect(Task|Connector)Failure"']
          target:
            connector: '{{ labels.connector }}'
          steps: [restart: {}]
      """;

  private static final Map<String, String> LABELS = Map.of(
      "alertname", "KafkaConnectTaskFailure",
      "connector", "pg-orders",
      "connect_cluster", "prod");

  private static final ConnectorTarget PG_ORDERS = new ConnectorTarget("prod", "pg-orders");

  private static RuleSet load(String yaml) throws RuleLoadException {
    return new RuleLoader(RuleLoader.Context.unchecked(), Clock.fixed(Instant.EPOCH, ZoneOffset.UTC))
        .parse("rules.yaml", yaml);
  }

  private static Function<ConnectorTarget, Optional<ConnectorStatus>> statuses(
      Map<ConnectorTarget, ConnectorStatus> byTarget) {
    return t -> Optional.ofNullable(byTarget.get(t));
  }

  @Test
  void candidatesCheckEveryRuleAndRenderTargetsOnlyWhereTheLabelsHold() throws Exception {
    List<Candidate> candidates = RuleEvaluator.candidates(load(RULES), LABELS, Map.of());

    assertThat(candidates).extracting(c -> c.rule().name()).containsExactly("db-refused", "db-timeout", "catch-all");
    // connector=~"pg" is anchored: it does not match pg-orders
    Candidate first = candidates.get(0);
    assertThat(first.labelsHold()).isFalse();
    assertThat(first.eligible()).isFalse();
    assertThat(first.target()).isEmpty();
    assertThat(first.matchers()).extracting(RuleEvaluator.MatcherResult::held).containsExactly(true, false);
    assertThat(first.matchers().get(1).value()).contains("pg-orders");
    assertThat(candidates.get(1).target()).contains(PG_ORDERS);
    assertThat(candidates.get(2).target()).contains(PG_ORDERS);
  }

  @Test
  void theFirstRuleWhoseTraceIsFoundAnywhereInATaskTraceWins() throws Exception {
    String trace = Traces.read("jdbc-source-connection-attempt-failed"); // "Connect timed out" is in a Caused by
    Evaluation e = RuleEvaluator.evaluate(load(RULES), LABELS, Map.of(),
        statuses(Map.of(PG_ORDERS, Traces.taskFailed("pg-orders", trace))));

    Match m = e.match().orElseThrow();
    assertThat(m.rule().name()).isEqualTo("db-timeout");
    assertThat(m.target()).isEqualTo(PG_ORDERS);
    assertThat(m.status()).isPresent();
    assertThat(m.trace().orElseThrow().source()).isEqualTo("task 1");
    assertThat(m.trace().orElseThrow().text()).isEqualTo(trace);
    assertThat(m.trace().orElseThrow().line()).isEqualTo("Caused by: java.net.SocketTimeoutException: Connect timed out");
    assertThat(m.cause()).contains("java.net.SocketTimeoutException: Connect timed out");
    // the catch-all after the winner is not in the explanation
    assertThat(e.explanation()).extracting(x -> x.rule().name()).containsExactly("db-refused", "db-timeout");
  }

  @Test
  void aConnectorLevelTraceIsSearchedToo() throws Exception {
    Map<String, String> labels = Map.of("alertname", "KafkaConnectConnectorFailure", "connector", "pg",
        "connect_cluster", "prod");
    ConnectorTarget pg = new ConnectorTarget("prod", "pg");
    Evaluation e = RuleEvaluator.evaluate(load(RULES), labels, Map.of(),
        statuses(Map.of(pg, Traces.connectorFailed("pg", Traces.read("debezium-pg-connection-refused")))));

    Match m = e.match().orElseThrow();
    assertThat(m.rule().name()).isEqualTo("db-refused");
    assertThat(m.trace().orElseThrow().source()).isEqualTo("connector");
    assertThat(m.cause()).contains("org.postgresql.util.PSQLException: Connection to postgres:5432 refused. Check that the hostname"
        + " and port are correct and that the postmaster is accepting TCP/IP connections.");
  }

  @Test
  void aRuleWithATracePatternDoesNotMatchWithoutAStatusButARuleWithoutOneDoes() throws Exception {
    Evaluation e = RuleEvaluator.evaluate(load(RULES), LABELS, Map.of(), t -> Optional.empty());

    Match m = e.match().orElseThrow();
    assertThat(m.rule().name()).isEqualTo("catch-all");
    assertThat(m.status()).isEmpty();
    assertThat(m.trace()).isEmpty();
    assertThat(m.cause()).isEmpty();
    assertThat(e.explanation().get(1).trace().orElseThrow().outcome()).isEqualTo(TraceOutcome.NO_STATUS);
    assertThat(e.explanation().get(2).trace().orElseThrow().outcome()).isEqualTo(TraceOutcome.ANY);
  }

  @Test
  void aRuleWithoutTracePatternTakesItsCauseFromTheFirstTrace() throws Exception {
    String trace = Traces.read("mongo-change-stream-history-lost");
    Evaluation e = RuleEvaluator.evaluate(load(RULES), LABELS, Map.of(),
        statuses(Map.of(PG_ORDERS, Traces.taskFailed("pg-orders", trace))));

    Match m = e.match().orElseThrow();
    assertThat(m.rule().name()).isEqualTo("catch-all");
    assertThat(m.trace().orElseThrow().source()).isEqualTo("task 1");
    assertThat(m.cause().orElseThrow()).startsWith("com.mongodb.MongoCommandException: Command failed with error 286"
        + " (ChangeStreamHistoryLost)");
  }

  @Test
  void aHealthyConnectorMatchesNoRuleWithoutLiveStateConditionsAndTheAlertIsStale() throws Exception {
    Evaluation e = RuleEvaluator.evaluate(load(RULES), LABELS, Map.of(),
        statuses(Map.of(PG_ORDERS, Traces.running("pg-orders"))));

    assertThat(e.match()).as("not even the catch-all acts on a healthy connector").isEmpty();
    assertThat(e.decision()).isEqualTo("stale");
    assertThat(e.explain()).contains("failed  connector is healthy (connector RUNNING, task 0 RUNNING)")
        .contains("a stale alert, the daemon drops it");
  }

  @Test
  void aTargetThatCannotBeRenderedIsAFailedCandidateAndTheNextRuleIsTried() throws Exception {
    RuleSet rules = load("""
        rules:
          - name: needs-cluster-label
            match:
              alert: ['alertname="KafkaConnectTaskFailure"']
            target:
              cluster: '{{ labels.connect_cluster }}'
              connector: '{{ labels.connector }}'
            steps: [restart: {}]
          - name: single-cluster
            match:
              alert: ['alertname="KafkaConnectTaskFailure"']
            target:
              cluster: '{{ labels.connect_cluster | default("prod") }}'
              connector: '{{ labels.connector }}'
            steps: [restart: {}]
        """);
    Map<String, String> labels = Map.of("alertname", "KafkaConnectTaskFailure", "connector", "pg-orders");

    List<Candidate> candidates = RuleEvaluator.candidates(rules, labels, Map.of());
    assertThat(candidates.get(0).labelsHold()).isTrue();
    assertThat(candidates.get(0).eligible()).isFalse();
    assertThat(candidates.get(0).targetError())
        .contains("target.cluster: label \"connect_cluster\" is not set on the alert");

    Evaluation e = RuleEvaluator.select(candidates, t -> Optional.empty());
    assertThat(e.match().orElseThrow().rule().name()).isEqualTo("single-cluster");
    assertThat(e.match().orElseThrow().target()).isEqualTo(PG_ORDERS);
  }

  @Test
  void aTargetThatRendersEmptyIsAFailedCandidate() throws Exception {
    RuleSet rules = load("""
        rules:
          - name: r
            match:
              alert: ['alertname="KafkaConnectTaskFailure"']
            target:
              connector: '{{ labels.connector }}'
            steps: [restart: {}]
        """);
    List<Candidate> c = RuleEvaluator.candidates(rules,
        Map.of("alertname", "KafkaConnectTaskFailure", "connector", "", "connect_cluster", "prod"), Map.of());
    assertThat(c.get(0).targetError())
        .contains("target.connector: \"{{ labels.connector }}\" rendered to an empty string");
  }

  @Test
  void targetsCanUseAnnotations() throws Exception {
    RuleSet rules = load("""
        rules:
          - name: r
            match:
              alert: ['alertname="KafkaConnectTaskFailure"']
            target:
              cluster: '{{ annotations.connect_cluster }}'
              connector: '{{ labels.connector }}'
            steps: [restart: {}]
        """);
    List<Candidate> c = RuleEvaluator.candidates(rules,
        Map.of("alertname", "KafkaConnectTaskFailure", "connector", "pg-orders"), Map.of("connect_cluster", "prod"));
    assertThat(c.get(0).target()).contains(PG_ORDERS);
  }

  @Test
  void theStatusOfATargetIsAskedForOnce() throws Exception {
    List<ConnectorTarget> asked = new ArrayList<>();
    RuleEvaluator.evaluate(load(RULES), LABELS, Map.of(), t -> {
      asked.add(t);
      return Optional.of(Traces.running("pg-orders"));
    });
    assertThat(asked).containsExactly(PG_ORDERS);
  }

  @Test
  void noRuleMatchesWhenNoAlertMatcherHolds() throws Exception {
    Evaluation e = RuleEvaluator.evaluate(load(RULES), Map.of("alertname", "KafkaBrokerDown"), Map.of(),
        t -> {
          throw new AssertionError("no status is needed when no labels hold");
        });
    assertThat(e.match()).isEmpty();
    assertThat(e.explanation()).hasSize(3);
    assertThat(e.explain()).endsWith("=> no rule matched\n");
  }

  @Test
  void evaluationIsDeterministic() throws Exception {
    RuleSet rules = load(RULES);
    Function<ConnectorTarget, Optional<ConnectorStatus>> status =
        statuses(Map.of(PG_ORDERS, Traces.taskFailed("pg-orders", Traces.read("debezium-pg-connection-refused"))));
    Evaluation a = RuleEvaluator.evaluate(rules, LABELS, Map.of(), status);
    Evaluation b = RuleEvaluator.evaluate(rules, LABELS, Map.of(), status);
    assertThat(a).isEqualTo(b);
    assertThat(a.explain()).isEqualTo(b.explain());
  }

  @Test
  void theExplanationGoesConditionByConditionUpToTheWinner() throws Exception {
    Evaluation e = RuleEvaluator.evaluate(load(RULES),
        Map.of("alertname", "KafkaConnectTaskFailure", "connector", "pg", "connect_cluster", "prod"), Map.of(),
        statuses(Map.of(new ConnectorTarget("prod", "pg"),
            Traces.taskFailed("pg", Traces.read("jdbc-source-connection-attempt-failed")))));

    assertThat(e.explain()).isEqualTo("""
        rule "db-refused" (rules.yaml:2): no match
          held    alertname=~"KafkaConnect(Task|Connector)Failure"  (alertname="KafkaConnectTaskFailure")
          held    connector=~"pg"  (connector="pg")
          target  prod/pg
          failed  trace /(?i)connection (to \\S+ )?refused/  (not found in task 1)
        rule "db-timeout" (rules.yaml:9): MATCHED
          held    alertname=~"KafkaConnect(Task|Connector)Failure"  (alertname="KafkaConnectTaskFailure")
          target  prod/pg
          matched trace /timed out/  in task 1: "Caused by: java.net.SocketTimeoutException: Connect timed out"
        => rule "db-timeout" on prod/pg: java.net.SocketTimeoutException: Connect timed out
        """);
  }

  @Test
  void theExplanationShowsFailedMatchersWithTheLabelValueOrItsAbsence() throws Exception {
    Evaluation e = RuleEvaluator.evaluate(load(RULES), Map.of("alertname", "KafkaConnectTaskFailure"), Map.of(),
        t -> Optional.empty());

    assertThat(e.explanation().get(0).lines()).containsExactly(
        "rule \"db-refused\" (rules.yaml:2): no match",
        "  held    alertname=~\"KafkaConnect(Task|Connector)Failure\"  (alertname=\"KafkaConnectTaskFailure\")",
        "  failed  connector=~\"pg\"  (label connector not set)");
    assertThat(e.explanation().get(1).lines()).containsExactly(
        "rule \"db-timeout\" (rules.yaml:9): no match",
        "  held    alertname=~\"KafkaConnect(Task|Connector)Failure\"  (alertname=\"KafkaConnectTaskFailure\")",
        "  failed  target: target.cluster: label \"connect_cluster\" is not set on the alert");
  }

  @Test
  void theCauseIsTheLastCausedByLineWithoutItsPrefix() {
    assertThat(RuleEvaluator.causeLine(Traces.read("debezium-pg-password-failed")))
        .isEqualTo("org.postgresql.util.PSQLException: FATAL: password authentication failed for user \"debezium\"");
    assertThat(RuleEvaluator.causeLine(Traces.read("kafka-sasl-authentication")))
        .isEqualTo("org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed during"
            + " authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512");
  }

  @Test
  void theCauseIsTheFirstLineWhenThereIsNoCausedBy() {
    assertThat(RuleEvaluator.causeLine("\n  org.apache.kafka.connect.errors.ConnectException: boom\r\n\tat a.b(C.java:1)"))
        .isEqualTo("org.apache.kafka.connect.errors.ConnectException: boom");
    assertThat(RuleEvaluator.causeLine("")).isEmpty();
  }

  @Test
  void messageTemplatesRenderWithEveryDocumentedVariable() throws Exception {
    Template t = Template.compile("{{ rule.name }} {{ target.cluster }}/{{ target.connector }} {{ incident.id }}"
        + " {{ incident.attempts }} {{ incident.state }} {{ status.state }} {{ labels.team }}"
        + " {{ annotations.summary }} [{{ trace.cause }}] {{ trace.text | length > 0 }}");
    String out = t.render(TemplateContext.message(new TemplateContext.Message("db-refused",
        Map.of("team", "db"), Map.of("summary", "task failed"), PG_ORDERS, "inc-1", 3, "ESCALATED",
        "java.net.ConnectException: Connection refused", "trace", "FAILED")));
    assertThat(out).isEqualTo("db-refused prod/pg-orders inc-1 3 ESCALATED FAILED db task failed"
        + " [java.net.ConnectException: Connection refused] true");
  }

  @Test
  void aMissingLabelInAMessageIsAnErrorNamingTheLabel() {
    Template t = Template.compile("{{ labels.team }}");
    Map<String, Object> ctx = TemplateContext.message(new TemplateContext.Message("r", Map.of(), Map.of(),
        PG_ORDERS, "inc-1", 0, "OPEN", "", "", "UNKNOWN"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.render(ctx))
        .isInstanceOf(Template.TemplateException.class)
        .hasMessage("label \"team\" is not set on the alert");
    assertThat(Template.compile("{{ labels.team | default('none') }}").render(ctx)).isEqualTo("none");
  }
}
