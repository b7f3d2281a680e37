package io.runbookd.connect;

import io.runbookd.model.ConnectorStatus;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Collections;
import org.junit.jupiter.api.Test;

/**
 * 409 retries, Connect's 90 s timeout, transport failures and odd error bodies (apache/kafka
 * {@code HerderRequestHandler}, {@code ConnectExceptionMapper}).
 */
class ConnectApiErrorsTest extends WireMockConnect {

  private static final String STATUS = "/connectors/inventory-sink/status";
  private static final String STALE_CONFIG = "Cannot complete request momentarily due to stale configuration "
      + "(typically caused by a concurrent config change)";

  private static ResponseDefinitionBuilder conflict() {
    return aResponse().withStatus(409).withHeader("Content-Type", "application/json")
        .withBody("{\"error_code\":409,\"message\":\"" + STALE_CONFIG + "\"}");
  }

  @Test
  void conflictDuringARebalanceIsRetriedUntilItSucceeds() throws Exception {
    CONNECT.stubFor(get(STATUS).inScenario("rebalance").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(conflict()).willSetStateTo("still rebalancing"));
    CONNECT.stubFor(get(STATUS).inScenario("rebalance").whenScenarioStateIs("still rebalancing")
        .willReturn(conflict()).willSetStateTo("done"));
    CONNECT.stubFor(get(STATUS).inScenario("rebalance").whenScenarioStateIs("done")
        .willReturn(okJson(fixture("status-task-failed.json"))));

    ConnectorStatus status = await(api.status("inventory-sink"));

    assertThat(status.failedTaskIds()).containsExactly(0);
    CONNECT.verify(3, getRequestedFor(urlEqualTo(STATUS)));
    assertThat(exchanges).containsExactly(
        new Exchange("prod", "GET", 409), new Exchange("prod", "GET", 409), new Exchange("prod", "GET", 200));
  }

  @Test
  void conflictThatOutlastsTheRetriesFailsWith409() throws Exception {
    String restart = "/connectors/inventory-sink/restart?includeTasks=true&onlyFailed=true";
    CONNECT.stubFor(post(restart).willReturn(conflict()));

    ConnectRestException error = failure(api.restart("inventory-sink", true, true));

    assertThat(error.isConflict()).isTrue();
    assertThat(error.restMessage()).isEqualTo(STALE_CONFIG);
    int attempts = 1 + FAST_BACKOFF.maxRetries();
    CONNECT.verify(attempts, postRequestedFor(urlEqualTo(restart)));
    assertThat(exchanges).hasSize(attempts).allMatch(e -> e.status() == 409);
  }

  @Test
  void zeroRetriesFailsOnTheFirstConflict() throws Exception {
    CONNECT.stubFor(get(STATUS).willReturn(conflict()));
    ConnectApi noRetry = api(endpoint().withConflictBackOff(new BackOff(0, Duration.ofMillis(1), Duration.ofMillis(1))));

    assertThat(failure(noRetry.status("inventory-sink")).isConflict()).isTrue();
    CONNECT.verify(1, getRequestedFor(urlEqualTo(STATUS)));
  }

  @Test
  void connectRequestTimeoutLeavesTheOutcomeUnknown() throws Exception {
    String message = "Request timed out. The worker is currently ensuring membership in the cluster, "
        + "which began at 2025-06-01T10:00:00.000Z";
    String restart = "/connectors/inventory-sink/restart";
    CONNECT.stubFor(post(restart).willReturn(aResponse().withStatus(500)
        .withBody("{\"error_code\":500,\"message\":\"" + message + "\"}")));

    ConnectRestException error = failure(api.restart("inventory-sink", false, false));

    assertThat(error.status()).isEqualTo(500);
    assertThat(error.restMessage()).isEqualTo(message);
    assertThat(error.isOutcomeUnknown()).isTrue();
    CONNECT.verify(1, postRequestedFor(urlEqualTo(restart)));
  }

