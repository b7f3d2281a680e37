package io.runbookd.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runbookd.model.AlertEvent;
import io.runbookd.model.Incident;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import io.runbookd.it.TcpProxy;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@link Store} contract on PostgreSQL, plus the HA and failure behaviour. Each run creates a fresh
 * database {@code runbookd_it_<random>} through the {@code postgres} database and drops it afterwards.
 *
 * <p>The server is {@code -Drunbookd.it.pg.url} (default {@code jdbc:postgresql://127.0.0.1:5432/}) with
 * user {@code -Drunbookd.it.pg.user} (default {@code postgres}) and no password (trust auth).
 */
class PostgresStoreIT extends StoreContract {

  private static final String SERVER = System.getProperty("runbookd.it.pg.url", "jdbc:postgresql://127.0.0.1:5432/");
  private static final String USER = System.getProperty("runbookd.it.pg.user", "postgres");
  private static final String DATABASE =
      "runbookd_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
  private static final String URL = SERVER + DATABASE;

  @BeforeAll
  static void createDatabase() throws SQLException {
    adminExec("CREATE DATABASE " + DATABASE);
    try (Store s = Stores.open(StoreSettings.jdbc(URL, USER, null))) {
      s.ping(); // migrates once
    }
  }

  @AfterAll
  static void dropDatabase() throws SQLException {
    adminExec("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
  }

  private static void adminExec(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(SERVER + "postgres", USER, null);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @Override
  void resetDatabase() throws SQLException {
    try (Connection c = DriverManager.getConnection(URL, USER, null);
        Statement s = c.createStatement()) {
      s.execute("TRUNCATE alert_events, incidents, incident_alerts, step_runs, budgets, escalations,"
          + " incident_events, approvals, cluster_storms, guard_reservations, cluster_guards RESTART IDENTITY CASCADE");
    }
  }

  @Override
  Store openStore(int poolSize) {
    return Stores.open(StoreSettings.jdbc(URL, USER, null).withMaxPoolSize(poolSize));
  }

  @Test
  void twoReplicasClaimEachDueIncidentExactlyOnce() throws Exception {
    int incidents = 60;
    for (int i = 0; i < incidents; i++) {
      open("inc-" + i, "c" + i, T0.minusSeconds(i % 5));
    }
    try (Store replica = openStore(THREADS)) {
      List<List<String>> perThread = concurrently(t -> drain(() ->
          (t % 2 == 0 ? store : replica).claimDueIncidents("replica-" + t % 2 + "-" + t, T0, LEASE, 3)
              .stream().map(Incident::id).toList()));

      assertClaimedExactlyOnce(perThread, incidents);
    }
  }

  @Test
  void recordAlertsIsAtomic() {
    // PostgreSQL refuses NUL in text: the second insert fails after the first succeeded
    List<AlertEvent> batch = List.of(alert("fp-good", "firing", T0), alert("fp-\u0000-bad", "firing", T0));

    assertThatThrownBy(() -> store.recordAlerts(batch))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("recordAlerts failed");
    assertThat(store.claimAlerts("a", T0, LEASE, 10)).isEmpty();
  }

  @Test
  void unreachableServerFailsFastAtOpen() throws Exception {
    int closedPort = freePort();
    long start = System.nanoTime();

    assertThatThrownBy(() -> Stores.open(
        StoreSettings.jdbc("jdbc:postgresql://127.0.0.1:" + closedPort + "/test", USER, "s3cret")
            .withConnectionTimeout(Duration.ofSeconds(1))))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("127.0.0.1:" + closedPort)
        .hasMessageNotContaining("s3cret");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void serverGoingDownFailsOperationsFastAndTheyRecoverWhenItReturns() throws Exception {
    try (TcpProxy proxy = new TcpProxy("127.0.0.1", pgPort())) {
      String viaProxy = "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + DATABASE;
      try (Store s = Stores.open(StoreSettings.jdbc(viaProxy, USER, null).withConnectionTimeout(Duration.ofSeconds(1)))) {
        s.ping();

        proxy.stop(); // the database is gone: connections are cut and new ones refused

        long start = System.nanoTime();
        assertThatThrownBy(s::ping).isInstanceOf(StoreException.class).hasMessageStartingWith("ping failed");
        assertThatThrownBy(() -> s.recordAlerts(List.of(alert("fp-1", "firing", T0))))
            .isInstanceOf(StoreException.class)
            .hasMessageStartingWith("recordAlerts failed");
        assertThatThrownBy(() -> s.claimDueIncidents("a", T0, LEASE, 10)).isInstanceOf(StoreException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));

        proxy.start();
        eventually(Duration.ofSeconds(15), s::ping);
        assertThat(s.recordAlerts(List.of(alert("fp-1", "firing", T0)))).hasSize(1);
      }
    }
  }

  @Test
  void pingFailsFastOnAPartitionedServer() throws Exception {
    try (TcpProxy proxy = new TcpProxy("127.0.0.1", pgPort())) {
      String viaProxy = "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + DATABASE;
      try (Store s = Stores.open(StoreSettings.jdbc(viaProxy, USER, null).withMaxPoolSize(1)
          .withConnectionTimeout(Duration.ofSeconds(1)))) {
        s.ping();
        // packets vanish; the pooled connection was used a moment ago, so the pool hands it out unchecked
        proxy.blackhole(true);

        long start = System.nanoTime();
        assertThatThrownBy(s::ping).isInstanceOf(StoreException.class).hasMessageStartingWith("ping failed");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

        proxy.blackhole(false);
        eventually(Duration.ofSeconds(15), s::ping);
      }
    }
  }

  @Test
  void passwordIsNeverPrinted() {
    StoreSettings settings = StoreSettings.jdbc(URL + "?password=hunter2&ssl=false", USER, "s3cret");
    assertThat(settings.toString()).doesNotContain("hunter2").doesNotContain("s3cret").contains("ssl=false");
  }

  /** Retries {@code action} until it succeeds or {@code deadline} passes (each try blocks up to the timeout). */
  private static void eventually(Duration deadline, Runnable action) {
    long end = System.nanoTime() + deadline.toNanos();
    while (true) {
      try {
        action.run();
        return;
      } catch (StoreException e) {
        if (System.nanoTime() > end) {
          throw e;
        }
      }
    }
  }

  private static int pgPort() {
    String hostPort = SERVER.substring("jdbc:postgresql://".length(), SERVER.indexOf('/', "jdbc:postgresql://".length()));
    int colon = hostPort.lastIndexOf(':');
    return colon < 0 ? 5432 : Integer.parseInt(hostPort.substring(colon + 1));
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
