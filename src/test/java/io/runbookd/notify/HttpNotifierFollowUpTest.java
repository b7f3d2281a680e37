package io.runbookd.notify;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.config.Secret;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The exact bodies PagerDuty and Slack receive for a message and for the follow-up that closes the loop
 * on it: a PagerDuty trigger links to the incident page and its resolve and acknowledge carry the same
 * dedup_key; Slack gets Block Kit blocks with the cause, the plan and the incident page, and with a bot
 * token the follow-up replies in the first message's thread.
 */
class HttpNotifierFollowUpTest {
  static final String EXTERNAL = "https://runbookd.example.com";
  static final String PAGE = EXTERNAL + "/ui/incidents/inc-7";

  @RegisterExtension
  static final WireMockExtension RECEIVER = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  static Vertx vertx;
  static WebClient client;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    client = WebClient.create(vertx);
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void reset() {
    RECEIVER.resetAll();
    RECEIVER.stubFor(post(urlEqualTo("/pd")).willReturn(aResponse().withStatus(202)
        .withBody("{\"status\":\"success\",\"message\":\"Event processed\",\"dedup_key\":\"inc-7/escalation/0\"}")));
    RECEIVER.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(200).withBody("ok")));
    RECEIVER.stubFor(post(urlEqualTo("/api/chat.postMessage")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"ok\":true,\"channel\":\"C024BE91L\",\"ts\":\"1503435956.000247\"}")));
  }

  static Notification approval() {
    return new Notification("approval", "warning", "orders-sink: approve the reset?", "inc-7", "offset-repair",
        "prod", "orders-sink", "Connection refused <db:5432>", "inc-7/approval/1/0")
        .withPlan("{\"steps\":[{\"index\":0,\"type\":\"pause\",\"params\":{}},"
            + "{\"index\":1,\"type\":\"reset_offsets\",\"params\":{\"to\":\"earliest\"}}]}");
  }

  static Notification resolved(String dedupKey) {
    return new Notification("resolved", "info", "Resolved: prod/orders-sink is running again", "inc-7",
        "offset-repair", "prod", "orders-sink", "Connection refused <db:5432>", dedupKey);
  }

  @Test
  void pagerDutyTriggerLinksTheIncidentAndItsResolveAndAcknowledgeCarryTheSameDedupKey() throws Exception {
    HttpNotifier pd = new HttpNotifier("oncall", new RunbookdConfig.Notifier("pagerduty",
        Secret.of(RECEIVER.baseUrl() + "/pd"), null, Secret.of("R0UTING"), null, Map.of(), Duration.ofSeconds(5)),
        client, EXTERNAL);
    Notification trigger = new Notification("escalation", "critical", "orders-sink still failing", "inc-7",
        "offset-repair", "prod", "orders-sink", "Connection refused", "inc-7/escalation/0");

    await(pd.send(trigger));
    await(pd.followUp(new FollowUp(FollowUp.ACKNOWLEDGE, resolved("inc-7/escalation/0"), null, null)));
    await(pd.followUp(new FollowUp(FollowUp.RESOLVE, resolved("inc-7/escalation/0"), null, null)));

    List<LoggedRequest> sent = RECEIVER.findAll(postRequestedFor(urlEqualTo("/pd")));
    assertThat(sent).hasSize(3);
    assertThat(new JsonObject(sent.get(0).getBodyAsString())).isEqualTo(new JsonObject()
        .put("routing_key", "R0UTING").put("event_action", "trigger").put("dedup_key", "inc-7/escalation/0")
        .put("payload", new JsonObject().put("summary", "orders-sink still failing").put("source", "prod/orders-sink")
            .put("severity", "critical").put("component", "orders-sink").put("group", "prod")
            .put("class", "offset-repair").put("custom_details", new JsonObject().put("incident", "inc-7")
                .put("cause", "Connection refused").put("idempotency_key", "inc-7/escalation/0")
                .put("redelivery", false).put("incident_url", PAGE)))
        .put("links", new JsonArray().add(new JsonObject().put("href", PAGE).put("text", "runbookd incident inc-7"))));
    assertThat(new JsonObject(sent.get(1).getBodyAsString())).isEqualTo(new JsonObject()
        .put("routing_key", "R0UTING").put("event_action", "acknowledge").put("dedup_key", "inc-7/escalation/0"));
    assertThat(new JsonObject(sent.get(2).getBodyAsString())).isEqualTo(new JsonObject()
        .put("routing_key", "R0UTING").put("event_action", "resolve").put("dedup_key", "inc-7/escalation/0"));
    assertThat(sent.get(2).getHeader(HttpNotifier.IDEMPOTENCY_KEY)).isEqualTo("inc-7/escalation/0/resolve");
  }

  @Test
  void slackBotPostsBlocksThenRepliesInTheThreadOfTheFirstMessage() throws Exception {
    HttpNotifier slack = new HttpNotifier("team", new RunbookdConfig.Notifier("slack",
        Secret.of(RECEIVER.baseUrl() + "/api/chat.postMessage"), null, null, null, Map.of(), Duration.ofSeconds(5),
        Secret.of("xoxb-test-token"), null, "C024BE91L"), client, EXTERNAL);

    Receipt first = await(slack.deliver(approval()));
    assertThat(first).isEqualTo(new Receipt("slack", "C024BE91L", "1503435956.000247"));
    await(slack.followUp(new FollowUp(FollowUp.RESOLVE, resolved("inc-7"), first.channel(), first.ts())));

    List<LoggedRequest> sent = RECEIVER.findAll(postRequestedFor(urlEqualTo("/api/chat.postMessage")));
    assertThat(sent).hasSize(2);
    assertThat(sent.get(0).getHeader("Authorization")).isEqualTo("Bearer xoxb-test-token");
    JsonObject message = new JsonObject(sent.get(0).getBodyAsString());
    assertThat(message).isEqualTo(new JsonObject()
        .put("channel", "C024BE91L")
        .put("text", "orders-sink: approve the reset?")
        .put("blocks", new JsonArray()
            .add(new JsonObject().put("type", "header").put("text", plain("Approval needed: prod/orders-sink")))
            .add(section("orders-sink: approve the reset?"))
            .add(new JsonObject().put("type", "section").put("fields", new JsonArray()
                .add(mrkdwn("*Connector*\nprod/orders-sink")).add(mrkdwn("*Rule*\noffset-repair"))))
            .add(section("*Cause*\n```Connection refused &lt;db:5432&gt;```"))
            .add(section("*Plan*\n1. `pause`\n2. `reset_offsets` {\"to\":\"earliest\"}"))
            .add(new JsonObject().put("type", "actions").put("elements", new JsonArray().add(new JsonObject()
                .put("type", "button").put("text", plain("Open incident inc-7")).put("url", PAGE)))))
        .put("idempotency_key", "inc-7/approval/1/0")
        .put("redelivery", false));
    JsonObject reply = new JsonObject(sent.get(1).getBodyAsString());
    assertThat(reply.getString("channel")).isEqualTo("C024BE91L");
    assertThat(reply.getString("thread_ts")).isEqualTo("1503435956.000247");
    assertThat(reply.getString("text")).isEqualTo("Resolved: prod/orders-sink is running again");
    assertThat(reply.getJsonArray("blocks").getJsonObject(0))
        .isEqualTo(new JsonObject().put("type", "header").put("text", plain("Resolved: prod/orders-sink")));
    assertThat(reply.getString("idempotency_key")).isEqualTo("inc-7/resolve");
  }

  @Test
  void slackRefusalInAn200AnswerIsAFailedDelivery() {
    RECEIVER.stubFor(post(urlEqualTo("/api/chat.postMessage")).willReturn(aResponse().withStatus(200)
        .withBody("{\"ok\":false,\"error\":\"channel_not_found\"}")));
    HttpNotifier slack = new HttpNotifier("team", new RunbookdConfig.Notifier("slack",
        Secret.of(RECEIVER.baseUrl() + "/api/chat.postMessage"), null, null, null, Map.of(), Duration.ofSeconds(5),
        Secret.of("xoxb-test-token"), null, "C0GONE"), client, EXTERNAL);

    assertThatThrownBy(() -> await(slack.send(approval())))
        .hasRootCauseInstanceOf(NotifyException.class)
        .rootCause().hasMessage("notifier team: Slack refused the message: channel_not_found");
  }

  @Test
  void slackIncomingWebhookGetsBlocksButCannotThreadTheFollowUp() throws Exception {
    HttpNotifier hook = new HttpNotifier("team", new RunbookdConfig.Notifier("slack",
        Secret.of(RECEIVER.baseUrl() + "/hook"), null, null, null, Map.of(), Duration.ofSeconds(5)), client, EXTERNAL);

    Receipt first = await(hook.deliver(approval()));
    assertThat(first).isEqualTo(new Receipt("slack", null, null));
    await(hook.followUp(new FollowUp(FollowUp.RESOLVE, resolved("inc-7"), null, null)));

    List<LoggedRequest> sent = RECEIVER.findAll(postRequestedFor(urlEqualTo("/hook")));
    assertThat(sent).hasSize(2);
    JsonObject message = new JsonObject(sent.get(0).getBodyAsString());
    assertThat(message.containsKey("channel")).isFalse();
    assertThat(message.getJsonArray("blocks").encode()).contains(PAGE).contains("*Plan*");
    JsonObject reply = new JsonObject(sent.get(1).getBodyAsString());
    assertThat(reply.fieldNames()).doesNotContain("thread_ts", "channel");
    assertThat(reply.getString("text")).isEqualTo("Resolved: prod/orders-sink is running again");
  }

  @Test
  void webhookMessagesCarryTheIncidentPage() throws Exception {
    HttpNotifier hook = new HttpNotifier("ops", new RunbookdConfig.Notifier("webhook",
        Secret.of(RECEIVER.baseUrl() + "/hook"), null, null, null, Map.of(), Duration.ofSeconds(5)), client,
        EXTERNAL);
    await(hook.send(approval()));
    await(hook.followUp(new FollowUp(FollowUp.RESOLVE, resolved("inc-7"), null, null)));
    List<LoggedRequest> sent = RECEIVER.findAll(postRequestedFor(urlEqualTo("/hook")));
    assertThat(new JsonObject(sent.get(0).getBodyAsString()).getString("incident_url")).isEqualTo(PAGE);
    JsonObject reply = new JsonObject(sent.get(1).getBodyAsString());
    assertThat(reply.getString("kind")).isEqualTo("resolved");
    assertThat(reply.getString("action")).isEqualTo("resolve");
    assertThat(reply.getString("idempotency_key")).isEqualTo("inc-7/resolve");
    assertThat(reply.getString("incident_url")).isEqualTo(PAGE);
  }

  private static JsonObject plain(String text) {
    return new JsonObject().put("type", "plain_text").put("text", text);
  }

  private static JsonObject mrkdwn(String text) {
    return new JsonObject().put("type", "mrkdwn").put("text", text);
  }

  private static JsonObject section(String text) {
    return new JsonObject().put("type", "section").put("text", mrkdwn(text));
  }

  static <T> T await(Future<T> f) throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
