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
import io.runbookd.testkit.ConnectWorker;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop closed end to end on a real Connect worker: a rule pages PagerDuty and posts to Slack
 * (chat.postMessage) and restarts the failed task; once the fix is verified, PagerDuty receives a
 * {@code resolve} with the trigger's {@code dedup_key} and Slack a reply in the first message's thread,
 * each linking to the incident page.
 */
class NotificationLoopIT {
  private static final Logger LOG = LoggerFactory.getLogger(NotificationLoopIT.class);
  private static final String ALERT = "KafkaConnectTaskFailure";
  private static final String EXTERNAL = "https://runbookd.example.com";
  private static final String TIMELINE = "timeline";

  private static ConnectWorker connect;
  private static WireMockServer receivers;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startWorld() {
    connect = ConnectWorker.get();
    receivers = new WireMockServer(options().dynamicPort());
    receivers.start();
    receivers.stubFor(post(urlEqualTo("/pd")).willReturn(aResponse().withStatus(202)
        .withBody("{\"status\":\"success\",\"message\":\"Event processed\"}")));
    receivers.stubFor(post(urlEqualTo("/api/chat.postMessage")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"ok\":true,\"channel\":\"C024BE91L\",\"ts\":\"1503435956.000247\"}")));
  }

  @AfterAll
  static void stopWorld() {
    receivers.stop();
  }

  @Test
  void aVerifiedFixResolvesThePageAndRepliesInTheSlackThread() throws Exception {
    String name = "loop-pg-sink";
    String rules = """
        rules:
          - name: loop-connection-refused
            match:
              alert: ['alertname="KafkaConnectTaskFailure"']
              trace: 'Connection refused'
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            steps:
              - notify: { notifier: oncall, message: '{{ target.connector }}: {{ trace.cause }}; restarting' }
              - notify: { notifier: team, message: '{{ target.connector }}: {{ trace.cause }}; restarting' }
              - restart: { include_tasks: true, only_failed: true }
              - wait_for: { state: RUNNING, within: 2m, stable_for: 2s }
        """;
    String config = "rules: { paths: ['" + Daemon.rulesDir(tmp, "10-loop.yaml", rules) + "'] }\n"
        + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "' }\n"
        + "notifiers:\n"
        + "  oncall: { type: pagerduty, url: 'http://127.0.0.1:" + receivers.port() + "/pd', routing_key: R0UTING }\n"
        + "  team: { type: slack, url: 'http://127.0.0.1:" + receivers.port() + "/api/chat.postMessage',"
        + " token: xoxb-loop, channel: C024BE91L }\n"
        + "engine: { tick: 200ms, poll_interval: 500ms }\n";
    Failures.set(name, "java.net.ConnectException: Connection refused (simulated)");
    connect.createFlakyConnector(name, name);
    connect.awaitTaskFailed(name, Duration.ofSeconds(30));
    Failures.clear(name);

    // server.external_url sits in the server section the testkit writes: give the whole file.
    String full = "server: { listen: '127.0.0.1:0', external_url: '" + EXTERNAL + "' }\n"
        + "store: { data_dir: '" + tmp.resolve("data") + "' }\n" + config;
    try (Daemon daemon = Daemon.startWith(full)) {
      Map<String, String> labels = Map.of("alertname", ALERT, "connect_cluster", "local", "connector", name,
          "task", "0", "severity", "warning");
      assertThat(daemon.postAlerts(AlertmanagerPayloads.firing(ALERT, labels, Instant.now().minusSeconds(60)))
          .statusCode()).isEqualTo(200);

      JsonObject closed = daemon.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(90));
      assertThat(closed.getString("outcome")).isEqualTo("recovered");
      String id = closed.getString("id");
      String page = EXTERNAL + "/ui/incidents/" + id;

      List<LoggedRequest> pd = Await.value("a PagerDuty trigger and its resolve", Duration.ofSeconds(30),
          () -> java.util.Optional.of(receivers.findAll(postRequestedFor(urlEqualTo("/pd")))).filter(l -> l.size() >= 2));
      JsonObject trigger = new JsonObject(pd.get(0).getBodyAsString());
      assertThat(trigger.getString("event_action")).isEqualTo("trigger");
      assertThat(trigger.getJsonArray("links").getJsonObject(0).getString("href")).isEqualTo(page);
      JsonObject resolve = new JsonObject(pd.get(1).getBodyAsString());
      assertThat(resolve).isEqualTo(new JsonObject().put("routing_key", "R0UTING").put("event_action", "resolve")
          .put("dedup_key", trigger.getString("dedup_key")));
      LOG.info("SENT PagerDuty trigger: {}", pd.get(0).getBodyAsString().replace("R0UTING", "<routing key>"));
      LOG.info("SENT PagerDuty resolve: {}", pd.get(1).getBodyAsString().replace("R0UTING", "<routing key>"));

      List<LoggedRequest> slack = Await.value("a Slack message and its threaded reply", Duration.ofSeconds(30),
          () -> java.util.Optional.of(receivers.findAll(postRequestedFor(urlEqualTo("/api/chat.postMessage"))))
              .filter(l -> l.size() >= 2));
      JsonObject first = new JsonObject(slack.get(0).getBodyAsString());
      assertThat(first.containsKey("thread_ts")).isFalse();
      assertThat(first.getJsonArray("blocks").encode()).contains(page).contains("Connection refused");
      JsonObject reply = new JsonObject(slack.get(1).getBodyAsString());
      assertThat(reply.getString("thread_ts")).isEqualTo("1503435956.000247");
      assertThat(reply.getString("text")).startsWith("Resolved: local/" + name);
      assertThat(reply.getJsonArray("blocks").encode()).contains(page);

      JsonObject detail = Await.value("the follow-ups on the timeline", Duration.ofSeconds(10),
          () -> java.util.Optional.of(daemon.incident(id)).filter(d -> d.getJsonArray(TIMELINE).stream()
              .filter(e -> "followed_up".equals(((JsonObject) e).getString("kind"))).count() == 2));
      assertThat(detail.getJsonArray(TIMELINE).encode()).contains("PagerDuty resolve sent to oncall")
          .contains("closing message sent to team in the thread of its first message");
      // Marked sent: no later delivery round sends them again.
      daemon.awaitLaterAlertProcessed();
      assertThat(receivers.findAll(postRequestedFor(urlEqualTo("/pd")))).hasSize(2);
      assertThat(receivers.findAll(postRequestedFor(urlEqualTo("/api/chat.postMessage")))).hasSize(2);
    } finally {
      connect.deleteConnector(name);
    }
  }
}
