package io.runbookd.engine;

import io.runbookd.connect.ConnectApi;
import io.runbookd.policy.Pipelines;
import io.runbookd.rules.Step;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code pause}, {@code resume} and {@code stop} with {@code pipeline: true}: the step acts on every connector
 * of the target's pipeline, one after the other, in the runbook's order ({@link Pipelines#order}): the source
 * first for pause and stop, the sink first for resume. A call that fails stops the walk: the connectors
 * already acted on are named in the result, the rest are left as they were.
 *
 * <p>The pipeline is the one named by the alert's {@code pipeline} label (an operator's request sets it),
 * else the only pipeline listing the target connector.
 */
final class PipelineSteps {
  /** The label an operator's pipeline request puts on its alert. */
  static final String PIPELINE_LABEL = "pipeline";

  private final EngineDeps deps;

  PipelineSteps(EngineDeps deps) {
    this.deps = deps;
  }

  /** True when {@code step} is a lifecycle step on a whole pipeline. */
  static boolean applies(Step step) {
    return step instanceof Step.Pause p && p.pipeline() || step instanceof Step.Resume r && r.pipeline()
        || step instanceof Step.Stop s && s.pipeline();
  }

  Future<StepExecutor.Result> run(Step step, StepExecutor.Target t) {
    Pipelines.Choice choice = deps.pipelines().choose(t.incident().connector(), t.labels().get(PIPELINE_LABEL));
    if (choice.error() != null) {
      return Future.succeededFuture(StepExecutor.Result.failed(step.type() + " pipeline: " + choice.error()));
    }
    List<String> order = Pipelines.order(step.type(), deps.pipelines().get(choice.name()).orElseThrow());
    List<String> done = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (String connector : order) {
      chain = chain.compose(v -> call(step, t.api(), connector)).map(v -> {
        done.add(connector);
        return null;
      });
    }
    return chain.transform(ar -> {
      Map<String, Object> after = new LinkedHashMap<>();
      after.put("pipeline", choice.name());
      after.put("order", order);
      after.put("done", List.copyOf(done));
      if (ar.succeeded()) {
        return Future.succeededFuture(new StepExecutor.Result("ok", null, null, StepExecutor.json(after), false));
      }
      String failedOn = order.get(done.size());
      String err = ar.cause().getMessage() == null ? ar.cause().toString() : ar.cause().getMessage();
      return Future.succeededFuture(new StepExecutor.Result("failed", step.type() + " of pipeline " + choice.name()
          + " stopped at " + failedOn + " (done: " + (done.isEmpty() ? "none" : String.join(", ", done)) + "): " + err,
          null, StepExecutor.json(after), false));
    });
  }

  private static Future<Void> call(Step step, ConnectApi api, String connector) {
    return switch (step.type()) {
      case "pause" -> api.pause(connector);
      case "resume" -> api.resume(connector);
      default -> api.stop(connector);
    };
  }
}
