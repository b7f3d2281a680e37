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
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A killed daemon loses nothing: runbookd runs in its own JVM, is killed with SIGKILL in the middle of
 * a remediation, and is started again on the same store. The escalation is delivered exactly once, on
 * time, and the restart is not repeated.
 */
class CrashRecoveryIT {
  private static final Logger LOG = LoggerFactory.getLogger(CrashRecoveryIT.class);
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  Path tmp;

  private Process process;
  private WireMockServer notifiers;

  @AfterEach
  void cleanUp() {
    if (process != null) {
      process.destroyForcibly();
    }
    if (notifiers != null) {
      notifiers.stop();
    }
  }

  private Process startDaemon(Path config, Path log) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.runbookd.Main", "run",
        "--config", config.toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
  }

  /** Waits for {@code GET /-/ready} to answer 200 (refused connections while it starts count as "not yet"). */
  private static void awaitReady(String base, Duration timeout) {
    Await.until("runbookd at " + base + " to be ready", timeout, Duration.ofMillis(100),
        () -> HTTP.send(HttpRequest.newBuilder(URI.create(base + "/-/ready")).build(), HttpResponse.BodyHandlers.discarding())
            .statusCode() == 200, () -> null);
  }

  private static JsonObject detail(String base, String id) throws Exception {
    return new JsonObject(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/incidents/" + id)).build(),
        HttpResponse.BodyHandlers.ofString()).body());
  }

  /**
   * True once the restarted daemon has done all it will do for now: the escalation is marked fired, and
   * after resuming (verifying instead of repeating the restart) it found the task still FAILED and put
   * the next attempt minutes away (the rule's backoff is 10 min).
   */
  private static boolean settledAfterResume(JsonObject detail) {
    List<String> kinds = detail.getJsonArray("timeline").stream().map(e -> ((JsonObject) e).getString("kind")).toList();
    int resumed = kinds.indexOf("resumed");
    String next = detail.getString("next_action_at");
    return detail.getJsonArray("escalations").getJsonObject(0).getString("fired_at") != null
        && resumed >= 0 && kinds.subList(resumed, kinds.size()).contains("backoff")
        && "open".equals(detail.getString("state"))
        && next != null && Instant.parse(next).isAfter(Instant.now().plus(Duration.ofMinutes(5)));
  }

  @Test
  void killedMidRemediationTheEscalationIsDeliveredOnceOnTimeAndTheRestartIsNotRepeated() throws Exception {
    ConnectWorker connect = ConnectWorker.get();
    notifiers = new WireMockServer(options().dynamicPort());
    notifiers.start();
    notifiers.stubFor(post(urlEqualTo("/oncall")).willReturn(aResponse().withStatus(200)));

    String name = "crash-orders-sink";
    Failures.set(name, "Connection to localhost:5432 refused (simulated)");
    connect.createFlakyConnector(name, name);
    connect.awaitTaskFailed(name, Duration.ofSeconds(30));

    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path rules = Files.createDirectories(tmp.resolve("rules"));
    Files.copy(Path.of("src/test/resources/it/fast-rules.yaml"), rules.resolve("10-fast.yaml"));
    Path config = Files.writeString(tmp.resolve("runbookd.yaml"),
        "server: { listen: '127.0.0.1:" + port + "' }\n"
            + "store: { data_dir: '" + tmp.resolve("data") + "' }\n"
            + "rules: { paths: ['" + rules + "'] }\n"
            + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "' }\n"
            + "notifiers:\n  oncall: { type: slack, url: 'http://127.0.0.1:" + notifiers.port() + "/oncall' }\n"
            + "engine: { tick: 200ms, poll_interval: 250ms, lease: 3s }\n");
    Path log = tmp.resolve("runbookd.log");
    String base = "http://127.0.0.1:" + port;
    try {
      process = startDaemon(config, log);
      awaitReady(base, Duration.ofSeconds(60));

      HttpResponse<String> posted = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/alerts"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(AlertmanagerPayloads.firing("KafkaConnectTaskFailure",
              Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "local", "connector", name), Instant.now())))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(posted.statusCode()).isEqualTo(200);

      // The restart has been issued and runbookd is waiting for RUNNING: kill it there.
      Await.until("the restart request", Duration.ofSeconds(20), () -> !RestartRequestRecorder.requests(name).isEmpty());
      assertThat(RestartRequestRecorder.requests(name)).hasSize(1);
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      Instant killedAt = Instant.now();
      assertThat(process.isAlive()).isFalse();

      process = startDaemon(config, log);
      awaitReady(base, Duration.ofSeconds(60));

      JsonObject incident = new JsonObject(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/incidents?connector=" + name)).build(),
          HttpResponse.BodyHandlers.ofString()).body()).getJsonArray("incidents").getJsonObject(0);
      String id = incident.getString("id");
      JsonObject detail = detail(base, id);
      Instant due = Instant.parse(detail.getJsonArray("escalations").getJsonObject(0).getString("due_at"));
      assertThat(killedAt).isBefore(due);

      // Wait for the escalation, then check when it came.
      List<LoggedRequest> sent = Await.value("the escalation", Duration.ofSeconds(30), Duration.ofMillis(100),
          () -> Optional.of(notifiers.findAll(postRequestedFor(urlEqualTo("/oncall")))).filter(l -> !l.isEmpty()), () -> null);
      assertThat(sent).as("escalation delivered after the restart").isNotEmpty();
      Instant deliveredAt = sent.get(0).getLoggedDate().toInstant();
      Duration delay = Duration.between(due, deliveredAt);
      LOG.info("MEASURED crash test: killed {} ms before the escalation deadline; delivered {} ms after it",
          Duration.between(killedAt, due).toMillis(), delay.toMillis());
      assertThat(delay).isBetween(Duration.ofMillis(-1), Duration.ofSeconds(2));

      // Give a duplicate every chance to appear: wait until the crashed attempt's lease has expired, the
      // new daemon has resumed it, verified, and scheduled the next attempt, then count again.
      Await.until("the resumed incident to settle", Duration.ofSeconds(30), Duration.ofMillis(200),
          () -> settledAfterResume(detail(base, id)), () -> null);
      assertThat(notifiers.findAll(postRequestedFor(urlEqualTo("/oncall")))).hasSize(1);
      assertThat(sent.get(0).getBodyAsString()).contains(name).contains("refused");
      assertThat(RestartRequestRecorder.requests(name)).as("the restart is not repeated after the crash").hasSize(1);

      detail = detail(base, id);
      JsonArray timeline = detail.getJsonArray("timeline");
      assertThat(timeline.stream().map(e -> ((JsonObject) e).getString("kind")).toList()).contains("resumed", "escalated");
      assertThat(detail.getJsonArray("steps").stream().filter(s -> "restart".equals(((JsonObject) s).getString("type"))).count())
          .isEqualTo(1);
    } finally {
      Failures.clear(name);
      connect.deleteConnector(name);
    }
  }
}
