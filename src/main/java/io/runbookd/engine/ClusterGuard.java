package io.runbookd.engine;

import io.runbookd.model.ClusterLimits;
import io.runbookd.model.Incident;
import io.runbookd.model.Storm;
import io.runbookd.policy.Admission;
import io.runbookd.policy.ClusterGuardPolicy;

import io.runbookd.connect.ConnectApi;
import io.runbookd.rules.Durations;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster guards as the engine uses them: the storm check, the worker health check, and admission
 * through the store ({@link io.runbookd.store.Store#admit}, which runs the pure
 * {@link ClusterGuardPolicy} in a transaction serialized per cluster). Also writes each deferral to the
 * incident's timeline, once per reason while it lasts, and counts it.
 */
final class ClusterGuard {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterGuard.class);
  /** How long one {@code GET /health} answer is reused for the cluster. */
  static final Duration HEALTH_TTL = Duration.ofSeconds(1);

  private final EngineDeps deps;
  private final Map<String, Checked> health = new ConcurrentHashMap<>();
  private final Map<String, String> lastDeferral = new ConcurrentHashMap<>();

  private record Checked(Instant at, Future<Optional<String>> result) {}

  ClusterGuard(EngineDeps deps) {
    this.deps = deps;
  }

  ClusterLimits limits(String cluster) {
    return deps.guards().of(cluster);
  }

  /** The storm that pauses automatic actions on {@code cluster} now, if any. */
  Future<Optional<Storm>> storm(String cluster) {
    Instant now = deps.now();
    return deps.blocking(() -> deps.store().currentStorm(cluster)).map(s -> s.filter(x -> x.activeAt(now)));
  }

  /**
   * Whether {@code inc} may run a segment of {@code planned} Connect actions now: the worker's health
   * (when the cluster's {@code health_check} is on), then the storm and blast-radius limits.
   */
  Future<Admission> admit(Incident inc, ConnectApi api, int attempt, int planned) {
    ClusterLimits limits = limits(inc.cluster());
    Future<Optional<String>> unhealthy = limits.healthCheck() ? health(api) : Future.succeededFuture(Optional.empty());
    return unhealthy.compose(problem -> {
      Instant now = deps.now();
      if (problem.isPresent()) {
        return Future.succeededFuture(new Admission(new ClusterGuardPolicy.Decision.Defer(
            now.plus(limits.healthBackoff()), ClusterGuardPolicy.Reason.UNHEALTHY, "the Connect worker is not healthy ("
            + problem.get() + ")"), 0));
      }
      return deps.blocking(() -> deps.store().admit(inc.cluster(), inc.id(), attempt, planned, limits, now));
    }).onSuccess(a -> {
      if (a.admitted()) {
        lastDeferral.remove(inc.id());
      }
    });
  }

  /**
   * {@code GET /health} of the cluster, shared by every remediation for {@link #HEALTH_TTL}: empty when
   * healthy (200, or 404 from a Connect older than 3.9), else the problem.
   */
  Future<Optional<String>> health(ConnectApi api) {
    Instant now = deps.now();
    Checked c = health.compute(api.cluster(), (k, old) -> old != null && now.isBefore(old.at().plus(HEALTH_TTL))
        ? old
        : new Checked(now, api.health().map(v -> Optional.<String>empty())
            .recover(err -> Future.succeededFuture(Optional.of("GET /health: " + err.getMessage())))));
    return c.result();
  }

  /** Counts one Connect action of a reservation; a store failure only loses precision, never the action. */
  Future<Void> acted(long reservationId) {
    if (reservationId == 0) {
      return Future.succeededFuture();
    }
    Instant at = deps.now();
    return deps.<Void>blocking(() -> {
      deps.store().recordAction(reservationId, at);
      return null;
    }).recover(err -> {
      LOG.warn("reservation={} msg=\"could not record a Connect action: {}\"", reservationId, err.getMessage());
      return Future.succeededFuture();
    });
  }

  /** Releases a reservation (if any); its slot also frees itself when the incident's lease ends. */
  Future<Void> release(long reservationId) {
    if (reservationId == 0) {
      return Future.succeededFuture();
    }
    Instant at = deps.now();
    return deps.<Void>blocking(() -> {
      deps.store().releaseReservation(reservationId, at);
      return null;
    }).recover(err -> {
      LOG.warn("reservation={} msg=\"could not release: {}; it frees itself when the lease ends\"", reservationId,
          err.getMessage());
      return Future.succeededFuture();
    });
  }

  /**
   * Counts a deferral and says whether to write it to the timeline: only when its reason (and storm)
   * differs from the incident's previous deferral on this replica.
   */
  boolean deferred(Incident inc, ClusterGuardPolicy.Reason reason, String key) {
    deps.metrics().guardDeferral(inc.cluster(), reason.label());
    String k = reason + "/" + key;
    return !k.equals(lastDeferral.put(inc.id(), k));
  }

  /** Forgets an incident (closed or handed to a human). */
  void forget(String incidentId) {
    lastDeferral.remove(incidentId);
  }

  /** The timeline text of a storm hold. */
  static String stormText(Storm s) {
    return "automatic actions on " + s.cluster() + " are paused: failure storm (" + s.connectors()
        + " connectors failed since " + s.startedAt() + "); they resume once no new failure has arrived for "
        + Durations.format(s.window()) + " (now: at " + s.quietUntil() + ")";
  }
}
