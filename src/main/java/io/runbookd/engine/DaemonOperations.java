package io.runbookd.engine;

import io.runbookd.alert.WebhookMessage;
import io.runbookd.model.AlertEvent;
import io.runbookd.model.Approval;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentQuery;
import io.runbookd.rules.RuleSet;
import io.runbookd.store.AlertRecorder;
import io.runbookd.store.Store;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@link Operations} over the store (webhooks through its group-commit {@link AlertRecorder}), the
 * active rules and the clock; the engine is woken on {@link IncidentEngine#WAKE_ADDRESS}.
 */
final class DaemonOperations implements Operations {
  /** {@link Approval#decidedVia()} of a decision made through the API. */
  static final String VIA_API = "human";

  private final Vertx vertx;
  private final Store store;
  private final AlertRecorder recorder;
  private final ActiveRules rules;
  private final Clock clock;

  DaemonOperations(Vertx vertx, Store store, ActiveRules rules, Clock clock) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.store = Objects.requireNonNull(store, "store");
    this.recorder = new AlertRecorder(vertx, store);
    this.rules = Objects.requireNonNull(rules, "rules");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public Future<List<AlertEvent>> recordWebhook(WebhookMessage message) {
    Instant now = clock.instant();
    List<AlertEvent> events = new ArrayList<>(message.alerts().size());
    for (WebhookMessage.Alert a : message.alerts()) {
      events.add(new AlertEvent(0, now, a.fingerprint(), a.status(), a.startsAt(), a.endsAt(), a.labels(),
          a.annotations() == null ? Map.of() : a.annotations(), message.receiver(), message.groupKey()));
    }
    return unavailableOnFailure(recorder.record(events).onSuccess(stored -> wakeEngine()));
  }

  @Override
  public Future<Void> ready() {
    return onStore(() -> {
      store.ping();
      return null;
    }).compose(v -> rules.get() != null
        ? Future.<Void>succeededFuture()
        : Future.failedFuture(new ServiceUnavailableException("no rules loaded")));
  }

  @Override
  public Future<List<Incident>> incidents(IncidentQuery query) {
    Objects.requireNonNull(query, "query");
    return onStore(() -> store.list(query));
  }

  @Override
  public Future<Optional<IncidentDetail>> incident(String incidentId) {
    return onStore(() -> store.get(incidentId).map(i -> new IncidentDetail(i, store.steps(incidentId),
        store.escalations(incidentId), store.approvals(incidentId), store.events(incidentId))));
  }

  @Override
  public Future<Approval.Outcome> decideApproval(String incidentId, Approval.Decision decision, String principal,
      String comment) {
    Instant at = clock.instant();
    return onStore(() -> store.decideApproval(incidentId, decision, VIA_API, principal, comment, at))
        .onSuccess(out -> {
          if (out != null && out.status() == Approval.Outcome.Status.DECIDED) {
            wakeEngine();
          }
        });
  }

  @Override
  public Future<io.runbookd.model.RetryOutcome> retry(String incidentId, String principal, String comment) {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(principal, "principal");
    Instant at = clock.instant();
    return onStore(() -> store.requestRetry(incidentId, principal, comment, at))
        .onSuccess(out -> {
          if (out.status() == io.runbookd.model.RetryOutcome.Status.ACCEPTED) {
            wakeEngine();
          }
        });
  }

  @Override
  public Future<RuleSet> rules() {
    return Future.succeededFuture(rules.get());
  }

  @Override
  public Future<RuleSet> reloadRules(String trigger) {
    return vertx.executeBlocking(() -> rules.reload(trigger), false);
  }

  /** Runs a blocking store call on a worker; any failure of it becomes a {@link ServiceUnavailableException}. */
  private <T> Future<T> onStore(Callable<T> call) {
    return unavailableOnFailure(vertx.executeBlocking(call, false));
  }

  private static <T> Future<T> unavailableOnFailure(Future<T> f) {
    return f.recover(e -> Future.failedFuture(
        e instanceof ServiceUnavailableException ? e : new ServiceUnavailableException(e)));
  }

  private void wakeEngine() {
    vertx.eventBus().send(IncidentEngine.WAKE_ADDRESS, null);
  }
}
