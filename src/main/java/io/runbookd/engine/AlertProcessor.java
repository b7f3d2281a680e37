package io.runbookd.engine;

import io.runbookd.model.AlertEvent;
import io.runbookd.model.ClusterLimits;
import io.runbookd.model.Incident;

import io.runbookd.connect.ConnectApi;
import io.runbookd.connect.ConnectRestException;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.policy.AlertPolicy;
import io.runbookd.policy.AlertPolicy.Lookup;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.Rule;
import io.runbookd.rules.RuleEvaluator;
import io.runbookd.rules.RuleSet;
import io.runbookd.store.UnitsOfWork;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns recorded alert events into incidents, one event at a time in arrival order:
 *
 * <ul>
 *   <li>a firing alert for a connector that has an open incident joins it (a repeat never starts a
 *       second remediation);
 *   <li>otherwise the live status and trace are read from Connect, the first rule whose label
 *       matchers and trace pattern hold is chosen, and a new incident is opened — unless the connector
 *       is healthy by now (a stale alert) or no longer exists;
 *   <li>a resolved alert never closes anything by itself: it schedules a verification.
 * </ul>
 *
 * <p>Events are claimed in batches of up to 200 (one transaction). Each event's outcome is then written
 * in one store transaction ({@link UnitsOfWork}: open, join or resolve, with the processed mark; or the
 * mark alone); an opening first tries to join in one more, because the Connect status read in between
 * must not hold a transaction open.
 */
final class AlertProcessor {
  private static final Logger LOG = LoggerFactory.getLogger(AlertProcessor.class);
  static final String DEFERRED = "deferred";

  private final EngineDeps deps;
  private volatile boolean stopping;

  AlertProcessor(EngineDeps deps) {
    this.deps = deps;
  }

  /** Processes no further event of the batch under way (its claims are handed back by the caller). */
  void stop() {
    stopping = true;
  }

  /** Claims and processes pending alert events; returns how many were processed. */
  Future<Integer> processPending() {
    Instant now = deps.now();
    Duration lease = deps.config().alertClaimLease();
    return deps.blocking(() -> deps.store().claimAlerts(deps.owner(), now, lease, 200)).compose(events -> {
      Future<Void> chain = Future.succeededFuture();
      for (AlertEvent e : events) {
        chain = chain.compose(v -> stopping ? Future.<Void>succeededFuture() : process(e)
            .recover(err -> {
              LOG.error("fingerprint={} alertname={} msg=\"alert processing failed\"", e.fingerprint(), e.alertname(), err);
              return Future.succeededFuture(new Processed("error", null));
            })
            .compose(p -> p.recorded() || DEFERRED.equals(p.outcome()) ? Future.<Void>succeededFuture() : deps.blocking(() -> {
              deps.store().markAlertProcessed(e.id(), deps.now(), p.outcome(), p.incidentId());
              return (Void) null;
            })));
      }
      return chain.map(v -> events.size());
    });
  }

  /**
   * What was done with one alert event.
   *
   * @param recorded true when the store's unit of work already marked the event processed with this
   *     outcome; false when it is still to be marked (or, {@link #DEFERRED}, left unprocessed)
   */
  record Processed(String outcome, String incidentId, boolean recorded) {
    Processed(String outcome, String incidentId) {
      this(outcome, incidentId, false);
    }
  }

  Future<Processed> process(AlertEvent e) {
    return e.firing() ? firing(e) : resolved(e);
  }

  private Future<Processed> resolved(AlertEvent e) {
    Instant now = deps.now();
    return deps.blocking(() -> {
      Optional<Incident> inc = deps.store().resolveFromAlert(new UnitsOfWork.Resolving(e.id(), e.fingerprint(),
          e.alertname(), e.alertname() + " resolved; a resolve is not proof of a fix: verifying before closing", now,
          now.plus(deps.config().verifyOnResolve())));
      if (inc.isEmpty()) {
        return new Processed("ignored", null, true);
      }
      LOG.info("{} fingerprint={} msg=\"resolved alert received; verification scheduled\"", inc.get().context(), e.fingerprint());
      return new Processed("resolved", inc.get().id(), true);
    });
  }

  private Future<Processed> firing(AlertEvent e) {
    RuleSet rules = deps.rules().get();
    List<RuleEvaluator.Candidate> candidates = RuleEvaluator.candidates(rules, e.labels(), e.annotations());
    Set<ConnectorTarget> targets = new LinkedHashSet<>();
    for (RuleEvaluator.Candidate c : candidates) {
      c.target().ifPresent(targets::add);
    }
    if (targets.isEmpty()) {
      deps.metrics().alertUnmatched();
      LOG.debug("alertname={} fingerprint={} msg=\"no rule matches the alert labels\"", e.alertname(), e.fingerprint());
      return Future.succeededFuture(new Processed("unmatched", null));
    }
    return joinOpen(e, targets).compose(joined -> {
      if (joined.isPresent()) {
        return Future.succeededFuture(joined.get());
      }
      return fetchStatuses(targets).compose(statuses -> open(e, rules, candidates, statuses));
    });
  }

  private Future<Optional<Processed>> joinOpen(AlertEvent e, Set<ConnectorTarget> targets) {
    Instant now = deps.now();
    return deps.blocking(() -> deps.store()
        .joinFromAlert(new UnitsOfWork.Joining(e.id(), e.fingerprint(), e.alertname(), List.copyOf(targets),
            e.alertname() + " joined the open incident", now))
        .map(joined -> new Processed("joined", joined.id(), true)));
  }

