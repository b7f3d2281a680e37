package io.runbookd.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLDataException;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The JDBC plumbing every table family shares: the transaction template over the HikariCP pool and
 * the {@link Dialect}, the shape of a claim, and the mapping of instants, strings and JSON maps to
 * columns.
 *
 * <p>{@link #write} and {@link #read} run their work in exactly one transaction on one pooled
 * connection: it commits when the work returns and rolls back when it throws, and every
 * {@link SQLException} becomes a {@link StoreException} whose message starts with the operation's
 * name. Nothing is retried: a failed transaction changed nothing, and the caller decides (the engine
 * retries at its next tick, the webhook answers 503 so that Alertmanager retries). Instants are stored
 * as epoch milliseconds, so they come back truncated to the millisecond.
 */
final class Jdbc {

  /** Work on the connection of one transaction. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** Work on the connection of one transaction, without a result. */
  @FunctionalInterface
  interface Statements {
    void run(Connection c) throws SQLException;
  }

  /** Maps the current row of a result set. */
  @FunctionalInterface
  interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};

  private final HikariDataSource pool;
  private final Dialect dialect;
  private final String where;
  private final AtomicLong committed = new AtomicLong();

  /**
   * @param pool the connections; owned by this object and closed by {@link #close}
   * @param dialect the database
   * @param where the database for messages, without secrets
   */
  Jdbc(HikariDataSource pool, Dialect dialect, String where) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.where = Objects.requireNonNull(where, "where");
  }

  Dialect dialect() {
    return dialect;
  }

  String where() {
    return where;
  }

  /** Transactions committed since this object was built (tests count the transactions of a unit of work). */
  long committedTransactions() {
    return committed.get();
  }

  /** Closes the pool; later transactions fail with {@link StoreException}. Idempotent. */
  void close() {
    pool.close();
  }

  /** Runs {@code work} in one transaction that may write. */
  <T> T write(String op, Work<T> work) {
    return inTransaction(op, true, work);
  }

  /** Runs {@code work}, which has no result, in one transaction that may write. */
  void execute(String op, Statements work) {
    write(op, c -> {
      work.run(c);
      return null;
    });
  }

  /** Runs {@code work} in one transaction that only reads. */
  <T> T read(String op, Work<T> work) {
    return inTransaction(op, false, work);
  }

  /**
   * Runs {@code work} in one transaction on one connection: commits when it returns, rolls back when it
   * throws. A connection whose rollback failed is evicted from the pool rather than reused.
   */
  private <T> T inTransaction(String op, boolean write, Work<T> work) {
    Connection c;
    try {
      c = pool.getConnection();
    } catch (SQLException e) {
      throw new StoreException(op + " failed: no connection to the " + where + ": " + e.getMessage(), e);
    }
    try {
      boolean begun = false;
      try {
        dialect.begin(c, write);
        begun = true;
        T result = work.run(c);
        dialect.commit(c);
        committed.incrementAndGet();
        return result;
      } catch (Throwable t) {
        if (begun) {
          rollback(c, t);
        }
        throw t;
      }
    } catch (SQLException e) {
      throw new StoreException(op + " failed (" + where + "): " + e.getMessage(), e);
    } finally {
      try {
        c.close();
      } catch (SQLException ignored) {
        // the pool logs and discards a connection it cannot reset
      }
    }
  }

  private void rollback(Connection c, Throwable cause) {
    try {
      dialect.rollback(c);
    } catch (SQLException | RuntimeException e) {
      cause.addSuppressed(e);
      pool.evictConnection(c);
    }
  }

  /**
   * Runs {@code work} inside the current transaction behind a savepoint: when it throws, only its own
   * writes are rolled back, the transaction stays usable (PostgreSQL aborts a transaction on any error
   * otherwise, see https://www.postgresql.org/docs/current/sql-savepoint.html), and
   * {@code onFailure} makes the result from the failure instead.
   */
  static <T> T savepoint(Connection c, String name, Work<T> work, Function<Exception, T> onFailure)
      throws SQLException {
    exec(c, "SAVEPOINT " + name);
    T result;
    try {
      result = work.run(c);
    } catch (SQLException | RuntimeException e) {
      exec(c, "ROLLBACK TO SAVEPOINT " + name);
      exec(c, "RELEASE SAVEPOINT " + name);
      return onFailure.apply(e);
    }
    exec(c, "RELEASE SAVEPOINT " + name);
    return result;
  }

  /** Executes one statement without parameters. */
  static void exec(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.execute();
    }
  }
  // ---- claims ---------------------------------------------------------------------------------

  /**
   * The shape of every claim: checks the arguments, runs {@code sql} (see {@link #claimRows}) in one
   * write transaction, and returns the claimed rows in {@code order} (RETURNING gives no order).
   */
  <T> List<T> claim(String op, String owner, Instant now, Duration lease, int limit, String sql, int nowParams,
      RowMapper<T> mapper, Comparator<T> order) {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(now, "now");
    requireLease(lease);
    if (limit <= 0) {
      return List.of();
    }
    List<T> claimed = write(op, c -> claimRows(c, sql, owner, now, lease, nowParams, limit, mapper));
    claimed.sort(order);
    return Collections.unmodifiableList(claimed);
  }

  /**
   * Runs a claim statement {@code UPDATE ... SET <owner> = ?, <until> = ? WHERE <key> IN (SELECT ... <now>
   * ... LIMIT ? <lock>) RETURNING ...}, binding the owner, {@code now + lease}, {@code nowParams} times
   * {@code now}, then {@code limit} (all times as epoch milliseconds). The lock is
   * {@link Dialect#claimLock()}.
   */
  static <T> List<T> claimRows(Connection c, String sql, String owner, Instant now, Duration lease, int nowParams,
      int limit, RowMapper<T> mapper) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      ps.setString(i++, owner);
      ps.setLong(i++, now.plus(lease).toEpochMilli());
      for (int n = 0; n < nowParams; n++) {
        ps.setLong(i++, now.toEpochMilli());
      }
      ps.setInt(i, limit);
      return list(ps, mapper);
    }
  }

  /**
   * Hands claims back: {@code UPDATE <table> SET <owner> = NULL, <until> = NULL WHERE <owner> starts with
   * ownerPrefix AND <condition>}, in one write transaction.
   *
   * @return the number of rows handed back
   */
  int release(String op, String table, String ownerColumn, String untilColumn, String condition, String ownerPrefix) {
    Objects.requireNonNull(ownerPrefix, "ownerPrefix");
    if (ownerPrefix.isEmpty()) {
      throw new IllegalArgumentException("ownerPrefix must not be empty");
    }
    return write(op, c -> update(c, "UPDATE " + table + " SET " + ownerColumn + " = NULL, " + untilColumn + " = NULL WHERE "
        + ownerColumn + " IS NOT NULL AND substr(" + ownerColumn + ", 1, ?) = ? AND " + condition,
        ownerPrefix.length(), ownerPrefix));
  }

  static void requireLease(Duration lease) {
    Objects.requireNonNull(lease, "lease");
    if (lease.isNegative() || lease.isZero()) {
      throw new IllegalArgumentException("lease must be positive, got " + lease);
    }
  }

  // ---- statements and values ------------------------------------------------------------------

  /** Every row of {@code ps}'s query, mapped. */
  static <T> List<T> list(PreparedStatement ps, RowMapper<T> mapper) throws SQLException {
    List<T> rows = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        rows.add(mapper.map(rs));
      }
    }
    return rows;
  }

  /** Throws {@link SQLDataException} with {@code missing} unless {@code sql} with one key returns a row. */
  static void requireRow(Connection c, String sql, Object key, String missing) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, 1, key);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLDataException(missing);
        }
      }
    }
  }

  /**
   * Runs one INSERT, UPDATE or DELETE with {@code params} bound in order (see {@link #bind}).
   *
   * @return the number of rows changed
   */
  static int update(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        bind(ps, i + 1, params[i]);
      }
      return ps.executeUpdate();
    }
  }

  /**
   * Binds a parameter that is not null: a {@link String}, a {@link Long}, an {@link Integer}, or an
   * {@link Instant} (as epoch milliseconds).
   */
  static void bind(PreparedStatement ps, int i, Object key) throws SQLException {
    if (key instanceof Long l) {
      ps.setLong(i, l);
    } else if (key instanceof Integer n) {
      ps.setInt(i, n);
    } else if (key instanceof Instant at) {
      ps.setLong(i, at.toEpochMilli());
    } else {
      ps.setString(i, (String) Objects.requireNonNull(key, "parameter " + i));
    }
  }

  /** A column of epoch milliseconds; null stays null. */
  static Instant instant(ResultSet rs, int column) throws SQLException {
    long ms = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(ms);
  }

  static void setInstant(PreparedStatement ps, int i, Instant at) throws SQLException {
    if (at == null) {
      ps.setNull(i, Types.BIGINT);
    } else {
      ps.setLong(i, at.toEpochMilli());
    }
  }

  static void setString(PreparedStatement ps, int i, String s) throws SQLException {
    if (s == null) {
      ps.setNull(i, Types.VARCHAR);
    } else {
      ps.setString(i, s);
    }
  }

  /** A string map as a JSON object with sorted keys. */
  static String toJson(Map<String, String> map) {
    try {
      return JSON.writeValueAsString(new TreeMap<>(map));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialize " + map.keySet() + " as JSON", e);
    }
  }

  static Map<String, String> fromJson(String json) throws SQLException {
    try {
      return JSON.readValue(json, STRING_MAP);
    } catch (JsonProcessingException e) {
      throw new SQLDataException("stored JSON is not a string map: " + e.getOriginalMessage(), e);
    }
  }

  /** {@code columns} ("a, b") with each name prefixed ("i.a, i.b"). */
  static String prefixed(String prefix, String columns) {
    return prefix + columns.replace(", ", ", " + prefix);
  }
}
