package io.runbookd.rules;

import io.runbookd.alert.LabelMatcher;
import io.runbookd.alert.LinearPattern;
import io.runbookd.model.ConnectorState;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One runbook rule from a YAML file in {@code rules/}. The schema is documented in
 * {@code rules/README.md}.
 *
 * @param name unique rule name ({@code [a-z0-9][a-z0-9_.-]*})
 * @param description free text for humans
 * @param source where the rule was defined
 * @param alertMatchers Alertmanager-style label matchers; all must hold
 * @param trace searched (find, not full match) in the connector and task traces, in the part
 *     {@link RuleEvaluator#TRACE_SEARCH_LIMIT} describes; empty = any
 * @param target which Connect cluster and connector the rule acts on
 * @param retry attempt budget and backoff of this rule per connector
 * @param verify how a fix is verified after the steps (RUNNING and stable)
 * @param steps the remediation steps, run in order
 * @param escalation the escalation ladder, in increasing {@code after}
 * @param dryRun shadow mode for this rule: record what would be done, do nothing
 * @param approval when the rule's attempts need a human approval, and the defaults of its
 *     {@code approve} steps
 * @param live the conditions on the live state around the connector ({@code match.status},
 *     {@code match.consumer_group}); {@link LiveState#NONE} when the rule has none
 */
public record Rule(
    String name,
    String description,
    Source source,
    List<LabelMatcher> alertMatchers,
    Optional<LinearPattern> trace,
    Target target,
    RetryPolicy retry,
    Verify verify,
    List<Step> steps,
    List<EscalationLevel> escalation,
    boolean dryRun,
    Approval approval,
    LiveState live) {

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
    Objects.requireNonNull(approval, "approval");
    live = live == null ? LiveState.NONE : live;
  }

  /** A rule without live-state conditions ({@code match.status}, {@code match.consumer_group}). */
  public Rule(String name, String description, Source source, List<LabelMatcher> alertMatchers,
      Optional<LinearPattern> trace, Target target, RetryPolicy retry, Verify verify, List<Step> steps,
      List<EscalationLevel> escalation, boolean dryRun, Approval approval) {
    this(name, description, source, alertMatchers, trace, target, retry, verify, steps, escalation, dryRun,
        approval, LiveState.NONE);
  }

  /** A rule with the default approval policy ({@link Approval#DEFAULT}). */
  public Rule(String name, String description, Source source, List<LabelMatcher> alertMatchers,
      Optional<LinearPattern> trace, Target target, RetryPolicy retry, Verify verify, List<Step> steps,
      List<EscalationLevel> escalation, boolean dryRun) {
    this(name, description, source, alertMatchers, trace, target, retry, verify, steps, escalation, dryRun,
        Approval.DEFAULT, LiveState.NONE);
  }

  /**
   * The gate every attempt passes before its first step, when the rule needs one: with
   * {@code approval.required: always}, or with {@code auto} when a destructive step has no
   * {@code approve} step before it. Its TTL, default and notifier are the rule's {@code approval} values.
   * Empty when the steps start without a gate (or the rule has no steps).
   */
  public Optional<Step.Approve> gateBeforeSteps() {
    if (steps.isEmpty() || steps.get(0) instanceof Step.Approve || approval.notifier() == null) {
      return Optional.empty();
    }
    return approvalBeforeSteps() ? Optional.of(new Step.Approve(approval.ttl(), approval.defaultApprove(),
        approval.notifier())) : Optional.empty();
  }

  /**
   * True when the attempt needs an approval before its first step ({@link #gateBeforeSteps()}), whether
   * or not a notifier is known (the loader rejects a rule that needs one and has none).
   */
  public boolean approvalBeforeSteps() {
    if (steps.isEmpty() || steps.get(0) instanceof Step.Approve) {
      return false;
    }
    return switch (approval.required()) {
      case ALWAYS -> true;
      case NEVER -> false;
      case AUTO -> firstUngatedDestructiveStep() >= 0;
    };
  }

  /** The index of the first destructive step with no {@code approve} step before it, or -1. */
  public int firstUngatedDestructiveStep() {
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i) instanceof Step.Approve) {
        return -1;
      }
      if (steps.get(i).destructive()) {
        return i;
      }
    }
    return -1;
  }

  /**
   * When the rule's attempts need a human approval ({@code approval:} in the rule file).
   *
   * @param required {@code auto}: before an attempt with a destructive step that no {@code approve} step
   *     guards; {@code always}: before every attempt; {@code never}: only at explicit {@code approve} steps
   * @param ttl how long a gate waits for a decision (also the default of {@code approve} steps)
   * @param defaultApprove the decision when the TTL passes (also the default of {@code approve} steps)
   * @param notifier who is asked (also the default of {@code approve} steps); null when not set
   */
  public record Approval(Required required, Duration ttl, boolean defaultApprove, String notifier) {
    /** {@code auto}, TTL 1h, default reject, no notifier. */
    public static final Approval DEFAULT = new Approval(Required.AUTO, Duration.ofHours(1), false, null);

    public Approval {
      Objects.requireNonNull(required, "required");
      Objects.requireNonNull(ttl, "ttl");
    }

    /** {@code approval.required}. */
    public enum Required {
      AUTO,
      ALWAYS,
      NEVER
    }
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
   * @param probe between attempts, the next one starts as soon as this probe of the connector's endpoint
   *     succeeds (the backoff is the upper bound); null to wait for the backoff alone
   */
  public record RetryPolicy(int maxAttempts, List<Duration> backoff, Duration resetAfter, Probe probe) {
    public RetryPolicy {
      backoff = List.copyOf(backoff);
      Objects.requireNonNull(resetAfter, "resetAfter");
    }

    /** A retry policy waiting for the clock alone. */
    public RetryPolicy(int maxAttempts, List<Duration> backoff, Duration resetAfter) {
      this(maxAttempts, backoff, resetAfter, null);
    }
  }

  /**
   * {@code retry.probe}: how runbookd checks, from its own network, that the connector's dependency
   * answers again (the endpoint comes from the connector's config).
   *
   * @param http false for a TCP connect, true for an HTTP GET
   * @param path for HTTP: the path requested on the endpoint ({@code /} by default)
   * @param status for HTTP: the expected status code; 0 means any 2xx
   * @param body for HTTP: a pattern the response body must contain, or null
   * @param every how often the probe runs while the backoff lasts
   * @param timeout how long one probe may take (connect and, for HTTP, the response)
   */
  public record Probe(boolean http, String path, int status, io.runbookd.alert.LinearPattern body, Duration every,
      Duration timeout) {
    public Probe {
      Objects.requireNonNull(every, "every");
      Objects.requireNonNull(timeout, "timeout");
      path = path == null ? "/" : path;
    }

    /** What it checks, for humans: {@code tcp} or {@code http GET / -> 200}. */
    public String describe() {
      return http ? "http GET " + path + " -> " + (status == 0 ? "2xx" : status) + (body == null ? "" : " with a matching body")
          : "tcp connect";
    }
  }

  /**
   * Verification of a fix: the connector (and its tasks) in {@code state} without interruption for
   * {@code stableFor}, reached within {@code within} of the end of the steps. What each state means for
   * the tasks: {@code io.runbookd.policy.StabilityPolicy#holds}.
   *
   * @param state {@code RUNNING} (the default), {@code PAUSED} or {@code STOPPED}: the state the steps are
   *     meant to leave the connector in
   */
  public record Verify(Duration within, Duration stableFor, ConnectorState state) {
    public Verify {
      Objects.requireNonNull(within, "within");
      Objects.requireNonNull(stableFor, "stableFor");
      Objects.requireNonNull(state, "state");
    }

    /** A verification of RUNNING. */
    public Verify(Duration within, Duration stableFor) {
      this(within, stableFor, ConnectorState.RUNNING);
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

  /**
   * The conditions of {@code match} on the live state around the connector. A rule WITHOUT any of them
   * acts only on a connector that is not healthy (a FAILED instance, a task not RUNNING, no task at
   * all...): an alert whose connector Connect shows healthy is stale for it. A rule WITH them acts
   * whenever they hold, RUNNING or not.
   *
   * @param status the connector's and tasks' states; null when not set
   * @param consumerGroup the sink's consumer group {@code connect-<connector>}; null when not set
   */
  public record LiveState(StatusCondition status, GroupCondition consumerGroup) {
    /** No live-state condition. */
    public static final LiveState NONE = new LiveState(null, null);

    /** True when the rule has a {@code status} or {@code consumer_group} condition. */
    public boolean any() {
      return status != null || consumerGroup != null;
    }
  }

  /**
   * {@code match.status}: what {@code GET /connectors/{name}/status} must show.
   *
   * @param connector the connector's state must be one of these; empty = any
   * @param noTasks {@code tasks: none}: the status lists no task at all
   * @param taskStates {@code tasks: [UNASSIGNED, ...]}: at least one task is in one of these states;
   *     empty = no task condition (unless {@code noTasks})
   */
  public record StatusCondition(java.util.Set<ConnectorState> connector, boolean noTasks,
      java.util.Set<ConnectorState> taskStates) {
    public StatusCondition {
      connector = java.util.Set.copyOf(connector);
      taskStates = java.util.Set.copyOf(taskStates);
    }
  }

  /**
   * {@code match.consumer_group}: what the sink's consumer group {@code connect-<connector>} must show,
   * read through the Kafka cluster of the connector's Connect cluster ({@code connect_clusters.<c>.kafka}).
   *
   * @param states the group state must be one of these (Kafka's {@code GroupState} names, e.g.
   *     {@code EMPTY}, {@code STABLE}); empty = any
   * @param lagAbove the group's total lag (records, summed over partitions) must be above this; null = any
   * @param lagGrowing the total lag must be higher now than at a reading taken at least this long
   *     before; null = no such condition
   */
  public record GroupCondition(java.util.Set<String> states, Long lagAbove, Duration lagGrowing) {
    public GroupCondition {
      states = java.util.Set.copyOf(states);
    }
  }
}
