package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.runbookd.incident.Storm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guard rails end to end: runbookd in-process against a Connect cluster simulated by WireMock
 * ({@link SimulatedConnect}) and notifiers on another WireMock. Each test would fail if its guard were
 * removed.
 */
class GuardsIT {
  private static final Logger LOG = LoggerFactory.getLogger(GuardsIT.class);
  private static final String ALERT = "KafkaConnectTaskFailure";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  Path tmp;

  private SimulatedConnect connect;
  private WireMockServer notifiers;

  @BeforeEach
  void startWorld() {
    connect = new SimulatedConnect();
    notifiers = new WireMockServer(options().dynamicPort());
    notifiers.start();
    notifiers.stubFor(post(urlPathMatching("/.*")).willReturn(aResponse().withStatus(200)));
  }

  @AfterEach
  void stopWorld() {
    connect.close();
    notifiers.stop();
  }

  /** A rule for the simulated failure: restart, verify briefly, retry in an hour. */
  private static String rule(String extra, String steps) {
    return """
        rules:
          - name: sim-refused
            match:
              alert: ['alertname="KafkaConnectTaskFailure"']
              trace: 'Connection refused'
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            retry: { max_attempts: 3, backoff: [0s, 1h] }
            verify: { within: 300ms, stable_for: 200ms }
        %s
            steps:
        %s
            escalation:
              - after: 10m
                notify: oncall
        """.formatted(extra.isEmpty() ? "" : "    " + extra, steps.indent(6).stripTrailing());
  }

  private Daemon daemon(String rules, String guards) throws Exception {
    String yaml = "rules: { paths: ['" + Daemon.rulesDir(tmp, "10-sim.yaml", rules) + "'] }\n"
        + "connect_clusters:\n  sim: { url: '" + connect.url() + "' }\n"
        + "notifiers:\n"
        + "  oncall: { type: webhook, url: 'http://127.0.0.1:" + notifiers.port() + "/oncall' }\n"
        + "  storm: { type: webhook, url: 'http://127.0.0.1:" + notifiers.port() + "/storm' }\n"
        + "  approver: { type: webhook, url: 'http://127.0.0.1:" + notifiers.port() + "/approver' }\n"
        + "engine: { tick: 100ms, poll_interval: 100ms }\n"
        + guards;
    return Daemon.start(yaml, tmp.resolve("data"));
  }

  private static Map<String, String> labels(String connector) {
    return Map.of("alertname", ALERT, "connect_cluster", "sim", "connector", connector, "task", "0",
        "severity", "warning");
  }

  /** Posts one webhook with a firing alert for each connector. */
  private static void fire(Daemon d, List<String> connectors) throws Exception {
    AlertmanagerPayloads.Group g = AlertmanagerPayloads.group();
    Instant starts = Instant.now().minusSeconds(120);
    for (String c : connectors) {
      g.alert(AlertmanagerPayloads.Alert.firing(labels(c), starts));
    }
    assertThat(d.postAlerts(g.build()).statusCode()).isEqualTo(200);
  }

