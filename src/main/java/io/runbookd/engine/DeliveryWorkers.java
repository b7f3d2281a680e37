package io.runbookd.engine;

import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * The worker threads of notification delivery, apart from the shared worker pool that alert processing
 * and remediation use: a flood of slow store reads for alerts cannot queue in front of a page's claim or
 * mark (they still share the store itself).
 */
final class DeliveryWorkers {
  /** Threads: claims, loads and marks are short; two keep one slow store call from holding the rest. */
  static final int THREADS = 2;

  private final WorkerExecutor executor;

  DeliveryWorkers(WorkerExecutor executor) {
    this.executor = Objects.requireNonNull(executor, "executor");
  }

  /** Runs blocking store code on a delivery worker thread (unordered), never on an event loop. */
  <T> Future<T> run(Callable<T> call) {
    return executor.executeBlocking(call, false);
  }

  Future<Void> close() {
    return executor.close();
  }
}
