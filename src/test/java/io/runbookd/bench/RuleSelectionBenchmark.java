package io.runbookd.bench;

import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.rules.RuleEvaluator;
import io.runbookd.rules.RuleIndex;
import io.runbookd.rules.RuleLoader;
import io.runbookd.rules.RuleSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Choosing the rule of one alert as the daemon does (the rules filed under the alert's labels by
 * {@link RuleIndex}, their matchers, target rendering, then the trace search of the candidates in
 * order), at the shipped rules (6) and at 100, 1,000 and 10,000 per-team rules ({@link ManyRules}:
 * {@code connector=~"team<i>-.*"}, the alert is for a middle team's connector). {@code labels} is the
 * label part alone; {@code linearScan} is the same choice by testing every rule's matchers, as before the
 * index. Run with
 * {@code scripts/bench-rules.sh RuleSelectionBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RuleSelectionBenchmark {

  /** {@code shipped}: the rules of {@code rules/}; a number: that many per-team rules. */
  @Param({"shipped", "100", "1000", "10000"})
  public String rules;

  private RuleSet set;
  private RuleIndex index;
  private Map<String, String> labels;
  private Optional<ConnectorStatus> status;

  @Setup
  public void setUp() throws Exception {
    RuleLoader loader = new RuleLoader(RuleLoader.Context.unchecked(), Clock.systemUTC());
    String connector;
    if (rules.equals("shipped")) {
      set = loader.load(List.of(Path.of("rules")));
      connector = "pg-orders";
    } else {
      int n = Integer.parseInt(rules);
      set = loader.parse("teams.yaml", ManyRules.file(n));
      connector = "team" + n / 2 + "-orders";
    }
    index = RuleIndex.of(set);
    labels = Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "prod", "connector", connector, "task", "0");
    String text = Files.readString(Path.of("src/test/resources/rules/traces", "debezium-pg-connection-refused.txt"));
    status = Optional.of(new ConnectorStatus(connector, "source",
        new ConnectorStatus.InstanceStatus(ConnectorState.RUNNING, "w:8083", null),
        List.of(new ConnectorStatus.TaskStatus(0, new ConnectorStatus.InstanceStatus(ConnectorState.FAILED, "w:8083", text)))));
    if (select().match().isEmpty()) {
      throw new IllegalStateException("no rule chosen: the benchmark would measure nothing");
    }
  }

  /** The daemon's path: indexed candidates, then the trace search. */
  @Benchmark
  public RuleEvaluator.Evaluation select() {
    return RuleEvaluator.select(RuleEvaluator.heldCandidates(index, labels, Map.of()), t -> status);
  }

  /** The label part alone: the rules whose matchers hold, found through the index, with their targets. */
  @Benchmark
  public java.util.List<RuleEvaluator.Candidate> labels() {
    return RuleEvaluator.heldCandidates(index, labels, Map.of());
  }

  /** Every rule's matchers tested (the path before the index; still {@code runbookd explain}'s). */
  @Benchmark
  public RuleEvaluator.Evaluation linearScan() {
    return RuleEvaluator.evaluate(set, labels, Map.of(), t -> status);
  }
}
