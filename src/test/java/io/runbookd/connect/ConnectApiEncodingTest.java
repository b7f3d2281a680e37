package io.runbookd.connect;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Hostile connector and plugin names reach Connect as exactly one percent-encoded path segment. */
class ConnectApiEncodingTest extends WireMockConnect {

  @BeforeEach
  void answerEverything() {
    CONNECT.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(404)
        .withBody("{\"error_code\":404,\"message\":\"No status found for connector X\"}")));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "slash | a/b | /connectors/a%2Fb/status",
      "dot-dot-slash | ../x | /connectors/..%2Fx/status",
      "dot-dot | .. | /connectors/%2E%2E/status",
      "percent and space | 50% off | /connectors/50%25%20off/status",
      "unicode | 名前 | /connectors/%E5%90%8D%E5%89%8D/status",
      "matrix and query chars | a;b=c?d#e | /connectors/a%3Bb%3Dc%3Fd%23e/status",
      "plus | a+b | /connectors/a%2Bb/status",
      "safe chars stay | my-connector_v2.1~x | /connectors/my-connector_v2.1~x/status",
  })
  void connectorNameIsOneEncodedSegment(String label, String name, String expectedPath) throws Exception {
    ConnectRestException error = failure(api.status(name));

    assertThat(onlyRequest().getUrl()).isEqualTo(expectedPath);
    assertThat(error.path()).isEqualTo(expectedPath);
  }

  @Test
  void crlfInNameCannotInjectAHeader() throws Exception {
    failure(api.status("x\r\nHeader: y"));

    LoggedRequest request = onlyRequest();
    assertThat(request.getUrl()).isEqualTo("/connectors/x%0D%0AHeader%3A%20y/status");
    assertThat(request.containsHeader("Header")).isFalse();
  }

  @Test
  void taskRestartEncodesTheConnectorName() throws Exception {
    failure(api.restartTask("a/b", 3));

    assertThat(onlyRequest().getUrl()).isEqualTo("/connectors/a%2Fb/tasks/3/restart");
  }

  @Test
  void restartKeepsItsQueryAfterTheEncodedName() throws Exception {
    failure(api.restart("50% off", true, true));

    assertThat(onlyRequest().getUrl()).isEqualTo("/connectors/50%25%20off/restart?includeTasks=true&onlyFailed=true");
  }

  @Test
  void pluginClassIsOneEncodedSegment() throws Exception {
    failure(api.validateConfig("com.example.Outer$Inner Sink", Map.of()));

    assertThat(onlyRequest().getUrl())
        .isEqualTo("/connector-plugins/com.example.Outer%24Inner%20Sink/config/validate");
  }

  @Test
  void emptyNameFailsWithoutARequest() {
    var future = api.status("").toCompletionStage().toCompletableFuture();

    assertThat(future).failsWithin(java.time.Duration.ofSeconds(10))
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(IllegalArgumentException.class);
    assertThat(CONNECT.getAllServeEvents()).isEmpty();
  }

  private static LoggedRequest onlyRequest() {
    List<LoggedRequest> requests = CONNECT.findAll(com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor(anyUrl()));
    assertThat(requests).hasSize(1);
    return requests.get(0);
  }
}
