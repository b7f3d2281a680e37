package io.runbookd.engine;

import io.runbookd.alert.LinearPattern;
import io.runbookd.kafka.KafkaOps;
import io.runbookd.model.DlqProgress;
import io.runbookd.model.KafkaRecord;
import io.runbookd.model.TopicPartition;
import io.runbookd.rules.Step;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code dlq_replay} step ({@link Step.DlqReplay}): reads a sink connector's dead letter topic
 * partition by partition, re-produces the records that match the filter to the topic each came from, and
 * stores its progress after every acknowledged batch, so that a run interrupted by a crash resumes where
 * it stopped (the engine runs the same step run again: {@code SegmentRunner}).
 *
 * <p>The context headers are those of Connect's {@code DeadLetterQueueReporter} (KIP-298,
 * https://cwiki.apache.org/confluence/display/KAFKA/KIP-298%3A+Error+Handling+in+Connect; names checked
 * in the connect-runtime 4.1.0 jar): {@code __connect.errors.topic}, {@code __connect.errors.partition},
 * {@code __connect.errors.offset}, {@code __connect.errors.exception.class.name},
 * {@code __connect.errors.exception.message}, and the others under the {@code __connect.errors.} prefix.
 */
final class DlqReplays {
  /** The prefix of Connect's dead-letter context headers, removed from a replayed copy. */
  static final String CONTEXT_PREFIX = "__connect.errors.";
  static final String ORIGINAL_TOPIC = "__connect.errors.topic";
  static final String ORIGINAL_PARTITION = "__connect.errors.partition";
  static final String ORIGINAL_OFFSET = "__connect.errors.offset";
  static final String EXCEPTION_CLASS = "__connect.errors.exception.class.name";
  static final String EXCEPTION_MESSAGE = "__connect.errors.exception.message";
  /** The header a replayed copy carries: the incident that replayed it. */
  static final String REPLAYED_BY = "runbookd.dlq.replayed";
  /** The connector config key naming the dead letter topic (sink connectors). */
  static final String DLQ_TOPIC_CONFIG = "errors.deadletterqueue.topic.name";

  /** Records read per batch at most (a batch is produced, acknowledged and stored together). */
  static final int MAX_BATCH = 100;
  /** The most dead-letter records a preview reads, over all partitions. */
  static final int PREVIEW_SCAN = 100_000;

  private final EngineDeps deps;

  DlqReplays(EngineDeps deps) {
    this.deps = deps;
  }

  /** Why a dead-letter record is passed over, or null when it is replayed. */
  static String skipReason(KafkaRecord r, Step.DlqReplay s, LinearPattern message) {
    if (r.header(REPLAYED_BY).isPresent()) {
      return "replayed_before";
    }
    if (r.header(ORIGINAL_TOPIC).filter(t -> !t.isBlank()).isEmpty()) {
      return "no_context_headers";
    }
    if (s.exceptionClass() != null && !s.exceptionClass().equals(r.header(EXCEPTION_CLASS).orElse(null))) {
      return "filtered";
    }
    if (message != null && r.header(EXCEPTION_MESSAGE).map(m -> message.find(m) < 0).orElse(true)) {
      return "filtered";
    }
    return null;
  }

  /** The copy of dead-letter record {@code r} produced to its original topic and partition. */
  static KafkaRecord copy(KafkaRecord r, String incidentId) {
    List<KafkaRecord.Header> headers = new ArrayList<>();
    for (KafkaRecord.Header h : r.headers()) {
      if (!h.key().startsWith(CONTEXT_PREFIX)) {
        headers.add(h);
      }
    }
    headers.add(KafkaRecord.Header.text(REPLAYED_BY, incidentId));
    int partition;
    try {
      partition = Integer.parseInt(r.header(ORIGINAL_PARTITION).orElse("-1").strip());
    } catch (NumberFormatException e) {
      partition = -1;
    }
    return KafkaRecord.toProduce(r.header(ORIGINAL_TOPIC).orElseThrow(), Math.max(partition, -1), r.key(), r.value(),
        headers);
  }

  private static LinearPattern pattern(Step.DlqReplay s) {
    return s.message() == null ? null : LinearPattern.compile(s.message(), true);
  }

