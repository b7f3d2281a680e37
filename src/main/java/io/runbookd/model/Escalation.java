package io.runbookd.model;

import java.time.Instant;
import java.util.Objects;

/**
 * A durable escalation timer. Level {@code n >= 0} is the rule's n-th ladder entry; level
 * {@link #GAVE_UP} is the single "gave up" escalation sent when the attempt budget is spent.
 *
 * @param incidentId the incident
 * @param level the ladder level, or {@link #GAVE_UP}
 * @param dueAt when it fires
 * @param notifier the notifier name
 * @param message a note runbookd attached, sent with the level's message (why it gave up, when giving up
 *     brought this level forward); null otherwise
 * @param firedAt when it was delivered, null until then
 * @param cancelledAt when it was cancelled (incident closed first), null otherwise
 */
public record Escalation(
    String incidentId, int level, Instant dueAt, String notifier, String message, Instant firedAt, Instant cancelledAt) {

  /** The level of the "gave up" escalation. */
  public static final int GAVE_UP = 1000;

  public Escalation {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(dueAt, "dueAt");
    Objects.requireNonNull(notifier, "notifier");
  }

  /** The metric label value: the level number, or {@code gave_up}. */
  public String levelLabel() {
    return level == GAVE_UP ? "gave_up" : Integer.toString(level);
  }
}
