package io.runbookd.connect;

import io.runbookd.model.ConnectorStatus;

import static io.vertx.core.http.HttpMethod.DELETE;
import static io.vertx.core.http.HttpMethod.GET;
import static io.vertx.core.http.HttpMethod.PATCH;
import static io.vertx.core.http.HttpMethod.POST;
import static io.vertx.core.http.HttpMethod.PUT;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ConnectApi} over the Vert.x {@code WebClient}. The endpoint semantics (KIP-745 restart and
 * its fallback, PATCH config and its fallback, health on old Connect) live here; the HTTP exchange,
 * retries and error mapping live in {@link ConnectHttp}.
 */
final class VertxConnectApi implements ConnectApi {

  private static final Logger LOG = LoggerFactory.getLogger(VertxConnectApi.class);

  private final ConnectHttp http;

  VertxConnectApi(ConnectHttp http) {
    this.http = Objects.requireNonNull(http, "http");
  }

  @Override
  public String cluster() {
    return http.cluster();
  }

  @Override
  public Future<ConnectorStatus> status(String connector) {
    return guarded(() -> http.read(GET, ConnectPaths.connector(connector, "/status"), null, ConnectJson::status));
  }

  @Override
  public Future<Map<String, ConnectorStatus>> statuses() {
    return http.read(GET, "/connectors?expand=status", null, ConnectJson::expandedStatuses);
  }

  @Override
  public Future<Map<String, ConnectorStatus>> statusesAndInfo() {
    return http.read(GET, "/connectors?expand=status&expand=info", null, ConnectJson::expandedStatuses);
  }

  /**
   * {@inheritDoc}
   *
   * <p>With neither flag set, sends the plain restart and returns {@code RestartOutcome(204, empty)}.
   * With a flag set, a 202 returns its status body. A 204 instead means Connect older than 3.0 ignored
   * the parameters and restarted only the Connector instance; then the status is read, the chosen tasks
   * (FAILED ones when {@code onlyFailed}, all when not; none when {@code includeTasks} is false) are
   * restarted one after the other, and the outcome is {@code RestartOutcome(204, status read last)}.
   */
  @Override
  public Future<RestartOutcome> restart(String connector, boolean includeTasks, boolean onlyFailed) {
    return guarded(() -> {
      if (!includeTasks && !onlyFailed) {
        String path = ConnectPaths.connector(connector, "/restart");
        return http.send(POST, path, null).compose(response -> response.statusCode() == 202
            ? http.decode(POST, path, response, ConnectJson::status).map(VertxConnectApi::accepted)
            : Future.succeededFuture(new RestartOutcome(204, Optional.empty())));
      }
      String path = ConnectPaths.connector(connector, "/restart")
          + "?includeTasks=" + includeTasks + "&onlyFailed=" + onlyFailed;
      return http.send(POST, path, null).compose(response -> {
        if (response.statusCode() == 202) {
          return http.decode(POST, path, response, ConnectJson::status).map(VertxConnectApi::accepted);
        }
        LOG.info("Connect cluster {}: restart of {} answered {} without a body; Connect is older than 3.0"
            + " (no KIP-745), restarting tasks one by one", cluster(), connector, response.statusCode());
        return restartTasksOneByOne(connector, includeTasks, onlyFailed);
      });
    });
  }

  @Override
  public Future<Void> restartTask(String connector, int task) {
    return guarded(() -> http.send(POST, ConnectPaths.taskRestart(connector, task), null).mapEmpty());
  }

  @Override
  public Future<Void> pause(String connector) {
    return guarded(() -> http.send(PUT, ConnectPaths.connector(connector, "/pause"), null).mapEmpty());
  }

  @Override
  public Future<Void> resume(String connector) {
    return guarded(() -> http.send(PUT, ConnectPaths.connector(connector, "/resume"), null).mapEmpty());
  }

  @Override
  public Future<Void> stop(String connector) {
    return guarded(() -> http.send(PUT, ConnectPaths.connector(connector, "/stop"), null).mapEmpty());
  }

  @Override
  public Future<Map<String, String>> config(String connector) {
    return guarded(() -> http.read(GET, ConnectPaths.connector(connector, "/config"), null, ConnectJson::stringMap));
  }

