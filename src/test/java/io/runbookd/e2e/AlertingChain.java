package io.runbookd.e2e;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.Runbookd;
import io.runbookd.config.ConfigLoader;
import io.runbookd.testkit.Await;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The real alerting chain on loopback: a Kafka broker and a Connect worker with the JMX exporter agent
 * ({@link ConnectJvm}), Prometheus and Alertmanager (the Debian binaries, with working copies of the files
 * in {@code alertmanager/}), and runbookd in this JVM on its embedded defaults (the repository's
 * runbookd.yaml: SQLite store, shipped rules), its notifiers pointed at a {@link NotificationCatcher}.
 *
 * <p>{@link #breakAndHeal} breaks a real connector and measures each hop while the chain heals it. Used by
 * {@link AlertingChainIT} and {@link ChainDemo}. {@link #close()} stops everything it started, in reverse.
 */
final class AlertingChain implements AutoCloseable {
  static final String ALERT = "KafkaConnectTaskFailure";
  private static final Duration POLL = Duration.ofMillis(100);

  /** Loopback ports of the chain's parts. */
  record Ports(int connectRest, int exporter, int prometheus, int alertmanager, int runbookd, int notifications) {
    /** The conventional ports, for the demo's URLs; runbookd.yaml's Connect URL and notifier port. */
    static Ports conventional() {
      return new Ports(8083, 9404, 9090, 9093, 9095, 9096);
    }

    /** Six ports that were free a moment ago. */
    static Ports free() throws IOException {
      List<ServerSocket> held = new ArrayList<>();
      try {
        for (int i = 0; i < 6; i++) {
          ServerSocket s = new ServerSocket();
          s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
          held.add(s);
        }
        return new Ports(held.get(0).getLocalPort(), held.get(1).getLocalPort(), held.get(2).getLocalPort(),
            held.get(3).getLocalPort(), held.get(4).getLocalPort(), held.get(5).getLocalPort());
      } finally {
        for (ServerSocket s : held) {
          s.close();
        }
      }
    }

    /** @throws IllegalStateException naming the first port that is taken and what it was for */
    void requireFree() {
      Map<String, Integer> all = Map.of("Kafka Connect REST", connectRest, "JMX exporter", exporter, "Prometheus", prometheus,
          "Alertmanager", alertmanager, "runbookd", runbookd, "notification catcher", notifications);
      all.forEach((what, port) -> {
        try (ServerSocket s = new ServerSocket()) {
          s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        } catch (IOException e) {
          throw new IllegalStateException("port " + port + " (for " + what + ") is in use on 127.0.0.1: stop what holds it");
        }
      });
    }
  }

  /**
   * @param workDir everything of this run: configs, data directories, logs
   * @param log progress lines
   * @param onProcessStart the pid of each process started (the demo's shell trap kills leftovers by pid)
   */
  record Options(Path workDir, Ports ports, ChainFiles.Timings timings, Consumer<String> log, Consumer<Long> onProcessStart) {}

  private final Options options;
  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private ConnectJvm connect;
  private Runbookd runbookd;
  private AlertmanagerProcess alertmanager;
  private PrometheusProcess prometheus;
  private NotificationCatcher notifications;
  private Path runbookdDb;
  private Path runbookdConfig;
  private Instant startedAt;

  private AlertingChain(Options options) {
    this.options = options;
  }

  /** Starts the chain; on failure stops what was started and rethrows. */
  static AlertingChain start(Options o) throws Exception {
    AlertingChain chain = new AlertingChain(o);
    try {
      chain.startAll();
      return chain;
    } catch (Exception | AssertionError e) {
      chain.close();
      throw e;
    }
  }

  private void startAll() throws Exception {
    startedAt = Instant.now();
    Ports ports = options.ports();
    LocalProcess.requireExecutable(PrometheusProcess.BINARY);
    LocalProcess.requireExecutable(AlertmanagerProcess.BINARY);
    requirePostgres();
    ports.requireFree();
    Path dir = Files.createDirectories(options.workDir());
    Path config = Files.createDirectories(dir.resolve("config"));

    log("starting a Kafka broker and a Kafka Connect worker (own JVM, -javaagent:jmx_prometheus_javaagent "
        + "with alertmanager/jmx-exporter-connect.yml, Debezium JDBC sink in plugin.path) ...");
    CompletableFuture<ConnectJvm> connectStart = new CompletableFuture<>();
    Thread starter = new Thread(() -> {
      try {
        connectStart.complete(ConnectJvm.start(dir.resolve("connect"), ports.connectRest(), ports.exporter(),
            ChainFiles.EXPORTER_YML, Duration.ofSeconds(150), options.onProcessStart()));
      } catch (Throwable t) {
        connectStart.completeExceptionally(t);
      }
    }, "connect-jvm-start");
    starter.start();
    try {
      notifications = new NotificationCatcher(ports.notifications(), n -> log("notification received on " + n.path() + ": " + n.body()));
      started.push(notifications);

      Path token = dir.resolve("secrets").resolve("runbookd-token");
      Files.createDirectories(token.getParent());
      Files.writeString(token, HexFormat.of().formatHex(new SecureRandom().generateSeed(16)));
      Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
      runbookdDb = dir.resolve("runbookd-data").resolve("runbookd.db");
      runbookdConfig = ChainFiles.runbookd(config, ports.runbookd(), runbookdDb.getParent(),
          "http://127.0.0.1:" + ports.connectRest(), notifications.url(), token);
      runbookd = Runbookd.start(ConfigLoader.load(runbookdConfig), Clock.systemUTC(), new PrometheusRegistry(), true)
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      started.push(() -> runbookd.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
      log("runbookd on " + runbookdUrl() + " (config " + runbookdConfig + ": SQLite " + runbookdDb + ", rules "
          + ChainFiles.RUNBOOKD_YML.getParent().resolve("rules") + ")");

      Path amConfig = ChainFiles.alertmanager(config, options.timings(), runbookdUrl() + "/api/v1/alerts", token);
      alertmanager = AlertmanagerProcess.start(dir.resolve("alertmanager"), ports.alertmanager(), amConfig, options.onProcessStart());
      started.push(alertmanager);
      log("Alertmanager on " + alertmanager.url() + " (" + amConfig + ")");

      Path rules = ChainFiles.rules(config, options.timings());
      Path promConfig = ChainFiles.prometheus(config, options.timings(), rules, "127.0.0.1:" + ports.exporter(),
          "127.0.0.1:" + ports.runbookd(), "127.0.0.1:" + ports.alertmanager());
      prometheus = PrometheusProcess.start(dir.resolve("prometheus"), ports.prometheus(), promConfig, options.onProcessStart());
      started.push(prometheus);
      log("Prometheus on " + prometheus.url() + " (" + promConfig + ")");
    } finally {
      try {
        connect = connectStart.get(180, TimeUnit.SECONDS);
        started.addLast(connect); // stopped last
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception ex ? ex : e;
      } catch (TimeoutException e) {
        throw new IllegalStateException("the Kafka/Connect JVM did not start in 180 s", e);
      }
    }
    log("Kafka Connect worker on " + connect.restUrl() + " (broker " + connect.bootstrapServers() + ", exporter "
        + connect.metricsUrl() + "; log " + connect.process().log() + ")");
    Await.value("scraping both jobs (kafka-connect, runbookd) with health up", Duration.ofSeconds(30), POLL,
        () -> {
          JsonArray targets = prometheus.activeTargets();
          Set<String> up = new HashSet<>();
          targets.forEach(t -> {
            JsonObject target = (JsonObject) t;
            if ("up".equals(target.getString("health"))) {
              up.add(target.getJsonObject("labels").getString("job"));
            }
          });
          return up.containsAll(Set.of("kafka-connect", "runbookd")) ? Optional.of(true) : Optional.empty();
        }, () -> {
          try {
            return prometheus.activeTargets().encode();
          } catch (Exception e) {
            return e.toString();
          }
        });
    log("Prometheus scrapes the Connect worker's exporter and runbookd (" + options.timings().describe() + ")");
  }

  private static void requirePostgres() {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "")) {
      c.isValid(5);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL is not reachable on 127.0.0.1:5432 as postgres (trust auth): run "
          + "scripts/setup.sh (" + e.getMessage() + ")", e);
    }
  }

  ConnectJvm connect() {
    return connect;
  }

  PrometheusProcess prometheus() {
    return prometheus;
  }

  AlertmanagerProcess alertmanager() {
    return alertmanager;
  }

  NotificationCatcher notifications() {
    return notifications;
  }

  Instant startedAt() {
    return startedAt;
  }

  Path runbookdConfig() {
    return runbookdConfig;
  }

  String runbookdUrl() {
    return "http://127.0.0.1:" + options.ports().runbookd();
  }

  /** {@code GET} a runbookd API path, parsed. */
  JsonObject runbookdGet(String path) throws IOException, InterruptedException {
    return new JsonObject(Http.get(runbookdUrl() + path));
  }

  /** Deploys the pipeline's sink and waits until it is RUNNING, rows reach PostgreSQL and Prometheus sees the task. */
  void deploy(OrdersPipeline pipeline) throws Exception {
    String name = pipeline.connector();
    connect.putConfig(name, pipeline.connectorConfig());
    Await.value(name + " RUNNING with rows in PostgreSQL", Duration.ofSeconds(120), POLL,
        () -> ConnectJvm.running(connect.status(name)) && pipeline.rowsInDatabase() > 0 ? Optional.of(true) : Optional.empty(),
        () -> describe(name));
    Await.value("kafka_connect_connector_task_status{status=\"running\"} of " + name + " in Prometheus", Duration.ofSeconds(30), POLL,
        () -> prometheus.value("kafka_connect_connector_task_status{connector=\"" + name + "\",status=\"running\"}").isPresent()
            ? Optional.of(true) : Optional.empty(), () -> "no sample");
  }

  /**
   * What happened, and when, while the chain healed a broken connector. Instants are this host's clock; the
   * webhooks' are runbookd's receipt times from its store, the restart's is runbookd's step record.
   */
  record Heal(String connector, String connectCluster, Instant broke, Instant failed, String trace, Instant databaseBack,
      Instant pending, Instant firing, JsonObject alertmanagerAlert, Instant firingWebhook, String incidentId,
      Instant restartCalled, Instant running, Instant prometheusResolved, Instant resolvedWebhook, Instant closed,
      Instant recoveryMetricsInPrometheus, JsonObject incident, List<WebhookRecord> webhooks) {

    /** The hops from the break to RUNNING, then on to the closed incident, in order. */
    Map<String, Duration> hops() {
      java.util.LinkedHashMap<String, Duration> h = new java.util.LinkedHashMap<>();
      h.put("Connect: break -> task FAILED (sink's next write, c3p0 retries)", Duration.between(broke, failed));
      h.put("Prometheus: task FAILED -> alert pending (scrape + evaluation)", Duration.between(failed, pending));
      h.put("Prometheus: pending -> firing (for)", Duration.between(pending, firing));
      h.put("Alertmanager: firing -> webhook received by runbookd (group_wait + delivery)", Duration.between(firing, firingWebhook));
      h.put("runbookd: webhook -> restart request (commit, status + trace, rule, incident)", Duration.between(firingWebhook, restartCalled));
      h.put("Connect: restart -> connector and task RUNNING", Duration.between(restartCalled, running));
      h.put("TOTAL: break -> RUNNING", Duration.between(broke, running));
      h.put("after: RUNNING -> resolved webhook received (scrape + evaluation + group_interval)", Duration.between(running, resolvedWebhook));
      h.put("after: RUNNING -> incident closed (runbookd verifies RUNNING and stable, stable_for)", Duration.between(running, closed));
      return h;
    }
  }

  /** One alert of one webhook as runbookd recorded it (its store's {@code alert_events} row). */
  record WebhookRecord(Instant receivedAt, String status, String fingerprint, String receiver, String groupKey, JsonObject labels) {}

  /**
   * Breaks the pipeline's database (the sink's port refuses connections), brings it back once the task is
   * FAILED, and waits for each hop of the chain to heal it: alert, webhook, restart, RUNNING, resolve, closed
   * incident, recovery metrics in Prometheus.
   */
  Heal breakAndHeal(OrdersPipeline pipeline, Duration timeout) throws Exception {
    String name = pipeline.connector();
    String cluster = ChainFiles.connectCluster();
    pipeline.pauseAndDrain(timeout);
    log(name + " has written all " + pipeline.produced() + " records; its database connections are idle");
    Instant broke = Instant.now();
    pipeline.database().stop();
    pipeline.resume();
    log("BREAK: the database port " + pipeline.database().port() + " now refuses connections; producing again");

    JsonObject failedTask = Await.value(name + " task FAILED", timeout, POLL,
        () -> ConnectJvm.failedTask(connect.status(name)), () -> describe(name));
    Instant failed = Instant.now();
    String trace = failedTask.getString("trace", "");
    log("Connect: task " + failedTask.getInteger("id") + " of " + name + " is FAILED: " + causeLine(trace));
    pipeline.database().start();
    Instant databaseBack = Instant.now();
    log("the database answers again; the FAILED task stays FAILED until something restarts it");

    JsonObject firingAlert = Await.value(ALERT + " firing in Prometheus", timeout, POLL, () -> prometheusAlert(name, "firing"),
        () -> alertsOf(name));
    Instant firing = Instant.now();
    Instant pending = Instant.parse(firingAlert.getString("activeAt"));
    log("Prometheus: " + ALERT + "{connector=\"" + name + "\"} firing (pending since " + pending + ")");

    JsonObject amAlert = Await.value(ALERT + " in Alertmanager", timeout, POLL, () -> alertmanagerAlert(name), () -> "none");
    log("Alertmanager: holds the alert (fingerprint " + amAlert.getString("fingerprint") + ", receivers "
        + amAlert.getJsonArray("receivers").stream().map(r -> ((JsonObject) r).getString("name")).toList() + ")");

    JsonObject opened = Await.value("an incident for " + name + " in runbookd", timeout, POLL,
        () -> incidents(name).stream().findFirst(), () -> "none");
    WebhookRecord firingWebhook = Await.value("the firing webhook in runbookd's store", timeout, POLL,
        () -> webhooks().stream().filter(w -> "firing".equals(w.status()) && name.equals(w.labels().getString("connector"))).findFirst(),
        () -> "none");
    log("runbookd: webhook from Alertmanager received at " + firingWebhook.receivedAt() + "; incident " + opened.getString("id")
        + " opened, rule " + opened.getString("rule"));

    Await.value(name + " RUNNING again", timeout, Duration.ofMillis(50),
        () -> ConnectJvm.running(connect.status(name)) ? Optional.of(true) : Optional.empty(), () -> describe(name));
    Instant running = Instant.now();
    log("Connect: " + name + " is RUNNING: " + describe(name));

    Await.value(ALERT + " resolved in Prometheus", timeout, POLL,
        () -> prometheusAlert(name, null).isEmpty() ? Optional.of(true) : Optional.empty(), () -> alertsOf(name));
    Instant prometheusResolved = Instant.now();
    log("Prometheus: the alert resolved");

    WebhookRecord resolvedWebhook = Await.value("the resolved webhook in runbookd's store", timeout, POLL,
        () -> webhooks().stream().filter(w -> "resolved".equals(w.status()) && name.equals(w.labels().getString("connector"))).findFirst(),
        () -> "none");
    log("runbookd: resolved webhook from Alertmanager received at " + resolvedWebhook.receivedAt());

    String id = opened.getString("id");
    JsonObject closed = Await.value("incident " + id + " closed", timeout, Duration.ofMillis(200),
        () -> {
          JsonObject i = runbookdGet("/api/v1/incidents/" + id);
          return "closed".equals(i.getString("state")) ? Optional.of(i) : Optional.empty();
        }, () -> {
          try {
            return runbookdGet("/api/v1/incidents/" + id).encode();
          } catch (Exception e) {
            return e.toString();
          }
        });
    log("runbookd: incident " + id + " closed, outcome " + closed.getString("outcome"));

    Await.value("runbookd's recovery metrics in Prometheus", timeout, Duration.ofMillis(200),
        () -> prometheus.value("runbookd_remediations_total{outcome=\"recovered\"}").orElse(0) >= 1
            && prometheus.value("runbookd_time_to_recover_seconds_count").orElse(0) >= 1 ? Optional.of(true) : Optional.empty(),
        () -> "not yet");
    Instant metrics = Instant.now();
    log("Prometheus: scraped runbookd's recovery metrics (runbookd_remediations_total{outcome=\"recovered\"}, "
        + "runbookd_time_to_recover_seconds)");

    JsonArray steps = closed.getJsonArray("steps");
    Instant restartCalled = steps.stream().map(s -> (JsonObject) s).filter(s -> "restart".equals(s.getString("type")))
        .map(s -> Instant.parse(s.getString("started_at"))).findFirst()
        .orElseThrow(() -> new AssertionError("incident " + id + " has no restart step: " + closed.encode()));
    return new Heal(name, cluster, broke, failed, trace, databaseBack, pending, firing, amAlert, firingWebhook.receivedAt(), id,
        restartCalled, running, prometheusResolved, resolvedWebhook.receivedAt(), Instant.parse(closed.getString("closed_at")),
        metrics, closed, webhooks());
  }

  /** Prometheus' {@value #ALERT} for {@code connector} in {@code state} (any state when null). */
  private Optional<JsonObject> prometheusAlert(String connector, String state) throws IOException, InterruptedException {
    for (Object o : prometheus.alerts()) {
      JsonObject a = (JsonObject) o;
      JsonObject labels = a.getJsonObject("labels");
      if (ALERT.equals(labels.getString("alertname")) && connector.equals(labels.getString("connector"))
          && (state == null || state.equals(a.getString("state")))) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }

  private Optional<JsonObject> alertmanagerAlert(String connector) throws IOException, InterruptedException {
    for (Object o : alertmanager.alerts()) {
      JsonObject a = (JsonObject) o;
      JsonObject labels = a.getJsonObject("labels");
      if (ALERT.equals(labels.getString("alertname")) && connector.equals(labels.getString("connector"))) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }

  private String alertsOf(String connector) {
    try {
      return prometheus.alerts().stream().filter(a -> connector.equals(((JsonObject) a).getJsonObject("labels").getString("connector")))
          .map(a -> ((JsonObject) a).getString("state")).toList().toString();
    } catch (Exception e) {
      return e.toString();
    }
  }

  /** runbookd's incidents of {@code connector}, newest first. */
  List<JsonObject> incidents(String connector) throws IOException, InterruptedException {
    JsonArray list = runbookdGet("/api/v1/incidents?" + Http.query(Map.of("connector", connector))).getJsonArray("incidents");
    return list.stream().map(o -> (JsonObject) o).toList();
  }

  /** Every alert runbookd recorded from webhooks, oldest first, read from its SQLite store. */
  List<WebhookRecord> webhooks() throws SQLException {
    if (!Files.exists(runbookdDb)) {
      return List.of();
    }
    List<WebhookRecord> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + runbookdDb + "?open_mode=1");
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT received_at, status, fingerprint, receiver, group_key, labels FROM alert_events ORDER BY id")) {
      while (r.next()) {
        out.add(new WebhookRecord(Instant.ofEpochMilli(r.getLong(1)), r.getString(2), r.getString(3), r.getString(4),
            r.getString(5), new JsonObject(r.getString(6))));
      }
    }
    return out;
  }

  String describe(String connector) {
    try {
      return ConnectJvm.summary(connect.status(connector));
    } catch (Exception e) {
      return e.toString();
    }
  }

  /** The line of a trace that names the root cause: the last "Caused by:" line, or the first line. */
  static String causeLine(String trace) {
    String cause = trace.lines().findFirst().orElse("");
    for (String line : trace.lines().toList()) {
      if (line.startsWith("Caused by: ")) {
        cause = line.substring("Caused by: ".length());
      }
    }
    return cause;
  }

  private void log(String line) {
    options.log().accept(line);
  }

  /** Stops what was started, in reverse order; never throws. */
  @Override
  public void close() {
    while (!started.isEmpty()) {
      AutoCloseable c = started.pop();
      try {
        c.close();
      } catch (Exception e) {
        log("stopping " + c + " failed: " + e);
      }
    }
  }
}
