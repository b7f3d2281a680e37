package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.ConnectWorker;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of runbookd in the middle of {@code reset_offsets}: the connector is stopped, its offsets were
 * saved on the step record, and the {@code DELETE /offsets} call is in flight (held by a proxy in front of the
 * real worker). After a restart the incident's step record (API) still has the saved offsets, and Connect
 * still has them too: nothing is lost.
 */
class OffsetResetCrashIT {
  @TempDir
  Path tmp;

  @Test
  void theSavedOffsetsSurviveAKillInTheMiddleOfTheReset() throws Exception {
    ConnectWorker connect = ConnectWorker.get();
    String name = "offsets-crash-source";
    Path file = Files.writeString(tmp.resolve("in.txt"), "one\ntwo\nthree\n");
    long size = Files.size(file);
    connect.cluster().kafka().createTopic(name + "-topic", 1);
    connect.cluster().configureConnector(name, Map.of("connector.class",
        "org.apache.kafka.connect.file.FileStreamSourceConnector", "tasks.max", "1", "file", file.toString(),
        "topic", name + "-topic"));
    WireMockServer proxy = new WireMockServer(options().dynamicPort());
    proxy.start();
    DaemonProcess daemon = null;
    try {
      connect.awaitRunning(name, Duration.ofSeconds(30));
      Await.until("the source committed position " + size, Duration.ofSeconds(30),
          () -> position(connect.restUrl(), name).equals(Optional.of(size)));
      // Every call goes to the real worker, except the reset, which is held (and never reaches Connect).
      proxy.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().proxiedFrom(connect.restUrl())));
      String offsetsPath = "/connectors/" + name + "/offsets";
      StubMapping held = proxy.stubFor(delete(urlEqualTo(offsetsPath)).atPriority(1).willReturn(aResponse()
          .withStatus(200).withBody("{\"message\":\"held\"}").withFixedDelay(30_000)));

      Path rules = Files.createDirectories(tmp.resolve("rules"));
      Files.writeString(rules.resolve("10-reset.yaml"), """
          rules:
            - name: reset-source
              description: reset the source's offsets
              match: { alert: ['alertname="NeverFiredCrashIT"'] }
              target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
              retry: { max_attempts: 1 }
              approval: { required: never }
              steps:
                - reset_offsets: {}
              escalation: [ { after: 30m, notify: oncall } ]
          """);
      String yaml = "store: { data_dir: '" + tmp.resolve("data") + "' }\n"
          + "rules: { paths: ['" + rules + "'], watch_interval: 0s }\n"
          + "connect_clusters:\n  local: { url: 'http://127.0.0.1:" + proxy.port() + "' }\n"
          + "notifiers:\n  oncall: { type: webhook, url: 'http://127.0.0.1:9/oncall' }\n"
          + "engine: { tick: 200ms, poll_interval: 500ms }\n";
      daemon = new DaemonProcess(tmp, "", yaml);
      daemon.startAndAwaitReady();
      HttpResponse<String> accepted = DaemonProcess.HTTP.send(HttpRequest.newBuilder(URI.create(daemon.base()
          + "/api/v1/actions")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
              "{\"cluster\":\"local\",\"connector\":\"" + name + "\",\"rule\":\"reset-source\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
      String id = new JsonObject(accepted.body()).getString("incident_id");

      // The deterministic point: the reset request is in flight, so the connector was stopped and the offsets saved.
      Await.until("the DELETE of the offsets in flight", Duration.ofSeconds(30),
          () -> !proxy.findAll(deleteRequestedFor(urlEqualTo(offsetsPath))).isEmpty());
      assertThat(connect.status(name).connector().state()).isEqualTo("STOPPED");
      long t0 = System.nanoTime();
      daemon.kill();
      proxy.removeStub(held);

      daemon.startAndAwaitReady();
      System.out.println("MEASURED offsets-crash restart_ms=" + (System.nanoTime() - t0) / 1_000_000);
      JsonObject incident = incident(daemon, id);
      JsonObject step = step(incident);
      assertThat(step.getString("type")).isEqualTo("reset_offsets");
      JsonObject saved = new JsonObject(step.getString("before"));
      assertThat(saved.getString("state")).isEqualTo("RUNNING");
      JsonArray offsets = saved.getJsonArray("offsets");
      assertThat(offsets).hasSize(1);
      assertThat(offsets.getJsonObject(0).getJsonObject("partition").getString("filename")).isEqualTo(file.toString());
      assertThat(offsets.getJsonObject(0).getJsonObject("offset").getLong("position")).isEqualTo(size);
      // Connect never got the reset: its offsets are the saved ones.
      assertThat(position(connect.restUrl(), name)).contains(size);
      // The step is never started twice: one DELETE in all.
      assertThat(proxy.findAll(deleteRequestedFor(urlEqualTo(offsetsPath)))).hasSize(1);
    } finally {
      if (daemon != null) {
        daemon.close();
      }
      proxy.stop();
      connect.deleteConnector(name);
    }
  }

  private static JsonObject incident(DaemonProcess d, String id) throws Exception {
    HttpResponse<String> r = d.get("/api/v1/incidents/" + id);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  private static JsonObject step(JsonObject incident) {
    return incident.getJsonArray("steps").stream().map(JsonObject.class::cast)
        .filter(s -> "reset_offsets".equals(s.getString("type"))).findFirst().orElseThrow(
            () -> new AssertionError("no reset_offsets step in " + incident.encode()));
  }

  private static Optional<Long> position(String connectUrl, String name) throws Exception {
    HttpResponse<String> r = DaemonProcess.HTTP.send(HttpRequest.newBuilder(URI.create(connectUrl + "/connectors/"
        + name + "/offsets")).build(), HttpResponse.BodyHandlers.ofString());
    JsonArray o = new JsonObject(r.body()).getJsonArray("offsets");
    return o == null || o.isEmpty() ? Optional.empty()
        : Optional.ofNullable(o.getJsonObject(0).getJsonObject("offset").getLong("position"));
  }
}
