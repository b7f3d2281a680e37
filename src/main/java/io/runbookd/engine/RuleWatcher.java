package io.runbookd.engine;

import io.runbookd.rules.RuleLoadException;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the rules when their files change. Every {@code interval} a worker thread takes the
 * fingerprint of the rule files (names and contents); a fingerprint that differs from the one of the
 * last reload, and that has not changed since the previous check, triggers the reload callback with
 * trigger {@code file_change}. So an editor's series of writes, or a half-copied directory, is applied
 * once it has been still for one whole interval (the debounce), and a broken file is tried once, not
 * at every check. Content hashing (rather than mtimes) also sees Kubernetes' ConfigMap updates, which
 * swap a symlink.
 *
 * <p>The watcher knows the rule paths and two callbacks, not the rule set they feed: wire it with
 * {@code new RuleWatcher(rules.paths(), interval, rules::attemptedFingerprint, rules::reload)}.
 */
public final class RuleWatcher {
  private static final Logger LOG = LoggerFactory.getLogger(RuleWatcher.class);

  /** Reloads the rules from the watched files. */
  @FunctionalInterface
  public interface Reload {
    /**
     * Reloads; blocks (reads files). The callee logs and counts a failure.
     *
     * @param trigger why, for the log line ({@code file_change})
     * @throws RuleLoadException when the files do not load; the last good rules stay in force
     */
    void reload(String trigger) throws RuleLoadException;
  }

  private final List<Path> paths;
  private final Duration interval;
  private final Supplier<String> attempted;
  private final Reload reload;
  private final AtomicBoolean busy = new AtomicBoolean();
  private volatile String previous;
  private long timer = -1;

  /**
   * @param paths the rule files and directories, as the rules are loaded from them
   * @param interval time between checks; zero disables watching
   * @param attempted the fingerprint of the files as the last reload from any trigger (start-up,
   *     SIGHUP, {@code POST /-/reload}, a file change) found them, successful or not; null before the first
   * @param reload reloads the rules
   */
  public RuleWatcher(List<Path> paths, Duration interval, Supplier<String> attempted, Reload reload) {
    this.paths = List.copyOf(paths);
    this.interval = Objects.requireNonNull(interval, "interval");
    this.attempted = Objects.requireNonNull(attempted, "attempted");
    this.reload = Objects.requireNonNull(reload, "reload");
  }

  /** Starts checking on {@code vertx}'s timers; does nothing when the interval is zero. */
  public void start(Vertx vertx) {
    if (interval.isZero()) {
      LOG.info("msg=\"rule files are not watched (rules.watch_interval: 0s); reload with SIGHUP or POST /-/reload\"");
      return;
    }
    timer = vertx.setPeriodic(interval.toMillis(), id -> {
      if (!busy.compareAndSet(false, true)) {
        return;
      }
      vertx.executeBlocking(() -> {
        check();
        return null;
      }, false).onComplete(ar -> {
        busy.set(false);
        if (ar.failed()) {
          LOG.warn("msg=\"rule file check failed: {}\"", ar.cause().toString());
        }
      });
    });
    LOG.info("interval_ms={} paths={} msg=\"watching rule files\"", interval.toMillis(), paths);
  }

  /** Stops checking. */
  public void stop(Vertx vertx) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** One check (blocking): reloads when {@link #shouldReload} says so. */
  void check() {
    String now = RuleFiles.fingerprint(paths);
    boolean due = shouldReload(now, previous, attempted.get());
    previous = now;
    if (due) {
      try {
        reload.reload("file_change");
      } catch (RuleLoadException e) {
        // logged with every file:line and counted by the callee; the last good rules stay
      }
    }
  }

  /**
   * The debounce: reload when the files differ from what the last reload saw, and have not changed
   * since the previous check.
   *
   * @param current the fingerprint now
   * @param previous the fingerprint at the previous check (null at the first)
   * @param attempted the fingerprint the last reload saw
   */
  static boolean shouldReload(String current, String previous, String attempted) {
    return !current.equals(attempted) && current.equals(previous);
  }
}
