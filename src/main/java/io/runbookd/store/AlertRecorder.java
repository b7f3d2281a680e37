package io.runbookd.store;

import io.runbookd.model.AlertEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for webhook intake: concurrent {@link #record} calls share one
 * {@link Store#recordAlerts} transaction, so an alert storm of N webhooks costs about one commit per
 * flush instead of N.
 *
 * <p>Callers queue; at most one flush runs at a time, on a Vert.x worker ({@code executeBlocking}). A
 * flush starts at once when none is running, and otherwise when the running one ends, taking every
 * queued caller up to {@code maxBatchEvents} events (a single caller with more events is flushed alone).
 * Callers are flushed in arrival order.
 *
 * <p>Each caller's future completes only after the commit that contains its events: with its events as
 * stored (ids assigned, in the given order), or with a {@link StoreException}, in which case none of its
 * events were recorded and the webhook must not be acknowledged. When a batch of several callers fails
 * while the store still answers {@link Store#ping()}, the failure was in the data of some caller, so each
 * caller is retried in a transaction of its own: one bad webhook cannot fail the others. When the store
 * does not answer, every caller of the batch fails at once.
 *
 * <p>A future is completed on the Vert.x context that called {@code record}, if any. Safe for concurrent
 * use from any thread.
 */
public final class AlertRecorder {

  /** Default most events per transaction. */
  public static final int DEFAULT_MAX_BATCH_EVENTS = 1000;

  private static final Logger LOG = LoggerFactory.getLogger(AlertRecorder.class);

  private final Vertx vertx;
  private final Store store;
  private final int maxBatchEvents;

  private final Object lock = new Object();
  private final ArrayDeque<Pending> queue = new ArrayDeque<>(); // guarded by lock
  private boolean flushing; // guarded by lock

  private record Pending(List<AlertEvent> events, Promise<List<AlertEvent>> promise, Context context) {}

  /** A recorder with {@link #DEFAULT_MAX_BATCH_EVENTS}. */
  public AlertRecorder(Vertx vertx, Store store) {
    this(vertx, store, DEFAULT_MAX_BATCH_EVENTS);
  }

  /**
   * @param vertx runs the blocking store calls on its worker pool
   * @param store where alerts are recorded
   * @param maxBatchEvents most events in one transaction, at least 1
   */
  public AlertRecorder(Vertx vertx, Store store, int maxBatchEvents) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.store = Objects.requireNonNull(store, "store");
    if (maxBatchEvents < 1) {
      throw new IllegalArgumentException("maxBatchEvents must be >= 1, got " + maxBatchEvents);
    }
    this.maxBatchEvents = maxBatchEvents;
  }

  /**
   * Records the alerts of one webhook durably.
   *
   * @param events the alerts, in order; an empty list completes at once
   * @return the events with their store ids, in the given order, once committed; or a failed future
   *     with a {@link StoreException} when they could not be recorded
   */
  public Future<List<AlertEvent>> record(List<AlertEvent> events) {
    Objects.requireNonNull(events, "events");
    if (events.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    Pending pending = new Pending(List.copyOf(events), Promise.promise(), Vertx.currentContext());
    boolean start;
    synchronized (lock) {
      queue.add(pending);
      start = !flushing;
      flushing = true;
    }
    if (start) {
      flushNext();
    }
    return pending.promise().future();
  }

  /** Takes the next batch off the queue and writes it; stops when the queue is empty. */
  private void flushNext() {
    List<Pending> batch = new ArrayList<>();
    synchronized (lock) {
      int size = 0;
      while (!queue.isEmpty() && (batch.isEmpty() || size + queue.peek().events().size() <= maxBatchEvents)) {
        Pending p = queue.poll();
        batch.add(p);
        size += p.events().size();
      }
      if (batch.isEmpty()) {
        flushing = false;
        return;
      }
    }
    vertx.<Void>executeBlocking(() -> {
      write(batch);
      return null;
    }, false).onComplete(done -> {
      if (done.failed()) {
        // write() completes every caller itself; this is only reached when the worker could not run it
        for (Pending p : batch) {
          complete(p, null, done.cause());
        }
      }
      flushNext();
    });
  }

  /** Runs on a worker thread. Completes every caller of the batch. */
  private void write(List<Pending> batch) {
    List<AlertEvent> all = new ArrayList<>();
    for (Pending p : batch) {
      all.addAll(p.events());
    }
    List<AlertEvent> stored;
    try {
      stored = recordAll(all);
    } catch (RuntimeException batchFailure) {
      if (batch.size() == 1) {
        complete(batch.get(0), null, batchFailure);
        return;
      }
      try {
        store.ping();
      } catch (RuntimeException down) {
        for (Pending p : batch) {
          complete(p, null, batchFailure);
        }
        return;
      }
      LOG.warn("recording {} alerts of {} webhooks failed while the store is up; recording each webhook alone: {}",
          all.size(), batch.size(), batchFailure.getMessage());
      for (Pending p : batch) {
        try {
          complete(p, recordAll(p.events()), null);
        } catch (RuntimeException e) {
          complete(p, null, e);
        }
      }
      return;
    }
    int from = 0;
    for (Pending p : batch) {
      int to = from + p.events().size();
      complete(p, List.copyOf(stored.subList(from, to)), null);
      from = to;
    }
  }

  private List<AlertEvent> recordAll(List<AlertEvent> events) {
    List<AlertEvent> stored = store.recordAlerts(events);
    if (stored.size() != events.size()) {
      throw new StoreException("recordAlerts returned " + stored.size() + " events for " + events.size());
    }
    return stored;
  }

  private static void complete(Pending p, List<AlertEvent> stored, Throwable failure) {
    Throwable cause = failure == null || failure instanceof StoreException
        ? failure
        : new StoreException("recordAlerts failed: " + failure, failure);
    Runnable action = cause == null
        ? () -> p.promise().tryComplete(stored)
        : () -> p.promise().tryFail(cause);
    if (p.context() == null) {
      action.run();
    } else {
      p.context().runOnContext(v -> action.run());
    }
  }
}
