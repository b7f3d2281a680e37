package io.runbookd.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A dedicated PostgreSQL cluster that a test may stop and start: Debian's {@code 15/storm} on
 * 127.0.0.1:5434, created by {@code scripts/setup.sh} (trust auth, user postgres). Stopping it is a real
 * server shutdown ({@code pg_ctlcluster ... stop -m fast}): open connections get SQLSTATE 57P01
 * "terminating connection due to administrator command", new ones are refused. The shared 5432 cluster is
 * never stopped.
 */
public final class PostgresCluster {
  public static final String VERSION = System.getProperty("runbookd.it.pg.storm.version", "15");
  public static final String NAME = System.getProperty("runbookd.it.pg.storm.cluster", "storm");
  public static final int PORT = Integer.getInteger("runbookd.it.pg.storm.port", 5434);

  private PostgresCluster() {}

  /** {@code jdbc:postgresql://127.0.0.1:5434/<database>}. */
  public static String url(String database) {
    return Postgres.url("127.0.0.1", PORT, database);
  }

  /** True when the cluster accepts TCP connections on its port. */
  public static boolean accepting() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", PORT), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Fast shutdown (open sessions are terminated with 57P01), then waits until the port refuses. */
  public static void stop(Duration timeout) throws IOException, InterruptedException {
    ctl("stop", "-m", "fast");
    Await.until("PostgreSQL " + VERSION + "/" + NAME + " refusing connections", timeout, () -> !accepting());
  }

  /** Starts the cluster and waits until it accepts connections. */
  public static void start(Duration timeout) throws IOException, InterruptedException {
    ctl("start");
    Await.until("PostgreSQL " + VERSION + "/" + NAME + " accepting connections", timeout, PostgresCluster::accepting);
  }

  private static void ctl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of("pg_ctlcluster", "--skip-systemctl-redirect", VERSION, NAME));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
    }
  }
}
