package io.runbookd.policy;

import io.runbookd.model.KafkaWait;
import io.runbookd.model.Wait;
import io.runbookd.rules.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The Kafka conditions of a {@code wait_for}, as a pure function of one reading: the total lag of the sink's
 * consumer group falling or below a bound, and the connector's dead-letter topic quiet for a while. They are
 * decided together with the connector state ({@link StabilityPolicy}): the wait ends well at the first
 * reading at which every condition holds.
 *
 * <ul>
 *   <li>{@code lag: {falling: true}} holds when the last change of the lag between successive readings was
 *       down, or the lag is 0. Readings that show no change keep the last direction: a Connect sink commits
 *       its offsets every {@code offset.flush.interval.ms} (60 s by default; Connect worker configs,
 *       https://kafka.apache.org/documentation/#connectconfigs), so its committed lag moves in steps.
 *   <li>{@code lag: {below: N}} holds when the lag read is below N.
 *   <li>{@code dlq_quiet: D} holds once the dead-letter topic's end offsets have not moved for D, counted
 *       from the first reading of the wait: a dead-letter record carries the failed record's own timestamp
 *       (Connect's {@code DeadLetterQueueReporter}), not when it was written, so timestamps cannot say when
 *       the topic last got one.
 * </ul>
 *
 * <p>As with {@code stable_for}: every condition must hold or have its quiet streak under way by the
 * deadline; a streak under way may finish after it, but any condition that stops holding after the deadline
 * fails the wait at once.
 */
public final class KafkaWaitPolicy {
  private KafkaWaitPolicy() {}

  /**
   * One reading of the Kafka side of a wait.
   *
   * @param group the consumer group read, or null when unknown
   * @param dlqTopic the dead-letter topic read, or null
   * @param totalLag the group's total lag, or null when it could not be read
   * @param lagError why the lag could not be read, or null
   * @param dlqEnd the dead-letter topic's end offsets summed, or null when not read
   * @param dlqError why the dead-letter topic could not be read, or null
   * @param fatal a failure waiting cannot cure (no Kafka cluster configured, no dead-letter topic), or null
   */
  public record Reading(String group, String dlqTopic, Long totalLag, String lagError, Long dlqEnd, String dlqError,
      String fatal) {
    /** A failure waiting cannot cure. */
    public static Reading fatal(String why) {
      return new Reading(null, null, null, why, null, why, why);
    }
  }

  /** The readings of {@code k} updated with {@code r} taken at {@code now}. */
  static KafkaWait update(KafkaWait k, Reading r, Instant now) {
    KafkaWait out = k;
    if (r.group() != null || r.dlqTopic() != null) {
      out = out.withNames(r.group() != null ? r.group() : k.group(), r.dlqTopic() != null ? r.dlqTopic() : k.dlqTopic());
    }
    if (r.totalLag() != null) {
      if (out.lagTo() == null) {
        out = out.withLag(null, r.totalLag());
      } else if (!out.lagTo().equals(r.totalLag())) {
        out = out.withLag(out.lagTo(), r.totalLag());
      }
    }
    if (r.dlqEnd() != null && (out.dlqEnd() == null || !out.dlqEnd().equals(r.dlqEnd()))) {
      out = out.withDlq(r.dlqEnd(), now);
    }
    return out;
  }

  /** True when the last change of the lag was down, or the lag is 0. */
  static boolean falling(KafkaWait k) {
    return k.lagTo() != null && (k.lagTo() == 0 || k.lagFrom() != null && k.lagTo() < k.lagFrom());
  }

  /** {@code lag 5,210 → 5,380}, or {@code lag 5,380, unchanged since the wait started}. */
  static String lagText(KafkaWait k) {
    return k.lagFrom() == null ? "lag " + GroupResetPlan.number(k.lagTo()) + ", unchanged since the wait started"
        : "lag " + GroupResetPlan.number(k.lagFrom()) + " → " + GroupResetPlan.number(k.lagTo());
  }

  /**
   * Decides a wait with Kafka conditions, given the verdict on its connector state.
   *
   * @param w the stored wait ({@code w.kafka()} not null)
   * @param state the state verdict of this reading ({@link StabilityPolicy#observe})
   * @param r the Kafka reading; null when none was taken (it then counts as unavailable)
   * @param now the time of the reading
   * @param pollInterval how often to read while the verdict is open
   */
  public static StabilityPolicy.Verdict observe(Wait w, StabilityPolicy.Verdict state, Reading r, Instant now,
      Duration pollInterval) {
    if (state instanceof StabilityPolicy.Verdict.Failed) {
      return state;
    }
    if (r == null) {
      r = new Reading(null, null, null, "not read", null, "not read", null);
    }
    if (r.fatal() != null) {
      return new StabilityPolicy.Verdict.Failed(r.fatal(), false);
    }
    KafkaWait before = w.kafka();
    KafkaWait k = update(before, r, now);
    boolean late = now.isAfter(w.deadline());
    List<String> unmet = new ArrayList<>();
    if (k.lag()) {
      String group = k.group() == null ? "the sink's consumer group" : "consumer group " + k.group();
      if (r.totalLag() == null) {
        unmet.add("lag of " + group + " unavailable: " + r.lagError());
      } else {
        if (k.lagBelow() != null && r.totalLag() >= k.lagBelow()) {
          unmet.add("lag " + GroupResetPlan.number(r.totalLag()) + " (not below " + GroupResetPlan.number(k.lagBelow())
              + ")");
        }
        if (k.lagFalling() && !falling(k)) {
          unmet.add(lagText(k) + " (not falling)");
        }
      }
    }
    Instant quietAt = null;
    if (k.dlqQuiet() != null) {
      String topic = "dead-letter topic " + (k.dlqTopic() == null ? "" : k.dlqTopic());
      if (r.dlqEnd() == null) {
        unmet.add(topic + " unavailable: " + r.dlqError());
      } else {
        if (late && before.dlqEnd() != null && !before.dlqEnd().equals(k.dlqEnd())) {
          return new StabilityPolicy.Verdict.Failed(topic + " got " + GroupResetPlan.number(k.dlqEnd() - before.dlqEnd())
              + " new record(s) (end offsets " + GroupResetPlan.number(before.dlqEnd()) + " → "
              + GroupResetPlan.number(k.dlqEnd()) + "), not quiet for " + Durations.format(k.dlqQuiet()), false);
        }
        Instant done = k.dlqSince().plus(k.dlqQuiet());
        if (now.isBefore(done)) {
          quietAt = done;
        }
      }
    }
    if (!unmet.isEmpty() && late) {
      return new StabilityPolicy.Verdict.Failed("not met in time: " + String.join("; ", unmet), false);
    }
    if (unmet.isEmpty() && quietAt == null && state instanceof StabilityPolicy.Verdict.Stable) {
      return state;
    }
    Wait next;
    Instant at = now.plus(pollInterval);
    if (state instanceof StabilityPolicy.Verdict.Again again) {
      next = again.next();
      at = again.at().isBefore(at) ? again.at() : at;
    } else {
      Wait held = w.withStableSince(((StabilityPolicy.Verdict.Stable) state).since());
      next = held.leftFailedAt() == null ? held.withLeftFailedAt(now) : held;
    }
    if (quietAt != null && quietAt.isBefore(at)) {
      at = quietAt;
    }
    return new StabilityPolicy.Verdict.Again(at, next.withKafka(k));
  }

  /** The figures of a wait's Kafka conditions for the step's after-state and the timeline. */
  public static String describe(KafkaWait k) {
    List<String> out = new ArrayList<>();
    if (k.lag() && k.lagTo() != null) {
      out.add(lagText(k) + (k.group() == null ? "" : " (" + k.group() + ")"));
    }
    if (k.dlqQuiet() != null && k.dlqEnd() != null) {
      out.add("dead-letter topic " + k.dlqTopic() + " at " + GroupResetPlan.number(k.dlqEnd()) + " since "
          + k.dlqSince());
    }
    return String.join("; ", out);
  }
}
