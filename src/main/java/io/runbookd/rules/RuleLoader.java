package io.runbookd.rules;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

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
 * <p>The work is split among package-private parts: {@code RuleFiles} finds and reads the files,
 * {@code RuleFileParser} parses one file and its rules, {@code RuleYaml} gives line-aware typed
 * access to the YAML and keeps the file's errors, {@code RuleSections} parses the sections,
 * {@code StepParser} the steps, {@code TemplateChecks} the templates, {@code NameChecks} the
 * cluster and notifier names, and {@code Suggestions} makes the "did you mean" hints.
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
          "approve", "reset_consumer_group", "dlq_replay", "reset_offsets", "recreate", "revert_config",
          "http", "silence", "snapshot");

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
    List<RuleFiles.Text> texts = RuleFiles.read(paths, errors);
    return build(texts, errors);
  }

  /**
   * Loads one rule file from memory (for tests, {@code runbookd test-rules} and the API).
   *
   * @param file the name to use in errors and in {@link Rule.Source}
   * @param yaml the file's content
   * @throws RuleLoadException listing every problem
   */
  public RuleSet parse(String file, String yaml) throws RuleLoadException {
    return build(List.of(new RuleFiles.Text(file, yaml)), new ArrayList<>());
  }

  /** All or nothing: the rule set when neither reading nor any file had an error. */
  private RuleSet build(List<RuleFiles.Text> texts, List<RuleError> errors) throws RuleLoadException {
    List<Rule> rules = new ArrayList<>();
    Map<String, Rule.Source> names = new HashMap<>();
    List<String> files = new ArrayList<>();
    for (RuleFiles.Text text : texts) {
      files.add(text.file());
      RuleFileParser parser = new RuleFileParser(text.file(), names, context);
      parser.parse(text.yaml());
      rules.addAll(parser.rules());
      errors.addAll(parser.errors());
    }
    if (!errors.isEmpty()) {
      throw new RuleLoadException(errors);
    }
    return new RuleSet(rules, files, clock.instant());
  }
}
