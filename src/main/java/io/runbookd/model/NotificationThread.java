package io.runbookd.model;

import java.time.Instant;
import java.util.Objects;

/**
 * A message a notifier's receiver accepted about an incident, kept so that a later message can refer
 * to it: a PagerDuty trigger (resolved or acknowledged later with the same {@code dedupKey}) or the
 * first Slack or webhook message of the incident (a Slack thread's parent, replied to when the incident
 * closes).
 *
 * @param incidentId the incident
 * @param notifier the notifier's name in runbookd.yaml
 * @param notifierType {@code pagerduty}, {@code slack} or {@code webhook}
 * @param dedupKey the PagerDuty {@code dedup_key} of the trigger; empty for other types
 * @param channel the Slack channel ID chat.postMessage answered with, null otherwise
 * @param threadTs the Slack message {@code ts} chat.postMessage answered with (the thread to reply in),
 *     null otherwise (an incoming webhook answers with no ts)
 * @param sentAt when the receiver accepted it
 * @param followUpDone the last follow-up delivered: null, {@code acknowledge} or {@code close}
 */
public record NotificationThread(String incidentId, String notifier, String notifierType, String dedupKey,
    String channel, String threadTs, Instant sentAt, String followUpDone) {

  /** {@link #followUpDone} once the incident's close was told. */
  public static final String CLOSE = "close";
  /** {@link #followUpDone} once a human rejection was told (PagerDuty acknowledge). */
  public static final String ACKNOWLEDGE = "acknowledge";

  public NotificationThread {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(notifier, "notifier");
    Objects.requireNonNull(notifierType, "notifierType");
    Objects.requireNonNull(sentAt, "sentAt");
    dedupKey = dedupKey == null ? "" : dedupKey;
  }
}
