package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.ConnectWorker;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code log.format: json}: a daemon in its own JVM, as an operator runs it, heals a real Connect
 * connector whose failure trace has quotes, a newline and the Connect password in it. Every line it
 * writes, from start to stop, is one JSON object; the incident's lines carry the incident, rule,
 * cluster and connector as fields; the password is masked.
 */
class JsonLogIT {
  private static final Logger LOG = LoggerFactory.getLogger(JsonLogIT.class);
  private static final String SECRET = "JSON-LOG-SECRET-5150";

  @TempDir
  Path tmp;

  @Test
  void everyLineOfARemediationIsAJsonObjectWithTheIncidentAsFields() throws Exception {
    ConnectWorker connect = ConnectWorker.get();
    String name = "orders-pg-sink-json";
    Failures.set(name, "Connection to \"orders-db\":5432 refused (user runbookd, password " + SECRET + ").\n"
        + "Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.");
    connect.createFlakyConnector(name, name);
    connect.awaitTaskFailed(name, Duration.ofSeconds(30));
    Failures.clear(name);
    String yaml = "rules: { paths: ['" + Daemon.shippedRules() + "'], watch_interval: 0s }\n"
        + "store: { data_dir: '" + tmp.resolve("data") + "' }\n"
        + "connect_clusters:\n  local: { url: '" + connect.restUrl() + "', username: runbookd, password: " + SECRET + " }\n"
        + "notifiers:\n  owner: { type: webhook, url: 'http://127.0.0.1:9/owner' }\n"
        + "  oncall: { type: webhook, url: 'http://127.0.0.1:9/oncall' }\n"
        + "engine: { tick: 200ms, poll_interval: 500ms }\n"
        + "log: { format: json }\n";
    try (DaemonProcess daemon = new DaemonProcess(tmp, "", yaml)) {
      daemon.startAndAwaitReady();
      assertThat(daemon.postFiring(name)).isEqualTo(200);
      JsonObject closed = Await.value("the incident of " + name + " closed", Duration.ofSeconds(120), Duration.ofMillis(250),
          () -> {
            JsonArray found = new JsonObject(daemon.get("/api/v1/incidents?connector="
                + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8)).body()).getJsonArray("incidents");
            return found.isEmpty() || !"closed".equals(found.getJsonObject(0).getString("state"))
                ? Optional.empty() : Optional.of(found.getJsonObject(0));
          }, () -> null);
      assertThat(closed.getString("outcome")).isEqualTo("recovered");
      daemon.signal("TERM");
      assertThat(daemon.process().waitFor(60, TimeUnit.SECONDS)).as("runbookd stops on SIGTERM").isTrue();

      List<String> lines = daemon.lines();
      ObjectMapper mapper = new ObjectMapper();
      List<JsonNode> records = new ArrayList<>();
      for (String line : lines) {
        JsonNode json;
        try {
          json = mapper.readTree(line);
        } catch (Exception e) {
          throw new AssertionError("not a JSON line: " + line, e);
        }
        assertThat(json.isObject()).as(line).isTrue();
        records.add(json);
      }
      assertThat(lines).as("the password in the failure trace").noneMatch(l -> l.contains(SECRET));
      assertThat(records).allSatisfy(r -> {
        assertThat(r.path("timestamp").isNumber()).isTrue();
        assertThat(r.path("level").asText()).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
      });
      String id = closed.getString("id");
      List<Map<String, String>> incidentLines = records.stream().map(JsonLogIT::fields)
          .filter(f -> id.equals(f.get("incident"))).toList();
      assertThat(incidentLines).as("lines of incident %s", id).isNotEmpty().allSatisfy(f -> assertThat(f)
          .containsEntry("rule", "connect-db-connection-refused").containsEntry("cluster", "local")
          .containsEntry("connector", name));
      assertThat(incidentLines).anySatisfy(f -> assertThat(f).containsEntry("action", "restart").containsEntry("outcome", "ok"));
      JsonNode opened = records.stream().filter(r -> r.path("formattedMessage").asText().startsWith("incident opened"))
          .findFirst().orElseThrow(() -> new AssertionError("no 'incident opened' line in " + lines));
      assertThat(opened.path("formattedMessage").asText()).contains("<redacted>").contains("orders-db");
      assertThat(records).anySatisfy(r -> assertThat(r.path("formattedMessage").asText()).isEqualTo("runbookd stopped"));
      LOG.info("MEASURED json log: {} lines, {} of incident {}; e.g. {}", lines.size(), incidentLines.size(), id,
          lines.stream().filter(l -> l.contains("\"action\"")).findFirst().orElse(""));
    } finally {
      connect.deleteConnector(name);
    }
  }

  /** The kvpList of a record ({@code [{"incident":"..."}, {"rule":"..."}, ...]}) as a map. */
  private static Map<String, String> fields(JsonNode record) {
    Map<String, String> out = new LinkedHashMap<>();
    record.path("kvpList").forEach(kv -> kv.fields().forEachRemaining(f -> out.put(f.getKey(), f.getValue().asText())));
    return out;
  }
}
