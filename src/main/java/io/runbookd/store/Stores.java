package io.runbookd.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * Opens the {@link Store} described by {@link StoreSettings}: connects, applies the schema migrations
 * ({@code classpath:db/migration}, Flyway), and proves the store writable with {@link Store#ping()}.
 *
 * <p>SQLite ({@code <dataDir>/runbookd.db} by default): WAL journal, {@code synchronous=FULL} so a
 * committed transaction survives a power loss, foreign keys on, busy timeout = the connection timeout,
 * and a single pooled connection, so that writers are serialized and claims are exclusive inside the
 * process. PostgreSQL: a HikariCP pool of {@code maxPoolSize} connections; claims use
 * {@code FOR UPDATE SKIP LOCKED}, so replicas sharing the database never get the same row. Concurrent
 * start-ups are safe: Flyway serializes migrations with a database lock.
 */
public final class Stores {

  private static final Logger LOG = LoggerFactory.getLogger(Stores.class);

  /** Socket read timeout for PostgreSQL, so a half-open connection fails instead of hanging a worker. */
  private static final int PG_SOCKET_TIMEOUT_SECONDS = 60;

  private Stores() {}

  /**
   * Opens the store, creating the SQLite data directory and applying pending migrations.
   *
   * @return an open store; close it to release its connections
   * @throws StoreException when the database cannot be reached, migrated or written (for SQLite also
   *     when the data directory cannot be created), within about {@code connectionTimeout}
   * @throws IllegalArgumentException when the JDBC URL is of an unsupported database
   */
  public static Store open(StoreSettings settings) {
    String url;
    Dialect dialect;
    String where;
    if (settings.jdbcUrl() == null) {
      Path file = settings.sqliteFile().toAbsolutePath();
      try {
        Files.createDirectories(file.getParent());
      } catch (IOException | SecurityException e) {
        throw new StoreException("cannot create the data directory " + file.getParent() + ": " + e, e);
      }
      url = "jdbc:sqlite:" + file;
      dialect = Dialect.SQLITE;
      where = "sqlite " + file;
    } else {
      url = settings.jdbcUrl();
      dialect = Dialect.of(url);
      if (dialect == Dialect.SQLITE && (url.contains(":memory:") || url.contains("mode=memory"))) {
        throw new IllegalArgumentException("store: an in-memory SQLite database is not durable: " + url);
      }
      where = dialect.label() + " " + settings.redactedUrl();
    }

    HikariDataSource pool;
    try {
      pool = new HikariDataSource(poolConfig(settings, dialect, url));
    } catch (RuntimeException e) {
      throw new StoreException("cannot connect to the " + where + ": " + rootMessage(e), e);
    }
    try {
      migrate(settings, dialect, url, where);
      Store store = new JdbcStore(new Jdbc(pool, dialect, where), settings.connectionTimeout());
      store.ping();
      return store;
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
  }

  private static HikariConfig poolConfig(StoreSettings settings, Dialect dialect, String url) {
    long timeoutMs = settings.connectionTimeout().toMillis();
    HikariConfig hc = new HikariConfig();
    hc.setPoolName("runbookd-store");
    hc.setConnectionTimeout(timeoutMs);
    hc.setValidationTimeout(Math.max(250, timeoutMs / 2));
    hc.setInitializationFailTimeout(1);
    if (dialect == Dialect.SQLITE) {
      hc.setDataSource(sqliteDataSource(url, settings));
      hc.setMaximumPoolSize(1);
      hc.setMinimumIdle(1);
      // Dialect.SQLITE runs explicit BEGIN IMMEDIATE / COMMIT on an auto-commit connection.
      hc.setAutoCommit(true);
    } else {
      hc.setJdbcUrl(url);
      hc.setUsername(settings.username());
      hc.setPassword(settings.password());
      hc.setMaximumPoolSize(settings.maxPoolSize());
      hc.setMinimumIdle(Math.min(2, settings.maxPoolSize()));
      hc.setAutoCommit(false);
      // Defaults; parameters in the URL take precedence. Connect and login are bounded so that a pool
      // filling up against a partitioned server recovers as soon as the server answers again.
      String timeoutSeconds = Long.toString(seconds(settings));
      hc.addDataSourceProperty("connectTimeout", timeoutSeconds);
      hc.addDataSourceProperty("loginTimeout", timeoutSeconds);
      hc.addDataSourceProperty("socketTimeout", Integer.toString(PG_SOCKET_TIMEOUT_SECONDS));
      hc.addDataSourceProperty("tcpKeepAlive", "true");
      hc.addDataSourceProperty("ApplicationName", "runbookd");
    }
    return hc;
  }

  private static SQLiteDataSource sqliteDataSource(String url, StoreSettings settings) {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    config.enforceForeignKeys(true);
    config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, settings.connectionTimeout().toMillis()));
    SQLiteDataSource ds = new SQLiteDataSource(config);
    ds.setUrl(url);
    return ds;
  }

  /** Migrates on its own unpooled connection (the SQLite pool has only one). */
  private static void migrate(StoreSettings settings, Dialect dialect, String url, String where) {
    DataSource ds;
    if (dialect == Dialect.SQLITE) {
      ds = sqliteDataSource(url, settings);
    } else {
      PGSimpleDataSource pg = new PGSimpleDataSource();
      pg.setURL(url);
      if (settings.username() != null) {
        pg.setUser(settings.username());
      }
      if (settings.password() != null) {
        pg.setPassword(settings.password());
      }
      pg.setConnectTimeout(seconds(settings));
      pg.setLoginTimeout(seconds(settings));
      pg.setApplicationName("runbookd-migrate");
      ds = pg;
    }
    try {
      MigrateResult result = Flyway.configure(Stores.class.getClassLoader())
          .dataSource(ds)
          .locations("classpath:db/migration")
          .placeholders(Map.of("autoincrement_pk", dialect.autoIncrementPk()))
          .failOnMissingLocations(true)
          .load()
          .migrate();
      LOG.info("store {}: schema version {} ({} migration(s) applied)",
          where, result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion,
          result.migrationsExecuted);
    } catch (FlywayException e) {
      throw new StoreException("cannot migrate the " + where + ": " + rootMessage(e), e);
    }
  }

  /** The connection timeout in whole seconds, rounded up, at least 1 (PostgreSQL's unit). */
  private static int seconds(StoreSettings settings) {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(1, (settings.connectionTimeout().toMillis() + 999) / 1000));
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t + ")";
  }
}
