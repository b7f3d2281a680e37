package io.runbookd.model;

import java.time.Instant;
import java.util.Objects;

/**
 * One execution of one step of one attempt, recorded before the step acts and completed after.
 *
 * @param id store-assigned id (0 before it is stored)
 * @param incidentId the incident
 * @param attempt the attempt number within the incident (1-based)
 * @param index the step's position in the rule (0-based); -1 for the verification
 * @param type the step type (e.g. {@code restart}), or {@code verify}
 * @param params the step parameters as JSON
 * @param startedAt when it started
 * @param endedAt when it ended, null while running (or when the daemon died during it)
 * @param outcome {@code ok}, {@code failed}, {@code shadow}, {@code skipped}; null while running
 * @param error error text, null unless failed
 * @param before state before the step as JSON (e.g. old config values), may be null
 * @param after state after the step as JSON, may be null
 */
public record StepRun(
    long id,
    String incidentId,
    int attempt,
    int index,
    String type,
    String params,
    Instant startedAt,
    Instant endedAt,
    String outcome,
    String error,
    String before,
    String after) {

  public StepRun {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(startedAt, "startedAt");
  }

  /** The idempotency key {@code <incident>/<attempt>/<index>}: a step is started at most once. */
  public String idempotencyKey() {
    return incidentId + "/" + attempt + "/" + index;
  }
}
