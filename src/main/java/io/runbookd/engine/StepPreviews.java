package io.runbookd.engine;

import io.runbookd.policy.AttemptPlan;
import io.runbookd.rules.Rule;
import io.runbookd.rules.Step;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the destructive steps behind an approval gate will do, read before the human is asked (the
 * partitions and offsets an offset reset moves, the records a dead-letter replay sends). The preview is
 * stored in the approval's plan and shown in the request ({@link AttemptPlan#planJson(Rule, int, Map)}).
 *
 * <p>A preview never fails the gate: when it cannot be read, the preview says why and the approver sees
 * that instead.
 */
final class StepPreviews {
  private final EngineDeps deps;

  StepPreviews(EngineDeps deps) {
    this.deps = deps;
  }

  /** The previews of the steps approved at {@code gateIndex}, by step index; steps without one are absent. */
  Future<Map<Integer, Object>> previews(Rule rule, int gateIndex, StepExecutor.Target target) {
    List<Integer> indexes = AttemptPlan.approvedSteps(rule, gateIndex);
    Map<Integer, Object> out = new TreeMap<>();
    List<Future<Void>> all = new ArrayList<>();
    for (int i : indexes) {
      Step step = rule.steps().get(i);
      Future<Map<String, Object>> one;
      try {
        one = preview(step, target);
      } catch (RuntimeException e) {
        one = Future.failedFuture(e);
      }
      if (one == null) {
        continue;
      }
      int index = i;
      all.add(one.recover(err -> Future.succeededFuture(Map.of("lines",
              List.of("could not read what this step will do: " + io.runbookd.config.Secrets.redactKnown(
                  err.getMessage() == null ? err.toString() : err.getMessage())))))
          .map(p -> {
            synchronized (out) {
              out.put(index, p);
            }
            return null;
          }));
    }
    return Future.join(all).transform(ar -> Future.succeededFuture(out));
  }

  /**
   * The preview of one step, or null when the step has none. A preview is a map whose {@code lines} (a list
   * of strings) are shown to the approver; other members are kept in the stored plan.
   */
  private Future<Map<String, Object>> preview(Step step, StepExecutor.Target target) {
    // Each destructive step that can read its effect ahead adds its case here.
    if (step instanceof Step.ResetOffsets r) return new OffsetSteps(deps, new StepExecutor(deps)).preview(r, target);
    if (step instanceof Step.Recreate r) return new OffsetSteps(deps, new StepExecutor(deps)).preview(r, target);
    return null;
  }
}
