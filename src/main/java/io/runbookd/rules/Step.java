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
        Step.Wait, Step.WaitFor, Step.Notify, Step.Approve, Step.ResetConsumerGroup, Step.DlqReplay,
        Step.ResetOffsets, Step.Recreate, Step.RevertConfig, Step.Http, Step.Silence,
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

  /**
   * {@code pause: {}}; with {@code pipeline: true}, every connector of the target's pipeline
   * ({@code pipelines} in runbookd.yaml), one after the other in the runbook's order: the source first.
   */
  record Pause(@com.fasterxml.jackson.annotation.JsonInclude(
      com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT) boolean pipeline) implements Step {
    /** The step on the target connector only. */
    public Pause() {
      this(false);
    }

    @Override
    public String type() {
      return "pause";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }
  }

  /**
   * {@code resume: {}}; with {@code pipeline: true}, every connector of the target's pipeline
   * ({@code pipelines} in runbookd.yaml), one after the other in the runbook's order: the sink first.
   */
  record Resume(@com.fasterxml.jackson.annotation.JsonInclude(
      com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT) boolean pipeline) implements Step {
    /** The step on the target connector only. */
    public Resume() {
      this(false);
    }

    @Override
    public String type() {
      return "resume";
    }

    @Override
    public boolean actsOnConnect() {
      return true;
    }
  }

  /**
   * {@code stop: {}} (KIP-875); with {@code pipeline: true}, every connector of the target's pipeline
   * ({@code pipelines} in runbookd.yaml), one after the other in the runbook's order: the source first.
   */
  record Stop(@com.fasterxml.jackson.annotation.JsonInclude(
      com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT) boolean pipeline) implements Step {
    /** The step on the target connector only. */
    public Stop() {
      this(false);
    }

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
   * With {@code lag} and/or {@code dlq_quiet} the consumer group of the sink and its dead-letter topic must
   * also be healthy (rules/README.md, "wait_for: lag and dead-letter topic").
   */
  record WaitFor(ConnectorState state, Duration within, Duration stableFor, boolean configChange, boolean lagFalling,
      Long lagBelow, Duration dlqQuiet) implements Step {
    public WaitFor {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(within, "within");
      Objects.requireNonNull(stableFor, "stableFor");
    }

    /** A wait_for without Kafka conditions. */
    public WaitFor(ConnectorState state, Duration within, Duration stableFor, boolean configChange) {
      this(state, within, stableFor, configChange, false, null, null);
    }

    /**
     * The Kafka conditions ({@code lag: {falling: true} | {below: N}}, {@code dlq_quiet: D}) as a wait starts
     * them, or null when the step has none.
     */
    public io.runbookd.model.KafkaWait kafka() {
      return lagFalling || lagBelow != null || dlqQuiet != null
          ? io.runbookd.model.KafkaWait.of(lagFalling, lagBelow, dlqQuiet) : null;
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
   * {@code reset_consumer_group: {group, to, topics}}: moves a consumer group's committed offsets with the
   * AdminClient, only while the group is EMPTY (for a Connect sink's own group {@code connect-<name>}: while
   * the connector is STOPPED). Destructive: records are skipped or read again.
   *
   * @param group the group id template; default {@code connect-{{ target.connector }}}
   * @param to where the offsets go
   * @param topics the topics whose partitions are reset; empty: every partition the group has offsets for
   */
  record ResetConsumerGroup(Template group, io.runbookd.model.OffsetReset to, java.util.List<String> topics)
      implements Step {
    /** The group of a Connect sink ({@code SinkUtils.consumerGroupId} in Apache Kafka's Connect runtime). */
    public static final String DEFAULT_GROUP = "connect-{{ target.connector }}";

    public ResetConsumerGroup {
      Objects.requireNonNull(group, "group");
      Objects.requireNonNull(to, "to");
      topics = java.util.List.copyOf(topics);
    }

    @Override
    public String type() {
      return "reset_consumer_group";
    }

    @Override
    public boolean destructive() {
      return true;
    }
  }

  /**
   * {@code dlq_replay: {topic, exception_class, message, max_records, rate_per_second}}: re-produces records
   * of a sink connector's dead letter queue to the topic each came from, read from the KIP-298 context
   * headers {@code __connect.errors.topic}, {@code __connect.errors.partition} and
   * {@code __connect.errors.offset} (so the connector needs
   * {@code errors.deadletterqueue.context.headers.enable=true};
   * https://cwiki.apache.org/confluence/display/KAFKA/KIP-298%3A+Error+Handling+in+Connect). The
   * {@code __connect.errors.*} headers are removed from the copy, the record's own headers kept, and the
   * header {@code runbookd.dlq.replayed} (the incident id) added; a dead-letter record that already carries
   * it (a replayed copy that failed again) is skipped, never replayed twice.
   *
   * <p>Progress (the next dead-letter offset per partition, stored once Kafka acknowledged the copies) is
   * kept in the store, so a replay interrupted by a crash resumes where it stopped; at most the last
   * unacknowledged batch is sent twice.
   *
   * @param topic the dead letter topic; null: the connector's {@code errors.deadletterqueue.topic.name}
   * @param exceptionClass only records whose {@code __connect.errors.exception.class.name} equals this
   *     (a fully qualified class name); null: any
   * @param message only records whose {@code __connect.errors.exception.message} this RE2 pattern finds;
   *     null: any
   * @param maxRecords the most records replayed by this step; 1 or more
   * @param ratePerSecond the most records produced per second; 1 or more
   */
  /**
   * True when a run of the step interrupted by a crash continues from its own stored progress on the next
   * start (the same step run), instead of being skipped and verified. Only steps that keep durable progress
   * and never repeat acknowledged work are.
   */
  default boolean resumable() {
    return false;
  }

  record DlqReplay(String topic, String exceptionClass, String message, int maxRecords, int ratePerSecond)
      implements Step {
    /** The default of {@code max_records}. */
    public static final int DEFAULT_MAX_RECORDS = 10_000;
    /** The default of {@code rate_per_second}. */
    public static final int DEFAULT_RATE_PER_SECOND = 100;

    public DlqReplay {
      if (maxRecords < 1 || ratePerSecond < 1) {
        throw new IllegalArgumentException("max_records and rate_per_second must be 1 or more");
      }
    }

    @Override
    public String type() {
      return "dlq_replay";
    }

    /** Progress is stored per dead-letter partition after each acknowledged batch. */
    @Override
    public boolean resumable() {
      return true;
    }

    /** Replayed records reach the sink again: duplicates downstream if the sink already wrote some. */
    @Override
    public boolean destructive() {
      return true;
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
   * {@code http: {method, url, headers, body, timeout, expect: {status, body}, until: {every, within}}}: one
   * templated HTTP request (a health check, a credential lease renewal) whose answer must meet
   * {@code expect}; with {@code until} it is sent again every {@code every} until the answer meets it,
   * failing after {@code within}.
   *
   * @param method HTTP method, upper case
   * @param url the URL template; every value a {@code {{ }}} expression puts in it is percent-encoded (RFC
   *     3986 unreserved characters kept) except {@code schema_registry.url} and values piped through
   *     {@code raw}
   * @param headers header name to value (a template, or a secret file read when the step runs)
   * @param body request body template, or null for none
   * @param timeout bound of each request (connect, send and the whole answer)
   * @param status the accepted statuses: codes ({@code 200}), classes ({@code 2xx}) or ranges
   *     ({@code 200-299})
   * @param bodyPattern an RE2 pattern the answer's body (first 64 KiB) must contain, or null
   * @param every time between two requests while polling; null without {@code until}
   * @param within the poll fails when the answer has not met {@code expect} by then; null without
   *     {@code until}
   */
  record Http(String method, Template url, Map<String, Header> headers, Template body, Duration timeout,
      java.util.List<String> status,
      @com.fasterxml.jackson.annotation.JsonIgnore io.runbookd.alert.LinearPattern bodyPattern,
      Duration every, Duration within) implements Step {
    public Http {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(url, "url");
      headers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
      Objects.requireNonNull(timeout, "timeout");
      status = java.util.List.copyOf(status);
    }

    @Override
    public String type() {
      return "http";
    }

    /** The RE2 pattern as written, for the step's record. */
    @com.fasterxml.jackson.annotation.JsonProperty("body_regex")
    public String bodyRegex() {
      return bodyPattern == null ? null : bodyPattern.pattern();
    }

    /** True when {@code code} is one of the accepted statuses. */
    public boolean accepts(int code) {
      for (String s : status) {
        if (s.endsWith("xx") && s.length() == 3 && code / 100 == s.charAt(0) - '0') {
          return true;
        }
        int dash = s.indexOf('-');
        if (dash > 0 && code >= Integer.parseInt(s.substring(0, dash)) && code <= Integer.parseInt(s.substring(dash + 1))) {
          return true;
        }
        if (dash < 0 && !s.endsWith("xx") && Integer.parseInt(s) == code) {
          return true;
        }
      }
      return false;
    }

    /**
     * One header value: a {@code template}, or the content of {@code file} (read each time the step runs,
     * stripped, after {@code prefix}): a secret, masked wherever the step's answer or error is recorded.
     */
    public record Header(Template template, String file, String prefix) {
      /** True for a value read from a secret file. */
      public boolean secret() {
        return file != null;
      }
    }
  }

  /**
   * {@code silence: {alertmanager, duration, comment, matchers}}: an Alertmanager silence on the alert
   * being remediated, active for at most {@code duration} and expired early when the incident closes or
   * escalates. A silence that cannot be created is recorded and the steps go on.
   *
   * @param alertmanager the {@code alertmanagers.<name>} to use; null for the only one configured
   * @param duration the silence's longest life
   * @param comment the silence's comment (a message template)
   * @param matchers label name to value template; empty for the defaults ({@code alertname},
   *     {@code connector} and, when the alert has it, {@code connect_cluster}, from the alert's labels)
   */
  record Silence(String alertmanager, Duration duration, Template comment, Map<String, Template> matchers)
      implements Step {
    public Silence {
      Objects.requireNonNull(duration, "duration");
      Objects.requireNonNull(comment, "comment");
      matchers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(matchers));
    }

    @Override
    public String type() {
      return "silence";
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