  private static KafkaOps kafka(StepExecutor.Target t) {
    return t.kafka().orElseThrow(() -> new IllegalStateException("dlq_replay needs the Kafka cluster of Connect"
        + " cluster \"" + t.incident().cluster() + "\": set connect_clusters." + t.incident().cluster() + ".kafka in"
        + " runbookd.yaml"));
  }

  /** The dead letter topic: the step's, else the connector's {@code errors.deadletterqueue.topic.name}. */
  private static Future<String> topic(Step.DlqReplay s, StepExecutor.Target t) {
    if (s.topic() != null) {
      return Future.succeededFuture(s.topic());
    }
    return t.api().config(t.incident().connector()).compose(c -> {
      String topic = c.get(DLQ_TOPIC_CONFIG);
      return topic == null || topic.isBlank()
          ? Future.failedFuture(new IllegalStateException("connector " + t.incident().connector() + " has no "
              + DLQ_TOPIC_CONFIG + " and the step names no topic"))
          : Future.succeededFuture(topic.strip());
    });
  }

  // ---- the step ---------------------------------------------------------------------------------

  /** One run (or the resumption of one) in progress. */
  private final class Run {
    final Step.DlqReplay step;
    final StepExecutor.Target target;
    final KafkaOps kafka;
    final LinearPattern message;
    final Instant began = deps.now();
    final Map<String, Long> byTopic = new TreeMap<>();
    final Map<String, Long> skippedBy = new TreeMap<>();
    final Map<String, Long> lastOffsets = new TreeMap<>();
    long replayed;
    long skipped;
    long sentThisRun;
    String stopped = "end";

    Run(Step.DlqReplay step, StepExecutor.Target target, KafkaOps kafka) {
      this.step = step;
      this.target = target;
      this.kafka = kafka;
      this.message = pattern(step);
    }
  }

  /**
   * Runs the step: replays partition after partition up to the log end found at the start, at most
   * {@code max_records} records at {@code rate_per_second}. Resumes from the stored progress of the target's
   * step run, if any.
   */
  Future<StepExecutor.Result> run(Step.DlqReplay s, StepExecutor.Target t) {
    Run run = new Run(s, t, kafka(t));
    return topic(s, t).compose(topic -> run.kafka.partitions(topic).compose(parts -> run.kafka.earliestOffsets(parts)
        .compose(earliest -> run.kafka.latestOffsets(parts).compose(latest -> deps.blocking(() -> t.stepRunId() > 0
                ? deps.store().dlqProgress(t.stepRunId()) : List.<DlqProgress>of())
            .compose(stored -> {
              Map<TopicPartition, DlqProgress> done = new LinkedHashMap<>();
              stored.forEach(p -> done.put(p.partition(), p));
              done.values().forEach(p -> {
                run.replayed += p.replayed();
                run.skipped += p.skipped();
              });
              Map<String, Object> before = new LinkedHashMap<>();
              before.put("dlq_topic", topic);
              before.put("dlq_start_offsets", offsets(earliest));
              before.put("dlq_end_offsets", offsets(latest));
              Future<Void> recorded = done.isEmpty()
                  ? new StepExecutor(deps).recordBefore(t, StepExecutor.json(before)) : Future.succeededFuture();
              Future<Void> chain = recorded;
              for (TopicPartition tp : parts) {
                DlqProgress p = done.get(tp);
                long from = p == null ? earliest.getOrDefault(tp, 0L) : Math.max(p.nextOffset(),
                    earliest.getOrDefault(tp, 0L));
                long start = p == null ? from : p.startOffset();
                long end = latest.getOrDefault(tp, 0L);
                if (p != null) {
                  run.lastOffsets.put(tp.toString(), p.nextOffset() - 1);
                }
                chain = chain.compose(v -> partition(run, tp, start, from, end, p == null ? 0 : p.replayed(),
                    p == null ? 0 : p.skipped()));
              }
              return chain.map(v -> {
                Map<String, Object> after = new LinkedHashMap<>();
                after.put("dlq_topic", topic);
                after.put("replayed", run.replayed);
                after.put("skipped", run.skipped);
                after.put("replayed_by_topic", run.byTopic);
                after.put("skipped_by_reason", run.skippedBy);
                after.put("last_offsets", run.lastOffsets);
                after.put("stopped_at", run.stopped);
                if (!done.isEmpty()) {
                  after.put("resumed_from", offsets(done.values().stream().collect(
                      java.util.stream.Collectors.toMap(DlqProgress::partition, DlqProgress::nextOffset))));
                }
                // the before-state was stored when the run began (recordBefore), and is kept on a resumption
                return new StepExecutor.Result("ok", null, null, StepExecutor.json(after), false);
              });
            })))));
  }

