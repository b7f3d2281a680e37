package io.runbookd.e2e;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Debian's Prometheus ({@code /usr/bin/prometheus}) on loopback with its own data directory, and its HTTP API. */
final class PrometheusProcess implements AutoCloseable {
  static final String BINARY = "/usr/bin/prometheus";

  private final LocalProcess process;
  private final String url;

  private PrometheusProcess(LocalProcess process, String url) {
    this.process = process;
    this.url = url;
  }

  /** Starts Prometheus with {@code config} and waits for {@code /-/ready}. */
  static PrometheusProcess start(Path dir, int port, Path config, Consumer<Long> onStart) throws IOException, InterruptedException {
    String url = "http://127.0.0.1:" + port;
    Path data = Files.createDirectories(dir.resolve("data"));
    LocalProcess p = LocalProcess.start("prometheus", List.of(LocalProcess.requireExecutable(BINARY),
        "--config.file=" + config.toAbsolutePath(),
        "--storage.tsdb.path=" + data,
        "--web.listen-address=127.0.0.1:" + port,
        "--web.external-url=" + url,
        "--log.level=info"), dir, dir.resolve("prometheus.log"), onStart);
    try {
      p.awaitHttpOk(url + "/-/ready", Duration.ofSeconds(60));
    } catch (RuntimeException | InterruptedException e) {
      p.close();
      throw e;
    }
    return new PrometheusProcess(p, url);
  }

  String url() {
    return url;
  }

  LocalProcess process() {
    return process;
  }

  /** {@code GET /api/v1/query?query=expr} at now: the whole response ({@code status}, {@code data}). */
  JsonObject query(String expr) throws IOException, InterruptedException {
    return api("/api/v1/query", Map.of("query", expr));
  }

  /** {@code GET /api/v1/query_range}. */
  JsonObject queryRange(String expr, Instant start, Instant end, Duration step) throws IOException, InterruptedException {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("query", expr);
    p.put("start", seconds(start));
    p.put("end", seconds(end));
    p.put("step", Long.toString(Math.max(1, step.toSeconds())));
    return api("/api/v1/query_range", p);
  }

  /** {@code GET /api/v1/label/{label}/values?match[]=selector}: how Grafana runs {@code label_values(selector, label)}. */
  JsonObject labelValues(String label, String selector) throws IOException, InterruptedException {
    return api("/api/v1/label/" + label + "/values", Map.of("match[]", selector));
  }

  /** The alerts Prometheus holds now ({@code GET /api/v1/alerts}): pending and firing, with labels, state and activeAt. */
  JsonArray alerts() throws IOException, InterruptedException {
    return new JsonObject(Http.get(url + "/api/v1/alerts")).getJsonObject("data").getJsonArray("alerts");
  }

  /** {@code GET /api/v1/targets}: the active targets with their health. */
  JsonArray activeTargets() throws IOException, InterruptedException {
    return new JsonObject(Http.get(url + "/api/v1/targets")).getJsonObject("data").getJsonArray("activeTargets");
  }

  /** The sum of the sample values of an instant query, or empty when it returned no series. */
  java.util.OptionalDouble value(String expr) throws IOException, InterruptedException {
    JsonArray result = query(expr).getJsonObject("data").getJsonArray("result");
    if (result.isEmpty()) {
      return java.util.OptionalDouble.empty();
    }
    double sum = 0;
    for (Object o : result) {
      sum += Double.parseDouble(((JsonObject) o).getJsonArray("value").getString(1));
    }
    return java.util.OptionalDouble.of(sum);
  }

  private JsonObject api(String path, Map<String, String> params) throws IOException, InterruptedException {
    var r = Http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + path + "?" + Http.query(params)))
        .timeout(Duration.ofSeconds(30)).build());
    // 400/422 carry {"status":"error","errorType","error"}: return them for the caller to report
    return new JsonObject(r.body());
  }

  static String seconds(Instant t) {
    return String.format(java.util.Locale.ROOT, "%.3f", t.toEpochMilli() / 1000.0);
  }

  @Override
  public void close() {
    process.close();
  }
}
