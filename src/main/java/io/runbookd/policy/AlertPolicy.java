package io.runbookd.policy;

import io.runbookd.model.ConnectorStatus;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.RuleEvaluator;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a firing alert that joined no open incident leads to, as a pure function of what Connect said
 * about its candidate connectors: wait for Connect, no rule, a deleted connector, a stale alert, or a new
 * incident. Nothing here reads a clock.
 */
public final class AlertPolicy {
  /**
   * While Connect does not answer, an alert is retried (it stays recorded, unprocessed) for this long
   * before rules without a trace pattern may take it: a trace-specific rule cannot match without a trace.
   */
  public static final Duration CONNECT_GRACE = Duration.ofMinutes(3);
  /** The {@link Lookup#error()} of a connector Connect answered 404 for. */
  public static final String NOT_FOUND = "connector not found";

  /**
   * The lookup of a target whose Connect cluster is not configured: a configuration error, not an outage, so
   * the alert is not retried for {@link #CONNECT_GRACE}; the incident records the error as its cause.
   */
  public static Lookup unknownCluster(String cluster, java.util.Collection<String> configured) {
    return new Lookup(null, UNKNOWN_CLUSTER + "\"" + cluster + "\" is not configured (configured: "
        + String.join(", ", new java.util.TreeSet<>(configured)) + ")");
  }

  /** The start of the {@link Lookup#error()} of {@link #unknownCluster}. */
  public static final String UNKNOWN_CLUSTER = "configuration error: Connect cluster ";

  private AlertPolicy() {}

  /**
   * What Connect said about one candidate connector.
   *
   * @param status its status, null when Connect did not answer or answered 404
   * @param error why there is no status ({@link #NOT_FOUND} for a 404), null with a status
   */
  public record Lookup(ConnectorStatus status, String error) {}

  /** The verdict on one firing alert. */
  public sealed interface Verdict permits Verdict.Defer, Verdict.Unmatched, Verdict.Deleted, Verdict.Stale, Verdict.Wait,
      Verdict.Open {
    /** Connect did not answer and the grace period runs: keep the alert and try again later. */
    record Defer(String error) implements Verdict {}

    /** No rule's conditions hold; {@code explain} says why, condition by condition. */
    record Unmatched(String explain) implements Verdict {}

    /** The matched connector no longer exists: nothing to do. */
    record Deleted(RuleEvaluator.Match match) implements Verdict {}

    /**
     * No rule's conditions hold and the connector is healthy by now: a stale alert, nothing to do. (A rule
     * with {@code status} or {@code consumer_group} conditions that hold matches a healthy connector: the
     * alert is then not stale.)
     */
    record Stale(ConnectorTarget target, String explain) implements Verdict {}

    /**
     * A rule's {@code lag_growing} needs a reading from further back: keep the alert, decide again later.
     *
     * @param pending the rule, why, and when the decision is due
     */
    record Wait(RuleEvaluator.Pending pending) implements Verdict {}

    /** Open an incident for {@code match} with its cause and trace (either may be null). */
    record Open(RuleEvaluator.Match match, String cause, String trace) implements Verdict {
      public Open {
        Objects.requireNonNull(match, "match");
      }
    }
  }

  /**
   * Decides a firing alert received at {@code receivedAt}.
   *
   * @param candidates the rules whose label matchers hold, in rule order
   * @param lookups what Connect said about each candidate target (a missing entry: not asked)
   */
  public static Verdict decide(Instant receivedAt, Instant now, List<RuleEvaluator.Candidate> candidates,
      Map<ConnectorTarget, Lookup> lookups) {
    return decide(receivedAt, now, candidates, lookups, Map.of());
  }

  /**
   * Decides a firing alert received at {@code receivedAt}: the one decision the daemon, {@code runbookd
   * explain} and {@code runbookd test-rules} share.
   *
   * @param candidates the rules whose label matchers hold, in rule order
   * @param lookups what Connect said about each candidate target (a missing entry: not asked)
   * @param groups the consumer group of each target some candidate's {@code consumer_group} condition needs
   *     (a missing entry: not read)
   */
  public static Verdict decide(Instant receivedAt, Instant now, List<RuleEvaluator.Candidate> candidates,
      Map<ConnectorTarget, Lookup> lookups, Map<ConnectorTarget, io.runbookd.rules.GroupReading> groups) {
    Optional<String> unreachable = lookups.values().stream()
        .filter(l -> l.status() == null && !NOT_FOUND.equals(l.error())
            && (l.error() == null || !l.error().startsWith(UNKNOWN_CLUSTER)))
        .map(l -> l.error() == null ? "?" : l.error()).findFirst();
    if (unreachable.isPresent() && receivedAt.plus(CONNECT_GRACE).isAfter(now)) {
      return new Verdict.Defer(unreachable.get());
    }
    RuleEvaluator.Evaluation ev = evaluate(candidates, lookups, groups);
    if (ev.pending().isPresent()) {
      return new Verdict.Wait(ev.pending().get());
    }
    if (ev.match().isEmpty()) {
      return ev.healthy().isPresent() ? new Verdict.Stale(ev.healthy().get(), ev.explain())
          : new Verdict.Unmatched(ev.explain());
    }
    RuleEvaluator.Match match = ev.match().get();
    Lookup lookup = lookups.get(match.target());
    if (lookup != null && NOT_FOUND.equals(lookup.error())) {
      return new Verdict.Deleted(match);
    }
    String trace = match.trace().map(RuleEvaluator.TraceMatch::text).orElse(null);
    String cause = match.cause().orElse(lookup == null ? null : lookup.error());
    return new Verdict.Open(match, cause, trace);
  }

  /** The rule evaluation {@link #decide} rests on, for {@code explain}. */
  public static RuleEvaluator.Evaluation evaluate(List<RuleEvaluator.Candidate> candidates,
      Map<ConnectorTarget, Lookup> lookups, Map<ConnectorTarget, io.runbookd.rules.GroupReading> groups) {
    return RuleEvaluator.select(candidates, t -> Optional.ofNullable(lookups.get(t)).map(Lookup::status),
        t -> groups.getOrDefault(t, io.runbookd.rules.GroupReading.unavailable("the consumer group was not read")));
  }

  /**
   * The verdict in a few words, as {@code explain} and {@code test-rules} name it: {@code open}, {@code wait},
   * {@code stale}, {@code unmatched}, {@code deleted} or {@code defer}.
   */
  public static String name(Verdict v) {
    return v instanceof Verdict.Open ? "open" : v instanceof Verdict.Wait ? "wait" : v instanceof Verdict.Stale ? "stale"
        : v instanceof Verdict.Unmatched ? "unmatched" : v instanceof Verdict.Deleted ? "deleted" : "defer";
  }
}
