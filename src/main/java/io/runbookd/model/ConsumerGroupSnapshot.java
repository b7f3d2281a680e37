package io.runbookd.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A consumer group as read at one instant: its state, how many members it has, and per partition the
 * committed offset against the log. A Connect sink's group is {@code connect-<connector>}
 * ({@code SinkUtils.consumerGroupId} in Apache Kafka's Connect runtime) unless the connector overrides
 * {@code consumer.override.group.id}.
 *
 * @param groupId the group id
 * @param state the group state as Kafka names it ({@code org.apache.kafka.common.GroupState}): {@code EMPTY},
 *     {@code STABLE}, {@code PREPARING_REBALANCE}, {@code COMPLETING_REBALANCE}, {@code DEAD}, {@code ASSIGNING},
 *     {@code RECONCILING}, {@code NOT_READY} or {@code UNKNOWN}; {@code DEAD} when the group does not exist
 * @param members the number of active members
 * @param partitions the partitions the group has committed offsets for, sorted by topic then partition
 * @param readAt when it was read
 */
public record ConsumerGroupSnapshot(String groupId, String state, int members, List<PartitionLag> partitions,
    Instant readAt) {
  public ConsumerGroupSnapshot {
    Objects.requireNonNull(groupId, "groupId");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(readAt, "readAt");
    partitions = List.copyOf(partitions);
  }

  /** The sum of the partitions' lag (records). */
  public long totalLag() {
    long sum = 0;
    for (PartitionLag p : partitions) {
      sum += p.lag();
    }
    return sum;
  }

  /** True when the group has no active members (its offsets can then be changed). */
  public boolean empty() {
    return "EMPTY".equals(state) || "DEAD".equals(state);
  }
}
