package io.runbookd.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.rules.Step;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which signal channel the {@code snapshot} step uses for a connector config, the refusals an operator reads
 * when none is usable, and the signal Debezium receives.
 */
class SnapshotStepsTest {
  private static final Step.Snapshot INCREMENTAL =
      new Step.Snapshot("incremental", List.of("public.orders"), null, false, Map.of(), "auto", null);

  private static Map<String, String> pg(String... kv) {
    Map<String, String> c = new HashMap<>(Map.of("connector.class", "io.debezium.connector.postgresql.PostgresConnector",
        "topic.prefix", "shop", "database.hostname", "db.internal", "database.port", "5433", "database.dbname", "shop",
        "database.user", "dbz", "database.password", "s3cret"));
    for (int i = 0; i < kv.length; i += 2) {
      c.put(kv[i], kv[i + 1]);
    }
    return c;
  }

  @Test
  void theKafkaChannelKeysTheSignalWithTheTopicPrefixOnTheDefaultTopic() {
    SnapshotSteps.Plan p = SnapshotSteps.plan(INCREMENTAL,
        pg("signal.enabled.channels", "source,kafka", "signal.data.collection", "public.dbz_signal"), true, Map.of());
    assertThat(p.error()).isNull();
    assertThat(p.channel()).isEqualTo("kafka");
    assertThat(p.topic()).isEqualTo("shop-signal");
    assertThat(p.key()).isEqualTo("shop");
  }

  @Test
  void withoutAKafkaClusterForTheConnectClusterTheSignalingTableIsWrittenWithTheConnectorsCredentials() {
    SnapshotSteps.Plan p = SnapshotSteps.plan(INCREMENTAL,
        pg("signal.enabled.channels", "source,kafka", "signal.data.collection", "public.dbz_signal"), false, Map.of());
    assertThat(p.channel()).isEqualTo("source");
    assertThat(p.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5433/shop");
    assertThat(p.user()).isEqualTo("dbz");
    assertThat(p.password()).isEqualTo("s3cret");
    assertThat(p.signalTable()).isEqualTo("public.dbz_signal");
  }

  @Test
  void noUsableChannelIsRefusedNamingTheKeysToSet() {
    assertThat(SnapshotSteps.plan(INCREMENTAL, pg(), true, Map.of()).error())
        .contains("set signal.data.collection").contains("or use type: blocking");
    Step.Snapshot blocking = new Step.Snapshot("blocking", List.of("public.orders"), null, false, Map.of(), "auto", null);
    assertThat(SnapshotSteps.plan(blocking, pg(), true, Map.of()).error())
        .contains("add kafka to signal.enabled.channels").contains("connect_clusters.<name>.kafka")
        .contains("set signal.data.collection");
    Step.Snapshot kafkaOnly = new Step.Snapshot("incremental", List.of("t"), null, false, Map.of(), "kafka", null);
    assertThat(SnapshotSteps.plan(kafkaOnly, pg("signal.data.collection", "public.s"), true, Map.of()).error())
        .contains("the Kafka signal channel is not usable (signal.enabled.channels=source (default))");
  }

  @Test
  void aConfigProviderPasswordNeedsPasswordEnvAndItsValueIsNeverShown() {
    Map<String, String> c = pg("signal.data.collection", "public.s", "database.password", "${file:/etc/secrets.properties:pw}");
    assertThat(SnapshotSteps.plan(INCREMENTAL, c, false, Map.of()).error())
        .contains("${file:...}").contains("set password_env").doesNotContain("secrets.properties");
    Step.Snapshot env = new Step.Snapshot("incremental", List.of("t"), null, false, Map.of(), "auto", "DBZ_PW");
    assertThat(SnapshotSteps.plan(env, c, false, Map.of("DBZ_PW", "from-env")).password()).isEqualTo("from-env");
    assertThat(SnapshotSteps.plan(env, c, false, Map.of()).error()).contains("DBZ_PW, which is not set");
  }

  @Test
  void theSignalingTableChannelIsForPostgresqlOnly() {
    Map<String, String> mysql = pg("connector.class", "io.debezium.connector.mysql.MySqlConnector",
        "signal.data.collection", "inventory.dbz_signal");
    assertThat(SnapshotSteps.plan(INCREMENTAL, mysql, false, Map.of()).error())
        .contains("PostgresConnector only").contains("add kafka to signal.enabled.channels");
  }

  @Test
  void tablesComeFromTheRuleTheTraceAndTheIncludeListButNotTheSignalingTable() {
    Step.Snapshot s = new Step.Snapshot("incremental", List.of(), "for table (\\S+) whose schema", true, Map.of(), "auto",
        null);
    String trace = "io.debezium.DebeziumException: Encountered change event for table inventory.orders whose schema"
        + " isn't known to this connector";
    assertThat(SnapshotSteps.collections(s, trace, pg("table.include.list", "public.a, public.dbz_signal",
        "signal.data.collection", "public.dbz_signal")))
        .containsExactly("public.a", "inventory\\.orders");
  }

  @Test
  void theSignalDataUsesDebeziumsNames() {
    Step.Snapshot s = new Step.Snapshot("incremental", List.of("public.orders"), null, false,
        Map.of("public.orders", "id > 100"), "auto", null);
    assertThat(SnapshotSteps.data(s, List.of("public.orders")))
        .contains("\"data-collections\":[\"public.orders\"]").contains("\"type\":\"INCREMENTAL\"")
        .contains("\"additional-conditions\":[{").contains("\"data-collection\":\"public.orders\"")
        .contains("\"filter\":\"id > 100\"");
  }
}
