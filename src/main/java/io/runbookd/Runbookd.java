package io.runbookd;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.config.InstanceIdentity;
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
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running daemon: store, rules, Connect clients, notifiers, the incident engine and the HTTP
 * listener, started in that order and stopped in reverse. The listener reaches the rest only through
 * {@link Operations}.
 *
 * <p>It holds leases and claims as {@code <instance id>/<run>}; the instance id is stable
 * ({@link InstanceIdentity}), so before the engine's first tick it takes back everything a previous run
 * of the same instance held (that run is dead: it held the identity's lock, or it is this replica's
 * configured identity). {@link #stop()} is graceful: see there.
 */
public final class Runbookd {
  private static final Logger LOG = LoggerFactory.getLogger(Runbookd.class);

  private final Vertx vertx;
  private final Store store;
  private final ApiServer api;
  private final RunbookdMetrics metrics;
  private final ActiveRules rules;
  private final Operations operations;
  private final IncidentEngine engine;
  private final RuleWatcher watcher;
  private final InstanceIdentity identity;
  private final String owner;
  private final Duration shutdownTimeout;
  private Future<Void> stopped;

  private Runbookd(Vertx vertx, Store store, ApiServer api, RunbookdMetrics metrics, ActiveRules rules,
      Operations operations, IncidentEngine engine, RuleWatcher watcher, InstanceIdentity identity, String owner,
      Duration shutdownTimeout) {
    this.vertx = vertx;
    this.store = store;
    this.api = api;
    this.metrics = metrics;
    this.rules = rules;
    this.operations = operations;
    this.engine = engine;
    this.watcher = watcher;
    this.identity = identity;
    this.owner = owner;
    this.shutdownTimeout = shutdownTimeout;
  }

  /**
   * Starts a daemon.
   *
   * @param config the parsed configuration
   * @param clock the clock every decision uses
   * @param registry where metrics are registered (a fresh one per daemon in tests)
   * @param jvmMetrics also register JVM and process metrics (once per JVM)
   * @return the running daemon; fails when rules do not load, the instance id file is invalid, the store
   *     cannot open, or the port is taken
   */
  public static Future<Runbookd> start(RunbookdConfig config, Clock clock, PrometheusRegistry registry, boolean jvmMetrics) {
    // A config built without ConfigLoader still has its secrets masked everywhere.
    io.runbookd.config.Secrets.remember(io.runbookd.config.Secrets.of(config));
    RunbookdMetrics metrics = new RunbookdMetrics(registry, jvmMetrics);
    metrics.configured(config.notifiers().keySet());
    ActiveRules rules = new ActiveRules(config.rules().paths().stream().map(Path::of).toList(),
        new RuleLoader.Context(config.connectClusters().keySet(), config.notifiers().keySet()), metrics, clock);
    try {
      rules.reload();
    } catch (RuleLoadException e) {
      return Future.failedFuture(new IllegalStateException("rules failed to load:\n" + e.getMessage(), e));
    }
    InstanceIdentity identity;
    Store store;
    try {
      identity = InstanceIdentity.acquire(config.engine().instanceId(), Path.of(config.store().dataDir()));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    try {
      store = Stores.open(storeSettings(config.store()));
    } catch (RuntimeException e) {
      identity.close();
      return Future.failedFuture(e);
    }
    String owner = identity.newOwner();
    reclaim(store, identity);
    Vertx vertx = Vertx.vertx();
    Map<String, ConnectApi> apis = new HashMap<>();
    config.connectClusters().forEach((name, c) -> apis.put(name, ConnectApis.create(vertx, endpoint(name, c),
        (cluster, method, code, nanos) -> metrics.connectRequest(cluster, method, code))));
    EngineDeps deps = new EngineDeps(vertx, clock, store, rules, new ConnectClusters(apis),
        Notifiers.create(vertx, config.notifiers(), config.server().externalUrl()), metrics, config.engine(), config.dryRun(), owner,
        io.runbookd.engine.Guards.from(config.guards()), io.runbookd.kafka.KafkaClusters.create(vertx, config),
        new io.runbookd.policy.Pipelines(config.pipelines()),
        io.runbookd.callout.Alertmanagers.create(vertx, config.alertmanagers()));
    Operations operations = Operations.create(vertx, store, rules, clock, io.runbookd.engine.Guards.from(config.guards()),
        config.connectClusters().keySet(), deps.pipelines());
    ApiServer api = new ApiServer(config.server(), operations, metrics);
    RuleWatcher watcher = new RuleWatcher(rules.paths(), config.rules().watchInterval(), rules::attemptedFingerprint,
        rules::reload);
    IncidentEngine engine = new IncidentEngine(deps, remediationConcurrency(config, deps.guards()));
    return vertx.deployVerticle(engine)
        .compose(id -> vertx.deployVerticle(api))
        .map(id -> {
          watcher.start(vertx);
          LOG.info("owner={} port={} store={} dry_run={} msg=\"runbookd started\"", owner, api.port(),
              config.store().jdbcUrl() == null ? "sqlite:" + config.store().dataDir() : "postgresql", config.dryRun());
          return new Runbookd(vertx, store, api, metrics, rules, operations, engine, watcher, identity, owner,
              config.server().shutdownTimeout());
        })
        .recover(err -> {
          // Report the failure now; close Vert.x and the store off its event loops (a callback
          // registered on a closing Vert.x may never run).
          Thread cleanup = new Thread(() -> {
            vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS)
                .whenComplete((v, e) -> {
                  store.close();
                  identity.close();
                });
          }, "runbookd-abort");
          cleanup.start();
          return Future.failedFuture(err);
        });
  }

  /**
   * Incidents this replica handles at once: {@code engine.remediation_concurrency}, or when it is 0 (the
   * default) the sum of the effective {@code guards.max_concurrent_remediations} of the configured Connect
   * clusters (at least 1): the cluster guards are then the only limit.
   */
  static int remediationConcurrency(RunbookdConfig config, io.runbookd.engine.Guards guards) {
    if (config.engine().remediationConcurrency() > 0) {
      return config.engine().remediationConcurrency();
    }
    long sum = config.connectClusters().keySet().stream().mapToLong(c -> guards.of(c).maxConcurrentRemediations()).sum();
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, sum));
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

  /**
   * Takes back what a previous run of this instance held, so that it is due at once rather than when
   * its leases expire. A failure is logged: the leases then expire as usual.
   */
  private static void reclaim(Store store, InstanceIdentity identity) {
    if (!identity.stable()) {
      LOG.warn("instance={} msg=\"no stable instance identity ({}): leases of an earlier run are taken over only when"
          + " they expire; set engine.instance_id\"", identity.id(), identity.source());
      return;
    }
    try {
      HandedBack back = handBack(store, identity.ownerPrefix());
      LOG.info("instance={} source={} incidents={} alerts={} escalations={} storm_summaries={} msg=\"took back what"
          + " the previous run of this instance held\"", identity.id(), identity.source(), back.incidents(), back.alerts(),
          back.escalations(), back.stormSummaries());
    } catch (RuntimeException e) {
      LOG.warn("instance={} msg=\"could not take back the previous run's leases; they are taken over when they expire:"
          + " {}\"", identity.id(), e.getMessage());
    }
  }

  /** How many leases and claims were handed back, by kind. */
  record HandedBack(int incidents, int alerts, int escalations, int stormSummaries) {
    int total() {
      return incidents + alerts + escalations + stormSummaries;
    }
  }

  /** Releases every lease and claim whose owner starts with {@code ownerPrefix} (blocking). */
  static HandedBack handBack(Store store, String ownerPrefix) {
    return new HandedBack(store.releaseLeases(ownerPrefix), store.releaseAlertClaims(ownerPrefix),
        store.releaseEscalationClaims(ownerPrefix), store.releaseStormSummaryClaims(ownerPrefix));
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

  /** This run's lease owner name, {@code <instance id>/<run>}. */
  public String owner() {
    return owner;
  }

  /** The instance identity of this daemon. */
  public InstanceIdentity identity() {
    return identity;
  }

  /**
   * Stops gracefully within {@code server.shutdown_timeout}; see {@link #stop(Duration)}. Calling it
   * again returns the same future.
   */
  public Future<Void> stop() {
    return stop(shutdownTimeout);
  }

  /**
   * Stops gracefully: webhooks and {@code /-/ready} answer 503 at once; the engine claims nothing new;
   * the remediations running here and the webhooks being committed get until {@code timeout} to
   * finish; then every lease and claim still held is handed back (so another replica, or the next
   * start, takes it at once), Vert.x is closed and the store is closed. Calling it again returns the
   * first call's future.
   *
   * @param timeout how long running work may take before its claims are handed back
   * @return completes when the store is closed
   */
  public synchronized Future<Void> stop(Duration timeout) {
    if (stopped != null) {
      return stopped;
    }
    long started = System.nanoTime();
    long until = started + timeout.toNanos();
    api.stopAccepting();
    watcher.stop(vertx);
    LOG.info("owner={} timeout_ms={} msg=\"stopping: webhooks get 503, nothing new is claimed, running work may finish\"",
        owner, timeout.toMillis());
    stopped = engine.drain(timeout)
        .compose(left -> webhooksAnswered(until).map(left))
        .compose(left -> vertx.executeBlocking(() -> {
          HandedBack back = handBack(store, owner);
          if (left > 0 || back.total() > 0) {
            LOG.warn("owner={} running={} incidents={} alerts={} escalations={} storm_summaries={} msg=\"shutdown timeout:"
                + " claims handed back, to be taken at once by another replica or the next start\"", owner, left,
                back.incidents(), back.alerts(), back.escalations(), back.stormSummaries());
          }
          return (Void) null;
        }, false))
        .recover(err -> {
          LOG.warn("owner={} msg=\"claims not handed back ({}); they are taken over when they expire\"", owner,
              err.getMessage());
          return Future.succeededFuture();
        })
        .eventually(() -> engine.kafka().close().recover(err -> Future.succeededFuture()))
        .eventually(() -> vertx.close())
        .eventually(() -> {
          store.close();
          identity.close();
          LOG.info("owner={} took_ms={} msg=\"runbookd stopped\"", owner, (System.nanoTime() - started) / 1_000_000);
          return Future.succeededFuture();
        });
    return stopped;
  }

  /** Completes once no webhook is being committed, or at {@code until} (System.nanoTime). */
  private Future<Void> webhooksAnswered(long until) {
    if (api.webhooksInFlight() == 0 || System.nanoTime() - until >= 0) {
      return Future.succeededFuture();
    }
    return vertx.timer(20).compose(v -> webhooksAnswered(until));
  }

}
