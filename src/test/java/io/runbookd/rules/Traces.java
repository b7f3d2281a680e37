package io.runbookd.rules;

import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;
import io.runbookd.model.ConnectorStatus.InstanceStatus;
import io.runbookd.model.ConnectorStatus.TaskStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Realistic traces from {@code src/test/resources/rules/traces/} and statuses around them. */
final class Traces {
  static final Path DIR = Path.of("src/test/resources/rules/traces");

  private Traces() {}

  /** The trace in {@code traces/<name>.txt}. */
  static String read(String name) {
    try {
      return Files.readString(DIR.resolve(name + ".txt"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A sink or source connector RUNNING with task 0 RUNNING and task 1 FAILED with {@code trace}. */
  static ConnectorStatus taskFailed(String connector, String trace) {
    return new ConnectorStatus(connector, "source", new InstanceStatus(ConnectorState.RUNNING, "worker-1:8083", null),
        List.of(
            new TaskStatus(0, new InstanceStatus(ConnectorState.RUNNING, "worker-1:8083", null)),
            new TaskStatus(1, new InstanceStatus(ConnectorState.FAILED, "worker-2:8083", trace))));
  }

  /** A connector FAILED at start with {@code trace} and no tasks (e.g. the JDBC source connector). */
  static ConnectorStatus connectorFailed(String connector, String trace) {
    return new ConnectorStatus(connector, "source", new InstanceStatus(ConnectorState.FAILED, "worker-1:8083", trace),
        List.of());
  }

  /** A healthy connector with one task. */
  static ConnectorStatus running(String connector) {
    return new ConnectorStatus(connector, "sink", new InstanceStatus(ConnectorState.RUNNING, "worker-1:8083", null),
        List.of(new TaskStatus(0, new InstanceStatus(ConnectorState.RUNNING, "worker-1:8083", null))));
  }
}
