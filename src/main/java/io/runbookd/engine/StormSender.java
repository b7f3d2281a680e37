package io.runbookd.engine;

import io.runbookd.model.Storm;

import io.runbookd.notify.Notification;
import io.runbookd.rules.Durations;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the one summary of each failure storm and ends storms that are over. Summaries are stored
 * with the storm and claimed like escalations, so a restart or a second replica never sends a second
 * one; a notifier failure leaves the summary due, and it is retried when the claim expires.
 */
final class StormSender {
  private static final Logger LOG = LoggerFactory.getLogger(StormSender.class);

  private final EngineDeps deps;

  StormSender(EngineDeps deps) {
    this.deps = deps;
  }

  /** Ends storms that are over, then sends due summaries. */
  Future<Void> sendDue() {
    Instant now = deps.now();
    return deps.blocking(() -> deps.store().endStorms(now))
        .map(ended -> {
          for (Storm s : ended) {
            deps.metrics().stormEnded(s.cluster());
            LOG.info("cluster={} storm={} connectors={} started_at={} msg=\"failure storm over: no new failure for {};"
                + " automatic actions resume within the cluster's guards\"", s.cluster(), s.id(), s.connectors(),
                s.startedAt(), Durations.format(s.window()));
          }
          return (Void) null;
        })
        .compose(v -> deps.blocking(() -> deps.store().claimStormSummaries(deps.owner(), now, deps.config().escalationClaimLease(), 10)))
        .compose(this::sendAll);
  }

  private Future<Void> sendAll(List<Storm> due) {
    Future<Void> chain = Future.succeededFuture();
    for (Storm s : due) {
      chain = chain.compose(v -> send(s).recover(err -> {
        LOG.warn("cluster={} storm={} notifier={} msg=\"storm summary not delivered, will retry: {}\"", s.cluster(),
            s.id(), s.notifier(), err.getMessage());
        return Future.succeededFuture();
      }));
    }
    return chain;
  }

  private Future<Void> send(Storm s) {
    Notification n = new Notification("storm", "critical", summary(s), "storm-" + s.id(), null, s.cluster(), null,
        null, "storm/" + s.cluster() + "/" + s.startedAt().toEpochMilli());
    return deps.notifiers().send(s.notifier(), n)
        .onComplete(ar -> deps.metrics().notification(s.notifier(), ar.succeeded()))
        .compose(v -> deps.blocking(() -> {
          deps.store().markStormSummarySent(s.id(), deps.now());
          return (Void) null;
        }))
        .onSuccess(v -> LOG.info("cluster={} storm={} notifier={} connectors={} msg=\"storm summary delivered\"",
            s.cluster(), s.id(), s.notifier(), s.connectors()));
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
