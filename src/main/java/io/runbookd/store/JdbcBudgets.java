package io.runbookd.store;

import static io.runbookd.store.Jdbc.instant;
import static io.runbookd.store.Jdbc.setInstant;

import io.runbookd.model.Budget;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;

/** {@link BudgetStore} on the {@code budgets} table. */
final class JdbcBudgets implements BudgetStore {

  private final Jdbc jdbc;

  JdbcBudgets(Jdbc jdbc) {
    this.jdbc = Objects.requireNonNull(jdbc, "jdbc");
  }

  @Override
  public Budget budget(String cluster, String connector, String rule) {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(connector, "connector");
    Objects.requireNonNull(rule, "rule");
    return jdbc.read("budget", c -> select(c, cluster, connector, rule));
  }

  /** {@link #budget} inside the caller's transaction. */
  static Budget select(Connection c, String cluster, String connector, String rule) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT attempts, last_attempt_at, last_recovered_at FROM budgets"
            + " WHERE cluster = ? AND connector = ? AND rule = ?")) {
      ps.setString(1, cluster);
      ps.setString(2, connector);
      ps.setString(3, rule);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Budget.empty(cluster, connector, rule);
        }
        return new Budget(cluster, connector, rule, rs.getInt(1), instant(rs, 2), instant(rs, 3));
      }
    }
  }

  @Override
  public void saveBudget(Budget budget) {
    Objects.requireNonNull(budget, "budget");
    jdbc.execute("saveBudget", c -> save(c, budget));
  }

  /** {@link #saveBudget} inside the caller's transaction. */
  static void save(Connection c, Budget budget) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO budgets (cluster, connector, rule, attempts, last_attempt_at, last_recovered_at)"
            + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (cluster, connector, rule) DO UPDATE SET"
            + " attempts = excluded.attempts, last_attempt_at = excluded.last_attempt_at,"
            + " last_recovered_at = excluded.last_recovered_at")) {
      ps.setString(1, budget.cluster());
      ps.setString(2, budget.connector());
      ps.setString(3, budget.rule());
      ps.setInt(4, budget.attempts());
      setInstant(ps, 5, budget.lastAttemptAt());
      setInstant(ps, 6, budget.lastRecoveredAt());
      ps.executeUpdate();
    }
  }
}
