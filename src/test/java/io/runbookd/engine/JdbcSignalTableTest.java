package io.runbookd.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runbookd.testkit.Postgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The signaling-table channel writes one Debezium signal row into a real PostgreSQL table (the 5432 server). */
class JdbcSignalTableTest {

  @Test
  void oneSignalRowIsInsertedAndATableNameThatIsNotOneIsRefused() throws Exception {
    String url = Postgres.SERVER + "postgres";
    String table = "dbz_signal_" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    try (Connection c = DriverManager.getConnection(url, Postgres.USER, ""); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE public." + table + " (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048))");
      try {
        new JdbcSignalTable().insert(url, Postgres.USER, "", "public." + table, "runbookd-inc-1-abcd", "execute-snapshot",
            "{\"data-collections\":[\"public.orders\"],\"type\":\"INCREMENTAL\"}");
        try (ResultSet rs = s.executeQuery("SELECT id, type, data FROM public." + table)) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getString("id")).isEqualTo("runbookd-inc-1-abcd");
          assertThat(rs.getString("type")).isEqualTo("execute-snapshot");
          assertThat(rs.getString("data")).contains("public.orders");
          assertThat(rs.next()).isFalse();
        }
        assertThatThrownBy(() -> new JdbcSignalTable().insert(url, Postgres.USER, "", "public.x; DROP TABLE y", "i",
            "execute-snapshot", "{}")).hasMessageContaining("is not a table name runbookd can write to");
      } finally {
        s.execute("DROP TABLE public." + table);
      }
    }
  }
}
