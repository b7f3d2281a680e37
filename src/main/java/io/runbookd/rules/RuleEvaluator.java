package io.runbookd.rules;

import io.runbookd.alert.LabelMatcher;
import io.runbookd.alert.LinearPattern;
import io.runbookd.model.ConnectorStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Picks the rule for an alert: the first rule, in rule set order, whose label matchers all hold
 * and whose trace pattern is found in the connector's status. Used by the daemon and by
 * {@code runbookd explain}.
 *
 * <p>Pure and deterministic: no I/O, no clock. Evaluation has two phases because the connector
 * status (I/O) depends on the target, which depends on the rule:
 *
 * <ol>
 *   <li>{@link #candidates} checks every rule's label matchers against the alert and renders
 *       the target of each rule whose matchers hold;
 *   <li>the caller fetches the status of those targets ({@link Candidate#eligible()});
 *   <li>{@link #select} checks trace patterns in order and returns the winner with an
 *       explanation, condition by condition.
 * </ol>
 *
 * <p>Trace patterns are searched ({@link LinearPattern#find}, in linear time) in the trace of the
 * connector and of every task, over the part {@link #TRACE_SEARCH_LIMIT} describes (the
 * {@code Caused by:} chain included); a rule without a trace pattern matches whatever the status,
 * even without one. The {@code trace} of
 * {@code GET /connectors/{name}/status} (https://kafka.apache.org/documentation/#connect_rest) is
 * the failure's full stack trace, and its first line is often a wrapper: a failed sink task reports
 * {@code ConnectException: Exiting WorkerSinkTask due to unrecoverable exception.} with the real
 * cause in a {@code Caused by:} entry (Kafka's {@code connect/runtime/.../WorkerSinkTask.java}).
 */
public final class RuleEvaluator {

  /**
   * How much of a trace patterns are searched in, in characters (UTF-16 code units): 65,536.
   *
   * <p>The first {@code TRACE_SEARCH_LIMIT} characters of each trace are searched, then the
   * {@code Caused by:} entries that start after them (each the line and the lines of its message, up
   * to the cause's first stack frame), up to {@code TRACE_SEARCH_LIMIT} characters of them, the last
   * ones first: the root cause at the bottom of a megabyte-long trace still matches, its thousands of
   * stack frames are skipped, and no more than twice the limit is ever searched. A trace is
   * untrusted input from a connector: its messages may quote record data, and nothing bounds its
   * length. Only matching is bounded: the whole trace is kept on the incident.
   */
  public static final int TRACE_SEARCH_LIMIT = 64 * 1024;


  private RuleEvaluator() {}

  // ---------------------------------------------------------------- results

  /**
   * One label matcher checked against the alert.
   *
   * @param matcher the matcher
   * @param value the label's value; empty when the alert does not carry the label (it then
   *     matches as the empty string, as in Alertmanager)
   * @param held whether the matcher holds
   */
  public record MatcherResult(LabelMatcher matcher, Optional<String> value, boolean held) {
    public MatcherResult {
      Objects.requireNonNull(matcher, "matcher");
      Objects.requireNonNull(value, "value");
    }

    /** E.g. {@code held    alertname=~"KafkaConnect.*Failure"  (alertname="KafkaConnectTaskFailure")}. */
    public String describe() {
      String actual = value.map(v -> matcher.name() + "=\"" + v + "\"").orElse("label " + matcher.name() + " not set");
      return (held ? "held    " : "failed  ") + matcher + "  (" + actual + ")";
    }
  }

  /**
   * A rule checked against an alert's labels.
   *
   * @param rule the rule
   * @param matchers every matcher of the rule, in order, with its result
   * @param target the rendered target; present only when all matchers hold and it rendered
   * @param targetError why the target could not be rendered (e.g. {@code target.cluster: label
   *     "connect_cluster" is not set on the alert}); present only when all matchers hold and
   *     rendering failed
   */
  public record Candidate(
      Rule rule, List<MatcherResult> matchers, Optional<ConnectorTarget> target, Optional<String> targetError) {
    public Candidate {
      Objects.requireNonNull(rule, "rule");
      matchers = List.copyOf(matchers);
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(targetError, "targetError");
    }

    /** True when every label matcher holds. */
    public boolean labelsHold() {
      return matchers.stream().allMatch(MatcherResult::held);
    }

    /** True when the labels hold and the target rendered: the rule's trace is worth checking. */
    public boolean eligible() {
      return labelsHold() && target.isPresent();
    }
  }

  /** The result of a rule's trace condition. */
  public enum TraceOutcome {
    /** The pattern was found in a trace. */
    MATCHED,
    /** The status has traces and none contains the pattern, or it has no trace at all. */
    NOT_MATCHED,
    /** The rule has a pattern but no status could be had for the target. */
    NO_STATUS,
    /** The rule has no trace pattern: it matches whatever the status. */
    ANY
  }

  /**
   * A trace of the status: the one the pattern was found in, or the one a rule without pattern
   * took its cause from.
   *
   * @param source {@code connector} or {@code task <id>}
   * @param text the full trace
   * @param line the line of the trace where the pattern was found (for a rule without pattern,
   *     the cause line)
   */
  public record TraceMatch(String source, String text, String line) {
    public TraceMatch {
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(text, "text");
      Objects.requireNonNull(line, "line");
    }
  }

  /**
   * A rule's trace condition checked against a status.
   *
   * @param outcome the result
   * @param match where the pattern was found (MATCHED), or the trace the cause comes from (ANY,
   *     when the status has a trace)
   * @param searched the traces searched, e.g. {@code [connector, task 0]} (NOT_MATCHED)
   */
  public record TraceResult(TraceOutcome outcome, Optional<TraceMatch> match, List<String> searched) {
    public TraceResult {
      Objects.requireNonNull(outcome, "outcome");
      Objects.requireNonNull(match, "match");
      searched = List.copyOf(searched);
    }
  }

  /**
   * How one rule fared, condition by condition.
   *
   * @param candidate the rule with its label matchers and target
   * @param trace the trace condition; empty when it was not reached (labels failed, or the
   *     target could not be rendered)
   * @param matched whether the rule won
   */
  public record RuleExplanation(Candidate candidate, Optional<TraceResult> trace, boolean matched,
      List<String> live) {
    public RuleExplanation {
      Objects.requireNonNull(candidate, "candidate");
      Objects.requireNonNull(trace, "trace");
      live = List.copyOf(live);
    }

    /** Without live-state lines. */
    public RuleExplanation(Candidate candidate, Optional<TraceResult> trace, boolean matched) {
      this(candidate, trace, matched, List.of());
    }

    /** The rule. */
    public Rule rule() {
      return candidate.rule();
    }

    /**
     * Human-readable lines: a header ({@code rule "x" (file:line): MATCHED | no match}), then one
     * line per condition, in order.
     */
    public List<String> lines() {
      Rule rule = candidate.rule();
      List<String> out = new ArrayList<>();
      out.add("rule \"" + rule.name() + "\" (" + rule.source() + "): " + (matched ? "MATCHED" : "no match"));
      for (MatcherResult m : candidate.matchers()) {
        out.add("  " + m.describe());
      }
      if (!candidate.labelsHold()) {
        return out;
      }
      candidate.target().ifPresent(t -> out.add("  target  " + t));
      candidate.targetError().ifPresent(e -> out.add("  failed  target: " + e));
      trace.ifPresent(tr -> out.add("  " + describeTrace(rule, tr)));
      live.forEach(l -> out.add("  " + l));
      return out;
    }

    private static String describeTrace(Rule rule, TraceResult tr) {
      String pattern = rule.trace().map(p -> "trace /" + p.firstLine() + "/").orElse("trace");
      return switch (tr.outcome()) {
        case MATCHED -> "matched " + pattern + "  in " + tr.match().orElseThrow().source() + ": "
            + quote(tr.match().orElseThrow().line());
        case NOT_MATCHED -> tr.searched().isEmpty()
            ? "failed  " + pattern + "  (the status has no trace)"
            : "failed  " + pattern + "  (not found in " + String.join(", ", tr.searched()) + ")";
        case NO_STATUS -> "failed  " + pattern + "  (no status for the connector)";
        case ANY -> "any     trace (the rule has no trace pattern)";
      };
    }

    private static String quote(String s) {
      String line = s.strip();
      return "\"" + (line.length() > 200 ? line.substring(0, 197) + "..." : line) + "\"";
    }
  }

  /**
   * The winning rule.
   *
   * @param rule the rule
   * @param target its rendered target
   * @param status the connector's status; empty when none could be had (only a rule without
   *     trace pattern can win then)
   * @param trace the trace the pattern was found in; for a rule without pattern, the first trace
   *     of the status (connector, then tasks by id), if any
   * @param cause the cause line of that trace ({@link #causeLine}); empty without trace
   */
  public record Match(
      Rule rule, ConnectorTarget target, Optional<ConnectorStatus> status, Optional<TraceMatch> trace,
      Optional<String> cause) {
    public Match {
      Objects.requireNonNull(rule, "rule");
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(trace, "trace");
      Objects.requireNonNull(cause, "cause");
    }
  }

  /**
   * The result of {@link #select}.
   *
   * @param match the winner; empty when no rule matched
   * @param explanation every rule in order up to and including the winner (all rules when none
   *     matched), condition by condition
   */
  public record Evaluation(Optional<Match> match, List<RuleExplanation> explanation, Optional<Pending> pending,
      Optional<ConnectorTarget> healthy) {
    public Evaluation {
      Objects.requireNonNull(match, "match");
      explanation = List.copyOf(explanation);
      Objects.requireNonNull(pending, "pending");
      Objects.requireNonNull(healthy, "healthy");
    }

    public Evaluation(Optional<Match> match, List<RuleExplanation> explanation) {
      this(match, explanation, Optional.empty(), Optional.empty());
    }

    /**
     * What the daemon does with a firing alert that joins no open incident, given this evaluation: {@code
     * open} (a rule matched), {@code wait} (a rule's {@code lag_growing} needs a reading from further back:
     * the alert is kept and decided again), {@code stale} (no rule matched and the connector is healthy: the
     * alert is dropped), or {@code unmatched}. The Connect-side verdicts (Connect not answering, a deleted
     * connector) come on top, in {@code io.runbookd.policy.AlertPolicy}.
     */
    public String decision() {
      return match.isPresent() ? "open" : pending.isPresent() ? "wait" : healthy.isPresent() ? "stale" : "unmatched";
    }

    /** The explanation as text, one condition per line, ending with the verdict. */
    public String explain() {
      StringBuilder out = new StringBuilder();
      for (RuleExplanation e : explanation) {
        for (String line : e.lines()) {
          out.append(line).append('\n');
        }
      }
      out.append(match.map(m -> "=> rule \"" + m.rule().name() + "\" on " + m.target()
              + m.cause().map(c -> ": " + c).orElse(""))
          .orElseGet(() -> pending.map(p -> "=> waiting: rule \"" + p.rule() + "\" " + p.why()
                  + "; the daemon keeps the alert and decides again at " + p.until())
              .orElseGet(() -> healthy.map(t -> "=> no rule matched and " + t + " is healthy: a stale alert,"
                  + " the daemon drops it").orElse("=> no rule matched"))));
      return out.append('\n').toString();
    }
  }

  /**
   * A rule whose other conditions hold and whose {@code lag_growing} needs a reading from further back.
   *
   * @param rule the rule's name
   * @param why e.g. {@code needs a reading of connect-x at least 2m old (first reading 12:00:00Z)}
   * @param until when that reading exists: the decision is due then
   */
  public record Pending(String rule, String why, java.time.Instant until) {}

  // ---------------------------------------------------------------- evaluation

  /**
   * Checks every rule's label matchers and renders the target of each rule whose matchers all
   * hold.
   *
   * @param rules the rule set
   * @param labels the alert's labels
   * @param annotations the alert's annotations (target templates may use them)
   * @return one candidate per rule, in rule set order; a rendering error (e.g. a missing label)
   *     is kept in {@link Candidate#targetError()}
   */
  public static List<Candidate> candidates(
      RuleSet rules, Map<String, String> labels, Map<String, String> annotations) {
    Objects.requireNonNull(rules, "rules");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(annotations, "annotations");
    List<Candidate> out = new ArrayList<>();
    for (Rule rule : rules.rules()) {
      out.add(candidate(rule, labels, annotations));
    }
    return out;
  }

  /**
   * The rules whose label matchers all hold, in rule set order, each with its rendered target (or its
   * rendering error): the candidates of {@link #candidates(RuleSet, Map, Map)} whose {@link
   * Candidate#labelsHold()}, found through {@code index} so that only the rules it files under the
   * alert's labels are tested. {@link #select} on them picks the same winner.
   */
  public static List<Candidate> heldCandidates(
      RuleIndex index, Map<String, String> labels, Map<String, String> annotations) {
    Objects.requireNonNull(index, "index");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(annotations, "annotations");
    List<Candidate> out = new ArrayList<>();
    for (Rule rule : index.candidates(labels)) {
      boolean all = true;
      for (LabelMatcher m : rule.alertMatchers()) {
        if (!m.matches(labels)) {
          all = false;
          break;
        }
      }
      if (all) {
        out.add(candidate(rule, labels, annotations));
      }
    }
    return out;
  }

  private static Candidate candidate(Rule rule, Map<String, String> labels, Map<String, String> annotations) {
    List<MatcherResult> results = new ArrayList<>(rule.alertMatchers().size());
    boolean all = true;
    for (LabelMatcher m : rule.alertMatchers()) {
      boolean held = m.matches(labels);
      all &= held;
      results.add(new MatcherResult(m, Optional.ofNullable(labels.get(m.name())), held));
    }
    if (!all) {
      return new Candidate(rule, results, Optional.empty(), Optional.empty());
    }
    Map<String, Object> ctx = TemplateContext.target(rule.name(), labels, annotations);
    String cluster;
    String connector;
    try {
      cluster = render(rule.target().cluster(), ctx, "target.cluster");
      connector = render(rule.target().connector(), ctx, "target.connector");
    } catch (IllegalArgumentException e) {
      return new Candidate(rule, results, Optional.empty(), Optional.of(e.getMessage()));
    }
    return new Candidate(rule, results, Optional.of(new ConnectorTarget(cluster, connector)), Optional.empty());
  }

  /**
   * Picks the first eligible candidate whose trace pattern is found in any trace of its target's
   * status (connector trace, then task traces by id); a rule without pattern matches regardless. No
   * consumer group is known: a rule with {@code match.consumer_group} does not hold.
   */
  public static Evaluation select(
      List<Candidate> candidates, Function<ConnectorTarget, Optional<ConnectorStatus>> statusOf) {
    return select(candidates, statusOf, t -> GroupReading.unavailable("no consumer group reading"));
  }

  /**
   * Picks the first eligible candidate whose conditions all hold, in order: its trace pattern (searched
   * in the connector's trace, then the tasks' by id; a rule without pattern matches any), its {@code
   * status} and its {@code consumer_group} conditions. A rule with neither of the last two acts only on
   * a connector that is not healthy ({@link ConnectorStatus#isHealthy()}): an alert about a healthy
   * connector is stale for it. A rule whose {@code lag_growing} needs a reading from further back, its
   * other conditions holding, ends the selection {@linkplain Evaluation#pending() pending}.
   *
   * @param candidates from {@link #candidates}, in order
   * @param statusOf the status of a target, empty when it could not be had (unknown cluster or
   *     connector, Connect unreachable); called at most once per distinct target
   * @param groupOf the consumer group {@code connect-<connector>} of a target; called at most once per
   *     distinct target, and only for rules with a {@code consumer_group} condition
   * @return the winner, if any, and the explanation up to it
   */
  public static Evaluation select(List<Candidate> candidates,
      Function<ConnectorTarget, Optional<ConnectorStatus>> statusOf, Function<ConnectorTarget, GroupReading> groupOf) {
    Objects.requireNonNull(candidates, "candidates");
    Objects.requireNonNull(statusOf, "statusOf");
    Objects.requireNonNull(groupOf, "groupOf");
    Map<ConnectorTarget, Optional<ConnectorStatus>> statuses = new HashMap<>();
    Map<ConnectorTarget, GroupReading> groups = new HashMap<>();
    List<RuleExplanation> explanation = new ArrayList<>();
    Optional<ConnectorTarget> healthy = Optional.empty();
    for (Candidate c : candidates) {
      if (!c.eligible()) {
        explanation.add(new RuleExplanation(c, Optional.empty(), false));
        continue;
      }
      ConnectorTarget target = c.target().orElseThrow();
      Optional<ConnectorStatus> status = statuses.computeIfAbsent(target, t -> Objects.requireNonNull(statusOf.apply(t),
          "statusOf returned null"));
      boolean isHealthy = status.isPresent() && status.get().isHealthy();
      if (isHealthy && healthy.isEmpty()) {
        healthy = Optional.of(target);
      }
      Rule.LiveState live = c.rule().live();
      if (!live.any() && isHealthy) {
        explanation.add(new RuleExplanation(c, Optional.empty(), false, List.of("failed  connector is healthy ("
            + LiveConditions.describe(status.get()) + "); a rule without status or consumer_group conditions acts"
            + " only on a failure")));
        continue;
      }
      TraceResult result = checkTrace(c.rule().trace(), status);
      boolean traceHeld = result.outcome() == TraceOutcome.MATCHED || result.outcome() == TraceOutcome.ANY;
      LiveConditions.Result lr = LiveConditions.check(c.rule(), target, status,
          live.consumerGroup() == null ? null : groups.computeIfAbsent(target, t -> Objects.requireNonNull(
              groupOf.apply(t), "groupOf returned null")));
      boolean matched = traceHeld && lr.held();
      explanation.add(new RuleExplanation(c, Optional.of(result), matched, lr.lines()));
      if (matched) {
        Optional<TraceMatch> trace = result.match();
        Optional<String> cause = trace.map(t -> causeLine(t.text()));
        if (live.any()) {
          cause = Optional.of(cause.map(x -> lr.summary() + "; " + x).orElse(lr.summary()));
        }
        return new Evaluation(Optional.of(new Match(c.rule(), target, status, trace, cause)), explanation,
            Optional.empty(), healthy);
      }
      if (traceHeld && lr.pending().isPresent()) {
        return new Evaluation(Optional.empty(), explanation,
            Optional.of(new Pending(c.rule().name(), lr.pending().get(), lr.until())), healthy);
      }
    }
    return new Evaluation(Optional.empty(), explanation, Optional.empty(), healthy);
  }

  /** {@link #candidates} then {@link #select}, with consumer group readings. */
  public static Evaluation evaluate(
      RuleSet rules, Map<String, String> labels, Map<String, String> annotations,
      Function<ConnectorTarget, Optional<ConnectorStatus>> statusOf, Function<ConnectorTarget, GroupReading> groupOf) {
    return select(candidates(rules, labels, annotations), statusOf, groupOf);
  }

  /** {@link #candidates} then {@link #select}: the whole evaluation when statuses are at hand. */
  public static Evaluation evaluate(
      RuleSet rules, Map<String, String> labels, Map<String, String> annotations,
      Function<ConnectorTarget, Optional<ConnectorStatus>> statusOf) {
    return select(candidates(rules, labels, annotations), statusOf);
  }

  /**
   * The line of a trace that says what went wrong: {@link CauseLine#of}, the exception line of the
   * {@code Caused by:} chain that names the most of a host and port, a user, a column, a table and an
   * error code, else the last {@code Caused by:} line, else the first non-blank line; stripped.
   *
   * <p>E.g. {@code org.postgresql.util.PSQLException: Connection to db:5432 refused. Check that
   * the hostname and port are correct and that the postmaster is accepting TCP/IP connections.}
   */
  public static String causeLine(String trace) {
    return CauseLine.of(trace);
  }

  private static String render(Template t, Map<String, Object> ctx, String what) {
    String value;
    try {
      value = t.render(ctx);
    } catch (Template.TemplateException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
    }
    if (value.isBlank()) {
      throw new IllegalArgumentException(what + ": \"" + t.source() + "\" rendered to an empty string");
    }
    return value;
  }

  private static TraceResult checkTrace(Optional<LinearPattern> pattern, Optional<ConnectorStatus> status) {
    List<TraceMatch> traces = status.map(RuleEvaluator::traces).orElse(List.of());
    if (pattern.isEmpty()) {
      Optional<TraceMatch> first = traces.stream().findFirst()
          .map(t -> new TraceMatch(t.source(), t.text(), causeLine(t.text())));
      return new TraceResult(TraceOutcome.ANY, first, List.of());
    }
    if (status.isEmpty()) {
      return new TraceResult(TraceOutcome.NO_STATUS, Optional.empty(), List.of());
    }
    List<String> searched = new ArrayList<>();
    for (TraceMatch t : traces) {
      String window = TraceWindow.of(t.text());
      int at = pattern.get().find(window);
      if (at >= 0) {
        return new TraceResult(TraceOutcome.MATCHED,
            Optional.of(new TraceMatch(t.source(), t.text(), lineAt(window, at))), List.of());
      }
      searched.add(t.source());
    }
    return new TraceResult(TraceOutcome.NOT_MATCHED, Optional.empty(), searched);
  }

  /** The connector's trace, then the tasks' in id order; empty traces are skipped. */
  private static List<TraceMatch> traces(ConnectorStatus status) {
    List<TraceMatch> out = new ArrayList<>();
    String ct = status.connector().trace();
    if (ct != null && !ct.isBlank()) {
      out.add(new TraceMatch("connector", ct, ""));
    }
    status.tasks().stream()
        .sorted((a, b) -> Integer.compare(a.id(), b.id()))
        .forEach(task -> {
          String tt = task.status().trace();
          if (tt != null && !tt.isBlank()) {
            out.add(new TraceMatch("task " + task.id(), tt, ""));
          }
        });
    return out;
  }

  /** The whole line of {@code text} containing offset {@code at}. */
  private static String lineAt(String text, int at) {
    int start = at;
    while (start > 0 && text.charAt(start - 1) != '\n' && text.charAt(start - 1) != '\r') {
      start--;
    }
    int end = at;
    while (end < text.length() && text.charAt(end) != '\n' && text.charAt(end) != '\r') {
      end++;
    }
    return text.substring(start, end).strip();
  }
}
