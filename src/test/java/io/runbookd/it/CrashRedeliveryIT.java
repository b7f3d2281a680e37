package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.extension.Parameters;
import com.github.tomakehurst.wiremock.extension.ServeEventListener;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.runbookd.testkit.Await;
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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A daemon killed (SIGKILL, its own JVM) while an escalation is at the receiver, or just after the
 * receiver's 200 and before the "fired" mark, redelivers it after the restart with the same idempotency
 * key and the redelivery marker, so the receiver can drop it. Run several times with random receiver
 * delays and kill points.
 */
class CrashRedeliveryIT {
  private static final Logger LOG = LoggerFactory.getLogger(CrashRedeliveryIT.class);
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final int RUNS = Integer.getInteger("crashRuns", 3);
  /** Later runs are skipped once this much time is spent (after at least 3). */
  private static final Duration BUDGET = Duration.ofSeconds(150);
  private static final String RULES = """
      rules:
        - name: crash-refused
          match:
            alert: ['alertname="KafkaConnectTaskFailure"']
            trace: 'Connection refused'
          target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
          retry: { max_attempts: 3, backoff: [0s, 1h] }
          verify: { within: 300ms, stable_for: 200ms }
          steps:
            - restart: { include_tasks: true, only_failed: true }
          escalation:
            - after: 2s
              notify: oncall
      """;

  @TempDir
  Path tmp;

  private Process process;
  private SimulatedConnect connect;
  private WireMockServer receiver;
  private final Arrivals arrivals = new Arrivals();

