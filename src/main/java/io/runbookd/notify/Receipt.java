package io.runbookd.notify;

/**
 * What a receiver answered to an accepted message that later messages of the incident refer to.
 *
 * @param notifierType {@code webhook}, {@code slack} or {@code pagerduty}
 * @param channel Slack chat.postMessage: the channel ID of the message; null otherwise
 * @param ts Slack chat.postMessage: the message's {@code ts}, the {@code thread_ts} of replies to it; null
 *     otherwise (a Slack incoming webhook answers {@code ok} and no ts)
 */
public record Receipt(String notifierType, String channel, String ts) {}
