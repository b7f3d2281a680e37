package io.runbookd.model;

import java.util.Objects;

/**
 * One partition of a consumer group: where the group stands and where the log is.
 *
 * <p>Lag is {@code logEnd - committed} (Kafka's definition, as {@code kafka-consumer-groups --describe}
 * prints it); with no committed offset the position depends on the group's {@code auto.offset.reset},
 * so the lag counts from the log start (everything still in the log would be read).
 *
 * @param topic the topic
 * @param partition the partition number
 * @param committed the group's committed offset, or null when the group has none for this partition
 * @param logStart the log start offset (earliest)
 * @param logEnd the log end offset (latest, the offset of the next record to be written)
 */
public record PartitionLag(String topic, int partition, Long committed, long logStart, long logEnd) {
  public PartitionLag {
    Objects.requireNonNull(topic, "topic");
  }

  /** Records between the group's position and the log end; never negative. */
  public long lag() {
    long from = committed == null ? logStart : Math.max(committed, logStart);
    return Math.max(0, logEnd - from);
  }

  /** {@code topic-partition}, as Kafka prints a TopicPartition. */
  public String key() {
    return topic + "-" + partition;
  }
}
