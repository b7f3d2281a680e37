package io.runbookd.bench;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.Runbookd;
import io.runbookd.config.ConfigLoader;
import io.runbookd.it.AlertmanagerPayloads;
import io.runbookd.testkit.Postgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load run of the webhook intake with durable commits, on loopback (see README "Benchmarks").
 *
 * <p>Starts runbookd in-process on a fresh SQLite file or PostgreSQL database, then runs
 * {@code clients} closed-loop HTTP clients for {@code seconds}, each posting Alertmanager webhooks of
 * {@code alertsPerWebhook} distinct firing alerts. Every 2xx means the alerts were committed. The
 * alerts match no rule, so the engine's share of the work is the bookkeeping of each event, not
 * Connect calls. Prints webhooks/s, alerts/s and latency percentiles.
 *
 * <p>Arguments: {@code [sqlite|postgres] [clients=16] [seconds=20] [alertsPerWebhook=1]}.
 */
public final class IngestLoad {
  private IngestLoad() {}

  public static void main(String[] args) throws Exception {
    String storeKind = args.length > 0 ? args[0] : "sqlite";
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 16;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    int perWebhook = args.length > 3 ? Integer.parseInt(args[3]) : 1;

    Path dir = Files.createTempDirectory("runbookd-bench");
    String db = null;
    String store;
    if (storeKind.equals("postgres")) {
      db = Postgres.createDatabase();
      store = "store: { jdbc_url: '" + Postgres.url("127.0.0.1", 5432, db) + "', username: postgres, max_pool_size: 8 }\n";
    } else {
      store = "store: { data_dir: '" + dir + "' }\n";
    }
    String yaml = "server: { listen: '127.0.0.1:0', max_body_bytes: 16777216 }\n" + store
        + "rules: { paths: ['" + Path.of("rules").toAbsolutePath() + "'] }\n"
        + "connect_clusters:\n  local: { url: 'http://127.0.0.1:9' }\n"
        + "notifiers:\n  owner: { url: 'http://127.0.0.1:9/o' }\n  oncall: { url: 'http://127.0.0.1:9/c' }\n";
    Runbookd daemon = Runbookd.start(ConfigLoader.parse(yaml, "bench.yaml"), Clock.systemUTC(), new PrometheusRegistry(), false)
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    URI uri = URI.create("http://127.0.0.1:" + daemon.port() + "/api/v1/alerts");
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    // Warm-up: 3 s, not measured.
    run(http, uri, clients, 3, perWebhook, new AtomicLong(), new ArrayList<>());
    AtomicLong errors = new AtomicLong();
    List<long[]> latencies = new ArrayList<>();
    long start = System.nanoTime();
    long done = run(http, uri, clients, seconds, perWebhook, errors, latencies);
    double elapsed = (System.nanoTime() - start) / 1e9;

    long[] all = latencies.stream().flatMapToLong(Arrays::stream).filter(v -> v > 0).sorted().toArray();
    System.out.printf("store=%s clients=%d seconds=%d alerts/webhook=%d%n", storeKind, clients, seconds, perWebhook);
    System.out.printf("webhooks=%d errors=%d  throughput=%.0f webhooks/s (%.0f alerts/s)%n", done, errors.get(), done / elapsed,
        done * perWebhook / elapsed);
    System.out.printf("latency ms: p50=%.2f p90=%.2f p99=%.2f p99.9=%.2f max=%.2f%n", pct(all, 50), pct(all, 90), pct(all, 99),
        pct(all, 99.9), all.length == 0 ? 0 : all[all.length - 1] / 1e6);
    daemon.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (db != null) {
      Postgres.dropDatabase(db);
    }
    System.exit(errors.get() == 0 ? 0 : 1);
  }

  private static long run(HttpClient http, URI uri, int clients, int seconds, int perWebhook, AtomicLong errors,
      List<long[]> latencies) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    AtomicLong count = new AtomicLong();
    CountDownLatch finished = new CountDownLatch(clients);
    for (int c = 0; c < clients; c++) {
      long[] lat = new long[400_000];
      synchronized (latencies) {
        latencies.add(lat);
      }
      int client = c;
      Thread t = new Thread(() -> {
        int i = 0;
        try {
          while (System.nanoTime() < end && i < lat.length) {
            AlertmanagerPayloads.Group g = AlertmanagerPayloads.group();
            for (int a = 0; a < perWebhook; a++) {
              g.alert(AlertmanagerPayloads.Alert.firing(Map.of("alertname", "BenchNoRuleMatches", "client", "c" + client,
                  "seq", Integer.toString(i), "n", Integer.toString(a)), Instant.now()));
            }
            HttpRequest req = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(g.build())).build();
            long t0 = System.nanoTime();
            HttpResponse<Void> r = http.send(req, HttpResponse.BodyHandlers.discarding());
            lat[i++] = System.nanoTime() - t0;
            if (r.statusCode() != 200) {
              errors.incrementAndGet();
            }
            count.incrementAndGet();
          }
        } catch (Exception e) {
          errors.incrementAndGet();
        } finally {
          finished.countDown();
        }
      }, "bench-client-" + c);
      t.start();
    }
    finished.await();
    return count.get();
  }

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int idx = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
    return sorted[Math.max(0, idx)] / 1e6;
  }
}