  @Test
  void otherServerErrorsAreNotUnknownOutcomes() throws Exception {
    CONNECT.stubFor(get(STATUS).willReturn(aResponse().withStatus(500)
        .withBody("{\"error_code\":500,\"message\":\"Failed to read connector status\"}")));

    ConnectRestException error = failure(api.status("inventory-sink"));

    assertThat(error.status()).isEqualTo(500);
    assertThat(error.isOutcomeUnknown()).isFalse();
  }

  @Test
  void nonJsonErrorBodyBecomesTheMessage() throws Exception {
    CONNECT.stubFor(get(STATUS).willReturn(aResponse().withStatus(502).withHeader("Content-Type", "text/plain")
        .withBody("upstream connect error or disconnect/reset before headers\n")));

    ConnectRestException error = failure(api.status("inventory-sink"));

    assertThat(error.status()).isEqualTo(502);
    assertThat(error.errorCode()).isEqualTo(502);
    assertThat(error.restMessage()).isEqualTo("upstream connect error or disconnect/reset before headers");
  }

  @Test
  void emptyErrorBodyUsesTheReasonPhrase() throws Exception {
    CONNECT.stubFor(get(STATUS).willReturn(aResponse().withStatus(401)));

    ConnectRestException error = failure(api.status("inventory-sink"));

    assertThat(error.status()).isEqualTo(401);
    assertThat(error.restMessage()).isEqualTo("Unauthorized");
  }

  @Test
  void connectionRefusedIsATransportErrorWithStatusMinusOne() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    ConnectApi down = api(ConnectEndpoint.of("down", "http://127.0.0.1:" + closedPort).withConflictBackOff(FAST_BACKOFF));

    ConnectRestException error = failure(down.status("inventory-sink"));

    assertThat(error.status()).isEqualTo(-1);
    assertThat(error.isOutcomeUnknown()).isTrue();
    assertThat(error.getCause()).isNotNull();
    assertThat(error).hasMessageStartingWith("GET /connectors/inventory-sink/status failed: no response: ");
    assertThat(exchanges).containsExactly(new Exchange("down", "GET", -1));
  }

  @Test
  void responseSlowerThanTheRequestTimeoutIsATransportError() throws Exception {
    CONNECT.stubFor(get(STATUS).willReturn(okJson(fixture("status-task-failed.json")).withFixedDelay(1_000)));
    ConnectApi impatient = api(endpoint().withRequestTimeout(Duration.ofMillis(100)));

    ConnectRestException error = failure(impatient.status("inventory-sink"));

    assertThat(error.status()).isEqualTo(-1);
    assertThat(error.isOutcomeUnknown()).isTrue();
    assertThat(exchanges).containsExactly(new Exchange("prod", "GET", -1));
  }

  @Test
  void failingListenerDoesNotFailTheCall() throws Exception {
    CONNECT.stubFor(get(STATUS).willReturn(okJson(fixture("status-running-4.1.json"))));
    ConnectApi withBrokenListener = ConnectApis.create(vertx, endpoint(), (cluster, method, status, nanos) -> {
      throw new IllegalStateException("metrics registry closed");
    });

    assertThat(await(withBrokenListener.status("inventory-sink")).name()).isEqualTo("orders-source");
  }

  @Test
  void listenerSeesTheDurationOfEachExchange() throws Exception {
    CONNECT.stubFor(get(STATUS).willReturn(okJson(fixture("status-running-4.1.json"))));
    java.util.List<Long> durations = Collections.synchronizedList(new java.util.ArrayList<>());
    ConnectApi timed = ConnectApis.create(vertx, endpoint(), (cluster, method, status, nanos) -> durations.add(nanos));

    await(timed.status("inventory-sink"));

    assertThat(durations).singleElement().satisfies(nanos -> assertThat(nanos).isPositive());
  }
}
