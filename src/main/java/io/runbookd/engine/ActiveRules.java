package io.runbookd.engine;

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
 * {@code runbookd_rules_reload_total{outcome="failure"}}. Reloads come from start-up, file changes
 * (the rule watcher), SIGHUP and {@code POST /-/reload}; they are serialized.
 */
public final class ActiveRules implements Supplier<RuleSet> {
  private static final Logger LOG = LoggerFactory.getLogger(ActiveRules.class);

  private final List<Path> paths;
  private final RuleLoader.Context context;
  private final RunbookdMetrics metrics;
  private final Clock clock;
  private final AtomicReference<RuleSet> current = new AtomicReference<>();
  private volatile String attempted;

  public ActiveRules(List<Path> paths, RuleLoader.Context context, RunbookdMetrics metrics, Clock clock) {
    this.paths = List.copyOf(paths);
    this.context = context;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** {@link #reload(String)} at start-up or from a caller that does not say why. */
  public RuleSet reload() throws RuleLoadException {
    return reload("startup");
  }

  /**
   * Loads the rules; on success they replace the active set. Blocks (reads files): call it on a
   * worker thread.
   *
   * @param trigger why, for the log line: {@code startup}, {@code file_change}, {@code sighup}, {@code api}
   * @throws RuleLoadException with every error found; the active set is unchanged
   */
  public synchronized RuleSet reload(String trigger) throws RuleLoadException {
    attempted = RuleFiles.fingerprint(paths);
    try {
      RuleSet next = new RuleLoader(context, clock).load(paths);
      current.set(next);
      metrics.rulesLoaded(next.rules().size(), true, clock.millis());
      metrics.rulesActive(next.rules());
      LOG.info("trigger={} rules={} files={} msg=\"rules loaded\"", trigger, next.rules().size(), next.files().size());
      return next;
    } catch (RuleLoadException e) {
      metrics.rulesLoaded(0, false, clock.millis());
      String keeping = current.get() == null ? "no rules are active" : "keeping the last good rules";
      for (var err : e.errors()) {
        LOG.error("trigger={} msg=\"rule reload failed; {}: {}\"", trigger, keeping, err);
      }
      throw e;
    }
  }

  /** The active rule set; never null after the first successful {@link #reload()}. */
  @Override
  public RuleSet get() {
    return current.get();
  }

  /** The configured Connect cluster names rules may target; null when unchecked. */
  public java.util.Set<String> clusterNames() {
    return context == null ? null : context.clusters();
  }

  /** The rule paths, as given. */
  public List<Path> paths() {
    return paths;
  }

  /**
   * The fingerprint ({@code RuleFiles.fingerprint}) of the files as the last reload (successful or
   * not) found them; null before the first. The rule watcher compares it with the files now.
   */
  public String attemptedFingerprint() {
    return attempted;
  }
}
