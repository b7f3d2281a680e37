package io.runbookd.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Kafka conditions of a stored {@code wait_for} ({@code lag}, {@code dlq_quiet}) and what the wait has
 * read of them so far; stored with its {@link Wait} as JSON, so any replica goes on from the same readings.
 *
 * @param lagFalling {@code lag: {falling: true}}: the total lag of the sink's consumer group must be falling
 * @param lagBelow {@code lag: {below: N}}: the total lag must be below N; null when not given
 * @param dlqQuiet {@code dlq_quiet}: the dead-letter topic must get no new record for this long; null when not
 *     given
 * @param group the consumer group read (resolved at the first reading), or null
 * @param dlqTopic the connector's {@code errors.deadletterqueue.topic.name} (resolved at the first reading),
 *     or null
 * @param lagFrom the lag reading before the last change of the lag, or null
 * @param lagTo the latest lag reading, or null
 * @param dlqEnd the dead-letter topic's end offsets summed over its partitions at the latest reading, or null
 * @param dlqSince since when the dead-letter topic has had {@code dlqEnd} (the reading that first saw it)
 */
public record KafkaWait(boolean lagFalling, Long lagBelow, Duration dlqQuiet, String group, String dlqTopic,
    Long lagFrom, Long lagTo, Long dlqEnd, Instant dlqSince) {

  /** The conditions alone, nothing read yet. */
  public static KafkaWait of(boolean lagFalling, Long lagBelow, Duration dlqQuiet) {
    return new KafkaWait(lagFalling, lagBelow, dlqQuiet, null, null, null, null, null, null);
  }

  /** True when the lag of the sink's group is a condition. */
  public boolean lag() {
    return lagFalling || lagBelow != null;
  }

  /** A copy with the names resolved. */
  public KafkaWait withNames(String group, String dlqTopic) {
    return new KafkaWait(lagFalling, lagBelow, dlqQuiet, group, dlqTopic, lagFrom, lagTo, dlqEnd, dlqSince);
  }

  /** A copy with the lag readings. */
  public KafkaWait withLag(Long from, Long to) {
    return new KafkaWait(lagFalling, lagBelow, dlqQuiet, group, dlqTopic, from, to, dlqEnd, dlqSince);
  }

  /** A copy with the dead-letter topic reading. */
  public KafkaWait withDlq(Long end, Instant since) {
    return new KafkaWait(lagFalling, lagBelow, dlqQuiet, group, dlqTopic, lagFrom, lagTo, end, since);
  }

  /** As stored. */
  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("lag_falling", lagFalling);
    m.put("lag_below", lagBelow);
    m.put("dlq_quiet_ms", dlqQuiet == null ? null : dlqQuiet.toMillis());
    m.put("group", group);
    m.put("dlq_topic", dlqTopic);
    m.put("lag_from", lagFrom);
    m.put("lag_to", lagTo);
    m.put("dlq_end", dlqEnd);
    m.put("dlq_since_ms", dlqSince == null ? null : dlqSince.toEpochMilli());
    return Json.write(m);
  }

  /** Reads {@link #toJson()}; null for null. */
  public static KafkaWait fromJson(String text) {
    if (text == null) {
      return null;
    }
    try {
      JsonNode n = Json.read(text);
      return new KafkaWait(n.path("lag_falling").asBoolean(false), optLong(n, "lag_below"),
          n.hasNonNull("dlq_quiet_ms") ? Duration.ofMillis(n.get("dlq_quiet_ms").asLong()) : null, optText(n, "group"),
          optText(n, "dlq_topic"), optLong(n, "lag_from"), optLong(n, "lag_to"), optLong(n, "dlq_end"),
          n.hasNonNull("dlq_since_ms") ? Instant.ofEpochMilli(n.get("dlq_since_ms").asLong()) : null);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("stored Kafka wait is not JSON: " + e.getMessage(), e);
    }
  }

  private static Long optLong(JsonNode n, String k) {
    return n.hasNonNull(k) ? n.get(k).asLong() : null;
  }

  private static String optText(JsonNode n, String k) {
    return n.hasNonNull(k) ? n.get(k).asText() : null;
  }
}
