package io.runbookd.kafka;

import io.runbookd.config.RunbookdConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Kafka clusters named in runbookd.yaml ({@code kafka_clusters}), and which one belongs to each Connect
 * cluster ({@code connect_clusters.<name>.kafka}).
 */
public final class KafkaClusters {
  private final Map<String, KafkaOps> byName;
  private final Map<String, String> byConnectCluster;

  /**
   * @param byName the Kafka clusters by name
   * @param byConnectCluster Connect cluster name to Kafka cluster name
   */
  public KafkaClusters(Map<String, KafkaOps> byName, Map<String, String> byConnectCluster) {
    this.byName = Map.copyOf(byName);
    this.byConnectCluster = Map.copyOf(byConnectCluster);
  }

  /** No Kafka cluster configured. */
  public static KafkaClusters none() {
    return new KafkaClusters(Map.of(), Map.of());
  }

  /** The clusters of a config; no client is created before its first call. */
  public static KafkaClusters create(Vertx vertx, RunbookdConfig config) {
    Map<String, KafkaOps> ops = new HashMap<>();
    config.kafkaClusters().forEach((name, c) -> ops.put(name, new ClientKafkaOps(name, vertx, c)));
    Map<String, String> links = new HashMap<>();
    config.connectClusters().forEach((name, c) -> {
      if (c.kafka() != null) {
        links.put(name, c.kafka());
      }
    });
    return new KafkaClusters(ops, links);
  }

  /** The Kafka cluster named {@code name}. */
  public Optional<KafkaOps> get(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** The Kafka cluster of Connect cluster {@code connectCluster}, when runbookd.yaml names one. */
  public Optional<KafkaOps> forConnectCluster(String connectCluster) {
    String k = byConnectCluster.get(connectCluster);
    return k == null ? Optional.empty() : get(k);
  }

  /** Closes every cluster's clients. */
  public Future<Void> close() {
    List<Future<Void>> all = byName.values().stream().map(KafkaOps::close).toList();
    return Future.join(all).mapEmpty();
  }
}