  /** Status of each target; an absent entry means Connect did not answer; 404 maps to NOT_FOUND. */
  private Future<Map<ConnectorTarget, Lookup>> fetchStatuses(Set<ConnectorTarget> targets) {
    Map<ConnectorTarget, Lookup> out = new HashMap<>();
    List<Future<Void>> all = new ArrayList<>();
    for (ConnectorTarget t : targets) {
      Optional<ConnectApi> api = deps.clusters().get(t.cluster());
      if (api.isEmpty()) {
        out.put(t, new Lookup(null, "Connect cluster \"" + t.cluster() + "\" is not configured"));
        continue;
      }
      all.add(api.get().status(t.connector())
          .map(s -> {
            out.put(t, new Lookup(s, null));
            return (Void) null;
          })
          .recover(err -> {
            String why = err instanceof ConnectRestException ce && ce.isNotFound() ? NOT_FOUND : err.getMessage();
            out.put(t, new Lookup(null, why));
            return Future.succeededFuture();
          }));
    }
    return Future.all(all).map(v -> out);
  }

  private static final String NOT_FOUND = AlertPolicy.NOT_FOUND;

  private Future<Processed> open(AlertEvent e, RuleSet rules, List<RuleEvaluator.Candidate> candidates,
      Map<ConnectorTarget, Lookup> statuses) {
    Instant now = deps.now();
    AlertPolicy.Verdict verdict = AlertPolicy.decide(e.receivedAt(), now, candidates, statuses);
    if (verdict instanceof AlertPolicy.Verdict.Defer d) {
      LOG.warn("alertname={} fingerprint={} msg=\"Connect did not answer ({}); retrying this alert in {}s\"", e.alertname(),
          e.fingerprint(), d.error(), deps.config().alertClaimLease().toSeconds());
      return Future.succeededFuture(new Processed(DEFERRED, null));
    }
    if (verdict instanceof AlertPolicy.Verdict.Unmatched u) {
      deps.metrics().alertUnmatched();
      LOG.info("alertname={} fingerprint={} msg=\"no rule matches: {}\"", e.alertname(), e.fingerprint(), u.explain().replace('"', '\''));
      return Future.succeededFuture(new Processed("unmatched", null));
    }
    if (verdict instanceof AlertPolicy.Verdict.Deleted d) {
      LOG.info("cluster={} connector={} rule={} msg=\"connector does not exist (deleted?); nothing to do\"",
          d.match().target().cluster(), d.match().target().connector(), d.match().rule().name());
      return Future.succeededFuture(new Processed("ignored", null));
    }
    if (verdict instanceof AlertPolicy.Verdict.Stale st) {
      LOG.info("cluster={} connector={} rule={} msg=\"connector is healthy now; stale alert, nothing to do\"",
          st.match().target().cluster(), st.match().target().connector(), st.match().rule().name());
      return Future.succeededFuture(new Processed("healthy", null));
    }
    AlertPolicy.Verdict.Open o = (AlertPolicy.Verdict.Open) verdict;
    Rule rule = o.match().rule();
    ConnectorTarget target = o.match().target();
    String trace = o.trace();
    String cause = o.cause();
    String how = "opened by " + e.alertname() + " (rule " + rule.name() + " at " + rule.source() + ")"
        + (cause == null ? "" : ": " + cause);
    return deps.blocking(() -> {
      ClusterLimits.StormSettings storm = deps.guards().of(target.cluster()).storm();
      UnitsOfWork.OpenOutcome out = deps.store().openFromAlert(new UnitsOfWork.Opening(e.id(), e.fingerprint(),
          e.alertname(), newId(now), target, rule, cause, trace, how, storm, now));
      if (!out.opened()) {
        // Another replica or an earlier event opened one meanwhile: joined it.
        return new Processed("joined", out.incident() == null ? null : out.incident().id(), true);
      }
      Incident inc = out.incident();
      deps.metrics().ruleMatched(rule.name());
      noteFailure(target.cluster(), out);
      LOG.info("{} fingerprint={} next_action_at={} msg=\"incident opened: {}\"", inc.context(), e.fingerprint(),
          inc.nextActionAt(), cause == null ? "" : cause.replace('"', '\''));
      return new Processed("opened", inc.id(), true);
    });
  }

  /**
   * Storm detection: a new incident is a failure of its cluster, noted by the store in the opening's
   * transaction. A failure of the detection never loses the incident (the next failure re-evaluates the
   * storm); it is only logged.
   */
  private void noteFailure(String cluster, UnitsOfWork.OpenOutcome out) {
    out.storm().ifPresent(s -> {
      deps.metrics().stormStarted(cluster);
      LOG.warn("cluster={} storm={} connectors={} window_ms={} msg=\"failure storm: automatic actions on the cluster"
          + " pause until no new failure arrives for the window; one summary goes to {}\"", cluster, s.id(),
          s.connectors(), s.window().toMillis(), s.notifier() == null ? "the log only" : s.notifier());
    });
    if (out.stormFailure() != null) {
      LOG.warn("cluster={} msg=\"storm detection failed for this failure: {}\"", cluster, out.stormFailure());
    }
  }

  /** A sortable, unique incident id: {@code inc-<millis base36>-<random>}. */
  static String newId(Instant now) {
    return "inc-" + Long.toString(now.toEpochMilli(), 36) + "-"
        + Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36 * 36), 36);
  }
}
