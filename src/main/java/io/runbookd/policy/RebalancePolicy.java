package io.runbookd.policy;

/**
 * The total bound on 409 rebalance retries of one incident. Connect answers 409 while its workers
 * rebalance (apache/kafka {@code connect/runtime/src/main/java/org/apache/kafka/connect/runtime/rest/HerderRequestHandler.java});
 * nothing was applied, so the attempt is put off without being counted. A worker stuck in a rebalance
 * answers 409 for as long as it lasts: after {@code guards.max_rebalance_retries} deferrals the next
 * 409 counts the attempt as failed, so the retry ladder (backoff, give up, escalation) goes on.
 */
public final class RebalancePolicy {
  private RebalancePolicy() {}

  /**
   * Whether a 409 on an attempt's first action puts the attempt off (true) or counts it as failed (false).
   *
   * @param rebalances the incident's 409-refused steps so far, this one included; at least 1
   * @param maxRetries {@code guards.max_rebalance_retries}; 0 or more
   */
  public static boolean defer(long rebalances, int maxRetries) {
    if (rebalances < 1) {
      throw new IllegalArgumentException("rebalances must be >= 1, got " + rebalances);
    }
    if (maxRetries < 0) {
      throw new IllegalArgumentException("maxRetries must be >= 0, got " + maxRetries);
    }
    return rebalances <= maxRetries;
  }

  /** The reason recorded when the bound is reached. */
  public static String exhausted(long rebalances, int maxRetries, String error) {
    return "Connect answered 409 (rebalancing) to " + rebalances + " attempts of this incident, more than"
        + " guards.max_rebalance_retries (" + maxRetries + "); this attempt counts: " + error;
  }
}
