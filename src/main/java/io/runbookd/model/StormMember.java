package io.runbookd.model;

import java.time.Instant;
import java.util.Objects;

/**
 * An incident that opened during a failure storm (from the storm's window before its start to the end of
 * its hold), as the storm's "over" decision needs it.
 *
 * @param incidentId the incident
 * @param connector its connector
 * @param state its state now
 * @param lastAttemptAt end of the last attempt of its (cluster, connector, rule) budget, null if none
 */
public record StormMember(String incidentId, String connector, IncidentState state, Instant lastAttemptAt) {
  public StormMember {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(connector, "connector");
    Objects.requireNonNull(state, "state");
  }
}
