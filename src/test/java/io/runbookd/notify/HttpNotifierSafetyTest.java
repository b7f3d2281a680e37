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
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Label values and connector names in notifications stay inside the JSON body; the URL stays out of errors. */
class HttpNotifierSafetyTest {
  static final String HOSTILE = "pg-orders\r\nX-Injected: yes\u0000 \"quoted\" </script> 名前 %2F../";

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

  static HttpNotifier notifier(String type, String path, Duration timeout) {
    return new HttpNotifier("oncall", new RunbookdConfig.Notifier(type, Secret.of(RECEIVER.baseUrl() + path), null,
        Secret.of("routing-key"), null, Map.of("X-Team", "data-platform"), timeout), client);
  }

  static Notification hostile() {
    return new Notification("escalation", "critical", "message: " + HOSTILE, "inc-1", "rule-a", "prod\r\nX-Injected-Cluster: 1",
        HOSTILE, "cause\r\nX-Injected-Cause: 1", null);
  }

  @Test
  void hostileValuesStayInTheJsonBodyForEveryNotifierType() throws Exception {
    RECEIVER.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(200)));
    for (String type : List.of("webhook", "slack", "pagerduty")) {
      RECEIVER.resetRequests();
      notifier(type, "/hook", Duration.ofSeconds(5)).send(hostile()).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

      List<LoggedRequest> requests = RECEIVER.findAll(postRequestedFor(urlEqualTo("/hook")));
      assertThat(requests).hasSize(1);
      LoggedRequest r = requests.get(0);
      assertThat(r.getUrl()).isEqualTo("/hook");
      assertThat(r.getAllHeaderKeys()).noneMatch(h -> h.toLowerCase(java.util.Locale.ROOT).startsWith("x-injected"));
      assertThat(r.getHeader("X-Team")).isEqualTo("data-platform");
      JsonObject body = new JsonObject(r.getBodyAsString());
      String text = switch (type) {
        case "slack" -> body.getString("text");
        case "pagerduty" -> body.getJsonObject("payload").getString("component");
        default -> body.getString("connector");
      };
      assertThat(text).as(type).endsWith(HOSTILE);
    }
  }

  @Test
  void aTimeoutDoesNotRevealTheNotifierUrl() throws Exception {
    String secretPath = "/services/T000/B000/url-SECRET-xyz";
    RECEIVER.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(200).withFixedDelay(3000)));
    try {
      notifier("slack", secretPath, Duration.ofMillis(200)).send(hostile()).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      throw new AssertionError("expected a timeout");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(NotifyException.class);
      assertThat(e.getCause().getMessage()).startsWith("notifier oncall: ").doesNotContain("SECRET").doesNotContain("/services/");
      assertThat(e.getCause().getCause()).isNull();
    }
  }

  @Test
  void redactRemovesTheUrlAndItsPath() {
    String url = "https://hooks.example.com/services/T0/B0/abc?token=x";
    assertThat(HttpNotifier.redact("failed POST /services/T0/B0/abc?token=x for hooks.example.com:443", url))
        .isEqualTo("failed POST <path> for hooks.example.com:443");
    assertThat(HttpNotifier.redact("cannot reach " + url, url)).isEqualTo("cannot reach <notifier url>");
    assertThat(HttpNotifier.redact(null, url)).isEqualTo("request failed");
  }
}
