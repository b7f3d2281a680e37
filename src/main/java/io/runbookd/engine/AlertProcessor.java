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
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns recorded alert events into incidents:
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
 * <p>Isolation: claimed events go to one lane per connector (the first target their rules render, see
 * {@link RuleMatching.Keyed}); the events of one lane are processed one after another in arrival order,
 * different lanes concurrently, at most {@code engine.alert_concurrency} at once ({@link KeyedLanes}).
 * Claiming goes on while events are in flight, up to {@code engine.alert_window} held events, so a Connect
 * call that stalls, or a flood of alerts for some connectors, delays only the connectors it concerns. The
 * claims of held events are renewed while they wait, and given back at {@link #close}.
 *
 * <p>Events are claimed in batches of up to {@value #CLAIM_BATCH} (one transaction). Each event's
 * outcome is then written in one store transaction ({@link UnitsOfWork}: open, join or resolve, with the
 * processed mark; or the mark alone); an opening first tries to join in one more, because the Connect
 * status read in between must not hold a transaction open. Rule matching runs on {@link RuleMatching}'s
 * pool. The status reads of the lanes in flight are coalesced per Connect cluster ({@link StatusReads}):
 * several alerts of one cluster are served by one {@code GET /connectors?expand=status&expand=info}.
 * Confined to the engine's Vert.x context.
 */
final class AlertProcessor {
  private static final Logger LOG = LoggerFactory.getLogger(AlertProcessor.class);
  static final String DEFERRED = "deferred";
  static final int CLAIM_BATCH = 500;
  private static final long BACKLOG_EVERY_NANOS = Duration.ofSeconds(1).toNanos();

  private final EngineDeps deps;
  private final RuleMatching matching;
  private final WorkerExecutor storeCalls;
  private final Runnable wake;
  private final int window;
  private final KeyedLanes<RuleMatching.Keyed> lanes;
  /** Status reads of the lanes, coalesced per cluster (one listing serves a batch). */
  private final StatusReads statusReads;
  /** Consumer group readings (with their history, for {@code lag_growing}). */
  private final GroupReadings groupReadings;
  /** Claimed events queued or in flight here, by id. */
  private final Map<Long, AlertEvent> held = new LinkedHashMap<>();
  private boolean claiming;
  private boolean again;
  private boolean more;
  private boolean closed;
  private Instant lastRenewal;
  private boolean backlogReading;
  private long lastBacklogNanos;

  /**
   * @param deps shared dependencies; {@code config().alertConcurrency()} and {@code alertWindow()} apply
   * @param matching where rules are matched
   * @param storeCalls the workers of this processor's store calls ({@code engine.alert_store_threads}):
   *     apart from the shared worker pool, so that a flood of alerts never holds every worker that
   *     webhook commits and remediations need
   * @param wake asks the engine to tick (run after an event opened an incident or scheduled its
   *     verification)
   */
  AlertProcessor(EngineDeps deps, RuleMatching matching, WorkerExecutor storeCalls, Runnable wake) {
    this.deps = deps;
    this.matching = matching;
    this.storeCalls = storeCalls;
    this.wake = wake;
    this.window = deps.config().alertWindow();
    this.lanes = new KeyedLanes<>(deps.config().alertConcurrency(), this::run);
    this.statusReads = new StatusReads(deps.vertx().getOrCreateContext());
    this.groupReadings = new GroupReadings(deps.kafka());
    this.lastRenewal = deps.now();
    this.lastBacklogNanos = System.nanoTime() - BACKLOG_EVERY_NANOS; // nanoTime may be negative: read at once
  }

  /**
   * Claims pending alert events while the window has room and hands each to its lane. Completes once
   * they are claimed and queued, not processed: processing goes on in the background.
   *
   * @return how many events were newly claimed
   */
  Future<Integer> pump() {
    updateBacklog();
    if (closed) {
      return Future.succeededFuture(0);
    }
    if (claiming) {
      again = true;
      return Future.succeededFuture(0);
    }
    claiming = true;
    again = false;
    return renewClaims().compose(v -> claimOnce()).onComplete(ar -> {
      claiming = false;
      if (ar.succeeded() && (again || more && room() > 0)) {
        pump();
      }
    });
  }

  /** Events held here: claimed, queued or in flight. */
  int held() {
    return held.size();
  }

  /** The first part of a graceful stop: no further event is claimed or started (see {@link #close}). */
  void stop() {
    close();
  }

  /**
   * Stops claiming and gives back the claims of the events not started yet, so another replica (or the
   * next start) takes them at once; events in flight finish.
   */
  Future<Void> close() {
    closed = true;
    List<Long> ids = lanes.clearQueued().stream().map(k -> k.event().id()).toList();
    ids.forEach(held::remove);
    if (ids.isEmpty()) {
      return Future.succeededFuture();
    }
    return deps.blocking(() -> deps.store().releaseAlertClaims(deps.owner(), ids))
        .onSuccess(n -> LOG.info("released={} msg=\"claims of alerts not yet processed given back\"", n))
        .recover(err -> {
          LOG.warn("msg=\"could not give back {} alert claims; they are taken again after {}s: {}\"", ids.size(),
              deps.config().alertClaimLease().toSeconds(), err.getMessage());
          return Future.succeededFuture();
        }).mapEmpty();
  }

  private int room() {
    return window - held.size();
  }

  private Future<Integer> claimOnce() {
    int limit = Math.min(CLAIM_BATCH, room());
    if (limit <= 0) {
      more = true;
      return Future.succeededFuture(0);
    }
    Instant now = deps.now();
    return deps.blocking(() -> deps.store().claimAlerts(deps.owner(), now, deps.config().alertClaimLease(), limit)).compose(events -> {
      more = events.size() == limit;
      List<AlertEvent> fresh = new ArrayList<>(events.size());
      for (AlertEvent e : events) {
        // An event still held here whose claim ran out (and was just taken again) is not queued twice.
        if (held.putIfAbsent(e.id(), e) == null) {
          fresh.add(e);
        }
      }
      return matching.key(deps.rules().get(), fresh)
          .map(keyed -> {
            keyed.forEach(k -> lanes.submit(k.key(), k));
            return fresh.size();
          })
          .recover(err -> {
            // Left claimed: taken again once the claim runs out.
            fresh.forEach(e -> held.remove(e.id()));
            return Future.failedFuture(err);
          });
    });
  }

  /** Renews the claims of the held events a third of the way into their lease. */
  private Future<Void> renewClaims() {
    Instant now = deps.now();
    if (held.isEmpty() || Duration.between(lastRenewal, now).compareTo(deps.config().alertClaimLease().dividedBy(3)) < 0) {
      return Future.succeededFuture();
    }
    lastRenewal = now;
    List<Long> ids = List.copyOf(held.keySet());
    return deps.blocking(() -> deps.store().renewAlertClaims(deps.owner(), ids, now.plus(deps.config().alertClaimLease())))
        .<Void>mapEmpty()
        .recover(err -> {
          LOG.warn("held={} msg=\"could not renew alert claims: {}\"", ids.size(), err.getMessage());
          return Future.succeededFuture();
        });
  }

  /** Refreshes the backlog gauges, at most once a second, one read at a time. */
  private void updateBacklog() {
    long t = System.nanoTime();
    if (backlogReading || t - lastBacklogNanos < BACKLOG_EVERY_NANOS) {
      return;
    }
    backlogReading = true;
    lastBacklogNanos = t;
    deps.blocking(() -> deps.store().alertBacklog())
        .onSuccess(b -> deps.metrics().alertBacklog(b.unprocessed(),
            b.oldestReceivedAt() == null ? Duration.ZERO : Duration.between(b.oldestReceivedAt(), deps.now())))
        .onFailure(err -> LOG.debug("msg=\"alert backlog not read: {}\"", err.getMessage()))
        .onComplete(ar -> backlogReading = false);
  }

  /**
   * Runs a blocking store call of one event on {@link #storeCalls}; completes on the caller's context.
   * Claims, renewals and the backlog read (one at a time) use the shared worker pool, so that claiming
   * never waits behind the events it feeds.
   */
  private <T> Future<T> store(Callable<T> call) {
    return storeCalls.executeBlocking(call, false);
  }

  /** Processes one event of a lane and marks it; never fails. */
  private Future<Void> run(RuleMatching.Keyed k) {
    AlertEvent e = k.event();
    return process(k)
        .recover(err -> {
          LOG.error("fingerprint={} alertname={} msg=\"alert processing failed\"", e.fingerprint(), e.alertname(), err);
          return Future.succeededFuture(new Processed("error", null));
        })
        .compose(p -> p.recorded() || DEFERRED.equals(p.outcome()) ? Future.succeededFuture(p) : store(() -> {
          deps.store().markAlertProcessed(e.id(), deps.now(), p.outcome(), p.incidentId());
          return p;
        }))
        .onSuccess(p -> {
          if ("opened".equals(p.outcome()) || "resolved".equals(p.outcome())) {
            wake.run();
          }
        })
        .onFailure(err -> LOG.warn("fingerprint={} msg=\"alert outcome not recorded; taken again in {}s: {}\"",
            e.fingerprint(), deps.config().alertClaimLease().toSeconds(), err.getMessage()))
        .transform(ar -> {
          held.remove(e.id());
          if (more && !claiming && room() >= Math.min(CLAIM_BATCH, Math.max(1, window / 4))) {
            pump();
          }
          return Future.<Void>succeededFuture();
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

  Future<Processed> process(RuleMatching.Keyed k) {
    return k.event().firing() ? firing(k) : resolved(k.event());
  }

  private Future<Processed> resolved(AlertEvent e) {
    Instant now = deps.now();
    return store(() -> {
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

  private Future<Processed> firing(RuleMatching.Keyed k) {
    AlertEvent e = k.event();
    List<RuleEvaluator.Candidate> candidates = k.candidates();
    Set<ConnectorTarget> targets = new LinkedHashSet<>();
    for (RuleEvaluator.Candidate c : candidates) {
      c.target().ifPresent(targets::add);
    }
    if (targets.isEmpty()) {
      deps.metrics().alertUnmatched();
      LOG.debug("alertname={} fingerprint={} msg=\"no rule matches the alert labels\"", e.alertname(), e.fingerprint());
      return Future.succeededFuture(new Processed("unmatched", null));
    }
    // Join first when this replica knows an incident of a target is open (a repeat: no Connect read).
    // Otherwise read Connect first: a new incident is then opened, or joined if another replica opened
    // it meanwhile, in ONE transaction; any other verdict still tries to join before it is recorded.
    boolean known = targets.stream().anyMatch(openIncidents::containsKey);
    Future<Optional<Processed>> first = known ? joinOpen(e, targets) : Future.succeededFuture(Optional.empty());
    return first.compose(joined -> {
      if (joined.isPresent()) {
        return Future.succeededFuture(joined.get());
      }
      targets.forEach(openIncidents::remove);
      return fetchStatuses(targets)
          .compose(statuses -> readGroups(candidates, statuses)
              .compose(groups -> matching.decide(e.receivedAt(), deps.now(), candidates, statuses, groups)))
          .compose(verdict -> verdict instanceof AlertPolicy.Verdict.Open || known
              ? open(e, verdict)
              : joinOpen(e, targets).compose(j -> j.isPresent() ? Future.succeededFuture(j.get()) : open(e, verdict)));
    });
  }

  /**
   * Connectors this replica opened or joined an incident for, with its id: a hint, never the truth (the
   * store decides; an incident closed since is found so by the join, which then falls through).
   */
  private final Map<ConnectorTarget, String> openIncidents = new java.util.concurrent.ConcurrentHashMap<>();
  private static final int OPEN_HINTS = 100_000;

  private void remember(ConnectorTarget target, String incidentId) {
    if (incidentId == null) {
      return;
    }
    if (openIncidents.size() >= OPEN_HINTS) {
      openIncidents.clear();
    }
    openIncidents.put(target, incidentId);
  }

  private Future<Optional<Processed>> joinOpen(AlertEvent e, Set<ConnectorTarget> targets) {
    Instant now = deps.now();
    return store(() -> deps.store()
        .joinFromAlert(new UnitsOfWork.Joining(e.id(), e.fingerprint(), e.alertname(), List.copyOf(targets),
            e.alertname() + " joined the open incident", now))
        .map(joined -> {
          remember(new ConnectorTarget(joined.cluster(), joined.connector()), joined.id());
          return new Processed("joined", joined.id(), true);
        }));
  }

  /** Status of each target; an absent entry means Connect did not answer; 404 maps to NOT_FOUND. */
  private Future<Map<ConnectorTarget, Lookup>> fetchStatuses(Set<ConnectorTarget> targets) {
    Map<ConnectorTarget, Lookup> out = new HashMap<>();
    List<Future<Void>> all = new ArrayList<>();
    for (ConnectorTarget t : targets) {
      Optional<ConnectApi> api = deps.clusters().get(t.cluster());
      if (api.isEmpty()) {
        out.put(t, AlertPolicy.unknownCluster(t.cluster(), deps.clusters().names()));
        continue;
      }
      all.add(statusReads.status(api.get(), t.connector())
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

  /**
   * The consumer groups the candidates' {@code match.consumer_group} conditions need: one read per target of
   * an eligible candidate with such a condition, not of a source connector. No read at all when no candidate
   * has one (alerts whose rules only look at traces cost no Kafka call).
   */
  private Future<Map<ConnectorTarget, io.runbookd.rules.GroupReading>> readGroups(
      List<RuleEvaluator.Candidate> candidates, Map<ConnectorTarget, Lookup> statuses) {
    Map<ConnectorTarget, io.runbookd.rules.GroupReading> out = new java.util.concurrent.ConcurrentHashMap<>();
    List<Future<Void>> all = new ArrayList<>();
    Set<ConnectorTarget> asked = new java.util.HashSet<>();
    for (RuleEvaluator.Candidate c : candidates) {
      if (!c.eligible() || c.rule().live().consumerGroup() == null) {
        continue;
      }
      ConnectorTarget t = c.target().orElseThrow();
      Lookup l = statuses.get(t);
      if ((l != null && l.status() != null && "source".equals(l.status().type())) || !asked.add(t)) {
        continue;
      }
      all.add(groupReadings.read(t).map(r -> {
        out.put(t, r);
        return (Void) null;
      }));
    }
    return all.isEmpty() ? Future.succeededFuture(Map.of()) : Future.all(all).map(v -> Map.copyOf(out));
  }

  private Future<Processed> open(AlertEvent e, AlertPolicy.Verdict verdict) {
    Instant now = deps.now();
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
      LOG.info("cluster={} connector={} alertname={} why=\"{}\" msg=\"connector is healthy now and no rule's conditions"
          + " hold; stale alert, nothing to do\"", st.target().cluster(), st.target().connector(), e.alertname(),
          st.explain() == null ? "" : st.explain().replace('\n', ' ').replace('"', '\''));
      return Future.succeededFuture(new Processed("healthy", null));
    }
    if (verdict instanceof AlertPolicy.Verdict.Wait w) {
      LOG.info("alertname={} fingerprint={} rule={} until={} msg=\"{}; keeping the alert, decided again in {}s\"",
          e.alertname(), e.fingerprint(), w.pending().rule(), w.pending().until(), w.pending().why(),
          deps.config().alertClaimLease().toSeconds());
      return Future.succeededFuture(new Processed(DEFERRED, null));
    }
    AlertPolicy.Verdict.Open o = (AlertPolicy.Verdict.Open) verdict;
    Rule rule = o.match().rule();
    ConnectorTarget target = o.match().target();
    String trace = o.trace();
    String cause = o.cause();
    String how = "opened by " + e.alertname() + " (rule " + rule.name() + " at " + rule.source() + ")"
        + (cause == null ? "" : ": " + cause);
    return store(() -> {
      ClusterLimits.StormSettings storm = deps.guards().of(target.cluster()).storm();
      UnitsOfWork.OpenOutcome out = deps.store().openFromAlert(new UnitsOfWork.Opening(e.id(), e.fingerprint(),
          e.alertname(), newId(now), target, rule, cause, trace, how, storm, now));
      if (!out.opened()) {
        // Another replica or an earlier event opened one meanwhile: joined it.
        remember(target, out.incident() == null ? null : out.incident().id());
        return new Processed("joined", out.incident() == null ? null : out.incident().id(), true);
      }
      Incident inc = out.incident();
      remember(target, inc.id());
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
