package io.runbookd.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.runbookd.rules.Step.ResetOffsets.OffsetsTo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rule syntax of {@code reset_offsets}, {@code recreate} and {@code revert_config}: what loads, and the
 * load errors (file, line, rule) of what does not; and the shipped MongoDB resume-token rule, matched by the
 * public error texts (https://www.mongodb.com/docs/kafka-connector/current/troubleshooting/recover-from-invalid-resume-token/,
 * Debezium's BaseSourceTask) and by nothing else.
 */
class OffsetStepsParseTest {
  private static final RuleLoader LOADER = new RuleLoader(
      new RuleLoader.Context(Set.of("prod"), Set.of("oncall", "owner")), Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));

  @TempDir
  Path tmp;

  private List<Step> steps(String steps) throws Exception {
    return LOADER.load(List.of(write(steps))).rules().get(0).steps();
  }

  private List<String> errors(String steps) throws Exception {
    Path file = write(steps);
    RuleLoadException e = catchThrowableOfType(RuleLoadException.class, () -> LOADER.load(List.of(file)));
    assertThat(e).as("a load error").isNotNull();
    return e.errors().stream().map(er -> er.line() + ": " + er.message()).toList();
  }

  private Path write(String steps) throws Exception {
    Path file = tmp.resolve("r.yaml");
    Files.writeString(file, """
        rules:
          - name: r
            match: { alert: ['alertname="X"'] }
            target: { cluster: prod, connector: '{{ labels.connector }}' }
            approval: { required: never }
            steps:
        """ + steps.indent(6));
    return file;
  }

  @Test
  void resetOffsetsForms() throws Exception {
    assertThat(steps("- reset_offsets: {}")).containsExactly(
        new Step.ResetOffsets(OffsetsTo.RESET, null, 0, List.of(), List.of(), null, true));
    assertThat(steps("- reset_offsets: { to: earliest, topics: [orders], partitions: [0, 2], resume: false }"))
        .containsExactly(new Step.ResetOffsets(OffsetsTo.EARLIEST, null, 0, List.of("orders"), List.of(0, 2), null, false));
    assertThat(steps("- reset_offsets: { to: { timestamp: 2026-11-28T10:00:00Z } }").get(0))
        .isEqualTo(new Step.ResetOffsets(OffsetsTo.TIMESTAMP, Instant.parse("2026-11-28T10:00:00Z"), 0, List.of(),
            List.of(), null, true));
    assertThat(((Step.ResetOffsets) steps("- reset_offsets: { to: { skip: 1 } }").get(0)).value()).isEqualTo(1);
    assertThat(((Step.ResetOffsets) steps("- reset_offsets: { to: { offset: 42 } }").get(0)).to()).isEqualTo(OffsetsTo.OFFSET);
    assertThat(((Step.ResetOffsets) steps("- reset_offsets: { to: saved }").get(0)).to()).isEqualTo(OffsetsTo.SAVED);
    Step.ResetOffsets explicit = (Step.ResetOffsets) steps("""
        - reset_offsets:
            offsets:
              - { partition: { filename: /data/in.txt }, offset: { position: 6 } }
              - { partition: { filename: /data/old.txt }, offset: null }
        """).get(0);
    assertThat(explicit.to()).isEqualTo(OffsetsTo.EXPLICIT);
    assertThat(explicit.offsets()).isEqualTo("[{\"partition\":{\"filename\":\"/data/in.txt\"},\"offset\":{\"position\":6}},"
        + "{\"partition\":{\"filename\":\"/data/old.txt\"},\"offset\":null}]");
    assertThat(steps("- recreate: {}\n- revert_config: { validate: false }")).containsExactly(new Step.Recreate(),
        new Step.RevertConfig(false));
    assertThat(new Step.ResetOffsets(OffsetsTo.RESET, null, 0, List.of(), List.of(), null, true).destructive()).isTrue();
    assertThat(new Step.Recreate().destructive()).isTrue();
    assertThat(new Step.RevertConfig(true).destructive()).isFalse();
  }

  @Test
  void badResetOffsetsIsALoadErrorWithTheLine() throws Exception {
    assertThat(errors("- reset_offsets: { to: earlist }")).containsExactly(
        "7: steps[0].reset_offsets.to must be earliest, latest, saved, {timestamp: <ISO-8601>}, {offset: <n>} or"
            + " {skip: <n>}, got \"earlist\"; did you mean \"earliest\"?");
    assertThat(errors("- reset_offsets: { to: { skip: 0 } }")).containsExactly(
        "7: steps[0].reset_offsets.to.skip must be 1 or more, got 0");
    assertThat(errors("- reset_offsets: { to: { timestamp: yesterday } }")).containsExactly(
        "7: steps[0].reset_offsets.to.timestamp must be an ISO-8601 time with an offset, e.g. 2026-11-28T10:00:00Z,"
            + " got \"yesterday\"");
    assertThat(errors("- reset_offsets: { to: { skip: 1, offset: 2 } }")).containsExactly(
        "7: steps[0].reset_offsets.to takes exactly one of timestamp, offset, skip");
    assertThat(errors("- reset_offsets: { topics: [orders] }")).containsExactly(
        "7: steps[0].reset_offsets.topics applies only with to: earliest, latest, timestamp, offset or skip (a sink's"
            + " partitions)");
    assertThat(errors("- reset_offsets: { to: latest, partitions: [-1] }")).containsExactly(
        "7: steps[0].reset_offsets.partitions[] must be a partition number (0 or more), got -1");
    assertThat(errors("- reset_offsets: { to: latest, offsets: [] }")).containsExactly(
        "7: steps[0].reset_offsets takes either to or offsets, not both");
    assertThat(errors("- reset_offsets: { offsets: [ { partition: {}, offset: {position: 1} } ] }")).containsExactly(
        "7: steps[0].reset_offsets.offsets[0].partition must be a non-empty mapping (the connector's source partition,"
            + " e.g. {filename: /data/in.txt}), got a mapping");
    assertThat(errors("- reset_offsets: { offsets: [ { partition: {f: a}, ofset: {position: 1} } ] }")).first()
        .asString().contains("unknown key \"ofset\" in steps[0].reset_offsets.offsets[0]");
    assertThat(errors("- reset_offsets: { too: saved }")).first().asString()
        .contains("unknown key \"too\" in steps[0].reset_offsets; did you mean \"to\"?");
    assertThat(errors("- recreate: { name: x }")).first().asString()
        .contains("unknown key \"name\" in steps[0].recreate (recreate takes no parameters)");
    assertThat(errors("- revert_config: { validate: maybe }")).containsExactly(
        "7: steps[0].revert_config.validate must be true or false, got \"maybe\"");
  }

  @Test
  void aResetWithoutAnApproveStepNeedsTheRulesApprovalByDefault() throws Exception {
    Path file = tmp.resolve("auto.yaml");
    Files.writeString(file, """
        rules:
          - name: auto
            match: { alert: ['alertname="X"'] }
            target: { cluster: prod, connector: '{{ labels.connector }}' }
            approval: { notify: oncall }
            steps:
              - reset_offsets: {}
        """);
    Rule r = LOADER.load(List.of(file)).rules().get(0);
    assertThat(r.approvalBeforeSteps()).isTrue();
    assertThat(r.gateBeforeSteps()).isPresent();
  }

  // ---- the shipped MongoDB rule ----

  private static String ruleFor(String trace) throws Exception {
    RuleSet shipped = LOADER.load(List.of(Path.of("rules")));
    var status = Traces.taskFailed("orders", trace);
    return RuleEvaluator.evaluate(shipped, Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "prod",
        "connector", "orders"), Map.of(), t -> Optional.of(status)).match().orElseThrow().rule().name();
  }

  @Test
  void theMongoRuleTakesTheResumeTokenTracesAndNoOthers() throws Exception {
    for (String t : List.of("mongo-change-stream-history-lost", "mongo-change-stream-fatal-error",
        "debezium-mongodb-resume-point-lost")) {
      assertThat(ruleFor(Traces.read(t))).as(t).isEqualTo("connect-mongodb-resume-token-lost");
    }
    // Debezium PostgreSQL throws the same "no longer available on the server" text when its slot is gone
    // (observed with Debezium 3.3.1 on PostgreSQL 15): not a MongoDB resume token, not this rule.
    String pg = """
        io.debezium.DebeziumException: The connector is trying to read change stream starting at PostgresOffsetContext [wal_position=LSN{0/1A2B3C4}, txId=771, lastCommitLsn=LSN{0/1A2B3C4}], but this is no longer available on the server. Reconfigure the connector to use a snapshot mode when needed.
        \tat io.debezium.connector.common.BaseSourceTask.validateAndLoadSchemaHistory(BaseSourceTask.java:152)
        \tat io.debezium.connector.postgresql.PostgresConnectorTask.start(PostgresConnectorTask.java:141)
        \tat org.apache.kafka.connect.runtime.WorkerTask.doRun(WorkerTask.java:225)
        """;
    assertThat(ruleFor(pg)).isNotEqualTo("connect-mongodb-resume-token-lost");
    for (String t : List.of("mongo-authentication-failed", "mongo-connection-timeout", "debezium-pg-slot-missing")) {
      assertThat(ruleFor(Traces.read(t))).as(t).isNotEqualTo("connect-mongodb-resume-token-lost");
    }
    Rule mongo = LOADER.load(List.of(Path.of("rules"))).byName("connect-mongodb-resume-token-lost").orElseThrow();
    assertThat(mongo.steps().get(0)).isEqualTo(new Step.ResetOffsets(OffsetsTo.RESET, null, 0, List.of(), List.of(),
        null, true));
    assertThat(mongo.approvalBeforeSteps()).isTrue();
    assertThat(mongo.approval().notifier()).isEqualTo("oncall");
  }
}
