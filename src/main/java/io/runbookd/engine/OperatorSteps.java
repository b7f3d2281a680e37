package io.runbookd.engine;

import io.runbookd.rules.Rule;
import io.runbookd.rules.RuleLoadException;
import io.runbookd.rules.RuleLoader;
import io.runbookd.rules.RuleSet;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * The single steps an operator may ask for without naming a rule ({@code POST /api/v1/actions} with
 * {@code "step": {"pause": {}}}): each is a built-in one-step rule {@code operator.<step>}, defined here,
 * parsed by the same rule loader as the rule files, and the same on every replica and after every
 * restart, so an incident opened with it is found again ({@link #byName}). One attempt, no escalation
 * ladder; the rule files' own rules take precedence over a name of this catalogue.
 *
 * <p>Steps with parameters ({@code patch_config}, {@code restart_task}) are not in it: write a rule.
 */
final class OperatorSteps {
  /** The steps of the catalogue, in the order given in error messages. */
  static final List<String> STEPS = List.of("pause", "resume", "stop", "restart", "dlq_replay");
  static final String PREFIX = "operator.";
  /** The steps an operator may ask for on a whole pipeline ({@code operator.pipeline.<step>}). */
  static final List<String> PIPELINE_STEPS = List.of("pause", "resume", "stop");
  static final String PIPELINE_PREFIX = PREFIX + "pipeline.";

  private static final RuleSet CATALOGUE = load();

  private OperatorSteps() {}

  private static RuleSet load() {
    StringBuilder yaml = new StringBuilder("rules:\n");
    for (String step : STEPS) {
      yaml.append("  - name: ").append(PREFIX).append(step).append('\n')
          .append("    description: a single ").append(step).append(" asked for by an operator (POST /api/v1/actions)\n")
          .append("    match:\n      alert: ['alertname=\"").append(DaemonOperations.OPERATOR_ACTION)
          .append("\"', 'runbookd_step=\"").append(step).append("\"']\n")
          .append("    target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }\n")
          .append("    retry: { max_attempts: 1 }\n")
          .append(verify(step))
          .append(approval(step))
          .append("    steps:\n      - ").append(step)
          .append(step.equals("restart") ? ": { include_tasks: true, only_failed: true }\n" : ": {}\n");
    }
    for (String step : PIPELINE_STEPS) {
      yaml.append("  - name: ").append(PIPELINE_PREFIX).append(step).append('\n')
          .append("    description: a ").append(step).append(" of a whole pipeline asked for by an operator")
          .append(" (POST /api/v1/actions), in the runbook's order\n")
          .append("    match:\n      alert: ['alertname=\"").append(DaemonOperations.OPERATOR_ACTION)
          .append("\"', 'runbookd_step=\"pipeline.").append(step).append("\"']\n")
          .append("    target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }\n")
          .append("    retry: { max_attempts: 1 }\n")
          .append(verify(step))
          .append("    steps:\n      - ").append(step).append(": { pipeline: true }\n");
    }
    try {
      return new RuleLoader(RuleLoader.Context.unchecked(), Clock.systemUTC()).parse("<built-in operator steps>",
          yaml.toString());
    } catch (RuleLoadException e) {
      throw new IllegalStateException("the built-in operator steps do not load: " + e.getMessage(), e);
    }
  }

  /**
   * The {@code verify} section of the step's rule: a pause or a stop is what the operator asked for, so
   * its incident closes once the connector holds PAUSED / STOPPED (10s: Connect leaves either only when
   * asked, e.g. a resume, and that is what the short hold catches); resume and restart verify RUNNING
   * with the rule defaults.
   */
  private static String verify(String step) {
    return switch (step) {
      case "pause" -> "    verify: { state: PAUSED, stable_for: 10s }\n";
      case "stop" -> "    verify: { state: STOPPED, stable_for: 10s }\n";
      default -> "";
    };
  }

  /**
   * The {@code approval} section of the step's rule. A {@code dlq_replay} asked for by an operator needs no
   * second human: the request is the decision, recorded with who asked. It replays the connector's whole
   * dead letter topic with the step's defaults ({@link io.runbookd.rules.Step.DlqReplay}); to filter, bound
   * it differently or see a preview first, write a rule with a {@code dlq_replay} step (it asks for
   * approval by default, with the preview) and ask for that rule by name.
   */
  private static String approval(String step) {
    return step.equals("dlq_replay") ? "    approval: { required: never }\n" : "";
  }

  /** The one-step rule of {@code step}, if the catalogue has it. */
  static Optional<Rule> rule(String step) {
    return CATALOGUE.byName(PREFIX + step);
  }

  /** The one-step rule of {@code step} on a whole pipeline, if the catalogue has it. */
  static Optional<Rule> pipelineRule(String step) {
    return CATALOGUE.byName(PIPELINE_PREFIX + step);
  }

  /** The rule named {@code name}: from {@code active} (the rule files), else from this catalogue. */
  static Optional<Rule> byName(RuleSet active, String name) {
    Optional<Rule> r = active == null ? Optional.empty() : active.byName(name);
    return r.isPresent() || name == null || !name.startsWith(PREFIX) ? r : CATALOGUE.byName(name);
  }
}
