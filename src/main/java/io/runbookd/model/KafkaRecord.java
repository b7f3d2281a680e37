package io.runbookd.model;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One Kafka record, as read from a topic or as it is to be produced.
 *
 * @param topic the topic
 * @param partition the partition read from; when producing, the partition to write to, or -1 to let the
 *     producer's partitioner choose from the key
 * @param offset the offset read at; -1 for a record to be produced
 * @param timestamp the record timestamp; null for a record to be produced (the producer stamps it)
 * @param key the key bytes, or null
 * @param value the value bytes, or null (a tombstone)
 * @param headers the headers in record order (a key may repeat)
 */
public record KafkaRecord(String topic, int partition, long offset, Instant timestamp, byte[] key, byte[] value,
    List<Header> headers) {
  public KafkaRecord {
    Objects.requireNonNull(topic, "topic");
    headers = List.copyOf(headers);
  }

  /** A record to be produced to {@code topic}, partition {@code partition} (-1: chosen from the key). */
  public static KafkaRecord toProduce(String topic, int partition, byte[] key, byte[] value, List<Header> headers) {
    return new KafkaRecord(topic, partition, -1, null, key, value, headers);
  }

  /** The last header named {@code key}, as UTF-8 text (Kafka's last-wins reading of a repeated header). */
  public Optional<String> header(String key) {
    for (int i = headers.size() - 1; i >= 0; i--) {
      Header h = headers.get(i);
      if (h.key().equals(key)) {
        return Optional.ofNullable(h.value()).map(v -> new String(v, StandardCharsets.UTF_8));
      }
    }
    return Optional.empty();
  }

  /**
   * A record header.
   *
   * @param key the header key
   * @param value the header value bytes, or null
   */
  public record Header(String key, byte[] value) {
    public Header {
      Objects.requireNonNull(key, "key");
    }

    /** A header with a UTF-8 text value. */
    public static Header text(String key, String value) {
      return new Header(key, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }
  }
}
