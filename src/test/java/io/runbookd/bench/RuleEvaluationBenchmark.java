package io.runbookd.bench;

import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.rules.RuleEvaluator;
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
 * Cost of choosing a rule for one alert (labels, target rendering, trace search) with the shipped
 * rules: the per-alert CPU work of an alert storm. Run with {@code scripts/bench-rules.sh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RuleEvaluationBenchmark {

  /** Which trace: the first rule's, a middle rule's, or one that only the catch-all takes. */
  @Param({"auth", "refused", "tolerance", "unknown"})
  public String trace;

  private RuleSet rules;
  private Map<String, String> labels;
  private Optional<ConnectorStatus> status;

  @Setup
  public void setUp() throws Exception {
    rules = new RuleLoader(RuleLoader.Context.unchecked(), Clock.systemUTC()).load(List.of(Path.of("rules")));
    labels = Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "prod", "connector", "pg-orders", "task", "0");
    String file = switch (trace) {
      case "auth" -> "debezium-pg-password-failed.txt";
      case "refused" -> "debezium-pg-connection-refused.txt";
      case "tolerance" -> "json-converter-tolerance-exceeded.txt";
      default -> "mongo-change-stream-history-lost.txt";
    };
    String text = Files.readString(Path.of("src/test/resources/rules/traces", file));
    status = Optional.of(new ConnectorStatus("pg-orders", "source",
        new ConnectorStatus.InstanceStatus(ConnectorState.RUNNING, "w:8083", null),
        List.of(new ConnectorStatus.TaskStatus(0, new ConnectorStatus.InstanceStatus(ConnectorState.FAILED, "w:8083", text)))));
  }

  @Benchmark
  public RuleEvaluator.Evaluation evaluate() {
    return RuleEvaluator.evaluate(rules, labels, Map.of(), t -> status);
  }
}
