package io.runbookd.model;

import java.util.Comparator;
import java.util.Objects;

/**
 * A topic partition, by name and number.
 *
 * @param topic the topic name
 * @param partition the partition number, from 0
 */
public record TopicPartition(String topic, int partition) implements Comparable<TopicPartition> {
  private static final Comparator<TopicPartition> ORDER =
      Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  public TopicPartition {
    Objects.requireNonNull(topic, "topic");
    if (partition < 0) {
      throw new IllegalArgumentException("partition must be >= 0: " + partition);
    }
  }

  @Override
  public int compareTo(TopicPartition o) {
    return ORDER.compare(this, o);
  }

  /** {@code topic-partition}, as Kafka prints it. */
  @Override
  public String toString() {
    return topic + "-" + partition;
  }
}
