package io.runbookd.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.runbookd.config.ConfigLoader;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.connect.ConnectApi;
import io.runbookd.connect.ConnectClusters;
import io.runbookd.connect.ConnectRestException;
import io.runbookd.connect.RestartOutcome;
import io.runbookd.metrics.RunbookdMetrics;
import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.model.Incident;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.IncidentState;
import io.runbookd.notify.Notifiers;
import io.runbookd.rules.RuleLoader;
import io.runbookd.rules.RuleSet;
import io.runbookd.store.Store;
import io.runbookd.store.StoreSettings;
import io.runbookd.store.Stores;
import io.runbookd.testkit.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 409 from Connect on an attempt's first action is a rebalance, not a failed attempt: nothing was
 * applied, so the attempt waits {@code health_backoff} and is not counted. The engine runs for real
 * (Vert.x, SQLite) against a Connect stand-in that answers 409 as Kafka's {@code HerderRequestHandler}
 * does once the client's own retries are spent (apache/kafka
 * {@code connect/runtime/src/main/java/org/apache/kafka/connect/runtime/rest/HerderRequestHandler.java}).
 */
class RebalanceIT {
  private static final String STALE = "Cannot complete request momentarily due to stale configuration (typically caused"
      + " by a concurrent config change)";

  @TempDir
  Path tmp;

  private Vertx vertx;
  private Store store;

  /** A Connect cluster whose connector's task 0 is FAILED; restarts answer 409 {@code conflicts} times. */
  private static final class RebalancingConnect implements ConnectApi {
    final AtomicInteger restarts = new AtomicInteger();
    final AtomicInteger conflicts;

    RebalancingConnect(int conflicts) {
      this.conflicts = new AtomicInteger(conflicts);
    }

    static ConnectorStatus failed(String name) {
      return new ConnectorStatus(name, "sink", new ConnectorStatus.InstanceStatus(ConnectorState.RUNNING, "w1", null),
          List.of(new ConnectorStatus.TaskStatus(0, new ConnectorStatus.InstanceStatus(ConnectorState.FAILED, "w1",
              "java.net.ConnectException: Connection refused"))));
    }

    @Override
    public String cluster() {
      return "c1";
    }

    @Override
    public Future<ConnectorStatus> status(String connector) {
      return Future.succeededFuture(failed(connector));
    }

    @Override
    public Future<RestartOutcome> restart(String connector, boolean includeTasks, boolean onlyFailed) {
      restarts.incrementAndGet();
      if (conflicts.getAndDecrement() > 0) {
        return Future.failedFuture(new ConnectRestException("POST", "/connectors/" + connector + "/restart", 409, 409, STALE));
      }
      return Future.succeededFuture(new RestartOutcome(202, Optional.of(failed(connector))));
    }

    @Override
    public Future<Void> health() {
      return Future.succeededFuture();
    }

    private static <T> Future<T> unused() {
      return Future.failedFuture(new UnsupportedOperationException("not used by this test"));
    }

    @Override
    public Future<Map<String, ConnectorStatus>> statuses() {
      return unused();
    }

    @Override
    public Future<Void> restartTask(String connector, int task) {
      return unused();
    }

    @Override
    public Future<Void> pause(String connector) {
      return unused();
    }

    @Override
    public Future<Void> resume(String connector) {
      return unused();
    }

    @Override
    public Future<Void> stop(String connector) {
      return unused();
    }

    @Override
    public Future<Map<String, String>> config(String connector) {
      return unused();
    }

    @Override
    public Future<Map<String, String>> patchConfig(String connector, Map<String, String> patch) {
      return unused();
    }

    @Override
    public Future<Map<String, List<String>>> validateConfig(String connectorClass, Map<String, String> config) {
      return unused();
    }

    @Override
    public Future<JsonObject> offsets(String connector) {
      return unused();
    }

    @Override
    public Future<String> alterOffsets(String connector, JsonObject offsets) {
      return unused();
    }

    @Override
    public Future<String> resetOffsets(String connector) {
      return unused();
    }
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    store = Stores.open(StoreSettings.sqlite(tmp.resolve("data")));
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    store.close();
  }

