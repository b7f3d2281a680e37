package io.runbookd.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runbookd.engine.ActionRequest;
import org.junit.jupiter.api.Test;

/** The body of {@code POST /api/v1/actions}: what is accepted, and the reason given for what is not. */
class ActionsHandlerTest {

  @Test
  void aRuleOnAConnectorWithACommentIsARequestByTheOperator() {
    assertThat(ActionsHandler.parse("{\"cluster\":\"local\",\"connector\":\"orders-sink\",\"rule\":\"emergency-pause\","
        + "\"comment\":\"overload\"}", "alice"))
        .isEqualTo(new ActionRequest("local", "orders-sink", "emergency-pause", "overload", "alice"));
  }

  @Test
  void badBodiesSayWhatIsWrong() {
    assertThatThrownBy(() -> ActionsHandler.parse("", "alice")).hasMessageStartingWith("body must be a JSON object");
    assertThatThrownBy(() -> ActionsHandler.parse("[1]", "alice")).hasMessageStartingWith("body must be a JSON object");
    assertThatThrownBy(() -> ActionsHandler.parse("{\"cluster\":\"local\",\"rule\":\"r\"}", "alice"))
        .hasMessageStartingWith("\"connector\" is required");
    assertThatThrownBy(() -> ActionsHandler.parse("{\"cluster\":7,\"connector\":\"c\",\"rule\":\"r\"}", "alice"))
        .hasMessage("\"cluster\" must be a non-empty string");
    assertThatThrownBy(() -> ActionsHandler.parse("{\"cluster\":\"l\",\"connector\":\"c\",\"rule\":\"r\",\"x\":1}", "alice"))
        .hasMessage("unknown field \"x\" (allowed: cluster, connector, rule, comment)");
    assertThatThrownBy(() -> ActionsHandler.parse("{\"cluster\":\"l\",\"connector\":\"c\",\"rule\":\"r\",\"comment\":\""
        + "x".repeat(1001) + "\"}", "alice")).hasMessage("comment must be at most 1000 characters");
  }
}
