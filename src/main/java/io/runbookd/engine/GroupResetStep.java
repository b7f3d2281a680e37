package io.runbookd.engine;

import io.runbookd.kafka.KafkaOps;
import io.runbookd.kafka.KafkaOpsException;
import io.runbookd.model.ConsumerGroupSnapshot;
import io.runbookd.model.Incident;
import io.runbookd.model.OffsetReset;
import io.runbookd.model.PartitionLag;
import io.runbookd.model.TopicPartition;
import io.runbookd.policy.GroupResetPlan;
import io.runbookd.policy.IncidentMessages;
import io.runbookd.rules.Step;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code reset_consumer_group} step: reads the group and the log offsets, computes the
 * {@link GroupResetPlan}, refuses while the group has members, stores the plan as the step's before-state
 * before acting, commits the offsets with {@code Admin.alterConsumerGroupOffsets}, and reads them back.
 */
final class GroupResetStep {

  /** The group id the step acts on, its template rendered for the incident. */
  String group(Step.ResetConsumerGroup step, StepExecutor.Target t) {
    Incident inc = t.incident();
    return step.group().render(IncidentMessages.context(inc, t.labels(), t.annotations(), null)).strip();
  }

  private static Future<KafkaOps> kafka(StepExecutor.Target t) {
    return t.kafka().map(Future::succeededFuture).orElseGet(() -> Future.failedFuture(new IllegalStateException(
        "reset_consumer_group needs the Kafka cluster of Connect cluster \"" + t.incident().cluster()
            + "\": set connect_clusters." + t.incident().cluster() + ".kafka in runbookd.yaml")));
  }

  /** Reads what the plan needs and computes it. */
  Future<GroupResetPlan> plan(Step.ResetConsumerGroup step, StepExecutor.Target t) {
    String group;
    try {
      group = group(step, t);
    } catch (RuntimeException e) {
      return Future.failedFuture(new IllegalArgumentException("reset_consumer_group.group: " + e.getMessage(), e));
    }
    if (group.isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("reset_consumer_group.group rendered empty"));
    }
    return kafka(t).compose(ops -> ops.consumerGroup(group).compose(snapshot -> {
      Future<List<TopicPartition>> named = Future.succeededFuture(List.of());
      for (String topic : step.topics()) {
        named = named.compose(acc -> ops.partitions(topic).map(ps -> {
          List<TopicPartition> all = new ArrayList<>(acc);
          all.addAll(ps);
          return all;
        }));
      }
      return named.compose(ps -> {
        List<TopicPartition> scope = GroupResetPlan.scope(snapshot, ps);
        if (scope.isEmpty()) {
          return Future.failedFuture(new IllegalStateException("consumer group " + group + " has no committed offsets"
              + " (" + snapshot.state() + "); name the topics to reset (reset_consumer_group.topics)"));
        }
        Future<Map<TopicPartition, Long>> forTime = step.to() instanceof OffsetReset.Timestamp ts
            ? ops.offsetsForTime(scope, ts.time()) : Future.succeededFuture(Map.of());
        return ops.earliestOffsets(scope).compose(start -> ops.latestOffsets(scope).compose(end -> forTime
            .map(ft -> GroupResetPlan.compute(snapshot, step.to(), scope, start, end, ft))));
      });
    }));
  }

  /** The approver's preview: the plan's lines, and the plan. */
  Future<Map<String, Object>> preview(Step.ResetConsumerGroup step, StepExecutor.Target t) {
    return plan(step, t).map(plan -> {
      Map<String, Object> out = new LinkedHashMap<>(plan.toMap());
      List<String> lines = new ArrayList<>(plan.lines());
      GroupResetPlan.refusal(new ConsumerGroupSnapshot(plan.group(), plan.state(), plan.members(), List.of(),
              java.time.Instant.EPOCH))
          .ifPresent(r -> lines.add("now: " + r + " (the step refuses unless it is EMPTY when it runs; the plan is"
              + " read again then)"));
      out.put("lines", lines);
      return out;
    });
  }

  /** Runs the step. */
  Future<StepExecutor.Result> run(Step.ResetConsumerGroup step, StepExecutor.Target t, StepExecutor executor) {
    return plan(step, t).compose(plan -> {
      ConsumerGroupSnapshot asRead = new ConsumerGroupSnapshot(plan.group(), plan.state(), plan.members(), List.of(),
          java.time.Instant.EPOCH);
      var refused = GroupResetPlan.refusal(asRead);
      String before = StepExecutor.json(plan.toMap());
      if (refused.isPresent()) {
        return Future.succeededFuture(new StepExecutor.Result("failed", refused.get(), before, null, false));
      }
      if (plan.moves().isEmpty()) {
        return Future.succeededFuture(new StepExecutor.Result("ok", null, before, StepExecutor.json(Map.of(
            "committed", Map.of(), "note", "nothing to change: " + String.join("; ", plan.lines()))), false));
      }
      KafkaOps ops = t.kafka().orElseThrow();
      return executor.recordBefore(t, before)
          .compose(v -> ops.alterGroupOffsets(plan.group(), plan.offsets()))
          .recover(err -> err instanceof KafkaOpsException e && e.kind() == KafkaOpsException.Kind.GROUP_NOT_EMPTY
              ? ops.consumerGroup(plan.group()).transform(ar -> Future.failedFuture(new IllegalStateException(
                  ar.succeeded() ? GroupResetPlan.refusal(ar.result()).orElse(e.getMessage()) : e.getMessage())))
              : Future.failedFuture(err))
          .compose(v -> ops.consumerGroup(plan.group()))
          .map(after -> {
            Map<String, Object> committed = new TreeMap<>();
            List<String> differs = new ArrayList<>();
            Map<TopicPartition, Long> wanted = plan.offsets();
            for (PartitionLag p : after.partitions()) {
              TopicPartition tp = new TopicPartition(p.topic(), p.partition());
              if (wanted.containsKey(tp)) {
                committed.put(tp.toString(), p.committed());
                if (p.committed() == null || p.committed().longValue() != wanted.get(tp)) {
                  differs.add(tp + " is at " + p.committed() + ", not " + wanted.get(tp));
                }
              }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("group", after.groupId());
            out.put("state", after.state());
            out.put("committed", committed);
            out.put("lag", after.totalLag());
            String json = StepExecutor.json(out);
            return differs.isEmpty() ? new StepExecutor.Result("ok", null, before, json, false)
                : new StepExecutor.Result("failed", "offsets read back differ from the plan (someone committed"
                    + " meanwhile?): " + String.join("; ", differs), before, json, false);
          });
    });
  }
}
