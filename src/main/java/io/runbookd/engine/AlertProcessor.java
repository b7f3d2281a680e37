package io.runbookd.engine;

import io.runbookd.model.AlertEvent;
import io.runbookd.model.Budget;
import io.runbookd.model.ClusterLimits;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.IncidentState;
import io.runbookd.model.Storm;
import io.runbookd.policy.RemediationPolicy;

import io.runbookd.connect.ConnectApi;
import io.runbookd.connect.ConnectRestException;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.Rule;
import io.runbookd.rules.RuleEvaluator;
import io.runbookd.rules.RuleSet;
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
 */
final class AlertProcessor {
  private static final Logger LOG = LoggerFactory.getLogger(AlertProcessor.class);
  static final Duration CLAIM_LEASE = Duration.ofSeconds(60);
  /**
   * While Connect does not answer, an alert is retried (it stays recorded, unprocessed) for this long
   * before rules without a trace pattern may take it: a trace-specific rule cannot match without a trace.
   */
  static final Duration CONNECT_GRACE = Duration.ofMinutes(3);
  static final String DEFERRED = "deferred";

  private final EngineDeps deps;

  AlertProcessor(EngineDeps deps) {
    this.deps = deps;
  }

  /** Claims and processes pending alert events; returns how many were processed. */
  Future<Integer> processPending() {
    Instant now = deps.now();
    return deps.blocking(() -> deps.store().claimAlerts(deps.owner(), now, CLAIM_LEASE, 200)).compose(events -> {
      Future<Void> chain = Future.succeededFuture();
      for (AlertEvent e : events) {
        chain = chain.compose(v -> process(e)
            .recover(err -> {
              LOG.error("fingerprint={} alertname={} msg=\"alert processing failed\"", e.fingerprint(), e.alertname(), err);
              return Future.succeededFuture(new Processed("error", null));
            })
            .compose(p -> DEFERRED.equals(p.outcome()) ? Future.<Void>succeededFuture() : deps.blocking(() -> {
              deps.store().markAlertProcessed(e.id(), deps.now(), p.outcome(), p.incidentId());
              return (Void) null;
            })));
      }
      return chain.map(v -> events.size());
    });
  }

  /** What was done with one alert event. */
  record Processed(String outcome, String incidentId) {}

  Future<Processed> process(AlertEvent e) {
    return e.firing() ? firing(e) : resolved(e);
  }