  private static List<String> names(String prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(String.format("%s-%03d", prefix, i));
    }
    return out;
  }

  private static void await(String what, Duration timeout, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  private List<LoggedRequest> notified(String path) {
    return notifiers.findAll(postRequestedFor(urlEqualTo(path)));
  }

  // ---- storm and blast radius -----------------------------------------------------------------

  @Test
  void aStormOf500FailingConnectorsPausesActionsSendsOneSummaryAndNeverExceedsTheActionCap() throws Exception {
    int connectors = 500;
    int maxActions = 60;
    Duration actionWindow = Duration.ofSeconds(2);
    String guards = "guards:\n  max_concurrent_remediations: 50\n  max_actions: " + maxActions + "\n  action_window: 2s\n"
        + "  recheck: 500ms\n  storm: { connectors: 100, window: 3s, notify: storm }\n";
    List<String> names = names("sink", connectors);
    try (Daemon d = daemon(rule("", "- restart: {}"), guards)) {
      Instant t0 = Instant.now();
      for (int b = 0; b < connectors; b += 50) {
        fire(d, names.subList(b, b + 50));
      }
      Instant posted = Instant.now();

      // Watch the storm while it lasts: when it started, and its last quiet-until (it ends there).
      Storm[] storm = new Storm[1];
      await("the storm to start", Duration.ofSeconds(30), () -> {
        storm[0] = d.runbookd().store().currentStorm("sim").orElse(null);
        return storm[0] != null;
      });
      Instant stormStart = storm[0].startedAt();
      Instant[] stormEnd = {storm[0].quietUntil()};
      await("the storm to end", Duration.ofSeconds(60), () -> {
        Optional<Storm> s = d.runbookd().store().currentStorm("sim");
        s.ifPresent(x -> stormEnd[0] = x.quietUntil());
        return s.isEmpty() || !s.get().activeAt(Instant.now());
      });
      int restartsDuringStorm = (int) connect.restarts().stream()
          .filter(r -> SimulatedConnect.at(r).isAfter(stormStart.plusSeconds(1)) && SimulatedConnect.at(r).isBefore(stormEnd[0]))
          .count();

      await("every connector restarted", Duration.ofSeconds(90), () -> connect.restarts().size() >= connectors);
      Instant allRestarted = Instant.now();
      TimeUnit.MILLISECONDS.sleep(1500); // nothing more may come: each connector's next attempt is an hour away
      List<LoggedRequest> restarts = connect.restarts();

      int maxPerWindow = SimulatedConnect.maxInAnyWindow(restarts, actionWindow);
      assertThat(restarts).as("one restart per connector, never two").hasSize(connectors);
      assertThat(new HashSet<>(restarts.stream().map(SimulatedConnect::connector).toList())).hasSize(connectors);
      assertThat(maxPerWindow).as("restarts received by Connect within any %s", actionWindow).isLessThanOrEqualTo(maxActions);
      assertThat(restartsDuringStorm).as("restarts issued while the storm paused actions").isZero();

      List<LoggedRequest> summaries = notified("/storm");
      assertThat(summaries).as("exactly one storm summary").hasSize(1);
      JsonObject summary = new JsonObject(summaries.get(0).getBodyAsString());
      assertThat(summary.getString("kind")).isEqualTo("storm");
      assertThat(summary.getString("cluster")).isEqualTo("sim");
      assertThat(summary.getString("message")).contains("failure storm on Connect cluster sim")
          .containsPattern("\\d+ connectors failed within 3s \\(sink-\\d{3}, sink-\\d{3}");
      assertThat(notified("/oncall")).as("per-connector escalations").isEmpty();
      assertThat(d.metric("runbookd_storms_total", Map.of("cluster", "sim"))).contains(1.0);
      assertThat(d.metric("runbookd_guard_deferrals_total", Map.of("cluster", "sim", "reason", "storm"))).hasValueSatisfying(
          v -> assertThat(v).isPositive());
      assertThat(d.metric("runbookd_actions_total", Map.of("action", "restart"))).contains((double) connectors);
      JsonObject late = d.awaitIncident(names.get(connectors - 1), i -> i.getInteger("attempts") == 1, Duration.ofSeconds(5));
      assertThat(d.incident(late.getString("id")).getJsonArray("timeline").stream()
          .map(e -> ((JsonObject) e).getString("kind")).toList()).contains("storm_hold");

      LOG.info("MEASURED storm test: {} failing connectors, alerts posted in {} ms; storm {} -> {} ({} ms);"
              + " actions issued: {} restarts (max {} in any {} window, cap {}; {} during the storm); summaries sent: {}"
              + " (\"{}\"); first alert -> every connector restarted: {} ms",
          connectors, Duration.between(t0, posted).toMillis(), stormStart, stormEnd[0],
          Duration.between(stormStart, stormEnd[0]).toMillis(), restarts.size(), maxPerWindow, actionWindow, maxActions,
          restartsDuringStorm, summaries.size(), summary.getString("message"), Duration.between(t0, allRestarted).toMillis());
    }
  }
}
