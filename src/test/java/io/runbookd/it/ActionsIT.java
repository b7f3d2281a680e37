package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.testkit.Await;
import io.runbookd.testkit.ConnectWorker;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runbooks on demand against a real Connect worker: an operator asks runbookd to run the emergency
 * pause rule on a healthy connector no alert named; the connector is paused by runbookd and the incident
 * records who asked and why. A second request while that incident is open is refused (409), and bad
 * requests get a clear 400. A pause or a stop asked for is verified as such: the incident closes once
 * Connect shows the connector PAUSED / STOPPED, instead of escalating because it is not RUNNING.
 */
class ActionsIT {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String ALICE = "OPERATOR-TOKEN-ALICE";

  @TempDir
  Path tmp;

  @Test
  void anOperatorPausesAHealthyConnectorThroughTheRuleAndTheIncidentRecordsWhoAsked() throws Exception {
    ConnectWorker connect = ConnectWorker.get();
    String name = "orders-on-demand-sink";
    String other = "billing-on-demand-sink";
    connect.createFlakyConnector(name, name);
    connect.awaitRunning(name, Duration.ofSeconds(60));
    String rules = """
        rules:
          - name: emergency-pause
            description: pause the connector at once (asked for by an operator)
            match:
              alert: ['alertname="RunbookdEmergencyPauseIsAskedForNotAlerted"']
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            retry: { max_attempts: 1 }
            verify: { within: 2m, stable_for: 30s, state: PAUSED }
            steps:
              - pause: {}
        """;
    String yaml = "server:\n  listen: 127.0.0.1:0\n  auth:\n"
        + "    operators:\n      - { name: alice, bearer_token: " + ALICE + " }\n"
        + "store: { data_dir: '" + tmp.resolve("data") + "' }\n"
        + "rules: { paths: ['" + Daemon.rulesDir(tmp, "10-pause.yaml", rules) + "'] }\n"
        + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "' }\n"
        + "engine: { tick: 200ms, poll_interval: 500ms }\n";
    try (Daemon d = Daemon.startWith(yaml)) {
      String body = "{\"cluster\":\"local\",\"connector\":\"" + name + "\",\"rule\":\"emergency-pause\","
          + "\"comment\":\"downstream DB is overloaded\"}";
      assertThat(post(d, body, null).statusCode()).isEqualTo(401);

      HttpResponse<String> accepted = post(d, body, ALICE);
      assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
      JsonObject answer = new JsonObject(accepted.body());
      String id = answer.getString("incident_id");
      assertThat(id).startsWith("inc-");
      assertThat(answer.getString("requested_by")).isEqualTo("alice");

      connect.awaitStatus(name, "connector PAUSED by runbookd", Duration.ofSeconds(60),
          s -> "PAUSED".equals(s.connector().state()));

      JsonObject detail = Await.value("the pause step recorded", Duration.ofSeconds(30), () -> {
        JsonObject inc = get(d, "/api/v1/incidents/" + id);
        JsonArray steps = inc.getJsonArray("steps");
        return steps.stream().map(s -> (JsonObject) s)
            .anyMatch(s -> "pause".equals(s.getString("type")) && "ok".equals(s.getString("outcome")))
            ? Optional.of(inc) : Optional.empty();
      });
      assertThat(detail.getString("rule")).isEqualTo("emergency-pause");
      assertThat(detail.getString("cause")).isEqualTo("operator action by alice: downstream DB is overloaded");
      JsonObject opened = detail.getJsonArray("timeline").stream().map(e -> (JsonObject) e)
          .filter(e -> "opened".equals(e.getString("kind"))).findFirst().orElseThrow();
      assertThat(opened.getString("message")).startsWith("requested by alice via POST /api/v1/actions: run rule"
          + " emergency-pause (").endsWith("): downstream DB is overloaded");

      // The connector has an open incident: a second request does nothing.
      HttpResponse<String> again = post(d, body, ALICE);
      assertThat(again.statusCode()).isEqualTo(409);
      assertThat(new JsonObject(again.body()).getString("message")).contains(id);

      assertThat(error(post(d, "{\"cluster\":\"local\",\"connector\":\"x\",\"rule\":\"no-such-rule\"}", ALICE)))
          .startsWith("unknown rule \"no-such-rule\" (loaded: emergency-pause)");
      assertThat(error(post(d, "{\"cluster\":\"elsewhere\",\"connector\":\"x\",\"rule\":\"emergency-pause\"}", ALICE)))
          .isEqualTo("unknown cluster \"elsewhere\" (configured: local)");
      assertThat(error(post(d, "{\"cluster\":\"local\",\"connector\":\"x\"}", ALICE))).startsWith("\"rule\" is required");
      assertThat(error(post(d, "{\"cluster\":\"local\",\"connector\":\"x\",\"rule\":\"emergency-pause\",\"force\":1}",
          ALICE))).startsWith("unknown field \"force\"");
      assertThat(error(post(d, "{\"cluster\":\"local\",\"connector\":\"x\",\"step\":{\"explode\":{}}}", ALICE)))
          .isEqualTo("unknown step \"explode\" (single steps on demand: pause, resume, stop, restart, dlq_replay; anything else:"
              + " name a rule)");
      assertThat(get(d, "/api/v1/incidents?connector=x").getJsonArray("incidents")).isEmpty();

      // A single step without a rule: the built-in one-step rule operator.pause, same guards and record.
      connect.createFlakyConnector(other, other);
      connect.awaitRunning(other, Duration.ofSeconds(60));
      HttpResponse<String> step = post(d, "{\"cluster\":\"local\",\"connector\":\"" + other + "\","
          + "\"step\":{\"pause\":{}},\"comment\":\"drain first\"}", ALICE);
      assertThat(step.statusCode()).as(step.body()).isEqualTo(202);
      JsonObject stepAnswer = new JsonObject(step.body());
      assertThat(stepAnswer.getString("rule")).isEqualTo("operator.pause");
      connect.awaitStatus(other, "connector PAUSED by a single step", Duration.ofSeconds(60),
          s -> "PAUSED".equals(s.connector().state()));
      JsonObject stepped = get(d, "/api/v1/incidents/" + stepAnswer.getString("incident_id"));
      assertThat(stepped.getString("rule")).isEqualTo("operator.pause");
      assertThat(stepped.getJsonArray("timeline").getJsonObject(0).getString("message")).isEqualTo(
          "requested by alice via POST /api/v1/actions: run step pause (built-in rule operator.pause): drain first");

      // The pause was asked for: once Connect shows the connector and its tasks PAUSED for 10s, the incident
      // closes verified; a deliberate pause is not a failed fix, so nothing escalates.
      JsonObject pausedClosed = awaitClosed(d, stepAnswer.getString("incident_id"));
      assertThat(pausedClosed.getString("outcome")).isEqualTo("recovered");
      assertThat(closingMessage(pausedClosed)).isEqualTo(
          "verified (connector PAUSED as requested, held for 10s) after attempt 1");
      assertThat(kinds(pausedClosed)).doesNotContain("verify_failed", "escalated", "gave_up");
      assertThat(connect.status(other).connector().state()).isEqualTo("PAUSED");

      // Stopping it next: a stopped connector has no tasks (KIP-875); the incident closes once Connect says so.
      HttpResponse<String> stop = post(d, "{\"cluster\":\"local\",\"connector\":\"" + other + "\","
          + "\"step\":{\"stop\":{}},\"comment\":\"hold it for the migration\"}", ALICE);
      assertThat(stop.statusCode()).as(stop.body()).isEqualTo(202);
      JsonObject stopAnswer = new JsonObject(stop.body());
      assertThat(stopAnswer.getString("rule")).isEqualTo("operator.stop");
      JsonObject stoppedClosed = awaitClosed(d, stopAnswer.getString("incident_id"));
      assertThat(stoppedClosed.getString("outcome")).isEqualTo("recovered");
      assertThat(closingMessage(stoppedClosed)).isEqualTo(
          "verified (connector STOPPED as requested, held for 10s) after attempt 1");
      assertThat(kinds(stoppedClosed)).doesNotContain("verify_failed", "escalated", "gave_up");
      assertThat(connect.status(other).connector().state()).isEqualTo("STOPPED");
      assertThat(connect.status(other).tasks()).isEmpty();

      // The rule file's emergency pause verifies PAUSED too (verify.state): it closes, not escalates.
      JsonObject ruleClosed = awaitClosed(d, id);
      assertThat(ruleClosed.getString("outcome")).isEqualTo("recovered");
      assertThat(closingMessage(ruleClosed)).isEqualTo(
          "verified (connector PAUSED as requested, held for 30s) after attempt 1");
    } finally {
      connect.deleteConnector(name);
      if (connect.findStatus(other).isPresent()) {
        connect.deleteConnector(other);
      }
    }
  }

