package io.runbookd.rules;

import java.util.Objects;

/**
 * A rendered rule target: the connector a remediation acts on.
 *
 * @param cluster the Connect cluster name, as defined in runbookd.yaml
 * @param connector the connector name, unencoded (the Connect client percent-encodes it)
 */
public record ConnectorTarget(String cluster, String connector) {
  public ConnectorTarget {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(connector, "connector");
  }

  /** {@code <cluster>/<connector>}, e.g. {@code prod/pg-orders}. */
  @Override
  public String toString() {
    return cluster + "/" + connector;
  }
}
