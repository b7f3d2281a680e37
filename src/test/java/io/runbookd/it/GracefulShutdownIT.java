package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.runbookd.testkit.Await;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM in the middle of a failure storm (dozens of connectors failing on a simulated Connect, alerts
 * posted without pause, remediations running): runbookd answers 503 from then on, exits 0 within its
 * shutdown timeout without an ERROR line, and loses nothing it acknowledged: after the next start every
 * alert it answered 200 is processed.
 */
class GracefulShutdownIT {
  private static final Logger LOG = LoggerFactory.getLogger(GracefulShutdownIT.class);
  private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(20);

  @TempDir
  Path tmp;

  private SimulatedConnect connect;
  private WireMockServer notifier;
  private DaemonProcess daemon;
  private ExecutorService posters;

  @AfterEach
  void cleanUp() {
    if (posters != null) {
      posters.shutdownNow();
    }
    if (daemon != null) {
      daemon.close();
    }
    if (connect != null) {
      connect.close();
    }
    if (notifier != null) {
      notifier.stop();
    }
  }

  @Test
  void sigtermDuringAStormExitsZeroAndLosesNothingAcknowledged() throws Exception {
    assumeTrue(!System.getProperty("os.name").toLowerCase().contains("win"), "needs kill -TERM");
    connect = new SimulatedConnect();
    connect.server().setGlobalFixedDelay(50);
    notifier = new WireMockServer(options().dynamicPort());
    notifier.start();
    notifier.stubFor(post(urlEqualTo("/oncall")).willReturn(aResponse().withStatus(200).withFixedDelay(200)));
    Path data = tmp.resolve("data");
    daemon = new DaemonProcess(tmp, ", shutdown_timeout: " + SHUTDOWN_TIMEOUT.toSeconds() + "s",
        DaemonProcess.pagingConfig(tmp, connect.url(), notifier.port())
        + "guards: { storm: { connectors: 20, window: 2m, notify: oncall } }\n");
    daemon.startAndAwaitReady();
    int linesBefore = daemon.lines().size();

    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger unavailable = new AtomicInteger();
    AtomicInteger next = new AtomicInteger();
    AtomicBoolean posting = new AtomicBoolean(true);
    // Alertmanager-like intake: a steady 5 alerts a second, each for another failing connector.
    posters = Executors.newScheduledThreadPool(4);
    ((java.util.concurrent.ScheduledExecutorService) posters).scheduleAtFixedRate(() -> {
      if (!posting.get()) {
        return;
      }
      String name = "storm-sink-" + next.getAndIncrement();
      try {
        int code = daemon.postFiring(name);
        if (code == 200) {
          acknowledged.add(name);
        } else if (code == 503) {
          unavailable.incrementAndGet();
        }
      } catch (java.io.IOException e) {
        refused.incrementAndGet();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, 0, 200, TimeUnit.MILLISECONDS);
    // Well into the storm: many alerts in, remediations and storm notices under way.
    Await.until("40 acknowledged alerts and remediations under way", Duration.ofSeconds(60), Duration.ofMillis(100),
        () -> acknowledged.size() >= 40 && !connect.restarts().isEmpty(),
        () -> "acknowledged=" + acknowledged.size() + " restarts=" + connect.restarts().size() + " 503=" + unavailable.get()
            + " refused=" + refused.get());
    daemon.signal("TERM");
    Instant termAt = Instant.now();
    // The signal is handled asynchronously: ask until the daemon says it is stopping (or has closed).
    java.util.concurrent.atomic.AtomicReference<HttpResponse<String>> lastReady = new java.util.concurrent.atomic.AtomicReference<>();
    Await.until("/-/ready to answer 503 or the listener to close after SIGTERM", Duration.ofSeconds(10),
        Duration.ofMillis(20), () -> {
          try {
            lastReady.set(daemon.get("/-/ready"));
            return lastReady.get().statusCode() != 200;
          } catch (java.io.IOException closed) {
            lastReady.set(null);
            return true;
          }
        }, () -> "last status: " + (lastReady.get() == null ? "closed" : lastReady.get().statusCode()));
    HttpResponse<String> ready = lastReady.get();
    assertThat(daemon.process().waitFor(SHUTDOWN_TIMEOUT.toSeconds() + 15, TimeUnit.SECONDS)).as("exited").isTrue();
    Duration toExit = Duration.between(termAt, Instant.now());
    // Alertmanager keeps posting: the next webhook after SIGTERM meets a 503 or a closed listener.
    Await.until("a webhook after SIGTERM refused or answered 503", Duration.ofSeconds(10),
        () -> refused.get() + unavailable.get() > 0);
    posting.set(false);
    posters.shutdown();
    assertThat(posters.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    assertThat(refused.get() + unavailable.get()).as("webhooks refused or answered 503 after SIGTERM").isPositive();
    int exit = daemon.process().exitValue();
    List<String> run = daemon.lines().subList(linesBefore, daemon.lines().size());
    int unprocessedAtExit = count(data, "SELECT COUNT(*) FROM alert_events WHERE processed_at IS NULL");
    int heldAtExit = count(data, "SELECT COUNT(*) FROM alert_events WHERE claimed_by IS NOT NULL AND processed_at IS NULL")
        + count(data, "SELECT COUNT(*) FROM incidents WHERE lease_owner IS NOT NULL")
        + count(data, "SELECT COUNT(*) FROM escalations WHERE claimed_by IS NOT NULL AND fired_at IS NULL");

    assertThat(exit).as("exit code after SIGTERM").isZero();
    assertThat(run).as("no ERROR line").noneMatch(l -> l.contains("level=ERROR"));
    assertThat(run).anyMatch(l -> l.contains("msg=\"runbookd stopped\""));
    assertThat(heldAtExit).as("leases and claims left held at exit").isZero();
    if (ready != null) {
      assertThat(ready.statusCode()).as("/-/ready after SIGTERM").isEqualTo(503);
      assertThat(ready.body()).contains("\"error_code\":503").contains("shutting down");
    }

    daemon.startAndAwaitReady();
    Set<String> missing = new HashSet<>();
    Await.until("every acknowledged alert to be processed", Duration.ofSeconds(90), Duration.ofMillis(250), () -> {
      missing.clear();
      missing.addAll(acknowledged);
      missing.removeAll(processedConnectors(data));
      return missing.isEmpty();
    }, () -> "not processed: " + missing);
    LOG.info("MEASURED shutdown: acknowledged={} answered_503={} refused={} exit_code={} exit_ms={} unprocessed_at_exit={}"
        + " held_at_exit={} ready_after_term={}", acknowledged.size(), unavailable.get(), refused.get(), exit,
        toExit.toMillis(), unprocessedAtExit, heldAtExit, ready == null ? "closed" : ready.statusCode());
  }

  private static int count(Path data, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("runbookd.db"));
        Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** The connectors of the processed alert events (their labels are stored as JSON). */
  private static Set<String> processedConnectors(Path data) throws Exception {
    Set<String> out = new HashSet<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("runbookd.db"));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT labels FROM alert_events WHERE processed_at IS NOT NULL")) {
      while (rs.next()) {
        out.add(new io.vertx.core.json.JsonObject(rs.getString(1)).getString("connector"));
      }
    }
    return out;
  }
}
