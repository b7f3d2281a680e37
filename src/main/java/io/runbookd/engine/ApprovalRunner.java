package io.runbookd.engine;

import io.runbookd.engine.IncidentWriter.Lease;
import io.runbookd.model.Approval;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.IncidentState;
import io.runbookd.notify.Notification;
import io.runbookd.policy.AttemptPlan;
import io.runbookd.policy.RemediationDecider;
import io.runbookd.rules.Durations;
import io.runbookd.rules.Rule;
import io.runbookd.rules.Step;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Approval gates: stores the request with exactly what will be done, tells the approver, leaves the
 * incident waiting in AWAITING_APPROVAL (a stored deadline: the TTL, or a sooner re-send while the request
 * is undelivered), and applies the decision (a human's, or the rule's default at the TTL).
 */
final class ApprovalRunner {
  private static final Logger LOG = LoggerFactory.getLogger(ApprovalRunner.class);

  private final EngineDeps deps;
  private final IncidentWriter writer;
  private final SegmentRunner segments;
  private final ClusterGuard guard;
  /** Approval requests whose delivery failure is in the timeline already (once is enough). */
  private final Set<String> undelivered = ConcurrentHashMap.newKeySet();

  ApprovalRunner(EngineDeps deps, IncidentWriter writer, SegmentRunner segments, ClusterGuard guard) {
    this.deps = deps;
    this.writer = writer;
    this.segments = segments;
    this.guard = guard;
  }

  /** A new attempt starts at the rule's gate before its first step: the attempt is counted as started. */
  Future<Void> beforeSteps(Lease lease, Rule rule, int attempt, String statusText) {
    Incident inc = lease.incident();
    Incident started = inc.withAttempts(attempt, deps.now());
    return writer.save(started, inc)
        .compose(v -> writer.event(started, "attempt", "attempt " + attempt + " of " + rule.retry().maxAttempts()
            + statusText + ": " + SegmentRunner.plan(rule, 0) + "; approval first: "
            + AttemptPlan.why(rule, Approval.BEFORE_STEPS)))
        .compose(v -> gate(lease, rule, attempt, Approval.BEFORE_STEPS));
  }

  /**
   * The attempt reached a gate: the request (with exactly what will be done) is stored, the incident
   * waits in AWAITING_APPROVAL, and the approver is notified with the incident id.
   */
  Future<Void> gate(Lease lease, Rule rule, int attempt, int gateIndex) {
    Step.Approve gate = gateIndex == Approval.BEFORE_STEPS ? rule.gateBeforeSteps().orElseThrow()
        : (Step.Approve) rule.steps().get(gateIndex);
    Incident inc = lease.incident();
    return previews(lease, rule, gateIndex).compose(previews -> {
    Instant now = deps.now();
    Approval request = Approval.request(inc.id(), attempt, gateIndex, now, gate.ttl(), gate.defaultApprove(),
        gate.notifier(), AttemptPlan.planJson(rule, gateIndex, previews), AttemptPlan.why(rule, gateIndex));
    return deps.blocking(() -> {
          for (Approval stale : deps.store().approvals(inc.id())) {
            if (stale.pending() && (stale.attempt() != attempt || stale.gate() != gateIndex)) {
              deps.store().decideApproval(inc.id(), Approval.Decision.CANCELLED, "runbookd", "runbookd",
                  "superseded by attempt " + attempt, now);
            }
          }
          return deps.store().requestApproval(request);
        })
        .compose(stored -> {
          Incident waiting = inc.withAttempts(attempt, now).withState(IncidentState.AWAITING_APPROVAL, now)
              .withNextAction(Incident.APPROVAL, AttemptPlan.recheckAt(stored, now, RemediationDecider.NOTIFY_RETRY), now);
          deps.metrics().remediation(rule.name(), "awaiting_approval", null);
          LOG.info("{} attempt={} gate={} notifier={} expires_at={} msg=\"awaiting approval\"", inc.context(), attempt,
              gateIndex, stored.notifier(), stored.expiresAt());
          return writer.save(waiting, inc)
              .compose(v -> writer.event(waiting, "awaiting_approval", "attempt " + attempt + " waits for approval ("
                  + stored.reason() + "); asked " + stored.notifier() + "; without a decision by " + stored.expiresAt()
                  + ": " + (stored.defaultApprove() ? "approve" : "reject") + "; approved, it runs "
                  + String.join(", ", AttemptPlan.approvedSteps(rule, gateIndex).stream()
                      .map(i -> rule.steps().get(i).type()).toList()) + ", then " + AttemptPlan.then(rule, gateIndex)))
              .compose(v -> waitForDecision(lease, rule, stored));
        });
    });
  }

  /** What the approved steps will do, read now (empty when the cluster is not configured). */
  private Future<java.util.Map<Integer, Object>> previews(Lease lease, Rule rule, int gateIndex) {
    Incident inc = lease.incident();
    Optional<io.runbookd.connect.ConnectApi> api = deps.clusters().get(inc.cluster());
    if (api.isEmpty()) {
      return Future.succeededFuture(java.util.Map.of());
    }
    return lease.alertContext().compose(ctx -> new StepPreviews(deps).previews(rule, gateIndex,
        new StepExecutor.Target(inc, api.get(), ctx.labels(), ctx.annotations(),
            deps.kafka().forConnectCluster(inc.cluster()))));
  }

