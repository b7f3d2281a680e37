package io.runbookd.testkit;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.Runbookd;
import io.runbookd.config.ConfigLoader;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.it.AlertmanagerPayloads;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * runbookd started in-process for a test: its own SQLite data directory, port 0, a fresh metrics
 * registry, and an HTTP client that talks to it like Alertmanager and an operator would.
 */
public final class Daemon implements AutoCloseable {
  private static final Duration POLL = Duration.ofMillis(100);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Runbookd runbookd;
  private final String base;

  private Daemon(Runbookd runbookd) {
    this.runbookd = runbookd;
    this.base = "http://127.0.0.1:" + runbookd.port();
  }

  /**
   * Starts a daemon from a runbookd.yaml body; {@code dataDir} is used for the SQLite store.
   *
   * @param yaml config text without the {@code server} and {@code store} sections
   */
  public static Daemon start(String yaml, Path dataDir) throws Exception {
    return start(yaml, dataDir, Clock.systemUTC());
  }

  /**
   * As {@link #start(String, Path)} with the daemon reading {@code clock} (e.g. a {@link SteppedClock})
   * for every deadline, backoff and timestamp it decides.
   */
  public static Daemon start(String yaml, Path dataDir, Clock clock) throws Exception {
    return startWithStore(yaml, "store: { data_dir: '" + dataDir + "' }\n", clock);
  }

  /** Starts a daemon with an explicit {@code store:} section, e.g. a PostgreSQL {@code jdbc_url}. */
  public static Daemon startWithStore(String yaml, String storeSection) throws Exception {
    return startWithStore(yaml, storeSection, Clock.systemUTC());
  }

  /** As {@link #startWithStore(String, String)} with the daemon reading {@code clock}. */
  public static Daemon startWithStore(String yaml, String storeSection, Clock clock) throws Exception {
    return startWith("server: { listen: 127.0.0.1:0 }\n" + storeSection + yaml, clock);
  }

  /** Starts a daemon from a complete runbookd.yaml body (its own {@code server} and {@code store} sections). */
  public static Daemon startWith(String fullYaml) throws Exception {
    return startWith(fullYaml, Clock.systemUTC());
  }

  /**
   * Starts a daemon from a complete runbookd.yaml body with the daemon reading {@code clock}.
   *
   * @throws java.util.concurrent.TimeoutException if it is not serving within 60 s
   */
  public static Daemon startWith(String fullYaml, Clock clock) throws Exception {
    RunbookdConfig config = ConfigLoader.parse(fullYaml, "test-runbookd.yaml");
    Runbookd r = Runbookd.start(config, clock, new PrometheusRegistry(), false)
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    return new Daemon(r);
  }

  public Runbookd runbookd() {
    return runbookd;
  }

  public String url() {
    return base;
  }

  /** POSTs an Alertmanager webhook body the way Alertmanager 0.25 does. */
  public HttpResponse<String> postAlerts(String body) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/alerts"))
        .header("Content-Type", AlertmanagerPayloads.CONTENT_TYPE)
        .header("User-Agent", AlertmanagerPayloads.USER_AGENT)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** {@code GET /api/v1/incidents?...}: the incidents array. */
  public JsonArray incidents(String query) throws IOException, InterruptedException {
    return new JsonObject(get("/api/v1/incidents" + (query.isEmpty() ? "" : "?" + query)).body()).getJsonArray("incidents");
  }

  /** {@code GET /api/v1/incidents/{id}}. */
  public JsonObject incident(String id) throws IOException, InterruptedException {
    return new JsonObject(get("/api/v1/incidents/" + id).body());
  }

  /**
   * Polls the incidents of {@code connector} until one satisfies {@code test}, and returns it.
   *
   * @throws AssertionError naming the last incidents seen if none does within {@code timeout}
   */
  public JsonObject awaitIncident(String connector, Predicate<JsonObject> test, Duration timeout) {
    String query = "connector=" + URLEncoder.encode(connector, StandardCharsets.UTF_8);
    JsonArray[] last = {null};
    return Await.value("an incident of " + connector + " that matches", timeout, POLL, () -> {
      last[0] = incidents(query);
      return last[0].stream().map(JsonObject.class::cast).filter(test).findFirst();
    }, () -> String.valueOf(last[0]));
  }

  /**
   * Posts Alertmanager's always-firing {@code Watchdog} alert, which no rule matches, and waits until the
   * engine has counted it in {@code runbookd_alerts_unmatched_total}: proof that the engine has run
   * another tick after everything before it, so what it would still do on its own has had its turn.
   *
   * @throws AssertionError if the webhook is refused or the alert is not processed within 10 s
   */
  public void awaitLaterAlertProcessed() throws IOException, InterruptedException {
    double before = metric("runbookd_alerts_unmatched_total", Map.of()).orElse(0.0);
    AlertmanagerPayloads.Group g = AlertmanagerPayloads.group();
    g.alert(AlertmanagerPayloads.Alert.firing(Map.of("alertname", "Watchdog", "severity", "none"), Instant.now()));
    int code = postAlerts(g.build()).statusCode();
    if (code != 200) {
      throw new AssertionError("the Watchdog webhook got HTTP " + code);
    }
    Await.until("the engine to process a later alert (Watchdog, unmatched)", Duration.ofSeconds(10),
        () -> metric("runbookd_alerts_unmatched_total", Map.of()).orElse(0.0) > before);
  }

  /** The value of one sample of {@code /metrics}, e.g. {@code metric("runbookd_remediations_total", Map.of("outcome","recovered"))}. */
  public Optional<Double> metric(String name, Map<String, String> labels) throws IOException, InterruptedException {
    String text = get("/metrics").body();
    Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})?\\s+(\\S+)$", Pattern.MULTILINE);
    Matcher m = line.matcher(text);
    double sum = 0;
    boolean found = false;
    while (m.find()) {
      String ls = m.group(1) == null ? "" : m.group(1);
      boolean all = labels.entrySet().stream().allMatch(e -> ls.contains(e.getKey() + "=\"" + e.getValue() + "\""));
      if (all) {
        sum += Double.parseDouble(m.group(2));
        found = true;
      }
    }
    return found ? Optional.of(sum) : Optional.empty();
  }

  /** Copies the shipped rules directory into {@code dir} and returns it. */
  public static Path shippedRules() {
    return Path.of("rules").toAbsolutePath();
  }

  /** Writes {@code yaml} as a rule file in a fresh directory under {@code parent}. */
  public static Path rulesDir(Path parent, String fileName, String yaml) throws IOException {
    Path dir = Files.createDirectories(parent.resolve("rules"));
    Files.writeString(dir.resolve(fileName), yaml);
    return dir;
  }

  /**
   * Stops the daemon gracefully (see {@link Runbookd#stop()}): running remediations may finish within
   * {@code server.shutdown_timeout}, then the store closes.
   */
  @Override
  public void close() throws Exception {
    runbookd.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
