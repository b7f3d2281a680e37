package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One slow connector never holds up the others: runbookd in-process against a Connect cluster simulated by WireMock
 * ({@link SimulatedConnect}). A Connect status read that stalls for 100 s, or a flood of thousands of
 * alerts for some connectors, must not delay the restart of another connector beyond its normal latency;
 * the backlog gauges show what waits and drain to 0.
 */
class IsolationIT {
  private static final Logger LOG = LoggerFactory.getLogger(IsolationIT.class);
  private static final String ALERT = "KafkaConnectTaskFailure";
  /** A Connect that stalls: it answers after this long (runbookd's Connect timeout is 100 s). */
  private static final int STALL_MS = 100_000;

  @TempDir
  Path tmp;

  private SimulatedConnect connect;

  @BeforeEach
  void startConnect() {
    connect = new SimulatedConnect();
  }

  @AfterEach
  void stopConnect() {
    connect.close();
  }

  private Daemon daemon() throws Exception {
    String rules = """
        rules:
          - name: sim-refused
            match:
              alert: ['alertname="KafkaConnectTaskFailure"']
              trace: 'Connection refused'
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            retry: { max_attempts: 3, backoff: [0s, 1h] }
            verify: { within: 300ms, stable_for: 200ms }
            steps:
              - restart: {}
        """;
    // Guards relaxed so that only alert processing decides the latency measured here.
    String yaml = "rules: { paths: ['" + Daemon.rulesDir(tmp, "10-sim.yaml", rules) + "'] }\n"
        + "connect_clusters:\n  sim: { url: '" + connect.url() + "' }\n"
        + "engine: { tick: 100ms, poll_interval: 100ms }\n"
        + "guards: { max_concurrent_remediations: 100, max_actions: 1000, storm: { connectors: 0 } }\n";
    return Daemon.start(yaml, tmp.resolve("data"));
  }

  private static Map<String, String> labels(String connector, int task) {
    return Map.of("alertname", ALERT, "connect_cluster", "sim", "connector", connector, "task", Integer.toString(task),
        "severity", "warning");
  }

  private static void post(Daemon d, List<AlertmanagerPayloads.Alert> alerts) throws Exception {
    AlertmanagerPayloads.Group g = AlertmanagerPayloads.group();
    alerts.forEach(g::alert);
    assertThat(d.postAlerts(g.build()).statusCode()).isEqualTo(200);
  }

  /** The time of the first restart request for {@code connector}, once there is one. */
  private Instant awaitRestart(String connector, Duration timeout) {
    return Await.value("a restart of " + connector, timeout, Duration.ofMillis(20), () -> connect.restarts().stream()
        .filter(r -> connector.equals(SimulatedConnect.connector(r))).findFirst().map(SimulatedConnect::at),
        () -> "restarts so far: " + connect.restarts().stream().map(SimulatedConnect::connector).toList());
  }

  @Test
  void aStalledStatusReadDelaysOnlyItsOwnConnector() throws Exception {
    connect.server().stubFor(get(urlPathEqualTo("/connectors/stalled-a/status")).atPriority(1)
        .willReturn(aResponse().withStatus(200).withFixedDelay(STALL_MS).withHeader("Content-Type", "application/json")
            .withBody("{\"name\":\"stalled-a\",\"type\":\"sink\",\"connector\":{\"state\":\"RUNNING\",\"worker_id\":\"w\"},"
                + "\"tasks\":[]}")));
    try (Daemon d = daemon()) {
      Instant starts = Instant.now().minusSeconds(120);
      post(d, List.of(AlertmanagerPayloads.Alert.firing(labels("stalled-a", 0), starts)));
      Await.until("runbookd to ask Connect about stalled-a (and wait)", Duration.ofSeconds(10), () -> !connect.server()
          .findAll(getRequestedFor(urlPathEqualTo("/connectors/stalled-a/status"))).isEmpty());

      Instant posted = Instant.now();
      post(d, List.of(AlertmanagerPayloads.Alert.firing(labels("healthy-b", 0), starts)));
      Instant restarted = awaitRestart("healthy-b", Duration.ofSeconds(30));
      Duration latency = Duration.between(posted, restarted);
      LOG.info("MEASURED webhook->restart of healthy-b while Connect stalls on stalled-a: {} ms", latency.toMillis());
      assertThat(latency).as("webhook -> restart of another connector while one stalls").isLessThan(Duration.ofSeconds(5));

      // stalled-a's alert is still waiting: the backlog gauges say so, and how old it is.
      Await.until("the backlog gauges to show the waiting alert", Duration.ofSeconds(10), () ->
          d.metric("runbookd_alerts_backlog", Map.of()).orElse(0.0) == 1.0
              && d.metric("runbookd_alerts_backlog_oldest_age_seconds", Map.of()).orElse(0.0) >= 1.0);
      assertThat(connect.restarts()).extracting(SimulatedConnect::connector).containsExactly("healthy-b");
    }
  }

