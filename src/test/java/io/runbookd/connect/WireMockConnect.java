package io.runbookd.connect;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Shared fixture: a WireMock server standing in for a Connect worker, a Vert.x instance, and a
 * {@link ConnectApi} pointed at it with a millisecond 409 backoff so retries finish at once.
 */
abstract class WireMockConnect {

  /** 3 retries, 1 ms doubling to 4 ms. */
  static final BackOff FAST_BACKOFF = new BackOff(3, Duration.ofMillis(1), Duration.ofMillis(4));

  @RegisterExtension
  static final WireMockExtension CONNECT =
      WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  static Vertx vertx;

  /** Every exchange the listener saw, in order. */
  final List<Exchange> exchanges = new CopyOnWriteArrayList<>();

  ConnectApi api;

  record Exchange(String cluster, String method, int status) {}

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void closeVertx() throws Exception {
    await(vertx.close());
  }

  @BeforeEach
  void createApi() {
    api = api(endpoint());
  }

  /** The endpoint of the WireMock "cluster" named {@code prod}, with {@link #FAST_BACKOFF}. */
  static ConnectEndpoint endpoint() {
    return ConnectEndpoint.of("prod", CONNECT.baseUrl()).withConflictBackOff(FAST_BACKOFF);
  }

  ConnectApi api(ConnectEndpoint endpoint) {
    return ConnectApis.create(vertx, endpoint,
        (cluster, method, status, nanos) -> exchanges.add(new Exchange(cluster, method, status)));
  }

  /** Waits (at most 10 s) for a future that must succeed. */
  static <T> T await(Future<T> future) throws InterruptedException, ExecutionException, TimeoutException {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Waits (at most 10 s) for a future that must fail with {@link ConnectRestException}. */
  static ConnectRestException failure(Future<?> future) throws InterruptedException, TimeoutException {
    try {
      Object value = future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return fail("expected a ConnectRestException, got " + value);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(ConnectRestException.class);
      return (ConnectRestException) e.getCause();
    }
  }

  /** A JSON body from {@code src/test/resources/connect/}. */
  static String fixture(String name) {
    try (InputStream in = WireMockConnect.class.getResourceAsStream("/connect/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
