package io.runbookd.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.model.ConnectorStatus.InstanceStatus;
import io.runbookd.model.ConnectorStatus.TaskStatus;
import io.runbookd.model.ConsumerGroupSnapshot;
import io.runbookd.model.PartitionLag;
import io.runbookd.policy.AlertPolicy;
import io.runbookd.rules.RuleEvaluator.Evaluation;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code match.status} and {@code match.consumer_group}: loading, evaluation, and the daemon's decision. */
class LiveStateRulesTest {
  private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
  private static final ConnectorTarget T = new ConnectorTarget("prod", "s3");
  private static final Map<String, String> LABELS = Map.of("alertname", "KafkaConnectSinkLagGrowing",
      "connect_cluster", "prod", "connector", "s3");

  private static final String RULES = """
      rules:
        - name: group-empty
          match:
            alert: ['alertname="KafkaConnectSinkLagGrowing"']
            status: { connector: RUNNING }
            consumer_group: { state: EMPTY, lag_above: 100, lag_growing: 2m }
          target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
          steps: [ { stop: {} }, { resume: {} } ]
        - name: unassigned
          match:
            alert: ['alertname="KafkaConnectSinkLagGrowing"']
            status: { tasks: [UNASSIGNED] }
          target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
          steps: [ { restart: {} } ]
        - name: catch-all
          match:
            alert: ['alertname="KafkaConnectSinkLagGrowing"']
          target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
          steps: [ { restart: {} } ]
      """;

  private static RuleSet load(String yaml) throws RuleLoadException {
    return new RuleLoader(RuleLoader.Context.unchecked(), Clock.fixed(Instant.EPOCH, ZoneOffset.UTC))
        .parse("rules/60.yaml", yaml);
  }

  private static ConnectorStatus status(ConnectorState connector, ConnectorState... tasks) {
    List<TaskStatus> ts = new java.util.ArrayList<>();
    for (int i = 0; i < tasks.length; i++) {
      ts.add(new TaskStatus(i, new InstanceStatus(tasks[i], "w:8083", null)));
    }
    return new ConnectorStatus("s3", "sink", new InstanceStatus(connector, "w:8083", null), ts);
  }

  private static ConsumerGroupSnapshot group(String state, long end, Instant at) {
    return new ConsumerGroupSnapshot("connect-s3", state, 0, List.of(new PartitionLag("orders", 0, 1000L, 0, end)), at);
  }

  private static AlertPolicy.Verdict decide(ConnectorStatus s, GroupReading g) throws Exception {
    var candidates = RuleEvaluator.candidates(load(RULES), LABELS, Map.of());
    return AlertPolicy.decide(NOW, NOW, candidates, Map.of(T, new AlertPolicy.Lookup(s, null)), Map.of(T, g));
  }

  private static Evaluation evaluate(ConnectorStatus s, GroupReading g) throws Exception {
    return RuleEvaluator.evaluate(load(RULES), LABELS, Map.of(), t -> Optional.of(s), t -> g);
  }

  @Test
  void anEmptyGroupWhoseLagGrewMatchesAlthoughConnectShowsTheSinkHealthy() throws Exception {
    ConnectorStatus running = status(ConnectorState.RUNNING, ConnectorState.RUNNING);
    GroupReading g = GroupReading.of(group("EMPTY", 9000, NOW), List.of(group("EMPTY", 4000, NOW.minusSeconds(150)),
        group("EMPTY", 8000, NOW.minusSeconds(30))));

    assertThat(decide(running, g)).isInstanceOfSatisfying(AlertPolicy.Verdict.Open.class, o -> {
      assertThat(o.match().rule().name()).isEqualTo("group-empty");
      assertThat(o.cause()).contains("connect-s3 EMPTY, 0 members, lag 8000, lag was 3000 at 2026-01-01T11:57:30Z");
    });
    assertThat(evaluate(running, g).explain())
        .contains("held    status connector RUNNING  (connector RUNNING, task 0 RUNNING)")
        .contains("held    consumer_group state EMPTY, lag above 100, lag growing over 2m");
  }

  @Test
  void lagThatDidNotGrowOrAStableGroupLeavesAHealthySinkStale() throws Exception {
    ConnectorStatus running = status(ConnectorState.RUNNING, ConnectorState.RUNNING);
    GroupReading flat = GroupReading.of(group("EMPTY", 9000, NOW), List.of(group("EMPTY", 9000, NOW.minusSeconds(150))));
    GroupReading stable = GroupReading.of(group("STABLE", 9000, NOW), List.of(group("STABLE", 100, NOW.minusSeconds(150))));

    assertThat(decide(running, flat)).isInstanceOf(AlertPolicy.Verdict.Stale.class);
    assertThat(decide(running, stable)).isInstanceOf(AlertPolicy.Verdict.Stale.class);
    assertThat(evaluate(running, flat).explain()).contains("failed  consumer_group")
        .contains("failed  connector is healthy (connector RUNNING, task 0 RUNNING)")
        .endsWith("=> no rule matched and prod/s3 is healthy: a stale alert, the daemon drops it\n");
  }

