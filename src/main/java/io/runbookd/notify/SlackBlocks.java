package io.runbookd.notify;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Slack Block Kit blocks of a notification (https://docs.slack.dev/block-kit/): a {@code header}
 * (plain text, at most 150 characters), a {@code section} with the message, a {@code section} with the
 * connector and the rule as {@code fields}, the cause, the plan when there is one, and an
 * {@code actions} block with a button to the incident page when {@code server.external_url} is set.
 * Section text is cut to Slack's limit of 3,000 characters; user text is escaped as Slack's mrkdwn asks
 * ({@code &}, {@code <}, {@code >}: https://docs.slack.dev/messaging/formatting-message-text).
 */
final class SlackBlocks {
  static final int HEADER_MAX = 150;
  static final int SECTION_MAX = 3000;

  private SlackBlocks() {}

  static JsonArray of(String title, String text, Notification n, String incidentUrl) {
    JsonArray blocks = new JsonArray()
        .add(new JsonObject().put("type", "header").put("text", plain(cut(title, HEADER_MAX))))
        .add(section(escape(text)));
    JsonArray fields = new JsonArray()
        .add(mrkdwn("*Connector*\n" + escape(n.cluster() + (n.connector() == null ? "" : "/" + n.connector()))));
    if (n.rule() != null) {
      fields.add(mrkdwn("*Rule*\n" + escape(n.rule())));
    }
    blocks.add(new JsonObject().put("type", "section").put("fields", fields));
    if (n.cause() != null && !n.cause().isBlank()) {
      blocks.add(section("*Cause*\n```" + escape(n.cause()) + "```"));
    }
    String plan = plan(n.plan());
    if (plan != null) {
      blocks.add(section("*Plan*\n" + plan));
    }
    if (incidentUrl != null) {
      blocks.add(new JsonObject().put("type", "actions").put("elements", new JsonArray().add(new JsonObject()
          .put("type", "button").put("text", plain("Open incident " + cut(n.incidentId(), 60)))
          .put("url", incidentUrl))));
    }
    return blocks;
  }

  /**
   * The approval plan ({@code {"steps":[{"index","type","params"}]}}) as numbered lines
   * {@code 1. pause {"..."}}; the JSON as it is when it has no steps; null without a plan.
   */
  static String plan(String planJson) {
    if (planJson == null || planJson.isBlank()) {
      return null;
    }
    try {
      JsonArray steps = new JsonObject(planJson).getJsonArray("steps");
      if (steps == null || steps.isEmpty()) {
        return escape(planJson);
      }
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < steps.size(); i++) {
        JsonObject step = steps.getJsonObject(i);
        Object params = step.getValue("params");
        out.append(i + 1).append(". `").append(escape(String.valueOf(step.getValue("type")))).append('`');
        if (params != null && !(params instanceof JsonObject p && p.isEmpty())) {
          out.append(' ').append(escape(String.valueOf(params)));
        }
        out.append('\n');
      }
      return out.toString().strip();
    } catch (RuntimeException e) {
      return escape(planJson);
    }
  }

  private static JsonObject section(String mrkdwn) {
    return new JsonObject().put("type", "section").put("text", mrkdwn(mrkdwn));
  }

  private static JsonObject mrkdwn(String text) {
    return new JsonObject().put("type", "mrkdwn").put("text", cut(text, SECTION_MAX));
  }

  private static JsonObject plain(String text) {
    return new JsonObject().put("type", "plain_text").put("text", text);
  }

  static String escape(String s) {
    return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }
}
