package io.runbookd.model;

import java.util.Objects;

/**
 * A network endpoint a connector depends on, as found in its config.
 *
 * @param host the host name or IP literal (IPv6 without brackets)
 * @param port the TCP port, 1-65535
 * @param url the http(s) URL it was found as (a schema registry), null for other endpoints
 * @param source the config key it was found in, e.g. {@code connection.url}
 */
public record Endpoint(String host, int port, String url, String source) {
  public Endpoint {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(source, "source");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  /** {@code host:port}, with an IPv6 host in brackets. */
  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
