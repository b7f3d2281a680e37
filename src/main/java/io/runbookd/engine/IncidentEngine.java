package io.runbookd.engine;

import io.runbookd.model.Incident;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The incident engine: on every tick (and right after a webhook is committed) it hands recorded alerts
 * to the {@link AlertProcessor} (which processes them in the background, one lane per connector), and
 * claims due incidents and runs their remediations concurrently (one per connector: an incident is
 * unique per connector and leased by one replica). Escalations and storm summaries are delivered apart
 * from all that, by {@link NotificationDelivery} (deployed with the engine). All
 * state is in the store, so a restarted daemon picks up exactly where the last one stopped.
 *
 * <p>Runs on one event-loop context; blocking store calls go to the worker pool.
 */
public final class IncidentEngine extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(IncidentEngine.class);
  private static final Duration PRUNE_EVERY = Duration.ofHours(1);

  private final EngineDeps deps;
  private final int maxConcurrent;
  private final Set<String> running = ConcurrentHashMap.newKeySet();
  private AlertProcessor alerts;
  private RuleMatching matching;
  private io.vertx.core.WorkerExecutor alertStore;
  private Remediator remediator;
  private long tickTimer = -1;
  private boolean ticking;
  private boolean again;
  private volatile boolean stopping;
  private Instant lastPrune = Instant.EPOCH;

  /**
   * @param deps shared dependencies
   * @param maxConcurrent remediations this replica runs at once
   */
  /** The Kafka clusters the engine acts on (closed by the daemon after the engine drained). */
  public io.runbookd.kafka.KafkaClusters kafka() {
    return deps.kafka();
  }

  public IncidentEngine(EngineDeps deps, int maxConcurrent) {
    this.deps = deps;
    this.maxConcurrent = maxConcurrent;
  }

  @Override
  public Future<?> start() {
    matching = new RuleMatching(vertx, deps.config().matchThreads());
    alertStore = vertx.createSharedWorkerExecutor("runbookd-alerts", deps.config().alertStoreThreads());
    alerts = new AlertProcessor(deps, matching, alertStore, () -> vertx.eventBus().send(WAKE_ADDRESS, null));
    remediator = new Remediator(deps);
    deps.notifiers().recordWith(FollowUpSender.recorder(deps));
    tickTimer = vertx.setPeriodic(deps.config().tick().toMillis(), t -> tick());
    vertx.eventBus().consumer(WAKE_ADDRESS, m -> tick());
    LOG.info("owner={} tick_ms={} msg=\"incident engine started\"", deps.owner(), deps.config().tick().toMillis());
    tick();
    // Escalations and storm summaries: their own verticle (context, timers, worker threads), undeployed
    // with this one.
    return vertx.deployVerticle(new NotificationDelivery(deps));
  }

  @Override
  public Future<?> stop() {
    if (tickTimer >= 0) {
      vertx.cancelTimer(tickTimer);
    }
    return alerts.close().eventually(() -> matching.close()).eventually(() -> alertStore.close());
  }

  /**
   * The first part of a graceful stop: from now on no tick starts and nothing new is claimed (alerts,
   * incidents, escalations); the tick under way and the remediations running here go on.
   *
   * @param timeout the longest to wait for them
   * @return completes with 0 once the tick under way and every running remediation have finished, or
   *     at the timeout with the number of remediations still running (their leases are then the
   *     caller's to hand back)
   */
  public Future<Integer> drain(Duration timeout) {
    Promise<Integer> drained = Promise.promise();
    long until = System.nanoTime() + timeout.toNanos();
    context.runOnContext(v -> {
      stopping = true;
      alerts.stop();
      if (tickTimer >= 0) {
        vertx.cancelTimer(tickTimer);
        tickTimer = -1;
      }
      awaitIdle(drained, until);
    });
    return drained.future();
  }

  private void awaitIdle(Promise<Integer> drained, long until) {
    if (!ticking && running.isEmpty()) {
      drained.complete(0);
    } else if (System.nanoTime() - until >= 0) {
      drained.complete(running.size());
    } else {
      vertx.setTimer(20, t -> awaitIdle(drained, until));
    }
  }

  /** Event-bus address that asks the engine to tick now (sent after a webhook commit). */
  public static final String WAKE_ADDRESS = "runbookd.engine.wake";

  /** Remediations in flight on this replica. */
  public int inFlight() {
    return running.size();
  }

  private void tick() {
    if (stopping) {
      return;
    }
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    again = false;
    // Claims and queues alerts; their processing goes on in the background, lane by lane (AlertProcessor).
    alerts.pump()
        .recover(err -> logged("alert processing", err, 0))
        .compose(n -> claimIncidents())
        .compose(v -> housekeeping())
        .onComplete(ar -> {
          ticking = false;
          if (again && !stopping) {
            tick();
          }
        });
  }

  private Future<Void> claimIncidents() {
    int free = maxConcurrent - running.size();
    if (free <= 0 || stopping) {
      return Future.succeededFuture();
    }
    Instant now = deps.now();
    return deps.blocking(() -> deps.store().claimDueIncidents(deps.owner(), now, deps.config().lease(), free))
        .map(claimed -> {
          for (Incident inc : claimed) {
            if (!running.add(inc.id())) {
              // Its previous handling released it and is still finishing here: give the claim back
              // rather than leave the lease held (nobody renews it) until it expires.
              Instant at = deps.now();
              deps.blocking(() -> deps.store().updateIncident(inc.released(at), deps.owner()))
                  .onFailure(err -> LOG.warn("{} msg=\"could not give back a claim: {}\"", inc.context(), err.getMessage()));
              continue;
            }
            remediator.handle(inc).onComplete(ar -> {
              running.remove(inc.id());
              vertx.eventBus().send(WAKE_ADDRESS, null);
              vertx.eventBus().send(NotificationDelivery.WAKE_ADDRESS, null);
            });
          }
          return (Void) null;
        })
        .recover(err -> logged("incident claim", err, null));
  }

  private Future<Void> housekeeping() {
    Instant now = deps.now();
    Future<Void> f = Future.succeededFuture();
    {
      f = f.compose(v -> deps.blocking(() -> deps.store().countOpenByRule()).map(counts -> {
        deps.metrics().incidentsOpen(counts, deps.rules().get().rules().stream().map(r -> r.name()).toList());
        return (Void) null;
      })).recover(err -> logged("gauge", err, null));
    }
    f = f.compose(v -> new SilenceSteps(deps).expireDue()).recover(err -> logged("silence expiry", err, null));
    if (Duration.between(lastPrune, now).compareTo(PRUNE_EVERY) >= 0) {
      lastPrune = now;
      f = f.compose(v -> deps.blocking(() -> deps.store().prune(now.minus(deps.config().retention()))).map(n -> {
        if (n > 0) {
          LOG.info("pruned={} msg=\"closed incidents older than the retention were deleted\"", n);
        }
        return (Void) null;
      })).recover(err -> logged("prune", err, null));
    }
    return f;
  }

  private <T> Future<T> logged(String what, Throwable err, T fallback) {
    LOG.warn("msg=\"{} failed: {}\"", what, err.getMessage());
    return Future.succeededFuture(fallback);
  }
}
