package io.runbookd.rules;

import io.pebbletemplates.pebble.error.PebbleException;
import io.runbookd.alert.LabelMatcher;
import io.runbookd.model.ConnectorState;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Loads rule files strictly into a {@link RuleSet}. The schema is documented in
 * {@code rules/README.md}.
 *
 * <p>Sources are files and directories. A directory contributes its {@code *.yaml} and
 * {@code *.yml} files (not its subdirectories, not hidden files), sorted by file name; a file
 * named explicitly is read whatever its extension. Rules keep file order, so the rule set's order
 * is the order of the paths given, then file names, then position in the file.
 *
 * <p>Loading is all-or-nothing: any problem in any file fails the whole load with a
 * {@link RuleLoadException} listing every problem found (not just the first), each with its file,
 * the 1-based line of the offending key or value, and the rule it is in. Everything is checked
 * at load: YAML syntax, unknown and duplicate keys, types, required keys, rule names (unique
 * across all files), label matchers, trace regexes, durations, templates (compiled, and checked
 * for variables that do not exist), steps and their parameters, escalation order, and, when the
 * {@link Context} gives them, notifier and Connect cluster names.
 *
 * <p>Thread-safe: instances hold no mutable state.
 */
public final class RuleLoader {

  /** Valid rule names. Rule names are metric label values and appear in logs and URLs. */
  public static final Pattern RULE_NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]*");

  /** {@code target.cluster} when the rule does not set it. */
  public static final String DEFAULT_CLUSTER = "{{ labels.connect_cluster }}";

  /** {@code retry.max_attempts} when the rule does not set it. */
  public static final int DEFAULT_MAX_ATTEMPTS = 6;

  /** {@code retry.reset_after} when the rule does not set it. */
  public static final Duration DEFAULT_RESET_AFTER = Duration.ofMinutes(30);

  /** {@code verify.within} when the rule does not set it. */
  public static final Duration DEFAULT_VERIFY_WITHIN = Duration.ofMinutes(5);

  /** {@code verify.stable_for} when the rule does not set it. */
  public static final Duration DEFAULT_VERIFY_STABLE_FOR = Duration.ofSeconds(60);

  /** The message of a {@code notify} step or an escalation level that does not set one. */
  public static final String DEFAULT_MESSAGE =
      "[runbookd] {{ target.cluster }}/{{ target.connector }} is {{ status.state }} (rule {{ rule.name }},"
          + " incident {{ incident.id }}, {{ incident.attempts }} attempts): {{ trace.cause }}";

  /** The steps this version runs, in the order the README lists them. */
  public static final List<String> STEP_TYPES =
      List.of("restart", "restart_task", "pause", "resume", "stop", "patch_config", "wait", "wait_for", "notify",
          "approve");

  /** Steps from the design's catalogue that this version does not run yet. */
  private static final Set<String> PLANNED_STEPS =
      Set.of("reset_offsets", "recreate", "reset_consumer_group", "snapshot", "dlq_replay", "http", "silence");

  private static final List<String> FILE_KEYS = List.of("rules");
  private static final List<String> RULE_KEYS =
      List.of("name", "description", "dry_run", "match", "target", "retry", "verify", "approval", "steps",
          "escalation");
  private static final List<String> MATCH_KEYS = List.of("alert", "trace");
  private static final List<String> TARGET_KEYS = List.of("cluster", "connector");
  private static final List<String> RETRY_KEYS = List.of("max_attempts", "backoff", "reset_after");
  private static final List<String> VERIFY_KEYS = List.of("within", "stable_for");
  private static final List<String> ESCALATION_KEYS = List.of("after", "notify", "message");
  private static final List<String> APPROVAL_KEYS = List.of("required", "ttl", "default", "notify");
  private static final List<String> APPROVE_STEP_KEYS = List.of("ttl", "default", "notify");
  private static final List<String> WAIT_FOR_STATES = List.of("RUNNING", "PAUSED", "STOPPED");

  /** Pebble's render-time message for an unknown filter or function. */
  private static final Pattern UNKNOWN_CALLABLE =
      Pattern.compile("(Filter|Function or Macro) \\[(.+)\\] does not exist\\.?");

  /**
   * What rules may refer to, from runbookd.yaml.
   *
   * @param clusters names of the Connect clusters; null means "do not check" (for
   *     {@code runbookd check-rules} without a config)
   * @param notifiers names of the notifiers; null means "do not check"
   */
  public record Context(Set<String> clusters, Set<String> notifiers) {
    public Context {
      clusters = clusters == null ? null : Set.copyOf(clusters);
      notifiers = notifiers == null ? null : Set.copyOf(notifiers);
    }

    /** A context that checks no names. */
    public static Context unchecked() {
      return new Context(null, null);
    }
  }

  private final Context context;
  private final Clock clock;

  /**
   * @param context the names rules may refer to
   * @param clock gives {@link RuleSet#loadedAt()}
   */
  public RuleLoader(Context context, Clock clock) {
    this.context = Objects.requireNonNull(context, "context");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Loads rule files and directories, in the order given.
   *
   * @param paths files and directories; a path given twice (or a file also inside a given
   *     directory) is read once
   * @throws RuleLoadException listing every problem in every file; also when a path does not
   *     exist, cannot be read, or is a directory without rule files, or when no path is given
   */
  public RuleSet load(List<Path> paths) throws RuleLoadException {
    if (paths.isEmpty()) {
      throw new RuleLoadException(List.of(new RuleError("<none>", 0, null, "no rule files or directories given")));
    }
    List<RuleError> errors = new ArrayList<>();
    List<Map.Entry<String, String>> sources = new ArrayList<>();
    Set<Path> seen = new HashSet<>();
    for (Path path : paths) {
      List<Path> files;
      if (Files.isDirectory(path)) {
        try (Stream<Path> s = Files.list(path)) {
          files = s.filter(p -> {
                String n = p.getFileName().toString();
                return !n.startsWith(".") && (n.endsWith(".yaml") || n.endsWith(".yml")) && !Files.isDirectory(p);
              })
              .sorted(Comparator.comparing(p -> p.getFileName().toString()))
              .toList();
        } catch (IOException e) {
          errors.add(new RuleError(path.toString(), 0, null, "cannot list directory: " + e.getMessage()));
          continue;
        }
        if (files.isEmpty()) {
          errors.add(new RuleError(path.toString(), 0, null, "no rule files (*.yaml, *.yml) in directory"));
        }
      } else {
        files = List.of(path);
      }
      for (Path file : files) {
        if (!seen.add(file.toAbsolutePath().normalize())) {
          continue;
        }
        try {
          sources.add(Map.entry(file.toString(), Files.readString(file)));
        } catch (NoSuchFileException e) {
          errors.add(new RuleError(file.toString(), 0, null, "no such file or directory"));
        } catch (CharacterCodingException e) {
          errors.add(new RuleError(file.toString(), 0, null, "cannot read: not valid UTF-8"));
        } catch (IOException e) {
          errors.add(new RuleError(file.toString(), 0, null, "cannot read: " + e.getMessage()));
        }
      }
    }
    return build(sources, errors);
  }

  /**
   * Loads one rule file from memory (for tests, {@code runbookd test-rules} and the API).
   *
   * @param file the name to use in errors and in {@link Rule.Source}
   * @param yaml the file's content
   * @throws RuleLoadException listing every problem
   */
  public RuleSet parse(String file, String yaml) throws RuleLoadException {
    return build(List.of(Map.entry(file, yaml)), new ArrayList<>());
  }

  private RuleSet build(List<Map.Entry<String, String>> sources, List<RuleError> errors) throws RuleLoadException {
    List<Rule> rules = new ArrayList<>();
    Map<String, Rule.Source> names = new HashMap<>();
    List<String> files = new ArrayList<>();
    for (Map.Entry<String, String> source : sources) {
      files.add(source.getKey());
      FileParser parser = new FileParser(source.getKey(), names);
      parser.parse(source.getValue());
      rules.addAll(parser.rules);
      errors.addAll(parser.errors);
    }
    if (!errors.isEmpty()) {
      throw new RuleLoadException(errors);
    }
    return new RuleSet(rules, files, clock.instant());
  }

  /** Parses one file; collects its rules and its errors (sorted by line). */
  private final class FileParser {
    private final String file;
    private final Map<String, Rule.Source> names;
    private final List<Rule> rules = new ArrayList<>();
    private final List<RuleError> errors = new ArrayList<>();
    /** The name of the rule being parsed, for error messages; null outside rules. */
    private String rule;
    /** The approval block of the rule being parsed (defaults of its approve steps); null outside rules. */
    private Rule.Approval approval;
    /** Per mapping, the keys suggested for its unknown keys: not reported again as missing. */
    private final Map<Node, Set<String>> suggested = new IdentityHashMap<>();

    FileParser(String file, Map<String, Rule.Source> names) {
      this.file = file;
      this.names = names;
    }

    void parse(String text) {
      Node root;
      try {
        LoaderOptions options = new LoaderOptions();
        options.setAllowRecursiveKeys(false);
        root = new Yaml(options).compose(new StringReader(text));
      } catch (MarkedYAMLException e) {
        Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
        String msg = "YAML syntax error: " + e.getProblem();
        if (e.getContext() != null && e.getContextMark() != null) {
          msg += " (" + e.getContext() + " at line " + (e.getContextMark().getLine() + 1) + ")";
        }
        errors.add(new RuleError(file, mark == null ? 1 : mark.getLine() + 1, null, msg));
        return;
      } catch (YAMLException e) {
        errors.add(new RuleError(file, 1, null, "YAML error: " + e.getMessage()));
        return;
      }
      if (root == null) {
        errors.add(new RuleError(file, 1, null, "the file is empty; it must have a top-level \"rules:\" list"));
        return;
      }
      if (!(root instanceof MappingNode top)) {
        error(root, "the file must be a mapping with a top-level \"rules:\" list, got " + describe(root));
        return;
      }
      Map<String, Node> keys = keys(top, "the file", FILE_KEYS);
      Node list = keys.get("rules");
      if (list == null) {
        if (!keys.containsKey("rules")) {
          error(top, "missing top-level key \"rules\"");
        }
      } else if (!(list instanceof SequenceNode seq)) {
        error(list, "rules must be a list of rules, each starting with \"- name:\", got " + describe(list));
      } else {
        for (int i = 0; i < seq.getValue().size(); i++) {
          parseRule(seq.getValue().get(i), i);
        }
      }
      errors.sort(Comparator.comparingInt(RuleError::line));
    }

    // ---------------------------------------------------------------- rule

    private void parseRule(Node node, int index) {
      rule = null;
      if (!(node instanceof MappingNode m)) {
        error(node, "rules[" + index + "] must be a mapping (a rule), got " + describe(node));
        return;
      }
      // The name comes first so that every other error can name the rule.
      Node nameNode = valueOf(m, "name");
      if (nameNode instanceof ScalarNode s && !isNull(s) && !s.getValue().isEmpty()) {
        rule = s.getValue();
      }
      int before = errors.size();
      Map<String, Node> keys = keys(m, "rule", RULE_KEYS);
      require(m, keys, "rule", "name", "match", "target", "steps");

      String name = null;
      if (keys.get("name") != null) {
        name = string(keys.get("name"), "name");
        if (name != null && !RULE_NAME.matcher(name).matches()) {
          error(keys.get("name"), "invalid rule name: use lowercase letters, digits, '.', '_' and '-', starting"
              + " with a letter or digit (e.g. \"connect-db-connection-refused\")");
          name = null;
        }
      }
      Rule.Source source = new Rule.Source(file, line(m));
      if (name != null) {
        Rule.Source first = names.putIfAbsent(name, source);
        if (first != null) {
          error(keys.get("name"), "duplicate rule name; first defined at " + first);
        }
      }
      String description = keys.get("description") == null ? "" : string(keys.get("description"), "description");
      Boolean dryRun = keys.get("dry_run") == null ? Boolean.FALSE : bool(keys.get("dry_run"), "dry_run");

      List<LabelMatcher> matchers = List.of();
      Optional<Pattern> trace = Optional.empty();
      MappingNode match = keys.get("match") == null ? null : mapping(keys.get("match"), "match", MATCH_KEYS);
      if (match != null) {
        Map<String, Node> mk = keys(match, "match", MATCH_KEYS);
        require(match, mk, "match", "alert");
        if (mk.get("alert") != null) {
          matchers = matchers(mk.get("alert"), "match.alert");
        }
        if (mk.get("trace") != null) {
          trace = traceRegex(mk.get("trace"), "match.trace");
        }
      }

      Rule.Target target = null;
      MappingNode t = keys.get("target") == null ? null : mapping(keys.get("target"), "target", TARGET_KEYS);
      if (t != null) {
        Map<String, Node> tk = keys(t, "target", TARGET_KEYS);
        require(t, tk, "target", "connector");
        Template cluster = tk.get("cluster") == null
            ? Template.compile(DEFAULT_CLUSTER)
            : template(tk.get("cluster"), "target.cluster", true);
        if (cluster != null && tk.get("cluster") != null) {
          checkCluster(tk.get("cluster"), cluster.source());
        }
        Template connector = tk.get("connector") == null ? null : template(tk.get("connector"), "target.connector", true);
        if (cluster != null && connector != null) {
          target = new Rule.Target(cluster, connector);
        }
      }

      Rule.RetryPolicy retry = retry(keys.get("retry"));
      Rule.Verify verify = verify(keys.get("verify"));
      approval = approval(keys.get("approval"));
      List<Step> steps = keys.get("steps") == null ? List.of() : steps(keys.get("steps"));
      List<Rule.EscalationLevel> escalation =
          keys.get("escalation") == null ? List.of() : escalation(keys.get("escalation"));

      Node stepsNode = keys.get("steps");
      if (stepsNode instanceof SequenceNode s && s.getValue().isEmpty()
          && escalation.isEmpty() && errors.size() == before) {
        error(stepsNode, "steps is empty and there is no escalation, so the rule would do nothing; add a step"
            + " or an escalation level");
      }
      if (errors.size() == before && approval != null && stepsNode instanceof SequenceNode seq) {
        checkGates(steps, seq, keys.get("approval"));
      }
      if (errors.size() == before && approval != null) {
        rules.add(new Rule(name, description, source, matchers, trace, target, retry, verify, steps, escalation,
            dryRun, approval));
      }
      rule = null;
      approval = null;
    }

    /** The rule's {@code approval:} block; null after reporting an error. */
    private Rule.Approval approval(Node node) {
      Rule.Approval d = Rule.Approval.DEFAULT;
      if (node == null) {
        return d;
      }
      MappingNode m = mapping(node, "approval", APPROVAL_KEYS);
      if (m == null) {
        return null;
      }
      int before = errors.size();
      Map<String, Node> k = keys(m, "approval", APPROVAL_KEYS);
      Rule.Approval.Required required = d.required();
      if (k.get("required") != null) {
        String r = string(k.get("required"), "approval.required");
        if (r != null) {
          switch (r) {
            case "auto" -> required = Rule.Approval.Required.AUTO;
            case "always" -> required = Rule.Approval.Required.ALWAYS;
            case "never" -> required = Rule.Approval.Required.NEVER;
            default -> error(k.get("required"), "approval.required must be auto, always or never, got \"" + r + "\"");
          }
        }
      }
      Duration ttl = k.get("ttl") == null ? d.ttl() : ttl(k.get("ttl"), "approval.ttl");
      Boolean defaultApprove = k.get("default") == null ? Boolean.FALSE : decision(k.get("default"), "approval.default");
      String notifier = null;
      if (k.get("notify") != null) {
        notifier = nonEmptyString(k.get("notify"), "approval.notify");
        if (notifier != null) {
          checkNotifier(k.get("notify"), notifier, "approval.notify");
        }
      }
      if (errors.size() != before || ttl == null || defaultApprove == null) {
        return null;
      }
      return new Rule.Approval(required, ttl, defaultApprove, notifier);
    }

    private Duration ttl(Node node, String path) {
      Duration d = duration(node, path);
      if (d != null && d.isZero()) {
        error(node, path + " must be longer than 0s");
        return null;
      }
      return d;
    }

    /** {@code approve} or {@code reject}, as true or false; null after reporting an error. */
    private Boolean decision(Node node, String path) {
      String v = string(node, path);
      if (v == null) {
        return null;
      }
      if (v.equals("approve") || v.equals("reject")) {
        return v.equals("approve");
      }
      error(node, path + " must be approve or reject, got \"" + v + "\"");
      return null;
    }

    /**
     * The approval gates of a rule whose steps all parsed: each {@code approve} step must be followed by
     * a step to approve, and a rule whose attempts need an approval before their first step must say who
     * approves.
     */
    private void checkGates(List<Step> steps, SequenceNode seq, Node approvalNode) {
      for (int i = 0; i < steps.size(); i++) {
        if (!(steps.get(i) instanceof Step.Approve)) {
          continue;
        }
        String path = "steps[" + i + "].approve";
        if (i == steps.size() - 1) {
          error(seq.getValue().get(i), path + " is the last step, so there is nothing to approve; put it before"
              + " the steps it guards");
        } else if (steps.get(i + 1) instanceof Step.Approve) {
          error(seq.getValue().get(i + 1), "steps[" + (i + 1) + "].approve follows " + path
              + " with nothing to approve between them; remove one");
        }
      }
      if (approval.notifier() != null) {
        return;
      }
      Rule probe = new Rule("probe", "", new Rule.Source(file, 1), List.of(), Optional.empty(),
          new Rule.Target(Template.compile("x"), Template.compile("x")), new Rule.RetryPolicy(1, List.of(), Duration.ZERO),
          new Rule.Verify(Duration.ofSeconds(1), Duration.ZERO), steps, List.of(), false, approval);
      if (!probe.approvalBeforeSteps()) {
        return;
      }
      if (approval.required() == Rule.Approval.Required.ALWAYS) {
        error(approvalNode, "approval.required: always needs approval.notify (who is asked to approve)");
        return;
      }
      int i = probe.firstUngatedDestructiveStep();
      Step s = steps.get(i);
      error(seq.getValue().get(i), "steps[" + i + "]." + s.type() + " " + whyDestructive(s) + ", so attempts need an"
          + " approval: set approval.notify (who is asked to approve), put an approve step before it, or set"
          + " approval.required: never");
    }

    private String whyDestructive(Step s) {
      if (s instanceof Step.PatchConfig) {
        return "sets errors.tolerance: all, which can drop records";
      }
      return "is destructive";
    }

    private List<LabelMatcher> matchers(Node node, String path) {
      if (node instanceof ScalarNode s && !isNull(s)) {
        error(node, path + " must be a list of matchers, got " + describe(node) + "; write it as a list: ['"
            + s.getValue() + "']");
        return List.of();
      }
      SequenceNode seq = sequence(node, path, "a list of matchers");
      if (seq == null) {
        return List.of();
      }
      if (seq.getValue().isEmpty()) {
        error(node, path + " must list at least one matcher, e.g. 'alertname=\"KafkaConnectTaskFailure\"'");
        return List.of();
      }
      List<LabelMatcher> out = new ArrayList<>();
      for (int i = 0; i < seq.getValue().size(); i++) {
        Node item = seq.getValue().get(i);
        String text = string(item, path + "[" + i + "]");
        if (text == null) {
          continue;
        }
        try {
          out.add(LabelMatcher.parse(text));
        } catch (IllegalArgumentException e) {
          error(item, path + "[" + i + "]: " + e.getMessage());
        }
      }
      return out;
    }

    private Optional<Pattern> traceRegex(Node node, String path) {
      String re = string(node, path);
      if (re == null) {
        return Optional.empty();
      }
      if (re.isEmpty()) {
        error(node, path + " must not be empty; leave it out to match any trace");
        return Optional.empty();
      }
      Pattern p;
      try {
        p = Pattern.compile(re);
      } catch (PatternSyntaxException e) {
        error(node, path + ": invalid regular expression \"" + re + "\": " + e.getDescription()
            + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""));
        return Optional.empty();
      }
      if (p.matcher("").find()) {
        error(node, path + ": regular expression \"" + re + "\" matches the empty string, so it matches every"
            + " trace; leave match.trace out to match any trace");
        return Optional.empty();
      }
      return Optional.of(p);
    }

    private void checkCluster(Node node, String cluster) {
      if (context.clusters() == null || isTemplated(cluster) || context.clusters().contains(cluster)) {
        return;
      }
      error(node, "undefined Connect cluster \"" + cluster + "\" used in target.cluster " + defined(context.clusters()));
    }

    private void checkNotifier(Node node, String notifier, String usedIn) {
      if (context.notifiers() == null || context.notifiers().contains(notifier)) {
        return;
      }
      error(node, "undefined notifier \"" + notifier + "\" used in " + usedIn + " " + defined(context.notifiers()));
    }

    private Rule.RetryPolicy retry(Node node) {
      int maxAttempts = DEFAULT_MAX_ATTEMPTS;
      List<Duration> backoff = List.of();
      Duration resetAfter = DEFAULT_RESET_AFTER;
      MappingNode m = node == null ? null : mapping(node, "retry", RETRY_KEYS);
      if (m != null) {
        Map<String, Node> k = keys(m, "retry", RETRY_KEYS);
        if (k.get("max_attempts") != null) {
          Integer n = integer(k.get("max_attempts"), "retry.max_attempts");
          if (n != null && n < 1) {
            error(k.get("max_attempts"), "retry.max_attempts must be at least 1, got " + n);
          } else if (n != null) {
            maxAttempts = n;
          }
        }
        if (k.get("backoff") != null) {
          SequenceNode seq = sequence(k.get("backoff"), "retry.backoff", "a list of durations");
          if (seq != null) {
            List<Duration> b = new ArrayList<>();
            for (int i = 0; i < seq.getValue().size(); i++) {
              Duration d = duration(seq.getValue().get(i), "retry.backoff[" + i + "]");
              if (d != null) {
                b.add(d);
              }
            }
            backoff = b;
            if (seq.getValue().size() > maxAttempts) {
              error(seq, "retry.backoff has " + seq.getValue().size() + " entries but retry.max_attempts is "
                  + maxAttempts + "; entries after the " + ordinal(maxAttempts) + " would never be used");
            }
          }
        }
        if (k.get("reset_after") != null) {
          Duration d = duration(k.get("reset_after"), "retry.reset_after");
          if (d != null) {
            resetAfter = d;
          }
        }
      }
      return new Rule.RetryPolicy(maxAttempts, backoff, resetAfter);
    }

    private Rule.Verify verify(Node node) {
      Duration within = DEFAULT_VERIFY_WITHIN;
      Duration stableFor = DEFAULT_VERIFY_STABLE_FOR;
      MappingNode m = node == null ? null : mapping(node, "verify", VERIFY_KEYS);
      if (m != null) {
        Map<String, Node> k = keys(m, "verify", VERIFY_KEYS);
        if (k.get("within") != null) {
          Duration d = duration(k.get("within"), "verify.within");
          if (d != null && d.isZero()) {
            error(k.get("within"), "verify.within must be longer than 0s");
          } else if (d != null) {
            within = d;
          }
        }
        if (k.get("stable_for") != null) {
          Duration d = duration(k.get("stable_for"), "verify.stable_for");
          if (d != null) {
            stableFor = d;
          }
        }
      }
      return new Rule.Verify(within, stableFor);
    }

    private List<Rule.EscalationLevel> escalation(Node node) {
      SequenceNode seq = sequence(node, "escalation", "a list of escalation levels");
      if (seq == null) {
        return List.of();
      }
      List<Rule.EscalationLevel> out = new ArrayList<>();
      Duration previous = null;
      int previousIndex = -1;
      for (int i = 0; i < seq.getValue().size(); i++) {
        String path = "escalation[" + i + "]";
        MappingNode m = mapping(seq.getValue().get(i), path, ESCALATION_KEYS);
        if (m == null) {
          continue;
        }
        Map<String, Node> k = keys(m, path, ESCALATION_KEYS);
        require(m, k, path, "after", "notify");
        Duration after = k.get("after") == null ? null : duration(k.get("after"), path + ".after");
        if (after != null && previous != null && after.compareTo(previous) <= 0) {
          error(k.get("after"), path + ".after (" + Durations.format(after) + ") must be later than escalation["
              + previousIndex + "].after (" + Durations.format(previous) + ")");
        }
        if (after != null) {
          previous = after;
          previousIndex = i;
        }
        String notifier = k.get("notify") == null ? null : nonEmptyString(k.get("notify"), path + ".notify");
        if (notifier != null) {
          checkNotifier(k.get("notify"), notifier, path + ".notify");
        }
        Template message = k.get("message") == null
            ? Template.compile(DEFAULT_MESSAGE)
            : template(k.get("message"), path + ".message", false);
        if (after != null && notifier != null && message != null) {
          out.add(new Rule.EscalationLevel(after, notifier, message));
        }
      }
      return out;
    }

    // ---------------------------------------------------------------- steps

    private List<Step> steps(Node node) {
      SequenceNode seq = sequence(node, "steps", "a list of steps");
      if (seq == null) {
        return List.of();
      }
      List<Step> out = new ArrayList<>();
      for (int i = 0; i < seq.getValue().size(); i++) {
        Step s = step(seq.getValue().get(i), "steps[" + i + "]");
        if (s != null) {
          out.add(s);
        }
      }
      return out;
    }

    private Step step(Node node, String path) {
      if (!(node instanceof MappingNode m)) {
        String hint = node instanceof ScalarNode s && STEP_TYPES.contains(s.getValue())
            ? "; write \"" + s.getValue() + ": {}\"" : "";
        error(node, path + " must be a mapping with one step, e.g. \"restart: {}\", got " + describe(node) + hint);
        return null;
      }
      if (m.getValue().size() != 1) {
        if (m.getValue().isEmpty()) {
          error(node, path + " is empty; write one step, e.g. \"restart: {}\"");
        } else {
          List<String> names = m.getValue().stream().map(t -> keyText(t.getKeyNode())).toList();
          error(node, path + " has " + names.size() + " keys (" + String.join(", ", names)
              + "); write one step per list item");
        }
        return null;
      }
      NodeTuple tuple = m.getValue().get(0);
      String type = keyText(tuple.getKeyNode());
      Node params = tuple.getValueNode();
      String p = path + "." + type;
      switch (type) {
        case "restart": {
          Map<String, Node> k = params(params, p, List.of("include_tasks", "only_failed"));
          if (k == null) {
            return null;
          }
          Boolean includeTasks = k.get("include_tasks") == null ? Boolean.TRUE
              : bool(k.get("include_tasks"), p + ".include_tasks");
          Boolean onlyFailed = k.get("only_failed") == null ? Boolean.TRUE
              : bool(k.get("only_failed"), p + ".only_failed");
          return includeTasks == null || onlyFailed == null ? null : new Step.Restart(includeTasks, onlyFailed);
        }
        case "restart_task": {
          Map<String, Node> k = params(params, p, List.of("task"));
          if (k == null) {
            return null;
          }
          if (k.get("task") == null) {
            return new Step.RestartTask(Optional.empty());
          }
          Integer task = integer(k.get("task"), p + ".task");
          if (task != null && task < 0) {
            error(k.get("task"), p + ".task must be a task id (0 or more), got " + task);
            return null;
          }
          return task == null ? null : new Step.RestartTask(Optional.of(task));
        }
        case "pause":
        case "resume":
        case "stop": {
          if (params instanceof ScalarNode s && !isNull(s)) {
            error(params, p + " takes no parameters; write \"" + type + ": {}\"");
            return null;
          }
          if (params instanceof MappingNode pm && !pm.getValue().isEmpty()) {
            NodeTuple first = pm.getValue().get(0);
            error(first.getKeyNode(), "unknown key \"" + keyText(first.getKeyNode()) + "\" in " + p + " (" + type
                + " takes no parameters)");
            return null;
          }
          if (params instanceof SequenceNode) {
            error(params, p + " takes no parameters; write \"" + type + ": {}\"");
            return null;
          }
          return type.equals("pause") ? new Step.Pause() : type.equals("resume") ? new Step.Resume() : new Step.Stop();
        }
        case "patch_config":
          return patchConfig(params, p);
        case "wait": {
          Duration d = duration(params, p);
          return d == null ? null : new Step.Wait(d);
        }
        case "wait_for":
          return waitFor(params, p);
        case "approve":
          return approve(params, p);
        case "notify": {
          Map<String, Node> k = params(params, p, List.of("notifier", "message"));
          if (k == null) {
            return null;
          }
          require(params, k, p, "notifier");
          String notifier = k.get("notifier") == null ? null : nonEmptyString(k.get("notifier"), p + ".notifier");
          if (notifier != null) {
            checkNotifier(k.get("notifier"), notifier, p);
          }
          Template message = k.get("message") == null
              ? Template.compile(DEFAULT_MESSAGE)
              : template(k.get("message"), p + ".message", false);
          return notifier == null || message == null ? null : new Step.Notify(notifier, message);
        }
        default:
          if (PLANNED_STEPS.contains(type)) {
            error(tuple.getKeyNode(), path + ": step \"" + type + "\" is not supported by this version of runbookd"
                + " (steps: " + String.join(", ", STEP_TYPES) + ")");
          } else {
            error(tuple.getKeyNode(), path + ": unknown step \"" + type + "\"" + suggestion(type, STEP_TYPES)
                + " (steps: " + String.join(", ", STEP_TYPES) + ")");
          }
          return null;
      }
    }

    private Step patchConfig(Node params, String p) {
      Map<String, Node> k = params(params, p, List.of("set", "validate"));
      if (k == null) {
        return null;
      }
      require(params, k, p, "set");
      Boolean validate = k.get("validate") == null ? Boolean.TRUE : bool(k.get("validate"), p + ".validate");
      Node setNode = k.get("set");
      if (setNode == null) {
        return null;
      }
      MappingNode set = mapping(setNode, p + ".set", List.of());
      if (set == null) {
        return null;
      }
      if (set.getValue().isEmpty()) {
        error(setNode, p + ".set must set at least one config key, e.g. {errors.tolerance: all}");
        return null;
      }
      Map<String, String> values = new LinkedHashMap<>();
      boolean ok = true;
      for (NodeTuple t : set.getValue()) {
        if (!(t.getKeyNode() instanceof ScalarNode) || keyText(t.getKeyNode()).isEmpty()) {
          error(t.getKeyNode(), p + ".set keys must be connector config names, got " + describe(t.getKeyNode()));
          ok = false;
          continue;
        }
        String key = keyText(t.getKeyNode());
        if (values.containsKey(key)) {
          error(t.getKeyNode(), "duplicate key \"" + key + "\" in " + p + ".set");
          ok = false;
          continue;
        }
        Node v = t.getValueNode();
        if (v instanceof ScalarNode s) {
          values.put(key, isNull(s) ? null : s.getValue());
        } else {
          error(v, p + ".set." + key + " must be a string, a number, a boolean or null (to remove the key), got "
              + describe(v));
          ok = false;
        }
      }
      return !ok || validate == null ? null : new Step.PatchConfig(values, validate);
    }

    private Step approve(Node params, String p) {
      Map<String, Node> k = params(params, p, APPROVE_STEP_KEYS);
      if (k == null) {
        return null;
      }
      Rule.Approval rd = approval == null ? Rule.Approval.DEFAULT : approval;
      int before = errors.size();
      Duration ttl = k.get("ttl") == null ? rd.ttl() : ttl(k.get("ttl"), p + ".ttl");
      Boolean defaultApprove = k.get("default") == null ? Boolean.valueOf(rd.defaultApprove())
          : decision(k.get("default"), p + ".default");
      String notifier = rd.notifier();
      if (k.get("notify") != null) {
        notifier = nonEmptyString(k.get("notify"), p + ".notify");
        if (notifier != null) {
          checkNotifier(k.get("notify"), notifier, p + ".notify");
        }
      } else if (notifier == null && approval != null) {
        error(params, p + " needs notify (who is asked to approve), or set approval.notify for the rule");
      }
      if (errors.size() != before || ttl == null || defaultApprove == null || notifier == null) {
        return null;
      }
      return new Step.Approve(ttl, defaultApprove, notifier);
    }

    private Step waitFor(Node params, String p) {
      Map<String, Node> k = params(params, p, List.of("state", "config_change", "within", "stable_for"));
      if (k == null) {
        return null;
      }
      int before = errors.size();
      require(params, k, p, "within");
      Boolean configChange = k.get("config_change") == null ? Boolean.FALSE
          : bool(k.get("config_change"), p + ".config_change");
      ConnectorState state = null;
      if (k.get("state") != null) {
        String s = string(k.get("state"), p + ".state");
        if (s != null && !WAIT_FOR_STATES.contains(s)) {
          error(k.get("state"), p + ".state must be one of " + String.join(", ", WAIT_FOR_STATES) + ", got \""
              + s + "\"");
        } else if (s != null) {
          state = ConnectorState.valueOf(s);
        }
      }
      if (Boolean.TRUE.equals(configChange) && k.get("state") != null) {
        error(k.get("state"), p + " takes either state or config_change: true, not both");
      } else if (Boolean.TRUE.equals(configChange) && k.get("stable_for") != null) {
        error(k.get("stable_for"), p + ".stable_for applies only with state, not with config_change");
      } else if (Boolean.FALSE.equals(configChange) && k.get("state") == null) {
        error(params, p + " needs state (e.g. state: RUNNING) or config_change: true");
      }
      Duration within = k.get("within") == null ? null : duration(k.get("within"), p + ".within");
      if (within != null && within.isZero()) {
        error(k.get("within"), p + ".within must be longer than 0s");
      }
      Duration stableFor = k.get("stable_for") == null ? Duration.ZERO : duration(k.get("stable_for"), p + ".stable_for");
      if (errors.size() != before || within == null || stableFor == null || configChange == null) {
        return null;
      }
      // With config_change the state is not used; RUNNING is recorded as the state expected after the change.
      return new Step.WaitFor(state == null ? ConnectorState.RUNNING : state, within, stableFor, configChange);
    }

    /**
     * The parameters mapping of a step; an empty value ({@code - restart:}) counts as {@code {}}.
     * Returns null after reporting an error.
     */
    private Map<String, Node> params(Node params, String path, List<String> allowed) {
      if (params instanceof ScalarNode s && isNull(s)) {
        return new LinkedHashMap<>();
      }
      if (!(params instanceof MappingNode m)) {
        error(params, path + " must be a mapping of parameters (" + String.join(", ", allowed) + "), got "
            + describe(params));
        return null;
      }
      return keys(m, path, allowed);
    }

    // ---------------------------------------------------------------- typed accessors

    /**
     * The mapping's keys and values, in order. Reports unknown keys (with the allowed keys and a
     * suggestion), duplicate keys, non-scalar keys and YAML merge keys; those are left out.
     */
    private Map<String, Node> keys(MappingNode m, String where, List<String> allowed) {
      Map<String, Node> out = new LinkedHashMap<>();
      for (NodeTuple t : m.getValue()) {
        Node keyNode = t.getKeyNode();
        if (keyNode.getTag().equals(Tag.MERGE)) {
          error(keyNode, "YAML merge keys (<<) are not supported in rule files; write the keys out");
          continue;
        }
        if (!(keyNode instanceof ScalarNode)) {
          error(keyNode, "keys in " + where + " must be strings, got " + describe(keyNode));
          continue;
        }
        String key = keyText(keyNode);
        if (!allowed.contains(key)) {
          String suggestion = suggestion(key, allowed);
          error(keyNode, "unknown key \"" + key + "\" in " + where + suggestion + " (allowed: "
              + String.join(", ", allowed) + ")");
          if (!suggestion.isEmpty()) {
            suggested.computeIfAbsent(m, x -> new HashSet<>()).add(closest(key, allowed));
          }
          continue;
        }
        if (out.containsKey(key)) {
          error(keyNode, "duplicate key \"" + key + "\" in " + where);
          continue;
        }
        Node value = t.getValueNode();
        if (value instanceof ScalarNode s && isNull(s)) {
          // Reported here once; the key counts as present (so not also "missing"), with no value.
          error(value, (where.equals("rule") || where.equals("the file") ? "" : where + ".") + key
              + " must not be empty");
          out.put(key, null);
        } else {
          out.put(key, value);
        }
      }
      return out;
    }

    /** The value node of {@code key} in {@code m}, without reporting anything. */
    private Node valueOf(MappingNode m, String key) {
      for (NodeTuple t : m.getValue()) {
        if (t.getKeyNode() instanceof ScalarNode s && s.getValue().equals(key)) {
          return t.getValueNode();
        }
      }
      return null;
    }

    /** Reports each required key missing from {@code keys} (keys present with an empty value were reported). */
    private void require(Node at, Map<String, Node> keys, String where, String... required) {
      Set<String> misspelt = suggested.getOrDefault(at, Set.of());
      for (String r : required) {
        if (!keys.containsKey(r) && !misspelt.contains(r)) {
          error(at, "missing required key \"" + r + "\" in " + where);
        }
      }
    }

    private MappingNode mapping(Node node, String path, List<String> keys) {
      if (node instanceof MappingNode m) {
        return m;
      }
      error(node, path + " must be a mapping" + (keys.isEmpty() ? "" : " (keys: " + String.join(", ", keys) + ")")
          + ", got " + describe(node));
      return null;
    }

    private SequenceNode sequence(Node node, String path, String what) {
      if (node instanceof SequenceNode s) {
        return s;
      }
      error(node, path + " must be " + what + ", got " + describe(node));
      return null;
    }

    private String string(Node node, String path) {
      if (node instanceof ScalarNode s && !isNull(s)) {
        return s.getValue();
      }
      error(node, path + " must be a string, got " + describe(node));
      return null;
    }

    private String nonEmptyString(Node node, String path) {
      String s = string(node, path);
      if (s != null && s.isBlank()) {
        error(node, path + " must not be empty");
        return null;
      }
      return s;
    }

    private Boolean bool(Node node, String path) {
      if (node instanceof ScalarNode s) {
        if (s.getValue().equals("true")) {
          return Boolean.TRUE;
        }
        if (s.getValue().equals("false")) {
          return Boolean.FALSE;
        }
      }
      error(node, path + " must be true or false, got " + describe(node));
      return null;
    }

    private Integer integer(Node node, String path) {
      if (node instanceof ScalarNode s && s.getValue().matches("-?[0-9]{1,9}")) {
        return Integer.valueOf(s.getValue());
      }
      error(node, path + " must be an integer, got " + describe(node));
      return null;
    }

    private Duration duration(Node node, String path) {
      if (!(node instanceof ScalarNode s) || isNull(s)) {
        error(node, path + " must be a duration such as \"30s\", got " + describe(node));
        return null;
      }
      try {
        return Durations.parse(s.getValue());
      } catch (IllegalArgumentException e) {
        error(node, path + ": " + e.getMessage());
        return null;
      }
    }

    /**
     * Compiles a template and renders it once against a probe context, so that syntax errors,
     * unknown filters and variables that do not exist are load errors.
     */
    private Template template(Node node, String path, boolean targetTemplate) {
      String text = nonEmptyString(node, path);
      if (text == null) {
        return null;
      }
      Template t;
      try {
        t = Template.compile(text);
      } catch (Template.TemplateException e) {
        error(node, path + ": invalid template: " + compileError(e.getMessage()) + templateLine(e, text));
        return null;
      }
      try {
        t.render(targetTemplate ? TemplateContext.targetProbe() : TemplateContext.messageProbe());
      } catch (Template.TemplateException e) {
        String undefined = TemplateContext.undefinedVariable(
            e, targetTemplate ? TemplateContext.TARGET_VARIABLES : TemplateContext.MESSAGE_VARIABLES);
        if (undefined != null) {
          error(node, path + ": " + undefined + (targetTemplate
              ? "; target templates are rendered before the connector is known, so they see only labels,"
                  + " annotations and rule"
              : ""));
          return null;
        }
        Matcher unknown = UNKNOWN_CALLABLE.matcher(String.valueOf(e.getMessage()));
        if (unknown.matches()) {
          String kind = unknown.group(1).equals("Filter") ? "filter" : "function";
          error(node, path + ": invalid template: unknown " + kind + " \"" + unknown.group(2) + "\"");
          return null;
        }
        // Other failures (e.g. a number filter on a probe string) depend on run-time values.
      }
      return t;
    }

    /** Pebble's parse errors, with its token jargon replaced where a rule author would be lost. */
    private String compileError(String pebbleMessage) {
      if (pebbleMessage != null && pebbleMessage.contains("expected token of type PRINT_END")) {
        return "\"{{\" is not closed by \"}}\"";
      }
      if (pebbleMessage != null && pebbleMessage.contains("expected token of type EXECUTE_END")) {
        return "\"{%\" is not closed by \"%}\"";
      }
      return pebbleMessage;
    }

    private String templateLine(Template.TemplateException e, String text) {
      if (text.contains("\n") && e.getCause() instanceof PebbleException p
          && p.getLineNumber() != null && p.getLineNumber() > 0) {
        return " (line " + p.getLineNumber() + " of the template)";
      }
      return "";
    }

    // ---------------------------------------------------------------- errors

    private void error(Node at, String message) {
      errors.add(new RuleError(file, line(at), rule, message));
    }
  }

  // ---------------------------------------------------------------- helpers

  private static int line(Node node) {
    return node.getStartMark().getLine() + 1;
  }

  private static boolean isNull(ScalarNode s) {
    return s.getTag().equals(Tag.NULL);
  }

  private static boolean isTemplated(String text) {
    return text.contains("{{") || text.contains("{%") || text.contains("{#");
  }

  private static String keyText(Node keyNode) {
    return keyNode instanceof ScalarNode s ? s.getValue() : describe(keyNode);
  }

  private static String defined(Set<String> names) {
    return names.isEmpty() ? "(none defined in runbookd.yaml)" : "(defined: " + String.join(", ", new TreeSet<>(names)) + ")";
  }

  /** How a node looks to a rule author, for "got ..." in messages. */
  private static String describe(Node node) {
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    ScalarNode s = (ScalarNode) node;
    if (isNull(s)) {
      return "an empty value";
    }
    String v = s.getValue();
    if (v.length() > 60) {
      v = v.substring(0, 57) + "...";
    }
    return "\"" + v.replace("\n", "\\n") + "\"";
  }

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

  /** {@code ; did you mean "x"?} when a candidate is within a small edit distance, else empty. */
  static String suggestion(String word, List<String> candidates) {
    String best = closest(word, candidates);
    return best == null ? "" : "; did you mean \"" + best + "\"?";
  }

  /** The candidate closest to {@code word}, if within a small edit distance; else null. */
  private static String closest(String word, List<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = editDistance(word.toLowerCase(Locale.ROOT), c);
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    int limit = Math.max(1, Math.min(3, word.length() / 3));
    return best != null && bestDistance <= limit ? best : null;
  }

  private static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] tmp = prev;
      prev = cur;
      cur = tmp;
    }
    return prev[b.length()];
  }
}
