package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.model.Incident;
import io.runbookd.model.IncidentEvent;
import io.runbookd.model.IncidentState;
import io.runbookd.model.StepRun;
import io.runbookd.store.Store;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /api/v1/incidents} filters and pagination, and the step timeline of one incident. */
class IncidentsApiIT {
  @TempDir
  static Path tmp;

  private static Daemon daemon;
  private static final Instant T0 = Instant.parse("2026-11-01T03:00:00Z");

  @BeforeAll
  static void start() throws Exception {
    daemon = Daemon.start("rules: { paths: ['" + Daemon.shippedRules() + "'] }\n"
        + "connect_clusters:\n  prod: { url: 'http://127.0.0.1:9' }\n  staging: { url: 'http://127.0.0.1:9' }\n"
        + "notifiers:\n  owner: { url: 'http://127.0.0.1:9/o' }\n  oncall: { url: 'http://127.0.0.1:9/c' }\n"
        + "engine: { tick: 1h }\n", tmp);
    Store store = daemon.runbookd().store();
    for (int i = 0; i < 5; i++) {
      String cluster = i < 3 ? "prod" : "staging";
      String rule = i % 2 == 0 ? "connect-db-connection-refused" : "connect-auth-failure";
      Instant at = T0.plusSeconds(3600L * i);
      Incident inc = new Incident("inc-" + i, cluster, "conn-" + i, rule, IncidentState.OPEN, null, 0, "cause " + i, "trace " + i,
          at, at, null, null, null, null, null, null);
      store.openIncident(inc, List.of(), new IncidentEvent(at, "opened", "opened " + i));
      if (i == 0) {
        store.updateIncident(inc.withAttempts(1, at.plusSeconds(40)).closed("recovered", at.plusSeconds(40)), null);
        long step = store.startStep(new StepRun(0, "inc-0", 1, 0, "restart", "{\"includeTasks\":true}", at.plusSeconds(1),
            null, null, null, null, null)).orElseThrow().id();
        store.finishStep(step, at.plusSeconds(2), "ok", null, "{\"http_status\":202}");
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    daemon.close();
  }

  private static List<String> ids(JsonArray a) {
    return a.stream().map(o -> ((JsonObject) o).getString("id")).toList();
  }

  @Test
  void filtersCombineAndResultsAreNewestFirst() throws Exception {
    assertThat(ids(daemon.incidents(""))).containsExactly("inc-4", "inc-3", "inc-2", "inc-1", "inc-0");
    assertThat(ids(daemon.incidents("cluster=prod"))).containsExactly("inc-2", "inc-1", "inc-0");
    assertThat(ids(daemon.incidents("rule=connect-auth-failure"))).containsExactly("inc-3", "inc-1");
    assertThat(ids(daemon.incidents("state=closed"))).containsExactly("inc-0");
    assertThat(ids(daemon.incidents("state=open&cluster=prod"))).containsExactly("inc-2", "inc-1");
    assertThat(ids(daemon.incidents("connector=conn-3"))).containsExactly("inc-3");
    assertThat(ids(daemon.incidents("since=" + T0.plusSeconds(3 * 3600)))).containsExactly("inc-4", "inc-3");
  }

  @Test
  void paginationWithLimitAndOffset() throws Exception {
    assertThat(ids(daemon.incidents("limit=2"))).containsExactly("inc-4", "inc-3");
    assertThat(ids(daemon.incidents("limit=2&offset=2"))).containsExactly("inc-2", "inc-1");
    assertThat(ids(daemon.incidents("limit=2&offset=4"))).containsExactly("inc-0");
  }

  @Test
  void badQueriesGet400WithAReason() throws Exception {
    assertThat(daemon.get("/api/v1/incidents?limit=0").statusCode()).isEqualTo(400);
    assertThat(new JsonObject(daemon.get("/api/v1/incidents?since=yesterday").body()).getString("message"))
        .isEqualTo("since must be an RFC 3339 time, got \"yesterday\"");
    assertThat(new JsonObject(daemon.get("/api/v1/incidents?state=sleeping").body()).getString("message"))
        .isEqualTo("unknown state \"sleeping\"");
    assertThat(daemon.get("/api/v1/incidents/inc-missing").statusCode()).isEqualTo(404);
  }

  @Test
  void oneIncidentShowsItsStepsAndTimeline() throws Exception {
    JsonObject d = daemon.incident("inc-0");
    assertThat(d.getString("outcome")).isEqualTo("recovered");
    assertThat(d.getString("trace")).isEqualTo("trace 0");
    JsonObject step = d.getJsonArray("steps").getJsonObject(0);
    assertThat(step.getString("type")).isEqualTo("restart");
    assertThat(step.getString("outcome")).isEqualTo("ok");
    assertThat(step.getString("after")).isEqualTo("{\"http_status\":202}");
    assertThat(d.getJsonArray("timeline").getJsonObject(0).getString("message")).isEqualTo("opened 0");
  }
}
