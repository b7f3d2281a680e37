package io.runbookd.engine;

import io.runbookd.kafka.KafkaOps;
import io.runbookd.model.KafkaRecord;
import io.runbookd.rules.Step;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The {@code snapshot} step: a Debezium ad-hoc snapshot requested with an {@code execute-snapshot} signal.
 *
 * <p>The channel comes from the connector's config, read from Connect when the step runs:
 *
 * <ul>
 *   <li><b>kafka</b> ({@code signal.enabled.channels} contains {@code kafka}): one record on
 *       {@code signal.kafka.topic} (default {@code <topic.prefix>-signal}), key {@code topic.prefix} (Debezium skips
 *       any other key), value {@code {"id","type":"execute-snapshot","data":{...}}}, produced on the Kafka cluster of
 *       the incident's Connect cluster ({@code connect_clusters.<name>.kafka} in runbookd.yaml).
 *   <li><b>source</b> ({@code signal.data.collection} set and {@code source} in the channels, Debezium's default):
 *       one row INSERTed into the signaling table over JDBC, with the connector's own database settings
 *       ({@code database.hostname}, {@code database.port}, {@code database.dbname}, {@code database.user},
 *       {@code database.password}, or the step's {@code password_env}). PostgreSQL connectors only: runbookd ships no
 *       other JDBC driver.
 * </ul>
 *
 * <p>An incremental snapshot also needs {@code signal.data.collection} whatever channel carries the signal: the
 * signaling table holds the snapshot's watermarks. The step refuses, naming the keys to set, when no usable
 * channel is configured. It records the signal id, the channel and the data collections (before it sends, so a
 * daemon killed halfway still knows the id) and after.
 *
 * <p>What it does not do: confirm that Debezium finished. Debezium acknowledges nothing to the sender; progress is
 * visible as records with {@code "op":"r"} on the tables' topics, and while an incremental snapshot runs the source
 * offsets ({@code GET /connectors/{name}/offsets}) carry {@code incremental_snapshot_*} keys.
 *
 * <p>Facts: https://debezium.io/documentation/reference/stable/configuration/signalling.html (channels, Kafka key,
 * signaling table), https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-ad-hoc-snapshots.
 */
final class SnapshotSteps {

  /**
   * The signaling-table channel: INSERT one row ({@code id}, {@code type}, {@code data}) into {@code table}. Kept
   * behind this interface so the JDBC code stays in {@link JdbcSignalTable}.
   */
  interface SignalTable {
    /**
     * @param jdbcUrl e.g. {@code jdbc:postgresql://db:5432/inventory}
     * @param table the {@code signal.data.collection} value, e.g. {@code public.debezium_signal}
     * @throws Exception any failure to connect or insert; its message is shown to the operator
     */
    void insert(String jdbcUrl, String user, String password, String table, String id, String type, String data)
        throws Exception;
  }

  private final EngineDeps deps;
  private final StepExecutor executor;
  private final SignalTable table;

  SnapshotSteps(EngineDeps deps, StepExecutor executor) {
    this(deps, executor, new JdbcSignalTable());
  }

  SnapshotSteps(EngineDeps deps, StepExecutor executor, SignalTable table) {
    this.deps = deps;
    this.executor = executor;
    this.table = table;
  }

  /** The channel the signal goes through, with what it needs; or the reason there is none. */
  record Plan(String channel, String topic, String key, String signalTable, String jdbcUrl, String user, String password,
      String error) {
    static Plan refused(String error) {
      return new Plan(null, null, null, null, null, null, null, error);
    }
  }

  Future<StepExecutor.Result> run(Step.Snapshot s, StepExecutor.Target t) {
    String name = t.incident().connector();
    return t.api().config(name).compose(config -> {
      List<String> collections = collections(s, t.incident().trace(), config);
      if (collections.isEmpty()) {
        return Future.succeededFuture(StepExecutor.Result.failed("snapshot of " + name + ": no data collection to"
            + " snapshot: " + (s.fromTrace() != null ? "data_collections_from_trace matched nothing in the incident's"
            + " trace" : "") + (s.capturedTables() ? (s.fromTrace() != null ? "; " : "") + "captured_tables: the"
            + " connector config has no table.include.list (name the tables in data_collections)" : "")));
      }
      Plan plan = plan(s, config, t.kafka().isPresent(), System.getenv());
      if (plan.error() != null) {
        return Future.succeededFuture(StepExecutor.Result.failed("snapshot of " + name + ": " + plan.error()));
      }
      String id = "runbookd-" + t.incident().id() + "-" + UUID.randomUUID().toString().substring(0, 8);
      String data = data(s, collections);
      Map<String, Object> record = new LinkedHashMap<>();
      record.put("signal_id", id);
      record.put("channel", plan.channel());
      record.put(plan.channel().equals("kafka") ? "topic" : "table",
          plan.channel().equals("kafka") ? plan.topic() : plan.signalTable());
      record.put("type", s.snapshotType());
      record.put("data_collections", collections);
      String before = StepExecutor.json(record);
      return executor.recordBefore(t, before).compose(v -> send(plan, t.kafka().orElse(null), id, data))
          .map(v -> new StepExecutor.Result("ok", null, before, before, false));
    });
  }

  private Future<Void> send(Plan plan, KafkaOps kafka, String id, String data) {
    String value = "{\"id\":" + StepExecutor.json(id) + ",\"type\":\"execute-snapshot\",\"data\":" + data + "}";
    if (plan.channel().equals("kafka")) {
      // The Kafka channel reads partition 0 only (KafkaSignalChannel seeks on it).
      return kafka.produce(List.of(KafkaRecord.toProduce(plan.topic(), 0, plan.key().getBytes(StandardCharsets.UTF_8),
          value.getBytes(StandardCharsets.UTF_8), List.of()))).mapEmpty();
    }
    return deps.blocking(() -> {
      table.insert(plan.jdbcUrl(), plan.user(), plan.password(), plan.signalTable(), id, "execute-snapshot", data);
      return null;
    });
  }

  /**
   * Which channel a signal for this connector config can use. Pure: the config, whether a Kafka cluster is
   * configured for the Connect cluster, and the environment (for {@code password_env}).
   */
  static Plan plan(Step.Snapshot s, Map<String, String> config, boolean kafkaConfigured, Map<String, String> env) {
    Set<String> channels = new LinkedHashSet<>();
    for (String c : config.getOrDefault("signal.enabled.channels", "source").split(",")) {
      if (!c.isBlank()) {
        channels.add(c.trim().toLowerCase(java.util.Locale.ROOT));
      }
    }
    String prefix = config.get("topic.prefix");
    String signalTable = blankToNull(config.get("signal.data.collection"));
    if ("incremental".equals(s.snapshotType()) && signalTable == null) {
      return Plan.refused("an incremental snapshot needs the connector's signaling table, where Debezium keeps its"
          + " watermarks: set signal.data.collection (e.g. public.debezium_signal, a table with columns id, type, data)"
          + " in the connector config, or use type: blocking");
    }
    boolean kafkaEnabled = channels.contains("kafka");
    boolean sourceEnabled = channels.contains("source") && signalTable != null;
    String howKafka = "add kafka to signal.enabled.channels (with signal.kafka.bootstrap.servers and topic.prefix) and"
        + " name the Kafka cluster of this Connect cluster in runbookd.yaml (connect_clusters.<name>.kafka)";
    String howSource = "add source to signal.enabled.channels and set signal.data.collection (the signaling table)";
    boolean wantKafka = s.channel().equals("kafka") || s.channel().equals("auto") && kafkaEnabled && kafkaConfigured;
    if (wantKafka) {
      if (!kafkaEnabled || prefix == null || prefix.isBlank() || !kafkaConfigured) {
        return Plan.refused("the Kafka signal channel is not usable (signal.enabled.channels="
            + config.getOrDefault("signal.enabled.channels", "source (default)") + (prefix == null ? ", no topic.prefix" : "")
            + (kafkaConfigured ? "" : ", no Kafka cluster configured for this Connect cluster") + "): " + howKafka);
      }
      String topic = blankToNull(config.get("signal.kafka.topic"));
      return new Plan("kafka", topic == null ? prefix + "-signal" : topic, prefix, null, null, null, null, null);
    }
    if (s.channel().equals("source") || s.channel().equals("auto")) {
      if (!sourceEnabled) {
        return Plan.refused("no usable signal channel (signal.enabled.channels="
            + config.getOrDefault("signal.enabled.channels", "source (default)") + ", signal.data.collection="
            + (signalTable == null ? "unset" : signalTable) + "): " + howKafka + "; or " + howSource);
      }
      String cls = config.getOrDefault("connector.class", "");
      if (!cls.equals("io.debezium.connector.postgresql.PostgresConnector")) {
        return Plan.refused("the signaling-table channel is supported for io.debezium.connector.postgresql.PostgresConnector"
            + " only (this connector is " + (cls.isEmpty() ? "of unknown class" : cls) + "): " + howKafka);
      }
      String host = blankToNull(config.get("database.hostname"));
      String db = blankToNull(config.get("database.dbname"));
      String user = blankToNull(config.get("database.user"));
      if (host == null || db == null || user == null) {
        return Plan.refused("the connector config lacks database.hostname, database.dbname or database.user needed to"
            + " write to the signaling table " + signalTable);
      }
      String password = config.getOrDefault("database.password", "");
      if (s.passwordEnv() != null) {
        password = env.get(s.passwordEnv());
        if (password == null) {
          return Plan.refused("password_env names " + s.passwordEnv() + ", which is not set in runbookd's environment");
        }
      } else if (password.contains("${")) {
        return Plan.refused("database.password is a config provider reference (" + password.replaceAll("\\$\\{([^:}]*):.*",
            "\\${$1:...}") + "), which runbookd cannot resolve: set password_env on the snapshot step");
      }
      String port = config.getOrDefault("database.port", "5432").trim();
      String url = "jdbc:postgresql://" + host.trim() + ":" + port + "/" + db.trim();
      return new Plan("source", null, null, signalTable, url, user, password, null);
    }
    return Plan.refused("no usable signal channel: " + howKafka + "; or " + howSource);
  }

  /**
   * The rule's data collections, then every distinct match of {@code data_collections_from_trace} (regex-quoted), then
   * with {@code captured_tables} the entries of the config's {@code table.include.list} other than the signaling table.
   */
  static List<String> collections(Step.Snapshot s, String trace, Map<String, String> config) {
    Set<String> out = new LinkedHashSet<>(s.dataCollections());
    if (s.capturedTables()) {
      String signal = blankToNull(config.get("signal.data.collection"));
      for (String t : config.getOrDefault("table.include.list", "").split(",")) {
        String table = t.trim();
        if (!table.isEmpty() && !table.equals(signal) && !(signal != null && table.equals(signal.replace(".", "\\.")))) {
          out.add(table);
        }
      }
    }
    if (s.fromTrace() != null && trace != null) {
      com.google.re2j.Matcher m = com.google.re2j.Pattern.compile(s.fromTrace()).matcher(trace);
      while (m.find() && out.size() < 100) {
        String table = m.group(1);
        if (table != null && !table.isBlank()) {
          out.add(table.replace(".", "\\."));
        }
      }
    }
    return new ArrayList<>(out);
  }

  /** The signal's {@code data} document (Debezium's dashed names). */
  static String data(Step.Snapshot s, List<String> collections) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("data-collections", collections);
    data.put("type", s.snapshotType().toUpperCase(java.util.Locale.ROOT));
    if (!s.additionalConditions().isEmpty()) {
      List<Map<String, String>> conditions = new ArrayList<>();
      s.additionalConditions().forEach((dc, f) -> conditions.add(Map.of("data-collection", dc, "filter", f)));
      data.put("additional-conditions", conditions);
    }
    return StepExecutor.json(data);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