  /**
   * Makes sure the approver was told, then leaves the incident waiting (lease released) until the
   * decision or the TTL. A decision that arrived meanwhile is applied at once.
   */
  Future<Void> waitForDecision(Lease lease, Rule rule, Approval approval) {
    Incident inc = lease.incident();
    Future<Approval> told = approval.notifiedAt() != null ? Future.succeededFuture(approval)
        : notifyApprover(inc, rule, approval);
    return told.compose(a -> {
      Instant now = deps.now();
      Incident waiting = inc.withState(IncidentState.AWAITING_APPROVAL, now)
          .withNextAction(Incident.APPROVAL, AttemptPlan.recheckAt(a, now, RemediationDecider.NOTIFY_RETRY), now);
      return writer.save(waiting, inc)
          .compose(v -> deps.blocking(() -> deps.store().approvals(inc.id())))
          .compose(list -> {
            Optional<Approval> latest = list.stream().filter(x -> x.attempt() == a.attempt() && x.gate() == a.gate()).findFirst();
            if (latest.isPresent() && !latest.get().pending()) {
              return decided(lease, rule, latest.get());
            }
            Instant t = deps.now();
            return writer.save(waiting.released(t), waiting);
          });
    });
  }

  private Future<Approval> notifyApprover(Incident inc, Rule rule, Approval a) {
    Notification n = new Notification("approval", "warning", AttemptPlan.message(inc, rule, a), inc.id(), inc.rule(),
        inc.cluster(), inc.connector(), inc.cause(), inc.id() + "/approval/" + a.attempt() + "/" + a.gate())
        .withPlan(a.plan());
    return deps.notifiers().send(a.notifier(), n)
        .onComplete(ar -> deps.metrics().notification(a.notifier(), ar.succeeded()))
        .compose(v -> deps.blocking(() -> {
          Instant at = deps.now();
          deps.store().markApprovalNotified(inc.id(), a.attempt(), a.gate(), at);
          deps.store().addEvent(inc.id(), new IncidentEvent(at, "approval_requested", "approval request sent to "
              + a.notifier() + " (POST /api/v1/incidents/" + inc.id() + "/approve or /reject)"));
          return new Approval(a.incidentId(), a.attempt(), a.gate(), a.requestedAt(), a.expiresAt(), a.defaultApprove(),
              a.notifier(), a.plan(), a.reason(), at, a.decision(), a.decidedVia(), a.decidedBy(), a.decidedAt(),
              a.comment());
        }))
        .recover(err -> {
          LOG.warn("{} notifier={} msg=\"approval request not delivered, retrying in {}: {}\"", inc.context(),
              a.notifier(), Durations.format(RemediationDecider.NOTIFY_RETRY), err.getMessage());
          if (!undelivered.add(inc.id() + "/" + a.attempt() + "/" + a.gate())) {
            return Future.succeededFuture(a);
          }
          return writer.event(inc, "approval_request_failed", "approval request to " + a.notifier() + " not delivered ("
              + err.getMessage() + "); retrying every " + Durations.format(RemediationDecider.NOTIFY_RETRY)).map(a);
        });
  }

  /** No decision came within the TTL: the rule's default decides (a human decision just before it stands). */
  Future<Void> applyTtl(Lease lease, Rule rule, Approval a) {
    Incident inc = lease.incident();
    Instant now = deps.now();
    Approval.Decision d = a.defaultApprove() ? Approval.Decision.APPROVED : Approval.Decision.REJECTED;
    return deps.blocking(() -> deps.store().decideApproval(inc.id(), d, "ttl", "runbookd",
            "no decision within the TTL; the rule's default applies", now))
        .compose(out -> switch (out.status()) {
          case DECIDED -> decided(lease, rule, out.approval());
          // a human decided a moment before the TTL: that decision stands
          case NOT_PENDING -> out.approval() == null ? writer.park(lease, "the approval disappeared")
              : decided(lease, rule, out.approval());
          default -> writer.park(lease, "the approval's TTL could not be applied (" + out.status() + ")");
        });
  }

  /** Applies a recorded decision: approved continues the attempt after its gate; rejected ends automation. */
  Future<Void> decided(Lease lease, Rule rule, Approval a) {
    Incident inc = lease.incident();
    deps.metrics().approval(rule.name(), a.decision().label(), a.decidedVia());
    String who = "ttl".equals(a.decidedVia()) ? "the TTL default (no decision by " + a.expiresAt() + ")" : a.decidedBy();
    String note = a.comment() == null || "ttl".equals(a.decidedVia()) ? "" : ": " + a.comment();
    if (a.decision() == Approval.Decision.APPROVED) {
      LOG.info("{} attempt={} gate={} by={} via={} msg=\"approved\"", inc.context(), a.attempt(), a.gate(), a.decidedBy(),
          a.decidedVia());
      return writer.event(inc, "approved", "approved by " + who + note)
          .compose(v -> segments.segment(lease, rule, deps.clusters().get(inc.cluster()).orElseThrow(), a.attempt(),
              a.resumeAt(), null));
    }
    Instant now = deps.now();
    Incident escalated = inc.withState(IncidentState.ESCALATED, now).withNextAction(null, null, now).released(now);
    deps.metrics().remediation(rule.name(), "escalated", null);
    boolean human = "human".equals(a.decidedVia());
    LOG.warn("{} attempt={} gate={} by={} via={} msg=\"{}; no further automatic action\"", inc.context(), a.attempt(),
        a.gate(), a.decidedBy(), a.decidedVia(), a.decision().label());
    guard.forget(inc.id());
    return writer.save(escalated, inc)
        .compose(v -> human ? deps.blocking(() -> {
          deps.store().cancelEscalations(inc.id(), now);
          return null;
        }) : Future.succeededFuture())
        .compose(v -> writer.event(escalated, a.decision() == Approval.Decision.REJECTED ? "rejected" : "approval_cancelled",
            a.decision().label() + " by " + who + note + "; no further automatic action"
                + (human ? "; pending escalations cancelled (a human has it)" : "; the escalation ladder continues")));
  }
}
