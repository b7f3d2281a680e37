package io.runbookd.engine;

import io.runbookd.model.Approval;
import io.runbookd.model.Escalation;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.StepRun;
import java.util.List;
import java.util.Objects;

/**
 * One incident with everything recorded about it, as {@code GET /api/v1/incidents/{id}} shows it.
 *
 * @param incident the incident (with its trace)
 * @param steps every step run, by attempt then index
 * @param escalations its escalation levels, fired, due or cancelled
 * @param approvals its approval gates, pending or decided
 * @param timeline its events, oldest first
 */
public record IncidentDetail(Incident incident, List<StepRun> steps, List<Escalation> escalations,
    List<Approval> approvals, List<IncidentEvent> timeline) {

  public IncidentDetail {
    Objects.requireNonNull(incident, "incident");
    steps = List.copyOf(steps);
    escalations = List.copyOf(escalations);
    approvals = List.copyOf(approvals);
    timeline = List.copyOf(timeline);
  }
}
