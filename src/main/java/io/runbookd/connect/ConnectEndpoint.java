package io.runbookd.connect;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * How runbookd reaches one Kafka Connect cluster (a {@code connect_clusters} entry of runbookd.yaml).
 *
 * <p>{@link #toString()} never prints the password.
 *
 * @param cluster the cluster name rules refer to; non-blank
 * @param baseUrl the REST listener, {@code http://host:port} or {@code https://host:port}, optionally
 *     with a path prefix when Connect sits behind a proxy; no user info, query or fragment. A trailing
 *     {@code /} is dropped.
 * @param basicAuth credentials for Connect's {@code BasicAuthSecurityRestExtension} (apache/kafka
 *     {@code connect/basic-auth-extension}, KIP-285); a failed login gives 401
 * @param tls how the server certificate is checked; only allowed with an {@code https} base URL
 * @param requestTimeout how long one HTTP exchange may wait for data; positive. The default, 100 s, is
 *     above Connect's own 90 s REST timeout (apache/kafka {@code
 *     RestServer.DEFAULT_REST_REQUEST_TIMEOUT_MS}), so Connect's 500 "Request timed
 *     out" arrives before runbookd gives up
 * @param conflictBackOff how a 409 Conflict (rebalance) is retried
 */
public record ConnectEndpoint(
    String cluster,
    URI baseUrl,
    Optional<BasicAuth> basicAuth,
    Tls tls,
    Duration requestTimeout,
    BackOff conflictBackOff) {

  /** 100 s: above Connect's {@code RestServer.DEFAULT_REST_REQUEST_TIMEOUT_MS} of 90 s (apache/kafka
   * {@code connect/runtime/src/main/java/org/apache/kafka/connect/runtime/rest/RestServer.java}). */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(100);

  public ConnectEndpoint {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(baseUrl, "baseUrl");
    Objects.requireNonNull(basicAuth, "basicAuth");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(conflictBackOff, "conflictBackOff");
    if (cluster.isBlank()) {
      throw new IllegalArgumentException("cluster name must not be blank");
    }
    baseUrl = normalize(cluster, baseUrl);
    if (!isHttps(baseUrl) && !tls.equals(Tls.SYSTEM_DEFAULT)) {
      throw new IllegalArgumentException(
          "Connect cluster \"" + cluster + "\": tls settings need an https base URL, got " + baseUrl);
    }
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException(
          "Connect cluster \"" + cluster + "\": requestTimeout must be positive, got " + requestTimeout);
    }
  }

  /**
   * An endpoint with no auth, the JVM's default trust store, a 100 s request timeout and {@link
   * BackOff#DEFAULT}.
   *
   * @throws IllegalArgumentException when {@code baseUrl} is not an absolute http(s) URL
   */
  public static ConnectEndpoint of(String cluster, String baseUrl) {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(baseUrl, "baseUrl");
    URI uri;
    try {
      uri = new URI(baseUrl.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "Connect cluster \"" + cluster + "\": invalid base URL: " + e.getMessage(), e);
    }
    return new ConnectEndpoint(
        cluster, uri, Optional.empty(), Tls.SYSTEM_DEFAULT, DEFAULT_REQUEST_TIMEOUT, BackOff.DEFAULT);
  }

  /** A copy that sends {@code Authorization: Basic ...} with these credentials. */
  public ConnectEndpoint withBasicAuth(String username, String password) {
    return new ConnectEndpoint(
        cluster, baseUrl, Optional.of(new BasicAuth(username, password)), tls, requestTimeout, conflictBackOff);
  }

  /** A copy with these TLS settings. */
  public ConnectEndpoint withTls(Tls tls) {
    return new ConnectEndpoint(cluster, baseUrl, basicAuth, tls, requestTimeout, conflictBackOff);
  }

  /** A copy with this request timeout. */
  public ConnectEndpoint withRequestTimeout(Duration requestTimeout) {
    return new ConnectEndpoint(cluster, baseUrl, basicAuth, tls, requestTimeout, conflictBackOff);
  }

  /** A copy with this 409 retry policy. */
  public ConnectEndpoint withConflictBackOff(BackOff conflictBackOff) {
    return new ConnectEndpoint(cluster, baseUrl, basicAuth, tls, requestTimeout, conflictBackOff);
  }

  /** True when the base URL is {@code https}. */
  public boolean isHttps() {
    return isHttps(baseUrl);
  }

  /** The TCP port, with 80/443 filled in when the URL has none. */
  public int port() {
    return baseUrl.getPort() >= 0 ? baseUrl.getPort() : isHttps() ? 443 : 80;
  }

  /** The path prefix of the base URL (empty, or starting with {@code /} and not ending with one). */
  public String pathPrefix() {
    return baseUrl.getRawPath();
  }

  @Override
  public String toString() {
    return "ConnectEndpoint[cluster=" + cluster
        + ", baseUrl=" + baseUrl
        + ", basicAuth=" + basicAuth.map(BasicAuth::toString).orElse("none")
        + ", tls=" + tls
        + ", requestTimeout=" + requestTimeout
        + ", conflictBackOff=" + conflictBackOff + "]";
  }

  private static boolean isHttps(URI uri) {
    return "https".equals(uri.getScheme());
  }

  private static URI normalize(String cluster, URI uri) {
    String where = "Connect cluster \"" + cluster + "\": base URL ";
    String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      throw new IllegalArgumentException(where + "must start with http:// or https://, got " + uri);
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException(where + "has no host: " + uri);
    }
    if (uri.getRawUserInfo() != null) {
      // Printing the URL would print the password; credentials belong in basicAuth.
      throw new IllegalArgumentException(where + "must not contain credentials; use basic auth settings");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException(where + "must not have a query or fragment: " + uri);
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    try {
      return new URI(scheme + "://" + uri.getRawAuthority() + path);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(where + "is invalid: " + e.getMessage(), e);
    }
  }

  /**
   * Basic-auth credentials. {@link #toString()} prints {@code <redacted>} instead of the password.
   *
   * @param username the user; non-empty, without {@code :} (RFC 7617)
   * @param password the password
   */
  public record BasicAuth(String username, String password) {
    public BasicAuth {
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(password, "password");
      if (username.isEmpty() || username.indexOf(':') >= 0) {
        throw new IllegalArgumentException("basic auth username must be non-empty and contain no ':'");
      }
    }

    @Override
    public String toString() {
      return "BasicAuth[username=" + username + ", password=<redacted>]";
    }
  }

  /**
   * How an https server certificate is checked.
   *
   * @param caFile a PEM file of trusted CA certificates, used instead of the JVM's default trust store
   * @param insecureSkipVerify trust any certificate and skip the host name check (tests only; like
   *     Alertmanager's {@code insecure_skip_verify})
   */
  public record Tls(Optional<Path> caFile, boolean insecureSkipVerify) {
    /** The JVM's default trust store with host name verification. */
    public static final Tls SYSTEM_DEFAULT = new Tls(Optional.empty(), false);

    public Tls {
      Objects.requireNonNull(caFile, "caFile");
    }

    /** Trusts the CA certificates in this PEM file. */
    public static Tls caFile(Path pem) {
      return new Tls(Optional.of(pem), false);
    }

    /** Trusts every certificate without host name verification. */
    public static Tls insecure() {
      return new Tls(Optional.empty(), true);
    }
  }
}
