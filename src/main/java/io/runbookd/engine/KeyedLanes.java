package io.runbookd.engine;

import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.ArrayList;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Work items in one lane per key: the items of one key run one after another in submission order, items
 * of different keys run concurrently, at most {@code concurrency} at once. Keys waiting for a slot are
 * served round robin (a key goes to the back of the line after each of its items), so a key with a
 * thousand queued items delays a key with one item by at most one item per other waiting key.
 *
 * <p>Not thread-safe: confined to one Vert.x context (every call and every completion of the work's
 * futures on it).
 *
 * @param <T> the work item
 */
final class KeyedLanes<T> {
  private final int concurrency;
  private final Function<T, Future<?>> work;
  private final Map<String, ArrayDeque<T>> lanes = new HashMap<>();
  private final ArrayDeque<String> waiting = new ArrayDeque<>();
  private final Set<String> active = new HashSet<>();
  private int queued;
  private boolean draining;

  /**
   * @param concurrency items running at once; positive
   * @param work runs one item; its future's completion (success or failure) frees the item's slot and
   *     lets the next item of its key run
   */
  KeyedLanes(int concurrency, Function<T, Future<?>> work) {
    if (concurrency <= 0) {
      throw new IllegalArgumentException("concurrency must be positive, got " + concurrency);
    }
    this.concurrency = concurrency;
    this.work = Objects.requireNonNull(work, "work");
  }

  /** Queues {@code item} behind the items of {@code key} and runs what may run. */
  void submit(String key, T item) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(item, "item");
    ArrayDeque<T> lane = lanes.computeIfAbsent(key, k -> new ArrayDeque<>());
    lane.add(item);
    queued++;
    if (lane.size() == 1 && !active.contains(key)) {
      waiting.add(key);
    }
    drain();
  }

  /** Items submitted and not started yet. */
  int queued() {
    return queued;
  }

  /** Items running now. */
  int running() {
    return active.size();
  }

  /** Removes and returns every item not started yet (running ones finish). */
  List<T> clearQueued() {
    List<T> out = new ArrayList<>(queued);
    lanes.values().forEach(out::addAll);
    lanes.keySet().retainAll(active);
    lanes.values().forEach(ArrayDeque::clear);
    waiting.clear();
    queued = 0;
    return out;
  }

  private void drain() {
    if (draining) {
      return; // an item completed synchronously inside the loop below, which picks up what it freed
    }
    draining = true;
    try {
      drainLoop();
    } finally {
      draining = false;
    }
  }

  private void drainLoop() {
    while (active.size() < concurrency && !waiting.isEmpty()) {
      String key = waiting.poll();
      T item = lanes.get(key).poll();
      queued--;
      active.add(key);
      Future<?> f;
      try {
        f = work.apply(item);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> finished(key));
    }
  }

  private void finished(String key) {
    active.remove(key);
    ArrayDeque<T> lane = lanes.get(key);
    if (lane == null || lane.isEmpty()) {
      lanes.remove(key);
    } else {
      waiting.add(key);
    }
    drain();
  }
}
