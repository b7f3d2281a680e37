package io.runbookd.it;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * A sink connector whose running task a test can make hang in {@code put()} (a database that stopped answering,
 * a deadlock): with a small {@code consumer.override.max.poll.interval.ms}, the broker then removes the task's
 * consumer from the group {@code connect-<name>} while Connect still shows the connector and the task RUNNING.
 *
 * <p>Config: {@code topics}, {@code stuck.key} (the key of {@link #stick}), {@code task.count} (how many task
 * configs {@code taskConfigs} returns, at most {@code tasks.max}; {@code 0} gives a RUNNING connector without
 * tasks). Registered in {@code META-INF/services/org.apache.kafka.connect.sink.SinkConnector}.
 */
public class StuckSinkConnector extends SinkConnector {
  public static final String KEY_CONFIG = "stuck.key";
  public static final String TASK_COUNT_CONFIG = "task.count";

  static final ConfigDef CONFIG_DEF = new ConfigDef()
      .define(KEY_CONFIG, Type.STRING, "stuck", Importance.HIGH, "Key of StuckSinkConnector.stick.")
      .define(TASK_COUNT_CONFIG, Type.INT, -1, Importance.LOW, "Task configs to return; -1: tasks.max.");

  /** The task instance (by key) that hangs in put() until {@link #release}; later instances do not. */
  private static final Map<String, Long> VICTIM = new ConcurrentHashMap<>();
  /** The newest task instance of each key. */
  private static final Map<String, Long> LATEST = new ConcurrentHashMap<>();
  /** Records put (and returned from put) per key. */
  private static final Map<String, AtomicLong> PUT = new ConcurrentHashMap<>();
  private static final Set<String> HANGING = ConcurrentHashMap.newKeySet();
  private static final AtomicLong INSTANCES = new AtomicLong();

  private Map<String, String> props = Map.of();

  /** Makes the task instance running now for {@code key} hang in its next put(); instances started later do not. */
  public static void stick(String key) {
    Long latest = LATEST.get(key);
    if (latest == null) {
      throw new IllegalStateException("no task of " + key + " has started");
    }
    VICTIM.put(key, latest);
  }

  /** True while the stuck instance of {@code key} hangs in put(). */
  public static boolean hanging(String key) {
    return HANGING.contains(key);
  }

  /** Records the tasks of {@code key} have taken through put() without hanging. */
  public static long put(String key) {
    return PUT.computeIfAbsent(key, k -> new AtomicLong()).get();
  }

  /** Lets the stuck instance go (its thread returns from put()). */
  public static void release(String key) {
    VICTIM.remove(key);
  }

  @Override
  public void start(Map<String, String> props) {
    CONFIG_DEF.parse(props);
    this.props = Map.copyOf(props);
  }

  @Override
  public Class<? extends Task> taskClass() {
    return StuckSinkTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    int n = Integer.parseInt(props.getOrDefault(TASK_COUNT_CONFIG, "-1"));
    n = n < 0 ? maxTasks : Math.min(n, maxTasks);
    List<Map<String, String>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new HashMap<>(props));
    }
    return out;
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return CONFIG_DEF;
  }

  @Override
  public String version() {
    return FlakyConnector.VERSION;
  }

  /** The task: counts records; hangs in put() while it is the victim of its key. */
  public static class StuckSinkTask extends SinkTask {
    private String key;
    private long instance;

    @Override
    public String version() {
      return FlakyConnector.VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
      key = props.getOrDefault(KEY_CONFIG, "stuck");
      instance = INSTANCES.incrementAndGet();
      LATEST.put(key, instance);
    }

    @Override
    public void put(Collection<SinkRecord> records) {
      while (Long.valueOf(instance).equals(VICTIM.get(key))) {
        HANGING.add(key);
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      HANGING.remove(key);
      PUT.computeIfAbsent(key, k -> new AtomicLong()).addAndGet(records.size());
    }

    @Override
    public void stop() {}
  }
}
