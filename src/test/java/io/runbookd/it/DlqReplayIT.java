package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.ConnectWorker;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dead letter queues on a real Connect worker: a JSON sink stops on a record that is not JSON; the shipped
 * tolerance rule asks for approval, then routes bad records to {@code <connector>-dlq}, and the connector
 * consumes what follows; once the owner fixed the cause, {@code dlq_replay} (an operator action) re-produces
 * the record to its topic exactly once.
 */
class DlqReplayIT {
  private static final Logger LOG = LoggerFactory.getLogger(DlqReplayIT.class);
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  static final String POISON = "not-json{";

  private static ConnectWorker connect;
  private static WireMockServer notifiers;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startWorld() {
    connect = ConnectWorker.get();
    notifiers = new WireMockServer(options().dynamicPort());
    notifiers.start();
    for (String n : List.of("/owner", "/oncall")) {
      notifiers.stubFor(post(urlEqualTo(n)).willReturn(aResponse().withStatus(200)));
    }
  }

  @AfterAll
  static void stopWorld() {
    notifiers.stop();
  }

  static Map<String, String> jsonSink(String name, String topic, String valueConverter) {
    Map<String, String> c = new HashMap<>();
    c.put("connector.class", RecordingSinkConnector.class.getName());
    c.put("tasks.max", "1");
    c.put("topics", topic);
    c.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    c.put("value.converter", valueConverter);
    c.put("value.converter.schemas.enable", "false");
    return c;
  }

  static String config(Path tmp, int notifierPort, String rules) {
    return "rules: { paths: ['" + rules + "'] }\n"
        + "notifiers:\n"
        + "  owner: { type: webhook, url: 'http://127.0.0.1:" + notifierPort + "/owner' }\n"
        + "  oncall: { type: webhook, url: 'http://127.0.0.1:" + notifierPort + "/oncall' }\n"
        + "kafka_clusters:\n  local: { bootstrap_servers: '" + connect.bootstrapServers() + "' }\n"
        + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "', kafka: local }\n"
        + "engine: { tick: 200ms, poll_interval: 500ms }\n";
  }

