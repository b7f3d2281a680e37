package io.runbookd.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.ConnectorState;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.RuleEvaluator;
import io.runbookd.rules.RuleLoader;
import io.runbookd.rules.RuleSet;
import io.runbookd.testkit.SteppedClock;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A firing alert: wait for Connect, no rule, deleted, stale, or a new incident. */
class AlertPolicyTest {
  private static final Instant T0 = Instant.parse("2026-11-28T03:00:00Z");
  private static final ConnectorTarget TARGET = new ConnectorTarget("prod", "orders-sink");
  private static final Map<String, String> LABELS =
      Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "prod", "connector", "orders-sink");

  private static List<RuleEvaluator.Candidate> candidates() throws Exception {
    RuleSet rules = new RuleLoader(new RuleLoader.Context(Set.of("prod"), Set.of("oncall")), Clock.systemUTC())
        .parse("r.yaml", """
            rules:
              - name: refused
                match: { alert: ['alertname="KafkaConnectTaskFailure"'], trace: 'Connection refused' }
                target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
                steps: [ { restart: {} } ]
            """);
    return RuleEvaluator.candidates(rules, LABELS, Map.of());
  }

  @Test
  void connectNotAnsweringDefersTheAlertUntilTheGraceEndsToTheMillisecond() throws Exception {
    SteppedClock clock = new SteppedClock(T0.plus(AlertPolicy.CONNECT_GRACE).minusMillis(1));
    Map<ConnectorTarget, AlertPolicy.Lookup> silent = Map.of(TARGET, new AlertPolicy.Lookup(null, "connection refused"));
    assertThat(AlertPolicy.decide(T0, clock.instant(), candidates(), silent))
        .isEqualTo(new AlertPolicy.Verdict.Defer("connection refused"));
    clock.advanceMillis(1);
    assertThat(AlertPolicy.decide(T0, clock.instant(), candidates(), silent))
        .as("after the grace, rules decide without a trace (this one needs a trace: no match)")
        .isInstanceOf(AlertPolicy.Verdict.Unmatched.class);
  }

  @Test
  void anUnknownClusterIsAConfigurationErrorOpenedAtOnceWithItsReasonNotAnOutageRetriedForTheGrace() throws Exception {
    RuleSet rules = new RuleLoader(RuleLoader.Context.unchecked(), Clock.systemUTC()).parse("r.yaml", """
        rules:
          - name: catch-all
            match: { alert: ['alertname="KafkaConnectTaskFailure"'] }
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            steps: [ { restart: {} } ]
        """);
    Map<String, String> labels = Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "prdo",
        "connector", "orders-sink");
    var lookups = Map.of(new ConnectorTarget("prdo", "orders-sink"), AlertPolicy.unknownCluster("prdo", Set.of("prod", "dr")));
    AlertPolicy.Verdict v = AlertPolicy.decide(T0, T0, RuleEvaluator.candidates(rules, labels, Map.of()), lookups);
    assertThat(v).isInstanceOfSatisfying(AlertPolicy.Verdict.Open.class, o -> assertThat(o.cause())
        .isEqualTo("configuration error: Connect cluster \"prdo\" is not configured (configured: dr, prod)"));
  }

  @Test
  void aFailedTaskWithAMatchingTraceOpensAnIncident() throws Exception {
    var status = StabilityPolicyTest.status(ConnectorState.RUNNING, ConnectorState.FAILED);
    AlertPolicy.Verdict v = AlertPolicy.decide(T0, T0, candidates(), Map.of(TARGET, new AlertPolicy.Lookup(status, null)));
    assertThat(v).isInstanceOfSatisfying(AlertPolicy.Verdict.Open.class, o -> {
      assertThat(o.match().rule().name()).isEqualTo("refused");
      assertThat(o.cause()).isEqualTo("java.net.ConnectException: Connection refused");
    });
  }

  @Test
  void aDeletedOrHealthyConnectorOpensNothing() throws Exception {
    assertThat(AlertPolicy.decide(T0, T0, candidates(), Map.of(TARGET, new AlertPolicy.Lookup(null, AlertPolicy.NOT_FOUND))))
        .isInstanceOf(AlertPolicy.Verdict.Unmatched.class);
    var failed = StabilityPolicyTest.status(ConnectorState.RUNNING, ConnectorState.FAILED);
    var healthy = StabilityPolicyTest.status(ConnectorState.RUNNING, ConnectorState.RUNNING);
    assertThat(AlertPolicy.decide(T0, T0, candidates(), Map.of(TARGET, new AlertPolicy.Lookup(failed, null))))
        .isInstanceOf(AlertPolicy.Verdict.Open.class);
    assertThat(AlertPolicy.decide(T0, T0, candidates(), Map.of(TARGET, new AlertPolicy.Lookup(healthy, null))))
        .as("a healthy connector, no rule with live-state conditions: a stale alert").isInstanceOf(AlertPolicy.Verdict.Stale.class);
    var noTasks = StabilityPolicyTest.status(ConnectorState.RUNNING);
    assertThat(AlertPolicy.decide(T0, T0, candidates(), Map.of(TARGET, new AlertPolicy.Lookup(noTasks, null))))
        .as("a RUNNING connector with no task is not healthy: never dropped as stale")
        .isNotInstanceOf(AlertPolicy.Verdict.Stale.class);
  }
}