  @Test
  void aFloodOfAlertsDoesNotDelayAnotherConnector() throws Exception {
    int connectors = 10;
    int perConnector = 300;
    try (Daemon d = daemon()) {
      Instant starts = Instant.now().minusSeconds(120);
      Instant t0 = Instant.now();
      // 3,000 alerts (10 connectors x 300 tasks) in 3 webhooks of 1,000.
      for (int w = 0; w < 3; w++) {
        List<AlertmanagerPayloads.Alert> alerts = new java.util.ArrayList<>();
        for (int i = w * 1000; i < (w + 1) * 1000; i++) {
          alerts.add(AlertmanagerPayloads.Alert.firing(labels("bulk-" + (i % connectors), i / connectors), starts));
        }
        post(d, alerts);
      }
      Instant posted = Instant.now();
      LOG.info("MEASURED 3,000 alerts in 3 webhooks acknowledged in {} ms", Duration.between(t0, posted).toMillis());
      post(d, List.of(AlertmanagerPayloads.Alert.firing(labels("fresh", 0), starts)));
      Instant acked = Instant.now();
      Instant restarted = awaitRestart("fresh", Duration.ofSeconds(60));
      Duration latency = Duration.between(posted, restarted);
      Instant opened = Instant.parse(d.awaitIncident("fresh", i -> true, Duration.ofSeconds(5)).getString("opened_at"));
      LOG.info("MEASURED webhook->restart of a new connector right after 3,000 alerts: {} ms (webhook->200 {} ms,"
          + " 200->incident opened {} ms, opened->restart {} ms; backlog gauge then: {})", latency.toMillis(),
          Duration.between(posted, acked).toMillis(), Duration.between(acked, opened).toMillis(),
          Duration.between(opened, restarted).toMillis(), metric(d, "runbookd_alerts_backlog").orElse(-1.0));
      assertThat(latency).as("webhook -> restart of a new connector right after a flood").isLessThan(Duration.ofSeconds(10));

      // Everything is processed in the end: one incident per connector, and the backlog drains to 0.
      Await.until("the backlog to drain", Duration.ofSeconds(120), Duration.ofMillis(200), () ->
          d.metric("runbookd_alerts_backlog", Map.of()).orElse(-1.0) == 0.0
              && d.metric("runbookd_alerts_backlog_oldest_age_seconds", Map.of()).orElse(-1.0) == 0.0,
          () -> "backlog " + metric(d, "runbookd_alerts_backlog"));
      LOG.info("MEASURED 3,001 alerts processed (backlog 0) {} ms after the first webhook",
          Duration.between(t0, Instant.now()).toMillis());
      for (int c = 0; c < connectors; c++) {
        assertThat(d.incidents("connector=bulk-" + c)).as("incidents of bulk-" + c).hasSize(1);
      }
      List<LoggedRequest> restarts = connect.restarts();
      assertThat(restarts.stream().map(SimulatedConnect::connector).distinct().count()).isEqualTo(connectors + 1);
    }
  }

  private static Optional<Double> metric(Daemon d, String name) {
    try {
      return d.metric(name, Map.of());
    } catch (Exception e) {
      return Optional.empty();
    }
  }
}
