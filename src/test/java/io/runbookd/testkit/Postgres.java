package io.runbookd.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Fresh databases on the test PostgreSQL (127.0.0.1:5432, trust auth, user postgres; override with
 * {@code -Drunbookd.it.pg.url} and {@code -Drunbookd.it.pg.user}).
 */
public final class Postgres {
  public static final String SERVER = System.getProperty("runbookd.it.pg.url", "jdbc:postgresql://127.0.0.1:5432/");
  public static final String USER = System.getProperty("runbookd.it.pg.user", "postgres");

  private Postgres() {}

  /** Creates {@code runbookd_it_<random>} and returns its name. */
  public static String createDatabase() throws SQLException {
    String name = "runbookd_it_" + Long.toString(ThreadLocalRandom.current().nextLong(Long.MAX_VALUE), 36);
    exec("CREATE DATABASE " + name);
    return name;
  }

  public static void dropDatabase(String name) throws SQLException {
    exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  /** The JDBC URL of {@code database} through {@code host:port}. */
  public static String url(String host, int port, String database) {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  private static void exec(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(SERVER + "postgres", USER, ""); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
