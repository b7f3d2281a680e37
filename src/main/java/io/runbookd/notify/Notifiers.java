package io.runbookd.notify;

import io.runbookd.config.RunbookdConfig;
import io.vertx.core.Future;
import io.vertx.ext.web.client.WebClient;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The notifiers configured in runbookd.yaml, by name. */
public final class Notifiers {
  private final Map<String, Notifier> byName;

  public Notifiers(Map<String, Notifier> byName) {
    this.byName = Map.copyOf(byName);
  }

  /** Builds HTTP notifiers for every entry of {@code config}. */
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
    return notifier.send(n);
  }

  public java.util.Set<String> names() {
    return byName.keySet();
  }
}
