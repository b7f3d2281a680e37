package io.runbookd.engine;

import io.runbookd.model.Storm;

import io.runbookd.notify.Notification;
import io.runbookd.rules.Durations;
import io.runbookd.store.DeliveryClaim;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the one summary of each failure storm and ends storms that are over. Summaries are stored
 * with the storm and claimed like escalations (a claim counts as a delivery attempt), so a restart or a
 * second replica never sends a second one unless the first may not have arrived; then it goes out again
 * with the same idempotency key ({@code storm/<cluster>/<start epoch ms>}) and the redelivery marker. A
 * notifier failure leaves the summary due, claimable again after {@link NotificationDelivery#retryDelay}.
 */
final class StormSender {
  private static final Logger LOG = LoggerFactory.getLogger(StormSender.class);
  private static final long SEND_MARGIN_MS = 1_000;

  private final EngineDeps deps;
  private final DeliveryWorkers workers;
  private final Duration claimLease;
  private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();

  StormSender(EngineDeps deps, DeliveryWorkers workers, Duration claimLease) {
    this.deps = deps;
    this.workers = workers;
    this.claimLease = claimLease;
  }

  /** Ends storms that are over, then claims due summaries and starts sending each (not awaited). */
  Future<Void> sendDue() {
    Instant now = deps.now();
    return workers.run(() -> deps.store().endStorms(now))
        .map(ended -> {
          for (Storm s : ended) {
            deps.metrics().stormEnded(s.cluster());
            LOG.info("cluster={} storm={} connectors={} started_at={} msg=\"failure storm over: no new failure for {};"
                + " automatic actions resume within the cluster's guards\"", s.cluster(), s.id(), s.connectors(),
                s.startedAt(), Durations.format(s.window()));
          }
          return (Void) null;
        })
        .compose(v -> workers.run(() -> deps.store().claimStormSummaryDeliveries(deps.owner(), now, claimLease, 10)))
        .map(claims -> {
          claims.forEach(this::start);
          return null;
        });
  }

  private void start(DeliveryClaim<Storm> claim) {
    Storm s = claim.item();
    if (!inFlight.add(s.id())) {
      return;
    }
    send(s, claim.mayHaveBeenSent())
        .recover(err -> {
          Duration retry = NotificationDelivery.retryDelay(claim.earlierClaims());
          LOG.warn("cluster={} storm={} notifier={} retry_in_ms={} msg=\"storm summary not delivered, will retry: {}\"",
              s.cluster(), s.id(), s.notifier(), retry.toMillis(), err.getMessage());
          return workers.run(() -> {
            deps.store().retryStormSummaryAt(s.id(), deps.now().plus(retry));
            return (Void) null;
          });
        })
        .onComplete(ar -> inFlight.remove(s.id()));
  }

  private Future<Void> send(Storm s, boolean mayHaveBeenSent) {
    Notification n = new Notification("storm", "critical", summary(s), "storm-" + s.id(), null, s.cluster(), null,
        null, "storm/" + s.cluster() + "/" + s.startedAt().toEpochMilli(), mayHaveBeenSent);
    long bound = deps.notifiers().get(s.notifier()).map(x -> x.timeout().toMillis()).orElse(0L) + SEND_MARGIN_MS;
    return deps.notifiers().send(s.notifier(), n)
        .timeout(bound, TimeUnit.MILLISECONDS)
        .onComplete(ar -> deps.metrics().notification(s.notifier(), ar.succeeded()))
        .compose(v -> workers.run(() -> {
          deps.store().markStormSummarySent(s.id(), deps.now());
          return (Void) null;
        }))
        .onSuccess(v -> LOG.info("cluster={} storm={} notifier={} connectors={} redelivery={} msg=\"storm summary"
            + " delivered\"", s.cluster(), s.id(), s.notifier(), s.connectors(), mayHaveBeenSent));
  }

  /** The summary: the count, some connector names, what runbookd does now and until when. */
  static String summary(Storm s) {
    int more = s.connectors() - s.sample().size();
    return "runbookd: failure storm on Connect cluster " + s.cluster() + ": " + s.connectors()
        + " connectors failed within " + Durations.format(s.window()) + " (" + String.join(", ", s.sample())
        + (more > 0 ? " and " + more + " more" : "") + "; first at " + s.startedAt() + "). Automatic remediation on "
        + s.cluster() + " is paused and per-connector escalations are held until no new failure has arrived for "
        + Durations.format(s.window()) + " (at the earliest " + s.quietUntil() + "); then remediation resumes"
        + " within the cluster's guards. Open incidents: GET /api/v1/incidents?cluster=" + s.cluster() + "&state=open";
  }
}
