package io.runbookd.notify;

import java.util.Objects;

/**
 * A message that closes the loop on an earlier one.
 *
 * @param action {@link #RESOLVE} (the incident closed; for PagerDuty only when the fix was verified),
 *     or {@link #ACKNOWLEDGE} (a human rejected the approval: a human has it)
 * @param notification the text and context; its {@code dedupKey} is the earlier message's (PagerDuty)
 * @param channel the Slack channel of the earlier message, or null
 * @param threadTs the Slack {@code ts} of the earlier message (the reply goes in its thread), or null
 */
public record FollowUp(String action, Notification notification, String channel, String threadTs) {
  public static final String RESOLVE = "resolve";
  public static final String ACKNOWLEDGE = "acknowledge";

  public FollowUp {
    if (!RESOLVE.equals(action) && !ACKNOWLEDGE.equals(action)) {
      throw new IllegalArgumentException("action must be resolve or acknowledge, got " + action);
    }
    Objects.requireNonNull(notification, "notification");
  }
}
