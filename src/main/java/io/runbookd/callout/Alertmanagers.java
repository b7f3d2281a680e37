package io.runbookd.callout;

import io.runbookd.config.RunbookdConfig;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The configured Alertmanagers ({@code alertmanagers.<name>} in runbookd.yaml), by name, and the HTTP
 * client that {@code http} steps use.
 */
public final class Alertmanagers {
  private final Map<String, Silences> byName;
  private final HttpCall http;

  private Alertmanagers(Map<String, Silences> byName, HttpCall http) {
    this.byName = byName;
    this.http = http;
  }

  /** Clients for every Alertmanager of {@code config}, on {@code vertx}. */
  public static Alertmanagers create(Vertx vertx, Map<String, RunbookdConfig.Alertmanager> config) {
    HttpCall http = HttpCall.create(vertx);
    Map<String, Silences> m = new TreeMap<>();
    config.forEach((name, c) -> m.put(name, new AlertmanagerSilences(name, c, http)));
    return new Alertmanagers(Map.copyOf(m), http);
  }

  /** The HTTP client shared by {@code http} steps and the Alertmanager clients. */
  public HttpCall http() {
    return http;
  }

  /**
   * The Alertmanager named {@code name}; with a null name, the only one configured. Empty when there is
   * no such Alertmanager (or, for a null name, none or several).
   */
  public Optional<Silences> get(String name) {
    if (name == null) {
      return byName.size() == 1 ? Optional.of(byName.values().iterator().next()) : Optional.empty();
    }
    return Optional.ofNullable(byName.get(name));
  }

  /** The configured names, sorted. */
  public List<String> names() {
    return List.copyOf(new TreeMap<>(byName).keySet());
  }
}
