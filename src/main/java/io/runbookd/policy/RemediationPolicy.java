package io.runbookd.policy;

import io.runbookd.model.Budget;
import io.runbookd.model.Escalation;

import io.runbookd.rules.Rule;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure decisions about when to act: backoff, attempt budget and escalation deadlines. Every method is
 * a function of its arguments (no clock, no I/O), so tests step time to the millisecond.
 *
 * <p>The default backoff is Strimzi's connector auto-restart schedule: the n-th restart is followed by
 * a wait of {@code min(n² + n, 60)} minutes (2, 6, 12, 20, 30, 42, 56, 60, 60 ...) —
 * strimzi-kafka-operator {@code AbstractConnectOperator}.
 */
public final class RemediationPolicy {
  /** The cap of the default schedule. */
  public static final Duration MAX_DEFAULT_BACKOFF = Duration.ofMinutes(60);

  private RemediationPolicy() {}

  /**
   * The delay before attempt {@code attempt} (1-based), counted from the end of the previous attempt.
   * With an explicit {@code backoff} list the entry {@code attempt-1} is used and the last entry
   * repeats; without one the first attempt is immediate and attempt k waits min((k-1)²+(k-1), 60) min.
   */
  public static Duration delayBefore(Rule.RetryPolicy retry, int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be >= 1, got " + attempt);
    }
    List<Duration> list = retry.backoff();
    if (!list.isEmpty()) {
      return list.get(Math.min(attempt - 1, list.size() - 1));
    }
    long n = attempt - 1L;
    long minutes = Math.min(n * n + n, MAX_DEFAULT_BACKOFF.toMinutes());
    return Duration.ofMinutes(minutes);
  }

  /**
   * The budget to use for a new incident opened at {@code openedAt}: the count is reset to zero only
   * when the connector was last verified healthy at least {@code reset_after} before this failure, so a
   * connector that flaps keeps counting toward its escalation.
   */
  public static Budget onIncidentOpened(Rule.RetryPolicy retry, Budget budget, Instant openedAt) {
    if (budget.attempts() == 0) {
      return budget;
    }
    Instant recovered = budget.lastRecoveredAt();
    Instant lastAttempt = budget.lastAttemptAt();
    boolean stableLongEnough = recovered != null
        && (lastAttempt == null || !recovered.isBefore(lastAttempt))
        && !openedAt.isBefore(recovered.plus(retry.resetAfter()));
    if (stableLongEnough) {
      return new Budget(budget.cluster(), budget.connector(), budget.rule(), 0, budget.lastAttemptAt(), recovered);
    }
    return budget;
  }

  /** True when no attempt is left. */
  public static boolean exhausted(Rule.RetryPolicy retry, Budget budget) {
    return budget.attempts() >= retry.maxAttempts();
  }

  /**
   * When the next attempt may start: {@code lastAttemptAt + delayBefore(attempts + 1)}, but never before
   * {@code now}.
   */
  public static Instant nextAttemptAt(Rule.RetryPolicy retry, Budget budget, Instant now) {
    if (budget.lastAttemptAt() == null) {
      Instant at = now.plus(delayBefore(retry, budget.attempts() + 1));
      return at;
    }
    Instant at = budget.lastAttemptAt().plus(delayBefore(retry, budget.attempts() + 1));
    return at.isBefore(now) ? now : at;
  }

  /** The budget after an attempt that ended at {@code endedAt}. */
  public static Budget afterAttempt(Budget budget, Instant endedAt) {
    return new Budget(budget.cluster(), budget.connector(), budget.rule(), budget.attempts() + 1, endedAt, budget.lastRecoveredAt());
  }

  /** The budget after a verified recovery at {@code at}. */
  public static Budget afterRecovery(Budget budget, Instant at) {
    return new Budget(budget.cluster(), budget.connector(), budget.rule(), budget.attempts(), budget.lastAttemptAt(), at);
  }

  /** The escalation timers of a new incident: level i fires at {@code openedAt + after_i}. */
  public static List<Escalation> ladder(Rule rule, String incidentId, Instant openedAt) {
    List<Escalation> out = new ArrayList<>();
    for (int i = 0; i < rule.escalation().size(); i++) {
      Rule.EscalationLevel level = rule.escalation().get(i);
      out.add(new Escalation(incidentId, i, openedAt.plus(level.after()), level.notifier(), null, null, null));
    }
    return out;
  }

  /**
   * The notifier for the "gave up" escalation: the last ladder level's, else the rule's last notify
   * step's; empty when the rule names none.
   */
  public static java.util.Optional<String> gaveUpNotifier(Rule rule) {
    if (!rule.escalation().isEmpty()) {
      return java.util.Optional.of(rule.escalation().get(rule.escalation().size() - 1).notifier());
    }
    String found = null;
    for (var step : rule.steps()) {
      if (step instanceof io.runbookd.rules.Step.Notify n) {
        found = n.notifier();
      }
    }
    return java.util.Optional.ofNullable(found);
  }
}
