package io.runbookd.it;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * A sink that records the values it is given (their {@code toString()}), per connector name, in this JVM:
 * the converters decide what reaches it, so a value its converter cannot read fails the task before
 * {@code put} as in a real sink ("Tolerance exceeded in error handler").
 */
public class RecordingSinkConnector extends SinkConnector {
  /** The values each connector's tasks were given, in order. */
  public static final Map<String, List<String>> RECEIVED = new ConcurrentHashMap<>();

  private Map<String, String> props;

  /** What {@code connector} has been given so far. */
  public static List<String> received(String connector) {
    return List.copyOf(RECEIVED.getOrDefault(connector, List.of()));
  }

  @Override
  public void start(Map<String, String> props) {
    this.props = props;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return RecordingTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> out = new ArrayList<>();
    for (int i = 0; i < maxTasks; i++) {
      out.add(props);
    }
    return out;
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return new ConfigDef();
  }

  @Override
  public String version() {
    return "1.0";
  }

  /** The task: appends each record's value to {@link #RECEIVED}. */
  public static class RecordingTask extends SinkTask {
    private String name;

    @Override
    public String version() {
      return "1.0";
    }

    @Override
    public void start(Map<String, String> props) {
      name = props.get("name");
    }

    @Override
    public void put(Collection<SinkRecord> records) {
      List<String> sink = RECEIVED.computeIfAbsent(name, k -> new CopyOnWriteArrayList<>());
      for (SinkRecord r : records) {
        sink.add(String.valueOf(r.value()));
      }
    }

    @Override
    public void stop() {}
  }
}
