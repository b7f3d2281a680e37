package io.runbookd.e2e;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * {@code scripts/demo.sh}: the main job on real input. On loopback, with the conventional ports: a Kafka
 * broker and a Kafka Connect worker (own JVM, JMX exporter agent), Prometheus and Alertmanager (Debian's
 * binaries, the files in {@code alertmanager/}), runbookd on its embedded defaults, and Debezium's JDBC sink
 * writing orders into the local PostgreSQL. It breaks the sink's database, lets the chain heal it, prints
 * each hop's time, the incident's timeline and the URLs to look at, and stops everything it started.
 *
 * <p>Arguments: {@code --shipped-timings} uses the shipped files' own intervals (minutes) instead of
 * seconds; {@code --exit} stops right after the heal instead of waiting for Enter or Ctrl-C (the default
 * when stdin is not a terminal).
 */
public final class ChainDemo {
  private static final Path WORK = Path.of("target", "demo").toAbsolutePath();
  private static final Instant T0 = Instant.now();

  private ChainDemo() {}

  public static void main(String[] args) throws Exception {
    List<String> flags = List.of(args);
    ChainFiles.Timings timings = flags.contains("--shipped-timings") ? ChainFiles.Timings.SHIPPED : ChainFiles.Timings.FAST;
    boolean wait = !flags.contains("--exit") && System.console() != null;
    Path pids = WORK.resolve("pids");
    deleteRecursively(WORK);
    Files.createDirectories(WORK);
    Files.writeString(pids, "");

    AlertingChain.Ports ports = AlertingChain.Ports.conventional();
    say("work directory " + WORK + "; timings: " + timings.describe());
    AlertingChain chain = AlertingChain.start(new AlertingChain.Options(WORK, ports, timings, ChainDemo::say, pid -> record(pids, pid)));
    java.util.concurrent.atomic.AtomicReference<OrdersPipeline> running = new java.util.concurrent.atomic.AtomicReference<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      say("stopping everything this demo started ...");
      OrdersPipeline p = running.get();
      if (p != null) {
        p.close();
      }
      chain.close();
    }, "demo-stop"));

    String name = "orders-pg-sink";
    int code = 0;
    try (OrdersPipeline pipeline = new OrdersPipeline(name, chain.connect().bootstrapServers(), 0, 200)) {
      running.set(pipeline);
      say("deploying Debezium's JDBC sink " + name + ": topic " + name + " -> PostgreSQL postgres.public." + pipeline.table()
          + " through a proxy on 127.0.0.1:" + pipeline.database().port());
      chain.deploy(pipeline);
      say(name + " is RUNNING and writing (" + pipeline.rowsInDatabase() + " rows so far). While it heals, look at:");
      printUrls(chain, ports, name, null);

      Duration timeout = timings == ChainFiles.Timings.FAST ? Duration.ofMinutes(3) : Duration.ofMinutes(15);
      AlertingChain.Heal heal = chain.breakAndHeal(pipeline, timeout);
      long rows = pipeline.rowsInDatabase();

      System.out.println();
      say("HEALED. Measured from the break to RUNNING, hop by hop (" + timings.describe() + "):");
      heal.hops().forEach((hop, took) -> System.out.printf("    %7.3f s  %s%n", took.toMillis() / 1000.0, hop));
      System.out.println();
      JsonObject incident = heal.incident();
      say("incident " + incident.getString("id") + ": rule " + incident.getString("rule") + ", outcome " + incident.getString("outcome")
          + ", attempts " + incident.getInteger("attempts") + ", cause: " + incident.getString("cause"));
      say("timeline (runbookd's incident record, GET /api/v1/incidents/" + incident.getString("id") + "):");
      for (Object o : incident.getJsonArray("timeline")) {
        JsonObject e = (JsonObject) o;
        System.out.printf("    %s  %-15s %s%n", e.getString("at"), e.getString("kind"), e.getString("message"));
      }
      say("webhooks runbookd received from Alertmanager:");
      for (AlertingChain.WebhookRecord w : heal.webhooks()) {
        System.out.printf("    %s  %-8s fingerprint %s receiver %s group %s%n", w.receivedAt(), w.status(), w.fingerprint(),
            w.receiver(), w.groupKey());
      }
      say(name + ": " + chain.describe(name) + ", " + rows + " rows in PostgreSQL and counting");
      printUrls(chain, ports, name, incident.getString("id"));
      if (wait) {
        say("everything keeps running so you can look; press Enter or Ctrl-C to stop it all");
        System.in.read();
      }
    } catch (Exception | AssertionError e) {
      say("FAILED: " + e.getMessage());
      say("logs: " + WORK + "/{connect/connect.log,prometheus/prometheus.log,alertmanager/alertmanager.log}");
      code = 1;
    }
    System.exit(code); // runs the shutdown hook, which stops the chain
  }

  private static void printUrls(AlertingChain chain, AlertingChain.Ports ports, String connector, String incidentId) {
    String p = chain.prometheus().url();
    String q = "/graph?g0.expr=" + java.net.URLEncoder.encode("kafka_connect_connector_task_status{connector=\"" + connector + "\"}",
        StandardCharsets.UTF_8) + "&g0.tab=0&g0.range_input=15m";
    System.out.println("    Prometheus alerts       " + p + "/alerts");
    System.out.println("    Prometheus task status  " + p + q);
    System.out.println("    Alertmanager            " + chain.alertmanager().url() + "/#/alerts");
    System.out.println("    runbookd incidents      " + chain.runbookdUrl() + "/api/v1/incidents"
        + (incidentId == null ? "" : "   and   " + chain.runbookdUrl() + "/api/v1/incidents/" + incidentId));
    System.out.println("    runbookd metrics        " + chain.runbookdUrl() + "/metrics");
    System.out.println("    Connect status          " + chain.connect().restUrl() + "/connectors/" + connector + "/status");
    System.out.println("    JMX exporter            " + chain.connect().metricsUrl());
    System.out.println("    Grafana dashboard       grafana/dashboards/runbookd-remediation-history.json (datasource: " + p + ")");
  }

  private static void record(Path pids, long pid) {
    try {
      Files.writeString(pids, pid + "\n", StandardOpenOption.APPEND);
    } catch (IOException e) {
      say("cannot record pid " + pid + " in " + pids + ": " + e);
    }
  }

  private static void say(String line) {
    System.out.printf("[demo %6.1fs] %s%n", Duration.between(T0, Instant.now()).toMillis() / 1000.0, line);
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