  @Test
  void aPoisonRecordGoesToTheDeadLetterTopicAfterApprovalAndIsReplayedOnceAfterTheFix() throws Exception {
    long t0 = System.nanoTime();
    String name = "orders-json-sink";
    String topic = "orders-json";
    String dlq = name + "-dlq";
    connect.cluster().kafka().createTopic(topic, 1);
    connect.cluster().kafka().produce(topic, "k1", "{\"id\":1}");
    connect.cluster().kafka().produce(topic, "k2", POISON);
    connect.cluster().configureConnector(name, jsonSink(name, topic, "org.apache.kafka.connect.json.JsonConverter"));
    connect.awaitTaskFailed(name, Duration.ofSeconds(60));

    try (Daemon d = Daemon.start(config(tmp, notifiers.port(), Daemon.shippedRules().toString()), tmp.resolve("data"))) {
      d.postAlerts(AlertmanagerPayloads.firing("KafkaConnectTaskFailure",
          Map.of("connect_cluster", "local", "connector", name, "task", "0"), Instant.now()));
      JsonObject inc = d.awaitIncident(name, i -> "awaiting_approval".equals(i.getString("state")),
          Duration.ofSeconds(20));
      String id = inc.getString("id");
      assertThat(inc.getString("rule")).isEqualTo("connect-tolerance-exceeded");
      String request = Await.value("the approval request", Duration.ofSeconds(10), () -> notified("/owner", id)
          .stream().filter(b -> b.contains("\"approval\"")).findFirst());
      String message = new JsonObject(request).getString("message");
      LOG.info("APPROVAL REQUEST:\n{}", message);
      assertThat(message).contains("errors.tolerance").contains("{{ target.connector }}-dlq")
          .contains("/api/v1/incidents/" + id + "/approve");

      HttpResponse<String> ok = send(d, "/api/v1/incidents/" + id + "/approve", "{\"comment\": \"DLQ it\"}");
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);

      Await.until("the poison record in " + dlq, Duration.ofSeconds(60), () -> {
        try {
          return records(dlq).size() == 1;
        } catch (RuntimeException e) {
          return false; // the topic does not exist yet
        }
      });
      ConsumerRecord<byte[], byte[]> dead = records(dlq).get(0);
      assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo(POISON);
      assertThat(header(dead, "__connect.errors.topic")).isEqualTo(topic);
      assertThat(header(dead, "__connect.errors.offset")).isEqualTo("1");
      connect.awaitRunning(name, Duration.ofSeconds(30));
      connect.cluster().kafka().produce(topic, "k3", "{\"id\":3}");
      Await.until("the record after the poison consumed", Duration.ofSeconds(30),
          () -> RecordingSinkConnector.received(name).contains("{id=3}"));

      JsonObject closed = d.awaitIncident(name, i -> "closed".equals(i.getString("state")), Duration.ofSeconds(60));
      String told = Await.value("the owner told the DLQ count", Duration.ofSeconds(10), () -> notified("/owner", id)
          .stream().filter(b -> b.contains("holds 1 record")).findFirst());
      LOG.info("OWNER TOLD: {}", new JsonObject(told).getString("message"));
      assertThat(closed.getString("outcome")).isEqualTo("recovered");

      // The owner fixes the cause: the records are text, not JSON.
      Map<String, String> fixed = new HashMap<>(connect.cluster().connectorInfo(name).config());
      fixed.put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
      assertThat(fixed).containsEntry("errors.deadletterqueue.topic.name", dlq).containsEntry("errors.tolerance", "all");
      connect.cluster().configureConnector(name, fixed);
      connect.awaitRunning(name, Duration.ofSeconds(30));

      HttpResponse<String> asked = send(d, "/api/v1/actions", "{\"cluster\":\"local\",\"connector\":\"" + name
          + "\",\"step\":{\"dlq_replay\":{}},\"comment\":\"converter fixed\"}");
      assertThat(asked.statusCode()).as(asked.body()).isEqualTo(202);
      String replayId = new JsonObject(asked.body()).getString("incident_id");
      JsonObject step = Await.value("the dlq_replay step done", Duration.ofSeconds(30), () -> d.incident(replayId)
          .getJsonArray("steps").stream().map(s -> (JsonObject) s)
          .filter(s -> "dlq_replay".equals(s.getString("type")) && s.getString("outcome") != null).findFirst());
      assertThat(step.getString("outcome")).as(step.encode()).isEqualTo("ok");
      LOG.info("DLQ_REPLAY STEP: {}", step.encode());

      Await.until("the replayed record consumed", Duration.ofSeconds(30),
          () -> RecordingSinkConnector.received(name).contains(POISON));
      List<ConsumerRecord<byte[], byte[]>> copies = records(topic).stream()
          .filter(r -> POISON.equals(new String(r.value(), StandardCharsets.UTF_8))).toList();
      assertThat(copies).as("the original and exactly one replayed copy").hasSize(2);
      assertThat(header(copies.get(1), "runbookd.dlq.replayed")).isEqualTo(replayId);
      assertThat(copies.get(1).headers().toArray()).noneMatch(h -> h.key().startsWith("__connect.errors."));
      assertThat(copies.get(1).key()).isEqualTo("k2".getBytes(StandardCharsets.UTF_8));
      assertThat(RecordingSinkConnector.received(name).stream().filter(POISON::equals)).hasSize(1);
      LOG.info("MEASURED dlq IT: {} ms", Duration.ofNanos(System.nanoTime() - t0).toMillis());
    } finally {
      connect.deleteConnector(name);
    }
  }

  static String header(ConsumerRecord<byte[], byte[]> r, String key) {
    var h = r.headers().lastHeader(key);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** Every record of {@code topic}, partition by partition, read to the end. */
  static List<ConsumerRecord<byte[], byte[]>> records(String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, ConnectWorker.get().bootstrapServers());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(5)).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      if (parts.isEmpty()) {
        throw new IllegalStateException("no topic " + topic);
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      return out;
    }
  }

  static List<String> notified(String path, String containing) {
    return notifiers.findAll(postRequestedFor(urlEqualTo(path)).withRequestBody(containing(containing))).stream()
        .map(r -> r.getBodyAsString()).toList();
  }

  static HttpResponse<String> send(Daemon d, String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(d.url() + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
