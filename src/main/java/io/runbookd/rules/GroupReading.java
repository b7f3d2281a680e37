package io.runbookd.rules;

import io.runbookd.model.ConsumerGroupSnapshot;
import java.util.List;
import java.util.Objects;

/**
 * What is known of a sink's consumer group ({@code connect-<connector>}) when a rule's
 * {@code match.consumer_group} is checked: the reading just taken and the earlier readings kept of the same
 * group (for {@code lag_growing}), or why there is none.
 *
 * @param current the reading just taken; null when {@code unavailable}
 * @param earlier earlier readings of the same group, any order (each with its {@code readAt})
 * @param unavailable why the group could not be read (e.g. no Kafka cluster configured for the Connect
 *     cluster, or the read failed); null with a reading
 */
public record GroupReading(ConsumerGroupSnapshot current, List<ConsumerGroupSnapshot> earlier, String unavailable) {
  public GroupReading {
    earlier = earlier == null ? List.of() : List.copyOf(earlier);
    if (current == null && unavailable == null) {
      throw new IllegalArgumentException("a reading or a reason it is unavailable");
    }
  }

  /** A reading with the earlier ones. */
  public static GroupReading of(ConsumerGroupSnapshot current, List<ConsumerGroupSnapshot> earlier) {
    return new GroupReading(Objects.requireNonNull(current, "current"), earlier, null);
  }

  /** No reading, for {@code why}. */
  public static GroupReading unavailable(String why) {
    return new GroupReading(null, List.of(), Objects.requireNonNull(why, "why"));
  }
}
