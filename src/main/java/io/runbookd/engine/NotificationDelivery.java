package io.runbookd.engine;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The safety net: delivers due escalations, failure-storm summaries and follow-ups ({@link FollowUpSender}:
 * PagerDuty resolve and acknowledge, the Slack reply when an incident closes) on its own schedule, apart from
 * alert processing and remediation. It runs on its own event-loop context and its own worker threads
 * ({@link DeliveryWorkers}); it polls every {@code engine.tick} (at least every {@link #MIN_PERIOD}) and,
 * in between, arms a timer on the next
 * escalation's due time ({@code EscalationStore#nextEscalationDue}), so a page goes out at its due time
 * whatever the engine is doing (a slow Connect call, a flood of alerts, a long rule evaluation).
 *
 * <p>A round only claims: each claimed notification is then sent on its own, concurrently with the
 * others and with later rounds, bounded by its notifier's {@code timeout}, so one slow or dead receiver
 * delays no other page. A claim is a lease of {@link #claimLease} and counts as a delivery attempt; a
 * failed delivery is claimable again after a short backoff ({@link #retryDelay}); a delivery whose claim
 * was taken before goes out marked as a redelivery, with the same idempotency key.
 */
final class NotificationDelivery extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(NotificationDelivery.class);
  /** Event-bus address that asks for a delivery round now (sent when a remediation ends). */
  static final String WAKE_ADDRESS = "runbookd.delivery.wake";
  /** Escalations claimed per round; more due at once are claimed by the next round at once. */
  static final int BATCH = 50;
  /**
   * The poll period: {@code engine.tick}, at least this. Due times are met by the timer armed on them, so
   * polling faster than this would only add store writes (claims) that compete with alert processing.
   */
  static final Duration MIN_PERIOD = Duration.ofSeconds(1);
  /** The shortest timer armed on a due time, so a due time the store keeps reporting never spins. */
  private static final long MIN_TIMER_MS = 50;

  private final EngineDeps deps;
  private DeliveryWorkers workers;
  private EscalationSender escalations;
  private StormSender storms;
  private FollowUpSender followUps;
  private MessageConsumer<Object> wake;
  private long periodic = -1;
  private long dueTimer = -1;
  private boolean running;
  private boolean again;

  NotificationDelivery(EngineDeps deps) {
    this.deps = deps;
  }

  /**
   * How long a claim on a notification lasts: {@code engine.escalation_claim_lease}, and at least the
   * longest notifier timeout plus 5 s, so a delivery in flight is never claimed by another replica.
   */
  static Duration claimLease(Duration engineLease, Duration longestTimeout) {
    Duration floor = longestTimeout.plusSeconds(5);
    return engineLease.compareTo(floor) >= 0 ? engineLease : floor;
  }

  /** The wait before a failed delivery is tried again: 5 s, doubling per earlier attempt, at most 60 s. */
  static Duration retryDelay(int earlierClaims) {
    return Duration.ofSeconds(Math.min(60, 5L << Math.min(Math.max(earlierClaims, 0), 4)));
  }

  @Override
  public Future<?> start() {
    workers = new DeliveryWorkers(vertx.createSharedWorkerExecutor("runbookd-delivery", DeliveryWorkers.THREADS));
    Duration lease = claimLease(deps.config().escalationClaimLease(), deps.notifiers().longestTimeout());
    escalations = new EscalationSender(deps, workers, lease);
    storms = new StormSender(deps, workers, lease);
    followUps = new FollowUpSender(deps, workers, lease);
    periodic = vertx.setPeriodic(period().toMillis(), t -> round());
    wake = vertx.eventBus().consumer(WAKE_ADDRESS, m -> round());
    LOG.info("claim_lease_ms={} period_ms={} msg=\"notification delivery started\"", lease.toMillis(),
        period().toMillis());
    round();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(periodic);
    vertx.cancelTimer(dueTimer);
    return (wake == null ? Future.<Void>succeededFuture() : wake.unregister()).eventually(() -> workers.close());
  }

  /** Claims what is due and starts sending it; then arms a timer on the next due escalation. */
  private void round() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    storms.sendDue()
        .recover(err -> logged("storm summaries", err, null))
        .compose(v -> escalations.sendDue().recover(err -> logged("escalations", err, null)))
        .compose(v -> followUps.sendDue().recover(err -> logged("follow-ups", err, null)))
        .compose(v -> workers.run(() -> deps.store().nextEscalationDue()))
        .recover(err -> logged("next escalation due", err, Optional.empty()))
        .onComplete(ar -> {
          running = false;
          if (again) {
            round();
          } else {
            arm(ar.result());
          }
        });
  }

  /** A one-shot timer on {@code next} when it comes before the next periodic round would find it. */
  private void arm(Optional<Instant> next) {
    if (next == null || next.isEmpty()) {
      return;
    }
    long delay = Duration.between(deps.now(), next.get()).toMillis();
    if (delay >= 2 * period().toMillis()) {
      return;
    }
    vertx.cancelTimer(dueTimer);
    dueTimer = vertx.setTimer(Math.max(MIN_TIMER_MS, delay), t -> round());
  }

  private Duration period() {
    Duration tick = deps.config().tick();
    return tick.compareTo(MIN_PERIOD) >= 0 ? tick : MIN_PERIOD;
  }

  private <T> Future<T> logged(String what, Throwable err, T fallback) {
    LOG.warn("msg=\"{} failed: {}\"", what, err.getMessage());
    return Future.succeededFuture(fallback);
  }
}
