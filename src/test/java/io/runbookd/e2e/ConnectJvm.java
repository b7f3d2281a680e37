package io.runbookd.e2e;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Kafka broker and a Kafka Connect worker in their own JVM ({@link ConnectProcess}), with the Prometheus
 * JMX exporter loaded as {@code -javaagent:jmx_prometheus_javaagent.jar=127.0.0.1:<port>:<config>} and the
 * worker's {@code plugin.path} holding Debezium's JDBC sink plugin archive, unpacked (both prepared by the
 * build under {@code target/e2e}, see pom.xml). Also a minimal client of the worker's REST API.
 */
final class ConnectJvm implements AutoCloseable {
  static final Path E2E_DIR = Path.of("target", "e2e").toAbsolutePath();
  static final Path AGENT_JAR = E2E_DIR.resolve("jmx_prometheus_javaagent.jar");
  static final Path PLUGIN_PATH = E2E_DIR.resolve("connect-plugins");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final LocalProcess process;
  private final String restUrl;
  private final String bootstrapServers;
  private final String metricsUrl;

  private ConnectJvm(LocalProcess process, String restUrl, String bootstrapServers, String metricsUrl) {
    this.process = process;
    this.restUrl = restUrl;
    this.bootstrapServers = bootstrapServers;
    this.metricsUrl = metricsUrl;
  }

  /**
   * Launches the JVM and waits until the worker answers {@code GET /connectors}.
   *
   * @param dir working directory: worker properties, {@code ready.properties}, {@code connect.log}
   * @param restPort the worker's REST port on 127.0.0.1
   * @param exporterPort the JMX exporter's port on 127.0.0.1
   * @param exporterConfig the JMX exporter config (the shipped {@code alertmanager/jmx-exporter-connect.yml})
   */
  static ConnectJvm start(Path dir, int restPort, int exporterPort, Path exporterConfig, Duration timeout,
      Consumer<Long> onStart) throws IOException, InterruptedException {
    requireBuilt(AGENT_JAR);
    requireBuilt(PLUGIN_PATH.resolve("debezium-connector-jdbc"));
    Files.createDirectories(dir);
    Properties worker = new Properties();
    worker.setProperty("group.id", "runbookd-e2e");
    worker.setProperty("config.storage.topic", "connect-configs");
    worker.setProperty("offset.storage.topic", "connect-offsets");
    worker.setProperty("status.storage.topic", "connect-status");
    worker.setProperty("config.storage.replication.factor", "1");
    worker.setProperty("offset.storage.replication.factor", "1");
    worker.setProperty("status.storage.replication.factor", "1");
    worker.setProperty("key.converter", "org.apache.kafka.connect.json.JsonConverter");
    worker.setProperty("value.converter", "org.apache.kafka.connect.json.JsonConverter");
    worker.setProperty("listeners", "http://127.0.0.1:" + restPort);
    worker.setProperty("rest.advertised.host.name", "127.0.0.1");
    worker.setProperty("rest.advertised.port", Integer.toString(restPort));
    worker.setProperty("plugin.path", PLUGIN_PATH.toString());
    // Every plugin used has a ServiceLoader manifest; skip the slow reflective scan (KIP-898).
    worker.setProperty("plugin.discovery", "service_load");
    worker.setProperty("offset.flush.interval.ms", "1000");
    try (Writer w = Files.newBufferedWriter(dir.resolve(ConnectProcess.WORKER_PROPERTIES), StandardCharsets.UTF_8)) {
      worker.store(w, "Kafka Connect worker of the runbookd alerting-chain test/demo");
    }
    Files.deleteIfExists(dir.resolve(ConnectProcess.READY_PROPERTIES));

    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xms256m");
    cmd.add("-Xmx1g");
    cmd.add("-javaagent:" + AGENT_JAR + "=127.0.0.1:" + exporterPort + ":" + exporterConfig.toAbsolutePath());
    resource("e2e/logback-connect.xml").ifPresent(p -> cmd.add("-Dlogback.configurationFile=" + p));
    cmd.add("-cp");
    cmd.add(classPath());
    cmd.add(ConnectProcess.class.getName());
    cmd.add(dir.toString());
    LocalProcess p = LocalProcess.start("kafka-connect", cmd, dir, dir.resolve("connect.log"), onStart);
    try {
      Properties ready = awaitReady(p, dir.resolve(ConnectProcess.READY_PROPERTIES), timeout);
      ConnectJvm jvm = new ConnectJvm(p, "http://127.0.0.1:" + restPort, ready.getProperty("bootstrap.servers"),
          "http://127.0.0.1:" + exporterPort + "/metrics");
      p.awaitHttpOk(jvm.restUrl + "/connectors", timeout);
      return jvm;
    } catch (RuntimeException | InterruptedException e) {
      p.close();
      throw e;
    }
  }

