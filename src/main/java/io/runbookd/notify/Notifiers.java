package io.runbookd.notify;

import io.runbookd.config.RunbookdConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The notifiers configured in runbookd.yaml, by name. */
public final class Notifiers {
  private final Map<String, Notifier> byName;
  private final String externalUrl;

  public Notifiers(Map<String, Notifier> byName) {
    this(byName, null);
  }

  /**
   * @param byName the notifiers by name
   * @param externalUrl {@code server.external_url} without a trailing slash, or null
   */
  public Notifiers(Map<String, Notifier> byName, String externalUrl) {
    this.byName = Map.copyOf(byName);
    this.externalUrl = externalUrl;
  }

  /** {@code server.external_url}, the base of the incident pages' links in messages; null when not set. */
  public String externalUrl() {
    return externalUrl;
  }

  /**
   * Builds HTTP notifiers for every entry of {@code config}, each with its own HTTP client and
   * connection pool, so a receiver that stalls holds no connection another notifier needs (two
   * notifiers on the same host included).
   */
  public static Notifiers create(Vertx vertx, Map<String, RunbookdConfig.Notifier> config) {
    return create(vertx, config, null);
  }

  /**
   * As {@link #create(Vertx, Map)}; every message links to the incident page under {@code externalUrl}
   * ({@code server.external_url}; null: no link).
   */
  public static Notifiers create(Vertx vertx, Map<String, RunbookdConfig.Notifier> config, String externalUrl) {
    Map<String, Notifier> out = new TreeMap<>();
    config.forEach((name, c) -> out.put(name, new HttpNotifier(name, c, WebClient.create(vertx,
        new WebClientOptions().setUserAgent("runbookd")
            .setConnectTimeout((int) Math.min(10_000, Math.max(1, c.timeout().toMillis()))),
        new PoolOptions().setHttp1MaxSize(POOL_SIZE)), externalUrl)));
    return new Notifiers(out, externalUrl);
  }

  /**
   * Told of every message a receiver accepted through {@link #send}, before {@link #send} completes, so
   * that what the loop must be closed on later is recorded.
   */
  public interface Recorder {
    /** Records that {@code notifier} delivered {@code n}; a failure fails the send. */
    Future<Void> delivered(String notifier, Notification n, Receipt receipt);
  }

  private volatile Recorder recorder = (name, n, r) -> Future.succeededFuture();

  /** Sets the {@link Recorder} (by default, nothing is recorded). */
  public void recordWith(Recorder recorder) {
    this.recorder = java.util.Objects.requireNonNull(recorder, "recorder");
  }

  /** Sends a follow-up through notifier {@code name}; fails when it is not configured. */
  public Future<Void> followUp(String name, FollowUp f) {
    Notifier notifier = byName.get(name);
    if (notifier == null) {
      return Future.failedFuture(new NotifyException("undefined notifier \"" + name + "\"", null));
    }
    return notifier.followUp(f);
  }

  /** Connections per notifier: pages due at once go out in parallel up to this many. */
  static final int POOL_SIZE = 16;

  /** The longest {@link Notifier#timeout()} of all notifiers; 10 s when there are none. */
  public Duration longestTimeout() {
    return byName.values().stream().map(Notifier::timeout).max(Duration::compareTo).orElse(Duration.ofSeconds(10));
  }

  /** Builds HTTP notifiers for every entry of {@code config}, all sharing {@code client}. */
  public static Notifiers create(WebClient client, Map<String, RunbookdConfig.Notifier> config) {
    Map<String, Notifier> out = new TreeMap<>();
    config.forEach((name, c) -> out.put(name, new HttpNotifier(name, c, client)));
    return new Notifiers(out);
  }

  public Optional<Notifier> get(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** Sends through notifier {@code name}; fails when it is not configured. */
  public Future<Void> send(String name, Notification n) {
    Notifier notifier = byName.get(name);
    if (notifier == null) {
      return Future.failedFuture(new NotifyException("undefined notifier \"" + name + "\"", null));
    }
    return notifier.deliver(n).compose(receipt -> recorder.delivered(name, n, receipt));
  }

  public java.util.Set<String> names() {
    return byName.keySet();
  }
}
