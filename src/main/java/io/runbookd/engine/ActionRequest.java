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
 * @param rule the name of a loaded rule
 * @param comment why, for the record; may be null
 * @param requestedBy the operator (the request's principal, or {@code anonymous} when operators have no
 *     credentials)
 */
public record ActionRequest(String cluster, String connector, String rule, String comment, String requestedBy) {
  public ActionRequest {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(connector, "connector");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(requestedBy, "requestedBy");
  }
}
