package io.runbookd.rules;

import io.runbookd.alert.LabelMatcher;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One runbook rule from a YAML file in {@code rules/}. The schema is documented in
 * {@code rules/README.md}.
 *
 * @param name unique rule name ({@code [a-z0-9][a-z0-9_.-]*})
 * @param description free text for humans
 * @param source where the rule was defined
 * @param alertMatchers Alertmanager-style label matchers; all must hold
 * @param trace searched (find, not full match) in the connector and task traces; empty = any
 * @param target which Connect cluster and connector the rule acts on
 * @param retry attempt budget and backoff of this rule per connector
 * @param verify how a fix is verified after the steps (RUNNING and stable)
 * @param steps the remediation steps, run in order
 * @param escalation the escalation ladder, in increasing {@code after}
 * @param dryRun shadow mode for this rule: record what would be done, do nothing
 */
public record Rule(
    String name,
    String description,
    Source source,
    List<LabelMatcher> alertMatchers,
    Optional<Pattern> trace,
    Target target,
    RetryPolicy retry,
    Verify verify,
    List<Step> steps,
    List<EscalationLevel> escalation,
    boolean dryRun) {

  public Rule {
    Objects.requireNonNull(name, "name");
    description = description == null ? "" : description;
    Objects.requireNonNull(source, "source");
    alertMatchers = List.copyOf(alertMatchers);
    Objects.requireNonNull(trace, "trace");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(retry, "retry");
    Objects.requireNonNull(verify, "verify");
    steps = List.copyOf(steps);
    escalation = List.copyOf(escalation);
  }

  /** The file and 1-based line where the rule starts. */
  public record Source(String file, int line) {
    @Override
    public String toString() {
      return file + ":" + line;
    }
  }

  /** Templates rendering the Connect cluster name (as in runbookd.yaml) and the connector name. */
  public record Target(Template cluster, Template connector) {
    public Target {
      Objects.requireNonNull(cluster, "cluster");
      Objects.requireNonNull(connector, "connector");
    }
  }

  /**
   * Attempt budget per (cluster, connector, rule).
   *
   * @param maxAttempts attempts before runbookd gives up and escalates
   * @param backoff delay before attempt k (index k-1), measured from the end of the previous attempt;
   *     the last value repeats. Empty means Strimzi's schedule: 0 before the first attempt, then
   *     min(n²+n, 60) minutes after the n-th
   * @param resetAfter verified stability that resets the attempt count to 0
   */
  public record RetryPolicy(int maxAttempts, List<Duration> backoff, Duration resetAfter) {
    public RetryPolicy {
      backoff = List.copyOf(backoff);
      Objects.requireNonNull(resetAfter, "resetAfter");
    }
  }

  /**
   * Verification of a fix: the connector and all its tasks RUNNING without interruption for
   * {@code stableFor}, reached within {@code within} of the end of the steps.
   */
  public record Verify(Duration within, Duration stableFor) {
    public Verify {
      Objects.requireNonNull(within, "within");
      Objects.requireNonNull(stableFor, "stableFor");
    }
  }

  /**
   * One escalation level.
   *
   * @param after delay from the incident's opening
   * @param notifier a notifier name from runbookd.yaml
   * @param message the message template
   */
  public record EscalationLevel(Duration after, String notifier, Template message) {
    public EscalationLevel {
      Objects.requireNonNull(after, "after");
      Objects.requireNonNull(notifier, "notifier");
      Objects.requireNonNull(message, "message");
    }
  }
}
