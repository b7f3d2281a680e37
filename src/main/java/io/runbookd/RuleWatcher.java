package io.runbookd;

import io.runbookd.rules.RuleLoadException;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the rules when their files change. Every {@code interval} a worker thread takes the
 * {@link #fingerprint} of the rule files (names and contents); a fingerprint that differs from the
 * one of the last reload, and that has not changed since the previous check, triggers
 * {@link ActiveRules#reload(String)}. So an editor's series of writes, or a half-copied directory,
 * is applied once it has been still for one whole interval (the debounce), and a broken file is
 * tried once, not at every check. Content hashing (rather than mtimes) also sees Kubernetes'
 * ConfigMap updates, which swap a symlink.
 */
public final class RuleWatcher {
  private static final Logger LOG = LoggerFactory.getLogger(RuleWatcher.class);

  private final ActiveRules rules;
  private final Duration interval;
  private final AtomicBoolean busy = new AtomicBoolean();
  private volatile String previous;
  private long timer = -1;

  public RuleWatcher(ActiveRules rules, Duration interval) {
    this.rules = rules;
    this.interval = interval;
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
    LOG.info("interval_ms={} paths={} msg=\"watching rule files\"", interval.toMillis(), rules.paths());
  }

  /** Stops checking. */
  public void stop(Vertx vertx) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** One check (blocking): reloads when {@link #shouldReload} says so. */
  void check() {
    String now = fingerprint(rules.paths());
    boolean reload = shouldReload(now, previous, rules.attemptedFingerprint());
    previous = now;
    if (reload) {
      try {
        rules.reload("file_change");
      } catch (RuleLoadException e) {
        // logged with every file:line and counted by ActiveRules; the last good rules stay
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

  /**
   * SHA-256 over the rule files the loader would read from {@code paths} (a directory's non-hidden
   * {@code *.yaml} and {@code *.yml} files, a named file whatever its name): each file's path and
   * content, and any error reading them. Equal fingerprints mean the loader would see the same input.
   */
  public static String fingerprint(List<Path> paths) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (Path path : paths) {
      List<Path> files = new ArrayList<>();
      if (Files.isDirectory(path)) {
        try (Stream<Path> s = Files.list(path)) {
          s.filter(p -> {
            String n = p.getFileName().toString();
            return !n.startsWith(".") && (n.endsWith(".yaml") || n.endsWith(".yml")) && !Files.isDirectory(p);
          }).sorted(Comparator.comparing(p -> p.getFileName().toString())).forEach(files::add);
        } catch (IOException e) {
          update(sha, "dir-error:" + path + ":" + e);
        }
      } else {
        files.add(path);
      }
      for (Path f : files) {
        update(sha, "file:" + f);
        try {
          sha.update(Files.readAllBytes(f));
        } catch (IOException e) {
          update(sha, "error:" + e.getClass().getSimpleName());
        }
        sha.update((byte) 0);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static void update(MessageDigest sha, String s) {
    sha.update(s.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
  }
}