  private static Properties awaitReady(LocalProcess p, Path file, Duration timeout) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(file)) {
        Properties ready = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
          ready.load(r);
        }
        return ready;
      }
      if (!p.isAlive()) {
        throw new IllegalStateException("the Kafka/Connect JVM exited during start; " + p.log() + " ends with:\n" + p.tail(60));
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
    throw new IllegalStateException("the Kafka/Connect JVM did not start within " + timeout.toSeconds() + " s; "
        + p.log() + " ends with:\n" + p.tail(60));
  }

  /**
   * The class path of this JVM with absolute entries (the child runs in another directory); failsafe's
   * forked JVM names its real class path in {@code surefire.test.class.path}.
   */
  private static String classPath() {
    String cp = System.getProperty("surefire.test.class.path");
    if (cp == null || cp.isBlank()) {
      cp = System.getProperty("java.class.path");
    }
    return java.util.Arrays.stream(cp.split(java.io.File.pathSeparator)).filter(e -> !e.isBlank())
        .map(e -> Path.of(e).toAbsolutePath().toString()).collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
  }

  private static Optional<Path> resource(String name) {
    var url = ConnectJvm.class.getClassLoader().getResource(name);
    if (url == null || !"file".equals(url.getProtocol())) {
      return Optional.empty();
    }
    return Optional.of(Path.of(URI.create(url.toString())));
  }

  private static void requireBuilt(Path p) {
    if (!Files.exists(p)) {
      throw new IllegalStateException(p + " is missing: it is prepared by `mvn test-compile` without -DskipTests (maven-dependency-plugin,"
          + " executions e2e-*)");
    }
  }

  long pid() {
    return process.pid();
  }

  LocalProcess process() {
    return process;
  }

  /** e.g. {@code http://127.0.0.1:8083}. */
  String restUrl() {
    return restUrl;
  }

  String bootstrapServers() {
    return bootstrapServers;
  }

  /** The JMX exporter's scrape URL. */
  String metricsUrl() {
    return metricsUrl;
  }

  /** {@code host:port} of the JMX exporter, for a Prometheus scrape target. */
  String metricsTarget() {
    return URI.create(metricsUrl).getAuthority();
  }

  /** {@code PUT /connectors/{name}/config}; returns the HTTP status (201 created, 200 updated). */
  int putConfig(String name, Map<String, String> config) throws IOException, InterruptedException {
    HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/connectors/" + name + "/config"))
        .header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(new JsonObject(Map.copyOf(config)).encode())));
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException("PUT /connectors/" + name + "/config: HTTP " + r.statusCode() + " " + r.body());
    }
    return r.statusCode();
  }

  /** {@code GET /connectors/{name}/status}, or empty on 404. */
  Optional<JsonObject> status(String name) throws IOException, InterruptedException {
    HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/connectors/" + name + "/status")).GET());
    if (r.statusCode() == 404) {
      return Optional.empty();
    }
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET /connectors/" + name + "/status: HTTP " + r.statusCode() + " " + r.body());
    }
    return Optional.of(new JsonObject(r.body()));
  }

  /** {@code GET /connectors/{name}/config}. */
  Map<String, Object> config(String name) throws IOException, InterruptedException {
    HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/connectors/" + name + "/config")).GET());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET /connectors/" + name + "/config: HTTP " + r.statusCode() + " " + r.body());
    }
    return new JsonObject(r.body()).getMap();
  }

  /** {@code DELETE /connectors/{name}}; a 404 is fine. */
  void delete(String name) throws IOException, InterruptedException {
    send(HttpRequest.newBuilder(uri("/connectors/" + name)).DELETE());
  }

  /** {@code PUT /connector-plugins/{class}/config/validate}: Connect's verdict on a config ({@code error_count}, {@code configs}). */
  JsonObject validate(String connectorClass, Map<String, String> config) throws IOException, InterruptedException {
    HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/connector-plugins/" + connectorClass + "/config/validate"))
        .header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(new JsonObject(Map.copyOf(config)).encode())));
    return new JsonObject(r.body());
  }

  /** The connector's state and every task's state, e.g. {@code RUNNING [0:FAILED]}, or {@code 404}. */
  static String summary(Optional<JsonObject> status) {
    if (status.isEmpty()) {
      return "404";
    }
    StringBuilder b = new StringBuilder(status.get().getJsonObject("connector").getString("state")).append(" [");
    var tasks = status.get().getJsonArray("tasks");
    for (int i = 0; i < tasks.size(); i++) {
      JsonObject t = tasks.getJsonObject(i);
      b.append(i == 0 ? "" : ", ").append(t.getInteger("id")).append(':').append(t.getString("state"));
    }
    return b.append(']').toString();
  }

  /** True when the connector and all of its (at least one) tasks are RUNNING. */
  static boolean running(Optional<JsonObject> status) {
    if (status.isEmpty() || !"RUNNING".equals(status.get().getJsonObject("connector").getString("state"))) {
      return false;
    }
    var tasks = status.get().getJsonArray("tasks");
    return !tasks.isEmpty() && tasks.stream().allMatch(t -> "RUNNING".equals(((JsonObject) t).getString("state")));
  }

  /** The first FAILED task, if any. */
  static Optional<JsonObject> failedTask(Optional<JsonObject> status) {
    return status.flatMap(s -> s.getJsonArray("tasks").stream().map(t -> (JsonObject) t)
        .filter(t -> "FAILED".equals(t.getString("state"))).findFirst());
  }

  private URI uri(String path) {
    return URI.create(restUrl + path);
  }

  private static HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
    return HTTP.send(b.timeout(Duration.ofSeconds(100)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    process.close();
  }
}
