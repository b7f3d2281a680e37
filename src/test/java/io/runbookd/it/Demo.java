package io.runbookd.it;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.Runbookd;
import io.runbookd.config.ConfigLoader;
import io.runbookd.config.RunbookdConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code scripts/demo.sh}: runbookd on its embedded defaults (runbookd.yaml: SQLite store under
 * ./data, the shipped rules) against a real Kafka broker and Connect worker.
 *
 * <ol>
 *   <li>starts a Kafka broker and a Kafka Connect worker (EmbeddedConnectCluster);
 *   <li>deploys a source connector whose task fails with PostgreSQL's "Connection refused" trace;
 *   <li>brings the "database" back (the task stays FAILED, as Connect tasks do, until restarted);
 *   <li>posts the webhook body Alertmanager 0.25 sends for a KafkaConnectTaskFailure alert;
 *   <li>waits until runbookd restarted the connector, verified it RUNNING and stable, and closed the
 *       incident; prints the incident's timeline; stops everything.
 * </ol>
 */
public final class Demo {
  private Demo() {}

  public static void main(String[] args) throws Exception {
    Path configFile = Path.of(args.length > 0 ? args[0] : "runbookd.yaml");
    say("starting a Kafka broker and a Kafka Connect worker ...");
    ConnectWorker connect = ConnectWorker.get();
    say("Kafka Connect REST API at " + connect.restUrl() + " (started in " + connect.startTime().toMillis() + " ms)");

    Vertx catcherVertx = Vertx.vertx();
    HttpServer catcher = catcherVertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      say("NOTIFICATION to " + req.path() + ": " + b.toString());
      req.response().end();
    })).listen(9096, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    RunbookdConfig file = ConfigLoader.load(configFile);
    Map<String, RunbookdConfig.ConnectCluster> clusters = new HashMap<>();
    clusters.put("local", new RunbookdConfig.ConnectCluster(connect.restUrl(), null, null, null, null, false, null));
    RunbookdConfig config = new RunbookdConfig(file.server(), file.store(), file.rules(), clusters, file.notifiers(),
        file.engine(), file.dryRun());
    Runbookd daemon = Runbookd.start(config, Clock.systemUTC(), PrometheusRegistry.defaultRegistry, true)
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + daemon.port();
    say("runbookd listening on " + base + " (store " + config.store().dataDir() + ", rules " + config.rules().paths() + ")");

    String name = "demo-orders-pg-sink-" + Long.toString(System.currentTimeMillis() % 100000, 36);
    try {
      Failures.set(name, "org.postgresql.util.PSQLException: Connection to "
          + "localhost:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.");
      connect.createFlakyConnector(name, name);
      connect.awaitTaskFailed(name, Duration.ofSeconds(60));
      say("connector " + name + " task 0 is FAILED: " + ConnectWorker.summary(connect.status(name)));
      Failures.clear(name);
      say("the database answers again; the task stays FAILED until someone restarts it");

      Map<String, String> labels = Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "local",
          "connector", name, "task", "0", "severity", "warning");
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/alerts"))
          .header("Content-Type", AlertmanagerPayloads.CONTENT_TYPE).header("User-Agent", AlertmanagerPayloads.USER_AGENT)
          .POST(HttpRequest.BodyPublishers.ofString(AlertmanagerPayloads.firing("KafkaConnectTaskFailure", labels,
              Instant.now().minusSeconds(120)))).build(), HttpResponse.BodyHandlers.ofString());
      say("Alertmanager-style webhook posted: HTTP " + resp.statusCode() + " " + resp.body());

      JsonObject incident = null;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (System.nanoTime() < deadline) {
        JsonArray list = new JsonObject(http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/incidents?connector=" + name)).build(),
            HttpResponse.BodyHandlers.ofString()).body()).getJsonArray("incidents");
        if (!list.isEmpty() && "closed".equals(list.getJsonObject(0).getString("state"))) {
          incident = list.getJsonObject(0);
          break;
        }
        TimeUnit.MILLISECONDS.sleep(500);
      }
      if (incident == null) {
        say("FAILED: the incident did not close within 3 minutes");
        System.exit(1);
      }
      JsonObject detail = new JsonObject(http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/incidents/" + incident.getString("id"))).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      say("incident " + detail.getString("id") + " closed: outcome=" + detail.getString("outcome") + ", rule=" + detail.getString("rule")
          + ", attempts=" + detail.getInteger("attempts"));
      say("timeline:");
      for (Object o : detail.getJsonArray("timeline")) {
        JsonObject e = (JsonObject) o;
        System.out.printf("    %s  %-15s %s%n", e.getString("at"), e.getString("kind"), e.getString("message"));
      }
      say("connector now: " + ConnectWorker.summary(connect.status(name)));
      say("look at: " + base + "/api/v1/incidents/" + detail.getString("id") + " , " + base + "/metrics , " + base + "/api/v1/rules");
    } finally {
      Failures.clear(name);
      daemon.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      catcher.close();
      catcherVertx.close();
    }
    System.exit(0);
  }

  private static void say(String s) {
    System.out.println("[demo] " + s);
  }
}
