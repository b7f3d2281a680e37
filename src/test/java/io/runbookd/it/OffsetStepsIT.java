package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.ConnectWorker;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data-repair steps against a real Connect 4.1 worker and broker: {@code reset_offsets} on a
 * FileStreamSource (offsets {@code {"filename"}}/{@code {"position"}}) and on a FileStreamSink (its consumer
 * group read back with an AdminClient), each approved by a human through the API after reading the plan in
 * the approval request, then undone with {@code to: saved}; {@code recreate}, after which the incident follows
 * {@code name.1}; {@code revert_config} after a {@code patch_config}.
 */
class OffsetStepsIT {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String RULES = """
      rules:
        - name: source-reset-then-undo
          description: reset a source's offsets, then (second approval) put the saved ones back
          match: { alert: ['alertname="NeverFiredOffsetsIT"'] }
          target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
          retry: { max_attempts: 1 }
          verify: { within: 1m, stable_for: 2s }
          approval: { ttl: 10m, notify: approver }
          steps:
            - reset_offsets: { resume: false }
            - approve: {}
            - reset_offsets: { to: saved }
          escalation: [ { after: 30m, notify: approver } ]
        - name: sink-rewind-then-undo
          description: rewind a sink to offset 3, then (second approval) put the saved offsets back
          match: { alert: ['alertname="NeverFiredOffsetsIT"'] }
          target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
          retry: { max_attempts: 1 }
          verify: { within: 1m, stable_for: 2s }
          approval: { ttl: 10m, notify: approver }
          steps:
            - reset_offsets: { to: { offset: 3 }, resume: false }
            - approve: {}
            - reset_offsets: { to: saved }
          escalation: [ { after: 30m, notify: approver } ]
        - name: recreate-it
          description: recreate the connector under name.N
          match: { alert: ['alertname="NeverFiredOffsetsIT"'] }
          target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
          retry: { max_attempts: 1 }
          verify: { within: 1m, stable_for: 2s }
          approval: { required: never }
          steps:
            - recreate: {}
          escalation: [ { after: 30m, notify: approver } ]
        - name: patch-then-revert
          description: patch two keys, then revert them
          match: { alert: ['alertname="NeverFiredOffsetsIT"'] }
          target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
          retry: { max_attempts: 1 }
          verify: { within: 1m, stable_for: 2s }
          approval: { required: never }
          steps:
            - patch_config: { set: { batch.size: '7', runbookd.it.marker: patched } }
            - wait: 1s
            - revert_config: {}
          escalation: [ { after: 30m, notify: approver } ]
      """;

  @TempDir
  static Path tmp;
  static ConnectWorker connect;
  static WireMockServer notifiers;
  static Daemon daemon;
  static Admin admin;

