package io.runbookd.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Where the store lives and how to connect to it (the {@code store} section of runbookd.yaml).
 *
 * <p>With no {@code jdbcUrl} the store is the embedded SQLite file {@code <dataDir>/runbookd.db}; the
 * directory is created when missing. A {@code jdbc:postgresql:} URL selects PostgreSQL (the HA setup,
 * several replicas sharing one database); an explicit {@code jdbc:sqlite:} URL selects that SQLite file.
 *
 * @param jdbcUrl JDBC URL, or null for the SQLite file under {@code dataDir}
 * @param dataDir data directory; required when {@code jdbcUrl} is null, ignored otherwise
 * @param username database user, or null (PostgreSQL only)
 * @param password database password, or null (PostgreSQL only); never printed
 * @param maxPoolSize most open connections (PostgreSQL); 0 means {@value #DEFAULT_MAX_POOL_SIZE}. SQLite
 *     always uses one connection: it has a single writer anyway, and one connection is what makes claims
 *     exclusive inside the process
 * @param connectionTimeout how long an operation waits for a connection before it fails with
 *     {@link StoreException}; also the SQLite busy timeout and the PostgreSQL connect timeout. Null means
 *     {@link #DEFAULT_CONNECTION_TIMEOUT}; at least 250 ms
 */
public record StoreSettings(
    String jdbcUrl, Path dataDir, String username, String password, int maxPoolSize, Duration connectionTimeout) {

  /** Default pool size for PostgreSQL. */
  public static final int DEFAULT_MAX_POOL_SIZE = 10;

  /** Default wait for a connection: short, so that a down database gives a fast 503. */
  public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(2);

  /** The SQLite file name under the data directory. */
  public static final String SQLITE_FILE_NAME = "runbookd.db";

  private static final Duration MIN_CONNECTION_TIMEOUT = Duration.ofMillis(250);
  private static final Pattern URL_SECRET = Pattern.compile("(?i)(password=)[^&;]*");

  public StoreSettings {
    if (jdbcUrl != null && jdbcUrl.isBlank()) {
      jdbcUrl = null;
    }
    if (jdbcUrl == null && dataDir == null) {
      throw new IllegalArgumentException("store: either a JDBC URL or a data directory is required");
    }
    if (maxPoolSize < 0) {
      throw new IllegalArgumentException("store: maxPoolSize must be >= 1 (or 0 for the default), got " + maxPoolSize);
    }
    if (maxPoolSize == 0) {
      maxPoolSize = DEFAULT_MAX_POOL_SIZE;
    }
    if (connectionTimeout == null) {
      connectionTimeout = DEFAULT_CONNECTION_TIMEOUT;
    }
    if (connectionTimeout.compareTo(MIN_CONNECTION_TIMEOUT) < 0) {
      throw new IllegalArgumentException("store: connectionTimeout must be at least 250ms, got " + connectionTimeout);
    }
  }

  /** The embedded SQLite store under {@code dataDir}, with default pool and timeout. */
  public static StoreSettings sqlite(Path dataDir) {
    return new StoreSettings(null, dataDir, null, null, 0, null);
  }

  /** A store at {@code jdbcUrl} (PostgreSQL or SQLite), with default pool and timeout. */
  public static StoreSettings jdbc(String jdbcUrl, String username, String password) {
    return new StoreSettings(jdbcUrl, null, username, password, 0, null);
  }

  /** A copy with another pool size. */
  public StoreSettings withMaxPoolSize(int size) {
    return new StoreSettings(jdbcUrl, dataDir, username, password, size, connectionTimeout);
  }

  /** A copy with another connection timeout. */
  public StoreSettings withConnectionTimeout(Duration timeout) {
    return new StoreSettings(jdbcUrl, dataDir, username, password, maxPoolSize, timeout);
  }

  /** The SQLite file this store uses when no JDBC URL is set, else null. */
  public Path sqliteFile() {
    return jdbcUrl == null ? dataDir.resolve(SQLITE_FILE_NAME) : null;
  }

  /** The JDBC URL with any {@code password=} parameter masked, for logs and messages. */
  public String redactedUrl() {
    return jdbcUrl == null ? null : URL_SECRET.matcher(jdbcUrl).replaceAll("$1****");
  }

  /** Secrets are redacted: the password and any {@code password=} URL parameter print as {@code ****}. */
  @Override
  public String toString() {
    return "StoreSettings[jdbcUrl=" + redactedUrl()
        + ", dataDir=" + dataDir
        + ", username=" + username
        + ", password=" + (password == null ? null : "****")
        + ", maxPoolSize=" + maxPoolSize
        + ", connectionTimeout=" + connectionTimeout + "]";
  }
}
