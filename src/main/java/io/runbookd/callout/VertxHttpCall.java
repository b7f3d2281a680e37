package io.runbookd.callout;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/** {@link HttpCall} on Vert.x's non-blocking HttpClient, reading the answer as a bounded stream. */
final class VertxHttpCall implements HttpCall {
  private final HttpClient http;

  VertxHttpCall(Vertx vertx) {
    this.http = vertx.createHttpClient(new HttpClientOptions().setTrustAll(false).setVerifyHost(true)
        .setKeepAlive(false));
  }

  @Override
  public Future<Response> send(Request r) {
    URI uri;
    try {
      uri = URI.create(r.url());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new IllegalArgumentException("not a valid URL: " + e.getMessage()));
    }
    if (uri.getScheme() == null || !uri.getScheme().matches("(?i)https?") || uri.getHost() == null) {
      return Future.failedFuture(new IllegalArgumentException("not an absolute http(s) URL: " + r.url()));
    }
    long ms = Math.max(1, r.timeout().toMillis());
    RequestOptions opts = new RequestOptions().setMethod(HttpMethod.valueOf(r.method().toUpperCase(Locale.ROOT)))
        .setAbsoluteURI(r.url()).setConnectTimeout(ms).setIdleTimeout(ms);
    AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
    Future<Response> exchange = http.request(opts).compose(req -> {
      sent.set(req);
      r.headers().forEach(req::putHeader);
      return r.body() == null ? req.send() : req.send(r.body());
    }).compose(resp -> {
      Promise<Response> done = Promise.promise();
      Buffer buf = Buffer.buffer();
      boolean[] truncated = {false};
      Map<String, String> headers = new TreeMap<>();
      resp.headers().forEach(h -> headers.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
      Runnable finish = () -> done.tryComplete(new Response(resp.statusCode(), headers,
          buf.toString(StandardCharsets.UTF_8), truncated[0]));
      resp.handler(chunk -> {
        if (truncated[0]) {
          return;
        }
        int room = r.maxBody() - buf.length();
        if (chunk.length() <= room) {
          buf.appendBuffer(chunk);
          return;
        }
        buf.appendBuffer(chunk, 0, Math.max(0, room));
        truncated[0] = true;
        finish.run();
        resp.request().reset(); // read no further
      });
      resp.endHandler(v -> finish.run());
      resp.exceptionHandler(err -> {
        if (truncated[0]) {
          finish.run();
        } else {
          done.tryFail(err);
        }
      });
      return done.future();
    });
    return exchange.timeout(ms, TimeUnit.MILLISECONDS).recover(err -> {
      HttpClientRequest req = sent.get();
      if (req != null) {
        req.reset();
      }
      if (err instanceof TimeoutException) {
        return Future.failedFuture(new TimeoutException(r.method() + " timed out after " + ms + " ms"));
      }
      return Future.failedFuture(err);
    });
  }
}
