package io.runbookd.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link KeyedLanes}: one key in order, keys side by side up to the concurrency, round robin among waiting keys. */
class KeyedLanesTest {

  /** Work whose items stay running until the test completes them. */
  private static final class Manual {
    final Map<String, Promise<Void>> running = new LinkedHashMap<>();
    final List<String> started = new ArrayList<>();

    Future<?> run(String item) {
      started.add(item);
      Promise<Void> p = Promise.promise();
      running.put(item, p);
      return p.future();
    }

    void finish(String item) {
      running.remove(item).complete();
    }

    void fail(String item) {
      running.remove(item).fail("boom");
    }
  }

  @Test
  void itemsOfOneKeyRunOneAfterAnotherInOrder() {
    Manual work = new Manual();
    KeyedLanes<String> lanes = new KeyedLanes<>(8, work::run);
    lanes.submit("a", "a1");
    lanes.submit("a", "a2");
    lanes.submit("a", "a3");
    assertThat(work.started).containsExactly("a1");
    assertThat(lanes.queued()).isEqualTo(2);
    work.finish("a1");
    assertThat(work.started).containsExactly("a1", "a2");
    work.fail("a2"); // a failure frees the lane too
    assertThat(work.started).containsExactly("a1", "a2", "a3");
    work.finish("a3");
    assertThat(lanes.running()).isZero();
    assertThat(lanes.queued()).isZero();
  }

  @Test
  void aStalledKeyDoesNotHoldUpOtherKeys() {
    Manual work = new Manual();
    KeyedLanes<String> lanes = new KeyedLanes<>(8, work::run);
    lanes.submit("stalled", "s1");
    lanes.submit("stalled", "s2");
    lanes.submit("b", "b1");
    lanes.submit("c", "c1");
    assertThat(work.started).containsExactly("s1", "b1", "c1");
    work.finish("b1");
    lanes.submit("b", "b2");
    assertThat(work.started).containsExactly("s1", "b1", "c1", "b2");
    assertThat(lanes.queued()).isEqualTo(1); // s2 waits for s1 only
  }

  @Test
  void atMostConcurrencyItemsRunAndWaitingKeysAreServedRoundRobin() {
    Manual work = new Manual();
    KeyedLanes<String> lanes = new KeyedLanes<>(2, work::run);
    for (int i = 1; i <= 3; i++) {
      lanes.submit("bulk1", "x" + i);
      lanes.submit("bulk2", "y" + i);
    }
    lanes.submit("fresh", "f1");
    assertThat(work.started).containsExactly("x1", "y1");
    assertThat(lanes.running()).isEqualTo(2);
    work.finish("x1");
    // fresh was waiting before bulk1 went back to the end of the line
    assertThat(work.started).containsExactly("x1", "y1", "f1");
    work.finish("y1");
    work.finish("f1");
    assertThat(work.started).containsExactly("x1", "y1", "f1", "x2", "y2");
  }

  @Test
  void workThatCompletesAtOnceDrainsEveryLane() {
    List<String> done = new ArrayList<>();
    KeyedLanes<String> lanes = new KeyedLanes<>(1, item -> {
      done.add(item);
      return Future.succeededFuture();
    });
    for (int i = 0; i < 10_000; i++) {
      lanes.submit("k" + (i % 3), "i" + i);
    }
    assertThat(done).hasSize(10_000);
    assertThat(lanes.queued()).isZero();
  }

  @Test
  void clearQueuedReturnsWhatHasNotStartedAndLetsRunningItemsFinish() {
    Manual work = new Manual();
    KeyedLanes<String> lanes = new KeyedLanes<>(1, work::run);
    lanes.submit("a", "a1");
    lanes.submit("a", "a2");
    lanes.submit("b", "b1");
    assertThat(lanes.clearQueued()).containsExactlyInAnyOrder("a2", "b1");
    work.finish("a1");
    assertThat(work.started).containsExactly("a1");
    assertThat(lanes.running()).isZero();
    assertThat(lanes.queued()).isZero();
  }

  @Test
  void aThrowingWorkFreesItsSlot() {
    List<String> tried = new ArrayList<>();
    KeyedLanes<String> lanes = new KeyedLanes<>(1, item -> {
      tried.add(item);
      throw new IllegalStateException("bad item");
    });
    lanes.submit("a", "a1");
    lanes.submit("a", "a2");
    assertThat(tried).containsExactly("a1", "a2");
    assertThatThrownBy(() -> new KeyedLanes<String>(0, i -> Future.succeededFuture()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
