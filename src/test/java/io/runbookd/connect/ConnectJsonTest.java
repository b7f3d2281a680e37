package io.runbookd.connect;

import io.runbookd.model.ConnectorState;
import io.runbookd.model.ConnectorStatus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConnectJsonTest {

  @Test
  void errorBodyInConnectsShape() {
    assertThat(ConnectJson.error(409, "{\"error_code\":409,\"message\":\"Cannot complete request\"}", "Conflict"))
        .isEqualTo(new ConnectJson.ErrorBody(409, "Cannot complete request"));
  }

  @Test
  void errorBodyWithoutErrorCodeUsesTheHttpStatus() {
    assertThat(ConnectJson.error(503, "{\"status\":\"starting\",\"message\":\"Worker is still starting up.\"}", "x"))
        .isEqualTo(new ConnectJson.ErrorBody(503, "Worker is still starting up."));
  }

  @Test
  void jsonErrorBodyWithoutMessageIsKeptAsText() {
    assertThat(ConnectJson.error(500, "{\"oops\":true}", "Internal Server Error"))
        .isEqualTo(new ConnectJson.ErrorBody(500, "{\"oops\":true}"));
  }

  @Test
  void longHtmlErrorPageIsShortened() {
    String page = "<html>" + "x".repeat(5_000) + "</html>";

    assertThat(ConnectJson.error(502, page, "Bad Gateway").message()).hasSize(2_003).endsWith("...");
  }

  @Test
  void statusWithoutTasksOrTypeIsAccepted() {
    ConnectorStatus status = ConnectJson.status("{\"name\":\"n\",\"connector\":{\"state\":\"SOMETHING_NEW\"}}");

    assertThat(status.connector().state()).isEqualTo(ConnectorState.UNKNOWN);
    assertThat(status.type()).isEqualTo("unknown");
    assertThat(status.tasks()).isEmpty();
  }

  @Test
  void statusWithoutConnectorIsMalformed() {
    assertThatThrownBy(() -> ConnectJson.status("{\"name\":\"n\"}"))
        .isInstanceOf(ConnectJson.MalformedBodyException.class)
        .hasMessage("status of \"n\" has no \"connector\" object");
  }

  @Test
  void nullValuesAreWrittenSoPatchRemovesTheKey() {
    Map<String, String> patch = new HashMap<>();
    patch.put("auto.evolve", null);

    assertThat(ConnectJson.write(patch)).isEqualTo("{\"auto.evolve\":null}");
  }

  @Test
  void mergeSetsAndRemovesKeys() {
    Map<String, String> patch = new HashMap<>();
    patch.put("errors.tolerance", "all");
    patch.put("auto.evolve", null);

    assertThat(VertxConnectApi.merge(Map.of("auto.evolve", "false", "topics", "t"), patch))
        .containsOnly(Map.entry("errors.tolerance", "all"), Map.entry("topics", "t"));
  }
}
