package io.runbookd.rules;

import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Parses one rule file: its YAML, the top-level {@code rules:} list, and each rule's name, the
 * checks across its sections (a rule that would do nothing, approval gates), and the {@link Rule}
 * itself when the rule has no error. Sections go to {@link RuleSections}, steps to
 * {@link StepParser}. Collects the file's rules and its errors, sorted by line.
 *
 * <p>Not thread-safe: one instance per file.
 */
final class RuleFileParser {
  private static final List<String> FILE_KEYS = List.of("rules");
  private static final List<String> RULE_KEYS =
      List.of("name", "description", "dry_run", "match", "target", "retry", "verify", "approval", "steps",
          "escalation");

  /**
   * The largest rule file read, in code points: 32 Mi (33,554,432), about 70,000 rules of the shipped
   * rules' size (SnakeYAML refuses a larger document with "The incoming YAML document exceeds the limit";
   * its own default, 3 MiB, held about 6,500). Documented in rules/README.md.
   */
  static final int MAX_FILE_CODE_POINTS = 32 * 1024 * 1024;

  private final RuleYaml yaml;
  private final Map<String, Rule.Source> names;
  private final RuleSections sections;
  private final StepParser steps;
  private final List<Rule> rules = new ArrayList<>();

  /**
   * @param file the file's name, for errors and {@link Rule.Source}
   * @param names the rule names seen so far in this load, with where each was first defined; this
   *     file's valid names are added
   * @param context the cluster and notifier names rules may refer to
   */
  RuleFileParser(String file, Map<String, Rule.Source> names, RuleLoader.Context context) {
    this.yaml = new RuleYaml(file);
    this.names = names;
    TemplateChecks templates = new TemplateChecks(yaml);
    NameChecks nameChecks = new NameChecks(context, yaml);
    this.sections = new RuleSections(yaml, templates, nameChecks);
    this.steps = new StepParser(yaml, templates, nameChecks);
  }

  /** The rules without errors, in file order (call after {@link #parse}). */
  List<Rule> rules() {
    return rules;
  }

  /** The file's errors, sorted by line (call after {@link #parse}); empty when the file is valid. */
  List<RuleError> errors() {
    return yaml.sortedErrors();
  }

