package io.runbookd.engine;

/**
 * What became of an {@link ActionRequest}.
 *
 * @param status {@link Status#OPENED}: an incident was opened and the engine runs the rule;
 *     {@link Status#CONFLICT}: the connector already has an open incident ({@code incidentId}), nothing was
 *     done; {@link Status#INVALID}: unknown rule or cluster ({@code reason} says which), nothing was done
 * @param incidentId the incident opened, or the open one in the way; null when invalid
 * @param reason why it was not run; null when opened
 * @param connector the connector the incident is on (for a pipeline: its first connector); null when not
 *     opened
 */
public record ActionOutcome(Status status, String incidentId, String reason, String connector) {
  public ActionOutcome(Status status, String incidentId, String reason) {
    this(status, incidentId, reason, null);
  }

  /** See {@link ActionOutcome#status()}. */
  public enum Status { OPENED, CONFLICT, INVALID }
}
