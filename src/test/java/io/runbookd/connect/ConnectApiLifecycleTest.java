package io.runbookd.connect;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Listing, deleting and creating connectors (the Connect REST API: {@code GET /connectors}, {@code DELETE
 * /connectors/{name}} 204, {@code PUT /connectors/{name}/config} 201 when it creates), as the recreate step
 * uses them, with the same error and timeout handling as every other call.
 */
class ConnectApiLifecycleTest extends WireMockConnect {

  @Test
  void listsConnectorNames() throws Exception {
    CONNECT.stubFor(get(urlEqualTo("/connectors")).willReturn(okJson("[\"orders-source\",\"orders-source.1\"]")));

    assertThat(await(api.connectors())).containsExactly("orders-source", "orders-source.1");
    assertThat(exchanges).containsExactly(new Exchange("prod", "GET", 200));
  }

  @Test
  void aListThatIsNotAnArrayIsAnUnexpectedBody() throws Exception {
    CONNECT.stubFor(get(urlEqualTo("/connectors")).willReturn(okJson("{\"orders-source\":{}}")));

    ConnectRestException error = failure(api.connectors());

    assertThat(error).hasMessageContaining("unexpected response body: connector list is not a JSON array");
  }

  @Test
  void deletesWithTheNameAsOnePathSegment() throws Exception {
    CONNECT.stubFor(delete(urlEqualTo("/connectors/orders%2Fsource")).willReturn(aResponse().withStatus(204)));

    await(api.deleteConnector("orders/source"));

    CONNECT.verify(deleteRequestedFor(urlEqualTo("/connectors/orders%2Fsource")));
    assertThat(exchanges).containsExactly(new Exchange("prod", "DELETE", 204));
  }

  @Test
  void deletingAnUnknownConnectorIsNotFound() throws Exception {
    CONNECT.stubFor(delete(urlEqualTo("/connectors/gone")).willReturn(aResponse().withStatus(404)
        .withBody("{\"error_code\":404,\"message\":\"Connector gone not found\"}")));

    ConnectRestException error = failure(api.deleteConnector("gone"));

    assertThat(error.isNotFound()).isTrue();
    assertThat(error.restMessage()).isEqualTo("Connector gone not found");
  }

  @Test
  void putConfigCreatesAndReturnsTheStoredConfig() throws Exception {
    CONNECT.stubFor(put(urlEqualTo("/connectors/inventory-sink/config")).willReturn(aResponse().withStatus(201)
        .withHeader("Content-Type", "application/json").withBody(fixture("connector-info.json"))));
    Map<String, String> config = new LinkedHashMap<>();
    config.put("connector.class", "io.confluent.connect.jdbc.JdbcSinkConnector");
    config.put("name", "inventory-sink");
    config.put("topics", "inventory");

    Map<String, String> stored = await(api.putConfig("inventory-sink", config));

    assertThat(stored).containsEntry("topics", "inventory").containsEntry("tasks.max", "2");
    CONNECT.verify(putRequestedFor(urlEqualTo("/connectors/inventory-sink/config")).withRequestBody(equalToJson(
        "{\"connector.class\":\"io.confluent.connect.jdbc.JdbcSinkConnector\",\"name\":\"inventory-sink\","
            + "\"topics\":\"inventory\"}")));
    assertThat(exchanges).containsExactly(new Exchange("prod", "PUT", 201));
  }

  @Test
  void aCreateThatConflictsIsRetriedThenFailsAsARebalance() throws Exception {
    CONNECT.stubFor(put(urlEqualTo("/connectors/x/config")).willReturn(aResponse().withStatus(409).withBody(
        "{\"error_code\":409,\"message\":\"Cannot complete request momentarily due to stale configuration (typically"
            + " caused by a concurrent config change)\"}")));

    ConnectRestException error = failure(api.putConfig("x", Map.of("connector.class", "c")));

    assertThat(error.isConflict()).isTrue();
    assertThat(exchanges).hasSize(4);
  }

  @Test
  void aSlowDeleteIsAnUnknownOutcome() throws Exception {
    CONNECT.stubFor(delete(urlEqualTo("/connectors/slow")).willReturn(aResponse().withStatus(204).withFixedDelay(1_000)));
    ConnectApi impatient = api(endpoint().withRequestTimeout(Duration.ofMillis(100)));

    ConnectRestException error = failure(impatient.deleteConnector("slow"));

    assertThat(error.status()).isEqualTo(-1);
    assertThat(error.isOutcomeUnknown()).isTrue();
  }

  @Test
  void anEmptyNameFailsBeforeAnyRequest() throws Exception {
    assertThat(api.deleteConnector("").cause()).isInstanceOf(IllegalArgumentException.class);
    assertThat(api.putConfig("", Map.of()).cause()).isInstanceOf(IllegalArgumentException.class);
    assertThat(exchanges).isEmpty();
  }
}