  private static Map<String, Long> offsets(Map<TopicPartition, Long> m) {
    Map<String, Long> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(k.toString(), v));
    return out;
  }

  /** Replays one dead-letter partition from {@code from} up to {@code end} (exclusive). */
  private Future<Void> partition(Run run, TopicPartition tp, long start, long from, long end, long replayedHere,
      long skippedHere) {
    if (from >= end || run.replayed >= run.step.maxRecords()) {
      if (run.replayed >= run.step.maxRecords() && from < end) {
        run.stopped = "max_records";
      }
      return Future.succeededFuture();
    }
    int batch = (int) Math.min(Math.min(MAX_BATCH, run.step.ratePerSecond()), end - from);
    return run.kafka.read(tp, from, batch).compose(records -> {
      if (records.isEmpty()) {
        return Future.succeededFuture();
      }
      List<KafkaRecord> copies = new ArrayList<>();
      long next = from;
      long skipped = 0;
      for (KafkaRecord r : records) {
        if (r.offset() >= end) {
          break;
        }
        String why = skipReason(r, run.step, run.message);
        if (why == null && run.replayed + copies.size() >= run.step.maxRecords()) {
          run.stopped = "max_records";
          break;
        }
        if (why == null) {
          copies.add(copy(r, run.target.incident().id()));
        } else {
          skipped++;
          run.skippedBy.merge(why, 1L, Long::sum);
        }
        next = r.offset() + 1;
      }
      long nextOffset = next;
      long skippedBatch = skipped;
      Future<List<Long>> produced = copies.isEmpty() ? Future.succeededFuture(List.of()) : run.kafka.produce(copies);
      return produced.compose(acked -> {
        copies.forEach(c -> run.byTopic.merge(c.topic(), 1L, Long::sum));
        run.replayed += copies.size();
        run.skipped += skippedBatch;
        run.sentThisRun += copies.size();
        run.lastOffsets.put(tp.toString(), nextOffset - 1);
        DlqProgress p = new DlqProgress(run.target.stepRunId(), tp, start, nextOffset, replayedHere + copies.size(),
            skippedHere + skippedBatch, deps.now());
        Future<Void> saved = run.target.stepRunId() <= 0 ? Future.succeededFuture() : deps.blocking(() -> {
          deps.store().saveDlqProgress(run.target.incident().id(), p);
          return null;
        });
        return saved.compose(v -> pace(run)).compose(v -> nextOffset == from || "max_records".equals(run.stopped)
            ? Future.<Void>succeededFuture()
            : partition(run, tp, start, nextOffset, end, p.replayed(), p.skipped()));
      });
    });
  }

  /** Waits until the records sent in this run keep to {@code rate_per_second} since it began. */
  private Future<Void> pace(Run run) {
    long dueMs = run.sentThisRun * 1000L / run.step.ratePerSecond();
    long elapsed = Duration.between(run.began, deps.now()).toMillis();
    long delay = dueMs - elapsed;
    if (delay <= 0) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    deps.vertx().setTimer(delay, id -> p.complete());
    return p.future();
  }

  /**
   * The connector's dead letter topic ({@code errors.deadletterqueue.topic.name}) and the records it holds
   * now: the sum over its partitions of log end minus log start.
   */
  Future<Map.Entry<String, Long>> count(StepExecutor.Target t) {
    KafkaOps kafka = kafka(t);
    return topic(new Step.DlqReplay(null, null, null, 1, 1), t).compose(topic -> kafka.partitions(topic)
        .compose(parts -> kafka.earliestOffsets(parts).compose(earliest -> kafka.latestOffsets(parts).map(latest -> {
          long n = 0;
          for (TopicPartition tp : parts) {
            n += latest.getOrDefault(tp, 0L) - earliest.getOrDefault(tp, 0L);
          }
          return Map.entry(topic, n);
        }))));
  }

  // ---- the preview ------------------------------------------------------------------------------

  /**
   * What the step would do now: the dead-letter records that match its filter, per original topic, and its
   * bounds. Reads at most {@link #PREVIEW_SCAN} records.
   */
  Future<Map<String, Object>> preview(Step.DlqReplay s, StepExecutor.Target t) {
    KafkaOps kafka = kafka(t);
    LinearPattern message = pattern(s);
    return topic(s, t).compose(topic -> kafka.partitions(topic).compose(parts -> kafka.earliestOffsets(parts)
        .compose(earliest -> kafka.latestOffsets(parts).compose(latest -> {
          Map<String, Long> matching = new TreeMap<>();
          Map<String, Long> skipped = new TreeMap<>();
          long[] scanned = {0};
          Future<Void> chain = Future.succeededFuture();
          for (TopicPartition tp : parts) {
            chain = chain.compose(v -> scan(kafka, tp, earliest.getOrDefault(tp, 0L), latest.getOrDefault(tp, 0L), s,
                message, matching, skipped, scanned));
          }
          return chain.map(v -> {
            long total = 0;
            for (TopicPartition tp : parts) {
              total += latest.getOrDefault(tp, 0L) - earliest.getOrDefault(tp, 0L);
            }
            long match = matching.values().stream().mapToLong(Long::longValue).sum();
            long sends = Math.min(match, s.maxRecords());
            List<String> lines = new ArrayList<>();
            lines.add("dlq_replay: dead letter topic " + topic + " holds " + total + " record(s)"
                + (scanned[0] < total ? " (the first " + scanned[0] + " read)" : ""));
            lines.add("  " + match + " match the filter (" + filter(s) + ")" + (matching.isEmpty() ? ""
                : ": " + String.join(", ", matching.entrySet().stream().map(e -> e.getValue() + " to " + e.getKey())
                    .toList())));
            if (!skipped.isEmpty()) {
              lines.add("  skipped: " + String.join(", ", skipped.entrySet().stream()
                  .map(e -> e.getValue() + " " + e.getKey().replace('_', ' ')).toList()));
            }
            lines.add("  bounds: at most " + s.maxRecords() + " record(s) at " + s.ratePerSecond() + "/s: " + sends
                + " would be sent, in about " + Math.max(1, (sends + s.ratePerSecond() - 1) / s.ratePerSecond()) + "s;"
                + " context headers removed, header " + REPLAYED_BY + " added");
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("lines", lines);
            out.put("dlq_topic", topic);
            out.put("dlq_records", total);
            out.put("matching_by_topic", matching);
            out.put("skipped_by_reason", skipped);
            out.put("max_records", s.maxRecords());
            out.put("rate_per_second", s.ratePerSecond());
            out.put("dlq_end_offsets", offsets(latest));
            return out;
          });
        }))));
  }

  private Future<Void> scan(KafkaOps kafka, TopicPartition tp, long from, long end, Step.DlqReplay s,
      LinearPattern message, Map<String, Long> matching, Map<String, Long> skipped, long[] scanned) {
    if (from >= end || scanned[0] >= PREVIEW_SCAN) {
      return Future.succeededFuture();
    }
    return kafka.read(tp, from, (int) Math.min(500, end - from)).compose(records -> {
      long next = from;
      for (KafkaRecord r : records) {
        if (r.offset() >= end) {
          break;
        }
        scanned[0]++;
        String why = skipReason(r, s, message);
        if (why == null) {
          matching.merge(r.header(ORIGINAL_TOPIC).orElseThrow(), 1L, Long::sum);
        } else {
          skipped.merge(why, 1L, Long::sum);
        }
        next = r.offset() + 1;
      }
      return records.isEmpty() || next == from ? Future.succeededFuture()
          : scan(kafka, tp, next, end, s, message, matching, skipped, scanned);
    });
  }

  private static String filter(Step.DlqReplay s) {
    List<String> parts = new ArrayList<>();
    if (s.exceptionClass() != null) {
      parts.add("exception_class=" + s.exceptionClass());
    }
    if (s.message() != null) {
      parts.add("message=~" + s.message());
    }
    return parts.isEmpty() ? "any error" : String.join(", ", parts);
  }
}
