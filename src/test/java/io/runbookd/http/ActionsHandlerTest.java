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
        .isEqualTo(new ActionRequest("local", "orders-sink", "emergency-pause", null, "overload", "alice"));
    assertThat(ActionsHandler.parse("{\"cluster\":\"local\",\"connector\":\"orders-sink\",\"step\":{\"pause\":{}}}", "bob"))
        .isEqualTo(new ActionRequest("local", "orders-sink", null, "pause", null, "bob"));
    assertThat(ActionsHandler.parse("{\"cluster\":\"local\",\"pipeline\":\"orders\",\"step\":{\"pause\":{}}}", "carol"))
        .isEqualTo(new ActionRequest("local", null, null, "pause", null, "carol", "orders"));
  }

  @Test
  void badBodiesSayWhatIsWrong() {
    assertThatThrownBy(() -> ActionsHandler.parse("", "alice")).hasMessageStartingWith("body must be a JSON object");
    assertThatThrownBy(() -> ActionsHandler.parse("[1]", "alice")).hasMessageStartingWith("body must be a JSON object");
    assertThatThrownBy(() -> ActionsHandler.parse("{\"cluster\":\"local\",\"rule\":\"r\"}", "alice"))
        .hasMessageStartingWith("\"connector\" is required (or \"pipeline\")");
    assertThatThrownBy(() -> ActionsHandler.parse("{\"cluster\":\"l\",\"connector\":\"c\",\"pipeline\":\"p\","
        + "\"step\":{\"pause\":{}}}", "alice")).hasMessage("give either \"connector\" or \"pipeline\", not both");
    assertThatThrownBy(() -> ActionsHandler.parse("{\"cluster\":7,\"connector\":\"c\",\"rule\":\"r\"}", "alice"))
        .hasMessage("\"cluster\" must be a non-empty string");
    assertThatThrownBy(() -> ActionsHandler.parse("{\"cluster\":\"l\",\"connector\":\"c\",\"rule\":\"r\",\"x\":1}", "alice"))
        .hasMessage("unknown field \"x\" (allowed: cluster, connector, pipeline, rule, step, comment)");
    assertThatThrownBy(() -> ActionsHandler.parse("{\"cluster\":\"l\",\"connector\":\"c\"}", "alice"))
        .hasMessageStartingWith("\"rule\" is required (or \"step\")");
    assertThatThrownBy(() -> ActionsHandler.parse("{\"cluster\":\"l\",\"connector\":\"c\",\"rule\":\"r\","
        + "\"step\":{\"pause\":{}}}", "alice")).hasMessage("give either \"rule\" or \"step\", not both");
    assertThatThrownBy(() -> ActionsHandler.parse("{\"cluster\":\"l\",\"connector\":\"c\",\"step\":"
        + "{\"patch_config\":{\"set\":{\"a\":\"b\"}}}}", "alice"))
        .hasMessageStartingWith("a step on demand takes no parameters (patch_config was given some)");
    assertThatThrownBy(() -> ActionsHandler.parse("{\"cluster\":\"l\",\"connector\":\"c\",\"step\":\"pause\"}",
        "alice")).hasMessageStartingWith("\"step\" must be an object with one step");
    assertThatThrownBy(() -> ActionsHandler.parse("{\"cluster\":\"l\",\"connector\":\"c\",\"rule\":\"r\",\"comment\":\""
        + "x".repeat(1001) + "\"}", "alice")).hasMessage("comment must be at most 1000 characters");
  }
}
