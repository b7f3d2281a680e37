package io.runbookd.it;

import io.runbookd.testkit.Await;
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
import java.util.concurrent.TimeUnit;

/**
 * {@code runbookd run --config} in its own JVM, as an operator runs it: started, probed on
 * {@code /-/ready}, sent signals, killed. Its output is appended to one log file across restarts.
 */
final class DaemonProcess implements AutoCloseable {
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Path config;
  private final Path log;
  private final int port;
  private Process process;

  /** A daemon on a free port; {@code yaml} is the config without its {@code server.listen}. */
  DaemonProcess(Path dir, String serverExtra, String yaml) throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    this.config = Files.writeString(dir.resolve("runbookd.yaml"),
        "server: { listen: '127.0.0.1:" + port + "'" + serverExtra + " }\n" + yaml);
    this.log = dir.resolve("runbookd.log");
  }

  /**
   * The config of a daemon that pages on-call ({@code page-rules.yaml}, copied into {@code dir/rules})
   * for connectors of cluster {@code local} at {@code connectUrl}, through a Slack-type notifier on
   * {@code notifierPort}, with its SQLite store in {@code dir/data} and a 200 ms tick.
   */
  static String pagingConfig(Path dir, String connectUrl, int notifierPort) throws IOException {
    Path rules = Files.createDirectories(dir.resolve("rules"));
    Files.copy(Path.of("src/test/resources/it/page-rules.yaml"), rules.resolve("10-page.yaml"));
    return "store: { data_dir: '" + dir.resolve("data") + "' }\n"
        + "rules: { paths: ['" + rules + "'], watch_interval: 0s }\n"
        + "connect_clusters:\n  local: { url: '" + connectUrl + "' }\n"
        + "notifiers:\n  oncall: { type: slack, url: 'http://127.0.0.1:" + notifierPort + "/oncall' }\n"
        + "engine: { tick: 200ms, poll_interval: 500ms }\n";
  }

  String base() {
    return "http://127.0.0.1:" + port;
  }

  Path log() {
    return log;
  }

  /** Starts the JVM and returns the instant {@code /-/ready} first answered 200 (polled every 25 ms). */
  Instant startAndAwaitReady() throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    process = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        "io.runbookd.Main", "run", "--config", config.toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    Await.until("runbookd at " + base() + " to be ready", Duration.ofSeconds(90), Duration.ofMillis(25),
        () -> {
          if (!process.isAlive()) {
            throw new AssertionError("runbookd exited with " + process.exitValue() + ": " + Files.readString(log));
          }
          return get("/-/ready").statusCode() == 200;
        }, () -> null);
    return Instant.now();
  }

  Process process() {
    return process;
  }

  /** SIGKILL, and waits for the process to be gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  /** Sends {@code signal} (e.g. {@code TERM}) with kill(1). */
  void signal(String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new AssertionError("kill -" + signal + " " + process.pid() + " failed");
    }
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Posts one firing Alertmanager alert for {@code connector} of cluster {@code local}; returns the status. */
  int postFiring(String connector) throws IOException, InterruptedException {
    String body = AlertmanagerPayloads.firing("KafkaConnectTaskFailure",
        Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "local", "connector", connector), Instant.now());
    return HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/api/v1/alerts")).timeout(Duration.ofSeconds(10))
        .header("Content-Type", AlertmanagerPayloads.CONTENT_TYPE)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** The lines of the log so far. */
  List<String> lines() throws IOException {
    return Files.exists(log) ? Files.readAllLines(log) : List.of();
  }

  @Override
  public void close() {
    if (process != null) {
      process.destroyForcibly();
    }
  }
}
