package io.runbookd.probe;

import io.runbookd.alert.LinearPattern;
import io.runbookd.model.Endpoint;
import io.runbookd.model.ProbeResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** {@link Prober} on Vert.x's non-blocking NetClient and HttpClient. */
final class VertxProber implements Prober {
  private static final int MAX_BODY = 64 * 1024;

  private final NetClient net;
  private final HttpClient http;

  VertxProber(Vertx vertx) {
    this.net = vertx.createNetClient(new NetClientOptions().setConnectTimeout(10_000));
    this.http = vertx.createHttpClient(new HttpClientOptions().setTrustAll(false).setVerifyHost(true)
        .setKeepAlive(false));
  }

  @Override
  public Future<ProbeResult> tcp(Endpoint endpoint, Duration timeout) {
    long ms = Math.max(1, timeout.toMillis());
    Future<io.vertx.core.net.NetSocket> connected = net.connect(endpoint.port(), endpoint.host());
    connected.onSuccess(socket -> socket.close()); // also when it opens after the timeout
    return connected
        .timeout(ms, TimeUnit.MILLISECONDS)
        .map(socket -> {
          return new ProbeResult(ProbeResult.Outcome.REACHED, endpoint, "tcp connect to " + endpoint + " succeeded");
        })
        .recover(err -> Future.succeededFuture(unreachable(endpoint, "tcp connect", err)));
  }

  @Override
  public Future<ProbeResult> http(Endpoint endpoint, String path, int status, LinearPattern body, Duration timeout) {
    long ms = Math.max(1, timeout.toMillis());
    String base = endpoint.url() != null ? endpoint.url()
        : "http://" + endpoint + "/";
    URI uri = URI.create(base).resolve(path);
    RequestOptions req = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(uri.toString())
        .setConnectTimeout(ms).setIdleTimeout(ms);
    return http.request(req)
        .compose(r -> r.send())
        .compose(resp -> resp.body().map(b -> {
          int code = resp.statusCode();
          boolean statusOk = status == 0 ? code / 100 == 2 : code == status;
          String text = b.length() > MAX_BODY ? b.getString(0, MAX_BODY, StandardCharsets.UTF_8.name())
              : b.toString(StandardCharsets.UTF_8);
          if (!statusOk) {
            return new ProbeResult(ProbeResult.Outcome.UNREACHABLE, endpoint, "GET " + uri + " answered " + code);
          }
          if (body != null && body.find(text) < 0) {
            return new ProbeResult(ProbeResult.Outcome.UNREACHABLE, endpoint, "GET " + uri + " answered " + code
                + " without the expected body");
          }
          return new ProbeResult(ProbeResult.Outcome.REACHED, endpoint, "GET " + uri + " answered " + code);
        }))
        .timeout(ms, TimeUnit.MILLISECONDS)
        .recover(err -> Future.succeededFuture(unreachable(endpoint, "GET " + uri, err)));
  }

  private static ProbeResult unreachable(Endpoint endpoint, String what, Throwable err) {
    String msg = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
    return new ProbeResult(ProbeResult.Outcome.UNREACHABLE, endpoint, what + " to " + endpoint + " failed: " + msg);
  }
}
