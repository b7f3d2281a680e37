package io.runbookd.kafka;

import io.runbookd.model.ConsumerGroupSnapshot;
import io.runbookd.model.KafkaRecord;
import io.runbookd.model.TopicPartition;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The Kafka operations runbookd performs on one Kafka cluster ({@code kafka_clusters.<name>}): reading
 * consumer groups and offsets and changing a group's offsets through the AdminClient, reading records
 * (dead-letter topics) with a consumer that joins no group, and producing records.
 *
 * <p>Every call runs off the event loop and is bounded by the cluster's {@code request_timeout}; its
 * future completes on the caller's Vert.x context. A failed future always holds a
 * {@link KafkaOpsException} whose {@link KafkaOpsException#kind() kind} says why. Clients are created on
 * first use, not at start.
 */
public interface KafkaOps {

  /** The Kafka cluster's name in runbookd.yaml. */
  String name();

  /**
   * The group's state, member count and, for every partition it has a committed offset for, that offset
   * with the log start and end. A group that does not exist reads as state {@code DEAD}, 0 members and no
   * partitions ({@code Admin.describeConsumerGroups}, {@code listConsumerGroupOffsets}, {@code listOffsets}).
   */
  Future<ConsumerGroupSnapshot> consumerGroup(String groupId);

  /** The partitions of {@code topic}, sorted; {@link KafkaOpsException.Kind#NOT_FOUND} when it does not exist. */
  Future<List<TopicPartition>> partitions(String topic);

  /** The log start offset (earliest) of each partition. */
  Future<Map<TopicPartition, Long>> earliestOffsets(Collection<TopicPartition> partitions);

  /** The log end offset (latest: the offset the next record gets) of each partition. */
  Future<Map<TopicPartition, Long>> latestOffsets(Collection<TopicPartition> partitions);

  /**
   * For each partition the offset of the first record whose timestamp is at or after {@code time}, or the
   * log end when there is none ({@code OffsetSpec.forTimestamp}).
   */
  Future<Map<TopicPartition, Long>> offsetsForTime(Collection<TopicPartition> partitions, Instant time);

  /**
   * Sets the group's committed offsets for these partitions, and only these. Fails with
   * {@link KafkaOpsException.Kind#GROUP_NOT_EMPTY} when the group has active members; the call is not
   * transactional, so on any other failure some partitions may already be changed (read the group again).
   */
  Future<Void> alterGroupOffsets(String groupId, Map<TopicPartition, Long> offsets);

  /**
   * Reads up to {@code maxRecords} records of one partition from {@code fromOffset} on, stopping early at
   * the log end; an empty list means there is nothing at or after {@code fromOffset}. Nothing is
   * committed: the consumer joins no group.
   */
  Future<List<KafkaRecord>> read(TopicPartition partition, long fromOffset, int maxRecords);

  /**
   * Produces {@code records} in order with an idempotent producer ({@code acks=all}) and waits until every
   * one is acknowledged; the result holds the offset each was written at, in the same order. When the
   * future fails, a prefix of the records may have been written.
   */
  Future<List<Long>> produce(List<KafkaRecord> records);

  /** Closes the clients; later calls fail. */
  Future<Void> close();
}
