package io.runbookd.connect;

import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.stubbing.Scenario;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Restarts (KIP-745 and its fallback for Connect before 3.0) and the lifecycle calls, stop included
 * (KIP-875); https://kafka.apache.org/documentation/#connect_rest.
 */
class ConnectApiRestartTest extends WireMockConnect {

  private static final String RESTART = "/connectors/inventory-sink/restart";
  private static final String RESTART_FAILED_TASKS = RESTART + "?includeTasks=true&onlyFailed=true";

  @Test
  void kip745RestartReturns202WithTheTasksRestarting() throws Exception {
    CONNECT.stubFor(post(RESTART_FAILED_TASKS).willReturn(aResponse().withStatus(202)
        .withHeader("Content-Type", "application/json").withBody(fixture("restart-202.json"))));

    RestartOutcome outcome = await(api.restart("inventory-sink", true, true));

    assertThat(outcome.httpStatus()).isEqualTo(202);
    ConnectorStatus status = outcome.status().orElseThrow();
    assertThat(status.tasks().get(0).status().state()).isEqualTo(ConnectorState.RESTARTING);
    assertThat(status.tasks().get(1).status().state()).isEqualTo(ConnectorState.RUNNING);
    assertThat(exchanges).containsExactly(new Exchange("prod", "POST", 202));
  }

  @Test
  void plainRestartSendsNoParametersAndReturns204() throws Exception {
    CONNECT.stubFor(post(RESTART).willReturn(aResponse().withStatus(204)));

    RestartOutcome outcome = await(api.restart("inventory-sink", false, false));

    assertThat(outcome).isEqualTo(new RestartOutcome(204, Optional.empty()));
    CONNECT.verify(1, postRequestedFor(urlEqualTo(RESTART)));
    assertThat(exchanges).containsExactly(new Exchange("prod", "POST", 204));
  }

  @Test
  void taskRestartIs204() throws Exception {
    CONNECT.stubFor(post("/connectors/inventory-sink/tasks/0/restart").willReturn(aResponse().withStatus(204)));

    await(api.restartTask("inventory-sink", 0));

    assertThat(exchanges).containsExactly(new Exchange("prod", "POST", 204));
  }

  @Test
  void unknownTaskFailsAsNotFound() throws Exception {
    CONNECT.stubFor(post("/connectors/inventory-sink/tasks/7/restart").willReturn(aResponse().withStatus(404)
        .withBody("{\"error_code\":404,\"message\":\"Unknown task: inventory-sink-7\"}")));

    ConnectRestException error = failure(api.restartTask("inventory-sink", 7));

    assertThat(error.isNotFound()).isTrue();
    assertThat(error.restMessage()).isEqualTo("Unknown task: inventory-sink-7");
  }

  @Test
  void connectBefore30RestartsTheFailedTasksOneByOne() throws Exception {
    // Connect < 3.0 ignores includeTasks/onlyFailed, restarts only the Connector instance and answers 204.
    CONNECT.stubFor(post(RESTART_FAILED_TASKS).willReturn(aResponse().withStatus(204)));
    CONNECT.stubFor(get("/connectors/inventory-sink/status").inScenario("restart").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(okStatus("status-task-failed.json")));
    CONNECT.stubFor(post("/connectors/inventory-sink/tasks/0/restart").inScenario("restart")
        .willReturn(aResponse().withStatus(204)).willSetStateTo("task 0 restarted"));
    CONNECT.stubFor(get("/connectors/inventory-sink/status").inScenario("restart").whenScenarioStateIs("task 0 restarted")
        .willReturn(okStatus("status-after-task-restart.json")));

    RestartOutcome outcome = await(api.restart("inventory-sink", true, true));

    assertThat(outcome.httpStatus()).isEqualTo(204);
    assertThat(outcome.status().orElseThrow().isHealthy()).isTrue();
    assertThat(requestLine()).containsExactly(
        "POST " + RESTART_FAILED_TASKS,
        "GET /connectors/inventory-sink/status",
        "POST /connectors/inventory-sink/tasks/0/restart",
        "GET /connectors/inventory-sink/status");
  }

