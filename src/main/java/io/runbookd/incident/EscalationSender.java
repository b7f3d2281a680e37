package io.runbookd.incident;

import io.runbookd.notify.Notification;
import io.runbookd.rules.Rule;
import io.runbookd.rules.Template;
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
  static final Duration CLAIM_LEASE = Duration.ofSeconds(30);

  private final EngineDeps deps;

  EscalationSender(EngineDeps deps) {
    this.deps = deps;
  }

  /** Claims and sends what is due now. */
  Future<Void> sendDue() {
    Instant now = deps.now();
    return deps.blocking(() -> deps.store().claimDueEscalations(deps.owner(), now, CLAIM_LEASE, 50))
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
    return deps.blocking(() -> new Loaded(deps.store().get(e.incidentId()), deps.store().lastAlert(e.incidentId())))
        .compose(found -> {
          Optional<Incident> incident = found.incident();
          Optional<AlertEvent> alert = found.alert();
          if (incident.isEmpty() || !incident.get().state().isOpen()) {
            return deps.blocking(() -> {
              deps.store().cancelEscalations(e.incidentId(), deps.now());
              return (Void) null;
            });
          }
          Incident inc = incident.get();
          Optional<Rule> rule = deps.rules().get().byName(inc.rule());
          String text = message(e, inc, rule, alert);
          String severity = e.level() == Escalation.GAVE_UP ? "critical" : "warning";
          String kind = e.level() == Escalation.GAVE_UP ? "gave_up" : "escalation";
          Notification n = new Notification(kind, severity, text, inc.id(), inc.rule(), inc.cluster(), inc.connector(),
              inc.cause(), inc.id() + "/escalation/" + e.levelLabel());
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

  private record Loaded(Optional<Incident> incident, Optional<AlertEvent> alert) {}

  private String message(Escalation e, Incident inc, Optional<Rule> rule, Optional<AlertEvent> alert) {
    String fallback = "runbookd: " + inc.connector() + " on " + inc.cluster() + " still failing after " + inc.attempts()
        + " attempt(s) (rule " + inc.rule() + ", incident " + inc.id() + ")" + (inc.cause() == null ? "" : ": " + inc.cause());
    if (e.level() == Escalation.GAVE_UP) {
      return "runbookd gave up on " + inc.connector() + " on " + inc.cluster() + " after " + inc.attempts()
          + " attempt(s) (rule " + inc.rule() + ", incident " + inc.id() + ")" + (inc.cause() == null ? "" : ": " + inc.cause());
    }
    if (rule.isEmpty() || e.level() >= rule.get().escalation().size()) {
      return fallback;
    }
    Template t = rule.get().escalation().get(e.level()).message();
    try {
      return t.render(IncidentMessages.context(inc, alert.map(AlertEvent::labels).orElse(Map.of()),
          alert.map(AlertEvent::annotations).orElse(Map.of()), null));
    } catch (Template.TemplateException ex) {
      return fallback + " (message template failed: " + ex.getMessage() + ")";
    }
  }
}