  @BeforeAll
  static void start() throws Exception {
    connect = ConnectWorker.get();
    notifiers = new WireMockServer(options().dynamicPort());
    notifiers.start();
    notifiers.stubFor(post(urlPathMatching("/.*")).willReturn(aResponse().withStatus(200)));
    String yaml = "rules: { paths: ['" + Daemon.rulesDir(tmp, "10-offsets.yaml", RULES) + "'] }\n"
        + "kafka_clusters:\n  local-kafka: { bootstrap_servers: '" + connect.bootstrapServers() + "' }\n"
        + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "', kafka: local-kafka }\n"
        + "notifiers:\n  approver: { type: webhook, url: 'http://127.0.0.1:" + notifiers.port() + "/approver' }\n"
        + "engine: { tick: 200ms, poll_interval: 500ms }\n";
    daemon = Daemon.start(yaml, tmp.resolve("data"));
    admin = Admin.create(Map.of("bootstrap.servers", connect.bootstrapServers()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (notifiers != null) {
      notifiers.stop();
    }
  }

  @Test
  void aSourceIsResetAfterApprovalAndTheSavedOffsetsComeBackWithoutARecordSentTwice() throws Exception {
    String name = "offsets-it-file-source";
    String topic = name + "-topic";
    Path file = Files.writeString(tmp.resolve("source-in.txt"), "a1\nb2\nc3\nd4\ne5\n");
    long size = Files.size(file);
    connect.cluster().kafka().createTopic(topic, 1);
    connect.cluster().configureConnector(name, Map.of("connector.class",
        "org.apache.kafka.connect.file.FileStreamSourceConnector", "tasks.max", "1", "file", file.toString(),
        "topic", topic));
    try {
      connect.awaitRunning(name, Duration.ofSeconds(30));
      Await.until("the source committed position " + size, Duration.ofSeconds(30),
          () -> sourcePosition(name).equals(Optional.of(size)));
      long t0 = System.nanoTime();
      String id = requestRule(name, "source-reset-then-undo");

      String request = approvalRequest(id, 1);
      System.out.println("APPROVAL REQUEST (source):\n" + request);
      assertThat(request).contains("stop " + name + ", reset (DELETE) its offsets, and leave it STOPPED:")
          .contains("{\"filename\":\"" + file + "\"}: {\"position\":" + size + "} → reset");
      approve(id);

      // The plan said "reset": Connect now has no offsets for it, and it stays STOPPED (resume: false).
      JsonObject reset = awaitStep(id, 0);
      assertThat(offsets(name)).isEmpty();
      assertThat(connect.status(name).connector().state()).isEqualTo("STOPPED");
      JsonObject saved = new JsonObject(reset.getString("before"));
      assertThat(saved.getString("state")).isEqualTo("RUNNING");
      assertThat(saved.getJsonArray("offsets").getJsonObject(0).getJsonObject("offset").getLong("position")).isEqualTo(size);
      assertThat(new JsonObject(reset.getString("after")).getJsonArray("offsets")).isEmpty();

      String undo = approvalRequest(id, 2);
      System.out.println("APPROVAL REQUEST (source, undo):\n" + undo);
      assertThat(undo).contains("alter (PATCH) its offsets, then resume it:")
          .contains("{\"filename\":\"" + file + "\"}: none → {\"position\":" + size + "}");
      approve(id);
      awaitStep(id, 2);
      connect.awaitRunning(name, Duration.ofSeconds(30));
      assertThat(sourcePosition(name)).contains(size);
      JsonObject closed = awaitClosed(id);
      assertThat(closed.getString("outcome")).isEqualTo("recovered");
      // It went on from the saved position: the five lines are in the topic once each.
      assertThat(endOffset(topic)).isEqualTo(5);
      System.out.println("MEASURED offsets-it source reset+undo incident took_ms=" + (System.nanoTime() - t0) / 1_000_000);
    } finally {
      connect.deleteConnector(name);
    }
  }

  @Test
  void aSinkIsRewoundToThePlannedOffsetsThenPutBack() throws Exception {
    String name = "offsets-it-file-sink";
    String topic = name + "-topic";
    connect.cluster().kafka().createTopic(topic, 1);
    for (int i = 0; i < 10; i++) {
      connect.cluster().kafka().produce(topic, "k" + i, "v" + i);
    }
    connect.cluster().configureConnector(name, Map.of("connector.class",
        "org.apache.kafka.connect.file.FileStreamSinkConnector", "tasks.max", "1",
        "file", tmp.resolve("sink-out.txt").toString(), "topics", topic));
    try {
      connect.awaitRunning(name, Duration.ofSeconds(30));
      Await.until("the sink committed offset 10", Duration.ofSeconds(30),
          () -> committed("connect-" + name, topic).equals(Optional.of(10L)));
      long t0 = System.nanoTime();
      String id = requestRule(name, "sink-rewind-then-undo");

      String request = approvalRequest(id, 1);
      System.out.println("APPROVAL REQUEST (sink):\n" + request);
      assertThat(request).contains("stop " + name + ", alter (PATCH) its offsets, and leave it STOPPED:")
          .contains(topic + "-0: 10 → 3 (replays 7 records)");
      approve(id);

      JsonObject rewind = awaitStep(id, 0);
      assertThat(committed("connect-" + name, topic)).as("what the approver was shown").contains(3L);
      assertThat(new JsonObject(rewind.getString("before")).getJsonArray("offsets").getJsonObject(0)
          .getJsonObject("offset").getLong("kafka_offset")).isEqualTo(10L);

      String undo = approvalRequest(id, 2);
      assertThat(undo).contains(topic + "-0: 3 → 10 (skips 7 records)");
      approve(id);
      awaitStep(id, 2);
      connect.awaitRunning(name, Duration.ofSeconds(30));
      assertThat(committed("connect-" + name, topic)).contains(10L);
      assertThat(awaitClosed(id).getString("outcome")).isEqualTo("recovered");
      System.out.println("MEASURED offsets-it sink rewind+undo incident took_ms=" + (System.nanoTime() - t0) / 1_000_000);
    } finally {
      connect.deleteConnector(name);
    }
  }

  @Test
  void recreateLeavesTheConnectorRunningUnderNameDot1AndTheIncidentFollowsIt() throws Exception {
    String name = "offsets-it-recreate";
    Path file = Files.writeString(tmp.resolve("recreate-in.txt"), "x\n");
    Map<String, String> config = Map.of("connector.class", "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "tasks.max", "1", "file", file.toString(), "topic", name + "-topic", "batch.size", "50");
    connect.cluster().configureConnector(name, config);
    try {
      connect.awaitRunning(name, Duration.ofSeconds(30));
      String id = requestRule(name, "recreate-it");
      JsonObject closed = awaitClosed(id);
      assertThat(closed.getString("connector")).isEqualTo(name + ".1");
      assertThat(closed.getString("outcome")).isEqualTo("recovered");
      assertThat(timelineMessages(closed)).anyMatch(m -> m.startsWith("connector recreated as " + name + ".1 (was "
          + name + ")"));
      JsonObject step = closed.getJsonArray("steps").getJsonObject(0);
      assertThat(new JsonObject(step.getString("after")).getMap()).containsEntry("old_name", name)
          .containsEntry("new_name", name + ".1");
      assertThat(connect.findStatus(name)).as("the old connector is gone").isEmpty();
      assertThat(connect.status(name + ".1").connector().state()).isEqualTo("RUNNING");
      Map<String, String> now = connect.cluster().connectorInfo(name + ".1").config();
      assertThat(now).containsAllEntriesOf(config).containsEntry("name", name + ".1");
      assertThat(daemon.incidents("connector=" + name + ".1")).extracting(o -> ((JsonObject) o).getString("id"))
          .contains(id);
    } finally {
      for (String n : List.of(name, name + ".1")) {
        if (connect.findStatus(n).isPresent()) {
          connect.deleteConnector(n);
        }
      }
    }
  }

  @Test
  void revertConfigPutsBackWhatPatchConfigChanged() throws Exception {
    String name = "offsets-it-revert";
    Path file = Files.writeString(tmp.resolve("revert-in.txt"), "x\n");
    connect.cluster().configureConnector(name, Map.of("connector.class",
        "org.apache.kafka.connect.file.FileStreamSourceConnector", "tasks.max", "1", "file", file.toString(),
        "topic", name + "-topic", "batch.size", "100"));
    try {
      connect.awaitRunning(name, Duration.ofSeconds(30));
      String id = requestRule(name, "patch-then-revert");
      JsonObject closed = awaitClosed(id);
      JsonArray steps = closed.getJsonArray("steps");
      JsonObject patch = steps.getJsonObject(0);
      assertThat(patch.getString("type")).isEqualTo("patch_config");
      assertThat(new JsonObject(patch.getString("after")).getMap()).containsEntry("batch.size", "7")
          .containsEntry("runbookd.it.marker", "patched");
      JsonObject revert = steps.stream().map(JsonObject.class::cast).filter(s -> "revert_config".equals(s.getString("type")))
          .findFirst().orElseThrow();
      assertThat(revert.getString("outcome")).isEqualTo("ok");
      assertThat(new JsonObject(revert.getString("after")).getMap()).containsEntry("batch.size", "100")
          .containsEntry("runbookd.it.marker", null);
      Map<String, String> now = connect.cluster().connectorInfo(name).config();
      assertThat(now).containsEntry("batch.size", "100").doesNotContainKey("runbookd.it.marker");
    } finally {
      connect.deleteConnector(name);
    }
  }

  // ---- helpers -----------------------------------------------------------------------------------

  private static String requestRule(String connector, String rule) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.url() + "/api/v1/actions"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
            "{\"cluster\":\"local\",\"connector\":\"" + connector + "\",\"rule\":\"" + rule + "\",\"comment\":\"IT\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return new JsonObject(r.body()).getString("incident_id");
  }

  /** The {@code n}th approval request the approver got for incident {@code id}. */
  private static String approvalRequest(String id, int n) {
    return Await.value("approval request " + n + " of " + id, Duration.ofSeconds(30), () -> {
      List<String> messages = notifiers.findAll(postRequestedFor(urlEqualTo("/approver"))).stream()
          .map(r -> new JsonObject(r.getBodyAsString()))
          .filter(b -> "approval".equals(b.getString("kind")) && id.equals(b.getString("incident_id")))
          .map(b -> b.getString("message")).toList();
      return messages.size() >= n ? Optional.of(messages.get(n - 1)) : Optional.empty();
    });
  }

  private static void approve(String id) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.url() + "/api/v1/incidents/" + id
        + "/approve")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"comment\":\"plan read\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 202);
  }

