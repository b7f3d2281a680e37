package io.runbookd.e2e;

import io.vertx.core.json.JsonArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Debian's Alertmanager ({@code /usr/bin/prometheus-alertmanager}) on loopback, clustering off (no HA
 * peer, so no peer wait before a notification), with its own storage directory; and its API.
 */
final class AlertmanagerProcess implements AutoCloseable {
  static final String BINARY = "/usr/bin/prometheus-alertmanager";

  private final LocalProcess process;
  private final String url;

  private AlertmanagerProcess(LocalProcess process, String url) {
    this.process = process;
    this.url = url;
  }

  /** Starts Alertmanager with {@code config} and waits for {@code /-/ready}. */
  static AlertmanagerProcess start(Path dir, int port, Path config, Consumer<Long> onStart) throws IOException, InterruptedException {
    String url = "http://127.0.0.1:" + port;
    Path data = Files.createDirectories(dir.resolve("data"));
    LocalProcess p = LocalProcess.start("alertmanager", List.of(LocalProcess.requireExecutable(BINARY),
        "--config.file=" + config.toAbsolutePath(),
        "--storage.path=" + data,
        "--web.listen-address=127.0.0.1:" + port,
        "--web.external-url=" + url,
        "--cluster.listen-address=",
        "--log.level=debug"), dir, dir.resolve("alertmanager.log"), onStart);
    try {
      p.awaitHttpOk(url + "/-/ready", Duration.ofSeconds(60));
    } catch (RuntimeException | InterruptedException e) {
      p.close();
      throw e;
    }
    return new AlertmanagerProcess(p, url);
  }

  String url() {
    return url;
  }

  LocalProcess process() {
    return process;
  }

  /** {@code GET /api/v2/alerts}: the alerts Alertmanager holds, with fingerprint, status and receivers. */
  JsonArray alerts() throws IOException, InterruptedException {
    return new JsonArray(Http.get(url + "/api/v2/alerts"));
  }

  /** Alertmanager's own {@code /metrics} text, e.g. {@code alertmanager_notifications_total{integration="webhook"}}. */
  String metrics() throws IOException, InterruptedException {
    return Http.get(url + "/metrics");
  }

  @Override
  public void close() {
    process.close();
  }
}