  /**
   * {@inheritDoc}
   *
   * <p>How a missing PATCH is told from a missing connector: a 405 always means the method is missing.
   * A 404 is ambiguous (Connect 3.8+ says {@code Connector <x> not found}; a proxy or an old Jersey may
   * answer 404 for an unknown method), so its message is not parsed; the fallback's first step, {@code
   * GET /connectors/{name}/config}, decides: its 404 fails the call as the unknown connector it is, and
   * nothing is written. The fallback is read-modify-write: a config change made by someone else between
   * the GET and the PUT is overwritten, which PATCH avoids.
   */
  @Override
  public Future<Map<String, String>> patchConfig(String connector, Map<String, String> patch) {
    Objects.requireNonNull(patch, "patch");
    return guarded(() -> {
      String path = ConnectPaths.connector(connector, "/config");
      return http.read(PATCH, path, ConnectJson.write(patch), ConnectJson::connectorInfoConfig)
          .recover(error -> {
            if (!isMissingPatch(error)) {
              return Future.failedFuture(error);
            }
            LOG.info("Connect cluster {}: PATCH config of {} answered {}; Connect is older than 3.8"
                + " (no KIP-477), merging with GET + PUT", cluster(), connector, ((ConnectRestException) error).status());
            return config(connector).compose(current ->
                http.read(PUT, path, ConnectJson.write(merge(current, patch)), ConnectJson::connectorInfoConfig));
          });
    });
  }

  @Override
  public Future<Map<String, List<String>>> validateConfig(String connectorClass, Map<String, String> config) {
    Objects.requireNonNull(config, "config");
    return guarded(() -> http.read(PUT, ConnectPaths.validate(connectorClass), ConnectJson.write(config),
        ConnectJson::validationErrors));
  }

  @Override
  public Future<JsonObject> offsets(String connector) {
    return guarded(() -> {
      String path = ConnectPaths.connector(connector, "/offsets");
      return http.send(GET, path, null).compose(response -> http.decode(GET, path, response, body -> {
        try {
          return new JsonObject(body);
        } catch (io.vertx.core.json.DecodeException e) {
          throw new ConnectJson.MalformedBodyException("offsets body is not a JSON object", e);
        }
      }));
    });
  }

  @Override
  public Future<String> alterOffsets(String connector, JsonObject offsets) {
    Objects.requireNonNull(offsets, "offsets");
    return guarded(() -> http.read(PATCH, ConnectPaths.connector(connector, "/offsets"), offsets.encode(),
        ConnectJson::message));
  }

  @Override
  public Future<String> resetOffsets(String connector) {
    return guarded(() -> http.read(DELETE, ConnectPaths.connector(connector, "/offsets"), null, ConnectJson::message));
  }

  @Override
  public Future<List<String>> connectors() {
    return http.read(GET, "/connectors", null, ConnectJson::names);
  }

  @Override
  public Future<Void> deleteConnector(String connector) {
    return guarded(() -> http.send(DELETE, ConnectPaths.connector(connector, ""), null).mapEmpty());
  }

  @Override
  public Future<Map<String, String>> putConfig(String connector, Map<String, String> config) {
    Objects.requireNonNull(config, "config");
    return guarded(() -> http.read(PUT, ConnectPaths.connector(connector, "/config"), ConnectJson.write(config),
        ConnectJson::connectorInfoConfig));
  }

  @Override
  public Future<Void> health() {
    return http.send(GET, "/health", null).<Void>mapEmpty().recover(error -> {
      if (error instanceof ConnectRestException e && e.isNotFound()) {
        LOG.debug("Connect cluster {} has no /health (older than 3.9); treating it as healthy", cluster());
        return Future.succeededFuture();
      }
      return Future.failedFuture(error);
    });
  }

  /** The KIP-745 fallback for Connect older than 3.0, after its plain restart answered 204. */
  private Future<RestartOutcome> restartTasksOneByOne(String connector, boolean includeTasks, boolean onlyFailed) {
    return status(connector).compose(before -> {
      List<Integer> tasks = !includeTasks ? List.of()
          : onlyFailed ? before.failedTaskIds()
          : before.tasks().stream().map(ConnectorStatus.TaskStatus::id).toList();
      if (tasks.isEmpty()) {
        return Future.succeededFuture(new RestartOutcome(204, Optional.of(before)));
      }
      Future<Void> chain = Future.succeededFuture();
      for (int task : tasks) {
        chain = chain.compose(done -> restartTask(connector, task));
      }
      return chain.compose(done -> status(connector))
          .map(after -> new RestartOutcome(204, Optional.of(after)));
    });
  }

  private static RestartOutcome accepted(ConnectorStatus status) {
    return new RestartOutcome(202, Optional.of(status));
  }

  private static boolean isMissingPatch(Throwable error) {
    return error instanceof ConnectRestException e && (e.status() == 404 || e.status() == 405);
  }

  /** {@code current} with {@code patch} applied; a null value in {@code patch} removes the key (KIP-477). */
  static Map<String, String> merge(Map<String, String> current, Map<String, String> patch) {
    Map<String, String> merged = new LinkedHashMap<>(current);
    patch.forEach((key, value) -> {
      if (value == null) {
        merged.remove(key);
      } else {
        merged.put(key, value);
      }
    });
    return Collections.unmodifiableMap(merged);
  }

  /** Runs {@code call}; a name that cannot be put in a path fails the future instead of throwing. */
  private static <T> Future<T> guarded(Supplier<Future<T>> call) {
    try {
      return call.get();
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
  }
}
