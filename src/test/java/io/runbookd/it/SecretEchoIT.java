package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.StepRun;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Receivers and servers that echo what they were sent: a notifier whose 500 error body repeats the
 * request path (the secret part of a Slack or webhook URL), and a Connect worker reached through a URL
 * with user info ({@code http://user:password@host}) whose 500 error body repeats the
 * {@code Authorization} header. No secret may reach a log line (any logger, DEBUG included), an API
 * answer, a stored error or the start-up error.
 */
class SecretEchoIT {
  static final Pattern SECRET = Pattern.compile("ECHO-SECRET-\\d|" + Pattern.quote(basic("connect-user:ECHO-SECRET-1")));

  @TempDir
  Path tmp;

  private SimulatedConnect connect;
  private WireMockServer receiver;

  static String basic(String userAndPassword) {
    return java.util.Base64.getEncoder().encodeToString(userAndPassword.getBytes(StandardCharsets.UTF_8));
  }

  @BeforeEach
  void startWorld() {
    connect = new SimulatedConnect();
    connect.server().stubFor(post(urlPathMatching("/connectors/[^/]+/restart")).willReturn(aResponse().withStatus(500)
        .withHeader("Content-Type", "application/json").withTransformers("response-template")
        .withBody("{\"error_code\":500,\"message\":\"worker refused the request with {{request.headers.Authorization}}"
            + " on {{request.url}}\"}")));
    receiver = new WireMockServer(options().dynamicPort());
    receiver.start();
    receiver.stubFor(post(urlPathMatching("/.*")).willReturn(aResponse().withStatus(500)
        .withHeader("Content-Type", "text/plain").withTransformers("response-template")
        .withBody("no route for POST {{request.path}} (did you mean {{request.path}}/v2?)")));
  }

  @AfterEach
  void stopWorld() {
    connect.close();
    receiver.stop();
  }

  static final String RULES = """
      rules:
        - name: echo
          match: { alert: ['alertname="KafkaConnectTaskFailure"'] }
          target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
          retry: { max_attempts: 1 }
          verify: { within: 300ms, stable_for: 100ms }
          steps:
            - restart: {}
          escalation:
            - after: 1h
              notify: hook
      """;

  private String config() throws Exception {
    Path rules = Daemon.rulesDir(tmp, "10-echo.yaml", RULES);
    String connectUrl = connect.url().replace("http://", "http://connect-user:ECHO-SECRET-1@");
    return "rules: { paths: ['" + rules + "'] }\n"
        + "connect_clusters:\n  sim: { url: '" + connectUrl + "' }\n"
        + "notifiers:\n  hook: { type: webhook, url: 'http://127.0.0.1:" + receiver.port() + "/hooks/T0/B0/ECHO-SECRET-2' }\n"
        + "engine: { tick: 100ms, poll_interval: 100ms }\n";
  }

  @Test
  void echoedSecretsReachNoLogLineApiAnswerOrStoredError() throws Exception {
    Level before = LogCapture.level("io.runbookd", Level.DEBUG);
    List<String> api = new ArrayList<>();
    try (LogCapture logs = new LogCapture("io.runbookd", "io.vertx", "io.netty", "com.zaxxer", "org.flywaydb");
        Daemon d = Daemon.start(config(), tmp.resolve("data"))) {
      String alert = AlertmanagerPayloads.firing("KafkaConnectTaskFailure",
          Map.of("connect_cluster", "sim", "connector", "orders-sink"), Instant.now());
      assertThat(d.postAlerts(alert).statusCode()).isEqualTo(200);

      JsonObject escalated = d.awaitIncident("orders-sink", i -> "escalated".equals(i.getString("state")), Duration.ofSeconds(30));
      String id = escalated.getString("id");
      // The gave-up escalation has been tried (and refused with the echo) at least once.
      Await.until("a refused escalation delivery", Duration.ofSeconds(30),
          () -> !receiver.findAll(postRequestedFor(urlPathMatching("/hooks/.*"))).isEmpty()
              && logs.lines().stream().anyMatch(l -> l.contains("escalation not delivered")));

      api.add(d.get("/api/v1/incidents/" + id).body());
      api.add(d.get("/api/v1/incidents").body());
      api.add(d.get("/api/v1/rules").body());
      api.add(d.get("/metrics").body());
      List<StepRun> steps = d.runbookd().store().steps(id);
      List<IncidentEvent> events = d.runbookd().store().events(id);

      // What was echoed did arrive (so the test would see it), masked.
      assertThat(steps).anySatisfy(s -> assertThat(s.error()).contains("worker refused the request with Basic <redacted>"));
      assertThat(logs.lines()).anySatisfy(l -> assertThat(l).contains("notifier hook: HTTP 500: no route for POST"));
      assertThat(api.get(0)).contains("worker refused the request with Basic <redacted>");

      assertThat(api).allSatisfy(body -> assertThat(body).doesNotContainPattern(SECRET));
      assertThat(steps).allSatisfy(s -> assertThat(String.valueOf(s.error())).doesNotContainPattern(SECRET));
      assertThat(events).allSatisfy(e -> assertThat(e.message()).doesNotContainPattern(SECRET));
      assertThat(logs.lines()).isNotEmpty().allSatisfy(l -> assertThat(l).doesNotContainPattern(SECRET));
    } finally {
      LogCapture.level("io.runbookd", before);
    }
  }

  @Test
  void theStartUpErrorMasksTheSecretItQuotes() throws Exception {
    String rules = "rules: { paths: ['" + Daemon.rulesDir(tmp, "10-echo.yaml", RULES) + "'] }\n";
    String hook = "notifiers:\n  hook: { type: webhook, url: 'http://127.0.0.1:" + receiver.port() + "/hooks/T0/B0/ECHO-SECRET-2' }\n";
    // A Connect URL missing its ':' after the scheme: the client quotes it whole when it refuses it.
    String out = runMain("server: { listen: '127.0.0.1:0' }\nstore: { data_dir: '" + tmp.resolve("data") + "' }\n" + rules + hook
        + "connect_clusters:\n  sim: { url: 'http//connect-user:ECHO-SECRET-3@127.0.0.1:" + connect.server().port() + "' }\n");
    assertThat(out).contains("runbookd: failed to start: ").contains("<redacted>").doesNotContainPattern(SECRET);

    // An unreachable PostgreSQL whose URL carries the password.
    out = runMain("server: { listen: '127.0.0.1:0' }\n"
        + "store: { jdbc_url: 'jdbc:postgresql://127.0.0.1:1/runbookd?user=rb&password=ECHO-SECRET-4', username: rb,"
        + " password: ECHO-SECRET-5 }\n" + rules + hook + "connect_clusters:\n  sim: { url: '" + connect.url() + "' }\n");
    assertThat(out).contains("runbookd: failed to start: ").doesNotContainPattern(SECRET);
  }

  /** Runs {@code runbookd run} in its own JVM on {@code yaml}; its whole output once it has exited. */
  private String runMain(String yaml) throws Exception {
    Path config = Files.writeString(Files.createTempFile(tmp, "runbookd", ".yaml"), yaml);
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.runbookd.Main", "run", "--config", config.toString())
        .redirectErrorStream(true).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> {
      try {
        p.getInputStream().transferTo(out);
      } catch (java.io.IOException ignored) {
        // the process ended
      }
    }, "runbookd-output");
    reader.start();
    boolean exited = p.waitFor(90, TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly();
    }
    reader.join(TimeUnit.SECONDS.toMillis(10));
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(exited).as("runbookd exits after a failed start; output: %s", text).isTrue();
    assertThat(p.exitValue()).as(text).isEqualTo(1);
    return text;
  }
}
