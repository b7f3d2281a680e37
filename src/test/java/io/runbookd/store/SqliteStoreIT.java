package io.runbookd.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@link Store} contract on the embedded SQLite file, plus SQLite's own failure modes. */
class SqliteStoreIT extends StoreContract {

  @TempDir
  Path tmp;

  private Path dataDir;

  @Override
  void resetDatabase() {
    dataDir = tmp.resolve("data").resolve("nested");
  }

  @Override
  Store openStore(int poolSize) {
    return Stores.open(StoreSettings.sqlite(dataDir).withMaxPoolSize(poolSize));
  }

  @Test
  void createsTheDataDirectoryAndAWalJournaledFile() throws Exception {
    Path file = dataDir.resolve("runbookd.db");
    assertThat(file).isRegularFile();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
    }
  }

  @Test
  void dataDirectoryThatCannotBeCreatedFailsWithStoreException() throws Exception {
    // a regular file where the directory should be: fails even for root, unlike chmod
    Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");

    assertThatThrownBy(() -> Stores.open(StoreSettings.sqlite(file)))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("cannot create the data directory");
    assertThatThrownBy(() -> Stores.open(StoreSettings.sqlite(file.resolve("below"))))
        .isInstanceOf(StoreException.class);
  }

  @Test
  void databaseFileThatIsNotADatabaseFailsWithStoreException() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("garbage"));
    Files.writeString(dir.resolve("runbookd.db"), "this is not an SQLite database, just a text file. ".repeat(100));

    assertThatThrownBy(() -> Stores.open(StoreSettings.sqlite(dir)))
        .isInstanceOf(StoreException.class);
  }

  @Test
  void writeLockedDatabaseFailsWithinTheTimeoutInsteadOfHanging() throws Exception {
    store.close();
    store = Stores.open(StoreSettings.sqlite(dataDir).withConnectionTimeout(Duration.ofMillis(500)));
    try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("runbookd.db"));
        Statement s = other.createStatement()) {
      s.execute("BEGIN IMMEDIATE"); // another process holds the write lock

      long start = System.nanoTime();
      assertThatThrownBy(() -> store.recordAlerts(List.of(alert("fp-1", "firing", T0))))
          .isInstanceOf(StoreException.class)
          .hasMessageStartingWith("recordAlerts failed");
      assertThatThrownBy(() -> store.ping()).isInstanceOf(StoreException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

      s.execute("ROLLBACK");
    }
    // and it recovers once the lock is gone
    assertThat(store.recordAlerts(List.of(alert("fp-1", "firing", T0)))).hasSize(1);
    assertThat(store.claimAlerts("a", T0, LEASE, 10)).hasSize(1);
  }

  @Test
  void explicitSqliteUrlIsUsedAsIs() {
    Path file = tmp.resolve("explicit.db");
    try (Store s = Stores.open(StoreSettings.jdbc("jdbc:sqlite:" + file, null, null))) {
      s.ping();
    }
    assertThat(file).isRegularFile();
    assertThatThrownBy(() -> Stores.open(StoreSettings.jdbc("jdbc:sqlite::memory:", null, null)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
