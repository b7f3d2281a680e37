package io.runbookd.engine;

import io.runbookd.model.ClusterLimits;
import io.runbookd.model.Storm;
import java.util.Objects;
import java.util.Optional;

/**
 * The guards of one configured Kafka Connect cluster as they stand now.
 *
 * @param cluster the cluster's name in runbookd.yaml
 * @param limits its resolved limits (concurrency, action budget, storm detection)
 * @param storm its latest storm that has not been ended, if any (it may be over: see {@code stormActive})
 * @param stormActive whether automatic actions on the cluster are paused by that storm now
 * @param openIncidents open incidents on the cluster (at most {@link #COUNT_LIMIT} counted)
 * @param remediating of those, the ones a replica is acting on now
 * @param awaitingApproval of those, the ones waiting for a human decision
 */
public record ClusterGuardState(String cluster, ClusterLimits limits, Optional<Storm> storm, boolean stormActive,
    int openIncidents, int remediating, int awaitingApproval) {

  /** The most incidents counted per cluster. */
  public static final int COUNT_LIMIT = 1000;

  public ClusterGuardState {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(storm, "storm");
  }
}
