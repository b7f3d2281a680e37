package io.runbookd.store;

import java.time.Instant;

/**
 * Durable state of runbookd: received alerts ({@link AlertLog}), incidents and their timeline
 * ({@link IncidentStore}), step runs ({@link StepRunStore}), attempt budgets ({@link BudgetStore}),
 * escalation timers ({@link EscalationStore}), approvals ({@link ApprovalStore}), the guards of each
 * Connect cluster: failure storms and blast-radius reservations ({@link ClusterGuardStore}), and the
 * units of work that change several of them at once ({@link UnitsOfWork}).
 *
 * <p>Every method is <b>blocking</b> JDBC and must be called from a worker thread, never from an
 * event loop. Every method either commits completely, in one transaction, or throws
 * {@link StoreException} and changes nothing. Implementations are safe for concurrent use by many
 * threads and, on PostgreSQL, by many replicas: "claim" methods hand each row to exactly one caller
 * (row locks with {@code FOR UPDATE SKIP LOCKED} on PostgreSQL, see
 * https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE ; a single writer on
 * SQLite, see https://www.sqlite.org/lang_transaction.html).
 */
public interface Store extends AlertLog, IncidentStore, StepRunStore, BudgetStore, EscalationStore, ApprovalStore,
    ClusterGuardStore, UnitsOfWork, NotificationThreadStore, DlqProgressStore, SilenceStore,
    AutoCloseable {

  /** Throws {@link StoreException} unless the store can be read and written now. */
  void ping();

  /**
   * Deletes incidents closed before {@code before} with their links, steps, events and escalations,
   * and processed alert events received before {@code before}.
   *
   * @return the number of incidents deleted
   */
  int prune(Instant before);

  @Override
  void close();
}
