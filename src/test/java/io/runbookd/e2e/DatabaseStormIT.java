package io.runbookd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.it.AlertmanagerPayloads;
import io.runbookd.model.Storm;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import io.runbookd.testkit.PostgresCluster;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A database outage under twenty Debezium JDBC sinks on one real PostgreSQL cluster (the dedicated
 * 15/storm on 5434, see scripts/setup.sh): the server is shut down (open sessions get 57P01), runbookd
 * sees a storm and sends one summary, the database comes back after the storm hold has ended, and every
 * sink is RUNNING within 2 minutes of it accepting connections, with the shipped rules and no human.
 */
class DatabaseStormIT {
  private static final Logger LOG = LoggerFactory.getLogger(DatabaseStormIT.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final int SINKS = 20;
  private static final String VALUE_SCHEMA = "{\"type\":\"struct\",\"name\":\"orders.Value\",\"optional\":false,\"fields\":["
      + "{\"field\":\"id\",\"type\":\"int64\",\"optional\":false},"
      + "{\"field\":\"quantity\",\"type\":\"int32\",\"optional\":false}]}";

  @TempDir
  Path tmp;

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String name(int i) {
    return String.format("storm-sink-%02d", i);
  }

  @Test
  void twentySinksOnAStoppedDatabaseEndWithOneSummaryAndAllRunningWithin2Minutes() throws Exception {
    if (!PostgresCluster.accepting()) {
      PostgresCluster.start(Duration.ofSeconds(60));
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < SINKS; i++) {
      names.add(name(i));
    }
    dropTables(names);
    Map<String, Instant> runningAt = new ConcurrentHashMap<>();
    try (NotificationCatcher pages = new NotificationCatcher(freePort(), n -> LOG.info("page {}: {}", n.path(), n.body()));
        ConnectJvm connect = ConnectJvm.start(tmp.resolve("connect"), freePort(), freePort(), ChainFiles.EXPORTER_YML,
            Duration.ofSeconds(150), pid -> { })) {
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, connect.bootstrapServers()))) {
        admin.createTopics(names.stream().map(n -> new NewTopic(n, 1, (short) 1)).toList()).all().get(60, TimeUnit.SECONDS);
      }
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, connect.bootstrapServers());
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
        for (String n : names) {
          connect.putConfig(n, sinkConfig(n));
        }
        long[] id = {0};
        Runnable produce = () -> {
          id[0]++;
          for (String n : names) {
            producer.send(new ProducerRecord<>(n, null, "{\"schema\":" + VALUE_SCHEMA + ",\"payload\":{\"id\":" + id[0]
                + ",\"quantity\":1}}"));
          }
          producer.flush();
        };
        Await.value("every sink RUNNING with rows in PostgreSQL", Duration.ofSeconds(240), Duration.ofSeconds(1), () -> {
          produce.run();
          for (String n : names) {
            if (!ConnectJvm.running(connect.status(n)) || rows(n) == 0) {
              return Optional.empty();
            }
          }
          return Optional.of(true);
        }, () -> "not yet");

        PostgresCluster.stop(Duration.ofSeconds(60));
        Instant stopped = Instant.now();
        Map<String, String> traces = new LinkedHashMap<>();
        Await.value("every sink FAILED", Duration.ofSeconds(180), Duration.ofSeconds(1), () -> {
          produce.run();
          for (String n : names) {
            if (!traces.containsKey(n)) {
              ConnectJvm.failedTask(connect.status(n)).ifPresent(t -> traces.put(n, t.getString("trace", "")));
            }
          }
          return traces.size() == SINKS ? Optional.of(true) : Optional.empty();
        }, () -> traces.size() + " FAILED");
        long adminShutdown = traces.values().stream().filter(t -> t.contains("terminating connection due to administrator command")).count();
        LOG.info("MEASURED database stop -> all {} FAILED: {} ms; traces naming 57P01: {}", SINKS,
            Duration.between(stopped, Instant.now()).toMillis(), adminShutdown);

        String config = "rules: { paths: ['" + Daemon.shippedRules() + "'] }\n"
            + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "' }\n"
            + "notifiers:\n"
            + "  owner: { type: webhook, url: '" + pages.url() + "/owner' }\n"
            + "  oncall: { type: slack, url: '" + pages.url() + "/oncall' }\n"
            + "engine: { tick: 200ms, poll_interval: 1s }\n"
            + "guards: { storm: { connectors: " + SINKS + ", window: 20s, notify: oncall } }\n";
        try (Daemon daemon = Daemon.start(config, tmp.resolve("data"))) {
          for (String n : names) {
            Map<String, String> labels = Map.of("alertname", "KafkaConnectTaskFailure", "connect_cluster", "local",
                "connector", n, "task", "0", "severity", "warning");
            assertThat(daemon.postAlerts(AlertmanagerPayloads.firing("KafkaConnectTaskFailure", labels, Instant.now()))
                .statusCode()).isEqualTo(200);
          }
          Await.until("the storm", Duration.ofSeconds(60), () -> daemon.runbookd().store().currentStorm("local").isPresent());
          Await.until("the storm hold to end", Duration.ofSeconds(120), () -> {
            Optional<Storm> s = daemon.runbookd().store().currentStorm("local");
            return s.isEmpty() || !s.get().activeAt(Instant.now());
          });
          Instant holdEnded = Instant.now();
          // the database stays down a little after the hold: the first attempts after it are doomed
          Await.until("10 s after the hold", Duration.ofSeconds(20), () -> Duration.between(holdEnded, Instant.now()).toSeconds() >= 10);

          PostgresCluster.start(Duration.ofSeconds(60));
          Instant back = Instant.now();
          Await.value("every sink RUNNING", Duration.ofMinutes(2), POLL, () -> {
            produce.run();
            for (String n : names) {
              if (!runningAt.containsKey(n) && ConnectJvm.running(connect.status(n))) {
                runningAt.put(n, Instant.now());
              }
            }
            return runningAt.size() == SINKS ? Optional.of(true) : Optional.empty();
          }, () -> runningAt.size() + " RUNNING");
          Instant first = runningAt.values().stream().min(Instant::compareTo).orElseThrow();
          Instant last = runningAt.values().stream().max(Instant::compareTo).orElseThrow();
          List<NotificationCatcher.Notification> sent = pages.received();
          LOG.info("MEASURED database back -> first RUNNING {} ms, last RUNNING {} ms; pages sent: {}",
              Duration.between(back, first).toMillis(), Duration.between(back, last).toMillis(), sent.size());
          for (String n : names) {
            JsonObject inc = daemon.awaitIncident(n, i -> true, Duration.ofSeconds(5));
            LOG.info("incident of {}: state={} attempts={}", n, inc.getString("state"), inc.getInteger("attempts"));
          }
          assertThat(Duration.between(back, last)).isLessThanOrEqualTo(Duration.ofMinutes(2));
          assertThat(sent).as("exactly one page: the storm summary").hasSize(1);
          assertThat(new JsonObject(sent.get(0).body()).encode()).contains("storm");
          // every member's incident closes once its fix is verified (stable_for): then the one "storm over" message
          List<NotificationCatcher.Notification> all = Await.value("the storm over message", Duration.ofMinutes(3), POLL,
              () -> pages.received().size() >= 2 ? Optional.of(pages.received()) : Optional.empty(),
              () -> pages.received().size() + " messages");
          LOG.info("MEASURED database back -> storm over message {} ms: {}", Duration.between(back, Instant.now())
              .toMillis(), all.get(1).body());
          Instant overAt = Instant.now();
          Await.until("10 s after it (a late per-connector page would show)", Duration.ofSeconds(20),
              () -> Duration.between(overAt, Instant.now()).toSeconds() >= 10);
          assertThat(pages.received()).as("the summary and the storm over message, no per-connector page").hasSize(2);
          String over = new JsonObject(all.get(1).body()).encode();
          assertThat(over).contains("is over: 20 of 20 connectors recovered (" + name(0) + ", ")
              .contains("and 10 more)").contains("0 did not");
          assertThat(all.get(1).path()).isEqualTo(sent.get(0).path());
        }
      }
    } finally {
      if (!PostgresCluster.accepting()) {
        PostgresCluster.start(Duration.ofSeconds(60));
      }
      dropTables(names);
    }
  }

  private static Map<String, String> sinkConfig(String name) {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("connector.class", OrdersPipeline.JDBC_SINK);
    c.put("tasks.max", "1");
    c.put("topics", name);
    c.put("connection.url", PostgresCluster.url("postgres"));
    c.put("connection.username", "postgres");
    c.put("connection.password", "");
    c.put("insert.mode", "upsert");
    c.put("primary.key.mode", "record_value");
    c.put("primary.key.fields", "id");
    c.put("schema.evolution", "basic");
    c.put("collection.name.format", name.replace('-', '_'));
    // twenty sinks on one server: a small pool each (Debezium's default min_size is 5) stays under max_connections
    c.put("connection.pool.min_size", "1");
    c.put("connection.pool.max_size", "2");
    c.put("connection.pool.acquire_increment", "1");
    c.put("hibernate.c3p0.acquireRetryAttempts", "3");
    c.put("hibernate.c3p0.acquireRetryDelay", "1000");
    return c;
  }

  private static long rows(String name) throws Exception {
    try (Connection c = DriverManager.getConnection(PostgresCluster.url("postgres"), "postgres", "");
        Statement s = c.createStatement()) {
      String table = name.replace('-', '_');
      try (ResultSet r = s.executeQuery("SELECT to_regclass('public." + table + "') IS NOT NULL")) {
        r.next();
        if (!r.getBoolean(1)) {
          return 0;
        }
      }
      try (ResultSet r = s.executeQuery("SELECT count(*) FROM public." + table)) {
        r.next();
        return r.getLong(1);
      }
    }
  }

  private static void dropTables(List<String> names) throws Exception {
    try (Connection c = DriverManager.getConnection(PostgresCluster.url("postgres"), "postgres", "");
        Statement s = c.createStatement()) {
      for (String n : names) {
        s.execute("DROP TABLE IF EXISTS public." + n.replace('-', '_'));
      }
    }
  }
}
