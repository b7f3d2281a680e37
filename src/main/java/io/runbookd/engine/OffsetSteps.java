package io.runbookd.engine;

import io.runbookd.connect.ConnectApi;
import io.runbookd.connect.ConnectRestException;
import io.runbookd.engine.StepExecutor.Result;
import io.runbookd.engine.StepExecutor.Target;
import io.runbookd.kafka.KafkaOps;
import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.model.ConsumerGroupSnapshot;
import io.runbookd.model.PartitionLag;
import io.runbookd.model.StepRun;
import io.runbookd.model.TopicPartition;
import io.runbookd.rules.Step;
import io.runbookd.rules.Step.ResetOffsets.OffsetsTo;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Connect-side data-repair steps: {@code reset_offsets}, {@code recreate} and {@code revert_config}, and
 * the approval previews of the first two.
 *
 * <p>Facts: KIP-875 (https://cwiki.apache.org/confluence/display/KAFKA/KIP-875%3A+First-class+offsets+support+in+Kafka+Connect):
 * {@code GET /connectors/{name}/offsets} (3.5+), {@code PATCH} and {@code DELETE} (3.6+) need the connector
 * STOPPED with no tasks, and for a sink a consumer group without active members. A sink's offsets have the
 * fixed shape partition {@code {"kafka_topic","kafka_partition"}}, offset {@code {"kafka_offset"}}; its group
 * is {@code connect-<name>} unless {@code consumer.override.group.id} is set (the Connect docs, "Sink
 * connector offsets"; apache/kafka {@code SinkUtils}).
 */
final class OffsetSteps {
  /** How long the connector may take to show STOPPED with no tasks after {@code PUT /stop}. */
  static final Duration STOP_WITHIN = Duration.ofSeconds(60);
  private static final long POLL_MS = 250;
  private static final Pattern NUMBERED = Pattern.compile("^(.+)\\.([0-9]{1,6})$");

  private final EngineDeps deps;
  private final StepExecutor exec;

  OffsetSteps(EngineDeps deps, StepExecutor exec) {
    this.deps = deps;
    this.exec = exec;
  }

  // ---- reset_offsets ---------------------------------------------------------------------------

  /**
   * Stops the connector unless STOPPED, waits until Connect shows it STOPPED with no tasks (at most
   * {@link #STOP_WITHIN}), stores the offsets it has on the step record before changing anything, resets or
   * alters them, reads them back (the after-state), and resumes it unless {@code resume: false}.
   *
   * <p>Before-state: {@code {"connector":..,"type":"source|sink","state":<state found>,"offsets":[..]}} with the
   * {@code offsets} list of {@code GET /offsets}. After-state: {@code {"offsets":[..],"resumed":bool,"plan":[..]}}.
   */
  Future<Result> resetOffsets(Step.ResetOffsets s, Target t) {
    AtomicBoolean acted = new AtomicBoolean();
    return afterFirstChange(resetOffsets(s, t, acted), acted, "reset_offsets");
  }

  private Future<Result> resetOffsets(Step.ResetOffsets s, Target t, AtomicBoolean acted) {
    ConnectApi api = t.api();
    String name = t.incident().connector();
    return api.status(name).compose(found -> {
      if (s.to().sinkOnly() && !"sink".equals(found.type())) {
        return Future.failedFuture(new IllegalArgumentException("reset_offsets to: " + describeTo(s) + " applies to sink"
            + " connectors; " + name + " is a " + found.type() + " connector (use reset_offsets: {} or offsets: [..])"));
      }
      if (s.to().sinkOnly() && t.kafka().isEmpty()) {
        return Future.failedFuture(noKafka(s, t));
      }
      Future<Void> stopped = found.connector().state() == ConnectorState.STOPPED && found.tasks().isEmpty()
          ? Future.succeededFuture()
          : (found.connector().state() == ConnectorState.STOPPED ? Future.<Void>succeededFuture() : api.stop(name))
              .compose(v -> {
                acted.set(true);
                return awaitStopped(api, name, System.nanoTime() + STOP_WITHIN.toNanos(), null);
              });
      return stopped
          .compose(v -> api.offsets(name))
          .compose(current -> {
            JsonObject before = new JsonObject().put("connector", name).put("type", found.type())
                .put("state", found.connector().state().name()).put("offsets", offsetsOf(current));
            String beforeJson = before.encode();
            return exec.recordBefore(t, beforeJson)
                .compose(v -> plan(s, t, found.type(), offsetsOf(current)))
                .compose(plan -> {
                  acted.set(true);
                  return apply(api, name, plan)
                      .compose(message -> api.offsets(name))
                      .compose(read -> (s.resume() ? api.resume(name) : Future.<Void>succeededFuture())
                          .map(v -> new Result("ok", null, beforeJson, new JsonObject()
                              .put("offsets", offsetsOf(read)).put("resumed", s.resume()).put("plan", plan.lines())
                              .encode(), false)));
                });
          });
    });
  }

  /** What a reset_offsets step sends: DELETE (body null) or PATCH with {@code body}; {@code lines} describe it. */
  record Plan(JsonObject body, List<String> lines) {}

  private Future<String> apply(ConnectApi api, String name, Plan plan) {
    return plan.body() == null ? api.resetOffsets(name) : api.alterOffsets(name, plan.body());
  }

  /**
   * The plan of {@code s} against the connector's {@code current} offsets (the {@code offsets} list of
   * {@code GET /offsets}).
   */
  private Future<Plan> plan(Step.ResetOffsets s, Target t, String type, JsonArray current) {
    String name = t.incident().connector();
    return switch (s.to()) {
      case RESET -> Future.succeededFuture(resetAllPlan(type, current));
      case EXPLICIT -> Future.succeededFuture(explicitPlan(new JsonArray(s.offsets()), current, type));
      case SAVED -> saved(t).map(saved -> savedPlan(saved, current, type));
      default -> t.api().config(name).compose(config -> sinkPlan(s, t, config, current));
    };
  }

  private static Plan resetAllPlan(String type, JsonArray current) {
    List<String> lines = new ArrayList<>();
    if (current.isEmpty()) {
      lines.add("reset every offset of the connector (it has none stored now)");
    }
    for (Object o : current) {
      JsonObject e = (JsonObject) o;
      lines.add(partitionText(e.getJsonObject("partition"), type) + ": " + offsetText(e.getValue("offset"), type)
          + " → reset (" + ("sink".equals(type)
              ? "the sink starts from its consumer.auto.offset.reset position, earliest by default"
              : "the source starts as if new, e.g. a new snapshot") + ")");
    }
    return new Plan(null, lines);
  }

  private static Plan explicitPlan(JsonArray wanted, JsonArray current, String type) {
    Map<String, Object> now = byPartition(current);
    List<String> lines = new ArrayList<>();
    for (Object o : wanted) {
      JsonObject e = (JsonObject) o;
      Object from = now.get(key(e.getJsonObject("partition")));
      Object to = e.getValue("offset");
      lines.add(partitionText(e.getJsonObject("partition"), type) + ": " + (from == null ? "none" : offsetText(from, type))
          + " → " + (to == null ? "reset" : offsetText(to, type)) + counted(from, to, type));
    }
    return new Plan(new JsonObject().put("offsets", wanted), lines);
  }

  /**
   * Back to {@code saved} (the offsets list an earlier step recorded): the saved partitions get their saved
   * offsets, and partitions that have an offset now but had none then are reset. An empty saved list resets
   * everything.
   */
  private static Plan savedPlan(JsonArray saved, JsonArray current, String type) {
    if (saved.isEmpty()) {
      Plan all = resetAllPlan(type, current);
      List<String> lines = new ArrayList<>();
      lines.add("the saved offsets were empty: reset every offset");
      lines.addAll(all.lines());
      return new Plan(null, lines);
    }
    Map<String, Object> savedBy = byPartition(saved);
    JsonArray body = new JsonArray();
    saved.forEach(body::add);
    for (Object o : current) {
      JsonObject e = (JsonObject) o;
      if (!savedBy.containsKey(key(e.getJsonObject("partition")))) {
        body.add(new JsonObject().put("partition", e.getJsonObject("partition")).putNull("offset"));
      }
    }
    Plan p = explicitPlan(body, current, type);
    return new Plan(p.body(), p.lines());
  }

  /** The sink targets: earliest, latest, timestamp, offset or skip, per partition of the sink's topics. */
  private Future<Plan> sinkPlan(Step.ResetOffsets s, Target t, Map<String, String> config, JsonArray current) {
    String name = t.incident().connector();
    if (t.kafka().isEmpty()) {
      return Future.failedFuture(noKafka(s, t));
    }
    KafkaOps kafka = t.kafka().get();
    String group = config.getOrDefault("consumer.override.group.id", "connect-" + name);
    return kafka.consumerGroup(group).compose(snapshot -> {
      Map<TopicPartition, Long> committed = committed(snapshot, current);
      Set<String> topics = new LinkedHashSet<>();
      if (!s.topics().isEmpty()) {
        topics.addAll(s.topics());
      } else {
        for (String topic : config.getOrDefault("topics", "").split(",")) {
          if (!topic.isBlank()) {
            topics.add(topic.trim());
          }
        }
        committed.keySet().forEach(tp -> topics.add(tp.topic()));
      }
      if (topics.isEmpty()) {
        return Future.failedFuture(new IllegalStateException(name + " names no topics (topics) and has no committed"
            + " offsets; list them with reset_offsets.topics"));
      }
      List<Future<List<TopicPartition>>> reads = new ArrayList<>();
      for (String topic : topics) {
        reads.add(kafka.partitions(topic));
      }
      return Future.all(reads).compose(all -> {
        List<TopicPartition> tps = new ArrayList<>();
        for (int i = 0; i < reads.size(); i++) {
          for (TopicPartition tp : reads.get(i).result()) {
            if (s.partitions().isEmpty() || s.partitions().contains(tp.partition())) {
              tps.add(tp);
            }
          }
        }
        tps.sort(null);
        if (tps.isEmpty()) {
          return Future.failedFuture(new IllegalStateException("no partition of " + String.join(", ", topics)
              + " matches reset_offsets.partitions " + s.partitions()));
        }
        return kafka.earliestOffsets(tps).compose(start -> kafka.latestOffsets(tps).compose(end ->
            targets(s, kafka, tps, committed).map(to -> sinkBody(s, tps, committed, start, end, to))));
      });
    });
  }

  private static Future<Map<TopicPartition, Long>> targets(Step.ResetOffsets s, KafkaOps kafka,
      List<TopicPartition> tps, Map<TopicPartition, Long> committed) {
    return switch (s.to()) {
      case EARLIEST -> kafka.earliestOffsets(tps);
      case LATEST -> kafka.latestOffsets(tps);
      case TIMESTAMP -> kafka.offsetsForTime(tps, s.timestamp());
      case OFFSET -> {
        Map<TopicPartition, Long> out = new LinkedHashMap<>();
        tps.forEach(tp -> out.put(tp, s.value()));
        yield Future.succeededFuture(out);
      }
      case SKIP -> {
        Map<TopicPartition, Long> out = new LinkedHashMap<>();
        tps.forEach(tp -> {
          if (committed.get(tp) != null) {
            out.put(tp, committed.get(tp) + s.value());
          }
        });
        if (out.isEmpty()) {
          yield Future.failedFuture(new IllegalStateException("reset_offsets to: {skip: " + s.value() + "}: the sink has"
              + " no committed offset on " + tps + " to skip from"));
        }
        yield Future.succeededFuture(out);
      }
      default -> Future.failedFuture(new IllegalStateException("not a sink target: " + s.to()));
    };
  }

  /**
   * The PATCH body and lines; a target outside {@code [log start, log end]} is clamped into it (an offset out
   * of range would make the sink fall back to its auto.offset.reset, earliest by default, replaying all).
   */
  private static Plan sinkBody(Step.ResetOffsets s, List<TopicPartition> tps, Map<TopicPartition, Long> committed,
      Map<TopicPartition, Long> start, Map<TopicPartition, Long> end, Map<TopicPartition, Long> to) {
    JsonArray offsets = new JsonArray();
    List<String> lines = new ArrayList<>();
    for (TopicPartition tp : tps) {
      Long target = to.get(tp);
      if (target == null) {
        lines.add(tp + ": " + text(committed.get(tp)) + " → unchanged (no committed offset to skip from)");
        continue;
      }
      long lo = start.getOrDefault(tp, 0L);
      long hi = end.getOrDefault(tp, target);
      long clamped = Math.max(lo, Math.min(hi, target));
      offsets.add(new JsonObject()
          .put("partition", new JsonObject().put("kafka_topic", tp.topic()).put("kafka_partition", tp.partition()))
          .put("offset", new JsonObject().put("kafka_offset", clamped)));
      Long from = committed.get(tp);
      lines.add(tp + ": " + text(from) + " → " + clamped + counted(from, clamped)
          + (clamped != target ? " (" + target + " is outside the log [" + lo + ", " + hi + "]; clamped)" : ""));
    }
    return new Plan(new JsonObject().put("offsets", offsets), lines);
  }

  /** The sink's committed offsets: the group's, else what Connect's GET /offsets says. */
  private static Map<TopicPartition, Long> committed(ConsumerGroupSnapshot snapshot, JsonArray current) {
    Map<TopicPartition, Long> out = new TreeMap<>();
    for (PartitionLag p : snapshot.partitions()) {
      if (p.committed() != null) {
        out.put(new TopicPartition(p.topic(), p.partition()), p.committed());
      }
    }
    for (Object o : current) {
      JsonObject e = (JsonObject) o;
      JsonObject part = e.getJsonObject("partition");
      JsonObject off = e.getJsonObject("offset");
      if (part != null && off != null && part.getValue("kafka_topic") instanceof String topic
          && part.getValue("kafka_partition") instanceof Number n && off.getValue("kafka_offset") instanceof Number v) {
        out.putIfAbsent(new TopicPartition(topic, n.intValue()), v.longValue());
      }
    }
    return out;
  }

  /**
   * The offsets list the incident's most recent other reset_offsets step saved (its before-state), failing with
   * a clear error when there is none.
   */
  private Future<JsonArray> saved(Target t) {
    String id = t.incident().id();
    return deps.blocking(() -> deps.store().steps(id)).compose(steps -> {
      for (int i = steps.size() - 1; i >= 0; i--) {
        StepRun r = steps.get(i);
        if ("reset_offsets".equals(r.type()) && r.id() != t.stepRunId() && r.before() != null) {
          JsonArray offsets = new JsonObject(r.before()).getJsonArray("offsets");
          if (offsets != null) {
            return Future.succeededFuture(offsets);
          }
        }
      }
      return Future.failedFuture(new IllegalStateException("reset_offsets to: saved: incident " + id
          + " has no offsets saved by an earlier reset_offsets step"));
    });
  }

  /** Polls until Connect shows the connector STOPPED with no tasks, failing after {@code deadlineNanos}. */
  private Future<Void> awaitStopped(ConnectApi api, String name, long deadlineNanos, ConnectorStatus last) {
    if (last != null && System.nanoTime() - deadlineNanos > 0) {
      return Future.failedFuture(new IllegalStateException(name + " did not show STOPPED with no tasks within "
          + STOP_WITHIN.toSeconds() + "s after PUT /stop (last: connector " + last.connector().state() + ", "
          + last.tasks().size() + " task(s)); its offsets were not changed"));
    }
    return api.status(name).compose(st -> {
      if (st.connector().state() == ConnectorState.STOPPED && st.tasks().isEmpty()) {
        return Future.succeededFuture();
      }
      Promise<Void> p = Promise.promise();
      deps.vertx().setTimer(POLL_MS, id -> awaitStopped(api, name, deadlineNanos, st).onComplete(p));
      return p.future();
    });
  }

  private static IllegalStateException noKafka(Step.ResetOffsets s, Target t) {
    String cluster = t.incident().cluster();
    return new IllegalStateException("reset_offsets to: " + describeTo(s) + " reads the sink's partitions from Kafka,"
        + " but Connect cluster " + cluster + " has no Kafka cluster: set connect_clusters." + cluster
        + ".kafka in runbookd.yaml (or use reset_offsets: {} to reset everything)");
  }

  private static String describeTo(Step.ResetOffsets s) {
    return switch (s.to()) {
      case TIMESTAMP -> "{timestamp: " + s.timestamp() + "}";
      case OFFSET -> "{offset: " + s.value() + "}";
      case SKIP -> "{skip: " + s.value() + "}";
      default -> s.to().name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  // ---- previews ----------------------------------------------------------------------------------

  /**
   * What {@code reset_offsets} will do, read now (the connector may still be running, so a sink's committed
   * offsets can move a little before the step runs): one line per partition, {@code topic-partition: from → to
   * (replays N records / skips N records)}; for a source, its stored partitions and offsets.
   */
  Future<Map<String, Object>> preview(Step.ResetOffsets s, Target t) {
    String name = t.incident().connector();
    return t.api().status(name).compose(found -> {
      if (s.to().sinkOnly() && !"sink".equals(found.type())) {
        return Future.failedFuture(new IllegalArgumentException("to: " + describeTo(s) + " applies to sink connectors; "
            + name + " is a " + found.type() + " connector: the step will fail"));
      }
      if (s.to().sinkOnly() && t.kafka().isEmpty()) {
        return Future.failedFuture(noKafka(s, t));
      }
      return t.api().offsets(name).compose(current -> plan(s, t, found.type(), offsetsOf(current)))
          .map(plan -> {
            Map<String, Object> out = new LinkedHashMap<>();
            List<String> lines = new ArrayList<>();
            lines.add((found.connector().state() == ConnectorState.STOPPED ? "" : "stop " + name + ", ")
                + (plan.body() == null ? "reset (DELETE) its offsets" : "alter (PATCH) its offsets")
                + (s.resume() ? ", then resume it:" : ", and leave it STOPPED:"));
            plan.lines().forEach(l -> lines.add("  " + l));
            out.put("lines", lines);
            out.put("type", found.type());
            if (plan.body() != null) {
              out.put("body", plan.body().getMap());
            }
            return out;
          });
    });
  }

  /** What {@code recreate} will do: "delete X, create X.1 with the same N config keys". */
  Future<Map<String, Object>> preview(Step.Recreate s, Target t) {
    String name = t.incident().connector();
    return t.api().config(name).compose(config -> t.api().connectors().map(names -> {
      String next = nextName(name, names);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("lines", List.of("delete " + name + ", create " + next + " with the same " + config.size()
          + " config keys (" + next + " starts without " + name + "'s offsets)"));
      out.put("new_name", next);
      return out;
    }));
  }

  // ---- recreate ----------------------------------------------------------------------------------

  /**
   * Reads the configuration (stored as the before-state first), deletes the connector and creates it under
   * {@link #nextName}. After-state: {@code {"old_name","new_name","config_keys"}}; the engine then points the
   * incident at {@code new_name}.
   */
  Future<Result> recreate(Step.Recreate s, Target t) {
    AtomicBoolean acted = new AtomicBoolean();
    return afterFirstChange(recreate(t, acted), acted, "recreate");
  }

  private Future<Result> recreate(Target t, AtomicBoolean acted) {
    ConnectApi api = t.api();
    String name = t.incident().connector();
    return api.config(name).compose(config -> {
      String before = new JsonObject().put("name", name).put("config", new JsonObject(new LinkedHashMap<>(config))).encode();
      return exec.recordBefore(t, before)
          .compose(v -> api.connectors())
          .compose(names -> {
            String next = nextName(name, names);
            Map<String, String> copy = new LinkedHashMap<>(config);
            if (copy.containsKey("name")) {
              copy.put("name", next);
            }
            acted.set(true);
            return api.deleteConnector(name)
                .compose(v -> api.putConfig(next, copy).recover(err -> Future.failedFuture(new IllegalStateException(
                    name + " was deleted but creating " + next + " failed: " + err.getMessage() + "; its config is the"
                        + " before-state of this step", err))))
                .map(created -> new Result("ok", null, before, new JsonObject().put("old_name", name)
                    .put("new_name", next).put("config_keys", copy.size()).encode(), false));
          });
    });
  }

  /**
   * {@code <base>.N} for the first N from 1 that names no connector in {@code existing}; the base is
   * {@code name} without a trailing {@code .N}, so recreating {@code orders.1} gives {@code orders.2}.
   */
  static String nextName(String name, List<String> existing) {
    Matcher m = NUMBERED.matcher(name);
    String base = m.matches() ? m.group(1) : name;
    Set<String> taken = new HashSet<>(existing);
    taken.add(name);
    for (int n = 1; ; n++) {
      String candidate = base + "." + n;
      if (!taken.contains(candidate)) {
        return candidate;
      }
    }
  }

  /** The {@code new_name} of a recreate step's after-state, or null. */
  static String newName(String after) {
    if (after == null) {
      return null;
    }
    try {
      return new JsonObject(after).getString("new_name");
    } catch (RuntimeException e) {
      return null;
    }
  }

  // ---- revert_config -----------------------------------------------------------------------------

  /**
   * Puts back the values the incident's {@code patch_config} steps found: per key the value recorded by the
   * first step that changed it (null: the key was absent, so it is removed). Validates the result like
   * {@code patch_config} when asked. Before-state: the current values of those keys; after-state: the values
   * Connect then has.
   */
  Future<Result> revertConfig(Step.RevertConfig s, Target t) {
    String id = t.incident().id();
    return deps.blocking(() -> deps.store().steps(id)).compose(steps -> {
      Map<String, String> original = new LinkedHashMap<>();
      for (StepRun r : steps) {
        if ("patch_config".equals(r.type()) && r.before() != null && !"failed".equals(r.outcome())) {
          JsonObject b = new JsonObject(r.before());
          for (String key : b.fieldNames()) {
            if (!original.containsKey(key)) {
              Object v = b.getValue(key);
              original.put(key, v == null ? null : String.valueOf(v));
            }
          }
        }
      }
      if (original.isEmpty()) {
        return Future.failedFuture(new IllegalStateException("revert_config: incident " + id
            + " has no patch_config step that recorded old values; nothing to revert"));
      }
      return exec.patchConfig(new Step.PatchConfig(original, s.validate()), t);
    });
  }

  // ---- helpers -----------------------------------------------------------------------------------

  /**
   * A 409 from Connect after the step changed something (the connector is stopped, deleted, ...) is a failure
   * of the step, not "nothing was applied" (the engine's rebalance handling would run the attempt again).
   */
  private static Future<Result> afterFirstChange(Future<Result> f, AtomicBoolean acted, String step) {
    return f.recover(err -> err instanceof ConnectRestException e && e.isConflict() && acted.get()
        ? Future.failedFuture(new IllegalStateException(step + " stopped halfway: Connect answered 409 (rebalance) after"
            + " the step had changed the connector: " + e.getMessage(), e))
        : Future.failedFuture(err));
  }

  private static JsonArray offsetsOf(JsonObject body) {
    JsonArray a = body == null ? null : body.getJsonArray("offsets");
    return a == null ? new JsonArray() : a;
  }

  private static Map<String, Object> byPartition(JsonArray offsets) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Object o : offsets) {
      JsonObject e = (JsonObject) o;
      out.put(key(e.getJsonObject("partition")), e.getValue("offset"));
    }
    return out;
  }

  private static String key(JsonObject partition) {
    return partition == null ? "null" : new TreeMap<>(partition.getMap()).toString();
  }

  /** {@code topic-partition} for a sink partition, the partition's JSON for a source. */
  private static String partitionText(JsonObject partition, String type) {
    if (partition != null && partition.getValue("kafka_topic") instanceof String topic
        && partition.getValue("kafka_partition") instanceof Number n) {
      return topic + "-" + n.intValue();
    }
    return partition == null ? "null" : partition.encode();
  }

  private static String offsetText(Object offset, String type) {
    if (offset instanceof JsonObject o && o.getValue("kafka_offset") instanceof Number n && o.size() == 1) {
      return Long.toString(n.longValue());
    }
    return offset == null ? "none" : (offset instanceof JsonObject o ? o.encode() : String.valueOf(offset));
  }

  private static String counted(Object from, Object to, String type) {
    Long f = kafkaOffset(from);
    Long x = kafkaOffset(to);
    return f == null || x == null ? "" : counted(f, x);
  }

  private static Long kafkaOffset(Object offset) {
    return offset instanceof JsonObject o && o.getValue("kafka_offset") instanceof Number n ? n.longValue() : null;
  }

  private static String counted(Long from, long to) {
    if (from == null) {
      return " (no committed offset now)";
    }
    if (to < from) {
      return " (replays " + (from - to) + " records)";
    }
    if (to > from) {
      return " (skips " + (to - from) + " records)";
    }
    return " (unchanged)";
  }

  private static String text(Long offset) {
    return offset == null ? "none" : offset.toString();
  }
}