  @AfterEach
  void cleanUp() {
    if (process != null) {
      process.destroyForcibly();
    }
    if (receiver != null) {
      receiver.stop();
    }
    if (connect != null) {
      connect.close();
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

  private static Instant awaitReady(String base) {
    Await.until("runbookd at " + base + " to be ready", Duration.ofSeconds(60), Duration.ofMillis(50),
        () -> HTTP.send(HttpRequest.newBuilder(URI.create(base + "/-/ready")).build(), HttpResponse.BodyHandlers.discarding())
            .statusCode() == 200, () -> null);
    return Instant.now();
  }

  private static JsonObject get(String url) throws Exception {
    return new JsonObject(HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body());
  }

  private List<LoggedRequest> pages(String connector) {
    return receiver.findAll(postRequestedFor(urlEqualTo("/oncall"))).stream()
        .filter(r -> connector.equals(new JsonObject(r.getBodyAsString()).getString("connector")))
        .sorted(Comparator.comparing(LoggedRequest::getLoggedDate)).toList();
  }

  private static boolean redelivery(LoggedRequest r) {
    return "true".equals(r.getHeader("X-Runbookd-Redelivery"));
  }

  /** Notes the time each request reaches the receiver, before its (delayed) answer. */
  static final class Arrivals implements ServeEventListener {
    final Map<String, Instant> byConnector = new ConcurrentHashMap<>();

    @Override
    public String getName() {
      return "arrivals";
    }

    @Override
    public boolean applyGlobally() {
      return true;
    }

    @Override
    public void afterMatch(ServeEvent event, Parameters parameters) {
      String connector = new JsonObject(event.getRequest().getBodyAsString()).getString("connector");
      if (connector != null) {
        byConnector.putIfAbsent(connector, Instant.now());
      }
    }
  }

  /** What one run saw. */
  private record Run(long answerDelayMs, long killOffsetMs, boolean redelivered, long afterReadyMs, long afterDueMs) {}

  @Test
  void killedBetweenTheReceiversAnswerAndTheMarkTheRedeliveryHasTheSameKeyAndTheMarker() throws Exception {
    connect = new SimulatedConnect();
    receiver = new WireMockServer(options().dynamicPort().extensions(arrivals));
    receiver.start();
    Path rules = Files.createDirectories(tmp.resolve("rules"));
    Files.writeString(rules.resolve("10-crash.yaml"), RULES);
    long seed = System.nanoTime();
    Random random = new Random(seed);
    LOG.info("crash redelivery seed={}", seed);
    Instant started = Instant.now();
    List<Run> runs = new ArrayList<>();
    for (int n = 0; n < RUNS && (n < Math.min(3, RUNS) || Duration.between(started, Instant.now()).compareTo(BUDGET) < 0); n++) {
      runs.add(run(n, rules, random));
    }

    List<Run> redelivered = runs.stream().filter(Run::redelivered).toList();
    List<Long> afterReady = redelivered.stream().map(Run::afterReadyMs).sorted().toList();
    List<Long> afterDue = runs.stream().map(Run::afterDueMs).sorted().toList();
    LOG.info("MEASURED crash redelivery: runs={} redelivered={} (receiver delay/kill offset ms: {}); redelivery after"
        + " readiness median={} ms worst={} ms; final delivery after its due time median={} ms worst={} ms",
        runs.size(), redelivered.size(), runs.stream().map(r -> r.answerDelayMs() + "/" + r.killOffsetMs()
            + (r.redelivered() ? "" : " (marked before the kill)")).toList(),
        median(afterReady), afterReady.isEmpty() ? null : afterReady.get(afterReady.size() - 1),
        median(afterDue), afterDue.get(afterDue.size() - 1));
    assertThat(redelivered).as("runs killed before the mark (kill points are random; most land in flight)")
        .isNotEmpty();
  }

  private static Long median(List<Long> sorted) {
    return sorted.isEmpty() ? null : sorted.get(sorted.size() / 2);
  }

  private Run run(int n, Path rules, Random random) throws Exception {
    String connector = "crash-" + n;
    long answerDelay = 200 + random.nextInt(1300);
    long killOffset = random.nextInt((int) answerDelay + 100);
    receiver.stubFor(post(urlEqualTo("/oncall")).willReturn(aResponse().withStatus(200).withFixedDelay((int) answerDelay)));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path config = Files.writeString(tmp.resolve("runbookd-" + n + ".yaml"),
        "server: { listen: '127.0.0.1:" + port + "' }\n"
            + "store: { data_dir: '" + tmp.resolve("data-" + n) + "' }\n"
            + "rules: { paths: ['" + rules + "'] }\n"
            + "connect_clusters:\n  sim: { url: '" + connect.url() + "' }\n"
            + "notifiers:\n  oncall: { type: webhook, url: 'http://127.0.0.1:" + receiver.port() + "/oncall', timeout: 5s }\n"
            + "engine: { tick: 200ms, poll_interval: 100ms, lease: 2s }\n");
    Path log = Files.createDirectories(Path.of("target", "crash-redelivery")).resolve("runbookd-" + n + ".log");
    Files.deleteIfExists(log);
    String base = "http://127.0.0.1:" + port;
    process = startDaemon(config, log);
    awaitReady(base);
    HttpResponse<String> posted = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/alerts"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(AlertmanagerPayloads.firing("KafkaConnectTaskFailure",
            Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "sim", "connector", connector, "task", "0"),
            Instant.now().minusSeconds(60))))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(posted.statusCode()).isEqualTo(200);

    // The page is at the receiver (which answers after answerDelay): kill at a random point from now to
    // just after its 200.
    Instant arrived = Await.value("the page at the receiver", Duration.ofSeconds(30), Duration.ofMillis(5),
        () -> Optional.ofNullable(arrivals.byConnector.get(connector)), () -> null);
    Instant killAt = arrived.plusMillis(killOffset);
    Await.until("the kill point", Duration.ofSeconds(5), Duration.ofMillis(5), () -> !Instant.now().isBefore(killAt),
        () -> null);
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    assertThat(process.isAlive()).isFalse();
    LoggedRequest first = Await.value("the page in the receiver's journal", Duration.ofSeconds(10), Duration.ofMillis(20),
        () -> pages(connector).stream().findFirst(), () -> null);
    assertThat(first.containsHeader("X-Runbookd-Redelivery")).as("the first delivery is not marked").isFalse();
    String key = first.getHeader("Idempotency-Key");
    assertThat(key).endsWith("/escalation/0");

    process = startDaemon(config, log);
    Instant ready = awaitReady(base);
    String id = get(base + "/api/v1/incidents?connector=" + connector).getJsonArray("incidents").getJsonObject(0)
        .getString("id");
    JsonObject escalation = Await.value("the escalation marked fired", Duration.ofSeconds(40), Duration.ofMillis(100),
        () -> Optional.of(get(base + "/api/v1/incidents/" + id).getJsonArray("escalations").getJsonObject(0))
            .filter(e -> e.getString("fired_at") != null), () -> null);
    Instant due = Instant.parse(escalation.getString("due_at"));
    List<LoggedRequest> all = pages(connector);
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

    boolean redelivered = all.size() > 1;
    LoggedRequest last = all.get(all.size() - 1);
    if (redelivered) {
      assertThat(all.subList(1, all.size())).as("every redelivery has the key and the marker").allSatisfy(r -> {
        assertThat(r.getHeader("Idempotency-Key")).isEqualTo(key);
        assertThat(redelivery(r)).isTrue();
        JsonObject body = new JsonObject(r.getBodyAsString());
        assertThat(body.getString("idempotency_key")).isEqualTo(key);
        assertThat(body.getBoolean("redelivery")).isTrue();
      });
    } else {
      assertThat(Instant.parse(escalation.getString("fired_at"))).as("marked before the kill, so sent once")
          .isBefore(ready);
    }
    Instant deliveredAt = last.getLoggedDate().toInstant();
    return new Run(answerDelay, killOffset, redelivered,
        redelivered ? Duration.between(ready, deliveredAt).toMillis() : 0,
        Duration.between(due, deliveredAt).toMillis());
  }
}