  /** The step record of step {@code index} once it ended ok. */
  private static JsonObject awaitStep(String id, int index) {
    JsonObject[] last = {null};
    return Await.value("step " + index + " of " + id + " done", Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      last[0] = daemon.incident(id);
      for (Object o : last[0].getJsonArray("steps")) {
        JsonObject s = (JsonObject) o;
        if (s.getInteger("index") == index && s.getString("outcome") != null) {
          assertThat(s.getString("outcome")).as(s.encode()).isEqualTo("ok");
          return Optional.of(s);
        }
      }
      return Optional.empty();
    }, () -> String.valueOf(last[0]));
  }

  private static JsonObject awaitClosed(String id) {
    JsonObject[] last = {null};
    return Await.value("incident " + id + " closed", Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      last[0] = daemon.incident(id);
      return "closed".equals(last[0].getString("state")) ? Optional.of(last[0]) : Optional.empty();
    }, () -> String.valueOf(last[0]));
  }

  private static List<String> timelineMessages(JsonObject incident) {
    return incident.getJsonArray("timeline").stream().map(e -> ((JsonObject) e).getString("message")).toList();
  }

  /** Connect's {@code GET /connectors/{name}/offsets} list. */
  private static JsonArray offsets(String name) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(connect.restUrl() + "/connectors/" + name
        + "/offsets")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getJsonArray("offsets");
  }

  private static Optional<Long> sourcePosition(String name) throws Exception {
    JsonArray o = offsets(name);
    return o.isEmpty() ? Optional.empty() : Optional.ofNullable(o.getJsonObject(0).getJsonObject("offset").getLong("position"));
  }

  private static Optional<Long> committed(String group, String topic) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> m = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
        .get(10, TimeUnit.SECONDS);
    OffsetAndMetadata om = m.get(new TopicPartition(topic, 0));
    return om == null ? Optional.empty() : Optional.of(om.offset());
  }

  private static long endOffset(String topic) throws Exception {
    TopicPartition tp = new TopicPartition(topic, 0);
    return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get(10, TimeUnit.SECONDS).get(tp).offset();
  }
}
