package io.runbookd.engine;

import io.runbookd.alert.WebhookMessage;
import io.runbookd.model.AlertEvent;
import io.runbookd.model.Approval;
import io.runbookd.model.RetryOutcome;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentQuery;
import io.runbookd.rules.RuleLoadException;
import io.runbookd.rules.RuleSet;
import io.runbookd.store.Store;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * What the HTTP API may ask of the daemon. The REST handlers are thin wrappers around it, as Kafka
 * Connect's REST resources are around its {@code Herder}
 * (https://kafka.apache.org/documentation/#connect_rest): they parse and render, and this interface
 * does the rest.
 *
 * <p>Every method returns at once and never blocks the caller's event loop; its future completes on the
 * caller's Vert.x context. A future that needs the store fails with a {@link ServiceUnavailableException}
 * (the store's message, unchanged) when the store does not answer.
 */
public interface Operations {

  /**
   * Records the alerts of one Alertmanager webhook durably, stamped with the daemon's clock, then wakes
   * the engine. Remediation runs later, never inside this call.
   *
   * @param message the parsed webhook body
   * @return the alerts as stored (ids assigned), in the body's order, once committed; or
   *     {@link ServiceUnavailableException} when they could not be, in which case none was recorded
   */
  Future<List<AlertEvent>> recordWebhook(WebhookMessage message);

  /**
   * Readiness: the store answers and rules are loaded.
   *
   * @return succeeds when ready; fails with {@link ServiceUnavailableException} saying why not (the
   *     store's error, or {@code no rules loaded})
   */
  Future<Void> ready();

  /**
   * Incidents matching {@code query}, newest first.
   *
   * @return at most {@code query.limit()} incidents; or {@link ServiceUnavailableException}
   */
  Future<List<Incident>> incidents(IncidentQuery query);

  /**
   * One incident with its steps, escalations, approvals and timeline.
   *
   * @return empty when no incident has the id; or {@link ServiceUnavailableException}
   */
  Future<Optional<IncidentDetail>> incident(String incidentId);

  /**
   * A human's decision of the incident's pending approval gate, recorded via {@code human} at the
   * daemon's clock; the first decision wins. On {@link Approval.Outcome.Status#DECIDED} the engine is
   * woken to act on it.
   *
   * @param decision {@link Approval.Decision#APPROVED} or {@link Approval.Decision#REJECTED}
   * @param principal who decided (the request's principal, or {@code anonymous})
   * @param comment the decider's comment, or null
   * @return the store's outcome (decided, no incident, expired, nothing pending); or
   *     {@link ServiceUnavailableException}
   */
  Future<Approval.Outcome> decideApproval(String incidentId, Approval.Decision decision, String principal,
      String comment);

  /**
   * "Fixed — retry": someone fixed the cause outside runbookd and asks it to run the rule's recovery once
   * now: restart the failed tasks and verify (the rule's {@code verify}), outside the attempt budget. A
   * verified recovery closes the incident and cancels its pending escalations; a failed one leaves it as it
   * was (with people). Recorded in the timeline with {@code principal} and {@code comment}, at the daemon's
   * clock; the engine is woken to act on it (a stored deadline, no held thread).
   *
   * @param principal who asked (the request's principal)
   * @param comment why, or null
   * @return {@link RetryOutcome.Status#ACCEPTED}, {@code NO_INCIDENT}, {@code CLOSED} or {@code BUSY}; or
   *     {@link ServiceUnavailableException}
   */
  Future<RetryOutcome> retry(String incidentId, String principal, String comment);

  /** The rule set in force; never fails. */
  Future<RuleSet> rules();

  /**
   * Reloads the rules from their files; a failure keeps the last good rules, and is logged (every
   * error with its file and line) and counted in {@code runbookd_rules_reload_total{outcome="failure"}}.
   *
   * @param trigger why, for the log line: {@code sighup}, {@code api}
   * @return the new rule set; or a {@link RuleLoadException} with every error found
   */
  Future<RuleSet> reloadRules(String trigger);

  /**
   * Which rule each alert of a webhook body matches and why, as {@code runbookd explain} shows it;
   * records and changes nothing.
   *
   * @param message the parsed webhook body
   * @param statusJson the connector status to check trace patterns against, as a saved
   *     {@code GET /connectors/{name}/status} body, used for every alert's target; when null, a rule
   *     with a trace pattern cannot match and says so ({@code no status for the connector})
   * @return one explanation per alert, in the body's order, against the rules in force; fails with
   *     {@link IllegalArgumentException} (saying what is wrong) when {@code statusJson} is not a
   *     connector status
   */
  Future<List<AlertExplanation>> explain(WebhookMessage message, String statusJson);

  /**
   * The guards of every configured Connect cluster now: limits, storm, and open incidents by state.
   *
   * @return one entry per cluster, in name order; or {@link ServiceUnavailableException}
   */
  Future<List<ClusterGuardState>> guardState();

  /**
   * Runs a rule on a connector on an operator's request, as if an alert had fired: in one store
   * transaction the request is recorded (an alert event {@code RunbookdOperatorAction} with the
   * operator's name, already processed) and an incident opened with the rule, its budget and escalation
   * ladder, and an {@code opened} timeline event naming the operator; then the engine is woken. The rule's
   * guards and approvals apply as for an alert. Nothing is done when the rule is not loaded, the cluster
   * is not configured, or the connector already has an open incident.
   *
   * @return the outcome ({@link ActionOutcome}); or {@link ServiceUnavailableException}
   */
  Future<ActionOutcome> requestAction(ActionRequest request);

  /**
   * The daemon's operations over its parts.
   *
   * @param vertx runs the blocking store and file calls on its workers, and carries the engine's wake-up
   * @param store where alerts, incidents and approvals are
   * @param rules the rule set in force
   * @param clock stamps received alerts and decisions
   */
  static Operations create(Vertx vertx, Store store, ActiveRules rules, Clock clock) {
    return new DaemonOperations(vertx, store, rules, clock);
  }

  /**
   * As {@link #create(Vertx, Store, ActiveRules, Clock)}, with the guards of the configured clusters
   * for {@link #guardState()}.
   *
   * @param guards the resolved limits per cluster
   * @param clusters the names of the configured Connect clusters
   */
  static Operations create(Vertx vertx, Store store, ActiveRules rules, Clock clock, Guards guards,
      java.util.Set<String> clusters) {
    return new DaemonOperations(vertx, store, rules, clock, guards, clusters);
  }

  /** As above, with the pipelines of runbookd.yaml that operators' requests may name. */
  static Operations create(Vertx vertx, Store store, ActiveRules rules, Clock clock, Guards guards,
      java.util.Set<String> clusters, io.runbookd.policy.Pipelines pipelines) {
    return new DaemonOperations(vertx, store, rules, clock, guards, clusters, pipelines);
  }
}
