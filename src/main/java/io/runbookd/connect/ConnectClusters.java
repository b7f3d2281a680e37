package io.runbookd.connect;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The Connect clusters named in runbookd.yaml. */
public final class ConnectClusters {
  private final Map<String, ConnectApi> byName;

  public ConnectClusters(Map<String, ConnectApi> byName) {
    this.byName = Map.copyOf(byName);
  }

  /** The cluster named {@code name}, if configured. */
  public Optional<ConnectApi> get(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public Set<String> names() {
    return byName.keySet();
  }
}
