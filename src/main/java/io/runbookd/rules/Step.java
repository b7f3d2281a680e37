package io.runbookd.rules;

import io.runbookd.model.ConnectorState;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One remediation step of a rule. The YAML key of each step is given by {@link #type()}.
 *
 * <p>A step is {@linkplain #destructive() destructive} when it can lose or duplicate data; those need
 * an approval unless the rule opts out (rules/README.md, "Approval gates").
 */
public sealed interface Step
    permits Step.Restart, Step.RestartTask, Step.Pause, Step.Resume, Step.Stop, Step.PatchConfig,
        Step.Wait, Step.WaitFor, Step.Notify, Step.Approve, Step.ResetOffsets, Step.Recreate, Step.RevertConfig,
        Step.Snapshot {

  /** The step's YAML key, also the {@code action} metric label. */
  String type();

  /** True when the step can lose or duplicate data. */
  default boolean destructive() {
    return false;
  }

  /**
   * True when the step changes something in Kafka Connect (restart, restart_task, pause, resume, stop,
   * patch_config): the actions the cluster guards count ({@code guards.max_actions}).
   */
  default boolean actsOnConnect() {
    return false;
  }

  /** {@code restart: {include_tasks, only_failed}}: KIP-745 restart. */
  record Restart(boolean includeTasks, boolean onlyFailed) implements Step {
    @Override
    public String type() {
      return "restart";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }
  }

  /**
   * {@code restart_task: {task: <id>}} restarts one task; {@code restart_task: {}} restarts every
   * FAILED task one by one.
   */
  record RestartTask(Optional<Integer> task) implements Step {
    public RestartTask {
      Objects.requireNonNull(task, "task");
    }

    @Override
    public String type() {
      return "restart_task";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }
  }

  /** {@code pause: {}}. */
  record Pause() implements Step {
    @Override
    public String type() {
      return "pause";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }
  }

  /** {@code resume: {}}. */
  record Resume() implements Step {
    @Override
    public String type() {
      return "resume";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }
  }

  /** {@code stop: {}} (KIP-875). */
  record Stop() implements Step {
    @Override
    public String type() {
      return "stop";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }
  }

  /**
   * {@code patch_config: {set: {k: v}, validate: true}}: merges keys into the connector config after
   * validating the merged config against the plugin; the old values are recorded.
   *
   * @param set keys to set; a null value removes the key
   * @param validate validate through {@code /connector-plugins/{class}/config/validate} first
   */
  record PatchConfig(Map<String, String> set, boolean validate) implements Step {
    public PatchConfig {
      set = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(set));
    }

    @Override
    public String type() {
      return "patch_config";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }

    /**
     * Widening error tolerance can silently drop records: with {@code errors.tolerance=all} Connect
     * skips records that fail conversion or transformation (KIP-298,
     * https://cwiki.apache.org/confluence/display/KAFKA/KIP-298%3A+Error+Handling+in+Connect).
     */
    @Override
    public boolean destructive() {
      return "all".equalsIgnoreCase(set.get("errors.tolerance"));
    }
  }

  /** {@code wait: 30s}: sleeps. */
  record Wait(Duration duration) implements Step {
    public Wait {
      Objects.requireNonNull(duration, "duration");
    }

    @Override
    public String type() {
      return "wait";
    }
  }

  /**
   * {@code wait_for: {state: RUNNING, within: 2m, stable_for: 30s}} polls the connector until the
   * connector and all tasks are in {@code state} for {@code stableFor}, failing after
   * {@code within}. With {@code config_change: true} it instead waits until the connector
   * configuration differs from the one seen when the step started (an operator fixed a credential).
   */
  record WaitFor(ConnectorState state, Duration within, Duration stableFor, boolean configChange)
      implements Step {
    public WaitFor {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(within, "within");
      Objects.requireNonNull(stableFor, "stableFor");
    }

    @Override
    public String type() {
      return "wait_for";
    }
  }

  /** {@code notify: {notifier: owner, message: '...'}}. */
  record Notify(String notifier, Template message) implements Step {
    public Notify {
      Objects.requireNonNull(notifier, "notifier");
      Objects.requireNonNull(message, "message");
    }

    @Override
    public String type() {
      return "notify";
    }
  }

  /**
   * {@code approve: {ttl: 30m, default: reject, notify: owner}}: a human gate. The attempt stops here in
   * AWAITING_APPROVAL; the notifier is told the incident id and the steps that follow (up to the next
   * gate). {@code POST /api/v1/incidents/{id}/approve} continues with them; {@code reject} ends the
   * automatic remediation. After {@code ttl} without a decision, {@code defaultApprove} decides.
   *
   * @param ttl how long the gate waits for a decision; positive
   * @param defaultApprove the decision when the TTL passes: approve (true) or reject (false)
   * @param notifier who is asked
   */
  record Approve(Duration ttl, boolean defaultApprove, String notifier) implements Step {
    public Approve {
      Objects.requireNonNull(ttl, "ttl");
      Objects.requireNonNull(notifier, "notifier");
    }

    @Override
    public String type() {
      return "approve";
    }
  }
  /**
   * {@code reset_offsets: {...}} (KIP-875, Connect 3.6+,
   * https://cwiki.apache.org/confluence/display/KAFKA/KIP-875%3A+First-class+offsets+support+in+Kafka+Connect):
   * stops the connector, saves its offsets on the step record, resets ({@code DELETE}) or alters ({@code PATCH})
   * them, then resumes it unless {@code resume} is false.
   *
   * @param to what the offsets become: {@link OffsetsTo#RESET} (every offset removed: {@code reset_offsets: {}}),
   *     {@link OffsetsTo#EXPLICIT} ({@code offsets}, the PATCH body as given), {@link OffsetsTo#SAVED} (the offsets
   *     the incident's most recent reset_offsets step saved), or for a sink {@code EARLIEST}, {@code LATEST},
   *     {@code TIMESTAMP}, {@code OFFSET}, {@code SKIP}
   * @param timestamp for {@code TIMESTAMP}: the first record at or after it; else null
   * @param value for {@code OFFSET} the offset; for {@code SKIP} how many records past the committed offset; else 0
   * @param topics limits a sink target to these topics; empty for all the connector's topics
   * @param partitions limits a sink target to these partition numbers; empty for all
   * @param offsets for {@code EXPLICIT}: the {@code offsets} list of the PATCH body, as JSON; else null
   * @param resume resume the connector afterwards
   */
  record ResetOffsets(OffsetsTo to, java.time.Instant timestamp, long value, java.util.List<String> topics,
      java.util.List<Integer> partitions, String offsets, boolean resume) implements Step {
    public ResetOffsets {
      Objects.requireNonNull(to, "to");
      topics = java.util.List.copyOf(topics);
      partitions = java.util.List.copyOf(partitions);
    }

    /** What {@code reset_offsets} moves the offsets to. */
    public enum OffsetsTo {
      RESET, EXPLICIT, SAVED, EARLIEST, LATEST, TIMESTAMP, OFFSET, SKIP;

      /** True for the targets computed from the sink's Kafka partitions. */
      public boolean sinkOnly() {
        return this != RESET && this != EXPLICIT && this != SAVED;
      }
    }

    @Override
    public String type() {
      return "reset_offsets";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }

    /** Moving offsets replays or skips records. */
    @Override
    public boolean destructive() {
      return true;
    }
  }

  /**
   * {@code recreate: {}}: deletes the connector and creates it again from its saved configuration under
   * {@code <name>.N}, the first N from 1 on that names no connector: a new name starts without the old
   * offsets (the MongoDB connector's documented recovery from an invalid resume token on Connect older than
   * 3.6, https://www.mongodb.com/docs/kafka-connector/current/troubleshooting/recover-from-invalid-resume-token/).
   * The incident follows the new name.
   */
  record Recreate() implements Step {
    @Override
    public String type() {
      return "recreate";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }

    /** The new connector starts from scratch: records are re-read or missed. */
    @Override
    public boolean destructive() {
      return true;
    }
  }

  /**
   * {@code revert_config: {validate: true}}: restores the values the incident's {@code patch_config} steps
   * recorded as their before-state (a key that was absent is removed again), validating the result like
   * {@code patch_config}.
   */
  record RevertConfig(boolean validate) implements Step {
    @Override
    public String type() {
      return "revert_config";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }
  }

  /**
   * {@code snapshot: {type: incremental, data_collections: [public.orders], additional_conditions: [...]}}: a
   * Debezium ad-hoc snapshot, sent as an {@code execute-snapshot} signal through the connector's Kafka signal
   * channel ({@code signal.enabled.channels} containing {@code kafka}) or, when that is not enabled, as a row
   * INSERTed into its signaling table ({@code signal.data.collection}). The channel and its parameters are read
   * from the connector's config when the step runs. Not destructive: Debezium re-reads rows and emits them as
   * reads ({@code op: r}); consumers see duplicates, never a loss
   * (https://debezium.io/documentation/reference/stable/configuration/signalling.html).
   *
   * @param snapshotType {@code incremental} (chunked, while streaming goes on) or {@code blocking} (streaming
   *     waits until the snapshot is done)
   * @param dataCollections regular expressions over fully qualified names ({@code schema.table} on PostgreSQL,
   *     {@code db.table} on MySQL); may be empty when {@code fromTrace} or {@code capturedTables} is set
   * @param fromTrace a regular expression (RE2 syntax) with one capture group applied to the incident's trace:
   *     every distinct match, regex-quoted, is added to the data collections ({@code data_collections_from_trace});
   *     null when not set
   * @param additionalConditions {@code data_collection} to {@code filter} (an SQL WHERE condition), in order
   * @param capturedTables {@code captured_tables: true}: also every table of the connector's
   *     {@code table.include.list} (read when the step runs), except the signaling table
   * @param channel {@code auto} (Kafka when enabled, else the signaling table), {@code kafka} or {@code source}
   * @param passwordEnv for the signaling-table channel: the environment variable holding the database
   *     password when the connector config's {@code database.password} cannot be used (e.g. a
   *     {@code ${file:...}} config provider reference); null to use the config's value
   */
  record Snapshot(String snapshotType, java.util.List<String> dataCollections, String fromTrace,
      boolean capturedTables, Map<String, String> additionalConditions, String channel, String passwordEnv)
      implements Step {
    public Snapshot {
      Objects.requireNonNull(snapshotType, "snapshotType");
      Objects.requireNonNull(channel, "channel");
      dataCollections = java.util.List.copyOf(dataCollections);
      additionalConditions = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(additionalConditions));
    }

    @Override
    public String type() {
      return "snapshot";
    }
  }
}
