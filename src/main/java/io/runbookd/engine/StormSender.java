package io.runbookd.engine;

import io.runbookd.model.Storm;
import io.runbookd.model.StormMember;

import io.runbookd.notify.Notification;
import io.runbookd.policy.ClusterGuardPolicy;
import io.runbookd.rules.Durations;
import io.runbookd.store.DeliveryClaim;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the one summary of each failure storm, ends storms whose hold is over, and delivers each storm's
 * one "storm over" message once its members have settled (same claims, keys {@code .../over}). Summaries are stored
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
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

  StormSender(EngineDeps deps, DeliveryWorkers workers, Duration claimLease) {
    this.deps = deps;
    this.workers = workers;
    this.claimLease = claimLease;
    this.summaryKind = summaryKind();
    this.overKind = overKind();
  }

  /**
   * Ends storms whose hold is over, makes the "storm over" message of each ended storm whose members have
   * all settled due ({@link ClusterGuardPolicy#over}), then claims due summaries and "storm over" messages
   * and starts sending each (not awaited).
   */
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
        .compose(v -> workers.run(() -> {
          for (Storm s : deps.store().stormsAwaitingOver()) {
            List<StormMember> members = deps.store().stormMembers(s);
            if (ClusterGuardPolicy.over(s, members, now)) {
              deps.store().markStormOver(s.id(), now);
              LOG.info("cluster={} storm={} members={} msg=\"every member of the storm settled (closed, with a human,"
                  + " or open again after its post-storm attempt failed): the storm over message is due\"", s.cluster(), s.id(),
                  members.size());
            }
          }
          return (Void) null;
        }))
        .compose(v -> workers.run(() -> deps.store().claimStormSummaryDeliveries(deps.owner(), now, claimLease, 10)))
        .map(claims -> {
          claims.forEach(c -> start(summaryKind, c));
          return (Void) null;
        })
        .compose(v -> workers.run(() -> deps.store().claimStormOverDeliveries(deps.owner(), now, claimLease, 10)))
        .map(claims -> {
          claims.forEach(c -> start(overKind, c));
          return null;
        });
  }

  /**
   * One of a storm's two messages: its name in logs, its notification kind, its idempotency key suffix,
   * its text (read on a worker thread), and the store calls that retry it later and mark it sent.
   */
  private record Kind(String name, String kind, String keySuffix, Function<Storm, Notice> text,
      BiConsumer<Long, Instant> retryAt, BiConsumer<Long, Instant> markSent) {}

  /** A message's severity and text. */
  private record Notice(String severity, String text) {}

  private final Kind summaryKind;
  private final Kind overKind;

  private Kind summaryKind() {
    return new Kind("storm summary", "storm", "",
      s -> new Notice("critical", summary(s)),
      (id, at) -> deps.store().retryStormSummaryAt(id, at), (id, at) -> deps.store().markStormSummarySent(id, at));
  }

  private Kind overKind() {
    return new Kind("storm over message", "storm_over", "/over", s -> {
        List<StormMember> members = deps.store().stormMembers(s);
        boolean allClosed = members.stream().allMatch(m -> m.state() == io.runbookd.model.IncidentState.CLOSED);
        return new Notice(allClosed ? "info" : "warning", ClusterGuardPolicy.overMessage(s, members));
      },
      (id, at) -> deps.store().retryStormOverAt(id, at), (id, at) -> deps.store().markStormOverSent(id, at));
  }

  private void start(Kind kind, DeliveryClaim<Storm> claim) {
    Storm s = claim.item();
    String key = kind.kind() + "/" + s.id();
    if (!inFlight.add(key)) {
      return;
    }
    send(kind, s, claim.mayHaveBeenSent())
        .recover(err -> {
          Duration retry = NotificationDelivery.retryDelay(claim.earlierClaims());
          LOG.warn("cluster={} storm={} notifier={} retry_in_ms={} msg=\"{} not delivered, will retry: {}\"",
              s.cluster(), s.id(), s.notifier(), retry.toMillis(), kind.name(), err.getMessage());
          return workers.run(() -> {
            kind.retryAt().accept(s.id(), deps.now().plus(retry));
            return (Void) null;
          });
        })
        .onComplete(ar -> inFlight.remove(key));
  }

  private Future<Void> send(Kind kind, Storm s, boolean mayHaveBeenSent) {
    long bound = deps.notifiers().get(s.notifier()).map(x -> x.timeout().toMillis()).orElse(0L) + SEND_MARGIN_MS;
    return workers.run(() -> kind.text().apply(s))
        .compose(notice -> deps.notifiers().send(s.notifier(), new Notification(kind.kind(), notice.severity(),
                notice.text(), "storm-" + s.id(), null, s.cluster(), null, null,
                "storm/" + s.cluster() + "/" + s.startedAt().toEpochMilli() + kind.keySuffix(), mayHaveBeenSent))
            .timeout(bound, TimeUnit.MILLISECONDS)
            .onComplete(ar -> deps.metrics().notification(s.notifier(), ar.succeeded())))
        .compose(v -> workers.run(() -> {
          kind.markSent().accept(s.id(), deps.now());
          return (Void) null;
        }))
        .onSuccess(v -> LOG.info("cluster={} storm={} notifier={} connectors={} redelivery={} msg=\"{}"
            + " delivered\"", s.cluster(), s.id(), s.notifier(), s.connectors(), mayHaveBeenSent, kind.name()));
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
