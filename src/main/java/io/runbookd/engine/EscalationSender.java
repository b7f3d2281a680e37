package io.runbookd.engine;

import io.runbookd.model.AlertEvent;
import io.runbookd.model.Budget;
import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.Storm;

import io.runbookd.notify.Notification;
import io.runbookd.policy.EscalationPolicy;
import io.runbookd.rules.Rule;
import io.runbookd.store.DeliveryClaim;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers due escalation timers. Timers live in the store, so they survive restarts; each is claimed
 * (leased, and counted as a delivery attempt) before it is sent and marked fired after the notifier
 * accepted it. Claimed escalations are sent concurrently, each bounded by its notifier's timeout. A
 * notifier failure leaves the timer due and claimable again after {@link NotificationDelivery#retryDelay};
 * a delivery whose claim was taken before (a crash between the receiver's answer and the mark, a failure
 * or timeout) carries the redelivery marker and the same idempotency key
 * ({@code <incident>/escalation/<level>}).
 */
final class EscalationSender {
  private static final Logger LOG = LoggerFactory.getLogger(EscalationSender.class);
  /** Margin on top of the notifier's own timeout before a send is abandoned here. */
  private static final long SEND_MARGIN_MS = 1_000;

  private final EngineDeps deps;
  private final DeliveryWorkers workers;
  private final Duration claimLease;
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

  EscalationSender(EngineDeps deps, DeliveryWorkers workers, Duration claimLease) {
    this.deps = deps;
    this.workers = workers;
    this.claimLease = claimLease;
  }

  /**
   * Claims what is due now and starts sending each; completes once claimed, not once sent, so a slow
   * receiver holds up no later round.
   */
  Future<Void> sendDue() {
    Instant now = deps.now();
    return workers.run(() -> deps.store().claimEscalationDeliveries(deps.owner(), now, claimLease,
            NotificationDelivery.BATCH))
        .map(claims -> {
          claims.forEach(this::start);
          return null;
        });
  }

  private void start(DeliveryClaim<Escalation> claim) {
    Escalation e = claim.item();
    String key = e.incidentId() + "/" + e.level();
    if (!inFlight.add(key)) {
      return; // still being sent by this replica (its claim ran out): that delivery marks it
    }
    send(e, claim.mayHaveBeenSent())
        .recover(err -> {
          Duration retry = NotificationDelivery.retryDelay(claim.earlierClaims());
          LOG.warn("incident={} escalation_level={} notifier={} retry_in_ms={} msg=\"escalation not delivered, will retry: {}\"",
              e.incidentId(), e.levelLabel(), e.notifier(), retry.toMillis(), err.getMessage());
          return workers.run(() -> {
            deps.store().retryEscalationAt(e.incidentId(), e.level(), deps.now().plus(retry));
            return (Void) null;
          });
        })
        .onComplete(ar -> {
          inFlight.remove(key);
          if (ar.failed()) {
            LOG.warn("incident={} escalation_level={} msg=\"escalation retry not scheduled (retried when the claim expires): {}\"",
                e.incidentId(), e.levelLabel(), ar.cause().getMessage());
          }
        });
  }

  private Future<Void> send(Escalation e, boolean mayHaveBeenSent) {
    return workers.run(() -> {
          Optional<Incident> inc = deps.store().get(e.incidentId());
          return new Loaded(inc, deps.store().lastAlert(e.incidentId()),
              inc.isEmpty() ? Optional.<Storm>empty() : deps.store().latestStorm(inc.get().cluster()),
              inc.map(i -> deps.store().budget(i.cluster(), i.connector(), i.rule())).orElse(null));
        })
        .compose(found -> {
          Optional<Incident> incident = found.incident();
          Optional<AlertEvent> alert = found.alert();
          Optional<Rule> rule = incident.flatMap(i -> OperatorSteps.byName(deps.rules().get(), i.rule()));
          EscalationPolicy.Action action = found.budget() == null
              ? EscalationPolicy.decide(e, incident, found.storm(), deps.now())
              : EscalationPolicy.decide(e, incident, found.storm(), found.budget(), rule, deps.now());
          if (action instanceof EscalationPolicy.Action.Cancel) {
            return workers.run(() -> {
              deps.store().cancelEscalations(e.incidentId(), deps.now());
              return (Void) null;
            });
          }
          Incident inc = incident.orElseThrow();
          if (action instanceof EscalationPolicy.Action.Hold h) {
            return hold(e, inc, h.until(), h.storm());
          }
          EscalationPolicy.Action.Send send = (EscalationPolicy.Action.Send) action;
          String text = EscalationPolicy.message(e, inc, rule, alert.map(AlertEvent::labels).orElse(Map.of()),
              alert.map(AlertEvent::annotations).orElse(Map.of()), deps.notifiers().externalUrl());
          Notification n = new Notification(send.kind(), send.severity(), text, inc.id(), inc.rule(), inc.cluster(),
              inc.connector(), inc.cause(), inc.id() + "/escalation/" + e.levelLabel(), mayHaveBeenSent);
          return deliver(e.notifier(), n)
              .compose(v -> workers.run(() -> {
                Instant at = deps.now();
                deps.store().markEscalationFired(e.incidentId(), e.level(), at);
                deps.store().addEvent(inc.id(), new IncidentEvent(at, "escalated",
                    "escalation " + e.levelLabel() + " sent to " + e.notifier() + " (due " + e.dueAt() + ")"
                    + (mayHaveBeenSent ? " as a redelivery (an earlier attempt may have reached it)" : "")));
                return (Void) null;
              }))
              .onSuccess(v -> {
                deps.metrics().escalation(inc.rule(), e.levelLabel());
                LOG.info("{} escalation_level={} notifier={} redelivery={} delay_ms={} msg=\"escalation delivered\"", inc.context(),
                    e.levelLabel(), e.notifier(), mayHaveBeenSent, Duration.between(e.dueAt(), deps.now()).toMillis());
              });
        });
  }

  /** Sends through the notifier, abandoned (failed) a little after its own timeout whatever it does. */
  private Future<Void> deliver(String notifier, Notification n) {
    long bound = deps.notifiers().get(notifier).map(x -> x.timeout().toMillis()).orElse(0L) + SEND_MARGIN_MS;
    return deps.notifiers().send(notifier, n)
        .timeout(bound, TimeUnit.MILLISECONDS)
        .onComplete(ar -> deps.metrics().notification(notifier, ar.succeeded()));
  }

  private record Loaded(Optional<Incident> incident, Optional<AlertEvent> alert, Optional<Storm> storm, Budget budget) {}

  /**
   * A failure storm is active on the incident's cluster: the storm's one summary replaces per-connector
   * pages, so the escalation waits until the storm is over (its due time moves to the storm's end).
   */
  private Future<Void> hold(Escalation e, Incident inc, Instant until, Storm storm) {
    boolean first = held.add(e.incidentId() + "/" + e.level() + "/" + storm.id());
    return workers.run(() -> {
      deps.store().deferEscalation(e.incidentId(), e.level(), until);
      if (first) {
        deps.store().addEvent(inc.id(), new IncidentEvent(deps.now(), "escalation_held", "escalation "
            + e.levelLabel() + " to " + e.notifier() + " held: failure storm on " + inc.cluster()
            + " (its summary replaces per-connector pages); due again when the storm is over"));
      }
      return (Void) null;
    });
  }

  private final Set<String> held = ConcurrentHashMap.newKeySet();
}