  /**
   * The emergency pause of a whole pipeline: an operator names the pipeline, not its connectors; runbookd
   * pauses them source first and later resumes them sink first (the runbook's order), in one incident on
   * the pipeline's first connector whose step record lists the order it acted in.
   */
  @Test
  void anOperatorPausesAndResumesAPipelineSourceFirstThenSinkFirst() throws Exception {
    ConnectWorker connect = ConnectWorker.get();
    String source = "pipe-orders-source";
    String sink = "pipe-orders-sink";
    for (String c : new String[] {source, sink}) {
      connect.createFlakyConnector(c, c);
      connect.awaitRunning(c, Duration.ofSeconds(60));
    }
    String yaml = "server:\n  listen: 127.0.0.1:0\n  auth:\n"
        + "    operators:\n      - { name: alice, bearer_token: " + ALICE + " }\n"
        + "store: { data_dir: '" + tmp.resolve("data") + "' }\n"
        + "rules: { paths: ['" + Daemon.rulesDir(tmp, "10-none.yaml", "rules: []\n") + "'] }\n"
        + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "' }\n"
        + "pipelines:\n  orders: [" + source + ", " + sink + "]\n"
        + "engine: { tick: 200ms, poll_interval: 500ms }\n";
    try (Daemon d = Daemon.startWith(yaml)) {
      HttpResponse<String> paused = post(d, "{\"cluster\":\"local\",\"pipeline\":\"orders\",\"step\":{\"pause\":{}},"
          + "\"comment\":\"warehouse maintenance\"}", ALICE);
      assertThat(paused.statusCode()).as(paused.body()).isEqualTo(202);
      JsonObject answer = new JsonObject(paused.body());
      assertThat(answer.getString("rule")).isEqualTo("operator.pipeline.pause");
      assertThat(answer.getString("connector")).isEqualTo(source);
      assertThat(answer.getString("pipeline")).isEqualTo("orders");
      for (String c : new String[] {source, sink}) {
        connect.awaitStatus(c, c + " PAUSED with its pipeline", Duration.ofSeconds(60),
            st -> "PAUSED".equals(st.connector().state()));
      }
      JsonObject pauseClosed = awaitClosed(d, answer.getString("incident_id"));
      assertThat(pauseClosed.getString("outcome")).isEqualTo("recovered");
      assertThat(stepAfter(pauseClosed, "pause")).isEqualTo(new JsonObject()
          .put("pipeline", "orders").put("order", new JsonArray().add(source).add(sink))
          .put("done", new JsonArray().add(source).add(sink)));
      assertThat(pauseClosed.getJsonArray("timeline").getJsonObject(0).getString("message")).isEqualTo(
          "requested by alice via POST /api/v1/actions: on pipeline orders: " + source + " → " + sink
              + ": run step pause (built-in rule operator.pipeline.pause): warehouse maintenance");

      HttpResponse<String> resumed = post(d, "{\"cluster\":\"local\",\"pipeline\":\"orders\",\"step\":{\"resume\":{}}}",
          ALICE);
      assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(202);
      for (String c : new String[] {source, sink}) {
        connect.awaitRunning(c, Duration.ofSeconds(60));
      }
      JsonObject resumeClosed = awaitClosed(d, new JsonObject(resumed.body()).getString("incident_id"));
      assertThat(resumeClosed.getString("outcome")).isEqualTo("recovered");
      assertThat(stepAfter(resumeClosed, "resume").getJsonArray("order")).containsExactly(sink, source);

      assertThat(error(post(d, "{\"cluster\":\"local\",\"pipeline\":\"nope\",\"step\":{\"pause\":{}}}", ALICE)))
          .isEqualTo("unknown pipeline \"nope\" (configured: orders)");
      assertThat(error(post(d, "{\"cluster\":\"local\",\"pipeline\":\"orders\",\"step\":{\"restart\":{}}}", ALICE)))
          .isEqualTo("unknown step \"restart\" for a pipeline (on a pipeline: pause, resume, stop; anything else: name a"
              + " rule)");
    } finally {
      connect.deleteConnector(source);
      connect.deleteConnector(sink);
    }
  }

