package io.runbookd.rules;

import io.runbookd.alert.LabelMatcher;
import io.runbookd.alert.LinearPattern;
import io.runbookd.model.ConnectorState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The sections of a rule other than its name and steps: {@code match}, {@code target}, {@code retry},
 * {@code verify}, {@code approval} and {@code escalation}. Each method takes the section's value node
 * (null when the key is absent or empty, which {@link RuleYaml#keys} has reported) and returns the
 * parsed section, its default, or null/empty after reporting errors to the file's {@link RuleYaml}.
 */
final class RuleSections {
  private static final List<String> MATCH_KEYS = List.of("alert", "trace", "status", "consumer_group");
  private static final List<String> STATUS_KEYS = List.of("connector", "tasks");
  private static final List<String> GROUP_KEYS = List.of("state", "lag_above", "lag_growing");
  /** Group states as {@code org.apache.kafka.common.GroupState} names them. */
  static final List<String> GROUP_STATES = List.of("EMPTY", "STABLE", "PREPARING_REBALANCE", "COMPLETING_REBALANCE",
      "DEAD", "ASSIGNING", "RECONCILING", "NOT_READY", "UNKNOWN");
  /** Connector and task states as {@code GET /connectors/{name}/status} shows them. */
  static final List<String> CONNECT_STATES = List.of("UNASSIGNED", "RUNNING", "PAUSED", "FAILED", "RESTARTING",
      "STOPPED");
  private static final List<String> TARGET_KEYS = List.of("cluster", "connector");
  private static final List<String> RETRY_KEYS = List.of("max_attempts", "backoff", "reset_after", "probe");
  private static final List<String> PROBE_KEYS = List.of("tcp", "http", "every", "timeout");
  private static final List<String> HTTP_KEYS = List.of("path", "status", "body");
  /** How often a probe runs between attempts by default. */
  static final Duration DEFAULT_PROBE_EVERY = Duration.ofSeconds(5);
  /** How long one probe may take by default. */
  static final Duration DEFAULT_PROBE_TIMEOUT = Duration.ofSeconds(3);
  private static final List<String> VERIFY_KEYS = List.of("within", "stable_for", "state");
  /** The states a verification may expect (the states an operator or a step can put a connector in). */
  private static final List<String> VERIFY_STATES = List.of("RUNNING", "PAUSED", "STOPPED");
  private static final List<String> ESCALATION_KEYS = List.of("after", "notify", "message");
  private static final List<String> APPROVAL_KEYS = List.of("required", "ttl", "default", "notify");

  /**
   * A rule's {@code match} section.
   *
   * @param matchers the alert label matchers, all of which must hold; empty when not given or invalid
   * @param trace the pattern searched in the connector's and tasks' traces; empty to match any trace
   * @param live the {@code status} and {@code consumer_group} conditions
   */
  record Match(List<LabelMatcher> matchers, Optional<LinearPattern> trace, Rule.LiveState live) {}

  private final RuleYaml yaml;
  private final TemplateChecks templates;
  private final NameChecks names;

  RuleSections(RuleYaml yaml, TemplateChecks templates, NameChecks names) {
    this.yaml = yaml;
    this.templates = templates;
    this.names = names;
  }

  /** {@code match: {alert: [...], trace: regex}}; {@code alert} is required. */
  Match match(Node node) {
    List<LabelMatcher> matchers = List.of();
    Optional<LinearPattern> trace = Optional.empty();
    Rule.StatusCondition status = null;
    Rule.GroupCondition group = null;
    MappingNode match = node == null ? null : yaml.mapping(node, "match", MATCH_KEYS);
    if (match != null) {
      Map<String, Node> mk = yaml.keys(match, "match", MATCH_KEYS);
      yaml.require(match, mk, "match", "alert");
      if (mk.get("alert") != null) {
        matchers = matchers(mk.get("alert"), "match.alert");
      }
      if (mk.get("trace") != null) {
        trace = traceRegex(mk.get("trace"), "match.trace");
      }
      if (mk.get("status") != null) {
        status = statusCondition(mk.get("status"));
      }
      if (mk.get("consumer_group") != null) {
        group = groupCondition(mk.get("consumer_group"));
      }
    }
    return new Match(matchers, trace, new Rule.LiveState(status, group));
  }

  /** {@code match.status: {connector: STATE | [STATE...], tasks: none | [STATE...]}}; null after reporting. */
  private Rule.StatusCondition statusCondition(Node node) {
    MappingNode m = yaml.mapping(node, "match.status", STATUS_KEYS);
    if (m == null) {
      return null;
    }
    Map<String, Node> k = yaml.keys(m, "match.status", STATUS_KEYS);
    java.util.Set<io.runbookd.model.ConnectorState> connector = java.util.Set.of();
    java.util.Set<io.runbookd.model.ConnectorState> tasks = java.util.Set.of();
    boolean none = false;
    if (k.get("connector") != null) {
      connector = states(k.get("connector"), "match.status.connector", CONNECT_STATES).stream()
          .map(io.runbookd.model.ConnectorState::valueOf).collect(java.util.stream.Collectors.toSet());
    }
    Node t = k.get("tasks");
    if (t instanceof ScalarNode s && s.getValue().equals("none")) {
      none = true;
    } else if (t != null) {
      List<String> ts = states(t, "match.status.tasks", CONNECT_STATES);
      if (ts.contains("STOPPED")) {
        yaml.error(t, "match.status.tasks: a task is never STOPPED (only a connector is; a stopped connector lists no"
            + " task: use tasks: none)");
      }
      tasks = ts.stream().map(io.runbookd.model.ConnectorState::valueOf).collect(java.util.stream.Collectors.toSet());
    }
    if (k.get("connector") == null && k.get("tasks") == null) {
      yaml.error(m, "match.status needs connector or tasks");
      return null;
    }
    return new Rule.StatusCondition(connector, none, tasks);
  }

  /** {@code match.consumer_group: {state, lag_above, lag_growing}}; null after reporting. */
  private Rule.GroupCondition groupCondition(Node node) {
    MappingNode m = yaml.mapping(node, "match.consumer_group", GROUP_KEYS);
    if (m == null) {
      return null;
    }
    Map<String, Node> k = yaml.keys(m, "match.consumer_group", GROUP_KEYS);
    java.util.Set<String> states = java.util.Set.of();
    Long lagAbove = null;
    Duration growing = null;
    if (k.get("state") != null) {
      states = java.util.Set.copyOf(states(k.get("state"), "match.consumer_group.state", GROUP_STATES));
    }
    if (k.get("lag_above") != null) {
      Node n = k.get("lag_above");
      if (n instanceof ScalarNode s && s.getValue().matches("[0-9]{1,18}")) {
        lagAbove = Long.valueOf(s.getValue());
      } else {
        yaml.error(n, "match.consumer_group.lag_above must be a number of records (0 or more), got "
            + RuleYaml.describe(n));
      }
    }
    if (k.get("lag_growing") != null) {
      growing = yaml.positiveDuration(k.get("lag_growing"), "match.consumer_group.lag_growing");
    }
    if (k.get("state") == null && k.get("lag_above") == null && k.get("lag_growing") == null) {
      yaml.error(m, "match.consumer_group needs state, lag_above or lag_growing");
      return null;
    }
    return new Rule.GroupCondition(states, lagAbove, growing);
  }

  /** One state or a list of states, each one of {@code allowed} (upper case); empty after reporting. */
  private List<String> states(Node node, String path, List<String> allowed) {
    List<Node> items = node instanceof SequenceNode seq ? seq.getValue() : List.of(node);
    List<String> out = new ArrayList<>();
    for (Node n : items) {
      String v = n instanceof ScalarNode s && !RuleYaml.isNull(s) ? s.getValue() : null;
      if (v == null || !allowed.contains(v)) {
        yaml.error(n, path + " must be one of " + String.join(", ", allowed) + " (or a list of them), got "
            + RuleYaml.describe(n));
      } else {
        out.add(v);
      }
    }
    if (items.isEmpty()) {
      yaml.error(node, path + " must not be an empty list");
    }
    return out;
  }

  /**
   * {@code target: {cluster, connector}}; {@code connector} is required, {@code cluster} defaults to
   * {@link RuleLoader#DEFAULT_CLUSTER}. Null when absent or after reporting.
   */
  Rule.Target target(Node node) {
    MappingNode t = node == null ? null : yaml.mapping(node, "target", TARGET_KEYS);
    if (t == null) {
      return null;
    }
    Map<String, Node> tk = yaml.keys(t, "target", TARGET_KEYS);
    yaml.require(t, tk, "target", "connector");
    Template cluster = tk.get("cluster") == null
        ? Template.compile(RuleLoader.DEFAULT_CLUSTER)
        : templates.template(tk.get("cluster"), "target.cluster", true);
    if (cluster != null && tk.get("cluster") != null) {
      names.cluster(tk.get("cluster"), cluster.source());
    }
    Template connector = tk.get("connector") == null
        ? null : templates.template(tk.get("connector"), "target.connector", true);
    return cluster != null && connector != null ? new Rule.Target(cluster, connector) : null;
  }

  /** {@code retry: {max_attempts, backoff, reset_after, probe}}; invalid values keep their defaults. */
  Rule.RetryPolicy retry(Node node) {
    int maxAttempts = RuleLoader.DEFAULT_MAX_ATTEMPTS;
    List<Duration> backoff = List.of();
    Duration resetAfter = RuleLoader.DEFAULT_RESET_AFTER;
    Rule.Probe probe = null;
    MappingNode m = node == null ? null : yaml.mapping(node, "retry", RETRY_KEYS);
    if (m != null) {
      Map<String, Node> k = yaml.keys(m, "retry", RETRY_KEYS);
      if (k.get("max_attempts") != null) {
        Integer n = yaml.integer(k.get("max_attempts"), "retry.max_attempts");
        if (n != null && n < 1) {
          yaml.error(k.get("max_attempts"), "retry.max_attempts must be at least 1, got " + n);
        } else if (n != null) {
          maxAttempts = n;
        }
      }
      if (k.get("backoff") != null) {
        SequenceNode seq = yaml.sequence(k.get("backoff"), "retry.backoff", "a list of durations");
        if (seq != null) {
          List<Duration> b = new ArrayList<>();
          for (int i = 0; i < seq.getValue().size(); i++) {
            Duration d = yaml.duration(seq.getValue().get(i), "retry.backoff[" + i + "]");
            if (d != null) {
              b.add(d);
            }
          }
          backoff = b;
          if (seq.getValue().size() > maxAttempts) {
            yaml.error(seq, "retry.backoff has " + seq.getValue().size() + " entries but retry.max_attempts is "
                + maxAttempts + "; entries after the " + ordinal(maxAttempts) + " would never be used");
          }
        }
      }
      if (k.get("reset_after") != null) {
        resetAfter = orDefault(yaml.duration(k.get("reset_after"), "retry.reset_after"), resetAfter);
      }
      probe = k.get("probe") == null ? null : probe(k.get("probe"));
    }
    return new Rule.RetryPolicy(maxAttempts, backoff, resetAfter, probe);
  }

  /**
   * {@code retry.probe}: {@code tcp}, {@code http}, or {@code {tcp: {}|http: {path, status, body}, every,
   * timeout}}.
   */
  private Rule.Probe probe(Node node) {
    if (node instanceof org.yaml.snakeyaml.nodes.ScalarNode) {
      String kind = yaml.string(node, "retry.probe");
      if ("tcp".equals(kind) || "http".equals(kind)) {
        return new Rule.Probe("http".equals(kind), null, 0, null, DEFAULT_PROBE_EVERY, DEFAULT_PROBE_TIMEOUT);
      }
      yaml.error(node, "retry.probe must be tcp, http, or a mapping {tcp: {}} / {http: {path, status, body}}, got \""
          + kind + "\"");
      return null;
    }
    MappingNode m = yaml.mapping(node, "retry.probe", PROBE_KEYS);
    if (m == null) {
      return null;
    }
    Map<String, Node> k = yaml.keys(m, "retry.probe", PROBE_KEYS);
    if ((k.get("tcp") == null) == (k.get("http") == null)) {
      yaml.error(m, "retry.probe needs exactly one of tcp or http");
      return null;
    }
    Duration every = k.get("every") == null ? null : yaml.positiveDuration(k.get("every"), "retry.probe.every");
    Duration timeout = k.get("timeout") == null ? null : yaml.positiveDuration(k.get("timeout"), "retry.probe.timeout");
    String path = null;
    int status = 0;
    LinearPattern body = null;
    Node http = k.get("http");
    if (http != null && !(http instanceof org.yaml.snakeyaml.nodes.ScalarNode s && RuleYaml.isNull(s))) {
      MappingNode hm = yaml.mapping(http, "retry.probe.http", HTTP_KEYS);
      Map<String, Node> hk = hm == null ? Map.of() : yaml.keys(hm, "retry.probe.http", HTTP_KEYS);
      path = hk.get("path") == null ? null : yaml.nonEmptyString(hk.get("path"), "retry.probe.http.path");
      if (path != null && !path.startsWith("/")) {
        yaml.error(hk.get("path"), "retry.probe.http.path must start with /, got \"" + path + "\"");
        path = null;
      }
      Integer st = hk.get("status") == null ? null : yaml.integer(hk.get("status"), "retry.probe.http.status");
      if (st != null && (st < 100 || st > 599)) {
        yaml.error(hk.get("status"), "retry.probe.http.status must be an HTTP status (100-599), got " + st);
      } else if (st != null) {
        status = st;
      }
      body = hk.get("body") == null ? null : traceRegex(hk.get("body"), "retry.probe.http.body").orElse(null);
    }
    return new Rule.Probe(http != null, path, status, body, orDefault(every, DEFAULT_PROBE_EVERY),
        orDefault(timeout, DEFAULT_PROBE_TIMEOUT));
  }

  /** {@code verify: {within, stable_for, state}}; invalid values keep their defaults. */
  Rule.Verify verify(Node node) {
    MappingNode m = node == null ? null : yaml.mapping(node, "verify", VERIFY_KEYS);
    Map<String, Node> k = m == null ? Map.of() : yaml.keys(m, "verify", VERIFY_KEYS);
    Duration within = k.get("within") == null ? null : yaml.positiveDuration(k.get("within"), "verify.within");
    Duration stableFor = k.get("stable_for") == null ? null : yaml.duration(k.get("stable_for"), "verify.stable_for");
    ConnectorState state = ConnectorState.RUNNING;
    if (k.get("state") != null) {
      String s = yaml.string(k.get("state"), "verify.state");
      if (s != null && !VERIFY_STATES.contains(s)) {
        yaml.error(k.get("state"), "verify.state must be one of " + String.join(", ", VERIFY_STATES) + ", got \""
            + s + "\"");
      } else if (s != null) {
        state = ConnectorState.valueOf(s);
      }
    }
    return new Rule.Verify(orDefault(within, RuleLoader.DEFAULT_VERIFY_WITHIN),
        orDefault(stableFor, RuleLoader.DEFAULT_VERIFY_STABLE_FOR), state);
  }

  /**
   * {@code approval: {required, ttl, default, notify}}: {@link Rule.Approval#DEFAULT} when absent;
   * null after reporting.
   */
  Rule.Approval approval(Node node) {
    Rule.Approval d = Rule.Approval.DEFAULT;
    if (node == null) {
      return d;
    }
    MappingNode m = yaml.mapping(node, "approval", APPROVAL_KEYS);
    if (m == null) {
      return null;
    }
    int before = yaml.errorCount();
    Map<String, Node> k = yaml.keys(m, "approval", APPROVAL_KEYS);
    Rule.Approval.Required required = d.required();
    if (k.get("required") != null) {
      String r = yaml.string(k.get("required"), "approval.required");
      if (r != null) {
        switch (r) {
          case "auto" -> required = Rule.Approval.Required.AUTO;
          case "always" -> required = Rule.Approval.Required.ALWAYS;
          case "never" -> required = Rule.Approval.Required.NEVER;
          default -> yaml.error(k.get("required"), "approval.required must be auto, always or never, got \"" + r + "\"");
        }
      }
    }
    Duration ttl = k.get("ttl") == null ? d.ttl() : yaml.positiveDuration(k.get("ttl"), "approval.ttl");
    Boolean defaultApprove = k.get("default") == null ? Boolean.FALSE
        : yaml.decision(k.get("default"), "approval.default");
    String notifier = k.get("notify") == null ? null
        : names.notifier(k.get("notify"), "approval.notify", "approval.notify");
    if (yaml.errorCount() != before || ttl == null || defaultApprove == null) {
      return null;
    }
    return new Rule.Approval(required, ttl, defaultApprove, notifier);
  }

  /**
   * {@code escalation: [{after, notify, message}, ...]}, {@code after} strictly increasing; the valid
   * levels (the rule is not built when any is invalid).
   */
  List<Rule.EscalationLevel> escalation(Node node) {
    SequenceNode seq = yaml.sequence(node, "escalation", "a list of escalation levels");
    if (seq == null) {
      return List.of();
    }
    List<Rule.EscalationLevel> out = new ArrayList<>();
    Duration previous = null;
    int previousIndex = -1;
    for (int i = 0; i < seq.getValue().size(); i++) {
      String path = "escalation[" + i + "]";
      MappingNode m = yaml.mapping(seq.getValue().get(i), path, ESCALATION_KEYS);
      if (m == null) {
        continue;
      }
      Map<String, Node> k = yaml.keys(m, path, ESCALATION_KEYS);
      yaml.require(m, k, path, "after", "notify");
      Duration after = k.get("after") == null ? null : yaml.duration(k.get("after"), path + ".after");
      if (after != null && previous != null && after.compareTo(previous) <= 0) {
        yaml.error(k.get("after"), path + ".after (" + Durations.format(after) + ") must be later than escalation["
            + previousIndex + "].after (" + Durations.format(previous) + ")");
      }
      if (after != null) {
        previous = after;
        previousIndex = i;
      }
      String notifier = k.get("notify") == null ? null
          : names.notifier(k.get("notify"), path + ".notify", path + ".notify");
      Template message = templates.message(k.get("message"), path + ".message");
      if (after != null && notifier != null && message != null) {
        out.add(new Rule.EscalationLevel(after, notifier, message));
      }
    }
    return out;
  }

  private List<LabelMatcher> matchers(Node node, String path) {
    if (node instanceof ScalarNode s && !RuleYaml.isNull(s)) {
      yaml.error(node, path + " must be a list of matchers, got " + RuleYaml.describe(node)
          + "; write it as a list: ['" + s.getValue() + "']");
      return List.of();
    }
    SequenceNode seq = yaml.sequence(node, path, "a list of matchers");
    if (seq == null) {
      return List.of();
    }
    if (seq.getValue().isEmpty()) {
      yaml.error(node, path + " must list at least one matcher, e.g. 'alertname=\"KafkaConnectTaskFailure\"'");
      return List.of();
    }
    List<LabelMatcher> out = new ArrayList<>();
    for (int i = 0; i < seq.getValue().size(); i++) {
      Node item = seq.getValue().get(i);
      String text = yaml.string(item, path + "[" + i + "]");
      if (text == null) {
        continue;
      }
      try {
        out.add(LabelMatcher.parse(text));
      } catch (IllegalArgumentException e) {
        yaml.error(item, path + "[" + i + "]: " + e.getMessage());
      }
    }
    return out;
  }

  /**
   * A trace pattern: RE2 syntax (plus Java's free-spacing flag), refused when invalid, when RE2
   * cannot express it (a backreference, a lookaround...) or when it matches the empty string.
   */
  private Optional<LinearPattern> traceRegex(Node node, String path) {
    String re = yaml.string(node, path);
    if (re == null) {
      return Optional.empty();
    }
    if (re.isEmpty()) {
      yaml.error(node, path + " must not be empty; leave it out to match any trace");
      return Optional.empty();
    }
    LinearPattern p;
    try {
      p = LinearPattern.compile(re, false);
    } catch (LinearPattern.SyntaxException e) {
      yaml.error(node, path + ": " + (e.unsupported() ? "unsupported" : "invalid") + " regular expression \""
          + oneLine(re) + "\": " + e.description() + (e.index() >= 0 ? " near index " + e.index() : ""));
      return Optional.empty();
    }
    if (p.find("") >= 0) {
      yaml.error(node, path + ": regular expression \"" + oneLine(re) + "\" matches the empty string, so it matches"
          + " every trace; leave match.trace out to match any trace");
      return Optional.empty();
    }
    return Optional.of(p);
  }

  /** A pattern quoted in a one-line message: line breaks written as {@code \n}. */
  private static String oneLine(String re) {
    return re.replace("\r", "\\r").replace("\n", "\\n");
  }

  private static Duration orDefault(Duration value, Duration fallback) {
    return value == null ? fallback : value;
  }

  /** 1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st. */
  private static String ordinal(int n) {
    int mod100 = n % 100;
    String suffix = mod100 >= 11 && mod100 <= 13 ? "th"
        : switch (n % 10) {
          case 1 -> "st";
          case 2 -> "nd";
          case 3 -> "rd";
          default -> "th";
        };
    return n + suffix;
  }
}
