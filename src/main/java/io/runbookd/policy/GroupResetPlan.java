package io.runbookd.policy;

import io.runbookd.model.ConsumerGroupSnapshot;
import io.runbookd.model.OffsetReset;
import io.runbookd.model.PartitionLag;
import io.runbookd.model.TopicPartition;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The plan of a {@code reset_consumer_group} step, computed from what was read before acting: for each
 * partition the committed offset it moves from, the offset it moves to and the lag that leaves, and the
 * partitions it leaves alone with the reason. Pure: the engine reads the group and the log offsets, this
 * decides. The same plan is shown to the approver, stored as the step's before-state and applied.
 *
 * <p>Offsets can only be changed while the group has no active members: {@code Admin.alterConsumerGroupOffsets}
 * says "In order to succeed, the group must be empty", and {@code kafka-consumer-groups --reset-offsets}
 * refuses any group that is not Empty or Dead (Apache Kafka {@code clients/.../admin/Admin.java},
 * {@code tools/.../consumer/group/ConsumerGroupCommand.java}). A Connect sink keeps its group's members
 * while PAUSED; STOPPED (KIP-875) removes them.
 *
 * @param group the group id
 * @param state the group state when read
 * @param members its active members when read
 * @param to where the offsets go
 * @param moves the partitions whose committed offset changes, sorted
 * @param skipped the partitions left alone, with why, sorted
 */
