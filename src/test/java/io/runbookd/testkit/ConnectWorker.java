package io.runbookd.testkit;

import io.runbookd.it.Failures;
import io.runbookd.it.FlakyConnector;
import io.runbookd.it.RestartRequestRecorder;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.connect.runtime.AbstractStatus;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.runtime.rest.errors.ConnectRestException;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.apache.kafka.connect.util.clusters.WorkerHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One real Kafka Connect 4.1 worker (distributed mode, 1 worker, 1 KRaft broker) shared by every
 * {@code *IT} class of the failsafe JVM.
 *
 * <p>Started lazily by the first {@link #get()} (5.5-11.5 s measured on the 2-core build machine; 12-17 s
 * without {@code plugin.discovery=service_load}, KIP-898), stopped by a JVM shutdown hook. If the
 * start fails, every later {@link #get()} fails at once with the same cause instead of trying again. Tests
 * share the worker, so each test uses its own connector names and {@link Failures} keys and deletes its
 * connectors when done.
 *
 * <p>The worker loads plugins with {@code plugin.discovery=service_load}: a new test connector, converter
 * or REST extension must be listed in {@code src/test/resources/META-INF/services/<plugin interface>} or
 * the worker will not know its class. It has {@link FlakyConnector} and, as a REST extension, {@link
 * RestartRequestRecorder}, so {@link #restartRequests(String)} lists the restart calls it received.
 */
public final class ConnectWorker {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectWorker.class);
  private static final long POLL_INTERVAL_MS = 100;
  private static final Duration DELETE_TIMEOUT = Duration.ofSeconds(30);

  private static final Object LOCK = new Object();
  private static ConnectWorker instance;
  private static RuntimeException startFailure;

  private final EmbeddedConnectCluster cluster;
  private final Duration startTime;

  private ConnectWorker(EmbeddedConnectCluster cluster, Duration startTime) {
    this.cluster = cluster;
    this.startTime = startTime;
  }

  /**
   * The shared worker, started on first use.
   *
   * @throws IllegalStateException when the worker could not be started (now or on an earlier call)
   */
  public static ConnectWorker get() {
    synchronized (LOCK) {
      if (instance != null) {
        return instance;
      }
      if (startFailure != null) {
        throw new IllegalStateException("the embedded Connect worker failed to start earlier", startFailure);
      }
      try {
        instance = start();
        return instance;
      } catch (RuntimeException | InterruptedException e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        startFailure = new IllegalStateException("could not start the embedded Connect worker", e);
        throw startFailure;
      }
    }
  }

  private static ConnectWorker start() throws InterruptedException {
    long t0 = System.nanoTime();
    // Must be mutable: EmbeddedConnectCluster.startConnect() adds bootstrap.servers, listeners, ... to it.
    Map<String, String> workerProps = new HashMap<>();
    // commit source offsets often so offset-related steps see fresh offsets
    workerProps.put("offset.flush.interval.ms", "500");
    // reassign tasks of a lost worker after 1 s instead of 5 min
    workerProps.put("scheduled.rebalance.max.delay.ms", "1000");
    workerProps.put("rest.extension.classes", RestartRequestRecorder.class.getName());
    // Every plugin on the test class path has a ServiceLoader manifest (ours: src/test/resources/META-INF/services),
    // so skip the reflective scan of the whole class path that the default hybrid_fail does.
    workerProps.put("plugin.discovery", "service_load");
    EmbeddedConnectCluster cluster = new EmbeddedConnectCluster.Builder()
        .name("runbookd-it")
        .numWorkers(1)
        .numBrokers(1)
        .workerProps(workerProps)
        .build();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(cluster), "embedded-connect-stop"));
    cluster.start();
    cluster.assertions().assertAtLeastNumWorkersAreUp(1, "the embedded Connect worker did not come up");
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    ConnectWorker worker = new ConnectWorker(cluster, took);
    LOG.info("Embedded Connect worker {} (bootstrap {}) started in {} ms", worker.restUrl(),
        worker.bootstrapServers(), took.toMillis());
    return worker;
  }

  private static void stop(EmbeddedConnectCluster cluster) {
    long t0 = System.nanoTime();
    cluster.stop();
    LOG.info("Embedded Connect worker stopped in {} ms", Duration.ofNanos(System.nanoTime() - t0).toMillis());
  }

  /** How long building and starting the broker and the worker took, until the worker answered REST. */
  public Duration startTime() {
    return startTime;
  }

  /** The worker's REST base URL, e.g. {@code http://localhost:43127}, without a trailing slash. */
  public String restUrl() {
    WorkerHandle worker = cluster.workers().iterator().next();
    String url = worker.url().toString();
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** The embedded broker's {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return cluster.kafka().bootstrapServers();
  }

  /** The underlying cluster, for what this class does not wrap (offsets, topics, stop/pause, ...). */
  public EmbeddedConnectCluster cluster() {
    return cluster;
  }

  /**
   * Creates (or reconfigures) a one-task {@link FlakyConnector} writing to a topic named like the
   * connector, failing per {@link Failures} under {@code failKey}. Returns once the worker accepted the
   * config; use the {@code await*} methods to wait for a state.
   */
  public void createFlakyConnector(String name, String failKey) {
    createFlakyConnector(name, failKey, 1);
  }

  /** As {@link #createFlakyConnector(String, String)} with {@code tasks.max = tasks}. */
  public void createFlakyConnector(String name, String failKey, int tasks) {
    cluster.configureConnector(name, Map.of(
        "connector.class", FlakyConnector.class.getName(),
        "tasks.max", Integer.toString(tasks),
        FlakyConnector.TOPIC_CONFIG, name,
        FlakyConnector.FAIL_KEY_CONFIG, failKey,
        // Connect creates the topic (KIP-158) so the task never blocks on missing metadata
        "topic.creation.default.replication.factor", "1",
        "topic.creation.default.partitions", "1"));
  }

  /** Deletes the connector and waits until its status is gone; a no-op for an unknown connector. */
  public void deleteConnector(String name) {
    if (findStatus(name).isEmpty()) {
      return;
    }
    try {
      cluster.deleteConnector(name);
    } catch (ConnectRestException e) {
      if (e.statusCode() != 404) {
        throw e;
      }
    }
    await(name, "deleted", DELETE_TIMEOUT, () -> findStatus(name).isEmpty(),
        () -> findStatus(name).map(ConnectWorker::summary).orElse("404"));
  }

  /**
   * {@code GET /connectors/{name}/status}, parsed.
   *
   * @throws ConnectRestException with status 404 for an unknown connector
   */
  public ConnectorStateInfo status(String name) {
    return cluster.connectorStatus(name);
  }

  /** The connector's status, or empty while the worker answers 404 for it. */
  public Optional<ConnectorStateInfo> findStatus(String name) {
    try {
      return Optional.of(cluster.connectorStatus(name));
    } catch (ConnectRestException e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Waits until at least one task is FAILED and returns that status (with the task's {@code trace}). */
  public ConnectorStateInfo awaitTaskFailed(String name, Duration timeout) {
    return awaitStatus(name, "a task FAILED", timeout,
        s -> s.tasks().stream().anyMatch(t -> isState(t, AbstractStatus.State.FAILED)));
  }

  /** Waits until the connector instance is FAILED and returns that status (with {@code connector.trace}). */
  public ConnectorStateInfo awaitConnectorFailed(String name, Duration timeout) {
    return awaitStatus(name, "connector FAILED", timeout, s -> isState(s.connector(), AbstractStatus.State.FAILED));
  }

  /** Waits until the connector and all of its (at least one) tasks are RUNNING and returns that status. */
  public ConnectorStateInfo awaitRunning(String name, Duration timeout) {
    return awaitStatus(name, "connector and all tasks RUNNING", timeout,
        s -> isState(s.connector(), AbstractStatus.State.RUNNING)
            && !s.tasks().isEmpty()
            && s.tasks().stream().allMatch(t -> isState(t, AbstractStatus.State.RUNNING)));
  }

  /**
   * Polls the status every 100 ms until {@code condition} holds, and returns the status that met it.
   *
   * @param description what is awaited, for the failure message
   * @throws AssertionError after {@code timeout}, naming the last status seen
   */
  public ConnectorStateInfo awaitStatus(String name, String description, Duration timeout,
      Predicate<ConnectorStateInfo> condition) {
    AtomicReference<ConnectorStateInfo> met = new AtomicReference<>();
    await(name, description, timeout, () -> {
      Optional<ConnectorStateInfo> status = findStatus(name);
      if (status.isPresent() && condition.test(status.get())) {
        met.set(status.get());
        return true;
      }
      return false;
    }, () -> findStatus(name).map(ConnectWorker::summary).orElse("404"));
    return met.get();
  }

  /** The restart requests ({@code POST .../restart}) this worker received for {@code name}, oldest first. */
  public List<RestartRequestRecorder.RestartRequest> restartRequests(String name) {
    return RestartRequestRecorder.requests(name);
  }

  /** One line: {@code connector=FAILED(first trace line) tasks=[0:RUNNING, 1:FAILED(...)]}. */
  public static String summary(ConnectorStateInfo status) {
    StringBuilder b = new StringBuilder("connector=").append(stateWithCause(status.connector())).append(" tasks=[");
    for (int i = 0; i < status.tasks().size(); i++) {
      ConnectorStateInfo.TaskState task = status.tasks().get(i);
      b.append(i == 0 ? "" : ", ").append(task.id()).append(':').append(stateWithCause(task));
    }
    return b.append(']').toString();
  }

  private static String stateWithCause(ConnectorStateInfo.AbstractState state) {
    String trace = state.trace();
    if (trace == null || trace.isEmpty()) {
      return state.state();
    }
    int eol = trace.indexOf('\n');
    return state.state() + "(" + (eol < 0 ? trace : trace.substring(0, eol)) + ")";
  }

  private static boolean isState(ConnectorStateInfo.AbstractState state, AbstractStatus.State expected) {
    return expected.name().equals(state.state());
  }

  private static void await(String name, String description, Duration timeout, Await.Condition condition,
      Supplier<String> lastSeen) {
    Await.until("connector '" + name + "' " + description, timeout, Duration.ofMillis(POLL_INTERVAL_MS), condition, lastSeen);
  }
}
