package io.runbookd.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The body of {@code GET /connectors/{name}/status} (Kafka Connect {@code ConnectorStateInfo}).
 *
 * @param name the connector name
 * @param type {@code source}, {@code sink}, or {@code unknown}
 * @param connector the state of the Connector instance
 * @param tasks the task states ordered by task id; empty for a STOPPED connector
 */
public record ConnectorStatus(String name, String type, InstanceStatus connector, List<TaskStatus> tasks) {

  public ConnectorStatus {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(connector, "connector");
    type = type == null ? "unknown" : type;
    tasks = List.copyOf(tasks);
  }

  /**
   * The state of one Connector or task instance.
   *
   * @param state the lifecycle state
   * @param workerId the {@code host:port} of the worker that owns the instance; may be null
   * @param trace the full Java stack trace when FAILED, including the "Caused by:" chain; null
   *     when Connect omits it
   */
  public record InstanceStatus(ConnectorState state, String workerId, String trace) {
    public InstanceStatus {
      Objects.requireNonNull(state, "state");
    }
  }

  /** One task: its id (0-based) and its instance status. */
  public record TaskStatus(int id, InstanceStatus status) {
    public TaskStatus {
      Objects.requireNonNull(status, "status");
    }
  }

  /**
   * True when the connector and every task are RUNNING and there is at least one task. A RUNNING
   * connector with no task processes nothing (its tasks were never created, or were lost in a
   * rebalance); a STOPPED connector legitimately lists no task (KIP-875) but is not RUNNING either.
   */
  public boolean isHealthy() {
    return connector.state() == ConnectorState.RUNNING && !tasks.isEmpty()
        && tasks.stream().allMatch(t -> t.status().state() == ConnectorState.RUNNING);
  }

  /** True when the connector or any task is FAILED. */
  public boolean hasFailure() {
    return connector.state() == ConnectorState.FAILED
        || tasks.stream().anyMatch(t -> t.status().state() == ConnectorState.FAILED);
  }

  /** Ids of the tasks in state FAILED. */
  public List<Integer> failedTaskIds() {
    return tasks.stream().filter(t -> t.status().state() == ConnectorState.FAILED).map(TaskStatus::id).toList();
  }

  /** Every non-empty trace: the connector's first, then the tasks' in id order. */
  public List<String> traces() {
    List<String> out = new ArrayList<>();
    if (connector.trace() != null && !connector.trace().isEmpty()) {
      out.add(connector.trace());
    }
    for (TaskStatus t : tasks) {
      if (t.status().trace() != null && !t.status().trace().isEmpty()) {
        out.add(t.status().trace());
      }
    }
    return out;
  }

  /** The first trace, if any. */
  public Optional<String> firstTrace() {
    List<String> all = traces();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
  }
}
