package io.runbookd.e2e;

import io.runbookd.it.TcpProxy;
import io.runbookd.testkit.Await;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A real pipeline to break: an {@code orders} topic fed by a producer (a few records per second), and
 * Debezium's JDBC sink connector writing it into a PostgreSQL table through a {@link TcpProxy}.
 *
 * <p>Records are JSON with an inline schema (the worker's {@code JsonConverter}, {@code schemas.enable}
 * true), upserted by {@code id}; the sink creates the table ({@code schema.evolution=basic}). While the
 * proxy is stopped the sink's next write fails with pgjdbc's {@code Connection to 127.0.0.1:<port>
 * refused}, the task goes FAILED and, like every Connect task, stays FAILED until it is restarted.
 */
final class OrdersPipeline implements AutoCloseable {
  static final String JDBC_SINK = "io.debezium.connector.jdbc.JdbcSinkConnector";
  private static final String PG_HOST = "127.0.0.1";
  private static final int PG_PORT = 5432;
  private static final String PG_USER = "postgres";
  private static final String VALUE_SCHEMA = "{\"type\":\"struct\",\"name\":\"orders.Value\",\"optional\":false,\"fields\":["
      + "{\"field\":\"id\",\"type\":\"int64\",\"optional\":false},"
      + "{\"field\":\"item\",\"type\":\"string\",\"optional\":false},"
      + "{\"field\":\"quantity\",\"type\":\"int32\",\"optional\":false}]}";
  private static final String[] ITEMS = {"book", "lamp", "chair", "kettle", "desk"};

  private final String connector;
  private final String topic;
  private final String table;
  private final TcpProxy database;
  private final KafkaProducer<String, String> producer;
  private final AtomicLong produced = new AtomicLong();
  private final Thread feeder;
  private volatile boolean feeding = true;
  private volatile boolean paused;

  /**
   * Starts the database proxy and the producer; {@link #deploy} creates the connector.
   *
   * @param name connector name; the topic and the table are derived from it
   * @param proxyPort the port the sink connects to ({@code 0}: any free port)
   */
  OrdersPipeline(String name, String bootstrapServers, int proxyPort, long recordEveryMs) throws Exception {
    this.connector = name;
    this.topic = name;
    this.table = name.replace('-', '_');
    this.database = new TcpProxy(proxyPort, PG_HOST, PG_PORT);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    this.producer = new KafkaProducer<>(p);
    dropTable();
    this.feeder = new Thread(() -> feed(recordEveryMs), "orders-producer");
    feeder.setDaemon(true);
    feeder.start();
  }

  /** The sink's config: Debezium JDBC sink into {@code postgres.public.<table>} through the proxy. */
  Map<String, String> connectorConfig() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("connector.class", JDBC_SINK);
    c.put("tasks.max", "1");
    c.put("topics", topic);
    c.put("connection.url", "jdbc:postgresql://" + PG_HOST + ":" + database.port() + "/postgres");
    c.put("connection.username", PG_USER);
    c.put("connection.password", "");
    c.put("insert.mode", "upsert");
    c.put("primary.key.mode", "record_value");
    c.put("primary.key.fields", "id");
    c.put("schema.evolution", "basic");
    c.put("collection.name.format", table);
    // c3p0, through Hibernate's hibernate.c3p0.* pass-through: check a pooled connection before using it
    // (a database restart leaves dead ones in the pool) and give up acquiring a new one after 3 tries 1 s apart
    // instead of 30.
    c.put("hibernate.c3p0.testConnectionOnCheckout", "true");
    c.put("hibernate.c3p0.acquireRetryAttempts", "3");
    c.put("hibernate.c3p0.acquireRetryDelay", "1000");
    return c;
  }

  String connector() {
    return connector;
  }

  String topic() {
    return topic;
  }

  String table() {
    return table;
  }

  TcpProxy database() {
    return database;
  }

  long produced() {
    return produced.get();
  }

  /** {@code SELECT count(*)} of the sink's table straight from PostgreSQL (not through the proxy); 0 before it exists. */
  long rowsInDatabase() throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement()) {
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

  /**
   * Stops producing and waits until the sink has written every record: its pooled database connections are
   * idle. Breaking the database then makes the sink's next write fail on a new connection, i.e. with pgjdbc's
   * "Connection ... refused" (a connection cut in the middle of a query fails with "An I/O error occurred
   * while sending to the backend" instead).
   */
  void pauseAndDrain(java.time.Duration timeout) throws InterruptedException {
    synchronized (this) {
      paused = true; // the feeder checks and sends under this lock: no send is half done now
    }
    producer.flush();
    Await.value("every produced record written to " + table, timeout, java.time.Duration.ofMillis(100),
        () -> rowsInDatabase() == produced.get() ? java.util.Optional.of(true) : java.util.Optional.empty(),
        () -> produced.get() + " produced");
  }

  /** Produces again. */
  void resume() {
    paused = false;
  }

  private void feed(long everyMs) {
    long id = 0;
    while (feeding) {
      try {
        synchronized (this) {
          if (!paused) {
            id++;
            String value = "{\"schema\":" + VALUE_SCHEMA + ",\"payload\":{\"id\":" + id + ",\"item\":\""
                + ITEMS[(int) (id % ITEMS.length)] + "\",\"quantity\":" + (1 + id % 3) + "}}";
            producer.send(new ProducerRecord<>(topic, null, value), (md, err) -> {
              if (err == null) {
                produced.incrementAndGet();
              }
            });
          }
        }
        Thread.sleep(everyMs); // paces the producer thread, not a test wait
      } catch (InterruptedException | org.apache.kafka.common.errors.InterruptException e) {
        return;
      }
    }
  }

  private void dropTable() throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS public." + table);
    }
  }

  private static Connection connect() throws SQLException {
    return DriverManager.getConnection("jdbc:postgresql://" + PG_HOST + ":" + PG_PORT + "/postgres", PG_USER, "");
  }

  /** Stops the producer and the proxy and drops the table. Idempotent. */
  @Override
  public void close() {
    if (!feeding) {
      return;
    }
    feeding = false;
    feeder.interrupt();
    producer.close(java.time.Duration.ofSeconds(5));
    database.close();
    try {
      dropTable();
    } catch (SQLException e) {
      // best effort: the table name is unique per run
    }
  }
}
