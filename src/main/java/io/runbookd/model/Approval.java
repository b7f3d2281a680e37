package io.runbookd.model;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * A request for a human decision at an approval gate of one attempt, stored with the incident. At most
 * one approval of an incident is pending at a time.
 *
 * @param incidentId the incident
 * @param attempt the attempt it gates (the incident's attempt number)
 * @param gate {@link #BEFORE_STEPS} for the gate before the first step, else the index of the rule's
 *     {@code approve} step
 * @param requestedAt when the gate was reached
 * @param expiresAt when {@code defaultApprove} decides if no one did: {@code requestedAt + ttl}
 * @param defaultApprove the decision at {@code expiresAt}: approve (true) or reject (false)
 * @param notifier who is asked
 * @param plan exactly what will be done when approved, as JSON: {@code {"steps":[{"index","type","params"}],
 *     "verify":{...}}}
 * @param reason why approval is needed, for humans
 * @param notifiedAt when the notifier accepted the request, null until then
 * @param decision null while pending
 * @param decidedVia {@code human} (the API), {@code ttl} (the default applied), {@code runbookd}
 *     (cancelled: the incident closed first); null while pending
 * @param decidedBy the principal of the API call, or {@code runbookd}; null while pending
 * @param decidedAt when it was decided; null while pending
 * @param comment the decider's comment, may be null
 */
public record Approval(
    String incidentId,
    int attempt,
    int gate,
    Instant requestedAt,
    Instant expiresAt,
    boolean defaultApprove,
    String notifier,
    String plan,
    String reason,
    Instant notifiedAt,
    Decision decision,
    String decidedVia,
    String decidedBy,
    Instant decidedAt,
    String comment) {

  /** The {@link #gate} of the gate before an attempt's first step. */
  public static final int BEFORE_STEPS = -1;

  /** A decision. */
  public enum Decision {
    APPROVED,
    REJECTED,
    /** Nobody needs to decide any more: the incident closed while the gate waited. */
    CANCELLED;

    /** The stored and displayed form: {@code approved}, {@code rejected}, {@code cancelled}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@link #label()}. */
    public static Decision of(String label) {
      return valueOf(label.toUpperCase(Locale.ROOT));
    }
  }

  public Approval {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(requestedAt, "requestedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(notifier, "notifier");
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(reason, "reason");
  }

  /** A new pending request. */
  public static Approval request(String incidentId, int attempt, int gate, Instant at, java.time.Duration ttl,
      boolean defaultApprove, String notifier, String plan, String reason) {
    return new Approval(incidentId, attempt, gate, at, at.plus(ttl), defaultApprove, notifier, plan, reason, null,
        null, null, null, null, null);
  }

  /** True while no decision is recorded. */
  public boolean pending() {
    return decision == null;
  }

  /** The state for humans: {@code pending}, {@code approved}, {@code rejected} or {@code cancelled}. */
  public String state() {
    return decision == null ? "pending" : decision.label();
  }

  /** The step index the attempt continues at once approved. */
  public int resumeAt() {
    return gate + 1;
  }

  /**
   * The outcome of {@link io.runbookd.store.Store#decideApproval}.
   *
   * @param status what happened
   * @param approval the approval decided, or the latest one of the incident (for the other statuses);
   *     null when there is none
   */
  public record Outcome(Status status, Approval approval) {
    /** What {@code decideApproval} did. */
    public enum Status {
      /** Recorded. */
      DECIDED,
      /** No incident has the id. */
      NO_INCIDENT,
      /** The incident has no pending approval (never had one, or it was decided already). */
      NOT_PENDING,
      /** A human decision came at or after {@code expiresAt}: the rule default applies instead. */
      EXPIRED,
      /** A TTL decision was asked before {@code expiresAt}. */
      NOT_EXPIRED
    }
  }
}
