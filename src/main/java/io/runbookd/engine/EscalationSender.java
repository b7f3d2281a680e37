package io.runbookd.engine;

import io.runbookd.model.AlertEvent;
import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.Storm;

import io.runbookd.notify.Notification;
import io.runbookd.policy.EscalationPolicy;
import io.runbookd.rules.Rule;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers due escalation timers. Timers live in the store, so they survive restarts; each is leased
 * while it is sent and marked fired after the notifier accepted it. A notifier failure leaves the timer
 * due, and it is retried when the lease expires.
 */
final class EscalationSender {
  private static final Logger LOG = LoggerFactory.getLogger(EscalationSender.class);

  private final EngineDeps deps;

  EscalationSender(EngineDeps deps) {
    this.deps = deps;
  }

  /** Claims and sends what is due now. */
  Future<Void> sendDue() {
    Instant now = deps.now();
    return deps.blocking(() -> deps.store().claimDueEscalations(deps.owner(), now, deps.config().escalationClaimLease(), 50))
        .compose(this::sendAll);
  }

  private Future<Void> sendAll(List<Escalation> due) {
    Future<Void> chain = Future.succeededFuture();
    for (Escalation e : due) {
      chain = chain.compose(v -> send(e).recover(err -> {
        LOG.warn("incident={} level={} notifier={} msg=\"escalation not delivered, will retry: {}\"", e.incidentId(),
            e.levelLabel(), e.notifier(), err.getMessage());
        return Future.succeededFuture();
      }));
    }
    return chain;
  }

  private Future<Void> send(Escalation e) {
    return deps.blocking(() -> {
          Optional<Incident> inc = deps.store().get(e.incidentId());
          return new Loaded(inc, deps.store().lastAlert(e.incidentId()),
              inc.isEmpty() ? Optional.<Storm>empty() : deps.store().currentStorm(inc.get().cluster()));
        })
        .compose(found -> {
          Optional<Incident> incident = found.incident();
          Optional<AlertEvent> alert = found.alert();
          EscalationPolicy.Action action = EscalationPolicy.decide(e, incident, found.storm(), deps.now());
          if (action instanceof EscalationPolicy.Action.Cancel) {
            return deps.blocking(() -> {
              deps.store().cancelEscalations(e.incidentId(), deps.now());
              return (Void) null;
            });
          }
          Incident inc = incident.orElseThrow();
          if (action instanceof EscalationPolicy.Action.Hold h) {
            return hold(e, inc, h.until(), h.storm());
          }
          EscalationPolicy.Action.Send send = (EscalationPolicy.Action.Send) action;
          Optional<Rule> rule = deps.rules().get().byName(inc.rule());
          String text = EscalationPolicy.message(e, inc, rule, alert.map(AlertEvent::labels).orElse(Map.of()),
              alert.map(AlertEvent::annotations).orElse(Map.of()));
          Notification n = new Notification(send.kind(), send.severity(), text, inc.id(), inc.rule(), inc.cluster(),
              inc.connector(), inc.cause(), inc.id() + "/escalation/" + e.levelLabel());
          return deps.notifiers().send(e.notifier(), n)
              .onComplete(ar -> deps.metrics().notification(e.notifier(), ar.succeeded()))
              .compose(v -> deps.blocking(() -> {
                Instant at = deps.now();
                deps.store().markEscalationFired(e.incidentId(), e.level(), at);
                deps.store().addEvent(inc.id(), new IncidentEvent(at, "escalated",
                    "escalation " + e.levelLabel() + " sent to " + e.notifier() + " (due " + e.dueAt() + ")"));
                return (Void) null;
              }))
              .onSuccess(v -> {
                deps.metrics().escalation(inc.rule(), e.levelLabel());
                LOG.info("{} level={} notifier={} delay_ms={} msg=\"escalation delivered\"", inc.context(), e.levelLabel(),
                    e.notifier(), Duration.between(e.dueAt(), deps.now()).toMillis());
              });
        });
  }

  private record Loaded(Optional<Incident> incident, Optional<AlertEvent> alert, Optional<Storm> storm) {}

  /**
   * A failure storm is active on the incident's cluster: the storm's one summary replaces per-connector
   * pages, so the escalation waits until the storm is over (its due time moves to the storm's end).
   */
  private Future<Void> hold(Escalation e, Incident inc, Instant until, Storm storm) {
    boolean first = held.add(e.incidentId() + "/" + e.level() + "/" + storm.id());
    return deps.blocking(() -> {
      deps.store().deferEscalation(e.incidentId(), e.level(), until);
      if (first) {
        deps.store().addEvent(inc.id(), new IncidentEvent(deps.now(), "escalation_held", "escalation "
            + e.levelLabel() + " to " + e.notifier() + " held: failure storm on " + inc.cluster()
            + " (its summary replaces per-connector pages); due again when the storm is over"));
      }
      return (Void) null;
    });
  }

  private final java.util.Set<String> held = java.util.concurrent.ConcurrentHashMap.newKeySet();
}
