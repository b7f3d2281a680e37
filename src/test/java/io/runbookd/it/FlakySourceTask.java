package io.runbookd.it;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/**
 * The task of {@link FlakyConnector}. While no failure is set it stays RUNNING and writes one string
 * record per second; {@code start()} and every {@code poll()} throw {@link ConnectException} with the
 * message set in {@link Failures} for its fail key or its task key.
 */
public class FlakySourceTask extends SourceTask {

  private static final long RECORD_INTERVAL_MS = 1_000;
  private static final long IDLE_POLL_MS = 100;
  private static final Map<String, AtomicInteger> STARTS = new ConcurrentHashMap<>();

  private String topic = "";
  private String failKey = "";
  private int taskId;
  private Map<String, ?> sourcePartition = Map.of();
  private long seq;
  private long nextRecordAtMs;

  /** How many times a task with {@code failKey} entered {@code start()} (successfully or not) in this JVM. */
  public static int starts(String failKey) {
    AtomicInteger n = STARTS.get(failKey);
    return n == null ? 0 : n.get();
  }

  @Override
  public void start(Map<String, String> props) {
    topic = props.get(FlakyConnector.TOPIC_CONFIG);
    failKey = props.get(FlakyConnector.FAIL_KEY_CONFIG);
    taskId = Integer.parseInt(props.getOrDefault(FlakyConnector.TASK_ID_CONFIG, "0"));
    sourcePartition = Map.of("fail.key", failKey, "task", taskId);
    STARTS.computeIfAbsent(failKey, k -> new AtomicInteger()).incrementAndGet();
    failIfSet();
    nextRecordAtMs = 0;
  }

  @Override
  public List<SourceRecord> poll() throws InterruptedException {
    failIfSet();
    long now = System.currentTimeMillis();
    if (now >= nextRecordAtMs) {
      nextRecordAtMs = now + RECORD_INTERVAL_MS;
      long n = seq++;
      return List.of(new SourceRecord(sourcePartition, Map.of("seq", n), topic, Schema.STRING_SCHEMA,
          failKey + "-" + taskId + "-" + n));
    }
    // Idle wait inside the connector task (not test code) so the task thread does not spin.
    Thread.sleep(IDLE_POLL_MS);
    return null;
  }

  private void failIfSet() {
    String message = Failures.get(failKey).or(() -> Failures.get(Failures.taskKey(failKey, taskId))).orElse(null);
    if (message != null) {
      throw new ConnectException(message);
    }
  }

  @Override
  public void stop() {}

  @Override
  public String version() {
    return FlakyConnector.VERSION;
  }
}
