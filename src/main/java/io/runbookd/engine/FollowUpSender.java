package io.runbookd.engine;

import io.runbookd.model.Approval;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.NotificationThread;
import io.runbookd.model.Outcome;
import io.runbookd.notify.FollowUp;
import io.runbookd.notify.Notification;
import io.runbookd.notify.Notifiers;
import io.runbookd.notify.Receipt;
import io.runbookd.store.DeliveryClaim;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes the loop on what was sent about an incident, through the same durable delivery as escalations
 * (claims that count attempts, a redelivery marker, retries with backoff):
 *
 * <ul>
 *   <li>the incident closed recovered (the fix was verified): a PagerDuty {@code resolve} for each
 *       trigger, with its {@code dedup_key};
 *   <li>the incident closed (any outcome): a Slack message in the thread of the incident's first message
 *       (chat.postMessage; a new message through an incoming webhook), a webhook {@code resolve};
 *   <li>a human rejected the approval of an open incident: a PagerDuty {@code acknowledge} (a human has it).
 * </ul>
 *
 * <p>What was sent is recorded by {@link #recorder} when a receiver accepts a message; the follow-up is
 * due from the incident's state in the store ({@code NotificationThreadStore}), so a crash between the
 * close and the follow-up loses nothing, and one between the receiver's answer and the mark sends it again
 * as a redelivery with the same idempotency key (PagerDuty drops a second resolve of a resolved alert).
 */
final class FollowUpSender {
  private static final Logger LOG = LoggerFactory.getLogger(FollowUpSender.class);
  private static final long SEND_MARGIN_MS = 1_000;

  private final EngineDeps deps;
  private final DeliveryWorkers workers;
  private final Duration claimLease;
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

  FollowUpSender(EngineDeps deps, DeliveryWorkers workers, Duration claimLease) {
    this.deps = deps;
    this.workers = workers;
    this.claimLease = claimLease;
  }

  /**
   * Records every message a receiver accepted that must be followed up: each PagerDuty trigger (by its
   * dedup key) and the first Slack or webhook message of an incident. Storm summaries and "storm over" messages have no incident.
   */
  static Notifiers.Recorder recorder(EngineDeps deps) {
    return (notifier, n, receipt) -> {
      if ("storm".equals(n.kind()) || "storm_over".equals(n.kind())) {
        return Future.succeededFuture();
      }
      Receipt r = receipt == null ? new Receipt("webhook", null, null) : receipt;
      boolean pager = "pagerduty".equals(r.notifierType());
      NotificationThread t = new NotificationThread(n.incidentId(), notifier, r.notifierType(),
          pager ? n.dedupKey() : "", r.channel(), r.ts(), deps.now(), null);
      return deps.blocking(() -> {
        deps.store().recordNotificationThread(t);
        return null;
      });
    };
  }

  /** Claims the follow-ups due now and starts sending each; completes once claimed. */
  Future<Void> sendDue() {
    Instant now = deps.now();
    return workers.run(() -> deps.store().claimFollowUps(deps.owner(), now, claimLease, NotificationDelivery.BATCH))
        .map(claims -> {
          claims.forEach(this::start);
          return null;
        });
  }

  private void start(DeliveryClaim<NotificationThread> claim) {
    NotificationThread t = claim.item();
    String key = t.incidentId() + "/" + t.notifier() + "/" + t.dedupKey();
    if (!inFlight.add(key)) {
      return;
    }
    send(t, claim.mayHaveBeenSent())
        .recover(err -> {
          Duration retry = NotificationDelivery.retryDelay(claim.earlierClaims());
          LOG.warn("incident={} notifier={} retry_in_ms={} msg=\"follow-up not delivered, will retry: {}\"",
              t.incidentId(), t.notifier(), retry.toMillis(), err.getMessage());
          return workers.run(() -> {
            deps.store().retryFollowUpAt(t.incidentId(), t.notifier(), t.dedupKey(), deps.now().plus(retry));
            return (Void) null;
          });
        })
        .onComplete(ar -> inFlight.remove(key));
  }

  private Future<Void> send(NotificationThread t, boolean mayHaveBeenSent) {
    return workers.run(() -> new Loaded(deps.store().get(t.incidentId()), deps.store().approvals(t.incidentId())))
        .compose(found -> {
          if (found.incident().isEmpty()) {
            return Future.succeededFuture();
          }
          Incident inc = found.incident().get();
          boolean closing = inc.closedAt() != null;
          String action = closing ? FollowUp.RESOLVE : FollowUp.ACKNOWLEDGE;
          String done = closing ? NotificationThread.CLOSE : NotificationThread.ACKNOWLEDGE;
          boolean pager = "pagerduty".equals(t.notifierType());
          Notification n = new Notification(closing ? (Outcome.RECOVERED.label().equals(inc.outcome()) ? "resolved"
                  : "closed") : "acknowledged", "info", text(inc, found.approvals()), inc.id(), inc.rule(),
              inc.cluster(), inc.connector(), inc.cause(), pager ? t.dedupKey() : inc.id(), mayHaveBeenSent);
          if (deps.notifiers().get(t.notifier()).isEmpty()) {
            return mark(t, done, inc, "follow-up to " + t.notifier() + " dropped: the notifier is no longer configured");
          }
          long bound = deps.notifiers().get(t.notifier()).get().timeout().toMillis() + SEND_MARGIN_MS;
          return deps.notifiers().followUp(t.notifier(), new FollowUp(action, n, t.channel(), t.threadTs()))
              .timeout(bound, TimeUnit.MILLISECONDS)
              .onComplete(ar -> deps.metrics().notification(t.notifier(), ar.succeeded()))
              .compose(v -> mark(t, done, inc, describe(t, action)
                  + (mayHaveBeenSent ? " as a redelivery (an earlier attempt may have reached it)" : "")))
              .onSuccess(v -> LOG.info("{} notifier={} action={} redelivery={} msg=\"follow-up delivered\"",
                  inc.context(), t.notifier(), action, mayHaveBeenSent));
        });
  }

  private Future<Void> mark(NotificationThread t, String done, Incident inc, String event) {
    return workers.run(() -> {
      Instant at = deps.now();
      deps.store().markFollowUpSent(t.incidentId(), t.notifier(), t.dedupKey(), done, at);
      deps.store().addEvent(inc.id(), new IncidentEvent(at, "followed_up", event));
      return (Void) null;
    });
  }

  private static String describe(NotificationThread t, String action) {
    if ("pagerduty".equals(t.notifierType())) {
      return "PagerDuty " + action + " sent to " + t.notifier() + " (dedup_key " + t.dedupKey() + ")";
    }
    return "closing message sent to " + t.notifier()
        + (t.threadTs() != null ? " in the thread of its first message" : "");
  }

  /** The follow-up's text: how the incident ended, or who rejected the approval. */
  static String text(Incident inc, List<Approval> approvals) {
    String where = inc.cluster() + "/" + inc.connector();
    if (inc.closedAt() != null) {
      if (Outcome.RECOVERED.label().equals(inc.outcome())) {
        return "Resolved: " + where + " is running again; runbookd verified the fix (rule " + inc.rule()
            + ", incident " + inc.id() + " closed: recovered)";
      }
      return "Closed: incident " + inc.id() + " on " + where + " closed: " + inc.outcome();
    }
    Optional<Approval> rejected = approvals.stream()
        .filter(a -> a.decision() == Approval.Decision.REJECTED && "human".equals(a.decidedVia())).findFirst();
    return "Acknowledged: " + rejected.map(a -> a.decidedBy() + " rejected the plan"
            + (a.comment() == null ? "" : " (" + a.comment() + ")")).orElse("a human rejected the plan")
        + " for " + where + "; runbookd takes no further automatic action (incident " + inc.id() + ")";
  }

  private record Loaded(Optional<Incident> incident, List<Approval> approvals) {}
}
