package io.runbookd.engine;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * Writes a Debezium signal row over JDBC (PostgreSQL, pgjdbc): {@code INSERT INTO <table> (id, type, data)
 * VALUES (?, ?, ?)}, the signaling table's three columns
 * (https://debezium.io/documentation/reference/stable/configuration/signalling.html#debezium-signaling-data-collection).
 * Bounded in time: 10 s to connect and log in, 30 s per socket read. Runs on a worker thread (the caller's
 * {@code EngineDeps.blocking}).
 */
final class JdbcSignalTable implements SnapshotSteps.SignalTable {
  /** {@code schema.table} or {@code table}, plain or double-quoted identifiers: nothing else reaches the SQL text. */
  private static final Pattern TABLE = Pattern.compile("(\"[^\"]+\"|[A-Za-z_][A-Za-z0-9_$]*)(\\.(\"[^\"]+\"|[A-Za-z_][A-Za-z0-9_$]*)){0,2}");

  @Override
  public void insert(String jdbcUrl, String user, String password, String table, String id, String type, String data)
      throws Exception {
    if (!TABLE.matcher(table).matches()) {
      throw new IllegalArgumentException("signal.data.collection \"" + table + "\" is not a table name runbookd can"
          + " write to (schema.table)");
    }
    Properties p = new Properties();
    p.setProperty("user", user);
    if (password != null && !password.isEmpty()) {
      p.setProperty("password", password);
    }
    p.setProperty("connectTimeout", "10");
    p.setProperty("loginTimeout", "10");
    p.setProperty("socketTimeout", "30");
    p.setProperty("ApplicationName", "runbookd snapshot signal");
    try (Connection c = DriverManager.getConnection(jdbcUrl, p);
        PreparedStatement st = c.prepareStatement("INSERT INTO " + table + " (id, type, data) VALUES (?, ?, ?)")) {
      st.setQueryTimeout(30);
      st.setString(1, id);
      st.setString(2, type);
      st.setString(3, data);
      st.executeUpdate();
    }
  }
}
