package io.runbookd.store;

import io.runbookd.model.Budget;
import io.runbookd.model.ClusterLimits;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentState;
import io.runbookd.model.Storm;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.Rule;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * Units of work: everything that processing one alert event, or closing one incident, writes, committed
 * in <b>one</b> transaction. Either all of it is written or nothing is (a {@link StoreException} is
 * thrown and the alert event stays unprocessed, so it is processed again).
 *
 * <p>The alert units mark their alert event processed (as {@link AlertLog#markAlertProcessed} does: the
 * first outcome is kept) in the same transaction as the incident changes, so an alert is never applied
 * twice nor lost. The outcomes that change no incident ({@code unmatched}, {@code healthy},
 * {@code ignored}, {@code error}) need only {@link AlertLog#markAlertProcessed}.
 *
 * <p>Timeline event kinds written: {@code opened}, {@code alert_joined}, {@code alert_resolved},
 * {@code closed}. Blocking JDBC: call from a worker thread, never from an event loop, and never hold a
 * network call (such as a Connect status read) open across them.
 */
public interface UnitsOfWork {

  /**
   * A firing alert that a rule matched on a failing connector, to open an incident for.
   *
   * @param eventId the alert event, marked processed ({@code opened} or {@code joined})
   * @param fingerprint the alert's fingerprint, linked to the incident
   * @param alertname the alert's name
   * @param incidentId the id of the new incident (unused when an open one is joined)
   * @param target the connector
   * @param rule the matched rule: its name, its retry policy (which decides the budget and the first
   *     action time: {@link io.runbookd.policy.RemediationPolicy#onIncidentOpened},
   *     {@link io.runbookd.policy.RemediationPolicy#nextAttemptAt}) and its escalation ladder
   *     ({@link io.runbookd.policy.RemediationPolicy#ladder})
   * @param cause the cause line, may be null
   * @param trace the trace seen, may be null
   * @param summary the {@code opened} timeline message; when the budget has earlier attempts the store
   *     appends {@code "; <n> earlier attempt(s) count toward the budget of <max>"}
   * @param storm the cluster's storm detection; when not {@link ClusterLimits.StormSettings#enabled()},
   *     no storm is looked at
   * @param at now: the opening, the link, the timeline and the processing time
   */
  record Opening(long eventId, String fingerprint, String alertname, String incidentId, ConnectorTarget target,
      Rule rule, String cause, String trace, String summary, ClusterLimits.StormSettings storm, Instant at) {
    public Opening {
      Objects.requireNonNull(fingerprint, "fingerprint");
      Objects.requireNonNull(alertname, "alertname");
      Objects.requireNonNull(incidentId, "incidentId");
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(rule, "rule");
      Objects.requireNonNull(summary, "summary");
      Objects.requireNonNull(storm, "storm");
      Objects.requireNonNull(at, "at");
    }
  }

  /**
   * What {@link #openFromAlert} did.
   *
   * @param opened true when a new incident was opened; false when the alert joined the incident that
   *     was already open for the connector (another replica or an earlier event opened it first)
   * @param incident the new incident, or the open incident joined; null only when joined and the
   *     competing incident was closed again meanwhile
   * @param budget the budget the new incident counts against (null when joined)
   * @param storm the failure storm this opening started, if it started one
   * @param stormFailure why storm detection failed, or null: its writes were undone, the opening stands
   *     (the next failure of the cluster re-evaluates the storm)
   */
  record OpenOutcome(boolean opened, Incident incident, Budget budget, Optional<Storm> storm, String stormFailure) {
    public OpenOutcome {
      Objects.requireNonNull(storm, "storm");
    }
  }

  /**
   * A firing alert, to join the open incident of one of its targets.
   *
   * @param eventId the alert event, marked processed {@code joined} when an incident is joined
   * @param fingerprint the alert's fingerprint, linked to the incident
   * @param alertname the alert's name
   * @param targets the connectors the alert's rules point at, in rule order; the first with an open
   *     incident is joined
   * @param message the {@code alert_joined} timeline message, written only when the fingerprint was not
   *     already linked to that incident
   * @param at now
   */
  record Joining(long eventId, String fingerprint, String alertname, List<ConnectorTarget> targets, String message,
      Instant at) {
    public Joining {
      Objects.requireNonNull(fingerprint, "fingerprint");
      Objects.requireNonNull(alertname, "alertname");
      targets = List.copyOf(targets);
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(at, "at");
    }
  }

  /**
   * A resolved alert.
   *
   * @param eventId the alert event, marked processed ({@code resolved} or {@code ignored})
   * @param fingerprint the alert's fingerprint
   * @param alertname the alert's name
   * @param message the {@code alert_resolved} timeline message
   * @param at now: the resolve time noted on the incident
   * @param verifyAt when to verify the connector (see {@link IncidentStore#noteAlertResolved}), may be
   *     null
   */
  record Resolving(long eventId, String fingerprint, String alertname, String message, Instant at, Instant verifyAt) {
    public Resolving {
      Objects.requireNonNull(fingerprint, "fingerprint");
      Objects.requireNonNull(alertname, "alertname");
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(at, "at");
    }
  }

  /**
   * The closing of an incident by the replica that holds its lease.
   *
   * @param closed the incident as it must be stored: state CLOSED, {@code closedAt} set (the time of the
   *     cancellations and of the timeline event)
   * @param expectedOwner the lease owner the row must still have (as {@link IncidentStore#updateIncident})
   * @param reason why it closed: the {@code closed} timeline message; a pending approval is cancelled
   *     with the comment {@code "the incident closed: " + reason}
   * @param budget the incident's new budget as a pure function of the current one and {@code closedAt},
   *     e.g. {@code RemediationPolicy::afterRecovery}
   */
  record Closing(Incident closed, String expectedOwner, String reason, BiFunction<Budget, Instant, Budget> budget) {
    public Closing {
      Objects.requireNonNull(closed, "closed");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(budget, "budget");
      if (closed.state() != IncidentState.CLOSED || closed.closedAt() == null) {
        throw new IllegalArgumentException(closed.context() + ": Closing needs a CLOSED incident with closedAt");
      }
    }
  }

  /**
   * What {@link #closeIncident} did.
   *
   * @param written false when {@code expectedOwner} had lost the lease: nothing was written
   * @param approvalCancelled true when a pending approval was cancelled
   */
  record Closure(boolean written, boolean approvalCancelled) {}

  /**
   * In one transaction: joins the open incident of {@code opening.target()} if there is one (link the
   * alert, mark the event {@code joined}), or else opens a new OPEN incident with its budget (updated per
   * {@link io.runbookd.policy.RemediationPolicy#onIncidentOpened} and stored when it changed), its first
   * action ({@code remediate} at {@link io.runbookd.policy.RemediationPolicy#nextAttemptAt}), its
   * escalation ladder and its {@code opened} timeline event; links the alert; notes the failure of the
   * cluster for storm detection (as {@link ClusterGuardStore#noteClusterFailure}, serialized per cluster);
   * and marks the event {@code opened}.
   *
   * @throws StoreException when the transaction failed (nothing written)
   */
  OpenOutcome openFromAlert(Opening opening);

  /**
   * An operator's request to run a rule on a connector ({@code POST /api/v1/actions}), in one transaction:
   * when the connector has an open incident, nothing is written and the outcome is not opened (with that
   * incident); otherwise {@code request} is recorded as an alert event already processed ({@code opened})
   * and the incident is opened as {@link #openFromAlert} opens one ({@code opening.eventId()} is ignored),
   * without counting as a failure of the cluster (no storm detection).
   *
   * @throws StoreException when the transaction failed (nothing written)
   */
  OpenOutcome openOnRequest(Opening opening, io.runbookd.model.AlertEvent request);

  /**
   * In one transaction: finds the first target with an open incident and, if there is one, links the
   * alert to it, adds the {@code alert_joined} event (only for a fingerprint new to the incident) and
   * marks the event {@code joined}.
   *
   * @return the incident joined; empty when no target has an open incident (nothing written)
   */
  Optional<Incident> joinFromAlert(Joining joining);

  /**
   * In one transaction: finds the open incident the alert's fingerprint joined (as
   * {@link IncidentStore#findOpenByFingerprint}) and, if there is one, links the alert as resolved,
   * notes the resolve ({@link IncidentStore#noteAlertResolved}), adds the {@code alert_resolved} event and
   * marks the event {@code resolved}; otherwise marks the event {@code ignored}.
   *
   * @return the incident (as it was before the resolve), or empty when there was none
   */
  Optional<Incident> resolveFromAlert(Resolving resolving);

  /**
   * In one transaction: writes the CLOSED incident if {@code expectedOwner} still holds its lease (as
   * {@link IncidentStore#updateIncident}) and then cancels its pending approval if any (decision
   * CANCELLED, via and by {@code runbookd}), cancels its unfired escalations, replaces its budget, and
   * appends the {@code closed} timeline event.
   *
   * @throws StoreException when no incident has this id, or the transaction failed (nothing written)
   */
  Closure closeIncident(Closing closing);
}
