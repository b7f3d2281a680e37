package io.runbookd.store;

import io.runbookd.model.Budget;

/**
 * Attempt budgets, per (cluster, connector, rule), which outlive incidents.
 *
 * <p>Every method is <b>blocking</b> JDBC and must be called from a worker thread, never from an
 * event loop. Every method either commits completely, in one transaction, or throws
 * {@link StoreException} and changes nothing. A part of {@link Store}.
 */
public interface BudgetStore {

  /** The budget of (cluster, connector, rule); {@link Budget#empty} when none is stored. */
  Budget budget(String cluster, String connector, String rule);

  /** Inserts or replaces a budget. */
  void saveBudget(Budget budget);
}
