package io.runbookd.it;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.Runbookd;
import io.runbookd.config.ConfigLoader;
import io.runbookd.config.RunbookdConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
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
    return startWithStore(yaml, "store: { data_dir: '" + dataDir + "' }\n");
  }

  /** Starts a daemon with an explicit {@code store:} section, e.g. a PostgreSQL {@code jdbc_url}. */
  public static Daemon startWithStore(String yaml, String storeSection) throws Exception {
    String full = "server: { listen: 127.0.0.1:0 }\n" + storeSection + yaml;
    RunbookdConfig config = ConfigLoader.parse(full, "test-runbookd.yaml");
    Runbookd r = Runbookd.start(config, Clock.systemUTC(), new PrometheusRegistry(), false)
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    return new Daemon(r);
  }

  /** Starts a daemon from a complete runbookd.yaml body (its own {@code server} and {@code store} sections). */
  public static Daemon startWith(String fullYaml) throws Exception {
    RunbookdConfig config = ConfigLoader.parse(fullYaml, "test-runbookd.yaml");
    Runbookd r = Runbookd.start(config, Clock.systemUTC(), new PrometheusRegistry(), false)
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

  /** Polls the incidents of {@code connector} until one satisfies {@code test}. */
  public JsonObject awaitIncident(String connector, Predicate<JsonObject> test, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonArray last = null;
    while (System.nanoTime() < deadline) {
      last = incidents("connector=" + java.net.URLEncoder.encode(connector, java.nio.charset.StandardCharsets.UTF_8));
      for (int i = 0; i < last.size(); i++) {
        if (test.test(last.getJsonObject(i))) {
          return last.getJsonObject(i);
        }
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    throw new AssertionError("no incident of " + connector + " matched in " + timeout + "; last seen: " + last);
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

  @Override
  public void close() throws Exception {
    runbookd.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
