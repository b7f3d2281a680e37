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
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code log.format: json}: a daemon in its own JVM, as an operator runs it, heals a real Connect
 * connector whose failure trace has quotes, a newline and the Connect password in it. Every line it
 * writes, from start to stop, is one flat JSON object with an ISO-8601 {@code @timestamp}, {@code level},
 * {@code logger}, {@code thread} and a non-empty {@code message}; the incident's lines carry the incident, rule,
 * cluster and connector as top-level fields, the step's attempt, step and took_ms as numbers; the password is
 * masked.
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
        assertThat(r.path("@timestamp").isTextual()).as("@timestamp of %s", r).isTrue();
        assertThat(OffsetDateTime.parse(r.path("@timestamp").asText())).as("ISO-8601 @timestamp of %s", r).isNotNull();
        assertThat(r.path("level").asText()).as("level of %s", r).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
        assertThat(r.path("logger").asText()).as("logger of %s", r).isNotBlank();
        assertThat(r.path("thread").asText()).as("thread of %s", r).isNotBlank();
        assertThat(r.path("message").asText()).as("message of %s", r).isNotBlank();
        assertThat(r.has("kvpList")).as("flat, no kvpList: %s", r).isFalse();
      });
      String id = closed.getString("id");
      List<JsonNode> incidentLines = records.stream().filter(r -> id.equals(r.path("incident").asText())).toList();
      assertThat(incidentLines).as("lines of incident %s", id).isNotEmpty().allSatisfy(r -> {
        assertThat(r.path("rule").asText()).isEqualTo("connect-db-connection-refused");
        assertThat(r.path("cluster").asText()).isEqualTo("local");
        assertThat(r.path("connector").asText()).isEqualTo(name);
      });
      JsonNode restart = incidentLines.stream().filter(r -> "restart".equals(r.path("action").asText())).findFirst()
          .orElseThrow(() -> new AssertionError("no restart step line in " + incidentLines));
      assertThat(restart.path("outcome").asText()).isEqualTo("ok");
      assertThat(restart.path("attempt").isIntegralNumber()).as("attempt is a number: %s", restart).isTrue();
      assertThat(restart.path("step").isIntegralNumber()).as("step is a number: %s", restart).isTrue();
      assertThat(restart.path("took_ms").isIntegralNumber()).as("took_ms is a number: %s", restart).isTrue();
      assertThat(restart.path("message").asText()).startsWith("step ").endsWith("(restart) done");
      JsonNode opened = records.stream().filter(r -> r.path("message").asText().startsWith("incident opened"))
          .findFirst().orElseThrow(() -> new AssertionError("no 'incident opened' line in " + lines));
      assertThat(opened.path("message").asText()).contains("<redacted>").contains("orders-db");
      assertThat(opened.path("incident").asText()).isEqualTo(id);
      assertThat(records).anySatisfy(r -> assertThat(r.path("message").asText()).isEqualTo("runbookd stopped"));
      LOG.info("MEASURED json log: {} lines, {} of incident {}", lines.size(), incidentLines.size(), id);
      // the line whole (a log call would cut its 256+ characters without a blank)
      System.out.println("MEASURED json line: "
          + lines.stream().filter(l -> l.contains("\"action\":\"restart\"")).findFirst().orElse(""));
    } finally {
      connect.deleteConnector(name);
    }
  }
}
