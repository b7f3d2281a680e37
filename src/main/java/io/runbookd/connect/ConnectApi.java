package io.runbookd.connect;

import io.runbookd.model.ConnectorStatus;

import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/**
 * The Kafka Connect REST API of one Connect cluster, as runbookd uses it.
 *
 * <p>Facts: the Connect REST API (https://kafka.apache.org/documentation/#connect_rest) and its source,
 * apache/kafka {@code
 * connect/runtime/src/main/java/org/apache/kafka/connect/runtime/rest/resources/ConnectorsResource.java}.
 * Every connector name is percent-encoded as a single path segment. A 409 (rebalance) is retried with
 * capped exponential backoff and jitter before it fails. Every other failure completes the future with
 * {@link ConnectRestException}. The read timeout is above Connect's own 90 s request timeout.
 *
 * <p>An empty connector name, plugin class or negative task id fails the future with {@link
 * IllegalArgumentException} before any request is sent. Implementations: {@link ConnectApis#create}.
 */
public interface ConnectApi {

  /** The cluster name as configured in runbookd.yaml. */
  String cluster();

  /** {@code GET /connectors/{name}/status}; 404 fails with {@link ConnectRestException#isNotFound()}. */
  Future<ConnectorStatus> status(String connector);

  /** {@code GET /connectors?expand=status}: every connector's status keyed by name. */
  Future<Map<String, ConnectorStatus>> statuses();

  /**
   * {@code GET /connectors?expand=status&expand=info} (KIP-465, Kafka 2.3+; the Connect REST docs, "GET
   * /connectors"): every connector of the cluster in one request, keyed by name, with its {@code status}
   * (the same {@code ConnectorStateInfo} as {@code GET /connectors/{name}/status}, FAILED instances with
   * their {@code trace}) and its {@code info} (config, tasks, type). A connector absent from the map did
   * not exist when Connect answered; an entry without a {@code status} member is left out. Fails with
   * {@link ConnectRestException} like any read; no 404 is expected.
   *
   * <p>The default implementation answers {@link #statuses()}.
   */
  default Future<Map<String, ConnectorStatus>> statusesAndInfo() {
    return statuses();
  }

  /**
   * {@code POST /connectors/{name}/restart?includeTasks=..&onlyFailed=..} (KIP-745, Kafka 3.0+).
   *
   * <p>On a Connect older than 3.0 that ignores the parameters (it answers 204 although tasks were
   * asked for), the implementation falls back to restarting each FAILED task (or every task when
   * {@code onlyFailed} is false) with {@link #restartTask}.
   */
  Future<RestartOutcome> restart(String connector, boolean includeTasks, boolean onlyFailed);

  /** {@code POST /connectors/{name}/tasks/{task}/restart}: synchronous, 204. */
  Future<Void> restartTask(String connector, int task);

  /** {@code PUT /connectors/{name}/pause}: 202, idempotent. */
  Future<Void> pause(String connector);

  /** {@code PUT /connectors/{name}/resume}: 202, idempotent; also starts a STOPPED connector. */
  Future<Void> resume(String connector);

  /** {@code PUT /connectors/{name}/stop}: 204 (KIP-875, Kafka 3.5+). */
  Future<Void> stop(String connector);

  /** {@code GET /connectors/{name}/config}: the flat connector configuration. */
  Future<Map<String, String>> config(String connector);

  /**
   * Merges {@code patch} into the connector configuration and returns the resulting configuration.
   *
   * <p>Uses {@code PATCH /connectors/{name}/config} (KIP-477, Kafka 3.8+), where a null value removes
   * the key. When that answers 404 or 405 for an existing connector (older Connect), falls back to
   * {@code GET} then {@code PUT /connectors/{name}/config} with the merged map.
   *
   * @param patch keys to set; a null value removes the key
   */
  Future<Map<String, String>> patchConfig(String connector, Map<String, String> patch);

  /**
   * {@code PUT /connector-plugins/{class}/config/validate}: validates a full configuration.
   *
   * @return the error messages keyed by config key; empty when the configuration is valid
   */
  Future<Map<String, List<String>>> validateConfig(String connectorClass, Map<String, String> config);

  /** {@code GET /connectors/{name}/offsets} (KIP-875, Kafka 3.5+): the raw JSON body. */
  Future<io.vertx.core.json.JsonObject> offsets(String connector);

  /**
   * {@code PATCH /connectors/{name}/offsets} (KIP-875, Kafka 3.6+): alters the connector's offsets.
   *
   * <p>The connector must exist and be STOPPED with no tasks; otherwise Connect answers 400 {@code
   * Connectors must be in the STOPPED state before their offsets can be modified...} (KIP-875;
   * apache/kafka {@code DistributedHerder.modifyConnectorOffsetsChecks}). For a sink, its consumer group
   * {@code connect-<name>} must have no active members.
   *
   * @param offsets {@code {"offsets":[{"partition":{...},"offset":{...}|null}]}}; a null offset resets
   *     that partition
   * @return Connect's 200 {@code message}, e.g. {@code The offsets for this connector have been altered
   *     successfully}
   */
  Future<String> alterOffsets(String connector, io.vertx.core.json.JsonObject offsets);

  /**
   * {@code DELETE /connectors/{name}/offsets} (KIP-875, Kafka 3.6+): resets all of the connector's
   * offsets. Same preconditions and 400 as {@link #alterOffsets}.
   *
   * @return Connect's 200 {@code message}, e.g. {@code The offsets for this connector have been reset
   *     successfully}
   */
  Future<String> resetOffsets(String connector);

  /**
   * {@code GET /connectors}: the names of every connector of the cluster, in Connect's order.
   *
   * <p>The default implementation fails with {@link UnsupportedOperationException}.
   */
  default Future<List<String>> connectors() {
    return Future.failedFuture(new UnsupportedOperationException("listing connectors is not supported by " + cluster()));
  }

  /**
   * {@code DELETE /connectors/{name}}: deletes the connector (204). Its offsets stay in the offsets topic or
   * consumer group; a connector created later under the same name would find them again (the Connect REST
   * docs, "DELETE /connectors/{name}"). A 404 fails with {@link ConnectRestException#isNotFound()}.
   *
   * <p>The default implementation fails with {@link UnsupportedOperationException}.
   */
  default Future<Void> deleteConnector(String connector) {
    return Future.failedFuture(new UnsupportedOperationException("deleting connectors is not supported by " + cluster()));
  }

  /**
   * {@code PUT /connectors/{name}/config} with the full flat configuration: creates the connector (201) or
   * replaces its configuration (200), and returns the configuration Connect stored (the {@code config} of its
   * {@code ConnectorInfo} answer). Works on every Connect version, unlike {@code initial_state} (3.7+).
   *
   * <p>The default implementation fails with {@link UnsupportedOperationException}.
   */
  default Future<Map<String, String>> putConfig(String connector, Map<String, String> config) {
    return Future.failedFuture(new UnsupportedOperationException("writing configs is not supported by " + cluster()));
  }

  /**
   * {@code GET /health} (Kafka 3.9+). Succeeds on 200; fails with {@link ConnectRestException} on
   * 500/503. A 404 (older Connect without the endpoint) counts as healthy.
   */
  Future<Void> health();
}
