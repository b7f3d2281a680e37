package io.runbookd.connect;

import io.vertx.core.Vertx;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.core.http.PoolOptions;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/** Creates {@link ConnectApi} clients. */
public final class ConnectApis {

  /**
   * HTTP/1.1 connections per Connect cluster. Vert.x's default of 5 would queue the admitted actions of
   * a storm's worth of concurrent remediations (up to {@code guards.max_concurrent_remediations}, 50 by
   * default) behind each other, so an action admitted before a storm hold could reach Connect seconds
   * later; status reads of every connector share the pool too.
   */
  static final int POOL_SIZE = 64;

  private ConnectApis() {}

  /**
   * A client for the Connect cluster at {@code endpoint}, with its own {@code WebClient} (connection
   * pool and TLS settings). It lives as long as {@code vertx}; create one per cluster and reuse it.
   *
   * <p>A CA file that cannot be read makes every request fail with status -1.
   *
   * @param listener told about every HTTP exchange (see {@link ConnectRequestListener})
   */
  public static ConnectApi create(Vertx vertx, ConnectEndpoint endpoint, ConnectRequestListener listener) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(listener, "listener");
    WebClient client = WebClient.create(vertx, clientOptions(endpoint), new PoolOptions().setHttp1MaxSize(POOL_SIZE));
    return new VertxConnectApi(new ConnectHttp(vertx, client, endpoint, listener,
        () -> ThreadLocalRandom.current().nextDouble()));
  }

  static WebClientOptions clientOptions(ConnectEndpoint endpoint) {
    String host = endpoint.baseUrl().getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1); // IPv6 literal
    }
    WebClientOptions options = new WebClientOptions()
        .setDefaultHost(host)
        .setDefaultPort(endpoint.port())
        .setUserAgent("runbookd")
        .setSsl(endpoint.isHttps());
    ConnectEndpoint.Tls tls = endpoint.tls();
    if (tls.insecureSkipVerify()) {
      options.setTrustAll(true).setVerifyHost(false);
    } else if (tls.caFile().isPresent()) {
      options.setTrustOptions(new PemTrustOptions().addCertPath(tls.caFile().get().toString()));
    }
    return options;
  }

  /**
   * Parses a {@code GET /connectors/{name}/status} body as Connect returns it (Kafka Connect REST API,
   * "GET /connectors/(string:name)/status").
   *
   * @throws IllegalArgumentException when the body is not such a status
   */
  public static io.runbookd.model.ConnectorStatus parseStatus(String body) {
    try {
      return ConnectJson.status(body);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a connector status: " + e.getMessage(), e);
    }
  }
}
