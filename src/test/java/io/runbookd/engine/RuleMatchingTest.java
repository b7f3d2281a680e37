package io.runbookd.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.AlertEvent;
import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.policy.AlertPolicy;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.RuleEvaluator;
import io.runbookd.rules.RuleLoader;
import io.runbookd.rules.RuleSet;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link RuleMatching}: matching runs on its own pool, never on the event loop, and keys alerts by connector. */
class RuleMatchingTest {
  private static final String RULES = """
      rules:
        - name: refused
          match:
            alert: ['alertname="KafkaConnectTaskFailure"']
            trace: 'Connection refused'
          target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
          steps: [restart: {}]
      """;
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  private static RuleSet rules() throws Exception {
    return new RuleLoader(RuleLoader.Context.unchecked(), Clock.fixed(NOW, ZoneOffset.UTC)).parse("rules.yaml", RULES);
  }

  private static AlertEvent event(long id, String status, String alertname, String connector) {
    return new AlertEvent(id, NOW, "fp-" + alertname + "-" + connector, status, NOW, null,
        Map.of("alertname", alertname, "connect_cluster", "prod", "connector", connector), Map.of(), "runbookd", "g");
  }

  /** Runs {@code call} on an event loop of {@code vertx}; its result, and the context its future completed on. */
  private <T> T onEventLoop(Supplier<Future<T>> call) throws Exception {
    Context ctx = vertx.getOrCreateContext();
    CompletableFuture<T> out = new CompletableFuture<>();
    ctx.runOnContext(v -> call.get().onComplete(ar -> {
      if (Vertx.currentContext() != ctx) {
        out.completeExceptionally(new AssertionError("completed off the caller's context"));
      } else if (ar.failed()) {
        out.completeExceptionally(ar.cause());
      } else {
        out.complete(ar.result());
      }
    }));
    return out.get(30, TimeUnit.SECONDS);
  }

  @Test
  void tracePatternsRunOnTheMatchPoolNotOnTheEventLoop() throws Exception {
    RuleMatching matching = new RuleMatching(vertx, 1);
    RuleSet rules = rules();
    List<RuleEvaluator.Candidate> candidates = RuleEvaluator.candidates(rules,
        event(1, "firing", "KafkaConnectTaskFailure", "pg-orders").labels(), Map.of());
    ConnectorTarget target = new ConnectorTarget("prod", "pg-orders");
    ConnectorStatus failed = new ConnectorStatus("pg-orders", "sink",
        new ConnectorStatus.InstanceStatus(ConnectorState.RUNNING, "w:8083", null),
        List.of(new ConnectorStatus.TaskStatus(0, new ConnectorStatus.InstanceStatus(ConnectorState.FAILED, "w:8083",
            "org.apache.kafka.connect.errors.ConnectException: boom\nCaused by: java.net.ConnectException: Connection refused"))));
    List<Thread> lookedUpOn = new CopyOnWriteArrayList<>();
    // The trace match asks for the target's status right before it runs the pattern: note the thread.
    Map<ConnectorTarget, AlertPolicy.Lookup> lookups = new HashMap<>() {
      @Override
      public AlertPolicy.Lookup get(Object key) {
        lookedUpOn.add(Thread.currentThread());
        return super.get(key);
      }
    };
    lookups.put(target, new AlertPolicy.Lookup(failed, null));

    AlertPolicy.Verdict verdict = onEventLoop(() -> matching.decide(NOW, NOW, candidates, lookups, Map.of()));

    assertThat(verdict).isInstanceOfSatisfying(AlertPolicy.Verdict.Open.class,
        o -> assertThat(o.match().rule().name()).isEqualTo("refused"));
    assertThat(lookedUpOn).isNotEmpty().allSatisfy(t -> {
      assertThat(t.getName()).startsWith(RuleMatching.POOL + "-");
      assertThat(t.getName()).doesNotContain("eventloop");
    });
  }

  @Test
  void alertsOfOneConnectorShareALaneAndKeepTheirOrder() throws Exception {
    RuleMatching matching = new RuleMatching(vertx, 2);
    List<AlertEvent> events = List.of(
        event(1, "firing", "KafkaConnectTaskFailure", "pg-orders"),
        event(2, "firing", "KafkaConnectTaskFailure", "s3-audit"),
        event(3, "firing", "Watchdog", "none"),
        event(4, "resolved", "KafkaConnectTaskFailure", "pg-orders"));

    List<RuleMatching.Keyed> keyed = onEventLoop(() -> matching.key(rulesUnchecked(), events));

    assertThat(keyed).extracting(k -> k.event().id()).containsExactly(1L, 2L, 3L, 4L);
    assertThat(keyed.get(0).key()).isEqualTo(keyed.get(3).key()).isEqualTo(
        RuleMatching.laneOf(new ConnectorTarget("prod", "pg-orders")));
    assertThat(keyed.get(1).key()).isNotEqualTo(keyed.get(0).key());
    // No rule's labels hold: a lane of its own, by fingerprint.
    assertThat(keyed.get(2).key()).isEqualTo("fingerprint/fp-Watchdog-none");
    assertThat(keyed.get(0).candidates()).extracting(c -> c.rule().name()).containsExactly("refused");
  }

  private static RuleSet rulesUnchecked() {
    try {
      return rules();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
