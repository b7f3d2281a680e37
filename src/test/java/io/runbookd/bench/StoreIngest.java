package io.runbookd.bench;

import io.runbookd.model.AlertEvent;
import io.runbookd.store.Store;
import io.runbookd.store.StoreSettings;
import io.runbookd.store.Stores;
import io.runbookd.testkit.Postgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The store's share of durable ingest, without HTTP: one thread records group-commit batches of
 * {@code batch} alerts (as {@link io.runbookd.store.AlertRecorder} hands them to
 * {@link Store#recordAlerts}, one transaction each) for {@code seconds}, and prints batches/s and
 * alerts/s. Isolates the cost of the insert statements from the HTTP and engine work of
 * {@link IngestLoad}, which a loaded machine makes noisy.
 *
 * <p>Arguments: {@code [sqlite|postgres] [batch=96] [seconds=10]}.
 */
public final class StoreIngest {
  private StoreIngest() {}

  public static void main(String[] args) throws Exception {
    String kind = args.length > 0 ? args[0] : "sqlite";
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 96;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    String db = kind.equals("postgres") ? Postgres.createDatabase() : null;
    StoreSettings settings = db == null
        ? new StoreSettings(null, Files.createTempDirectory("runbookd-store-bench"), null, null, 0, Duration.ofSeconds(3))
        : new StoreSettings(Postgres.url("127.0.0.1", 5432, db), Path.of("."), "postgres", null, 8, Duration.ofSeconds(3));
    long alerts = 0;
    long batches = 0;
    try (Store store = Stores.open(settings)) {
      long warm = System.nanoTime() + 2_000_000_000L;
      long end = warm + seconds * 1_000_000_000L;
      long start = 0;
      int n = 0;
      while (true) {
        long t = System.nanoTime();
        if (t >= end) {
          break;
        }
        if (start == 0 && t >= warm) {
          start = t;
          alerts = 0;
          batches = 0;
        }
        List<AlertEvent> events = new ArrayList<>(batch);
        Instant now = Instant.now();
        for (int i = 0; i < batch; i++, n++) {
          events.add(new AlertEvent(0, now, "fp" + n, "firing", now, null,
              Map.of("alertname", "KafkaConnectTaskFailure", "connector", "c" + n, "connect_cluster", "prod", "task", "0"),
              Map.of("summary", "task failed"), "runbookd", "{}:{alertname=\"KafkaConnectTaskFailure\"}"));
        }
        store.recordAlerts(events);
        alerts += batch;
        batches++;
      }
      double s = (System.nanoTime() - start) / 1e9;
      System.out.printf("store=%s batch=%d batches/s=%.0f alerts/s=%.0f%n", kind, batch, batches / s, alerts / s);
    } finally {
      if (db != null) {
        Postgres.dropDatabase(db);
      }
    }
  }
}
