package io.runbookd.store;

import io.runbookd.model.Approval;
import java.time.Instant;
import java.util.List;

/**
 * Approvals of remediation attempts that reached a gate.
 *
 * <p>Every method is <b>blocking</b> JDBC and must be called from a worker thread, never from an
 * event loop. Every method either commits completely, in one transaction, or throws
 * {@link StoreException} and changes nothing. A part of {@link Store}.
 */
public interface ApprovalStore {

  /**
   * Records a pending approval: the attempt reached a gate. Idempotent on (incident, attempt, gate):
   * an existing row is returned unchanged.
   *
   * @return the stored approval
   * @throws StoreException when another approval of the incident is pending, or the incident does not
   *     exist
   */
  Approval requestApproval(Approval request);

  /** Records that the notifier accepted the approval request (the first time is kept). */
  void markApprovalNotified(String incidentId, int attempt, int gate, Instant at);

  /** The approvals of an incident, oldest first. */
  List<Approval> approvals(String incidentId);

  /**
   * Decides the incident's pending approval, once: the first decision recorded wins. A {@code human}
   * decision must come before {@code expiresAt} ({@code EXPIRED} otherwise), a {@code ttl} decision at
   * or after it ({@code NOT_EXPIRED} otherwise), a {@code runbookd} one (cancellation) at any time. A
   * human or TTL decision on an incident in AWAITING_APPROVAL also makes the incident due at {@code at},
   * so the engine acts on it at its next tick.
   *
   * @param via {@code human}, {@code ttl} or {@code runbookd}
   * @param by who decided (the API principal, or {@code runbookd})
   * @param comment may be null
   */
  Approval.Outcome decideApproval(String incidentId, Approval.Decision decision, String via, String by, String comment,
      Instant at);
}
