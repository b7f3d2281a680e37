package io.runbookd.connect;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.patchRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Config patches (KIP-477 and the GET + PUT fallback) and offset changes (KIP-875). */
class ConnectApiConfigTest extends WireMockConnect {

  private static final String CONFIG = "/connectors/inventory-sink/config";
  private static final String CURRENT = "{\"connector.class\":\"io.confluent.connect.jdbc.JdbcSinkConnector\","
      + "\"name\":\"inventory-sink\",\"topics\":\"inventory\",\"errors.tolerance\":\"none\",\"auto.evolve\":\"false\","
      + "\"tasks.max\":\"2\"}";

  /** Set {@code errors.tolerance=all}, remove {@code auto.evolve}. */
  private static Map<String, String> patchBody() {
    Map<String, String> patch = new HashMap<>();
    patch.put("errors.tolerance", "all");
    patch.put("auto.evolve", null);
    return patch;
  }

  @Test
  void patchSendsNullToRemoveAKeyAndReturnsTheNewConfig() throws Exception {
    CONNECT.stubFor(patch(urlEqualTo(CONFIG)).willReturn(okJson(fixture("connector-info.json"))));

    Map<String, String> config = await(api.patchConfig("inventory-sink", patchBody()));

    assertThat(config).containsEntry("errors.tolerance", "all").doesNotContainKey("auto.evolve").containsEntry("tasks.max", "2");
    CONNECT.verify(patchRequestedFor(urlEqualTo(CONFIG))
        .withRequestBody(equalToJson("{\"errors.tolerance\":\"all\",\"auto.evolve\":null}")));
    assertThat(exchanges).containsExactly(new Exchange("prod", "PATCH", 200));
  }

  @ParameterizedTest(name = "PATCH answers {0}, PUT answers 200 or 201")
  @ValueSource(ints = {404, 405})
  void connectBefore38FallsBackToGetMergePut(int patchStatus) throws Exception {
    CONNECT.stubFor(patch(urlEqualTo(CONFIG)).willReturn(aResponse().withStatus(patchStatus)
        .withBody("{\"error_code\":" + patchStatus + ",\"message\":\"HTTP " + patchStatus + "\"}")));
    CONNECT.stubFor(get(CONFIG).willReturn(okJson(CURRENT)));
    CONNECT.stubFor(put(CONFIG).willReturn(aResponse().withStatus(patchStatus == 404 ? 200 : 201)
        .withHeader("Content-Type", "application/json").withBody(fixture("connector-info.json"))));

    Map<String, String> config = await(api.patchConfig("inventory-sink", patchBody()));

    assertThat(config).containsEntry("errors.tolerance", "all").doesNotContainKey("auto.evolve");
    CONNECT.verify(putRequestedFor(urlEqualTo(CONFIG)).withRequestBody(equalToJson(
        "{\"connector.class\":\"io.confluent.connect.jdbc.JdbcSinkConnector\",\"name\":\"inventory-sink\","
            + "\"topics\":\"inventory\",\"errors.tolerance\":\"all\",\"tasks.max\":\"2\"}")));
    assertThat(exchanges).extracting(Exchange::method).containsExactly("PATCH", "GET", "PUT");
  }

  @Test
  void unknownConnectorIsNotCreatedByTheFallback() throws Exception {
    CONNECT.stubFor(patch(urlEqualTo(CONFIG)).willReturn(aResponse().withStatus(404)
        .withBody("{\"error_code\":404,\"message\":\"Connector inventory-sink not found\"}")));
    CONNECT.stubFor(get(CONFIG).willReturn(aResponse().withStatus(404)
        .withBody("{\"error_code\":404,\"message\":\"Connector inventory-sink not found\"}")));

    ConnectRestException error = failure(api.patchConfig("inventory-sink", patchBody()));

    assertThat(error.isNotFound()).isTrue();
    assertThat(error.restMessage()).isEqualTo("Connector inventory-sink not found");
    CONNECT.verify(0, putRequestedFor(anyUrl()));
  }

  @Test
  void patchRejectedForAnotherReasonDoesNotFallBack() throws Exception {
    CONNECT.stubFor(patch(urlEqualTo(CONFIG)).willReturn(aResponse().withStatus(400)
        .withBody("{\"error_code\":400,\"message\":\"Connector configuration is invalid and contains the following 1 error(s)\"}")));

    ConnectRestException error = failure(api.patchConfig("inventory-sink", patchBody()));

    assertThat(error.status()).isEqualTo(400);
    assertThat(exchanges).extracting(Exchange::method).containsExactly("PATCH");
  }

  @Test
  void offsetsOfARunningConnectorCannotBeReset() throws Exception {
    String message = "Connectors must be in the STOPPED state before their offsets can be modified. This can be done "
        + "for the specified connector by issuing a 'PUT' request to the '/connectors/inventory-sink/stop' endpoint";
    CONNECT.stubFor(delete("/connectors/inventory-sink/offsets").willReturn(aResponse().withStatus(400)
        .withHeader("Content-Type", "application/json")
        .withBody(new JsonObject().put("error_code", 400).put("message", message).encode())));

    ConnectRestException error = failure(api.resetOffsets("inventory-sink"));

    assertThat(error.status()).isEqualTo(400);
    assertThat(error.errorCode()).isEqualTo(400);
    assertThat(error.restMessage()).isEqualTo(message);
    assertThat(error.isOutcomeUnknown()).isFalse();
  }

  @Test
  void resetOffsetsReturnsConnectsMessage() throws Exception {
    CONNECT.stubFor(delete("/connectors/inventory-sink/offsets")
        .willReturn(okJson("{\"message\":\"The offsets for this connector have been reset successfully\"}")));

    assertThat(await(api.resetOffsets("inventory-sink")))
        .isEqualTo("The offsets for this connector have been reset successfully");
  }

  @Test
  void alterOffsetsSendsThePartitionsAndOffsets() throws Exception {
    JsonObject offsets = new JsonObject("{\"offsets\":[{\"partition\":{\"kafka_topic\":\"inventory\",\"kafka_partition\":0},"
        + "\"offset\":{\"kafka_offset\":42}}]}");
    CONNECT.stubFor(patch(urlEqualTo("/connectors/inventory-sink/offsets"))
        .withRequestBody(equalToJson(offsets.encode()))
        .willReturn(okJson("{\"message\":\"The offsets for this connector have been altered successfully\"}")));

    assertThat(await(api.alterOffsets("inventory-sink", offsets)))
        .isEqualTo("The offsets for this connector have been altered successfully");
  }
}