  /** Parses the file's content. */
  void parse(String text) {
    Node root;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowRecursiveKeys(false);
      options.setCodePointLimit(MAX_FILE_CODE_POINTS);
      root = new Yaml(options).compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String msg = "YAML syntax error: " + e.getProblem();
      if (e.getContext() != null && e.getContextMark() != null) {
        msg += " (" + e.getContext() + " at line " + (e.getContextMark().getLine() + 1) + ")";
      }
      yaml.fileError(mark == null ? 1 : mark.getLine() + 1, msg);
      return;
    } catch (YAMLException e) {
      yaml.fileError(1, "YAML error: " + e.getMessage());
      return;
    }
    if (root == null) {
      yaml.fileError(1, "the file is empty; it must have a top-level \"rules:\" list");
      return;
    }
    if (!(root instanceof MappingNode top)) {
      yaml.error(root, "the file must be a mapping with a top-level \"rules:\" list, got " + RuleYaml.describe(root));
      return;
    }
    Map<String, Node> keys = yaml.keys(top, "the file", FILE_KEYS);
    Node list = keys.get("rules");
    if (list == null) {
      if (!keys.containsKey("rules")) {
        yaml.error(top, "missing top-level key \"rules\"");
      }
    } else if (!(list instanceof SequenceNode seq)) {
      yaml.error(list, "rules must be a list of rules, each starting with \"- name:\", got " + RuleYaml.describe(list));
    } else {
      for (int i = 0; i < seq.getValue().size(); i++) {
        parseRule(seq.getValue().get(i), i);
      }
    }
  }

  private void parseRule(Node node, int index) {
    yaml.rule(null);
    if (!(node instanceof MappingNode m)) {
      yaml.error(node, "rules[" + index + "] must be a mapping (a rule), got " + RuleYaml.describe(node));
      return;
    }
    // The name comes first so that every other error can name the rule.
    Node nameNode = RuleYaml.valueOf(m, "name");
    if (nameNode instanceof ScalarNode s && !RuleYaml.isNull(s) && !s.getValue().isEmpty()) {
      yaml.rule(s.getValue());
    }
    int before = yaml.errorCount();
    Map<String, Node> keys = yaml.keys(m, "rule", RULE_KEYS);
    yaml.require(m, keys, "rule", "name", "match", "target", "steps");

    String name = null;
    if (keys.get("name") != null) {
      name = yaml.string(keys.get("name"), "name");
      if (name != null && !RuleLoader.RULE_NAME.matcher(name).matches()) {
        yaml.error(keys.get("name"), "invalid rule name: use lowercase letters, digits, '.', '_' and '-', starting"
            + " with a letter or digit (e.g. \"connect-db-connection-refused\")");
        name = null;
      }
    }
    Rule.Source source = new Rule.Source(yaml.file(), RuleYaml.line(m));
    if (name != null) {
      Rule.Source first = names.putIfAbsent(name, source);
      if (first != null) {
        yaml.error(keys.get("name"), "duplicate rule name; first defined at " + first);
      }
    }
    String description = keys.get("description") == null ? "" : yaml.string(keys.get("description"), "description");
    Boolean dryRun = keys.get("dry_run") == null ? Boolean.FALSE : yaml.bool(keys.get("dry_run"), "dry_run");
    RuleSections.Match match = sections.match(keys.get("match"));
    Rule.Target target = sections.target(keys.get("target"));
    Rule.RetryPolicy retry = sections.retry(keys.get("retry"));
    Rule.Verify verify = sections.verify(keys.get("verify"));
    Rule.Approval approval = sections.approval(keys.get("approval"));
    List<Step> ruleSteps = keys.get("steps") == null ? List.of() : steps.steps(keys.get("steps"), approval);
    List<Rule.EscalationLevel> escalation =
        keys.get("escalation") == null ? List.of() : sections.escalation(keys.get("escalation"));

    Node stepsNode = keys.get("steps");
    if (stepsNode instanceof SequenceNode s && s.getValue().isEmpty()
        && escalation.isEmpty() && yaml.errorCount() == before) {
      yaml.error(stepsNode, "steps is empty and there is no escalation, so the rule would do nothing; add a step"
          + " or an escalation level");
    }
    if (yaml.errorCount() == before && approval != null && stepsNode instanceof SequenceNode seq) {
      checkGates(ruleSteps, seq, keys.get("approval"), approval);
    }
    if (yaml.errorCount() == before && approval != null) {
      rules.add(new Rule(name, description, source, match.matchers(), match.trace(), target, retry, verify, ruleSteps,
          escalation, dryRun, approval, match.live()));
    }
    yaml.rule(null);
  }

  /**
   * The approval gates of a rule whose steps all parsed: each {@code approve} step must be followed by
   * a step to approve, and a rule whose attempts need an approval before their first step must say who
   * approves.
   */
  private void checkGates(List<Step> steps, SequenceNode seq, Node approvalNode, Rule.Approval approval) {
    for (int i = 0; i < steps.size(); i++) {
      if (!(steps.get(i) instanceof Step.Approve)) {
        continue;
      }
      String path = "steps[" + i + "].approve";
      if (i == steps.size() - 1) {
        yaml.error(seq.getValue().get(i), path + " is the last step, so there is nothing to approve; put it before"
            + " the steps it guards");
      } else if (steps.get(i + 1) instanceof Step.Approve) {
        yaml.error(seq.getValue().get(i + 1), "steps[" + (i + 1) + "].approve follows " + path
            + " with nothing to approve between them; remove one");
      }
    }
    if (approval.notifier() != null) {
      return;
    }
    Rule probe = new Rule("probe", "", new Rule.Source(yaml.file(), 1), List.of(), Optional.empty(),
        new Rule.Target(Template.compile("x"), Template.compile("x")), new Rule.RetryPolicy(1, List.of(), Duration.ZERO),
        new Rule.Verify(Duration.ofSeconds(1), Duration.ZERO), steps, List.of(), false, approval);
    if (!probe.approvalBeforeSteps()) {
      return;
    }
    if (approval.required() == Rule.Approval.Required.ALWAYS) {
      yaml.error(approvalNode, "approval.required: always needs approval.notify (who is asked to approve)");
      return;
    }
    int i = probe.firstUngatedDestructiveStep();
    Step s = steps.get(i);
    yaml.error(seq.getValue().get(i), "steps[" + i + "]." + s.type() + " " + whyDestructive(s) + ", so attempts need"
        + " an approval: set approval.notify (who is asked to approve), put an approve step before it, or set"
        + " approval.required: never");
  }

  private static String whyDestructive(Step s) {
    if (s instanceof Step.PatchConfig) {
      return "sets errors.tolerance: all, which can drop records";
    }
    return "is destructive";
  }
}
