package io.runbookd.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.Map;

/**
 * The {@code guards:} section of runbookd.yaml: the blast radius of automatic remediation per Kafka
 * Connect cluster. The top-level values apply to every cluster; {@code clusters.<name>} overrides any
 * of them for one cluster. A value left out (null here) falls back to the top level, then to the
 * built-in default ({@code io.runbookd.engine.Guards}).
 *
 * @param maxConcurrentRemediations remediation attempts running at once on one cluster (from the
 *     first Connect action of an attempt to the end of its verification); at least 1; default 10
 * @param maxActions Connect actions (restart, restart_task, pause, resume, stop, patch_config) per
 *     {@code actionWindow} on one cluster; at least 1; default 30
 * @param actionWindow the sliding window of {@code maxActions}; default 5m
 * @param storm storm detection
 * @param healthCheck ask the worker's {@code GET /health} before acting; default true
 * @param healthBackoff how long an attempt waits when the worker is unhealthy or rebalancing (409);
 *     default 30s
 * @param recheck how long an attempt waits when the cluster's concurrency limit is reached; default 2s
 * @param clusters per-cluster overrides, keyed by a name under {@code connect_clusters}
 * @param maxRebalanceRetries how many times one incident's attempt may be put off because Connect
 *     answered its first action with 409 (a rebalance; nothing applied, the attempt not counted); the
 *     next 409 counts the attempt as failed and the retry ladder goes on (backoff, give up, escalation).
 *     At least 0; default 10 (with the default {@code healthBackoff}, about 5 minutes of 409s)
 */
public record GuardsConfig(
    Integer maxConcurrentRemediations,
    Integer maxActions,
    Duration actionWindow,
    Storm storm,
    Boolean healthCheck,
    Duration healthBackoff,
    Duration recheck,
    Map<String, Override> clusters,
    Integer maxRebalanceRetries) {

  public GuardsConfig {
    checkLimits(maxConcurrentRemediations, maxActions, actionWindow, healthBackoff, recheck);
    checkRebalance(maxRebalanceRetries);
    clusters = clusters == null ? Map.of() : Map.copyOf(clusters);
  }

  /** Guards with the default rebalance bound. */
  public GuardsConfig(Integer maxConcurrentRemediations, Integer maxActions, Duration actionWindow, Storm storm,
      Boolean healthCheck, Duration healthBackoff, Duration recheck, Map<String, Override> clusters) {
    this(maxConcurrentRemediations, maxActions, actionWindow, storm, healthCheck, healthBackoff, recheck, clusters, null);
  }

  /** No guards section: every value at its default. */
  public static GuardsConfig defaults() {
    return new GuardsConfig(null, null, null, null, null, null, null, null, null);
  }

  /**
   * Storm detection: when at least {@code connectors} distinct connectors of one cluster open incidents
   * within {@code window}, automatic actions on that cluster pause and one summary is sent to
   * {@code notify}. The storm ends once no new incident has opened on the cluster for {@code window}.
   *
   * @param connectors the threshold; 0 turns storm detection off; default 20
   * @param window the detection window, also the quiet time that ends a storm; default 2m
   * @param notifier {@code notify}: the notifier of the summary; without one the summary is only logged
   */
  public record Storm(Integer connectors, Duration window, @JsonProperty("notify") String notifier) {
    public Storm {
      if (connectors != null && connectors < 0) {
        throw new ConfigException("connectors must be 0 (off) or more, got " + connectors);
      }
      positive(window, "window");
      if (notifier != null && notifier.isBlank()) {
        throw new ConfigException("notify must not be empty");
      }
    }
  }

  /** One cluster's overrides; every value optional. */
  public record Override(
      Integer maxConcurrentRemediations,
      Integer maxActions,
      Duration actionWindow,
      Storm storm,
      Boolean healthCheck,
      Duration healthBackoff,
      Duration recheck,
      Integer maxRebalanceRetries) {
    public Override {
      checkLimits(maxConcurrentRemediations, maxActions, actionWindow, healthBackoff, recheck);
      checkRebalance(maxRebalanceRetries);
    }

    /** Overrides that leave the rebalance bound as it is. */
    public Override(Integer maxConcurrentRemediations, Integer maxActions, Duration actionWindow, Storm storm,
        Boolean healthCheck, Duration healthBackoff, Duration recheck) {
      this(maxConcurrentRemediations, maxActions, actionWindow, storm, healthCheck, healthBackoff, recheck, null);
    }
  }

  private static void checkRebalance(Integer maxRebalanceRetries) {
    if (maxRebalanceRetries != null && maxRebalanceRetries < 0) {
      throw new ConfigException("max_rebalance_retries must be 0 or more, got " + maxRebalanceRetries);
    }
  }

  private static void checkLimits(Integer maxConcurrent, Integer maxActions, Duration window, Duration healthBackoff,
      Duration recheck) {
    if (maxConcurrent != null && maxConcurrent < 1) {
      throw new ConfigException("max_concurrent_remediations must be at least 1, got " + maxConcurrent);
    }
    if (maxActions != null && maxActions < 1) {
      throw new ConfigException("max_actions must be at least 1, got " + maxActions);
    }
    positive(window, "action_window");
    positive(healthBackoff, "health_backoff");
    positive(recheck, "recheck");
  }

  private static void positive(Duration d, String key) {
    if (d != null && (d.isZero() || d.isNegative())) {
      throw new ConfigException(key + " must be longer than 0s");
    }
  }
}
