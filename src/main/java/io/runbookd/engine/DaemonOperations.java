package io.runbookd.engine;

import io.runbookd.alert.WebhookMessage;
import io.runbookd.connect.ConnectApis;
import io.runbookd.model.AlertEvent;
import io.runbookd.model.Approval;
import io.runbookd.model.ClusterLimits;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentQuery;
import io.runbookd.model.IncidentState;
import io.runbookd.model.Storm;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.Rule;
import io.runbookd.rules.RuleEvaluator;
import io.runbookd.rules.RuleSet;
import io.runbookd.store.AlertRecorder;
import io.runbookd.store.Store;
import io.runbookd.store.UnitsOfWork;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
  private final Guards guards;
  private final java.util.SortedSet<String> clusters;

  private final io.runbookd.policy.Pipelines pipelines;

  DaemonOperations(Vertx vertx, Store store, ActiveRules rules, Clock clock) {
    this(vertx, store, rules, clock, Guards.defaults(), Set.of());
  }

  DaemonOperations(Vertx vertx, Store store, ActiveRules rules, Clock clock, Guards guards,
      Set<String> clusters) {
    this(vertx, store, rules, clock, guards, clusters, io.runbookd.policy.Pipelines.none());
  }

  DaemonOperations(Vertx vertx, Store store, ActiveRules rules, Clock clock, Guards guards,
      Set<String> clusters, io.runbookd.policy.Pipelines pipelines) {
    this.pipelines = Objects.requireNonNull(pipelines, "pipelines");
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.store = Objects.requireNonNull(store, "store");
    this.recorder = new AlertRecorder(vertx, store);
    this.rules = Objects.requireNonNull(rules, "rules");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.guards = Objects.requireNonNull(guards, "guards");
    this.clusters = new TreeSet<>(clusters);
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

  @Override
  public Future<List<AlertExplanation>> explain(WebhookMessage message, String statusJson) {
    Objects.requireNonNull(message, "message");
    Optional<ConnectorStatus> status;
    try {
      status = statusJson == null ? Optional.empty() : Optional.of(ConnectApis.parseStatus(statusJson));
    } catch (RuntimeException e) {
      return Future.failedFuture(new IllegalArgumentException("not a Connect connector status (GET"
          + " /connectors/{name}/status): " + e.getMessage(), e));
    }
    RuleSet set = rules.get();
    // Trace patterns are RE2/J (linear time) and the body is bounded by the listener: evaluating is
    // CPU-only and short, as on the alert path; still, keep it off the event loop.
    return vertx.executeBlocking(() -> {
      List<AlertExplanation> out = new ArrayList<>(message.alerts().size());
      for (WebhookMessage.Alert a : message.alerts()) {
        // The daemon's own evaluation (AlertPolicy), with the given status; no consumer group is read here.
        List<RuleEvaluator.Candidate> candidates = RuleEvaluator.candidates(set, a.labels(),
            a.annotations() == null ? Map.of() : a.annotations());
        Map<io.runbookd.rules.ConnectorTarget, io.runbookd.policy.AlertPolicy.Lookup> lookups = new java.util.HashMap<>();
        status.ifPresent(st -> candidates.forEach(c -> c.target().ifPresent(t ->
            lookups.put(t, new io.runbookd.policy.AlertPolicy.Lookup(st, null)))));
        out.add(new AlertExplanation(a, io.runbookd.policy.AlertPolicy.evaluate(candidates, lookups, Map.of())));
      }
      return out;
    }, false);
  }

  @Override
  public Future<List<ClusterGuardState>> guardState() {
    Instant now = clock.instant();
    return onStore(() -> {
      List<ClusterGuardState> out = new ArrayList<>(clusters.size());
      for (String c : clusters) {
        Optional<Storm> storm = store.currentStorm(c);
        List<Incident> open = store.list(new IncidentQuery(null, true, c, null, null, null,
            ClusterGuardState.COUNT_LIMIT, 0));
        int remediating = (int) open.stream().filter(i -> i.state() == IncidentState.REMEDIATING).count();
        int awaiting = (int) open.stream().filter(i -> i.state() == IncidentState.AWAITING_APPROVAL).count();
        out.add(new ClusterGuardState(c, guards.of(c), storm, storm.map(s -> s.activeAt(now)).orElse(false),
            open.size(), remediating, awaiting));
      }
      return out;
    });
  }

  /** Alert name of the event that records an operator's request. */
  static final String OPERATOR_ACTION = "RunbookdOperatorAction";

  @Override
  public Future<ActionOutcome> requestAction(ActionRequest request) {
    RuleSet set = rules.get();
    ActionRequest asked = request;
    if (asked.pipeline() != null) {
      ActionRequest r = asked;
      Optional<List<String>> members = pipelines.get(r.pipeline());
      if (members.isEmpty()) {
        return Future.succeededFuture(new ActionOutcome(ActionOutcome.Status.INVALID, null,
            "unknown pipeline \"" + r.pipeline() + "\" (configured: " + (pipelines.all().isEmpty() ? "none"
                : String.join(", ", pipelines.all().keySet())) + ")"));
      }
      if (r.step() != null && OperatorSteps.pipelineRule(r.step()).isEmpty()) {
        return Future.succeededFuture(new ActionOutcome(ActionOutcome.Status.INVALID, null,
            "unknown step \"" + r.step() + "\" for a pipeline (on a pipeline: "
                + String.join(", ", OperatorSteps.PIPELINE_STEPS) + "; anything else: name a rule)"));
      }
      // The incident is the pipeline's, opened on its first connector (the source).
      asked = new ActionRequest(r.cluster(), members.get().get(0), r.rule(), r.step(), r.comment(), r.requestedBy(),
          null);
    }
    ActionRequest r = asked;
    String pipeline = request.pipeline();
    if (pipeline == null && r.step() != null && OperatorSteps.rule(r.step()).isEmpty()) {
      return Future.succeededFuture(new ActionOutcome(ActionOutcome.Status.INVALID, null,
          "unknown step \"" + r.step() + "\" (single steps on demand: " + String.join(", ", OperatorSteps.STEPS)
              + "; anything else: name a rule)"));
    }
    Optional<Rule> rule = r.step() != null
        ? (pipeline != null ? OperatorSteps.pipelineRule(r.step()) : OperatorSteps.rule(r.step()))
        : set == null ? Optional.empty() : set.byName(r.rule());
    if (rule.isEmpty()) {
      return Future.succeededFuture(new ActionOutcome(ActionOutcome.Status.INVALID, null,
          "unknown rule \"" + r.rule() + "\" (loaded: " + (set == null ? "none"
              : String.join(", ", set.rules().stream().map(Rule::name).toList())) + ")"));
    }
    Set<String> clusters = rules.clusterNames();
    if (clusters != null && !clusters.contains(r.cluster())) {
      return Future.succeededFuture(new ActionOutcome(ActionOutcome.Status.INVALID, null,
          "unknown cluster \"" + r.cluster() + "\" (configured: " + String.join(", ", new TreeSet<>(clusters))
              + ")"));
    }
    Instant now = clock.instant();
    String id = AlertProcessor.newId(now);
    Map<String, String> labels = new TreeMap<>();
    labels.put("alertname", OPERATOR_ACTION);
    labels.put("connect_cluster", r.cluster());
    labels.put("connector", r.connector());
    labels.put("rule", rule.get().name());
    if (r.step() != null) {
      labels.put("runbookd_step", pipeline != null ? "pipeline." + r.step() : r.step());
    }
    if (pipeline != null) {
      labels.put("pipeline", pipeline);
    }
    labels.put("requested_by", r.requestedBy());
    Map<String, String> annotations = r.comment() == null ? Map.of()
        : Map.of("comment", r.comment());
    String fingerprint = "operator-" + id;
    AlertEvent event = new AlertEvent(0, now, fingerprint, "firing", now, null, labels, annotations, "api", null);
    Rule found = rule.get();
    String summary = "requested by " + r.requestedBy() + " via POST /api/v1/actions: "
        + (pipeline != null ? "on pipeline " + pipelines.describe(pipeline) + ": " : "")
        + (r.step() != null ? "run step " + r.step() + " (built-in rule " + found.name() + ")"
            : "run rule " + found.name() + " (" + found.source() + ")")
        + (r.comment() == null ? "" : ": " + r.comment());
    UnitsOfWork.Opening opening = new UnitsOfWork.Opening(0, fingerprint,
        OPERATOR_ACTION, id, new ConnectorTarget(r.cluster(), r.connector()), found,
        "operator action by " + r.requestedBy() + (r.comment() == null ? "" : ": " + r.comment()), null, summary,
        NO_STORM_DETECTION, now);
    return onStore(() -> store.openOnRequest(opening, event)).map(out -> {
      if (!out.opened()) {
        return new ActionOutcome(ActionOutcome.Status.CONFLICT,
            out.incident() == null ? null : out.incident().id(), "connector " + r.cluster() + "/" + r.connector()
                + " already has an open incident" + (out.incident() == null ? "" : " (" + out.incident().id() + ")"));
      }
      LOG_ACTIONS.info("{} requested_by={} msg=\"incident opened on request: {}\"", out.incident().context(),
          r.requestedBy(), summary.replace('"', '\''));
      wakeEngine();
      return new ActionOutcome(ActionOutcome.Status.OPENED, out.incident().id(), null, r.connector());
    });
  }

  /** An operator's request is not a failure of the cluster: it never counts toward a storm. */
  private static final ClusterLimits.StormSettings NO_STORM_DETECTION =
      new ClusterLimits.StormSettings(0, Duration.ofMinutes(1), null);
  private static final Logger LOG_ACTIONS = LoggerFactory.getLogger("io.runbookd.engine.Actions");

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
