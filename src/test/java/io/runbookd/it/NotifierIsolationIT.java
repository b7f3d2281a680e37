package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
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
 * One stalled receiver delays no other page: two notifiers on the same receiver host, one of which
 * answers only after 60 s; escalations due at the same time to both. The other notifier's pages arrive
 * on time, within its timeout of their due time; the stalled one's page is given up after its own timeout
 * and tried again as a redelivery with the same idempotency key.
 */
class NotifierIsolationIT {
  private static final Logger LOG = LoggerFactory.getLogger(NotifierIsolationIT.class);
  /** Both notifiers' timeout. */
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  /** Scheduling and a loaded CI machine on top of the timeout. */
  private static final Duration MARGIN = Duration.ofSeconds(1);

  @TempDir
  Path tmp;

  private SimulatedConnect connect;
  private WireMockServer receiver;

  @BeforeEach
  void startWorld() {
    connect = new SimulatedConnect();
    receiver = new WireMockServer(options().dynamicPort().containerThreads(64));
    receiver.start();
    receiver.stubFor(post(urlEqualTo("/fast")).willReturn(aResponse().withStatus(200)));
    receiver.stubFor(post(urlEqualTo("/stalled")).willReturn(aResponse().withStatus(200).withFixedDelay(60_000)));
  }

  @AfterEach
  void stopWorld() {
    connect.close();
    receiver.stop();
  }

  private static String rule(String name, String connectors, String notifier) {
    return """
          - name: %s
            match:
              alert: ['alertname="KafkaConnectTaskFailure"', 'connector=~"%s"']
              trace: 'Connection refused'
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            retry: { max_attempts: 3, backoff: [0s, 1h] }
            verify: { within: 300ms, stable_for: 200ms }
            steps:
              - restart: { include_tasks: true, only_failed: true }
            escalation:
              - after: 4s
                notify: %s
              - after: 9s
                notify: %s
        """.formatted(name, connectors, notifier, notifier);
  }

  private List<LoggedRequest> received(String path) {
    return receiver.findAll(postRequestedFor(urlEqualTo(path))).stream()
        .sorted(Comparator.comparing(LoggedRequest::getLoggedDate)).toList();
  }

  @Test
  void aStalledNotifierDelaysNoOtherNotifiersPage() throws Exception {
    String rules = "rules:\n" + rule("to-stalled", "stalled-.*", "stalled") + rule("to-fast", "fast-.*", "fast");
    String base = "http://127.0.0.1:" + receiver.port();
    String yaml = "rules: { paths: ['" + Daemon.rulesDir(tmp, "10-iso.yaml", rules) + "'] }\n"
        + "connect_clusters:\n  sim: { url: '" + connect.url() + "' }\n"
        + "notifiers:\n"
        + "  stalled: { type: pagerduty, url: '" + base + "/stalled', routing_key: R0, timeout: 2s }\n"
        + "  fast: { type: pagerduty, url: '" + base + "/fast', routing_key: R1, timeout: 2s }\n"
        + "engine: { tick: 200ms, poll_interval: 100ms, lease: 3s }\n";
    try (Daemon d = Daemon.start(yaml, tmp.resolve("data"))) {
      AlertmanagerPayloads.Group g = AlertmanagerPayloads.group();
      for (String c : List.of("stalled-a", "stalled-b", "fast-a")) {
        g.alert(AlertmanagerPayloads.Alert.firing(Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "sim",
            "connector", c, "task", "0"), Instant.now().minusSeconds(60)));
      }
      assertThat(d.postAlerts(g.build()).statusCode()).isEqualTo(200);

      JsonObject fast = d.awaitIncident("fast-a", i -> true, Duration.ofSeconds(20));
      JsonObject detail = d.incident(fast.getString("id"));
      Instant due0 = Instant.parse(detail.getJsonArray("escalations").getJsonObject(0).getString("due_at"));
      Instant due1 = Instant.parse(detail.getJsonArray("escalations").getJsonObject(1).getString("due_at"));
      for (String c : List.of("stalled-a", "stalled-b")) {
        JsonObject s = d.incident(d.awaitIncident(c, i -> true, Duration.ofSeconds(20)).getString("id"));
        assertThat(Duration.between(due0, Instant.parse(s.getJsonArray("escalations").getJsonObject(0)
            .getString("due_at"))).abs()).as("due at the same time").isLessThan(Duration.ofSeconds(1));
      }

      List<LoggedRequest> pages = Await.value("both pages of the fast notifier", Duration.ofSeconds(30),
          Duration.ofMillis(20), () -> Optional.of(received("/fast")).filter(l -> l.size() >= 2), () -> null);
      Duration delay0 = Duration.between(due0, pages.get(0).getLoggedDate().toInstant());
      Duration delay1 = Duration.between(due1, pages.get(1).getLoggedDate().toInstant());
      LOG.info("MEASURED notifier isolation: fast pages {} ms and {} ms after their due times, while the stalled"
          + " notifier had {} requests hanging", delay0.toMillis(), delay1.toMillis(), received("/stalled").size());
      assertThat(received("/stalled")).as("the stalled notifier's pages went out at the same time").isNotEmpty();
      assertThat(delay0).isLessThan(TIMEOUT.plus(MARGIN));
      assertThat(delay1).isLessThan(TIMEOUT.plus(MARGIN));

      // The stalled page was abandoned after its timeout and tried again, as a redelivery with the same key.
      List<LoggedRequest> stalled = Await.value("a redelivery to the stalled notifier", Duration.ofSeconds(30),
          Duration.ofMillis(50), () -> Optional.of(received("/stalled")).filter(l -> l.stream()
              .anyMatch(r -> "true".equals(r.getHeader("X-Runbookd-Redelivery")))), () -> null);
      LoggedRequest first = stalled.get(0);
      assertThat(first.containsHeader("X-Runbookd-Redelivery")).isFalse();
      String key = first.getHeader("Idempotency-Key");
      assertThat(new JsonObject(first.getBodyAsString()).getString("dedup_key")).isEqualTo(key);
      assertThat(stalled).filteredOn(r -> "true".equals(r.getHeader("X-Runbookd-Redelivery")))
          .extracting(r -> r.getHeader("Idempotency-Key")).contains(key);
      assertThat(d.incident(fast.getString("id")).getJsonArray("escalations").getJsonObject(0).getString("fired_at"))
          .isNotNull();
    }
  }
}
