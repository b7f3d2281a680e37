package io.runbookd.engine;

import io.runbookd.callout.Alertmanagers;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.connect.ConnectClusters;
import io.runbookd.kafka.KafkaClusters;
import io.runbookd.policy.Pipelines;
import io.runbookd.metrics.RunbookdMetrics;
import io.runbookd.notify.Notifiers;
import io.runbookd.rules.RuleSet;
import io.runbookd.store.Store;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * What the incident engine's parts share.
 *
 * @param vertx the Vert.x instance (timers, worker pool)
 * @param clock the only source of "now"
 * @param store durable state; blocking, called through {@link #blocking}
 * @param rules the active rule set (replaced atomically on reload)
 * @param clusters Connect clusters by name
 * @param notifiers notifiers by name
 * @param metrics metrics
 * @param config engine timing
 * @param dryRun global shadow mode
 * @param owner this replica's lease owner id
 * @param guards the blast-radius limits of each Connect cluster
 * @param kafka the Kafka clusters, and which belongs to each Connect cluster
 * @param pipelines the pipelines of runbookd.yaml
 * @param alertmanagers the Alertmanagers {@code silence} steps use, and the client of {@code http} steps
 */
public record EngineDeps(
    Vertx vertx,
    Clock clock,
    Store store,
    Supplier<RuleSet> rules,
    ConnectClusters clusters,
    Notifiers notifiers,
    RunbookdMetrics metrics,
    RunbookdConfig.Engine config,
    boolean dryRun,
    String owner,
    Guards guards,
    KafkaClusters kafka,
    Pipelines pipelines,
    Alertmanagers alertmanagers) {

  public EngineDeps {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(rules, "rules");
    Objects.requireNonNull(clusters, "clusters");
    Objects.requireNonNull(notifiers, "notifiers");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(guards, "guards");
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(pipelines, "pipelines");
    alertmanagers = alertmanagers == null ? Alertmanagers.create(vertx, java.util.Map.of()) : alertmanagers;
  }

  /** Dependencies with no pipeline and no Alertmanager configured. */
  public EngineDeps(Vertx vertx, Clock clock, Store store, Supplier<RuleSet> rules, ConnectClusters clusters,
      Notifiers notifiers, RunbookdMetrics metrics, RunbookdConfig.Engine config, boolean dryRun, String owner,
      Guards guards, KafkaClusters kafka) {
    this(vertx, clock, store, rules, clusters, notifiers, metrics, config, dryRun, owner, guards, kafka, Pipelines.none(),
        null);
  }

  /** Dependencies with no Kafka cluster configured. */
  public EngineDeps(Vertx vertx, Clock clock, Store store, Supplier<RuleSet> rules, ConnectClusters clusters,
      Notifiers notifiers, RunbookdMetrics metrics, RunbookdConfig.Engine config, boolean dryRun, String owner,
      Guards guards) {
    this(vertx, clock, store, rules, clusters, notifiers, metrics, config, dryRun, owner, guards, KafkaClusters.none());
  }

  /** Dependencies with every cluster at the default guards. */
  public EngineDeps(Vertx vertx, Clock clock, Store store, Supplier<RuleSet> rules, ConnectClusters clusters,
      Notifiers notifiers, RunbookdMetrics metrics, RunbookdConfig.Engine config, boolean dryRun, String owner) {
    this(vertx, clock, store, rules, clusters, notifiers, metrics, config, dryRun, owner, Guards.defaults());
  }

  public Instant now() {
    return clock.instant();
  }

  /** Runs blocking store code on the worker pool (unordered), never on the event loop. */
  public <T> Future<T> blocking(Callable<T> call) {
    return vertx.executeBlocking(call, false);
  }

  /** A future completed after {@code millis} (a Vert.x timer; no thread sleeps). */
  public Future<Void> delay(long millis) {
    if (millis <= 0) {
      return Future.succeededFuture();
    }
    return vertx.timer(millis).mapEmpty();
  }
}
