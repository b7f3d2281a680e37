package io.runbookd.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which connectors a pipeline step acts on, and in which order (the runbook's: source first, sink first on resume). */
class PipelinesTest {
  private final Pipelines pipelines = new Pipelines(Map.of(
      "orders", List.of("orders-source", "orders-enrich", "orders-sink"),
      "billing", List.of("billing-source", "shared-sink"),
      "audit", List.of("audit-source", "shared-sink")));

  @Test
  void pauseAndStopGoSourceFirstAndResumeGoesSinkFirst() {
    List<String> c = pipelines.get("orders").orElseThrow();
    assertThat(Pipelines.order("pause", c)).containsExactly("orders-source", "orders-enrich", "orders-sink");
    assertThat(Pipelines.order("stop", c)).containsExactly("orders-source", "orders-enrich", "orders-sink");
    assertThat(Pipelines.order("resume", c)).containsExactly("orders-sink", "orders-enrich", "orders-source");
  }

  @Test
  void theOnePipelineOfAConnectorIsChosenAndAnAmbiguousOneIsRefusedWithTheReason() {
    assertThat(pipelines.choose("orders-enrich", null)).isEqualTo(new Pipelines.Choice("orders", null));
    assertThat(pipelines.choose("shared-sink", null).error())
        .isEqualTo("connector shared-sink is in several pipelines (audit, billing): an operator names one with"
            + " POST /api/v1/actions {\"pipeline\": ...}");
    assertThat(pipelines.choose("shared-sink", "billing")).isEqualTo(new Pipelines.Choice("billing", null));
    assertThat(pipelines.choose("lonely", null).error())
        .isEqualTo("connector lonely is in no pipeline of runbookd.yaml (pipelines: audit, billing, orders)");
    assertThat(pipelines.choose("orders-sink", "billing").error())
        .isEqualTo("pipeline \"billing\" does not list connector orders-sink");
    assertThat(pipelines.choose("orders-sink", "nope").error()).startsWith("pipeline \"nope\" is not in runbookd.yaml");
  }

  @Test
  void aPipelineListsAtLeastOneConnectorAndEachOnce() {
    assertThatThrownBy(() -> new Pipelines(Map.of("p", List.of()))).hasMessage("pipelines.p lists no connector");
    assertThatThrownBy(() -> new Pipelines(Map.of("p", List.of("a", "a"))))
        .hasMessage("pipelines.p lists a connector twice: [a, a]");
    assertThat(pipelines.describe("billing")).isEqualTo("billing: billing-source → shared-sink");
  }
}
