package io.runbookd.model;

import java.time.Instant;
import java.util.Objects;

/**
 * An Alertmanager silence a {@code silence} step created for an incident.
 *
 * @param incidentId the incident
 * @param alertmanager the {@code alertmanagers.<name>} it was created in
 * @param silenceId the id Alertmanager gave it
 * @param createdAt when it was created
 * @param endsAt its own end (the step's {@code duration} after creation)
 * @param expiredAt when runbookd expired it; null while it is not
 */
public record SilenceRef(String incidentId, String alertmanager, String silenceId, Instant createdAt, Instant endsAt,
    Instant expiredAt) {
  public SilenceRef {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(alertmanager, "alertmanager");
    Objects.requireNonNull(silenceId, "silenceId");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(endsAt, "endsAt");
  }
}
