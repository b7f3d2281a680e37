package io.runbookd.it;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * A source connector whose failures a test switches on and off through {@link Failures}.
 *
 * <p>Config: {@code topic} (records are written there; create it or let Connect's topic creation do it),
 * {@code fail.key} (the {@link Failures} key), and the usual {@code tasks.max}. The connector's {@code
 * start()} throws {@link ConnectException} with the message set for {@link Failures#connectorKey}; each
 * {@link FlakySourceTask} throws with the message set for the fail key or its {@link Failures#taskKey}.
 *
 * <p>Registered for {@code plugin.discovery} in {@code META-INF/services/org.apache.kafka.connect.source.SourceConnector}.
 */
public class FlakyConnector extends SourceConnector {

  public static final String TOPIC_CONFIG = "topic";
  public static final String FAIL_KEY_CONFIG = "fail.key";
  static final String TASK_ID_CONFIG = "flaky.task.id";
  static final String VERSION = "0.1.0-test";

  static final ConfigDef CONFIG_DEF =
      new ConfigDef()
          .define(TOPIC_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
              Importance.HIGH, "Topic the task writes one record per second to.")
          .define(FAIL_KEY_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
              Importance.HIGH, "Key in io.runbookd.it.Failures that switches this connector's failures.");

  private Map<String, String> props = Map.of();

  @Override
  public void start(Map<String, String> props) {
    CONFIG_DEF.parse(props);
    String failKey = props.get(FAIL_KEY_CONFIG);
    Failures.get(Failures.connectorKey(failKey)).ifPresent(message -> {
      throw new ConnectException(message);
    });
    this.props = Map.copyOf(props);
  }

  @Override
  public Class<? extends Task> taskClass() {
    return FlakySourceTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> configs = new ArrayList<>(maxTasks);
    for (int i = 0; i < maxTasks; i++) {
      Map<String, String> config = new HashMap<>(props);
      config.put(TASK_ID_CONFIG, Integer.toString(i));
      configs.add(config);
    }
    return configs;
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return CONFIG_DEF;
  }

  @Override
  public String version() {
    return VERSION;
  }
}
