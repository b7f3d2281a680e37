package io.runbookd.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runbookd.model.AlertEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group commit of webhook intake, on Vert.x and a real SQLite store. */
class AlertRecorderIT {

  private static final Instant T0 = Instant.parse("2025-03-01T12:00:00.123Z");

  @TempDir
  Path tmp;

  private Vertx vertx;
  private Store sqlite;
  private Store store; // sqlite, counted
  private final AtomicInteger transactions = new AtomicInteger();
  private final AtomicInteger pings = new AtomicInteger();
  private final Set<String> committed = ConcurrentHashMap.newKeySet();
  private volatile Predicate<List<AlertEvent>> failWhen = batch -> false;
  private volatile boolean down;
  private volatile CountDownLatch gate;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    sqlite = Stores.open(StoreSettings.sqlite(tmp));
    store = counting(sqlite);
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    sqlite.close();
  }

  /** {@code sqlite}, counting recordAlerts transactions and pings, failing on demand. */
  private Store counting(Store delegate) {
    return (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (p, m, args) -> {
      switch (m.getName()) {
        case "recordAlerts" -> {
          transactions.incrementAndGet();
          CountDownLatch g = gate;
          if (g != null) {
            g.await(10, TimeUnit.SECONDS);
          }
          @SuppressWarnings("unchecked")
          List<AlertEvent> batch = (List<AlertEvent>) args[0];
          if (down || failWhen.test(batch)) {
            throw new StoreException("recordAlerts failed: injected");
          }
        }
        case "ping" -> {
          pings.incrementAndGet();
          if (down) {
            throw new StoreException("ping failed: injected");
          }
        }
        default -> { }
      }
      try {
        Object result = m.invoke(delegate, args);
        if (m.getName().equals("recordAlerts")) {
          @SuppressWarnings("unchecked")
          List<AlertEvent> stored = (List<AlertEvent>) result;
          stored.forEach(e -> committed.add(e.fingerprint()));
        }
        return result;
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    });
  }

  private static AlertEvent alert(String fingerprint) {
    return new AlertEvent(0, T0, fingerprint, "firing", T0, null, Map.of("alertname", "KafkaConnectTaskFailure"),
        Map.of(), "runbookd", "g");
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void concurrentWebhooksShareCommitsAndEachCompletesAfterItsOwnCommit() throws Exception {
    AlertRecorder recorder = new AlertRecorder(vertx, store);
    int callers = 200;
    List<CompletableFuture<List<AlertEvent>>> results = new ArrayList<>();
    List<String> violations = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    for (int t = 0; t < 8; t++) {
      int thread = t;
      List<CompletableFuture<List<AlertEvent>>> mine = new ArrayList<>();
      for (int i = 0; i < callers / 8; i++) {
        mine.add(new CompletableFuture<>());
      }
      results.addAll(mine);
      threads.add(new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        for (int i = 0; i < mine.size(); i++) {
          String fp1 = "fp-" + thread + "-" + i + "-a";
          String fp2 = "fp-" + thread + "-" + i + "-b";
          CompletableFuture<List<AlertEvent>> out = mine.get(i);
          recorder.record(List.of(alert(fp1), alert(fp2))).onComplete(ar -> {
            if (ar.succeeded() && !(committed.contains(fp1) && committed.contains(fp2))) {
              synchronized (violations) {
                violations.add(fp1 + " completed before its commit");
              }
            }
            if (ar.succeeded()) {
              out.complete(ar.result());
            } else {
              out.completeExceptionally(ar.cause());
            }
          });
        }
      }));
    }
    threads.forEach(Thread::start);
    go.countDown();

    List<AlertEvent> all = new ArrayList<>();
    for (CompletableFuture<List<AlertEvent>> r : results) {
      List<AlertEvent> stored = r.get(30, TimeUnit.SECONDS);
      assertThat(stored).hasSize(2);
      assertThat(stored.get(0).fingerprint()).endsWith("-a");
      assertThat(stored.get(1).fingerprint()).endsWith("-b");
      assertThat(stored.get(1).id()).isEqualTo(stored.get(0).id() + 1);
      all.addAll(stored);
    }
    assertThat(violations).isEmpty();
    assertThat(all).extracting(AlertEvent::id).doesNotHaveDuplicates();
    assertThat(sqlite.claimAlerts("engine", T0, Duration.ofMinutes(1), 1000)).hasSize(2 * callers);
    assertThat(transactions.get()).as("transactions for %d webhooks", callers).isLessThan(callers / 4);
  }

  @Test
  void callersQueuedBehindARunningFlushShareTheNextCommit() throws Exception {
    AlertRecorder recorder = new AlertRecorder(vertx, store);
    gate = new CountDownLatch(1);
    Future<List<AlertEvent>> first = recorder.record(List.of(alert("first")));
    List<Future<List<AlertEvent>>> queued = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      queued.add(recorder.record(List.of(alert("queued-" + i))));
    }
    assertThat(first.isComplete()).isFalse();
    assertThat(queued).noneMatch(Future::isComplete);

    gate.countDown();

    assertThat(await(first)).hasSize(1);
    for (Future<List<AlertEvent>> f : queued) {
      assertThat(await(f)).hasSize(1);
    }
    assertThat(transactions.get()).isEqualTo(2);
  }

  @Test
  void batchesAreCappedInEvents() throws Exception {
    AlertRecorder recorder = new AlertRecorder(vertx, store, 10);
    gate = new CountDownLatch(1);
    Future<List<AlertEvent>> first = recorder.record(List.of(alert("first")));
    List<Future<List<AlertEvent>>> queued = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      queued.add(recorder.record(List.of(alert("q-" + i))));
    }
    // one webhook larger than the cap goes alone
    List<AlertEvent> big = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      big.add(alert("big-" + i));
    }
    Future<List<AlertEvent>> large = recorder.record(big);

    gate.countDown();

    await(first);
    for (Future<List<AlertEvent>> f : queued) {
      await(f);
    }
    assertThat(await(large)).hasSize(25);
    assertThat(transactions.get()).isEqualTo(1 + 3 + 1);
  }

  @Test
  void aFailedCommitFailsEveryCallerInItWithStoreException() throws Exception {
    AlertRecorder recorder = new AlertRecorder(vertx, store);
    down = true;
    gate = new CountDownLatch(1);
    Future<List<AlertEvent>> first = recorder.record(List.of(alert("a")));
    Future<List<AlertEvent>> second = recorder.record(List.of(alert("b")));
    Future<List<AlertEvent>> third = recorder.record(List.of(alert("c")));
    gate.countDown();

    for (Future<List<AlertEvent>> f : List.of(first, second, third)) {
      assertThatThrownBy(() -> await(f))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(StoreException.class);
    }
    // the store is down: no retry one by one
    assertThat(transactions.get()).isEqualTo(2);
    assertThat(committed).isEmpty();

    down = false;
    assertThat(await(recorder.record(List.of(alert("d"))))).hasSize(1);
  }

  @Test
  void oneBadWebhookDoesNotFailTheOthersInItsBatch() throws Exception {
    AlertRecorder recorder = new AlertRecorder(vertx, store);
    failWhen = batch -> batch.stream().anyMatch(e -> e.fingerprint().equals("poison"));
    gate = new CountDownLatch(1);
    Future<List<AlertEvent>> first = recorder.record(List.of(alert("first")));
    Future<List<AlertEvent>> good1 = recorder.record(List.of(alert("good-1")));
    Future<List<AlertEvent>> bad = recorder.record(List.of(alert("ok-part"), alert("poison")));
    Future<List<AlertEvent>> good2 = recorder.record(List.of(alert("good-2")));
    gate.countDown();

    assertThat(await(first)).hasSize(1);
    assertThat(await(good1)).extracting(AlertEvent::fingerprint).containsExactly("good-1");
    assertThat(await(good2)).extracting(AlertEvent::fingerprint).containsExactly("good-2");
    assertThatThrownBy(() -> await(bad)).hasCauseInstanceOf(StoreException.class);
    assertThat(committed).containsExactlyInAnyOrder("first", "good-1", "good-2");
    assertThat(pings.get()).isEqualTo(1);
  }

  @Test
  void futureCompletesOnTheCallersContext() throws Exception {
    AlertRecorder recorder = new AlertRecorder(vertx, store);
    Context context = vertx.getOrCreateContext();
    CompletableFuture<Boolean> sameContext = new CompletableFuture<>();
    context.runOnContext(v -> recorder.record(List.of(alert("x")))
        .onComplete(ar -> sameContext.complete(ar.succeeded() && Vertx.currentContext() == context)));

    assertThat(sameContext.get(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void emptyWebhookCostsNothing() throws Exception {
    AlertRecorder recorder = new AlertRecorder(vertx, store);
    assertThat(await(recorder.record(List.of()))).isEmpty();
    assertThat(transactions.get()).isZero();
  }
}
