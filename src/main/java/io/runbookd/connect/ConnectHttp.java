package io.runbookd.connect;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP exchanges with one Connect cluster: auth header, timeout, 409 retries on Vert.x timers, the
 * request listener, and turning every failure into {@link ConnectRestException}.
 *
 * <p>Nothing here blocks: retries wait on {@link Vertx#timer}, never on a thread.
 */
final class ConnectHttp {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectHttp.class);

  private final Vertx vertx;
  private final WebClient client;
  private final ConnectEndpoint endpoint;
  private final ConnectRequestListener listener;
  private final DoubleSupplier unitRandom;
  private final Optional<String> authorization;

  /**
   * @param client a client whose default host, port and TLS settings point at {@code endpoint}
   * @param unitRandom uniform numbers in {@code [0, 1)} for the retry jitter
   */
  ConnectHttp(
      Vertx vertx,
      WebClient client,
      ConnectEndpoint endpoint,
      ConnectRequestListener listener,
      DoubleSupplier unitRandom) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.client = Objects.requireNonNull(client, "client");
    this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.unitRandom = Objects.requireNonNull(unitRandom, "unitRandom");
    this.authorization = endpoint.basicAuth().map(ConnectHttp::basicAuthorization);
  }

  String cluster() {
    return endpoint.cluster();
  }

  /**
   * Sends a request and completes with its 2xx response. A 409 is retried per {@link
   * ConnectEndpoint#conflictBackOff()}; when the retries are used up, or on any other non-2xx status,
   * the future fails with {@link ConnectRestException} carrying Connect's error body. A transport
   * failure fails with status -1 and is not retried (the request may have been applied).
   *
   * @param path the percent-encoded path and query, relative to the base URL
   * @param jsonBody a JSON request body, or null for none
   */
  Future<HttpResponse<Buffer>> send(HttpMethod method, String path, String jsonBody) {
    return attempt(method, path, jsonBody, 0);
  }

  /** {@link #send} then {@code reader} applied to the body; a body it cannot read fails the future. */
  <T> Future<T> read(HttpMethod method, String path, String jsonBody, Function<String, T> reader) {
    return send(method, path, jsonBody).compose(response -> decode(method, path, response, reader));
  }

  /** Applies {@code reader} to the body; a body it cannot read becomes {@link ConnectRestException}. */
  <T> Future<T> decode(HttpMethod method, String path, HttpResponse<Buffer> response, Function<String, T> reader) {
    try {
      return Future.succeededFuture(reader.apply(response.bodyAsString()));
    } catch (ConnectJson.MalformedBodyException e) {
      return Future.failedFuture(new ConnectRestException(method.name(), path, response.statusCode(),
          response.statusCode(), "unexpected response body: " + e.getMessage(), e));
    }
  }

  private Future<HttpResponse<Buffer>> attempt(HttpMethod method, String path, String jsonBody, int retry) {
    return exchange(method, path, jsonBody).compose(response -> {
      int status = response.statusCode();
      if (status >= 200 && status < 300) {
        return Future.succeededFuture(response);
      }
      ConnectRestException error = toException(method, path, response);
      BackOff backOff = endpoint.conflictBackOff();
      if (status != 409 || retry >= backOff.maxRetries()) {
        return Future.failedFuture(error);
      }
      Duration delay = backOff.delay(retry, unitRandom.getAsDouble());
      LOG.info("Connect cluster {}: {} {} answered 409 ({}); retry {}/{} in {} ms",
          endpoint.cluster(), method, path, error.restMessage(), retry + 1, backOff.maxRetries(), delay.toMillis());
      return vertx.timer(Math.max(1, delay.toMillis()), TimeUnit.MILLISECONDS)
          .compose(fired -> attempt(method, path, jsonBody, retry + 1));
    });
  }

  /** One HTTP exchange, reported to the listener. */
  private Future<HttpResponse<Buffer>> exchange(HttpMethod method, String path, String jsonBody) {
    HttpRequest<Buffer> request = client.request(method, endpoint.pathPrefix() + path)
        .timeout(endpoint.requestTimeout().toMillis())
        .putHeader("Accept", "application/json");
    authorization.ifPresent(value -> request.putHeader("Authorization", value));
    long start = System.nanoTime();
    Future<HttpResponse<Buffer>> sent;
    if (jsonBody == null) {
      sent = request.send();
    } else {
      request.putHeader("Content-Type", "application/json");
      sent = request.sendBuffer(Buffer.buffer(jsonBody, StandardCharsets.UTF_8.name()));
    }
    return sent.transform(result -> {
      long nanos = System.nanoTime() - start;
      int status = result.succeeded() ? result.result().statusCode() : -1;
      report(method, status, nanos);
      if (result.succeeded()) {
        LOG.debug("Connect cluster {}: {} {} -> {} in {} ms",
            endpoint.cluster(), method, path, status, TimeUnit.NANOSECONDS.toMillis(nanos));
        return Future.succeededFuture(result.result());
      }
      Throwable cause = result.cause();
      String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
      return Future.failedFuture(new ConnectRestException(method.name(), path, -1, -1, message, cause));
    });
  }

  private void report(HttpMethod method, int status, long nanos) {
    try {
      listener.onResponse(endpoint.cluster(), method.name(), status, nanos);
    } catch (RuntimeException e) {
      LOG.warn("Connect request listener failed for cluster {}", endpoint.cluster(), e);
    }
  }

  private static ConnectRestException toException(HttpMethod method, String path, HttpResponse<Buffer> response) {
    ConnectJson.ErrorBody body =
        ConnectJson.error(response.statusCode(), response.bodyAsString(), response.statusMessage());
    return new ConnectRestException(method.name(), path, response.statusCode(), body.errorCode(), body.message());
  }

  private static String basicAuthorization(ConnectEndpoint.BasicAuth auth) {
    byte[] raw = (auth.username() + ":" + auth.password()).getBytes(StandardCharsets.UTF_8);
    return "Basic " + Base64.getEncoder().encodeToString(raw);
  }
}
