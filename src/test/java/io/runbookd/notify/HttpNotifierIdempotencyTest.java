package io.runbookd.notify;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.runbookd.config.RunbookdConfig;
import io.runbookd.config.Secret;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import java.util.ArrayList;
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
 * What a receiver sees of a delivery and of its redelivery: the same idempotency key (PagerDuty
 * {@code dedup_key}, the {@code Idempotency-Key} header, {@code idempotency_key} in the body) and, on a
 * redelivery only, the marker (header {@code X-Runbookd-Redelivery: true}, body {@code redelivery: true},
 * and for Slack a line in the text).
 */
class HttpNotifierIdempotencyTest {
  static final String KEY = "inc-7/escalation/0";

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
  void answer200() {
    RECEIVER.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(202)));
  }

  static RunbookdConfig.Notifier config(String type, String path, Duration timeout) {
    return new RunbookdConfig.Notifier(type, Secret.of(RECEIVER.baseUrl() + path), null, Secret.of("R0UTING"), null,
        Map.of(), timeout);
  }

  static Notification escalation() {
    return new Notification("escalation", "critical", "orders-sink still failing", "inc-7", "connection-refused",
        "prod", "orders-sink", "Connection refused", KEY);
  }

  /** Sends the first delivery, then the redelivery, and returns the two requests in order. */
  static List<LoggedRequest> deliverTwice(String type) throws Exception {
    RECEIVER.resetRequests();
    HttpNotifier n = new HttpNotifier("oncall", config(type, "/" + type, Duration.ofSeconds(5)), client);
    await(n.send(escalation()));
    await(n.send(escalation().redelivered(true)));
    List<LoggedRequest> requests = RECEIVER.findAll(postRequestedFor(urlEqualTo("/" + type)));
    assertThat(requests).hasSize(2);
    return requests;
  }

  static void await(Future<?> f) throws Exception {
    f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void everyTypeSendsTheSameIdempotencyKeyHeaderAndMarksOnlyTheRedelivery() throws Exception {
    for (String type : List.of("webhook", "slack", "pagerduty")) {
      List<LoggedRequest> r = deliverTwice(type);
      assertThat(r.get(0).getHeader("Idempotency-Key")).as(type).isEqualTo(KEY);
      assertThat(r.get(1).getHeader("Idempotency-Key")).as(type).isEqualTo(KEY);
      assertThat(r.get(0).containsHeader("X-Runbookd-Redelivery")).as(type + ": first delivery").isFalse();
      assertThat(r.get(1).getHeader("X-Runbookd-Redelivery")).as(type).isEqualTo("true");
    }
  }

  @Test
  void webhookBodyCarriesTheKeyAndTheMarker() throws Exception {
    List<LoggedRequest> r = deliverTwice("webhook");
    JsonObject first = new JsonObject(r.get(0).getBodyAsString());
    JsonObject again = new JsonObject(r.get(1).getBodyAsString());
    assertThat(first.getString("idempotency_key")).isEqualTo(KEY);
    assertThat(first.getString("dedup_key")).isEqualTo(KEY);
    assertThat(first.getBoolean("redelivery")).isFalse();
    assertThat(again.getString("idempotency_key")).isEqualTo(KEY);
    assertThat(again.getBoolean("redelivery")).isTrue();
    assertThat(again.getString("message")).isEqualTo(first.getString("message"));
  }

  @Test
  void pagerDutyUsesTheKeyAsDedupKeyAndMarksTheRedeliveryInCustomDetails() throws Exception {
    List<LoggedRequest> r = deliverTwice("pagerduty");
    JsonObject first = new JsonObject(r.get(0).getBodyAsString());
    JsonObject again = new JsonObject(r.get(1).getBodyAsString());
    assertThat(first.getString("dedup_key")).isEqualTo(KEY);
    assertThat(again.getString("dedup_key")).isEqualTo(KEY);
    assertThat(again.getString("event_action")).isEqualTo("trigger");
    assertThat(again.getString("routing_key")).isEqualTo("R0UTING");
    assertThat(first.getJsonObject("payload").getJsonObject("custom_details").getBoolean("redelivery")).isFalse();
    JsonObject details = again.getJsonObject("payload").getJsonObject("custom_details");
    assertThat(details.getBoolean("redelivery")).isTrue();
    assertThat(details.getString("idempotency_key")).isEqualTo(KEY);
    assertThat(again.getJsonObject("payload").getString("summary")).isEqualTo("orders-sink still failing");
  }

  @Test
  void slackCannotDeduplicateSoTheRedeliverySaysSoInItsText() throws Exception {
    List<LoggedRequest> r = deliverTwice("slack");
    JsonObject first = new JsonObject(r.get(0).getBodyAsString());
    JsonObject again = new JsonObject(r.get(1).getBodyAsString());
    assertThat(first.getString("text")).isEqualTo("orders-sink still failing");
    assertThat(first.getString("idempotency_key")).isEqualTo(KEY);
    assertThat(first.getBoolean("redelivery")).isFalse();
    assertThat(again.getString("text")).startsWith("orders-sink still failing\n")
        .contains("redelivery of " + KEY).contains("may have been sent before");
    assertThat(again.getBoolean("redelivery")).isTrue();
  }

  @Test
  void aStalledReceiverFailsWithATimeout() {
    RECEIVER.stubFor(post(urlEqualTo("/stalled")).willReturn(aResponse().withStatus(200).withFixedDelay(5_000)));
    HttpNotifier n = new HttpNotifier("oncall", config("webhook", "/stalled", Duration.ofMillis(300)), client);
    try {
      await(n.send(escalation()));
      throw new AssertionError("expected a timeout");
    } catch (Exception e) {
      assertThat(e).isInstanceOf(ExecutionException.class);
      assertThat(e.getCause()).isInstanceOf(NotifyException.class);
      assertThat(e.getCause().getMessage()).contains("timeout");
    }
  }

  @Test
  void notifiersOnTheSameHostDoNotShareConnections() throws Exception {
    RECEIVER.stubFor(post(urlEqualTo("/stalled")).willReturn(aResponse().withStatus(200).withFixedDelay(10_000)));
    Notifiers notifiers = Notifiers.create(vertx, Map.of(
        "slow", config("webhook", "/stalled", Duration.ofSeconds(30)),
        "fast", config("webhook", "/fast", Duration.ofSeconds(30))));
    List<Future<Void>> stalled = new ArrayList<>();
    for (int i = 0; i < Notifiers.POOL_SIZE + 2; i++) {
      stalled.add(notifiers.send("slow", escalation()));
    }
    await(notifiers.send("fast", escalation()));
    assertThat(RECEIVER.findAll(postRequestedFor(urlEqualTo("/fast")))).hasSize(1);
    assertThat(stalled).noneMatch(Future::isComplete);
    assertThat(notifiers.longestTimeout()).isEqualTo(Duration.ofSeconds(30));
  }
}