  @Test
  void connectBefore30WithOnlyFailedFalseRestartsEveryTask() throws Exception {
    String path = RESTART + "?includeTasks=true&onlyFailed=false";
    CONNECT.stubFor(post(path).willReturn(aResponse().withStatus(204)));
    CONNECT.stubFor(get("/connectors/inventory-sink/status").willReturn(okStatus("status-task-failed.json")));
    CONNECT.stubFor(post("/connectors/inventory-sink/tasks/0/restart").willReturn(aResponse().withStatus(204)));
    CONNECT.stubFor(post("/connectors/inventory-sink/tasks/1/restart").willReturn(aResponse().withStatus(204)));

    RestartOutcome outcome = await(api.restart("inventory-sink", true, false));

    assertThat(outcome.httpStatus()).isEqualTo(204);
    assertThat(outcome.status()).isPresent();
    assertThat(requestLine()).containsExactly(
        "POST " + path,
        "GET /connectors/inventory-sink/status",
        "POST /connectors/inventory-sink/tasks/0/restart",
        "POST /connectors/inventory-sink/tasks/1/restart",
        "GET /connectors/inventory-sink/status");
  }

  @Test
  void connectBefore30WithoutIncludeTasksRestartsNoTask() throws Exception {
    String path = RESTART + "?includeTasks=false&onlyFailed=true";
    CONNECT.stubFor(post(path).willReturn(aResponse().withStatus(204)));
    CONNECT.stubFor(get("/connectors/inventory-sink/status").willReturn(okStatus("status-task-failed.json")));

    RestartOutcome outcome = await(api.restart("inventory-sink", false, true));

    assertThat(outcome.httpStatus()).isEqualTo(204);
    assertThat(outcome.status().orElseThrow().failedTaskIds()).containsExactly(0);
    assertThat(requestLine()).containsExactly("POST " + path, "GET /connectors/inventory-sink/status");
  }

  @Test
  void unknownConnectorRestartFailsAsNotFound() throws Exception {
    CONNECT.stubFor(post(RESTART_FAILED_TASKS).willReturn(aResponse().withStatus(404)
        .withBody("{\"error_code\":404,\"message\":\"Unknown connector: inventory-sink\"}")));

    ConnectRestException error = failure(api.restart("inventory-sink", true, true));

    assertThat(error.isNotFound()).isTrue();
    assertThat(error.restMessage()).isEqualTo("Unknown connector: inventory-sink");
    assertThat(exchanges).hasSize(1);
  }

  @Test
  void pauseAndResumeAre202() throws Exception {
    CONNECT.stubFor(put("/connectors/inventory-sink/pause").willReturn(aResponse().withStatus(202)));
    CONNECT.stubFor(put("/connectors/inventory-sink/resume").willReturn(aResponse().withStatus(202)));

    await(api.pause("inventory-sink"));
    await(api.resume("inventory-sink"));

    assertThat(exchanges).containsExactly(new Exchange("prod", "PUT", 202), new Exchange("prod", "PUT", 202));
  }

  @Test
  void stopIs204() throws Exception {
    CONNECT.stubFor(put("/connectors/inventory-sink/stop").willReturn(aResponse().withStatus(204)));

    await(api.stop("inventory-sink"));

    assertThat(exchanges).containsExactly(new Exchange("prod", "PUT", 204));
  }

  private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder okStatus(String fixture) {
    return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(fixture(fixture));
  }

  /** "METHOD url" of every request WireMock received, in arrival order. */
  private static List<String> requestLine() {
    return CONNECT.findAll(anyRequestedFor(anyUrl())).stream()
        .map(r -> r.getMethod() + " " + r.getUrl())
        .toList();
  }
}