  @Test
  void withoutAReadingOldEnoughTheDecisionWaitsUntilOneExists() throws Exception {
    ConnectorStatus running = status(ConnectorState.RUNNING, ConnectorState.RUNNING);
    GroupReading first = GroupReading.of(group("EMPTY", 9000, NOW), List.of(group("EMPTY", 4000, NOW.minusSeconds(40))));

    assertThat(decide(running, first)).isInstanceOfSatisfying(AlertPolicy.Verdict.Wait.class, w -> {
      assertThat(w.pending().rule()).isEqualTo("group-empty");
      assertThat(w.pending().until()).isEqualTo(NOW.minusSeconds(40).plusSeconds(120));
    });
    assertThat(evaluate(running, first).decision()).isEqualTo("wait");
  }

  @Test
  void noKafkaClusterMeansTheGroupConditionDoesNotHoldAndExplainSaysWhy() throws Exception {
    Evaluation e = evaluate(status(ConnectorState.RUNNING, ConnectorState.RUNNING),
        GroupReading.unavailable("no Kafka cluster configured for Connect cluster \"prod\""));
    assertThat(e.match()).isEmpty();
    assertThat(e.explain()).contains("connect-s3 not read: no Kafka cluster configured for Connect cluster \"prod\"");
  }

  @Test
  void aSourceConnectorHasNoConsumerGroup() throws Exception {
    ConnectorStatus source = new ConnectorStatus("s3", "source", new InstanceStatus(ConnectorState.RUNNING, "w", null),
        List.of(new TaskStatus(0, new InstanceStatus(ConnectorState.RUNNING, "w", null))));
    Evaluation e = RuleEvaluator.evaluate(load(RULES), LABELS, Map.of(), t -> Optional.of(source),
        t -> GroupReading.of(group("EMPTY", 9000, NOW), List.of(group("EMPTY", 1, NOW.minusSeconds(600)))));
    assertThat(e.explain()).contains("s3 is a source connector: it has no consumer group");
    assertThat(e.decision()).isEqualTo("stale");
  }

  @Test
  void anUnassignedTaskOrNoTaskAtAllIsNeverStale() throws Exception {
    GroupReading none = GroupReading.unavailable("not read");
    assertThat(decide(status(ConnectorState.RUNNING, ConnectorState.RUNNING, ConnectorState.UNASSIGNED), none))
        .isInstanceOfSatisfying(AlertPolicy.Verdict.Open.class,
            o -> assertThat(o.match().rule().name()).isEqualTo("unassigned"));
    assertThat(decide(status(ConnectorState.RUNNING), none))
        .as("RUNNING with no task is not healthy: the catch-all takes it").isInstanceOfSatisfying(
            AlertPolicy.Verdict.Open.class, o -> assertThat(o.match().rule().name()).isEqualTo("catch-all"));
  }

  @Test
  void badConditionsAreLoadErrorsNamingFileLineAndRule() {
    String bad = """
        rules:
          - name: bad-live
            match:
              alert: ['alertname="X"']
              status: { connector: RUNING, tasks: [STOPPED] }
              consumer_group: { state: empty, lag_above: -1, lag_growing: 0s, members: 0 }
            target: { cluster: c, connector: x }
            steps: [ { restart: {} } ]
        """;
    assertThatThrownBy(() -> load(bad)).isInstanceOfSatisfying(RuleLoadException.class, e -> assertThat(
        e.errors().stream().map(Object::toString).toList()).anySatisfy(l -> assertThat(l).startsWith(
            "rules/60.yaml:5: rule \"bad-live\": match.status.connector must be one of UNASSIGNED, RUNNING"))
        .anySatisfy(l -> assertThat(l).contains(":5: rule \"bad-live\": match.status.tasks: a task is never STOPPED"))
        .anySatisfy(l -> assertThat(l).contains(":6: rule \"bad-live\": match.consumer_group.state must be one of EMPTY"))
        .anySatisfy(l -> assertThat(l).contains(":6: rule \"bad-live\": match.consumer_group.lag_above must be a number"))
        .anySatisfy(l -> assertThat(l).contains(":6: rule \"bad-live\": match.consumer_group.lag_growing must be longer than 0s"))
        .anySatisfy(l -> assertThat(l).contains("unknown key \"members\" in match.consumer_group")));
  }
}
