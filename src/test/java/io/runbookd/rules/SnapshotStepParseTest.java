package io.runbookd.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The {@code snapshot} step's rule syntax: what a rule author writes and the errors a mistake gives. */
class SnapshotStepParseTest {
  private static final RuleLoader LOADER = new RuleLoader(
      new RuleLoader.Context(Set.of("prod"), Set.of("oncall", "owner")), Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));

  private static String rule(String step) {
    return """
        rules:
          - name: snap
            match: { alert: ['alertname="X"'] }
            target: { cluster: prod, connector: c }
            steps:
              - %s
        """.formatted(step);
  }

  private static Step.Snapshot parse(String step) throws RuleLoadException {
    return (Step.Snapshot) LOADER.parse("snap.yaml", rule(step)).rules().get(0).steps().get(0);
  }

  private static List<String> errors(String step) {
    RuleLoadException e = catchThrowableOfType(RuleLoadException.class, () -> LOADER.parse("snap.yaml", rule(step)));
    assertThat(e).as("a load error").isNotNull();
    return e.errors().stream().map(RuleError::toString).toList();
  }

  @Test
  void anIncrementalSnapshotOfNamedTablesWithAFilter() throws RuleLoadException {
    Step.Snapshot s = parse("snapshot: { data_collections: [public.orders, 'public\\.items_.*'],"
        + " additional_conditions: [{ data_collection: public.orders, filter: 'id > 100' }] }");
    assertThat(s.snapshotType()).isEqualTo("incremental");
    assertThat(s.dataCollections()).containsExactly("public.orders", "public\\.items_.*");
    assertThat(s.additionalConditions()).isEqualTo(Map.of("public.orders", "id > 100"));
    assertThat(s.channel()).isEqualTo("auto");
    assertThat(s.destructive()).as("re-reads rows; never loses one").isFalse();
  }

  @Test
  void aBlockingSnapshotOfTheCapturedTablesOverKafka() throws RuleLoadException {
    Step.Snapshot s = parse("snapshot: { type: blocking, captured_tables: true, channel: kafka }");
    assertThat(s.snapshotType()).isEqualTo("blocking");
    assertThat(s.capturedTables()).isTrue();
    assertThat(s.channel()).isEqualTo("kafka");
  }

  @Test
  void mistakesAreLoadErrorsNamingFileLineAndRule() {
    assertThat(errors("snapshot: {}")).containsExactly("snap.yaml:6: rule \"snap\": steps[0].snapshot needs"
        + " data_collections (e.g. [public.orders]), data_collections_from_trace or captured_tables: true");
    assertThat(errors("snapshot: { type: full, data_collections: [t] }")).containsExactly(
        "snap.yaml:6: rule \"snap\": steps[0].snapshot.type must be one of incremental, blocking, got \"full\"");
    assertThat(errors("snapshot: { data_collections: [t], channel: jmx }")).containsExactly(
        "snap.yaml:6: rule \"snap\": steps[0].snapshot.channel must be one of auto, kafka, source, got \"jmx\"");
    assertThat(errors("snapshot: { data_collections_from_trace: 'table \\S+' }")).containsExactly(
        "snap.yaml:6: rule \"snap\": steps[0].snapshot.data_collections_from_trace must have exactly one capture group"
            + " (the table name), got 0");
    assertThat(errors("snapshot: { data_collections: [t], tables: [x] }")).singleElement().asString()
        .startsWith("snap.yaml:6: rule \"snap\": unknown key \"tables\" in steps[0].snapshot");
    assertThat(errors("snapshot: { data_collections: [t], additional_conditions: [{ data_collection: t }] }"))
        .singleElement().asString().contains("filter");
  }
}