  /** Opens incident {@code inc-1} for {@code orders-sink} under rule {@code refused} and starts the engine on it. */
  private void startEngine(RuleSet rules, RunbookdConfig config, RebalancingConnect connect) throws Exception {
    EngineDeps deps = new EngineDeps(vertx, Clock.systemUTC(), store, () -> rules,
        new ConnectClusters(Map.of("c1", connect)), new Notifiers(Map.of()),
        new RunbookdMetrics(new PrometheusRegistry(), false), config.engine(), false, "test", Guards.from(config.guards()));
    Instant now = Instant.now();
    store.openIncident(new Incident("inc-1", "c1", "orders-sink", "refused", IncidentState.OPEN, null, 0, null, null, now,
        now, null, now, Incident.REMEDIATE, null, null, null), List.of(), new IncidentEvent(now, "opened", "test"));
    vertx.deployVerticle(new IncidentEngine(deps, 4)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void a409OnTheFirstActionDefersTheAttemptWithoutCountingIt() throws Exception {
    RuleSet rules = new RuleLoader(new RuleLoader.Context(Set.of("c1"), Set.of()), Clock.systemUTC()).parse("r.yaml", """
        rules:
          - name: refused
            match: { alert: ['alertname="KafkaConnectTaskFailure"'] }
            target: { cluster: c1, connector: '{{ labels.connector }}' }
            retry: { max_attempts: 2, backoff: [0s, 1h] }
            verify: { within: 200ms, stable_for: 100ms }
            steps:
              - restart: {}
        """);
    RunbookdConfig config = ConfigLoader.parse("""
        connect_clusters: { c1: { url: 'http://unused:8083' } }
        engine: { tick: 100ms, poll_interval: 50ms }
        guards: { health_backoff: 1s }
        """, "runbookd.yaml");
    RebalancingConnect connect = new RebalancingConnect(1);
    startEngine(rules, config, connect);

    Await.until("the deferral", Duration.ofSeconds(10), () -> store.events("inc-1").stream().anyMatch(e -> e.kind().equals("deferred")));
    Instant deferredAt = Instant.now();
    assertThat(connect.restarts).hasValue(1);
    assertThat(store.budget("c1", "orders-sink", "refused").attempts()).as("the 409 attempt is not counted").isZero();
    Incident waiting = store.get("inc-1").orElseThrow();
    assertThat(waiting.state()).isEqualTo(IncidentState.OPEN);
    assertThat(waiting.nextAction()).isEqualTo(Incident.REMEDIATE);
    assertThat(waiting.nextActionAt()).isAfter(deferredAt.plusMillis(500));
    assertThat(store.steps("inc-1")).singleElement().satisfies(s -> assertThat(s.outcome()).isEqualTo("rebalance"));
    assertThat(store.events("inc-1")).filteredOn(e -> e.kind().equals("deferred")).singleElement()
        .satisfies(e -> assertThat(e.message()).startsWith("Connect is rebalancing (409: POST /connectors/orders-sink/restart"
            + " failed: HTTP 409: " + STALE + "); nothing was applied and the attempt is not counted; next try at"));

    Await.until("the second restart", Duration.ofSeconds(10), () -> connect.restarts.get() == 2);
    assertThat(Duration.between(deferredAt, Instant.now())).isGreaterThan(Duration.ofMillis(500));
    Await.until("the acting step", Duration.ofSeconds(10), () -> store.steps("inc-1").stream().map(s -> s.outcome()).toList()
        .equals(List.of("rebalance", "ok")));
    assertThat(store.budget("c1", "orders-sink", "refused").attempts()).as("the attempt that acted counts").isEqualTo(1);
  }

  @Test
  void afterMaxRebalanceRetriesA409CountsTheAttemptAndTheLadderGoesOn() throws Exception {
    RuleSet rules = new RuleLoader(new RuleLoader.Context(Set.of("c1"), Set.of()), Clock.systemUTC()).parse("r.yaml", """
        rules:
          - name: refused
            match: { alert: ['alertname="KafkaConnectTaskFailure"'] }
            target: { cluster: c1, connector: '{{ labels.connector }}' }
            retry: { max_attempts: 2, backoff: [500ms] }
            verify: { within: 200ms, stable_for: 100ms }
            steps:
              - restart: {}
        """);
    RunbookdConfig config = ConfigLoader.parse("""
        connect_clusters: { c1: { url: 'http://unused:8083' } }
        engine: { tick: 100ms, poll_interval: 50ms }
        guards: { health_backoff: 100ms, max_rebalance_retries: 2 }
        """, "runbookd.yaml");
    RebalancingConnect connect = new RebalancingConnect(Integer.MAX_VALUE);
    startEngine(rules, config, connect);

    Await.until("the incident to give up", Duration.ofSeconds(20),
        () -> store.get("inc-1").orElseThrow().state() == IncidentState.ESCALATED
            && store.events("inc-1").stream().anyMatch(e -> e.kind().equals("gave_up")));
    // Two 409s put the attempt off; the third and fourth count (2 of 2), then the budget is spent.
    assertThat(connect.restarts).hasValue(4);
    assertThat(store.budget("c1", "orders-sink", "refused").attempts()).isEqualTo(2);
    assertThat(store.events("inc-1").stream().map(IncidentEvent::kind).filter(k -> !k.equals("opened")).toList())
        .containsSubsequence("deferred", "attempt_failed", "attempt_failed", "gave_up");
    assertThat(store.events("inc-1")).filteredOn(e -> e.kind().equals("attempt_failed")).first()
        .satisfies(e -> assertThat(e.message()).contains("Connect answered 409 (rebalancing) to 3 attempts of this incident,"
            + " more than guards.max_rebalance_retries (2); this attempt counts: POST /connectors/orders-sink/restart"));
  }
}
