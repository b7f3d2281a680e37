package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.runbookd.rules.HostileTraces;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A trace built to make the shipped Schema Registry rule backtrack (1 MB, which took java.util.regex
 * over a minute at 128 KB) reaches runbookd with the shipped rules: it is matched in bounded time, the
 * right rule is chosen, an escalation due meanwhile goes out on time, and another connector's alert gets
 * its restart within its normal latency.
 */
class HostileTraceIT {
  private static final Logger LOG = LoggerFactory.getLogger(HostileTraceIT.class);
  private static final String ALERT = "KafkaConnectTaskFailure";

  @TempDir
  Path tmp;

  private SimulatedConnect connect;
  private WireMockServer notifiers;

  @BeforeEach
  void start() {
    connect = new SimulatedConnect();
    notifiers = new WireMockServer(options().dynamicPort());
    notifiers.start();
    notifiers.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(urlEqualTo("/owner")).willReturn(aResponse().withStatus(200)));
    notifiers.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(urlEqualTo("/oncall")).willReturn(aResponse().withStatus(200)));
  }

  @AfterEach
  void stop() {
    connect.close();
    notifiers.stop();
  }

  private static Map<String, String> labels(String connector) {
    return Map.of("alertname", ALERT, "connect_cluster", "sim", "connector", connector, "task", "0", "severity", "warning");
  }

  @Test
  void aHostileTraceHoldsUpNeitherPagesNorOtherConnectors() throws Exception {
    String trace = HostileTraces.schemaRegistryBacktracking(1_000_000);
    connect.server().stubFor(get(urlPathEqualTo("/connectors/hostile-a/status")).atPriority(1)
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
            .withBody(new JsonObject().put("name", "hostile-a").put("type", "sink")
                .put("connector", new JsonObject().put("state", "RUNNING").put("worker_id", "w:8083"))
                .put("tasks", new JsonArray().add(new JsonObject().put("id", 0).put("state", "FAILED")
                    .put("worker_id", "w:8083").put("trace", trace))).encode())));
    // One connector's rule pages 3 s after its incident opens; the shipped rules handle the others.
    Path paging = Files.createDirectories(tmp.resolve("paging"));
    Files.writeString(paging.resolve("00-page.yaml"), """
        rules:
          - name: page-fast
            match: { alert: ['alertname="KafkaConnectTaskFailure"', 'connector="paged-c"'] }
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            steps: []
            escalation:
              - after: 3s
                notify: oncall
        """);
    String yaml = "rules: { paths: ['" + paging + "', '" + Path.of("rules").toAbsolutePath() + "'] }\n"
        + "connect_clusters:\n  sim: { url: '" + connect.url() + "' }\n"
        + "notifiers:\n"
        + "  owner: { type: webhook, url: 'http://127.0.0.1:" + notifiers.port() + "/owner' }\n"
        + "  oncall: { type: webhook, url: 'http://127.0.0.1:" + notifiers.port() + "/oncall' }\n"
        + "engine: { tick: 100ms, poll_interval: 100ms }\n";
    try (Daemon d = Daemon.start(yaml, tmp.resolve("data"))) {
      Instant starts = Instant.now().minusSeconds(120);
      fire(d, "paged-c", starts);
      JsonObject paged = d.awaitIncident("paged-c", i -> true, Duration.ofSeconds(10));
      Instant due = Instant.parse(d.incident(paged.getString("id")).getJsonArray("escalations").getJsonObject(0)
          .getString("due_at"));

      fire(d, "hostile-a", starts);
      Instant posted = Instant.now();
      fire(d, "healthy-b", starts);
      Instant restarted = Await.value("a restart of healthy-b", Duration.ofSeconds(30), () -> connect.restarts().stream()
          .filter(r -> "healthy-b".equals(SimulatedConnect.connector(r))).findFirst().map(SimulatedConnect::at));
      Duration latency = Duration.between(posted, restarted);

      JsonObject hostile = d.awaitIncident("hostile-a", i -> true, Duration.ofSeconds(30));
      assertThat(hostile.getString("rule")).as("the trace opens with 'Tolerance exceeded'").isEqualTo("connect-tolerance-exceeded");

      List<LoggedRequest> pages = Await.value("the page of paged-c", Duration.ofSeconds(15), () -> {
        List<LoggedRequest> sent = notifiers.findAll(postRequestedFor(urlEqualTo("/oncall"))).stream()
            .filter(r -> r.getBodyAsString().contains("paged-c")).toList();
        return sent.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(sent);
      });
      Duration late = Duration.between(due, pages.get(0).getLoggedDate().toInstant());
      LOG.info("MEASURED hostile 1 MB trace: webhook -> restart of another connector {} ms; page due at {} sent {} ms after",
          latency.toMillis(), due, late.toMillis());
      assertThat(latency).as("webhook -> restart of another connector").isLessThan(Duration.ofSeconds(5));
      assertThat(late).as("the page due meanwhile").isLessThan(Duration.ofSeconds(2));
    }
  }

  private static void fire(Daemon d, String connector, Instant starts) throws Exception {
    AlertmanagerPayloads.Group g = AlertmanagerPayloads.group();
    g.alert(AlertmanagerPayloads.Alert.firing(labels(connector), starts));
    assertThat(d.postAlerts(g.build()).statusCode()).isEqualTo(200);
  }
}
