package io.runbookd.model;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How an incident ended, or how one of runbookd's attempts on it ended: the single list of outcome labels
 * that the store ({@link Incident#outcome()} of a closed incident), the API and the metric
 * {@code runbookd_remediations_total{outcome}} use ({@link #labels()}). {@link #ending()} says which ones
 * end (close or hand over) an incident.
 */
public enum Outcome {
  /** Recovered by runbookd's own action: verified RUNNING and stable after runbookd acted. */
  RECOVERED(true),
  /**
   * Recovered after someone else changed the connector: it was RUNNING and stable again after runbookd's
   * last attempt had failed, with no runbookd action since, so a restart, resume or config change that
   * runbookd did not issue fixed it (Connect does not restart a FAILED task by itself).
   */
  CHANGED_BY_SOMEONE_ELSE(true),
  /** Recovered by itself: verified healthy without any runbookd action. */
  HEALTHY(true),
  /** Dry run: verified after runbookd only recorded what it would have done. */
  SHADOW(true),
  /** Connect answered 404: the connector was deleted. */
  CONNECTOR_DELETED(true),
  /** Handed to people without an attempt: a rule without steps, a rejected approval. */
  ESCALATED(true),
  /** runbookd gave up: its attempt budget is spent; the incident is with people. */
  GAVE_UP(true),
  /**
   * A configuration error, not an outage: e.g. the alert's {@code connect_cluster} names no configured
   * Connect cluster. Escalated once, never retried.
   */
  CONFIG_ERROR(true),
  /** An attempt whose verification failed; the incident stays open (backoff or give up follow). */
  FAILED(false),
  /** A verification closed the incident without counting an attempt (e.g. healthy when looked at). */
  SKIPPED(false),
  /** An attempt waiting for a human's approval. */
  AWAITING_APPROVAL(false);

  private final boolean ending;

  Outcome(boolean ending) {
    this.ending = ending;
  }

  /** True when this ends an incident (closes it or hands it to people); false for an attempt's result. */
  public boolean ending() {
    return ending;
  }

  /** The stored and displayed form, e.g. {@code recovered}, {@code changed_by_someone_else}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Every label, in declaration order: the one list metrics and the API use. */
  public static List<String> labels() {
    return Arrays.stream(values()).map(Outcome::label).toList();
  }
}
