package io.runbookd;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.connect.ConnectApi;
import io.runbookd.connect.ConnectApis;
import io.runbookd.connect.ConnectClusters;
import io.runbookd.connect.ConnectEndpoint;
import io.runbookd.engine.ActiveRules;
import io.runbookd.engine.EngineDeps;
import io.runbookd.engine.IncidentEngine;
import io.runbookd.engine.Operations;
import io.runbookd.engine.RuleWatcher;
import io.runbookd.http.ApiServer;
import io.runbookd.metrics.RunbookdMetrics;
import io.runbookd.notify.Notifiers;
import io.runbookd.rules.RuleLoadException;
import io.runbookd.rules.RuleLoader;
import io.runbookd.store.Store;
import io.runbookd.store.StoreSettings;
import io.runbookd.store.Stores;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running daemon: store, rules, Connect clients, notifiers, the incident engine and the HTTP
 * listener, started in that order and stopped in reverse. The listener reaches the rest only through
 * {@link Operations}.
 */
public final class Runbookd {
  private static final Logger LOG = LoggerFactory.getLogger(Runbookd.class);

  private final Vertx vertx;
  private final Store store;
  private final ApiServer api;
  private final RunbookdMetrics metrics;
  private final ActiveRules rules;
  private final Operations operations;

  private Runbookd(Vertx vertx, Store store, ApiServer api, RunbookdMetrics metrics, ActiveRules rules,
      Operations operations) {
    this.vertx = vertx;
    this.store = store;
    this.api = api;
    this.metrics = metrics;
    this.rules = rules;
    this.operations = operations;
  }

  /**
   * Starts a daemon.
   *
   * @param config the parsed configuration
   * @param clock the clock every decision uses
   * @param registry where metrics are registered (a fresh one per daemon in tests)
   * @param jvmMetrics also register JVM and process metrics (once per JVM)
   * @return the running daemon; fails when rules do not load, the store cannot open, or the port is taken
   */
  public static Future<Runbookd> start(RunbookdConfig config, Clock clock, PrometheusRegistry registry, boolean jvmMetrics) {
    RunbookdMetrics metrics = new RunbookdMetrics(registry, jvmMetrics);
    ActiveRules rules = new ActiveRules(config.rules().paths().stream().map(Path::of).toList(),
        new RuleLoader.Context(config.connectClusters().keySet(), config.notifiers().keySet()), metrics, clock);
    try {
      rules.reload();
    } catch (RuleLoadException e) {
      return Future.failedFuture(new IllegalStateException("rules failed to load:\n" + e.getMessage(), e));
    }
    Store store;
    try {
      store = Stores.open(storeSettings(config.store()));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    Vertx vertx = Vertx.vertx();
    Map<String, ConnectApi> apis = new HashMap<>();
    config.connectClusters().forEach((name, c) -> apis.put(name, ConnectApis.create(vertx, endpoint(name, c),
        (cluster, method, code, nanos) -> metrics.connectRequest(cluster, method, code))));
    String owner = ownerId();
    EngineDeps deps = new EngineDeps(vertx, clock, store, rules, new ConnectClusters(apis),
        Notifiers.create(vertx, config.notifiers()), metrics, config.engine(), config.dryRun(), owner,
        io.runbookd.engine.Guards.from(config.guards()));
    Operations operations = Operations.create(vertx, store, rules, clock);
    ApiServer api = new ApiServer(config.server(), operations, metrics);
    RuleWatcher watcher = new RuleWatcher(rules.paths(), config.rules().watchInterval(), rules::attemptedFingerprint,
        rules::reload);
    return vertx.deployVerticle(new IncidentEngine(deps, 64))
        .compose(id -> vertx.deployVerticle(api))
        .map(id -> {
          watcher.start(vertx);
          LOG.info("owner={} port={} store={} dry_run={} msg=\"runbookd started\"", owner, api.port(),
              config.store().jdbcUrl() == null ? "sqlite:" + config.store().dataDir() : "postgresql", config.dryRun());
          return new Runbookd(vertx, store, api, metrics, rules, operations);
        })
        .recover(err -> {
          // Report the failure now; close Vert.x and the store off its event loops (a callback
          // registered on a closing Vert.x may never run).
          Thread cleanup = new Thread(() -> {
            vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS)
                .whenComplete((v, e) -> store.close());
          }, "runbookd-abort");
          cleanup.start();
          return Future.failedFuture(err);
        });
  }

  static StoreSettings storeSettings(RunbookdConfig.StoreConfig s) {
    return new StoreSettings(s.jdbcUrl(), Path.of(s.dataDir()), s.username(),
        s.password() == null ? null : s.password().reveal(), s.maxPoolSize(), Duration.ofSeconds(3));
  }

  /** The Connect client settings of a configured cluster. */
  public static ConnectEndpoint endpoint(String name, RunbookdConfig.ConnectCluster c) {
    ConnectEndpoint e = ConnectEndpoint.of(name, c.url()).withRequestTimeout(c.requestTimeout());
    if (c.username() != null) {
      e = e.withBasicAuth(c.username(), c.password() == null ? "" : c.password().reveal());
    }
    if (c.caFile() != null || c.insecureSkipVerify()) {
      e = e.withTls(new ConnectEndpoint.Tls(java.util.Optional.ofNullable(c.caFile()).map(Path::of), c.insecureSkipVerify()));
    }
    return e;
  }

  private static String ownerId() {
    String runtime = ManagementFactory.getRuntimeMXBean().getName();
    return runtime + "/" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** The bound HTTP port. */
  public int port() {
    return api.port();
  }

  public Store store() {
    return store;
  }

  public RunbookdMetrics metrics() {
    return metrics;
  }

  public ActiveRules rules() {
    return rules;
  }

  /**
   * Reloads the rules on a worker thread (for SIGHUP); a failure keeps the last good rules, and is
   * logged and counted by {@link ActiveRules}.
   *
   * @param trigger why, for the log line
   */
  public Future<io.runbookd.rules.RuleSet> reloadRules(String trigger) {
    return operations.reloadRules(trigger);
  }

  /** Stops the listener and the engine, then closes the store. */
  public Future<Void> stop() {
    return vertx.close().eventually(() -> {
      store.close();
      return Future.succeededFuture();
    });
  }

}