  private static JsonObject stepAfter(JsonObject incident, String type) {
    return incident.getJsonArray("steps").stream().map(x -> (JsonObject) x)
        .filter(x -> type.equals(x.getString("type"))).map(x -> new JsonObject(x.getString("after")))
        .findFirst().orElseThrow();
  }

  /** The incident once closed; verify.within is 5m, so well before it a verified close is the only way out. */
  private static JsonObject awaitClosed(Daemon d, String id) {
    return Await.value("incident " + id + " closed", Duration.ofSeconds(120), () -> {
      JsonObject inc = get(d, "/api/v1/incidents/" + id);
      return "closed".equals(inc.getString("state")) ? Optional.of(inc) : Optional.empty();
    });
  }

  private static String closingMessage(JsonObject incident) {
    return incident.getJsonArray("timeline").stream().map(e -> (JsonObject) e)
        .filter(e -> "closed".equals(e.getString("kind"))).map(e -> e.getString("message")).findFirst().orElseThrow();
  }

  private static java.util.List<String> kinds(JsonObject incident) {
    return incident.getJsonArray("timeline").stream().map(e -> ((JsonObject) e).getString("kind")).toList();
  }

  private static String error(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    return new JsonObject(r.body()).getString("message");
  }

  private static HttpResponse<String> post(Daemon d, String body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(d.url() + "/api/v1/actions"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject get(Daemon d, String path) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(d.url() + path))
        .header("Authorization", "Bearer " + ALICE).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }
}
