package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Connect worker that answers every restart with 409 forever (a rebalance that never ends, as
 * Kafka's {@code HerderRequestHandler} answers while its workers rebalance). Past
 * {@code guards.max_rebalance_retries} the attempt counts as failed, the budget is spent and the
 * gave-up escalation is delivered: the 409s no longer hold up the ladder.
 */
class RebalanceBoundIT {
  @TempDir
  java.nio.file.Path tmp;

  private SimulatedConnect connect;
  private WireMockServer notifiers;

  @BeforeEach
  void startWorld() {
    connect = new SimulatedConnect();
    connect.server().stubFor(post(urlPathMatching("/connectors/[^/]+/restart")).willReturn(aResponse().withStatus(409)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"error_code\":409,\"message\":\"Cannot complete request because of a conflicting operation"
            + " (e.g. worker rebalance)\"}")));
    notifiers = new WireMockServer(options().dynamicPort());
    notifiers.start();
    notifiers.stubFor(post(urlPathMatching("/.*")).willReturn(aResponse().withStatus(200)));
  }

  @AfterEach
  void stopWorld() {
    connect.close();
    notifiers.stop();
  }

  @Test
  void a409ForeverIsChargedAfterTheBoundAndTheIncidentEscalates() throws Exception {
    String yaml = "rules: { paths: ['" + Daemon.rulesDir(tmp, "10-sim.yaml", """
        rules:
          - name: sim-refused
            match: { alert: ['alertname="KafkaConnectTaskFailure"'] }
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            retry: { max_attempts: 1 }
            verify: { within: 300ms, stable_for: 100ms }
            steps:
              - restart: {}
            escalation:
              - after: 1h
                notify: oncall
        """) + "'] }\n"
        + "connect_clusters:\n  sim: { url: '" + connect.url() + "' }\n"
        + "notifiers:\n  oncall: { type: webhook, url: 'http://127.0.0.1:" + notifiers.port() + "/oncall' }\n"
        + "engine: { tick: 100ms, poll_interval: 100ms }\n"
        + "guards: { health_backoff: 200ms, max_rebalance_retries: 0 }\n";
    try (Daemon d = Daemon.start(yaml, tmp.resolve("data"))) {
      assertThat(d.postAlerts(AlertmanagerPayloads.firing("KafkaConnectTaskFailure",
          Map.of("connect_cluster", "sim", "connector", "orders-sink"), Instant.now())).statusCode()).isEqualTo(200);

      // One attempt: the client's own 409 retries (1 call + 5 retries, about 15-31 s), then it counts.
      JsonObject escalated = d.awaitIncident("orders-sink", i -> "escalated".equals(i.getString("state")), Duration.ofSeconds(90));
      Await.until("the gave-up escalation to be delivered", Duration.ofSeconds(10),
          () -> !notifiers.findAll(postRequestedFor(urlPathEqualTo("/oncall"))).isEmpty());
      JsonObject detail = d.incident(escalated.getString("id"));
      assertThat(detail.getInteger("attempts")).as("the attempt is charged").isEqualTo(1);
      assertThat(detail.getJsonArray("timeline").stream().map(JsonObject.class::cast).map(e -> e.getString("kind")))
          .containsSubsequence("attempt_failed", "gave_up");
      assertThat(detail.encode()).contains("guards.max_rebalance_retries (0); this attempt counts");
      assertThat(connect.restarts()).as("one attempt's calls: the first and the client's 5 retries").hasSize(6);
    }
  }
}
