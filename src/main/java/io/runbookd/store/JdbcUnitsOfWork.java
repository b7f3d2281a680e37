package io.runbookd.store;

import io.runbookd.model.Budget;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.IncidentState;
import io.runbookd.policy.RemediationPolicy;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.Rule;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link UnitsOfWork} over the statements of the table families, each unit in one {@link Jdbc#write}
 * transaction. Locks are taken in one order: the incident row, then the alert event row, then (last, so
 * that it is held shortest) the cluster's guard row for storm detection.
 */
final class JdbcUnitsOfWork implements UnitsOfWork {

  private final Jdbc jdbc;
  private final JdbcClusterGuards guards;

  JdbcUnitsOfWork(Jdbc jdbc, JdbcClusterGuards guards) {
    this.jdbc = Objects.requireNonNull(jdbc, "jdbc");
    this.guards = Objects.requireNonNull(guards, "guards");
  }

  @Override
  public OpenOutcome openFromAlert(Opening o) {
    Objects.requireNonNull(o, "opening");
    ConnectorTarget t = o.target();
    Rule rule = o.rule();
    Instant at = o.at();
    return jdbc.write("openFromAlert", c -> {
      Optional<Incident> open = JdbcIncidents.selectOpen(c, t.cluster(), t.connector());
      if (open.isEmpty()) {
        Budget budget = JdbcBudgets.select(c, t.cluster(), t.connector(), rule.name());
        Budget fresh = RemediationPolicy.onIncidentOpened(rule.retry(), budget, at);
        Incident draft = new Incident(o.incidentId(), t.cluster(), t.connector(), rule.name(), IncidentState.OPEN,
            null, 0, o.cause(), o.trace(), at, at, null, RemediationPolicy.nextAttemptAt(rule.retry(), fresh, at),
            Incident.REMEDIATE, null, null, null);
        String how = o.summary() + (fresh.attempts() > 0 ? "; " + fresh.attempts()
            + " earlier attempt(s) count toward the budget of " + rule.retry().maxAttempts() : "");
        Optional<Incident> opened = JdbcIncidents.insertOpen(c, draft,
            RemediationPolicy.ladder(rule, o.incidentId(), at), new IncidentEvent(at, "opened", how));
        if (opened.isPresent()) {
          return opened(c, o, opened.get(), budget, fresh);
        }
        // another replica opened one since the first look (the insert waited for its commit): join it
        open = JdbcIncidents.selectOpen(c, t.cluster(), t.connector());
      }
      String joined = open.map(Incident::id).orElse(null);
      if (joined != null) {
        JdbcIncidents.link(c, joined, o.fingerprint(), o.alertname(), "firing", at);
      }
      JdbcAlertLog.markProcessed(c, o.eventId(), at, "joined", joined);
      return new OpenOutcome(false, open.orElse(null), null, Optional.empty(), null);
    });
  }

  @Override
  public OpenOutcome openOnRequest(Opening o, io.runbookd.model.AlertEvent request) {
    Objects.requireNonNull(o, "opening");
    Objects.requireNonNull(request, "request");
    ConnectorTarget t = o.target();
    Rule rule = o.rule();
    Instant at = o.at();
    return jdbc.write("openOnRequest", c -> {
      Optional<Incident> open = JdbcIncidents.selectOpen(c, t.cluster(), t.connector());
      if (open.isPresent()) {
        return new OpenOutcome(false, open.get(), null, Optional.empty(), null);
      }
      long eventId = JdbcAlertLog.insert(c, request);
      Opening recorded = new Opening(eventId, o.fingerprint(), o.alertname(), o.incidentId(), t, rule, o.cause(),
          o.trace(), o.summary(), o.storm(), at);
      Budget budget = JdbcBudgets.select(c, t.cluster(), t.connector(), rule.name());
      Budget fresh = RemediationPolicy.onIncidentOpened(rule.retry(), budget, at);
      Incident draft = new Incident(o.incidentId(), t.cluster(), t.connector(), rule.name(), IncidentState.OPEN,
          null, 0, o.cause(), o.trace(), at, at, null, RemediationPolicy.nextAttemptAt(rule.retry(), fresh, at),
          Incident.REQUESTED, null, null, null);
      Optional<Incident> opened = JdbcIncidents.insertOpen(c, draft,
          RemediationPolicy.ladder(rule, o.incidentId(), at), new IncidentEvent(at, "opened", o.summary()));
      if (opened.isEmpty()) {
        // another replica opened one since the first look: the request is not run
        JdbcAlertLog.markProcessed(c, eventId, at, "ignored", null);
        return new OpenOutcome(false, JdbcIncidents.selectOpen(c, t.cluster(), t.connector()).orElse(null), null,
            Optional.empty(), null);
      }
      return opened(c, recorded, opened.get(), budget, fresh);
    });
  }

  /** The rest of an opening once the incident row is in: budget, link, processed mark, storm detection. */
  private OpenOutcome opened(Connection c, Opening o, Incident incident, Budget before, Budget fresh)
      throws SQLException {
    if (!fresh.equals(before)) {
      JdbcBudgets.save(c, fresh);
    }
    JdbcIncidents.link(c, incident.id(), o.fingerprint(), o.alertname(), "firing", o.at());
    JdbcAlertLog.markProcessed(c, o.eventId(), o.at(), "opened", incident.id());
    if (!o.storm().enabled()) {
      return new OpenOutcome(true, incident, fresh, Optional.empty(), null);
    }
    return Jdbc.savepoint(c, "storm_detection",
        cs -> new OpenOutcome(true, incident, fresh, guards.noteFailure(cs, incident.cluster(), o.at(), o.storm()),
            null),
        e -> new OpenOutcome(true, incident, fresh, Optional.empty(), String.valueOf(e.getMessage())));
  }

  @Override
  public Optional<Incident> joinFromAlert(Joining j) {
    Objects.requireNonNull(j, "joining");
    return jdbc.write("joinFromAlert", c -> {
      for (ConnectorTarget t : j.targets()) {
        Optional<Incident> open = JdbcIncidents.selectOpen(c, t.cluster(), t.connector());
        if (open.isPresent()) {
          String id = open.get().id();
          boolean known = JdbcIncidents.selectOpenByFingerprint(c, j.fingerprint())
              .map(i -> i.id().equals(id)).orElse(false);
          JdbcIncidents.link(c, id, j.fingerprint(), j.alertname(), "firing", j.at());
          if (!known) {
            JdbcIncidents.insertEvent(c, id, new IncidentEvent(j.at(), "alert_joined", j.message()));
          }
          JdbcAlertLog.markProcessed(c, j.eventId(), j.at(), "joined", id);
          return open;
        }
      }
      return Optional.<Incident>empty();
    });
  }

  @Override
  public Optional<Incident> resolveFromAlert(Resolving r) {
    Objects.requireNonNull(r, "resolving");
    return jdbc.write("resolveFromAlert", c -> {
      Optional<Incident> inc = JdbcIncidents.selectOpenByFingerprint(c, r.fingerprint());
      if (inc.isEmpty()) {
        JdbcAlertLog.markProcessed(c, r.eventId(), r.at(), "ignored", null);
        return inc;
      }
      String id = inc.get().id();
      JdbcIncidents.link(c, id, r.fingerprint(), r.alertname(), "resolved", r.at());
      JdbcIncidents.noteResolved(c, id, r.at(), r.verifyAt());
      JdbcIncidents.insertEvent(c, id, new IncidentEvent(r.at(), "alert_resolved", r.message()));
      JdbcAlertLog.markProcessed(c, r.eventId(), r.at(), "resolved", id);
      return inc;
    });
  }

  @Override
  public Closure closeIncident(Closing k) {
    Objects.requireNonNull(k, "closing");
    Incident closed = k.closed();
    JdbcIncidents.requireConsistent(closed);
    Instant at = closed.closedAt();
    return jdbc.write("closeIncident", c -> {
      if (!JdbcIncidents.update(c, closed, k.expectedOwner())) {
        return new Closure(false, false);
      }
      WaitRows.replace(c, closed.id(), null);
      boolean cancelled = JdbcApprovals.cancelPending(c, closed.id(), "the incident closed: " + k.reason(), at);
      JdbcEscalations.cancelPending(c, closed.id(), at);
      Budget current = JdbcBudgets.select(c, closed.cluster(), closed.connector(), closed.rule());
      JdbcBudgets.save(c, Objects.requireNonNull(k.budget().apply(current, at), "budget function result"));
      JdbcIncidents.insertEvent(c, closed.id(), new IncidentEvent(at, "closed", k.reason()));
      return new Closure(true, cancelled);
    });
  }
}
