package io.runbookd.connect;

import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.ConnectorStatus.InstanceStatus;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Reads: status, the expanded listing, config, offsets, validation, health (KIP-1017;
 * https://kafka.apache.org/documentation/#connect_rest).
 */
class ConnectApiReadTest extends WireMockConnect {

  @Test
  void statusOfAFailedTaskCarriesItsTrace() throws Exception {
    CONNECT.stubFor(get("/connectors/inventory-sink/status").willReturn(okJson(fixture("status-task-failed.json"))));

    ConnectorStatus status = await(api.status("inventory-sink"));

    assertThat(status.name()).isEqualTo("inventory-sink");
    assertThat(status.type()).isEqualTo("sink");
    assertThat(status.connector()).isEqualTo(new InstanceStatus(ConnectorState.RUNNING, "10.0.0.7:8083", null));
    assertThat(status.tasks()).extracting(ConnectorStatus.TaskStatus::id).containsExactly(0, 1);
    assertThat(status.failedTaskIds()).containsExactly(0);
    assertThat(status.tasks().get(0).status().trace())
        .startsWith("org.apache.kafka.connect.errors.ConnectException: Connection to localhost:5432 refused")
        .contains("Caused by: java.net.ConnectException: Connection refused");
    assertThat(status.tasks().get(1).status().trace()).isNull();
    assertThat(exchanges).containsExactly(new Exchange("prod", "GET", 200));
  }

  @Test
  void statusFromKafka41IgnoresTheVersionField() throws Exception {
    CONNECT.stubFor(get("/connectors/orders-source/status").willReturn(okJson(fixture("status-running-4.1.json"))));

    ConnectorStatus status = await(api.status("orders-source"));

    assertThat(status.isHealthy()).isTrue();
    assertThat(status.type()).isEqualTo("source");
    assertThat(status.traces()).isEmpty();
    assertThat(status.tasks()).singleElement()
        .isEqualTo(new ConnectorStatus.TaskStatus(0, new InstanceStatus(ConnectorState.RUNNING, "connect-0:8083", null)));
  }

  @Test
  void unknownConnectorFailsAsNotFoundWithConnectsMessage() throws Exception {
    CONNECT.stubFor(get("/connectors/ghost/status").willReturn(aResponse().withStatus(404)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"error_code\":404,\"message\":\"No status found for connector ghost\"}")));

    ConnectRestException error = failure(api.status("ghost"));

    assertThat(error.isNotFound()).isTrue();
    assertThat(error.isOutcomeUnknown()).isFalse();
    assertThat(error.method()).isEqualTo("GET");
    assertThat(error.path()).isEqualTo("/connectors/ghost/status");
    assertThat(error.errorCode()).isEqualTo(404);
    assertThat(error.restMessage()).isEqualTo("No status found for connector ghost");
    assertThat(error).hasMessage("GET /connectors/ghost/status failed: HTTP 404: No status found for connector ghost");
    assertThat(exchanges).containsExactly(new Exchange("prod", "GET", 404));
  }

  @Test
  void statusBodyThatIsNotAStatusFailsWithTheHttpStatus() throws Exception {
    CONNECT.stubFor(get("/connectors/x/status").willReturn(aResponse().withStatus(200).withBody("<html>proxy login</html>")));

    ConnectRestException error = failure(api.status("x"));

    assertThat(error.status()).isEqualTo(200);
    assertThat(error.restMessage()).startsWith("unexpected response body: response body is not JSON");
  }

  @Test
  void expandedListingGivesEveryStatusByName() throws Exception {
    CONNECT.stubFor(get("/connectors?expand=status").willReturn(okJson(fixture("connectors-expand-status.json"))));

    Map<String, ConnectorStatus> statuses = await(api.statuses());

    assertThat(statuses).containsOnlyKeys("orders-source", "archive-sink");
    assertThat(statuses.get("orders-source").isHealthy()).isTrue();
    assertThat(statuses.get("archive-sink").connector().state()).isEqualTo(ConnectorState.STOPPED);
    assertThat(statuses.get("archive-sink").tasks()).isEmpty();
  }

  @Test
  void emptyClusterListsNothing() throws Exception {
    CONNECT.stubFor(get("/connectors?expand=status").willReturn(okJson("{}")));

    assertThat(await(api.statuses())).isEmpty();
  }

  @Test
  void configIsTheFlatMap() throws Exception {
    CONNECT.stubFor(get("/connectors/inventory-sink/config")
        .willReturn(okJson("{\"connector.class\":\"io.confluent.connect.jdbc.JdbcSinkConnector\",\"tasks.max\":\"2\"}")));

    assertThat(await(api.config("inventory-sink")))
        .containsExactly(Map.entry("connector.class", "io.confluent.connect.jdbc.JdbcSinkConnector"), Map.entry("tasks.max", "2"));
  }

  @Test
  void offsetsAreTheRawBody() throws Exception {
    String body = "{\"offsets\":[{\"partition\":{\"filename\":\"/tmp/in.txt\"},\"offset\":{\"position\":6}}]}";
    CONNECT.stubFor(get("/connectors/file-source/offsets").willReturn(okJson(body)));

    JsonObject offsets = await(api.offsets("file-source"));

    assertThat(offsets).isEqualTo(new JsonObject(body));
  }

  @Test
  void validationReturnsOnlyKeysWithErrors() throws Exception {
    CONNECT.stubFor(put("/connector-plugins/io.confluent.connect.jdbc.JdbcSinkConnector/config/validate")
        .willReturn(okJson(fixture("validate.json"))));
    Map<String, String> config = Map.of("connector.class", "io.confluent.connect.jdbc.JdbcSinkConnector", "tasks.max", "2");

    Map<String, List<String>> errors = await(api.validateConfig("io.confluent.connect.jdbc.JdbcSinkConnector", config));

    assertThat(errors).containsExactly(
        Map.entry("connection.url", List.of("Missing required configuration \"connection.url\" which has no default value.")));
    CONNECT.verify(putRequestedFor(urlEqualTo("/connector-plugins/io.confluent.connect.jdbc.JdbcSinkConnector/config/validate"))
        .withHeader("Content-Type", equalTo("application/json"))
        .withRequestBody(equalToJson("{\"connector.class\":\"io.confluent.connect.jdbc.JdbcSinkConnector\",\"tasks.max\":\"2\"}")));
  }

  @Test
  void healthyWorkerAnswers200() throws Exception {
    CONNECT.stubFor(get("/health").willReturn(okJson("{\"status\":\"healthy\",\"message\":\"Worker has completed startup and is ready to handle requests.\"}")));

    await(api.health());

    assertThat(exchanges).containsExactly(new Exchange("prod", "GET", 200));
  }

  @Test
  void connectOlderThan39WithoutHealthEndpointCountsAsHealthy() throws Exception {
    CONNECT.stubFor(get("/health").willReturn(aResponse().withStatus(404)
        .withBody("{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}")));

    await(api.health());

    assertThat(exchanges).containsExactly(new Exchange("prod", "GET", 404));
  }

  @Test
  void startingWorkerIsNotHealthy() throws Exception {
    CONNECT.stubFor(get("/health").willReturn(aResponse().withStatus(503)
        .withBody("{\"status\":\"starting\",\"message\":\"Worker is still starting up.\"}")));

    ConnectRestException error = failure(api.health());

    assertThat(error.status()).isEqualTo(503);
    assertThat(error.restMessage()).isEqualTo("Worker is still starting up.");
  }

  @Test
  void unhealthyWorkerIsNotHealthy() throws Exception {
    CONNECT.stubFor(get("/health").willReturn(aResponse().withStatus(500)
        .withBody("{\"status\":\"unhealthy\",\"message\":\"Worker was unable to handle this request and may be unable to handle other requests.\"}")));

    ConnectRestException error = failure(api.health());

    assertThat(error.status()).isEqualTo(500);
    assertThat(error.isOutcomeUnknown()).isFalse();
  }
}
