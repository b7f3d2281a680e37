package io.runbookd.engine;

import java.util.Objects;

/**
 * An operator's request to run a runbook on a connector as if an alert had fired
 * ({@code POST /api/v1/actions}): the rule's guards (budget, cluster storm and blast radius), its
 * approvals and its record apply.
 *
 * <p>The target is one connector of a configured Connect cluster, or a pipeline of runbookd.yaml
 * ({@code pipelines}): then the incident is opened on the pipeline's first connector (its source) with the
 * alert label {@code pipeline}, and the built-in steps act on every connector of it in the runbook's order
 * ({@code operator.pipeline.<step>}: pause and stop the source first, resume the sink first). One incident,
 * one record, one set of guards for the whole pipeline.
 *
 * @param cluster a Connect cluster of {@code connect_clusters}
 * @param connector the connector's name in that cluster; null when {@code pipeline} is given
 * @param rule the name of a loaded rule; null when {@code step} is given
 * @param step a single step of {@link OperatorSteps#STEPS} ({@code pause}, {@code resume}, {@code stop},
 *     {@code restart}, {@code dlq_replay}) run as the built-in one-step rule {@code operator.<step>}; null when {@code rule} is
 *     given
 * @param comment why, for the record; may be null
 * @param requestedBy the operator (the request's principal, or {@code anonymous} when operators have no
 *     credentials)
 * @param pipeline a pipeline of runbookd.yaml instead of {@code connector}; null otherwise
 */
public record ActionRequest(String cluster, String connector, String rule, String step, String comment,
    String requestedBy, String pipeline) {
  public ActionRequest {
    Objects.requireNonNull(cluster, "cluster");
    if ((connector == null) == (pipeline == null)) {
      throw new IllegalArgumentException("give either a connector or a pipeline");
    }
    if ((rule == null) == (step == null)) {
      throw new IllegalArgumentException("give either a rule or a step");
    }
    Objects.requireNonNull(requestedBy, "requestedBy");
  }

  /** A request on one connector. */
  public ActionRequest(String cluster, String connector, String rule, String step, String comment,
      String requestedBy) {
    this(cluster, connector, rule, step, comment, requestedBy, null);
  }
}