public record GroupResetPlan(String group, String state, int members, OffsetReset to, List<Move> moves,
    List<Skip> skipped) {
  public GroupResetPlan {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(to, "to");
    moves = List.copyOf(moves);
    skipped = List.copyOf(skipped);
  }

  /**
   * One partition's change.
   *
   * @param partition the partition
   * @param from the committed offset before, or null when the group had none
   * @param to the offset committed
   * @param logEnd the log end offset when read
   * @param note a remark (the target was kept within the log), or null
   */
  public record Move(TopicPartition partition, Long from, long to, long logEnd, String note) {
    /** Records left to read after the change: {@code logEnd - to}. */
    public long lagAfter() {
      return Math.max(0, logEnd - to);
    }
  }

  /** A partition left alone, and why. */
  public record Skip(TopicPartition partition, String reason) {}

  /**
   * The partitions of a reset.
   *
   * @param partitions the partitions of the step's {@code topics}, or, when it names none, empty: then the
   *     partitions the group has offsets for
   */
  public static List<TopicPartition> scope(ConsumerGroupSnapshot group, List<TopicPartition> partitions) {
    if (!partitions.isEmpty()) {
      return partitions.stream().sorted().distinct().toList();
    }
    return group.partitions().stream().map(p -> new TopicPartition(p.topic(), p.partition())).sorted().distinct().toList();
  }

  /**
   * The refusal when the group has active members, e.g. {@code consumer group connect-orders has 2 active
   * members (STABLE); its offsets can only be reset when it is EMPTY: stop the connector first}; empty when
   * its offsets can be changed (EMPTY, or DEAD: no such group yet).
   */
  public static Optional<String> refusal(ConsumerGroupSnapshot group) {
    if (group.members() == 0 && group.empty()) {
      return Optional.empty();
    }
    return Optional.of("consumer group " + group.groupId() + " has " + group.members() + " active member"
        + (group.members() == 1 ? "" : "s") + " (" + group.state() + "); its offsets can only be reset when it is"
        + " EMPTY: stop the connector first");
  }

  /**
   * Computes the plan.
   *
   * @param group the group as read
   * @param to where the offsets go
   * @param partitions the partitions to reset ({@link #scope})
   * @param logStart the log start offset of each partition
   * @param logEnd the log end offset of each partition
   * @param forTime for {@link OffsetReset.Timestamp}: the offset for the time of each partition (the log end
   *     when no record is that recent); else ignored (may be empty)
   */
  public static GroupResetPlan compute(ConsumerGroupSnapshot group, OffsetReset to, List<TopicPartition> partitions,
      Map<TopicPartition, Long> logStart, Map<TopicPartition, Long> logEnd, Map<TopicPartition, Long> forTime) {
    Map<TopicPartition, Long> committed = new TreeMap<>();
    for (PartitionLag p : group.partitions()) {
      if (p.committed() != null) {
        committed.put(new TopicPartition(p.topic(), p.partition()), p.committed());
      }
    }
    List<Move> moves = new ArrayList<>();
    List<Skip> skipped = new ArrayList<>();
    for (TopicPartition tp : partitions.stream().sorted().distinct().toList()) {
      Long start = logStart.get(tp);
      Long end = logEnd.get(tp);
      if (start == null || end == null) {
        skipped.add(new Skip(tp, "its log offsets could not be read"));
        continue;
      }
      Long from = committed.get(tp);
      long target;
      if (to instanceof OffsetReset.Earliest) {
        target = start;
      } else if (to instanceof OffsetReset.Latest) {
        target = end;
      } else if (to instanceof OffsetReset.Timestamp) {
        Long t = forTime.get(tp);
        if (t == null) {
          skipped.add(new Skip(tp, "the offset for " + to.describe() + " could not be read"));
          continue;
        }
        target = t;
      } else if (to instanceof OffsetReset.Offset o) {
        target = o.offset();
      } else {
        long by = ((OffsetReset.ShiftBy) to).by();
        if (from == null) {
          skipped.add(new Skip(tp, "no committed offset to shift from"));
          continue;
        }
        target = saturatedAdd(from, by);
      }
      String note = null;
      if (target < start) {
        note = "kept within the log: " + target + " is before the log start " + start;
        target = start;
      } else if (target > end) {
        note = "kept within the log: " + target + " is after the log end " + end;
        target = end;
      }
      if (from != null && from == target) {
        skipped.add(new Skip(tp, "already at offset " + target));
        continue;
      }
      moves.add(new Move(tp, from, target, end, note));
    }
    return new GroupResetPlan(group.groupId(), group.state(), group.members(), to, moves, skipped);
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    if (((a ^ r) & (b ^ r)) < 0) {
      return b < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    return r;
  }

  /** The offsets to commit. */
  public Map<TopicPartition, Long> offsets() {
    Map<TopicPartition, Long> out = new TreeMap<>();
    moves.forEach(m -> out.put(m.partition(), m.to()));
    return out;
  }

  /** The lag the group has after the change, over the moved partitions. */
  public long lagAfter() {
    return moves.stream().mapToLong(Move::lagAfter).sum();
  }

  /**
   * For the approver and the timeline: a headline, then one line per partition, e.g. {@code orders-0: 1,200
   * → 0 (lag 5,000)}.
   */
  public List<String> lines() {
    List<String> out = new ArrayList<>();
    out.add("reset consumer group " + group + " to " + to.describe() + ": " + moves.size() + " partition"
        + (moves.size() == 1 ? "" : "s") + (skipped.isEmpty() ? "" : ", " + skipped.size() + " left alone")
        + "; lag after: " + number(lagAfter()) + " (group " + state + ", " + members + " member"
        + (members == 1 ? "" : "s") + " when read)");
    for (Move m : moves) {
      out.add(m.partition() + ": " + (m.from() == null ? "no committed offset" : number(m.from())) + " → "
          + number(m.to()) + " (lag " + number(m.lagAfter()) + ")" + (m.note() == null ? "" : "; " + m.note()));
    }
    for (Skip s : skipped) {
      out.add(s.partition() + ": left alone, " + s.reason());
    }
    return out;
  }

  /** The plan as stored (step before-state, approval plan). */
  public Map<String, Object> toMap() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("group", group);
    out.put("state", state);
    out.put("members", members);
    out.put("to", to.describe());
    List<Map<String, Object>> ms = new ArrayList<>();
    for (Move m : moves) {
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("topic", m.partition().topic());
      one.put("partition", m.partition().partition());
      one.put("from", m.from());
      one.put("to", m.to());
      one.put("lag_after", m.lagAfter());
      if (m.note() != null) {
        one.put("note", m.note());
      }
      ms.add(one);
    }
    out.put("moves", ms);
    List<Map<String, Object>> ss = new ArrayList<>();
    for (Skip s : skipped) {
      ss.add(Map.of("topic", s.partition().topic(), "partition", s.partition().partition(), "reason", s.reason()));
    }
    out.put("skipped", ss);
    return out;
  }

  /** {@code 5,210}: a count as a human reads it. */
  public static String number(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
