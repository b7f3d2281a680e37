package io.runbookd.engine;

import java.util.Objects;

/**
 * An operator's request to run a runbook on a connector as if an alert had fired
 * ({@code POST /api/v1/actions}): the rule's guards (budget, cluster storm and blast radius), its
 * approvals and its record apply.
 *
 * <p>The target is one connector of a configured Connect cluster. A pipeline (a named group of
 * connectors, a later issue) will be a third kind of target here: {@code pipeline} instead of
 * {@code connector}, one incident per connector of it.
 *
 * @param cluster a Connect cluster of {@code connect_clusters}
 * @param connector the connector's name in that cluster
 * @param rule the name of a loaded rule; null when {@code step} is given
 * @param step a single step of {@link OperatorSteps#STEPS} ({@code pause}, {@code resume}, {@code stop},
 *     {@code restart}, {@code dlq_replay}) run as the built-in one-step rule {@code operator.<step>}; null when {@code rule} is
 *     given
 * @param comment why, for the record; may be null
 * @param requestedBy the operator (the request's principal, or {@code anonymous} when operators have no
 *     credentials)
 */
public record ActionRequest(String cluster, String connector, String rule, String step, String comment,
    String requestedBy) {
  public ActionRequest {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(connector, "connector");
    if ((rule == null) == (step == null)) {
      throw new IllegalArgumentException("give either a rule or a step");
    }
    Objects.requireNonNull(requestedBy, "requestedBy");
  }
}
