package io.runbookd.model;

import io.runbookd.engine.Guards;

import java.time.Duration;
import java.util.Objects;

/**
 * The guards of one Kafka Connect cluster, resolved from runbookd.yaml's {@code guards:} section (the
 * cluster's overrides over the top-level values over the built-in defaults; see {@link Guards}).
 *
 * @param maxConcurrentRemediations attempts running at once on the cluster; at least 1
 * @param maxActions Connect actions per {@code actionWindow}; at least 1
 * @param actionWindow the sliding window of {@code maxActions}; positive
 * @param storm storm detection
 * @param healthCheck ask {@code GET /health} before acting
 * @param healthBackoff the wait after an unhealthy worker or a 409 rebalance; positive
 * @param recheck the wait when the concurrency limit is reached; positive
 * @param maxRebalanceRetries 409 deferrals one incident may take before its attempt counts as failed; 0 or more
 */
public record ClusterLimits(
    int maxConcurrentRemediations,
    int maxActions,
    Duration actionWindow,
    StormSettings storm,
    boolean healthCheck,
    Duration healthBackoff,
    Duration recheck,
    int maxRebalanceRetries) {

  /** The default of {@link #maxRebalanceRetries()}: 10. */
  public static final int DEFAULT_MAX_REBALANCE_RETRIES = 10;

  public ClusterLimits {
    if (maxConcurrentRemediations < 1) {
      throw new IllegalArgumentException("maxConcurrentRemediations must be >= 1, got " + maxConcurrentRemediations);
    }
    if (maxActions < 1) {
      throw new IllegalArgumentException("maxActions must be >= 1, got " + maxActions);
    }
    positive(actionWindow, "actionWindow");
    Objects.requireNonNull(storm, "storm");
    positive(healthBackoff, "healthBackoff");
    positive(recheck, "recheck");
    if (maxRebalanceRetries < 0) {
      throw new IllegalArgumentException("maxRebalanceRetries must be >= 0, got " + maxRebalanceRetries);
    }
  }

  /** Limits with the default rebalance bound ({@value #DEFAULT_MAX_REBALANCE_RETRIES}). */
  public ClusterLimits(int maxConcurrentRemediations, int maxActions, Duration actionWindow, StormSettings storm,
      boolean healthCheck, Duration healthBackoff, Duration recheck) {
    this(maxConcurrentRemediations, maxActions, actionWindow, storm, healthCheck, healthBackoff, recheck,
        DEFAULT_MAX_REBALANCE_RETRIES);
  }

  /**
   * Storm detection of one cluster.
   *
   * @param connectors distinct failing connectors within {@code window} that start a storm; 0 = off
   * @param window the detection window; a storm ends when no new failure arrived for this long
   * @param notifier where the one summary goes; null = only logged
   */
  public record StormSettings(int connectors, Duration window, String notifier) {
    public StormSettings {
      if (connectors < 0) {
        throw new IllegalArgumentException("connectors must be >= 0, got " + connectors);
      }
      positive(window, "window");
    }

    /** True when storm detection is on. */
    public boolean enabled() {
      return connectors > 0;
    }
  }

  private static void positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }
}
