package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A Kafka Connect cluster simulated by WireMock (answers as in
 * https://kafka.apache.org/documentation/#connect_rest): every connector's task 0 is FAILED
 * with a "Connection refused" trace and stays so; a KIP-745 restart answers 202 with the task
 * RESTARTING; {@code GET /health} answers 200 (or what a test sets). Requests are logged with the time
 * WireMock received them.
 */
final class SimulatedConnect implements AutoCloseable {
  static final String TRACE = "org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to"
      + " unrecoverable exception.\\n\\tat org.apache.kafka.connect.runtime.WorkerSinkTask.deliverMessages("
      + "WorkerSinkTask.java:636)\\nCaused by: java.net.ConnectException: Connection refused (simulated)";

  private final WireMockServer server;

  SimulatedConnect() {
    server = new WireMockServer(options().dynamicPort().containerThreads(64));
    server.start();
    server.stubFor(get(urlPathMatching("/connectors/[^/]+/status")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withTransformers("response-template")
        .withBody("{\"name\":\"{{request.pathSegments.[1]}}\",\"type\":\"sink\","
            + "\"connector\":{\"state\":\"RUNNING\",\"worker_id\":\"10.0.0.7:8083\"},"
            + "\"tasks\":[{\"id\":0,\"state\":\"FAILED\",\"worker_id\":\"10.0.0.7:8083\",\"trace\":\"" + TRACE + "\"}]}")));
    server.stubFor(post(urlPathMatching("/connectors/[^/]+/restart")).willReturn(aResponse().withStatus(202)
        .withHeader("Content-Type", "application/json").withTransformers("response-template")
        .withBody("{\"name\":\"{{request.pathSegments.[1]}}\",\"type\":\"sink\","
            + "\"connector\":{\"state\":\"RUNNING\",\"worker_id\":\"10.0.0.7:8083\"},"
            + "\"tasks\":[{\"id\":0,\"state\":\"RESTARTING\",\"worker_id\":\"10.0.0.7:8083\"}]}")));
    server.stubFor(post(urlPathMatching("/connectors/[^/]+/tasks/[0-9]+/restart")).willReturn(aResponse().withStatus(204)));
    server.stubFor(get(urlPathMatching("/connectors/[^/]+/config")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"connector.class\":\"io.confluent.connect.jdbc.JdbcSinkConnector\",\"errors.tolerance\":\"none\"}")));
    server.stubFor(patch(urlPathMatching("/connectors/[^/]+/config")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withTransformers("response-template")
        .withBody("{\"name\":\"{{request.pathSegments.[1]}}\",\"type\":\"sink\",\"tasks\":[],\"config\":"
            + "{\"connector.class\":\"io.confluent.connect.jdbc.JdbcSinkConnector\",\"errors.tolerance\":\"all\"}}")));
    health(200);
  }

  /** Every request that changed something (POST, PUT, PATCH, DELETE), in arrival order. */
  List<LoggedRequest> changes() {
    List<LoggedRequest> out = new ArrayList<>(server.findAll(anyRequestedFor(anyUrl())).stream()
        .filter(r -> !r.getMethod().getName().equals("GET")).toList());
    out.sort(Comparator.comparing(LoggedRequest::getLoggedDate));
    return out;
  }

  String url() {
    return server.baseUrl();
  }

  WireMockServer server() {
    return server;
  }

  /** What {@code GET /health} answers from now on. */
  void health(int status) {
    server.stubFor(get(urlEqualTo("/health")).willReturn(aResponse().withStatus(status)
        .withHeader("Content-Type", "application/json")
        .withBody(status == 200 ? "{\"status\":\"healthy\",\"message\":\"Worker has completed startup and is ready to"
            + " handle requests.\"}" : "{\"status\":\"starting\",\"message\":\"Worker is still starting up.\"}")));
  }

  /** The restart requests received so far, in arrival order. */
  List<LoggedRequest> restarts() {
    List<LoggedRequest> out = new ArrayList<>(server.findAll(postRequestedFor(urlPathMatching("/connectors/[^/]+/restart"))));
    out.sort(Comparator.comparing(LoggedRequest::getLoggedDate));
    return out;
  }

  /** The connector of a restart request. */
  static String connector(LoggedRequest r) {
    return r.getUrl().split("/")[2];
  }

  static Instant at(LoggedRequest r) {
    return r.getLoggedDate().toInstant();
  }

  /**
   * The most restart requests received within any window of length {@code window}: for each request,
   * the requests received in {@code (t - window, t]}.
   */
  static int maxInAnyWindow(List<LoggedRequest> restarts, Duration window) {
    List<Instant> times = restarts.stream().map(SimulatedConnect::at).sorted().toList();
    int max = 0;
    int lo = 0;
    for (int hi = 0; hi < times.size(); hi++) {
      while (!times.get(lo).isAfter(times.get(hi).minus(window))) {
        lo++;
      }
      max = Math.max(max, hi - lo + 1);
    }
    return max;
  }

  @Override
  public void close() {
    server.stop();
  }
}