  private Future<Processed> resolved(AlertEvent e) {
    Instant now = deps.now();
    return deps.blocking(() -> {
      Optional<Incident> inc = deps.store().findOpenByFingerprint(e.fingerprint());
      if (inc.isEmpty()) {
        return new Processed("ignored", null);
      }
      String id = inc.get().id();
      deps.store().linkAlert(id, e.fingerprint(), e.alertname(), "resolved", now);
      deps.store().noteAlertResolved(id, now, now.plus(deps.config().verifyOnResolve()));
      deps.store().addEvent(id, new IncidentEvent(now, "alert_resolved",
          e.alertname() + " resolved; a resolve is not proof of a fix: verifying before closing"));
      LOG.info("{} fingerprint={} msg=\"resolved alert received; verification scheduled\"", inc.get().context(), e.fingerprint());
      return new Processed("resolved", id);
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
    return deps.blocking(() -> {
      for (ConnectorTarget t : targets) {
        Optional<Incident> open = deps.store().findOpen(t.cluster(), t.connector());
        if (open.isPresent()) {
          boolean known = deps.store().findOpenByFingerprint(e.fingerprint()).map(i -> i.id().equals(open.get().id())).orElse(false);
          deps.store().linkAlert(open.get().id(), e.fingerprint(), e.alertname(), "firing", now);
          if (!known) {
            deps.store().addEvent(open.get().id(), new IncidentEvent(now, "alert_joined", e.alertname() + " joined the open incident"));
          }
          return Optional.of(new Processed("joined", open.get().id()));
        }
      }
      return Optional.<Processed>empty();
    });
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

  private static final String NOT_FOUND = "connector not found";

  private record Lookup(ConnectorStatus status, String error) {}

  private Future<Processed> open(AlertEvent e, RuleSet rules, List<RuleEvaluator.Candidate> candidates,
      Map<ConnectorTarget, Lookup> statuses) {
    Instant now = deps.now();
    boolean unreachable = statuses.values().stream().anyMatch(l -> l.status() == null && !NOT_FOUND.equals(l.error()));
    if (unreachable && e.receivedAt().plus(CONNECT_GRACE).isAfter(now)) {
      LOG.warn("alertname={} fingerprint={} msg=\"Connect did not answer ({}); retrying this alert in {}s\"", e.alertname(),
          e.fingerprint(), statuses.values().stream().map(Lookup::error).filter(java.util.Objects::nonNull).findFirst().orElse("?"),
          CLAIM_LEASE.toSeconds());
      return Future.succeededFuture(new Processed(DEFERRED, null));
    }
    RuleEvaluator.Evaluation ev = RuleEvaluator.select(candidates,
        t -> Optional.ofNullable(statuses.get(t)).map(Lookup::status));
    if (ev.match().isEmpty()) {
      deps.metrics().alertUnmatched();
      LOG.info("alertname={} fingerprint={} msg=\"no rule matches: {}\"", e.alertname(), e.fingerprint(), ev.explain().replace('"', '\''));
      return Future.succeededFuture(new Processed("unmatched", null));
    }
    RuleEvaluator.Match match = ev.match().get();
    Rule rule = match.rule();
    ConnectorTarget target = match.target();
    Lookup lookup = statuses.get(target);
    if (lookup != null && NOT_FOUND.equals(lookup.error())) {
      LOG.info("cluster={} connector={} rule={} msg=\"connector does not exist (deleted?); nothing to do\"", target.cluster(), target.connector(), rule.name());
      return Future.succeededFuture(new Processed("ignored", null));
    }
    if (lookup != null && lookup.status() != null && lookup.status().isHealthy()) {
      LOG.info("cluster={} connector={} rule={} msg=\"connector is healthy now; stale alert, nothing to do\"", target.cluster(), target.connector(), rule.name());
      return Future.succeededFuture(new Processed("healthy", null));
    }
    String trace = match.trace().map(RuleEvaluator.TraceMatch::text).orElse(null);
    String cause = match.cause().orElse(lookup == null ? null : lookup.error());
    return deps.blocking(() -> {
      Budget budget = deps.store().budget(target.cluster(), target.connector(), rule.name());
      Budget fresh = RemediationPolicy.onIncidentOpened(rule.retry(), budget, now);
      if (fresh != budget) {
        deps.store().saveBudget(fresh);
      }
      Instant next = RemediationPolicy.nextAttemptAt(rule.retry(), fresh, now);
      String id = newId(now);
      Incident inc = new Incident(id, target.cluster(), target.connector(), rule.name(), IncidentState.OPEN, null, 0,
          cause, trace, now, now, null, next, Incident.REMEDIATE, null, null, null);
      String how = "opened by " + e.alertname() + " (rule " + rule.name() + " at " + rule.source() + ")"
          + (cause == null ? "" : ": " + cause)
          + (fresh.attempts() > 0 ? "; " + fresh.attempts() + " earlier attempt(s) count toward the budget of " + rule.retry().maxAttempts() : "");
      Optional<Incident> opened = deps.store().openIncident(inc, RemediationPolicy.ladder(rule, id, now), new IncidentEvent(now, "opened", how));
      if (opened.isEmpty()) {
        // Another replica or an earlier event opened one meanwhile: join it.
        Optional<Incident> existing = deps.store().findOpen(target.cluster(), target.connector());
        existing.ifPresent(x -> deps.store().linkAlert(x.id(), e.fingerprint(), e.alertname(), "firing", now));
        return new Processed("joined", existing.map(Incident::id).orElse(null));
      }
      deps.store().linkAlert(id, e.fingerprint(), e.alertname(), "firing", now);
      deps.metrics().ruleMatched(rule.name());
      noteFailure(target.cluster(), now);
      LOG.info("{} fingerprint={} next_action_at={} msg=\"incident opened: {}\"", inc.context(), e.fingerprint(), next,
          cause == null ? "" : cause.replace('"', '\''));
      return new Processed("opened", id);
    });
  }

  /**
   * Storm detection: a new incident is a failure of its cluster. Runs on the worker thread of the
   * opening; a store failure here never loses the incident (the next failure re-evaluates the storm).
   */
  private void noteFailure(String cluster, Instant at) {
    ClusterLimits.StormSettings storm = deps.guards().of(cluster).storm();
    if (!storm.enabled()) {
      return;
    }
    try {
      deps.store().noteClusterFailure(cluster, at, storm).ifPresent(s -> {
        deps.metrics().stormStarted(cluster);
        LOG.warn("cluster={} storm={} connectors={} window_ms={} msg=\"failure storm: automatic actions on the cluster"
            + " pause until no new failure arrives for the window; one summary goes to {}\"", cluster, s.id(),
            s.connectors(), s.window().toMillis(), s.notifier() == null ? "the log only" : s.notifier());
      });
    } catch (RuntimeException ex) {
      LOG.warn("cluster={} msg=\"storm detection failed for this failure: {}\"", cluster, ex.getMessage());
    }
  }

  /** A sortable, unique incident id: {@code inc-<millis base36>-<random>}. */
  static String newId(Instant now) {
    return "inc-" + Long.toString(now.toEpochMilli(), 36) + "-"
        + Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36 * 36), 36);
  }
}
