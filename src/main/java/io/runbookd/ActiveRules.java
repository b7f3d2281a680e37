package io.runbookd;

import io.runbookd.metrics.RunbookdMetrics;
import io.runbookd.rules.RuleLoadException;
import io.runbookd.rules.RuleLoader;
import io.runbookd.rules.RuleSet;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rule set in force. A reload validates the complete new set before it replaces the old one; a
 * failed reload keeps the last good set, logs every error with its file and line, and counts
 * {@code runbookd_rules_reload_total{outcome="failure"}}.
 */
public final class ActiveRules implements Supplier<RuleSet> {
  private static final Logger LOG = LoggerFactory.getLogger(ActiveRules.class);

  private final List<Path> paths;
  private final RuleLoader.Context context;
  private final RunbookdMetrics metrics;
  private final Clock clock;
  private final AtomicReference<RuleSet> current = new AtomicReference<>();

  public ActiveRules(List<Path> paths, RuleLoader.Context context, RunbookdMetrics metrics, Clock clock) {
    this.paths = List.copyOf(paths);
    this.context = context;
    this.metrics = metrics;
    this.clock = clock;
  }

  /**
   * Loads the rules; on success they replace the active set.
   *
   * @throws RuleLoadException with every error found; the active set is unchanged
   */
  public synchronized RuleSet reload() throws RuleLoadException {
    try {
      RuleSet next = new RuleLoader(context, clock).load(paths);
      current.set(next);
      metrics.rulesLoaded(next.rules().size(), true, clock.millis());
      LOG.info("rules={} files={} msg=\"rules loaded\"", next.rules().size(), next.files().size());
      return next;
    } catch (RuleLoadException e) {
      metrics.rulesLoaded(0, false, clock.millis());
      for (var err : e.errors()) {
        LOG.error("msg=\"rule reload failed; keeping the last good rules: {}\"", err);
      }
      throw e;
    }
  }

  /** The active rule set; never null after the first successful {@link #reload()}. */
  @Override
  public RuleSet get() {
    return current.get();
  }
}
