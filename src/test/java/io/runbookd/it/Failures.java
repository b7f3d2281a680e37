package io.runbookd.it;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * JVM-wide, thread-safe switchboard of simulated failures for {@link FlakyConnector}.
 *
 * <p>The embedded Connect worker runs in the test JVM and loads the connector from the application
 * class path, so a test and the connector's tasks see the same static map. A message set for a key
 * makes every task (or the connector) with that key throw {@code ConnectException(message)}; the
 * message then appears in the {@code trace} of {@code GET /connectors/{name}/status}.
 *
 * <p>Keys:
 *
 * <ul>
 *   <li>{@code failKey}: every task of connectors configured with that {@code fail.key}, checked in
 *       {@code start()} and in each {@code poll()} (so a RUNNING task can be broken later);
 *   <li>{@link #taskKey(String, int) failKey:task-N}: only task N;
 *   <li>{@link #connectorKey(String) failKey:connector}: the connector's own {@code start()}, so the
 *       failure shows only in {@code connector.trace} and no task is created.
 * </ul>
 */
public final class Failures {

  private static final Map<String, String> FAILURES = new ConcurrentHashMap<>();

  private Failures() {}

  /** Makes the next {@code start()}/{@code poll()} for {@code key} throw with {@code message}. */
  public static void set(String key, String message) {
    FAILURES.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(message, "message"));
  }

  /** Removes the failure for {@code key}; a no-op when none is set. */
  public static void clear(String key) {
    FAILURES.remove(Objects.requireNonNull(key, "key"));
  }

  /** The failure message set for {@code key}, if any. */
  public static Optional<String> get(String key) {
    return Optional.ofNullable(FAILURES.get(Objects.requireNonNull(key, "key")));
  }

  /** The key that fails only the connector instance: {@code failKey + ":connector"}. */
  public static String connectorKey(String failKey) {
    return failKey + ":connector";
  }

  /** The key that fails only task {@code taskId}: {@code failKey + ":task-" + taskId}. */
  public static String taskKey(String failKey, int taskId) {
    return failKey + ":task-" + taskId;
  }
}
