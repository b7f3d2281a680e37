package io.runbookd.rules;

import io.runbookd.model.ConnectorState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * A rule's {@code steps:} list: one list item per step, each a one-key mapping from the step type
 * ({@link RuleLoader#STEP_TYPES}) to its parameters, with one method per step type. Each method
 * returns the {@link Step}, or null after reporting errors to the file's {@link RuleYaml}.
 */
final class StepParser {

  private static final List<String> APPROVE_STEP_KEYS = List.of("ttl", "default", "notify");
  private static final List<String> WAIT_FOR_STATES = List.of("RUNNING", "PAUSED", "STOPPED");

  private final RuleYaml yaml;
  private final TemplateChecks templates;
  private final NameChecks names;

  StepParser(RuleYaml yaml, TemplateChecks templates, NameChecks names) {
    this.yaml = yaml;
    this.templates = templates;
    this.names = names;
  }

  /**
   * The steps that parsed, in order (the rule is not built when any did not).
   *
   * @param approval the rule's approval block, whose values {@code approve} steps default to; null
   *     when it had errors (then {@link Rule.Approval#DEFAULT} is used and a missing notifier is not
   *     reported again)
   */
  List<Step> steps(Node node, Rule.Approval approval) {
    SequenceNode seq = yaml.sequence(node, "steps", "a list of steps");
    if (seq == null) {
      return List.of();
    }
    List<Step> out = new ArrayList<>();
    for (int i = 0; i < seq.getValue().size(); i++) {
      Step s = step(seq.getValue().get(i), "steps[" + i + "]", approval);
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  private Step step(Node node, String path, Rule.Approval approval) {
    if (!(node instanceof MappingNode m)) {
      String hint = node instanceof ScalarNode s && RuleLoader.STEP_TYPES.contains(s.getValue())
          ? "; write \"" + s.getValue() + ": {}\"" : "";
      yaml.error(node, path + " must be a mapping with one step, e.g. \"restart: {}\", got "
          + RuleYaml.describe(node) + hint);
      return null;
    }
    if (m.getValue().size() != 1) {
      if (m.getValue().isEmpty()) {
        yaml.error(node, path + " is empty; write one step, e.g. \"restart: {}\"");
      } else {
        List<String> keys = m.getValue().stream().map(t -> RuleYaml.keyText(t.getKeyNode())).toList();
        yaml.error(node, path + " has " + keys.size() + " keys (" + String.join(", ", keys)
            + "); write one step per list item");
      }
      return null;
    }
    NodeTuple tuple = m.getValue().get(0);
    String type = RuleYaml.keyText(tuple.getKeyNode());
    Node params = tuple.getValueNode();
    String p = path + "." + type;
    return switch (type) {
      case "restart" -> restart(params, p);
      case "restart_task" -> restartTask(params, p);
      case "pause" -> lifecycle(params, p, type);
      case "resume" -> lifecycle(params, p, type);
      case "stop" -> lifecycle(params, p, type);
      case "patch_config" -> patchConfig(params, p);
      case "wait" -> waitStep(params, p);
      case "wait_for" -> waitFor(params, p);
      case "approve" -> approve(params, p, approval);
      case "notify" -> notifyStep(params, p);
      case "reset_consumer_group" -> resetConsumerGroup(params, p);
      case "dlq_replay" -> dlqReplay(params, p);
      case "reset_offsets" -> resetOffsets(params, p);
      case "recreate" -> withoutParameters(params, p, type, new Step.Recreate());
      case "revert_config" -> revertConfig(params, p);
      case "http" -> httpStep(params, p);
      case "silence" -> silenceStep(params, p);
      case "snapshot" -> snapshot(params, p);
      default -> unsupported(tuple.getKeyNode(), path, type);
    };
  }

  /** {@code restart: {include_tasks: true, only_failed: true}}. */
  private Step restart(Node params, String p) {
    Map<String, Node> k = params(params, p, List.of("include_tasks", "only_failed"));
    if (k == null) {
      return null;
    }
    Boolean includeTasks = k.get("include_tasks") == null ? Boolean.TRUE
        : yaml.bool(k.get("include_tasks"), p + ".include_tasks");
    Boolean onlyFailed = k.get("only_failed") == null ? Boolean.TRUE
        : yaml.bool(k.get("only_failed"), p + ".only_failed");
    return includeTasks == null || onlyFailed == null ? null : new Step.Restart(includeTasks, onlyFailed);
  }

  /** {@code restart_task: {task: n}}; without {@code task}, the failed tasks. */
  private Step restartTask(Node params, String p) {
    Map<String, Node> k = params(params, p, List.of("task"));
    if (k == null) {
      return null;
    }
    if (k.get("task") == null) {
      return new Step.RestartTask(Optional.empty());
    }
    Integer task = yaml.integer(k.get("task"), p + ".task");
    if (task != null && task < 0) {
      yaml.error(k.get("task"), p + ".task must be a task id (0 or more), got " + task);
      return null;
    }
    return task == null ? null : new Step.RestartTask(Optional.of(task));
  }

  /** {@code pause: {}}, {@code resume: {}}, {@code stop: {}}, each optionally {@code {pipeline: true}}. */
  private Step lifecycle(Node params, String p, String type) {
    boolean pipeline = false;
    if (params instanceof MappingNode pm && !pm.getValue().isEmpty()) {
      Map<String, Node> k = params(params, p, List.of("pipeline"));
      if (k == null) {
        return null;
      }
      Boolean b = k.get("pipeline") == null ? Boolean.FALSE : yaml.bool(k.get("pipeline"), p + ".pipeline");
      if (b == null) {
        return null;
      }
      pipeline = b;
    } else if (params instanceof SequenceNode || (params instanceof ScalarNode s && !RuleYaml.isNull(s))) {
      yaml.error(params, p + " takes {} or {pipeline: true}; write \"" + type + ": {}\"");
      return null;
    }
    return switch (type) {
      case "pause" -> new Step.Pause(pipeline);
      case "resume" -> new Step.Resume(pipeline);
      default -> new Step.Stop(pipeline);
    };
  }

  /** {@code step}, when given no parameters: {@code recreate: {}}. */
  private Step withoutParameters(Node params, String p, String type, Step step) {
    if (params instanceof ScalarNode s && !RuleYaml.isNull(s)) {
      yaml.error(params, p + " takes no parameters; write \"" + type + ": {}\"");
      return null;
    }
    if (params instanceof MappingNode pm && !pm.getValue().isEmpty()) {
      NodeTuple first = pm.getValue().get(0);
      yaml.error(first.getKeyNode(), "unknown key \"" + RuleYaml.keyText(first.getKeyNode()) + "\" in " + p + " ("
          + type + " takes no parameters)");
      return null;
    }
    if (params instanceof SequenceNode) {
      yaml.error(params, p + " takes no parameters; write \"" + type + ": {}\"");
      return null;
    }
    return step;
  }

  /** {@code patch_config: {set: {key: value or null}, validate: true}}. */
  private Step patchConfig(Node params, String p) {
    Map<String, Node> k = params(params, p, List.of("set", "validate"));
    if (k == null) {
      return null;
    }
    yaml.require(params, k, p, "set");
    Boolean validate = k.get("validate") == null ? Boolean.TRUE : yaml.bool(k.get("validate"), p + ".validate");
    Node setNode = k.get("set");
    if (setNode == null) {
      return null;
    }
    MappingNode set = yaml.mapping(setNode, p + ".set", List.of());
    if (set == null) {
      return null;
    }
    if (set.getValue().isEmpty()) {
      yaml.error(setNode, p + ".set must set at least one config key, e.g. {errors.tolerance: all}");
      return null;
    }
    Map<String, String> values = new LinkedHashMap<>();
    boolean ok = true;
    for (NodeTuple t : set.getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode) || RuleYaml.keyText(t.getKeyNode()).isEmpty()) {
        yaml.error(t.getKeyNode(), p + ".set keys must be connector config names, got "
            + RuleYaml.describe(t.getKeyNode()));
        ok = false;
        continue;
      }
      String key = RuleYaml.keyText(t.getKeyNode());
      if (values.containsKey(key)) {
        yaml.error(t.getKeyNode(), "duplicate key \"" + key + "\" in " + p + ".set");
        ok = false;
        continue;
      }
      Node v = t.getValueNode();
      if (v instanceof ScalarNode s) {
        values.put(key, RuleYaml.isNull(s) ? null : s.getValue());
      } else {
        yaml.error(v, p + ".set." + key + " must be a string, a number, a boolean or null (to remove the key), got "
            + RuleYaml.describe(v));
        ok = false;
      }
    }
    return !ok || validate == null ? null : new Step.PatchConfig(values, validate);
  }

  /** {@code wait: 30s}. */
  private Step waitStep(Node params, String p) {
    Duration d = yaml.duration(params, p);
    return d == null ? null : new Step.Wait(d);
  }

  /** {@code wait_for: {state or config_change: true, within, stable_for}}. */
  private Step waitFor(Node params, String p) {
    Map<String, Node> k = params(params, p, List.of("state", "config_change", "within", "stable_for", "lag",
        "dlq_quiet"));
    if (k == null) {
      return null;
    }
    int before = yaml.errorCount();
    yaml.require(params, k, p, "within");
    Boolean configChange = k.get("config_change") == null ? Boolean.FALSE
        : yaml.bool(k.get("config_change"), p + ".config_change");
    ConnectorState state = null;
    if (k.get("state") != null) {
      String s = yaml.string(k.get("state"), p + ".state");
      if (s != null && !WAIT_FOR_STATES.contains(s)) {
        yaml.error(k.get("state"), p + ".state must be one of " + String.join(", ", WAIT_FOR_STATES) + ", got \""
            + s + "\"");
      } else if (s != null) {
        state = ConnectorState.valueOf(s);
      }
    }
    if (Boolean.TRUE.equals(configChange) && k.get("state") != null) {
      yaml.error(k.get("state"), p + " takes either state or config_change: true, not both");
    } else if (Boolean.TRUE.equals(configChange) && k.get("stable_for") != null) {
      yaml.error(k.get("stable_for"), p + ".stable_for applies only with state, not with config_change");
    } else if (Boolean.TRUE.equals(configChange) && (k.get("lag") != null || k.get("dlq_quiet") != null)) {
      Node at = k.get("lag") != null ? k.get("lag") : k.get("dlq_quiet");
      yaml.error(at, p + " takes either config_change: true or lag/dlq_quiet, not both");
    } else if (Boolean.FALSE.equals(configChange) && k.get("state") == null && k.get("lag") == null
        && k.get("dlq_quiet") == null) {
      yaml.error(params, p + " needs state (e.g. state: RUNNING) or config_change: true");
    }
    Object[] lag = k.get("lag") == null ? new Object[] {false, null} : lagCondition(k.get("lag"), p + ".lag");
    Duration dlqQuiet = k.get("dlq_quiet") == null ? null : yaml.positiveDuration(k.get("dlq_quiet"), p + ".dlq_quiet");
    Duration within = k.get("within") == null ? null : yaml.positiveDuration(k.get("within"), p + ".within");
    Duration stableFor = k.get("stable_for") == null ? Duration.ZERO
        : yaml.duration(k.get("stable_for"), p + ".stable_for");
    if (yaml.errorCount() != before || within == null || stableFor == null || configChange == null || lag == null) {
      return null;
    }
    // With config_change the state is not used; RUNNING is recorded as the state expected after the change.
    // With lag or dlq_quiet and no state, RUNNING is implied: a sink's lag only falls while its tasks run.
    return new Step.WaitFor(state == null ? ConnectorState.RUNNING : state, within, stableFor, configChange,
        (Boolean) lag[0], (Long) lag[1], dlqQuiet);
  }

  /** {@code approve: {ttl, default, notify}}, each defaulting to the rule's {@code approval} value. */
  private Step approve(Node params, String p, Rule.Approval approval) {
    Map<String, Node> k = params(params, p, APPROVE_STEP_KEYS);
    if (k == null) {
      return null;
    }
    Rule.Approval rd = approval == null ? Rule.Approval.DEFAULT : approval;
    int before = yaml.errorCount();
    Duration ttl = k.get("ttl") == null ? rd.ttl() : yaml.positiveDuration(k.get("ttl"), p + ".ttl");
    Boolean defaultApprove = k.get("default") == null ? Boolean.valueOf(rd.defaultApprove())
        : yaml.decision(k.get("default"), p + ".default");
    String notifier = rd.notifier();
    if (k.get("notify") != null) {
      notifier = names.notifier(k.get("notify"), p + ".notify", p + ".notify");
    } else if (notifier == null && approval != null) {
      yaml.error(params, p + " needs notify (who is asked to approve), or set approval.notify for the rule");
    }
    if (yaml.errorCount() != before || ttl == null || defaultApprove == null || notifier == null) {
      return null;
    }
    return new Step.Approve(ttl, defaultApprove, notifier);
  }

  /** {@code notify: {notifier, message}}. */
  private Step notifyStep(Node params, String p) {
    Map<String, Node> k = params(params, p, List.of("notifier", "message"));
    if (k == null) {
      return null;
    }
    yaml.require(params, k, p, "notifier");
    String notifier = k.get("notifier") == null ? null : names.notifier(k.get("notifier"), p + ".notifier", p);
    Template message = templates.message(k.get("message"), p + ".message");
    return notifier == null || message == null ? null : new Step.Notify(notifier, message);
  }

  /** Reports an unknown step type, with a suggestion when one is close; null. */
  private Step unsupported(Node keyNode, String path, String type) {
    String known = " (steps: " + String.join(", ", RuleLoader.STEP_TYPES) + ")";
    yaml.error(keyNode, path + ": unknown step \"" + type + "\"" + Suggestions.suggestion(type, RuleLoader.STEP_TYPES)
        + known);
    return null;
  }

  /**
   * The parameters mapping of a step; an empty value ({@code - restart:}) counts as {@code {}}.
   * Returns null after reporting an error.
   */
  private Map<String, Node> params(Node params, String path, List<String> allowed) {
    if (params instanceof ScalarNode s && RuleYaml.isNull(s)) {
      return new LinkedHashMap<>();
    }
    if (!(params instanceof MappingNode m)) {
      yaml.error(params, path + " must be a mapping of parameters (" + String.join(", ", allowed) + "), got "
          + RuleYaml.describe(params));
      return null;
    }
    return yaml.keys(m, path, allowed);
  }

  /**
   * {@code reset_consumer_group: {group: <template>, to: earliest | latest | {timestamp: <ISO-8601>} |
   * {offset: N} | {shift_by: N}, topics: [..]}}.
   */
  private Step resetConsumerGroup(Node params, String p) {
    Map<String, Node> k = params(params, p, List.of("group", "to", "topics"));
    if (k == null) {
      return null;
    }
    int before = yaml.errorCount();
    yaml.require(params, k, p, "to");
    Template group = k.get("group") == null ? Template.compile(Step.ResetConsumerGroup.DEFAULT_GROUP)
        : templates.template(k.get("group"), p + ".group", false);
    io.runbookd.model.OffsetReset to = k.get("to") == null ? null : offsetReset(k.get("to"), p + ".to");
    List<String> topics = new ArrayList<>();
    if (k.get("topics") != null) {
      SequenceNode seq = yaml.sequence(k.get("topics"), p + ".topics", "a list of topic names");
      if (seq != null) {
        for (int i = 0; i < seq.getValue().size(); i++) {
          String t = yaml.nonEmptyString(seq.getValue().get(i), p + ".topics[" + i + "]");
          if (t != null) {
            topics.add(t);
          }
        }
        if (seq.getValue().isEmpty()) {
          yaml.error(seq, p + ".topics must name at least one topic, or be left out (every partition the group has"
              + " offsets for)");
        }
      }
    }
    if (yaml.errorCount() != before || group == null || to == null) {
      return null;
    }
    return new Step.ResetConsumerGroup(group, to, topics);
  }

  private static final String OFFSET_RESET_FORMS = "earliest, latest, {timestamp: 2026-01-31T12:00:00Z},"
      + " {offset: N} or {shift_by: N}";

  /** {@code earliest | latest | {timestamp} | {offset} | {shift_by}}; null after reporting. */
  private io.runbookd.model.OffsetReset offsetReset(Node node, String path) {
    if (node instanceof ScalarNode s && !RuleYaml.isNull(s)) {
      switch (s.getValue()) {
        case "earliest":
          return new io.runbookd.model.OffsetReset.Earliest();
        case "latest":
          return new io.runbookd.model.OffsetReset.Latest();
        default:
          yaml.error(node, path + " must be " + OFFSET_RESET_FORMS + ", got \"" + s.getValue() + "\"");
          return null;
      }
    }
    if (!(node instanceof MappingNode m) || m.getValue().size() != 1) {
      yaml.error(node, path + " must be " + OFFSET_RESET_FORMS + ", got " + RuleYaml.describe(node));
      return null;
    }
    Map<String, Node> k = yaml.keys(m, path, List.of("timestamp", "offset", "shift_by"));
    if (k == null || k.isEmpty()) {
      return null;
    }
    if (k.get("timestamp") != null) {
      String text = yaml.string(k.get("timestamp"), path + ".timestamp");
      if (text == null) {
        return null;
      }
      try {
        return new io.runbookd.model.OffsetReset.Timestamp(java.time.OffsetDateTime.parse(text).toInstant());
      } catch (java.time.format.DateTimeParseException e) {
        yaml.error(k.get("timestamp"), path + ".timestamp must be an ISO-8601 date and time with its offset, e.g."
            + " 2026-01-31T12:00:00Z, got \"" + text + "\"");
        return null;
      }
    }
    boolean offset = k.get("offset") != null;
    Node n = offset ? k.get("offset") : k.get("shift_by");
    String key = offset ? "offset" : "shift_by";
    if (!(n instanceof ScalarNode s) || !s.getValue().matches("-?[0-9]{1,18}")) {
      yaml.error(n, path + "." + key + " must be an integer, got " + RuleYaml.describe(n));
      return null;
    }
    long v = Long.parseLong(((ScalarNode) n).getValue());
    if (offset && v < 0) {
      yaml.error(n, path + ".offset must be 0 or more, got " + v);
      return null;
    }
    return offset ? new io.runbookd.model.OffsetReset.Offset(v) : new io.runbookd.model.OffsetReset.ShiftBy(v);
  }

  /** {@code lag: {falling: true}} or {@code lag: {below: N}}: {falling, below}; null after reporting. */
  private Object[] lagCondition(Node node, String path) {
    MappingNode m = yaml.mapping(node, path, List.of("falling", "below"));
    if (m == null) {
      return null;
    }
    Map<String, Node> k = yaml.keys(m, path, List.of("falling", "below"));
    if (k == null) {
      return null;
    }
    if (k.isEmpty()) {
      yaml.error(node, path + " needs falling: true or below: N");
      return null;
    }
    Boolean falling = Boolean.FALSE;
    if (k.get("falling") != null) {
      falling = yaml.bool(k.get("falling"), path + ".falling");
      if (Boolean.FALSE.equals(falling)) {
        yaml.error(k.get("falling"), path + ".falling can only be true (leave it out to not require it)");
        return null;
      }
    }
    Long below = null;
    if (k.get("below") != null) {
      Node b = k.get("below");
      if (!(b instanceof ScalarNode s) || !s.getValue().matches("[0-9]{1,18}") || Long.parseLong(s.getValue()) == 0) {
        yaml.error(b, path + ".below must be a positive number of records, got " + RuleYaml.describe(b));
        return null;
      }
      below = Long.parseLong(((ScalarNode) b).getValue());
    }
    return falling == null ? null : new Object[] {falling, below};
  }

  /** {@code dlq_replay: {topic, exception_class, message, max_records, rate_per_second}}, all optional. */
  private Step dlqReplay(Node params, String p) {
    Map<String, Node> k = params(params, p, List.of("topic", "exception_class", "message", "max_records",
        "rate_per_second"));
    if (k == null) {
      return null;
    }
    int before = yaml.errorCount();
    String topic = k.get("topic") == null ? null : yaml.string(k.get("topic"), p + ".topic");
    if (topic != null && !topic.matches("[a-zA-Z0-9._-]{1,249}")) {
      yaml.error(k.get("topic"), p + ".topic must be a Kafka topic name (letters, digits, '.', '_', '-'), got \""
          + topic + "\"");
    }
    String cls = k.get("exception_class") == null ? null : yaml.string(k.get("exception_class"), p + ".exception_class");
    if (cls != null && cls.isBlank()) {
      yaml.error(k.get("exception_class"), p + ".exception_class must be a class name, e.g."
          + " org.apache.kafka.connect.errors.DataException");
    }
    String message = k.get("message") == null ? null : yaml.string(k.get("message"), p + ".message");
    if (message != null) {
      try {
        io.runbookd.alert.LinearPattern.compile(message, true);
      } catch (io.runbookd.alert.LinearPattern.SyntaxException e) {
        yaml.error(k.get("message"), p + ".message is not a valid pattern: " + e.getMessage());
      }
    }
    Integer max = k.get("max_records") == null ? Integer.valueOf(Step.DlqReplay.DEFAULT_MAX_RECORDS)
        : yaml.integer(k.get("max_records"), p + ".max_records");
    if (max != null && max < 1) {
      yaml.error(k.get("max_records"), p + ".max_records must be 1 or more, got " + max);
    }
    Integer rate = k.get("rate_per_second") == null ? Integer.valueOf(Step.DlqReplay.DEFAULT_RATE_PER_SECOND)
        : yaml.integer(k.get("rate_per_second"), p + ".rate_per_second");
    if (rate != null && rate < 1) {
      yaml.error(k.get("rate_per_second"), p + ".rate_per_second must be 1 or more, got " + rate);
    }
    if (yaml.errorCount() != before || max == null || rate == null) {
      return null;
    }
    return new Step.DlqReplay(topic, cls, message, max, rate);
  }
  private static final List<String> RESET_OFFSETS_KEYS = List.of("to", "topics", "partitions", "offsets", "resume");
  private static final List<String> RESET_OFFSETS_TO = List.of("earliest", "latest", "saved");
  private static final List<String> RESET_OFFSETS_TO_KEYS = List.of("timestamp", "offset", "skip");

  /**
   * {@code reset_offsets: {}} (reset all), {@code {offsets: [{partition: {..}, offset: {..} or null}]}},
   * {@code {to: saved}}, or for a sink {@code {to: earliest|latest|{timestamp|offset|skip: ..}, topics, partitions}};
   * {@code resume} (default true) with each.
   */
  private Step resetOffsets(Node params, String p) {
    Map<String, Node> k = params(params, p, RESET_OFFSETS_KEYS);
    if (k == null) {
      return null;
    }
    int before = yaml.errorCount();
    Boolean resume = k.get("resume") == null ? Boolean.TRUE : yaml.bool(k.get("resume"), p + ".resume");
    Step.ResetOffsets.OffsetsTo to = Step.ResetOffsets.OffsetsTo.RESET;
    java.time.Instant timestamp = null;
    long value = 0;
    String offsets = null;
    Node toNode = k.get("to");
    if (toNode != null && k.get("offsets") != null) {
      yaml.error(k.get("offsets"), p + " takes either to or offsets, not both");
      return null;
    }
    if (toNode instanceof ScalarNode s && !RuleYaml.isNull(s)) {
      if (!RESET_OFFSETS_TO.contains(s.getValue())) {
        yaml.error(toNode, p + ".to must be earliest, latest, saved, {timestamp: <ISO-8601>}, {offset: <n>} or"
            + " {skip: <n>}, got \"" + s.getValue() + "\"" + Suggestions.suggestion(s.getValue(), RESET_OFFSETS_TO));
        return null;
      }
      to = Step.ResetOffsets.OffsetsTo.valueOf(s.getValue().toUpperCase(java.util.Locale.ROOT));
    } else if (toNode instanceof MappingNode tm) {
      Map<String, Node> tk = yaml.keys(tm, p + ".to", RESET_OFFSETS_TO_KEYS);
      if (tk == null) {
        return null;
      }
      if (tk.size() != 1) {
        yaml.error(toNode, p + ".to takes exactly one of timestamp, offset, skip");
        return null;
      }
      String key = tk.keySet().iterator().next();
      Node v = tk.get(key);
      if ("timestamp".equals(key)) {
        to = Step.ResetOffsets.OffsetsTo.TIMESTAMP;
        String text = yaml.string(v, p + ".to.timestamp");
        if (text == null) {
          return null;
        }
        try {
          timestamp = java.time.OffsetDateTime.parse(text).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
          yaml.error(v, p + ".to.timestamp must be an ISO-8601 time with an offset, e.g. 2026-11-28T10:00:00Z, got \""
              + text + "\"");
          return null;
        }
      } else {
        to = "offset".equals(key) ? Step.ResetOffsets.OffsetsTo.OFFSET : Step.ResetOffsets.OffsetsTo.SKIP;
        Long n = longValue(v, p + ".to." + key);
        if (n == null) {
          return null;
        }
        if (n < 0 || (n == 0 && "skip".equals(key))) {
          yaml.error(v, p + ".to." + key + " must be " + ("skip".equals(key) ? "1 or more" : "0 or more") + ", got " + n);
          return null;
        }
        value = n;
      }
    } else if (toNode != null) {
      yaml.error(toNode, p + ".to must be earliest, latest, saved or a mapping {timestamp|offset|skip: ..}, got "
          + RuleYaml.describe(toNode));
      return null;
    }
    List<String> topics = new ArrayList<>();
    List<Integer> partitions = new ArrayList<>();
    for (String key : List.of("topics", "partitions")) {
      Node n = k.get(key);
      if (n == null) {
        continue;
      }
      if (!to.sinkOnly()) {
        yaml.error(n, p + "." + key + " applies only with to: earliest, latest, timestamp, offset or skip (a sink's"
            + " partitions)");
        continue;
      }
      SequenceNode seq = yaml.sequence(n, p + "." + key, "topics".equals(key) ? "a list of topic names"
          : "a list of partition numbers");
      if (seq == null) {
        continue;
      }
      if (seq.getValue().isEmpty()) {
        yaml.error(n, p + "." + key + " must not be empty (leave it out for all)");
      }
      for (Node item : seq.getValue()) {
        if ("topics".equals(key)) {
          String t = yaml.nonEmptyString(item, p + ".topics[]");
          if (t != null) {
            topics.add(t);
          }
        } else {
          Integer i = yaml.integer(item, p + ".partitions[]");
          if (i != null && i < 0) {
            yaml.error(item, p + ".partitions[] must be a partition number (0 or more), got " + i);
          } else if (i != null) {
            partitions.add(i);
          }
        }
      }
    }
    if (k.get("offsets") != null) {
      to = Step.ResetOffsets.OffsetsTo.EXPLICIT;
      offsets = explicitOffsets(k.get("offsets"), p + ".offsets");
    }
    if (yaml.errorCount() != before || resume == null || (to == Step.ResetOffsets.OffsetsTo.EXPLICIT && offsets == null)) {
      return null;
    }
    return new Step.ResetOffsets(to, timestamp, value, topics, partitions, offsets, resume);
  }

  /** {@code offsets: [{partition: {..}, offset: {..} or null}]} as the JSON of the PATCH body's list; null after errors. */
  private String explicitOffsets(Node node, String p) {
    SequenceNode seq = yaml.sequence(node, p, "a list of {partition: {...}, offset: {...}} entries");
    if (seq == null) {
      return null;
    }
    if (seq.getValue().isEmpty()) {
      yaml.error(node, p + " must list at least one partition (reset_offsets: {} resets them all)");
      return null;
    }
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < seq.getValue().size(); i++) {
      String ip = p + "[" + i + "]";
      MappingNode m = yaml.mapping(seq.getValue().get(i), ip, List.of("partition", "offset"));
      if (m == null) {
        continue;
      }
      // Not yaml.keys: a null offset is meaningful here (KIP-875: reset this one partition).
      Map<String, Node> k = new LinkedHashMap<>();
      boolean bad = false;
      for (NodeTuple t : m.getValue()) {
        String key = RuleYaml.keyText(t.getKeyNode());
        if (!List.of("partition", "offset").contains(key)) {
          yaml.error(t.getKeyNode(), "unknown key \"" + key + "\" in " + ip + " (allowed: partition, offset)");
          bad = true;
        } else if (k.put(key, t.getValueNode()) != null) {
          yaml.error(t.getKeyNode(), "duplicate key \"" + key + "\" in " + ip);
          bad = true;
        }
      }
      if (bad) {
        continue;
      }
      yaml.require(m, k, ip, "partition", "offset");
      if (k.get("partition") == null || k.get("offset") == null) {
        continue;
      }
      if (!(k.get("partition") instanceof MappingNode pm) || pm.getValue().isEmpty()) {
        yaml.error(k.get("partition"), ip + ".partition must be a non-empty mapping (the connector's source partition,"
            + " e.g. {filename: /data/in.txt}), got " + RuleYaml.describe(k.get("partition")));
        continue;
      }
      Node off = k.get("offset");
      boolean nullOffset = off instanceof ScalarNode s && RuleYaml.isNull(s);
      if (!nullOffset && !(off instanceof MappingNode)) {
        yaml.error(off, ip + ".offset must be a mapping (e.g. {position: 42}) or null (reset this partition), got "
            + RuleYaml.describe(off));
        continue;
      }
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("partition", plain(pm));
      entry.put("offset", nullOffset ? null : plain(off));
      out.add(entry);
    }
    return io.runbookd.model.Json.write(out);
  }

  /** A YAML node as plain Java values: maps, lists, and scalars typed as YAML resolved them. */
  private static Object plain(Node node) {
    if (node instanceof MappingNode m) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (NodeTuple t : m.getValue()) {
        out.put(RuleYaml.keyText(t.getKeyNode()), plain(t.getValueNode()));
      }
      return out;
    }
    if (node instanceof SequenceNode s) {
      List<Object> out = new ArrayList<>();
      s.getValue().forEach(n -> out.add(plain(n)));
      return out;
    }
    ScalarNode s = (ScalarNode) node;
    org.yaml.snakeyaml.nodes.Tag tag = s.getTag();
    if (org.yaml.snakeyaml.nodes.Tag.NULL.equals(tag)) {
      return null;
    }
    if (org.yaml.snakeyaml.nodes.Tag.BOOL.equals(tag)) {
      return Boolean.valueOf(s.getValue());
    }
    if (org.yaml.snakeyaml.nodes.Tag.INT.equals(tag)) {
      try {
        return Long.valueOf(s.getValue());
      } catch (NumberFormatException e) {
        return s.getValue();
      }
    }
    if (org.yaml.snakeyaml.nodes.Tag.FLOAT.equals(tag)) {
      try {
        return Double.valueOf(s.getValue());
      } catch (NumberFormatException e) {
        return s.getValue();
      }
    }
    return s.getValue();
  }

  /** A decimal integer of at most 18 digits; null after reporting. */
  private Long longValue(Node node, String path) {
    if (node instanceof ScalarNode s && s.getValue().matches("-?[0-9]{1,18}")) {
      return Long.valueOf(s.getValue());
    }
    yaml.error(node, path + " must be an integer, got " + RuleYaml.describe(node));
    return null;
  }

  /** {@code revert_config: {validate: true}}. */
  private Step revertConfig(Node params, String p) {
    Map<String, Node> k = params(params, p, List.of("validate"));
    if (k == null) {
      return null;
    }
    Boolean validate = k.get("validate") == null ? Boolean.TRUE : yaml.bool(k.get("validate"), p + ".validate");
    return validate == null ? null : new Step.RevertConfig(validate);
  }

  private static final List<String> HTTP_METHODS = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE");
  private static final java.util.regex.Pattern HEADER_NAME = java.util.regex.Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final java.util.regex.Pattern STATUS = java.util.regex.Pattern.compile("[1-5]xx|[1-5][0-9]{2}(-[1-5][0-9]{2})?");
  /** The default bound of one {@code http} request. */
  static final Duration HTTP_TIMEOUT = Duration.ofSeconds(10);
  /** The longest an {@code http} request may be bounded to. */
  static final Duration HTTP_MAX_TIMEOUT = Duration.ofMinutes(2);
  /** The longest an {@code http} step may poll. */
  static final Duration HTTP_MAX_WITHIN = Duration.ofMinutes(30);

  /** {@code http: {method, url, headers, body, timeout, expect: {status, body}, until: {every, within}}}. */
  private Step httpStep(Node params, String p) {
    Map<String, Node> k = params(params, p, List.of("method", "url", "headers", "body", "timeout", "expect", "until"));
    if (k == null) {
      return null;
    }
    int before = yaml.errorCount();
    yaml.require(params, k, p, "url");
    String method = "GET";
    if (k.get("method") != null) {
      String m = yaml.string(k.get("method"), p + ".method");
      if (m != null && !HTTP_METHODS.contains(m.toUpperCase(java.util.Locale.ROOT))) {
        yaml.error(k.get("method"), p + ".method must be one of " + String.join(", ", HTTP_METHODS) + ", got \"" + m + "\"");
      } else if (m != null) {
        method = m.toUpperCase(java.util.Locale.ROOT);
      }
    }
    Template url = k.get("url") == null ? null : templates.httpTemplate(k.get("url"), p + ".url", true);
    // A URL that starts with an expression is known only when it renders (the request then fails clearly).
    if (url != null && !url.source().strip().matches("(?s)(\\{\\{-?\\s*(labels|annotations)\\b|\\{%).*")) {
      String probe;
      try {
        probe = url.render(TemplateContext.httpProbe());
      } catch (Template.TemplateException e) {
        probe = "http://";
      }
      if (!probe.matches("(?is)https?://.+")) {
        yaml.error(k.get("url"), p + ".url must be an absolute http:// or https:// URL, e.g."
            + " \"{{ schema_registry.url }}/subjects\", got \"" + url.source() + "\"");
      }
    }
    Map<String, Step.Http.Header> headers = new LinkedHashMap<>();
    if (k.get("headers") != null) {
      MappingNode hm = yaml.mapping(k.get("headers"), p + ".headers", List.of());
      if (hm != null) {
        for (NodeTuple t : hm.getValue()) {
          String name = RuleYaml.keyText(t.getKeyNode());
          String hp = p + ".headers." + name;
          if (!HEADER_NAME.matcher(name).matches()) {
            yaml.error(t.getKeyNode(), p + ".headers: invalid header name \"" + name + "\"");
            continue;
          }
          Node v = t.getValueNode();
          if (v instanceof MappingNode vm) {
            Map<String, Node> fk = yaml.keys(vm, hp, List.of("file", "prefix"));
            yaml.require(v, fk, hp, "file");
            String file = fk.get("file") == null ? null : yaml.nonEmptyString(fk.get("file"), hp + ".file");
            String prefix = fk.get("prefix") == null ? "" : yaml.string(fk.get("prefix"), hp + ".prefix");
            if (file != null && !file.startsWith("/")) {
              yaml.error(fk.get("file"), hp + ".file must be an absolute path, got \"" + file + "\"");
            } else if (file != null && prefix != null) {
              headers.put(name, new Step.Http.Header(null, file, prefix));
            }
          } else {
            Template t2 = templates.httpTemplate(v, hp, false);
            if (t2 != null) {
              headers.put(name, new Step.Http.Header(t2, null, null));
            }
          }
        }
      }
    }
    Template body = k.get("body") == null ? null : templates.httpTemplate(k.get("body"), p + ".body", false);
    Duration timeout = k.get("timeout") == null ? HTTP_TIMEOUT : yaml.positiveDuration(k.get("timeout"), p + ".timeout");
    if (timeout != null && timeout.compareTo(HTTP_MAX_TIMEOUT) > 0) {
      yaml.error(k.get("timeout"), p + ".timeout must be at most " + Durations.format(HTTP_MAX_TIMEOUT));
    }
    List<String> status = List.of("2xx");
    io.runbookd.alert.LinearPattern bodyPattern = null;
    if (k.get("expect") != null) {
      MappingNode em = yaml.mapping(k.get("expect"), p + ".expect", List.of("status", "body"));
      Map<String, Node> ek = em == null ? Map.of() : yaml.keys(em, p + ".expect", List.of("status", "body"));
      if (ek.get("status") != null) {
        List<Node> items = ek.get("status") instanceof SequenceNode sq ? sq.getValue() : List.of(ek.get("status"));
        List<String> out = new ArrayList<>();
        for (Node item : items) {
          String st = yaml.string(item, p + ".expect.status");
          if (st != null && !STATUS.matcher(st).matches()) {
            yaml.error(item, p + ".expect.status must be a status (200), a class (2xx) or a range (200-299), got \""
                + st + "\"");
          } else if (st != null && st.contains("-") && Integer.parseInt(st.substring(0, 3)) > Integer.parseInt(st.substring(4))) {
            yaml.error(item, p + ".expect.status: range " + st + " is empty");
          } else if (st != null) {
            out.add(st);
          }
        }
        if (items.isEmpty()) {
          yaml.error(ek.get("status"), p + ".expect.status must list at least one status");
        }
        status = out;
      }
      if (ek.get("body") != null) {
        String re = yaml.nonEmptyString(ek.get("body"), p + ".expect.body");
        if (re != null) {
          try {
            bodyPattern = io.runbookd.alert.LinearPattern.compile(re, false);
          } catch (io.runbookd.alert.LinearPattern.SyntaxException e) {
            yaml.error(ek.get("body"), p + ".expect.body: " + e.getMessage());
          }
        }
      }
    }
    Duration every = null;
    Duration within = null;
    if (k.get("until") != null) {
      MappingNode um = yaml.mapping(k.get("until"), p + ".until", List.of("every", "within"));
      Map<String, Node> uk = um == null ? Map.of() : yaml.keys(um, p + ".until", List.of("every", "within"));
      if (um != null) {
        yaml.require(um, uk, p + ".until", "every", "within");
      }
      every = uk.get("every") == null ? null : yaml.positiveDuration(uk.get("every"), p + ".until.every");
      within = uk.get("within") == null ? null : yaml.positiveDuration(uk.get("within"), p + ".until.within");
      if (within != null && within.compareTo(HTTP_MAX_WITHIN) > 0) {
        yaml.error(uk.get("within"), p + ".until.within must be at most " + Durations.format(HTTP_MAX_WITHIN)
            + " (the poll runs inside the step)");
      } else if (every != null && within != null && every.compareTo(within) >= 0) {
        yaml.error(uk.get("every"), p + ".until.every (" + Durations.format(every) + ") must be shorter than within ("
            + Durations.format(within) + ")");
      }
    }
    if (yaml.errorCount() != before || url == null || timeout == null) {
      return null;
    }
    return new Step.Http(method, url, headers, body, timeout, status, bodyPattern, every, within);
  }

  /** The comment of a silence when the rule gives none. */
  static final String DEFAULT_SILENCE_COMMENT = "runbookd is remediating {{ target.cluster }}/{{ target.connector }}"
      + " (rule {{ rule.name }}, incident {{ incident.id }}): {{ incident.url }}";

  /** {@code silence: {alertmanager, duration, comment, matchers}}. */
  private Step silenceStep(Node params, String p) {
    Map<String, Node> k = params(params, p, List.of("alertmanager", "duration", "comment", "matchers"));
    if (k == null) {
      return null;
    }
    int before = yaml.errorCount();
    String am = k.get("alertmanager") == null ? null : yaml.nonEmptyString(k.get("alertmanager"), p + ".alertmanager");
    Duration duration = k.get("duration") == null ? Duration.ofHours(1)
        : yaml.positiveDuration(k.get("duration"), p + ".duration");
    Template comment = k.get("comment") == null ? Template.compile(DEFAULT_SILENCE_COMMENT)
        : templates.template(k.get("comment"), p + ".comment", false);
    Map<String, Template> matchers = new LinkedHashMap<>();
    if (k.get("matchers") != null) {
      MappingNode mm = yaml.mapping(k.get("matchers"), p + ".matchers", List.of());
      if (mm != null) {
        if (mm.getValue().isEmpty()) {
          yaml.error(mm, p + ".matchers must name at least one label (or leave matchers out for the defaults)");
        }
        for (NodeTuple t : mm.getValue()) {
          String name = RuleYaml.keyText(t.getKeyNode());
          if (!name.matches("[a-zA-Z_][a-zA-Z0-9_]*")) {
            yaml.error(t.getKeyNode(), p + ".matchers: \"" + name + "\" is not a label name");
            continue;
          }
          Template t2 = templates.template(t.getValueNode(), p + ".matchers." + name, false);
          if (t2 != null) {
            matchers.put(name, t2);
          }
        }
      }
    }
    if (yaml.errorCount() != before || duration == null || comment == null) {
      return null;
    }
    return new Step.Silence(am, duration, comment, matchers);
  }

  private static final List<String> SNAPSHOT_KEYS = List.of("type", "data_collections", "data_collections_from_trace",
      "captured_tables", "additional_conditions", "channel", "password_env");
  private static final List<String> SNAPSHOT_TYPES = List.of("incremental", "blocking");
  private static final List<String> SNAPSHOT_CHANNELS = List.of("auto", "kafka", "source");

  /**
   * {@code snapshot: {type, data_collections, data_collections_from_trace, captured_tables, additional_conditions:
   * [{data_collection, filter}], channel, password_env}}.
   */
  private Step snapshot(Node params, String p) {
    Map<String, Node> k = params(params, p, SNAPSHOT_KEYS);
    if (k == null) {
      return null;
    }
    int before = yaml.errorCount();
    String type = "incremental";
    if (k.get("type") != null) {
      String t = yaml.string(k.get("type"), p + ".type");
      if (t != null && !SNAPSHOT_TYPES.contains(t)) {
        yaml.error(k.get("type"), p + ".type must be one of " + String.join(", ", SNAPSHOT_TYPES) + ", got \"" + t + "\"");
      }
      type = t;
    }
    String channel = "auto";
    if (k.get("channel") != null) {
      String c = yaml.string(k.get("channel"), p + ".channel");
      if (c != null && !SNAPSHOT_CHANNELS.contains(c)) {
        yaml.error(k.get("channel"), p + ".channel must be one of " + String.join(", ", SNAPSHOT_CHANNELS) + ", got \""
            + c + "\"");
      }
      channel = c;
    }
    List<String> collections = new ArrayList<>();
    if (k.get("data_collections") != null) {
      SequenceNode seq = yaml.sequence(k.get("data_collections"), p + ".data_collections",
          "a list of table regexes, e.g. [public.orders]");
      if (seq != null) {
        for (int i = 0; i < seq.getValue().size(); i++) {
          String c = yaml.nonEmptyString(seq.getValue().get(i), p + ".data_collections[" + i + "]");
          if (c != null) {
            collections.add(c);
          }
        }
      }
    }
    String fromTrace = null;
    if (k.get("data_collections_from_trace") != null) {
      fromTrace = yaml.nonEmptyString(k.get("data_collections_from_trace"), p + ".data_collections_from_trace");
      if (fromTrace != null) {
        try {
          com.google.re2j.Pattern re = com.google.re2j.Pattern.compile(fromTrace);
          if (re.groupCount() != 1) {
            yaml.error(k.get("data_collections_from_trace"), p + ".data_collections_from_trace must have exactly one"
                + " capture group (the table name), got " + re.groupCount());
          }
        } catch (com.google.re2j.PatternSyntaxException e) {
          yaml.error(k.get("data_collections_from_trace"), p + ".data_collections_from_trace is not a valid RE2"
              + " regular expression: " + e.getMessage());
        }
      }
    }
    Boolean captured = k.get("captured_tables") == null ? Boolean.FALSE
        : yaml.bool(k.get("captured_tables"), p + ".captured_tables");
    if (collections.isEmpty() && k.get("data_collections_from_trace") == null && !Boolean.TRUE.equals(captured)
        && yaml.errorCount() == before) {
      yaml.error(params, p + " needs data_collections (e.g. [public.orders]), data_collections_from_trace or"
          + " captured_tables: true");
    }
    Map<String, String> conditions = new LinkedHashMap<>();
    if (k.get("additional_conditions") != null) {
      SequenceNode seq = yaml.sequence(k.get("additional_conditions"), p + ".additional_conditions",
          "a list of {data_collection, filter}");
      if (seq != null) {
        for (int i = 0; i < seq.getValue().size(); i++) {
          String ip = p + ".additional_conditions[" + i + "]";
          MappingNode m = yaml.mapping(seq.getValue().get(i), ip, List.of("data_collection", "filter"));
          if (m == null) {
            continue;
          }
          Map<String, Node> ck = yaml.keys(m, ip, List.of("data_collection", "filter"));
          if (ck == null) {
            continue;
          }
          yaml.require(m, ck, ip, "data_collection", "filter");
          String dc = ck.get("data_collection") == null ? null : yaml.nonEmptyString(ck.get("data_collection"), ip + ".data_collection");
          String filter = ck.get("filter") == null ? null : yaml.nonEmptyString(ck.get("filter"), ip + ".filter");
          if (dc != null && filter != null) {
            if (conditions.containsKey(dc)) {
              yaml.error(ck.get("data_collection"), ip + ".data_collection \"" + dc + "\" already has a filter");
            }
            conditions.put(dc, filter);
          }
        }
      }
    }
    String passwordEnv = k.get("password_env") == null ? null : yaml.nonEmptyString(k.get("password_env"), p + ".password_env");
    if (yaml.errorCount() != before || type == null || channel == null || captured == null) {
      return null;
    }
    return new Step.Snapshot(type, collections, fromTrace, captured, conditions, channel, passwordEnv);
  }
}
