package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.runbookd.testkit.ConnectWorker;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proves the IT fixture against a real Kafka Connect 4.1 worker: {@link FlakyConnector} failures show in
 * {@code GET /connectors/{name}/status} exactly where runbookd will look for them, and a KIP-745 restart
 * brings the connector back once the failure is gone.
 */
class EmbeddedConnectSmokeIT {

  private static final Duration STATE_TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static ConnectWorker worker;
  private final List<String> connectors = new ArrayList<>();
  private final List<String> failureKeys = new ArrayList<>();

  @BeforeAll
  static void startWorker() {
    long t0 = System.nanoTime();
    worker = ConnectWorker.get();
    System.out.printf("EmbeddedConnectSmokeIT: Connect worker %s ready after %d ms (cluster start took %d ms)%n",
        worker.restUrl(), Duration.ofNanos(System.nanoTime() - t0).toMillis(), worker.startTime().toMillis());
  }

  @AfterEach
  void cleanUp() {
    failureKeys.forEach(Failures::clear);
    connectors.forEach(worker::deleteConnector);
  }

  @Test
  void failedTaskShowsTraceAndRunsAgainAfterRestartOfFailedTasks() throws Exception {
    String name = "smoke-task-failure";
    String failKey = track(name, name);
    Failures.set(failKey, "Connection to localhost:5432 refused (simulated)");

    worker.createFlakyConnector(name, failKey);
    worker.awaitTaskFailed(name, STATE_TIMEOUT);

    JsonNode failed = getJson("/connectors/" + name + "/status");
    assertThat(failed.at("/connector/state").asText()).isEqualTo("RUNNING");
    assertThat(failed.at("/tasks/0/state").asText()).isEqualTo("FAILED");
    assertThat(failed.at("/tasks/0/trace").asText())
        .startsWith("org.apache.kafka.connect.errors.ConnectException: Connection to localhost:5432 refused (simulated)");

    Failures.clear(failKey);
    HttpResponse<String> restart = post("/connectors/" + name + "/restart?includeTasks=true&onlyFailed=true");

    assertThat(restart.statusCode()).isEqualTo(202);
    assertThat(JSON.readTree(restart.body()).at("/tasks/0/state").asText()).isEqualTo("RESTARTING");
    worker.awaitRunning(name, STATE_TIMEOUT);
    JsonNode running = getJson("/connectors/" + name + "/status");
    assertThat(running.at("/tasks/0/state").asText()).isEqualTo("RUNNING");
    assertThat(running.at("/tasks/0").has("trace")).as("trace is omitted once RUNNING").isFalse();
    assertThat(worker.restartRequests(name))
        .containsExactly(new RestartRequestRecorder.RestartRequest(name, OptionalInt.empty(), true, true));
    assertThat(FlakySourceTask.starts(failKey)).as("task instances started").isEqualTo(2);
  }

  @Test
  void connectorFailureShowsOnlyInConnectorTraceAndRunsAgainAfterRestart() throws Exception {
    String name = "smoke-connector-failure";
    String failKey = name;
    track(name, Failures.connectorKey(failKey));
    Failures.set(Failures.connectorKey(failKey), "FATAL: password authentication failed for user \"cdc\" (simulated)");

    worker.createFlakyConnector(name, failKey);
    worker.awaitConnectorFailed(name, STATE_TIMEOUT);

    JsonNode failed = getJson("/connectors/" + name + "/status");
    assertThat(failed.at("/connector/state").asText()).isEqualTo("FAILED");
    assertThat(failed.at("/connector/trace").asText())
        .contains("password authentication failed for user \"cdc\" (simulated)");
    assertThat(failed.get("tasks")).as("no task was ever created").isEmpty();

    Failures.clear(Failures.connectorKey(failKey));
    HttpResponse<String> restart = post("/connectors/" + name + "/restart?includeTasks=true&onlyFailed=true");

    assertThat(restart.statusCode()).isEqualTo(202);
    assertThat(JSON.readTree(restart.body()).at("/connector/state").asText()).isEqualTo("RESTARTING");
    worker.awaitRunning(name, STATE_TIMEOUT);
    assertThat(getJson("/connectors/" + name + "/status").at("/connector/state").asText()).isEqualTo("RUNNING");
  }

  private String track(String connector, String failureKey) {
    connectors.add(connector);
    failureKeys.add(failureKey);
    return failureKey;
  }

  private static JsonNode getJson(String path) throws IOException, InterruptedException {
    HttpResponse<String> response = HTTP.send(
        HttpRequest.newBuilder(URI.create(worker.restUrl() + path)).timeout(Duration.ofSeconds(100)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  private static HttpResponse<String> post(String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(worker.restUrl() + path)).timeout(Duration.ofSeconds(100))
            .POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
