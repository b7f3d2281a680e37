package io.runbookd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.it.AlertmanagerPayloads;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Debezium PostgreSQL source (3.5.0.Final, plugin archive in the worker's plugin.path) on the logical-decoding
 * PostgreSQL cluster {@code 15/cdc} on 127.0.0.1:5435 (created by scripts/setup.sh) loses its replication slot
 * ({@code pg_terminate_backend} of its walsender, then {@code pg_drop_replication_slot}) while rows change. The
 * shipped rule {@code 22-postgres-replication-slot-lost.yaml}, unchanged, takes the incident (not the catch-all):
 * no restart, the connector STOPPED, the owner and on-call told at once; after a human's approval runbookd resets
 * the source offsets, resumes with {@code snapshot.mode=no_data} and sends an incremental snapshot signal through
 * the connector's Kafka signal channel, and the rows that changed during the gap reach the topic as reads
 * ({@code op: r}).
 */
class DebeziumSlotLossIT {
  private static final Logger LOG = LoggerFactory.getLogger(DebeziumSlotLossIT.class);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final String ALERT = "KafkaConnectTaskFailure";
  private static final String OPERATOR_TOKEN = "cdc-slot-operator-token-0123456789";
  private static final String PG = "jdbc:postgresql://127.0.0.1:5435/postgres";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static ConnectJvm connect;
  private static RecordingConnectProxy recorder;
  private static NotificationCatcher pages;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startWorld() throws Exception {
    Path dir = Files.createTempDirectory("cdc-slot");
    pages = new NotificationCatcher(freePort(), n -> LOG.info("notification {}: {}", n.path(), n.body()));
    connect = ConnectJvm.start(dir.resolve("connect"), freePort(), freePort(), ChainFiles.EXPORTER_YML,
        Duration.ofSeconds(150), pid -> { });
    recorder = new RecordingConnectProxy(connect.restUrl());
  }

  @AfterAll
  static void stopWorld() {
    if (recorder != null) {
      recorder.close();
    }
    if (connect != null) {
      connect.close();
    }
    if (pages != null) {
      pages.close();
    }
  }

  private String config(Path rules) {
    return "server:\n  listen: 127.0.0.1:0\n  external_url: 'https://runbookd.example.com'\n  auth:\n"
        + "    operators:\n      - { name: alice, bearer_token: " + OPERATOR_TOKEN + " }\n"
        + "store: { data_dir: '" + tmp.resolve("data") + "' }\n"
        + "rules: { paths: ['" + rules + "'] }\n"
        + "kafka_clusters:\n  local: { bootstrap_servers: '" + connect.bootstrapServers() + "' }\n"
        + "connect_clusters:\n  local: { url: '" + recorder.url() + "', kafka: local }\n"
        + "notifiers:\n"
        + "  owner: { type: webhook, url: '" + pages.url() + "/owner' }\n"
        + "  oncall: { type: webhook, url: '" + pages.url() + "/oncall' }\n"
        + "engine: { tick: 200ms, poll_interval: 500ms }\n";
  }

  @Test
  void aDroppedSlotStopsTheConnectorTellsOwnerAndOnCallAndAfterApprovalASnapshotBringsTheGapRows() throws Exception {
    String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
    String name = "pg-slot-" + run;
    String table = "orders_" + run;
    String signalTable = "signal_" + run;
    String slot = "rb_slot_" + run;
    String prefix = "cdc" + run;
    String topic = prefix + ".public." + table;
    sql("CREATE TABLE public." + table + " (id int PRIMARY KEY, item text NOT NULL)",
        "CREATE TABLE public." + signalTable + " (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048))",
        "INSERT INTO public." + table + " VALUES (1, 'apple'), (2, 'pear'), (3, 'plum')");
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", connect.bootstrapServers()))) {
      // Debezium's Kafka signal channel reads partition 0 of a one-partition topic
      admin.createTopics(List.of(new NewTopic(prefix + "-signal", 1, (short) 1))).all().get();
    }
    Map<String, String> cfg = new HashMap<>();
    cfg.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    cfg.put("tasks.max", "1");
    cfg.put("database.hostname", "127.0.0.1");
    cfg.put("database.port", "5435");
    cfg.put("database.user", "postgres");
    cfg.put("database.password", "");
    cfg.put("database.dbname", "postgres");
    cfg.put("topic.prefix", prefix);
    cfg.put("plugin.name", "pgoutput");
    cfg.put("slot.name", slot);
    cfg.put("publication.name", "pub_" + run);
    cfg.put("publication.autocreate.mode", "filtered");
    cfg.put("table.include.list", "public." + table + ",public." + signalTable);
    cfg.put("snapshot.mode", "initial");
    cfg.put("signal.enabled.channels", "source,kafka");
    cfg.put("signal.data.collection", "public." + signalTable);
    cfg.put("signal.kafka.bootstrap.servers", connect.bootstrapServers());
    cfg.put("topic.creation.default.replication.factor", "1");
    cfg.put("topic.creation.default.partitions", "1");
    Map<Integer, String> ops = new ConcurrentHashMap<>();
    try (TopicReader reader = new TopicReader(connect.bootstrapServers(), topic)) {
      connect.putConfig(name, cfg);
      Await.until("the initial snapshot's 3 rows on " + topic, Duration.ofSeconds(90), POLL,
          () -> reader.poll(ops).keySet().containsAll(Set.of(1, 2, 3)), () -> ops + " " + seen(name));

      // the slot is lost; rows change while no slot keeps them
      Instant lost = Instant.now();
      dropSlot(slot);
      sql("INSERT INTO public." + table + " VALUES (4, 'fig'), (5, 'kiwi')",
          "UPDATE public." + table + " SET item = 'quince' WHERE id = 2");
      JsonObject failed = Await.value(name + " task FAILED", Duration.ofSeconds(120), POLL,
          () -> ConnectJvm.failedTask(connect.status(name)), () -> seen(name));
      assertThat(failed.getString("trace")).contains("no longer available on the server");
      Instant failedAt = Instant.now();

      try (Daemon daemon = Daemon.startWith(config(shippedRules("22-postgres-replication-slot-lost.yaml",
          "99-catch-all.yaml")))) {
        Instant startsAt = Instant.now();
        assertThat(daemon.postAlerts(AlertmanagerPayloads.firing(ALERT, labels(name), startsAt)).statusCode()).isEqualTo(200);

        JsonObject waiting = awaitIncident(daemon, name, i -> "awaiting_approval".equals(i.getString("state")),
            Duration.ofSeconds(60));
        String id = waiting.getString("id");
        assertThat(waiting.getString("rule")).isEqualTo("debezium-pg-replication-slot-lost");
        Await.until(name + " STOPPED", Duration.ofSeconds(30), POLL,
            () -> connect.status(name).map(s -> "STOPPED".equals(s.getJsonObject("connector").getString("state")))
                .orElse(false), () -> seen(name));
        NotificationCatcher.Notification owner = awaitPages("/owner", "replication slot is gone", Duration.ofSeconds(20));
        NotificationCatcher.Notification oncall = awaitPages("/oncall", "replication slot is gone", Duration.ofSeconds(20));
        assertThat(new JsonObject(owner.body()).getString("message")).contains("STOPPED the connector")
            .contains("incremental snapshot").contains("incident " + id);
        assertThat(new JsonObject(oncall.body()).getString("message")).contains("runbookd stopped the connector");
        daemon.awaitLaterAlertProcessed();
        assertThat(recorder.restarts(name)).as("never restarted blindly").isEmpty();
        assertThat(ConnectJvm.summary(connect.status(name))).isEqualTo("STOPPED []");
        LOG.info("MEASURED slot-loss: task FAILED {} ms after the drop; webhook -> stopped + owner/on-call told {} ms",
            Duration.between(lost, failedAt).toMillis(), Duration.between(startsAt, Instant.now()).toMillis());

        HttpResponse<String> ok = post(daemon, "/api/v1/incidents/" + id + "/approve",
            "{\"comment\": \"slot loss confirmed, snapshot the orders\"}");
        assertThat(ok.statusCode()).isEqualTo(200);

        // after the approval: offsets reset, resumed with no_data, an incremental snapshot of the captured table
        Await.until("rows 4 and 5 and the new item of 2 on " + topic + " as reads", Duration.ofSeconds(120), POLL,
            () -> {
              reader.poll(ops);
              return "r".equals(ops.get(4)) && "r".equals(ops.get(5)) && reader.item(2).equals("quince");
            }, () -> ops + " item(2)=" + reader.item(2) + " " + seen(name));
        Instant done = Instant.now();
        LOG.info("MEASURED slot-loss→snapshot-done ms={} (alert webhook→gap rows on the topic {} ms, approval included)",
            Duration.between(lost, done).toMillis(), Duration.between(startsAt, done).toMillis());
        JsonObject detail = api(daemon, "/api/v1/incidents/" + id);
        JsonObject snapshot = detail.getJsonArray("steps").stream().map(JsonObject.class::cast)
            .filter(s -> "snapshot".equals(s.getString("type"))).findFirst().orElseThrow();
        assertThat(snapshot.getString("after")).contains("\"channel\":\"kafka\"").contains("public." + table)
            .doesNotContain(signalTable).contains("runbookd-" + id);
        assertThat(connect.config(name)).containsEntry("snapshot.mode", "no_data");
        assertThat(recorder.restarts(name)).isEmpty();
      } finally {
        connect.delete(name);
        dropSlotQuietly(slot);
      }
    } finally {
      sql("DROP TABLE IF EXISTS public." + table, "DROP TABLE IF EXISTS public." + signalTable,
          "DROP PUBLICATION IF EXISTS pub_" + run);
    }
  }

  /** Terminates the slot's walsender and drops the slot; Debezium reconnects quickly, so it retries. */
  private static void dropSlot(String slot) throws Exception {
    Await.until("slot " + slot + " dropped", Duration.ofSeconds(20), Duration.ofMillis(50), () -> {
      try (Connection c = DriverManager.getConnection(PG, "postgres", ""); Statement s = c.createStatement()) {
        s.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '" + slot
            + "' AND active");
        try {
          s.execute("SELECT pg_drop_replication_slot('" + slot + "')");
          return true;
        } catch (java.sql.SQLException e) {
          return false; // still active: the walsender came back
        }
      }
    }, () -> "");
  }

  private static void dropSlotQuietly(String slot) {
    try (Connection c = DriverManager.getConnection(PG, "postgres", ""); Statement s = c.createStatement()) {
      s.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '" + slot
          + "' AND active");
      Await.until("slot " + slot + " released by its walsender", Duration.ofSeconds(10), () -> {
        try (var rs = s.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot
            + "' AND active")) {
          return rs.next() && rs.getInt(1) == 0;
        }
      });
      s.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
    } catch (Exception e) {
      LOG.warn("could not drop slot {}: {}", slot, e.toString());
    }
  }

  /** The record values of one topic, read from the start with a consumer in no group. */
  private static final class TopicReader implements AutoCloseable {
    private final KafkaConsumer<String, String> consumer;
    private final Map<Integer, String> items = new ConcurrentHashMap<>();

    TopicReader(String bootstrap, String topic) {
      Properties p = new Properties();
      p.put("bootstrap.servers", bootstrap);
      p.put("key.deserializer", StringDeserializer.class.getName());
      p.put("value.deserializer", StringDeserializer.class.getName());
      p.put("enable.auto.commit", "false");
      consumer = new KafkaConsumer<>(p);
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
    }

    /** Reads what arrived; {@code ops} gets the last Debezium {@code op} seen per id. */
    Map<Integer, String> poll(Map<Integer, String> ops) {
      for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
        if (r.value() == null) {
          continue;
        }
        JsonObject payload = new JsonObject(r.value()).getJsonObject("payload");
        JsonObject after = payload == null ? null : payload.getJsonObject("after");
        if (after != null) {
          ops.put(after.getInteger("id"), payload.getString("op"));
          items.put(after.getInteger("id"), after.getString("item"));
        }
      }
      return ops;
    }

    String item(int id) {
      return items.getOrDefault(id, "");
    }

    @Override
    public void close() {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private Path shippedRules(String... files) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("rules"));
    for (String f : files) {
      Files.copy(Daemon.shippedRules().resolve(f), dir.resolve(f));
    }
    return dir;
  }

  private static Map<String, String> labels(String connector) {
    return Map.of("alertname", ALERT, "connect_cluster", "local", "connector", connector, "task", "0");
  }

  private static void sql(String... statements) throws Exception {
    try (Connection c = DriverManager.getConnection(PG, "postgres", ""); Statement s = c.createStatement()) {
      for (String st : statements) {
        s.execute(st);
      }
    }
  }

  private static HttpResponse<String> post(Daemon daemon, String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(daemon.url() + path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + OPERATOR_TOKEN).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject api(Daemon daemon, String path) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.url() + path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + OPERATOR_TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new AssertionError("GET " + path + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return new JsonObject(r.body());
  }

  private static JsonObject awaitIncident(Daemon daemon, String connector, Predicate<JsonObject> test, Duration timeout) {
    String path = "/api/v1/incidents?connector=" + URLEncoder.encode(connector, StandardCharsets.UTF_8);
    JsonArray[] last = {null};
    return Await.value("an incident of " + connector + " that matches", timeout, POLL, () -> {
      last[0] = api(daemon, path).getJsonArray("incidents");
      return last[0].stream().map(JsonObject.class::cast).filter(test).findFirst();
    }, () -> String.valueOf(last[0]));
  }

  private static NotificationCatcher.Notification awaitPages(String path, String text, Duration timeout) {
    return Await.value("a notification to " + path, timeout, POLL,
        () -> pages.received().stream().filter(n -> n.path().equals(path) && n.body().contains(text)).findFirst(),
        () -> pages.received().toString());
  }

  private static String seen(String name) {
    try {
      return ConnectJvm.summary(connect.status(name));
    } catch (Exception e) {
      return "status unreadable: " + e;
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
