package io.runbookd.model;

import java.time.Instant;
import java.util.Objects;

/**
 * What a "Fixed — retry" request did ({@code POST /api/v1/incidents/{id}/retry}): someone fixed the cause
 * (a password changed back on the database server, a table fixed, a poison record skipped) and asks
 * runbookd to run the rule's recovery once now: restart the failed tasks and verify, outside the attempt
 * budget. A verified recovery closes the incident and cancels its pending escalations.
 *
 * @param status what happened
 * @param incidentId the incident asked for
 * @param requestedBy who asked (the request's principal)
 * @param requestedAt when runbookd recorded the request (its clock)
 * @param comment why, as given; null when none
 */
public record RetryOutcome(Status status, String incidentId, String requestedBy, Instant requestedAt, String comment) {
  public RetryOutcome {
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(incidentId, "incidentId");
  }

  /** What the request did. */
  public enum Status {
    /** Recorded in the timeline; the retry is due now and runs on the engine's next round. */
    ACCEPTED,
    /** No incident has the id. */
    NO_INCIDENT,
    /** The incident is closed: there is nothing to retry. */
    CLOSED,
    /** runbookd holds the incident's lease right now (it is acting on it); nothing was recorded. Ask again. */
    BUSY
  }
}
