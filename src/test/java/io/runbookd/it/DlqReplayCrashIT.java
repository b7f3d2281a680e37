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
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A daemon killed with SIGKILL in the middle of a slow {@code dlq_replay} resumes it from its stored progress
 * when it starts again: every dead-letter record reaches its topic, and no more than one batch is produced
 * twice.
 */
class DlqReplayCrashIT {
  private static final Logger LOG = LoggerFactory.getLogger(DlqReplayCrashIT.class);
  private static final int RECORDS = 240;
  private static final int RATE = 20;

  @TempDir
  Path tmp;

  @Test
  void killedMidReplayTheReplayResumesAndNothingIsSentTwiceBeyondOneBatch() throws Exception {
    long t0 = System.nanoTime();
    ConnectWorker connect = ConnectWorker.get();
    String name = "crash-replay-sink";
    String topic = "crash-replay-orders";
    String dlq = name + "-dlq";
    connect.cluster().kafka().createTopic(topic, 1);
    connect.cluster().kafka().createTopic(dlq, 1);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, connect.bootstrapServers());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < RECORDS; i++) {
        ProducerRecord<String, String> r = new ProducerRecord<>(dlq, 0, "k" + i, "v" + i);
        r.headers().add("__connect.errors.topic", topic.getBytes(StandardCharsets.UTF_8));
        r.headers().add("__connect.errors.partition", "0".getBytes(StandardCharsets.UTF_8));
        r.headers().add("__connect.errors.offset", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
        r.headers().add("__connect.errors.exception.class.name",
            "org.apache.kafka.connect.errors.DataException".getBytes(StandardCharsets.UTF_8));
        producer.send(r);
      }
      producer.flush();
    }
    Map<String, String> c = new HashMap<>(DlqReplayIT.jsonSink(name, topic, "org.apache.kafka.connect.storage.StringConverter"));
    c.put("errors.tolerance", "all");
    c.put("errors.deadletterqueue.topic.name", dlq);
    c.put("errors.deadletterqueue.context.headers.enable", "true");
    connect.cluster().configureConnector(name, c);
    connect.awaitRunning(name, Duration.ofSeconds(60));

    WireMockServer owner = new WireMockServer(options().dynamicPort());
    owner.start();
    owner.stubFor(post(urlEqualTo("/owner")).willReturn(aResponse().withStatus(200)));
    Path rules = Files.createDirectories(tmp.resolve("rules"));
    Files.writeString(rules.resolve("10-replay.yaml"), """
        rules:
          - name: replay-data-errors
            description: replay the records that failed conversion, slowly
            match:
              alert: ['alertname="ReplayIsAskedForNotAlerted"']
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            retry: { max_attempts: 1 }
            verify: { within: 1m, stable_for: 2s }
            approval: { ttl: 10m, notify: owner }
            steps:
              - dlq_replay: { exception_class: org.apache.kafka.connect.errors.DataException, rate_per_second: %d }
        """.formatted(RATE));
    String yaml = "store: { data_dir: '" + tmp.resolve("data") + "' }\n"
        + "rules: { paths: ['" + rules + "'], watch_interval: 0s }\n"
        + "kafka_clusters:\n  local: { bootstrap_servers: '" + connect.bootstrapServers() + "' }\n"
        + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "', kafka: local }\n"
        + "notifiers:\n  owner: { type: webhook, url: 'http://127.0.0.1:" + owner.port() + "/owner' }\n"
        + "engine: { tick: 200ms, poll_interval: 250ms, lease: 3s }\n";
    try (DaemonProcess d = new DaemonProcess(tmp, "", yaml)) {
      d.startAndAwaitReady();
      HttpResponse<String> asked = DaemonProcess.HTTP.send(HttpRequest.newBuilder(URI.create(d.base() + "/api/v1/actions"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
              "{\"cluster\":\"local\",\"connector\":\"" + name + "\",\"rule\":\"replay-data-errors\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(asked.statusCode()).as(asked.body()).isEqualTo(202);
      String id = new JsonObject(asked.body()).getString("incident_id");
      String request = Await.value("the approval request with the preview", Duration.ofSeconds(30), () -> owner
          .findAll(postRequestedFor(urlEqualTo("/owner")).withRequestBody(containing(id))).stream()
          .map(r -> r.getBodyAsString()).filter(b -> b.contains("approval")).findFirst());
      String preview = new JsonObject(request).getString("message");
      LOG.info("PREVIEW:\n{}", preview);
      assertThat(preview).contains(RECORDS + " match the filter").contains(RECORDS + " to " + topic);
      assertThat(replayed(topic)).as("nothing replayed before the approval").isZero();
      HttpResponse<String> ok = DaemonProcess.HTTP.send(HttpRequest.newBuilder(URI.create(d.base()
              + "/api/v1/incidents/" + id + "/approve")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);

      Await.until("a third of the records replayed", Duration.ofSeconds(60), Duration.ofMillis(100),
          () -> replayed(topic) >= RECORDS / 3, () -> null);
      d.kill();
      long atKill = replayed(topic);
      LOG.info("MEASURED killed after {} of {} records were replayed", atKill, RECORDS);
      assertThat(atKill).as("killed mid-replay").isLessThan(RECORDS);

      d.startAndAwaitReady();
      JsonObject step = Await.value("the dlq_replay step done after the restart", Duration.ofSeconds(60), () -> {
        HttpResponse<String> r = d.get("/api/v1/incidents/" + id);
        return new JsonObject(r.body()).getJsonArray("steps").stream().map(s -> (JsonObject) s)
            .filter(s -> "dlq_replay".equals(s.getString("type")) && s.getString("outcome") != null).findFirst();
      });
      assertThat(step.getString("outcome")).as(step.encode()).isEqualTo("ok");
      LOG.info("DLQ_REPLAY STEP after the crash: {}", step.encode());
      JsonObject inc = new JsonObject(d.get("/api/v1/incidents/" + id).body());
      assertThat(inc.getJsonArray("timeline").stream().map(e -> ((JsonObject) e).getString("message")))
          .anyMatch(m -> m.contains("resumes from its stored progress"));

      Map<String, Integer> copies = new TreeMap<>();
      for (ConsumerRecord<byte[], byte[]> r : DlqReplayIT.records(topic)) {
        if (DlqReplayIT.header(r, "runbookd.dlq.replayed") != null) {
          copies.merge(new String(r.value(), StandardCharsets.UTF_8), 1, Integer::sum);
        }
      }
      assertThat(copies).as("every dead-letter record replayed").hasSize(RECORDS);
      int twice = copies.values().stream().mapToInt(n -> n - 1).sum();
      LOG.info("MEASURED records produced twice across the crash: {} (one batch is {})", twice, RATE);
      assertThat(twice).as("at most the last unacknowledged batch is sent again").isLessThanOrEqualTo(RATE);
      assertThat(copies.values()).allMatch(n -> n <= 2);
      LOG.info("MEASURED dlq crash IT: {} ms", Duration.ofNanos(System.nanoTime() - t0).toMillis());
    } finally {
      owner.stop();
      connect.deleteConnector(name);
    }
  }

  private static long replayed(String topic) {
    try {
      return DlqReplayIT.records(topic).stream().filter(r -> DlqReplayIT.header(r, "runbookd.dlq.replayed") != null)
          .count();
    } catch (RuntimeException e) {
      return 0;
    }
  }
}
