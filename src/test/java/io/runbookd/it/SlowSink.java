package io.runbookd.it;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * A test sink that writes nowhere, slowly ({@code sleep.per.record.ms} per record), so a backlog drains over
 * seconds and its consumer group's lag falls read after read. Its task fails in {@code start()} while
 * {@link Failures} has a message for {@code fail.key}.
 */
public class SlowSink extends SinkConnector {
  public static final String SLEEP_CONFIG = "sleep.per.record.ms";
  public static final String FAIL_KEY_CONFIG = "fail.key";
  static final ConfigDef CONFIG_DEF = new ConfigDef()
      .define(SLEEP_CONFIG, Type.LONG, 10L, Importance.LOW, "milliseconds spent per record")
      .define(FAIL_KEY_CONFIG, Type.STRING, "", Importance.LOW, "Failures key that fails the task's start()");

  private Map<String, String> props;

  @Override
  public void start(Map<String, String> props) {
    this.props = props;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return SlowSinkTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    return List.of(props);
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return CONFIG_DEF;
  }

  @Override
  public String version() {
    return "0.1";
  }

  /** The task. */
  public static class SlowSinkTask extends SinkTask {
    private long sleepMs;

    @Override
    public void start(Map<String, String> props) {
      String key = props.getOrDefault(FAIL_KEY_CONFIG, "");
      if (!key.isEmpty() && Failures.get(key).isPresent()) {
        throw new ConnectException(Failures.get(key).get());
      }
      sleepMs = Long.parseLong(props.getOrDefault(SLEEP_CONFIG, "10"));
    }

    @Override
    public void put(Collection<SinkRecord> records) {
      try {
        Thread.sleep(sleepMs * records.size());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void stop() {}

    @Override
    public String version() {
      return "0.1";
    }
  }
}
