package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.runbookd.testkit.Daemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Storm benchmark (a main, not a test; next to {@link SimulatedConnect}, whose package it needs): N
 * connectors failing with a "Connection refused" trace in ONE webhook, on a simulated Connect that also
 * answers {@code GET /connectors?expand=status&expand=info}, guards relaxed (a cap of N remediations,
 * no action cap, storm detection and health check off). Prints the time from the webhook's 200 to the
 * first and to the last restart call Connect received. Target (issue 9): every restart within 15 s.
 *
 * <p>Arguments: {@code [connectors=1000]}. Run:
 * {@code mvn -B -ntp -q exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.runbookd.it.StormBench
 * -Dexec.args=1000 -Dexec.cleanupDaemonThreads=false}
 */
public final class StormBench {
  private StormBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      names.add(String.format("sink-%04d", i));
    }
    Path tmp = Files.createTempDirectory("runbookd-storm");
    try (SimulatedConnect connect = new SimulatedConnect()) {
      StringBuilder listing = new StringBuilder("{");
      for (String c : names) {
        listing.append(listing.length() > 1 ? "," : "").append('"').append(c).append("\":{\"status\":{\"name\":\"")
            .append(c).append("\",\"type\":\"sink\",\"connector\":{\"state\":\"RUNNING\",\"worker_id\":\"10.0.0.7:8083\"},"
                + "\"tasks\":[{\"id\":0,\"state\":\"FAILED\",\"worker_id\":\"10.0.0.7:8083\",\"trace\":\"")
            .append(SimulatedConnect.TRACE).append("\"}]},\"info\":{\"name\":\"").append(c)
            .append("\",\"config\":{},\"tasks\":[{\"connector\":\"").append(c).append("\",\"task\":0}],\"type\":\"sink\"}}");
      }
      connect.server().stubFor(get(urlEqualTo("/connectors?expand=status&expand=info")).atPriority(1).willReturn(
          aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(listing.append('}').toString())));
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
      String yaml = "rules: { paths: ['" + Daemon.rulesDir(tmp, "10-sim.yaml", rules) + "'] }\n"
          + "connect_clusters:\n  sim: { url: '" + connect.url() + "' }\n"
          + "engine: { tick: 100ms, poll_interval: 100ms }\n"
          + "guards: { max_concurrent_remediations: " + n + ", max_actions: " + (10 * n)
          + ", storm: { connectors: 0 }, health_check: false }\n";
      try (Daemon d = Daemon.start(yaml, tmp.resolve("data"))) {
        AlertmanagerPayloads.Group g = AlertmanagerPayloads.group();
        Instant starts = Instant.now().minusSeconds(120);
        for (String c : names) {
          g.alert(AlertmanagerPayloads.Alert.firing(Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "sim",
              "connector", c, "task", "0"), starts));
        }
        String body = g.build();
        Instant posted = Instant.now();
        int status = d.postAlerts(body).statusCode();
        Instant acked = Instant.now();
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (connect.restarts().size() < n && System.nanoTime() < deadline) {
          Thread.sleep(100); // a benchmark's progress poll, not a test wait
        }
        List<LoggedRequest> restarts = new ArrayList<>(connect.restarts());
        restarts.sort(Comparator.comparing(LoggedRequest::getLoggedDate));
        System.out.printf("connectors=%d webhook: %d in %d ms%n", n, status, Duration.between(posted, acked).toMillis());
        if (restarts.isEmpty()) {
          System.out.println("no restart within 5 minutes");
        } else {
          System.out.printf("restarts=%d  200 -> first restart %d ms, 200 -> last restart %d ms%n", restarts.size(),
              Duration.between(acked, SimulatedConnect.at(restarts.get(0))).toMillis(),
              Duration.between(acked, SimulatedConnect.at(restarts.get(restarts.size() - 1))).toMillis());
        }
        long listings = connect.server().findAll(com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor(
            urlEqualTo("/connectors?expand=status&expand=info"))).size();
        long single = connect.server().findAll(com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor(
            com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching("/connectors/[^/]+/status"))).size();
        System.out.printf("Connect reads: %d listings, %d single status reads%n", listings, single);
      }
    }
    System.exit(0);
  }
}
