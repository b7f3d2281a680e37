package io.runbookd.engine;

import io.runbookd.model.ClusterLimits;

import io.runbookd.config.GuardsConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The {@link ClusterLimits} of every Connect cluster: a cluster's {@code guards.clusters.<name>}
 * values over the top-level {@code guards} values over the built-in defaults below.
 */
public final class Guards {
  public static final int DEFAULT_MAX_CONCURRENT = 10;
  public static final int DEFAULT_MAX_ACTIONS = 30;
  public static final Duration DEFAULT_ACTION_WINDOW = Duration.ofMinutes(5);
  public static final int DEFAULT_STORM_CONNECTORS = 20;
  public static final Duration DEFAULT_STORM_WINDOW = Duration.ofMinutes(2);
  public static final Duration DEFAULT_HEALTH_BACKOFF = Duration.ofSeconds(30);
  public static final Duration DEFAULT_RECHECK = Duration.ofSeconds(2);

  private final ClusterLimits defaults;
  private final Map<String, ClusterLimits> byCluster;

  private Guards(ClusterLimits defaults, Map<String, ClusterLimits> byCluster) {
    this.defaults = defaults;
    this.byCluster = Map.copyOf(byCluster);
  }

  /** Resolves a parsed {@code guards:} section. */
  public static Guards from(GuardsConfig g) {
    Objects.requireNonNull(g, "g");
    GuardsConfig.Override top = new GuardsConfig.Override(g.maxConcurrentRemediations(), g.maxActions(),
        g.actionWindow(), g.storm(), g.healthCheck(), g.healthBackoff(), g.recheck(), g.maxRebalanceRetries());
    ClusterLimits defaults = resolve(top, null);
    Map<String, ClusterLimits> by = new HashMap<>();
    g.clusters().forEach((name, o) -> by.put(name, resolve(o, top)));
    return new Guards(defaults, by);
  }

  /** Every cluster at the built-in defaults. */
  public static Guards defaults() {
    return from(GuardsConfig.defaults());
  }

  /** The limits of {@code cluster}. */
  public ClusterLimits of(String cluster) {
    return byCluster.getOrDefault(cluster, defaults);
  }

  private static ClusterLimits resolve(GuardsConfig.Override o, GuardsConfig.Override top) {
    GuardsConfig.Storm s = o.storm();
    GuardsConfig.Storm ts = top == null ? null : top.storm();
    return new ClusterLimits(
        first(o.maxConcurrentRemediations(), top == null ? null : top.maxConcurrentRemediations(), DEFAULT_MAX_CONCURRENT),
        first(o.maxActions(), top == null ? null : top.maxActions(), DEFAULT_MAX_ACTIONS),
        first(o.actionWindow(), top == null ? null : top.actionWindow(), DEFAULT_ACTION_WINDOW),
        new ClusterLimits.StormSettings(
            first(s == null ? null : s.connectors(), ts == null ? null : ts.connectors(), DEFAULT_STORM_CONNECTORS),
            first(s == null ? null : s.window(), ts == null ? null : ts.window(), DEFAULT_STORM_WINDOW),
            first(s == null ? null : s.notifier(), ts == null ? null : ts.notifier(), null)),
        first(o.healthCheck(), top == null ? null : top.healthCheck(), Boolean.TRUE),
        first(o.healthBackoff(), top == null ? null : top.healthBackoff(), DEFAULT_HEALTH_BACKOFF),
        first(o.recheck(), top == null ? null : top.recheck(), DEFAULT_RECHECK),
        first(o.maxRebalanceRetries(), top == null ? null : top.maxRebalanceRetries(),
            ClusterLimits.DEFAULT_MAX_REBALANCE_RETRIES));
  }

  private static <T> T first(T a, T b, T fallback) {
    return a != null ? a : b != null ? b : fallback;
  }
}
