package io.runbookd.model;

import java.time.Instant;
import java.util.Objects;

/**
 * Attempts spent by one rule on one connector, kept across incidents so that a flapping connector
 * reaches its escalation, as Strimzi's connector auto-restart keeps its restart count across failures
 * (strimzi/proposals {@code 007-restarting-kafka-connect-connectors-and-tasks.md}).
 *
 * @param cluster Connect cluster
 * @param connector connector
 * @param rule rule name
 * @param attempts attempts since the last reset
 * @param lastAttemptAt end of the last attempt, null if none
 * @param lastRecoveredAt when a fix was last verified, null if never
 */
public record Budget(String cluster, String connector, String rule, int attempts, Instant lastAttemptAt, Instant lastRecoveredAt) {
  public Budget {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(connector, "connector");
    Objects.requireNonNull(rule, "rule");
  }

  /** A fresh budget. */
  public static Budget empty(String cluster, String connector, String rule) {
    return new Budget(cluster, connector, rule, 0, null, null);
  }
}
