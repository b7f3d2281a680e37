package io.runbookd.model;

import java.time.Instant;
import java.util.Objects;

/**
 * Where a consumer group's committed offsets are moved to, as {@code kafka-consumer-groups --reset-offsets}
 * names the choices ({@code --to-earliest}, {@code --to-latest}, {@code --to-datetime}, {@code --to-offset},
 * {@code --shift-by}; Apache Kafka {@code tools/.../consumer/group/ConsumerGroupCommand.java}).
 */
public sealed interface OffsetReset {
  /** The log start offset of each partition. */
  record Earliest() implements OffsetReset {}

  /** The log end offset of each partition: everything in the log is skipped. */
  record Latest() implements OffsetReset {}

  /** The offset of the first record whose timestamp is at or after {@code time}, or the log end when none is. */
  record Timestamp(Instant time) implements OffsetReset {
    public Timestamp {
      Objects.requireNonNull(time, "time");
    }
  }

  /** This offset in every partition, kept within the log (start to end). */
  record Offset(long offset) implements OffsetReset {}

  /** The committed offset moved by {@code by} records (negative: back, re-reading), kept within the log. */
  record ShiftBy(long by) implements OffsetReset {}

  /** For humans and the stored plan: {@code earliest}, {@code latest}, {@code timestamp 2026-...}, ... */
  default String describe() {
    if (this instanceof Timestamp t) {
      return "timestamp " + t.time();
    }
    if (this instanceof Offset o) {
      return "offset " + o.offset();
    }
    if (this instanceof ShiftBy s) {
      return "shift_by " + s.by();
    }
    return this instanceof Earliest ? "earliest" : "latest";
  }
}
