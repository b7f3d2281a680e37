package io.runbookd.engine;

import io.runbookd.kafka.KafkaClusters;
import io.runbookd.kafka.KafkaOps;
import io.runbookd.model.ConsumerGroupSnapshot;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.GroupReading;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Readings of sinks' consumer groups ({@code connect-<connector>}, Kafka's {@code SinkUtils.consumerGroupId})
 * for the rules' {@code match.consumer_group}, read through the Kafka cluster of the connector's Connect cluster
 * ({@code connect_clusters.<name>.kafka}), with the earlier readings of each group kept IN MEMORY for
 * {@code lag_growing}: the last {@value #KEEP_PER_GROUP} readings of the last {@link #KEEP} per group. A
 * restarted daemon (or another replica) starts without history: its first {@code lag_growing} decision then
 * waits one window more. Thread-safe.
 */
final class GroupReadings {
  /** How long a reading is kept. */
  static final Duration KEEP = Duration.ofHours(1);
  static final int KEEP_PER_GROUP = 32;
  private static final int MAX_GROUPS = 10_000;
  /** A read bound on top of the Kafka client's own {@code request_timeout}. */
  private static final long READ_TIMEOUT_MS = 60_000;

  private final KafkaClusters kafka;
  private final Map<String, Deque<ConsumerGroupSnapshot>> history = new ConcurrentHashMap<>();

  GroupReadings(KafkaClusters kafka) {
    this.kafka = kafka;
  }

  /** The consumer group id Connect gives a sink connector. */
  static String groupOf(String connector) {
    return "connect-" + connector;
  }

  /** Reads the group of {@code target}'s connector now; never fails (an error becomes an unavailable reading). */
  Future<GroupReading> read(ConnectorTarget target) {
    Optional<KafkaOps> ops = kafka.forConnectCluster(target.cluster());
    if (ops.isEmpty()) {
      return Future.succeededFuture(GroupReading.unavailable("no Kafka cluster configured for Connect cluster \""
          + target.cluster() + "\" (set connect_clusters." + target.cluster() + ".kafka)"));
    }
    String group = groupOf(target.connector());
    String key = ops.get().name() + "\u0000" + group;
    Future<ConsumerGroupSnapshot> f;
    try {
      f = ops.get().consumerGroup(group).timeout(READ_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    return f.map(now -> {
      List<ConsumerGroupSnapshot> earlier = remember(key, now);
      return GroupReading.of(now, earlier);
    }).recover(err -> Future.succeededFuture(GroupReading.unavailable("reading " + group + " from Kafka cluster \""
        + ops.get().name() + "\" failed: " + err.getMessage())));
  }

  /** Adds {@code now} to the group's history and returns the readings before it. */
  private List<ConsumerGroupSnapshot> remember(String key, ConsumerGroupSnapshot now) {
    if (history.size() >= MAX_GROUPS && !history.containsKey(key)) {
      history.clear();
    }
    Deque<ConsumerGroupSnapshot> d = history.computeIfAbsent(key, k -> new ArrayDeque<>());
    synchronized (d) {
      Instant oldest = now.readAt().minus(KEEP);
      while (!d.isEmpty() && (d.peekFirst().readAt().isBefore(oldest) || d.size() >= KEEP_PER_GROUP)) {
        d.pollFirst();
      }
      List<ConsumerGroupSnapshot> earlier = List.copyOf(d);
      d.addLast(now);
      return earlier;
    }
  }
}
