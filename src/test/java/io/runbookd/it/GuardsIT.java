package io.runbookd.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.runbookd.model.Storm;
import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guard rails end to end: runbookd in-process against a Connect cluster simulated by WireMock
 * ({@link SimulatedConnect}) and notifiers on another WireMock. Each test would fail if its guard were
 * removed.
 */
class GuardsIT {
  private static final Logger LOG = LoggerFactory.getLogger(GuardsIT.class);
  private static final String ALERT = "KafkaConnectTaskFailure";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  Path tmp;

  private SimulatedConnect connect;
  private WireMockServer notifiers;

  @BeforeEach
  void startWorld() {
    connect = new SimulatedConnect();
    notifiers = new WireMockServer(options().dynamicPort());
    notifiers.start();
    notifiers.stubFor(post(urlPathMatching("/.*")).willReturn(aResponse().withStatus(200)));
  }

  @AfterEach
  void stopWorld() {
    connect.close();
    notifiers.stop();
  }

  /** A rule for the simulated failure: {@code steps}, verify briefly, retry in an hour. */
  private static String rule(String extra, String steps) {
    return rule(extra, steps, "300ms");
  }

  private static String rule(String extra, String steps, String verifyWithin) {
    return """
        rules:
          - name: sim-refused
            match:
              alert: ['alertname="KafkaConnectTaskFailure"']
              trace: 'Connection refused'
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            retry: { max_attempts: 3, backoff: [0s, 1h] }
            verify: { within: %s, stable_for: 200ms }
        %s
            steps:
        %s
            escalation:
              - after: 10m
                notify: oncall
        """.formatted(verifyWithin, extra.isEmpty() ? "" : "    " + extra, steps.indent(6).stripTrailing());
  }

  private Daemon daemon(String rules, String guards) throws Exception {
    String yaml = "rules: { paths: ['" + Daemon.rulesDir(tmp, "10-sim.yaml", rules) + "'] }\n"
        + "connect_clusters:\n  sim: { url: '" + connect.url() + "' }\n"
        + "notifiers:\n"
        + "  oncall: { type: webhook, url: 'http://127.0.0.1:" + notifiers.port() + "/oncall' }\n"
        + "  storm: { type: webhook, url: 'http://127.0.0.1:" + notifiers.port() + "/storm' }\n"
        + "  approver: { type: webhook, url: 'http://127.0.0.1:" + notifiers.port() + "/approver' }\n"
        + "engine: { tick: 100ms, poll_interval: 100ms }\n"
        + guards;
    return Daemon.start(yaml, tmp.resolve("data"));
  }

  private static Map<String, String> labels(String connector) {
    return Map.of("alertname", ALERT, "connect_cluster", "sim", "connector", connector, "task", "0",
        "severity", "warning");
  }

  /** Posts one webhook with a firing alert for each connector. */
  private static void fire(Daemon d, List<String> connectors) throws Exception {
    AlertmanagerPayloads.Group g = AlertmanagerPayloads.group();
    Instant starts = Instant.now().minusSeconds(120);
    for (String c : connectors) {
      g.alert(AlertmanagerPayloads.Alert.firing(labels(c), starts));
    }
    assertThat(d.postAlerts(g.build()).statusCode()).isEqualTo(200);
  }

  private static List<String> names(String prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(String.format("%s-%03d", prefix, i));
    }
    return out;
  }

  /**
   * True when all {@code n} incidents have had their one attempt verified and wait, open, for a next
   * attempt at least 50 minutes away (the rule's backoff is 1 h).
   */
  private static boolean allWaitingAnHour(Daemon d, int n) throws Exception {
    JsonArray all = d.incidents("limit=1000");
    Instant farAway = Instant.now().plus(Duration.ofMinutes(50));
    return all.size() == n && all.stream().map(JsonObject.class::cast).allMatch(i -> "open".equals(i.getString("state"))
        && i.getInteger("attempts") == 1 && "remediate".equals(i.getString("next_action"))
        && i.getString("next_action_at") != null && Instant.parse(i.getString("next_action_at")).isAfter(farAway));
  }

  private List<LoggedRequest> notified(String path) {
    return notifiers.findAll(postRequestedFor(urlEqualTo(path)));
  }

  // ---- storm and blast radius -----------------------------------------------------------------

  @Test
  void aStormOf500FailingConnectorsPausesActionsSendsOneSummaryAndNeverExceedsTheActionCap() throws Exception {
    int connectors = 500;
    int maxActions = 60;
    Duration actionWindow = Duration.ofSeconds(2);
    String guards = "guards:\n  max_concurrent_remediations: 50\n  max_actions: " + maxActions + "\n  action_window: 2s\n"
        + "  recheck: 500ms\n  storm: { connectors: 100, window: 3s, notify: storm }\n";
    List<String> names = names("sink", connectors);
    try (Daemon d = daemon(rule("", "- restart: {}"), guards)) {
      Instant t0 = Instant.now();
      for (int b = 0; b < connectors; b += 50) {
        fire(d, names.subList(b, b + 50));
      }
      Instant posted = Instant.now();

      // Watch the storm while it lasts: when it started, and its last quiet-until (it ends there).
      Storm[] storm = new Storm[1];
      Await.until("the storm to start", Duration.ofSeconds(30), () -> {
        storm[0] = d.runbookd().store().currentStorm("sim").orElse(null);
        return storm[0] != null;
      });
      Instant stormStart = storm[0].startedAt();
      Instant[] stormEnd = {storm[0].quietUntil()};
      Await.until("the storm to end", Duration.ofSeconds(60), () -> {
        Optional<Storm> s = d.runbookd().store().currentStorm("sim");
        s.ifPresent(x -> stormEnd[0] = x.quietUntil());
        return s.isEmpty() || !s.get().activeAt(Instant.now());
      });
      int restartsDuringStorm = (int) connect.restarts().stream()
          .filter(r -> SimulatedConnect.at(r).isAfter(stormStart.plusSeconds(1)) && SimulatedConnect.at(r).isBefore(stormEnd[0]))
          .count();

      Await.until("every connector restarted", Duration.ofSeconds(90), () -> connect.restarts().size() >= connectors);
      Instant allRestarted = Instant.now();
      // Nothing more may come: wait until the engine has verified every restart and put each connector's
      // next attempt an hour away.
      Await.until("every connector's next attempt scheduled an hour away", Duration.ofSeconds(120), Duration.ofMillis(250),
          () -> allWaitingAnHour(d, connectors), () -> null);
      List<LoggedRequest> restarts = connect.restarts();

      int maxPerWindow = SimulatedConnect.maxInAnyWindow(restarts, actionWindow);
      assertThat(restarts).as("one restart per connector, never two").hasSize(connectors);
      assertThat(new HashSet<>(restarts.stream().map(SimulatedConnect::connector).toList())).hasSize(connectors);
      assertThat(maxPerWindow).as("restarts received by Connect within any %s", actionWindow).isLessThanOrEqualTo(maxActions);
      assertThat(restartsDuringStorm).as("restarts issued while the storm paused actions").isZero();

      List<LoggedRequest> summaries = notified("/storm");
      assertThat(summaries).as("exactly one storm summary").hasSize(1);
      JsonObject summary = new JsonObject(summaries.get(0).getBodyAsString());
      assertThat(summary.getString("kind")).isEqualTo("storm");
      assertThat(summary.getString("cluster")).isEqualTo("sim");
      assertThat(summary.getString("message")).contains("failure storm on Connect cluster sim")
          .containsPattern("\\d+ connectors failed within 3s \\(sink-\\d{3}, sink-\\d{3}");
      assertThat(notified("/oncall")).as("per-connector escalations").isEmpty();
      assertThat(d.metric("runbookd_storms_total", Map.of("cluster", "sim"))).contains(1.0);
      assertThat(d.metric("runbookd_guard_deferrals_total", Map.of("cluster", "sim", "reason", "storm"))).hasValueSatisfying(
          v -> assertThat(v).isPositive());
      assertThat(d.metric("runbookd_actions_total", Map.of("action", "restart"))).contains((double) connectors);
      JsonObject late = d.awaitIncident(names.get(connectors - 1), i -> i.getInteger("attempts") == 1, Duration.ofSeconds(5));
      assertThat(d.incident(late.getString("id")).getJsonArray("timeline").stream()
          .map(e -> ((JsonObject) e).getString("kind")).toList()).contains("storm_hold");

      long beforeStorm = restarts.stream().filter(r -> SimulatedConnect.at(r).isBefore(stormStart)).count();
      LOG.info("MEASURED storm test: {} failing connectors, alerts posted in {} ms; storm {} -> {} ({} ms);"
              + " actions issued: {} restarts ({} before the storm, {} during it, the rest after it; max {} in any {}"
              + " window, cap {}); summaries sent: {} (\"{}\"); first alert -> every connector restarted: {} ms",
          connectors, Duration.between(t0, posted).toMillis(), stormStart, stormEnd[0],
          Duration.between(stormStart, stormEnd[0]).toMillis(), restarts.size(), beforeStorm, restartsDuringStorm,
          maxPerWindow, actionWindow, maxActions, summaries.size(), summary.getString("message"),
          Duration.between(t0, allRestarted).toMillis());
    }
  }

  @Test
  void aStormHoldsPerConnectorEscalationsAndItsSummaryIsSentOnceAcrossARestart() throws Exception {
    String rules = rule("", "- restart: {}").replace("after: 10m", "after: 1s");
    String guards = "guards: { storm: { connectors: 3, window: 20s, notify: storm } }\n";
    String first;
    try (Daemon d = daemon(rules, guards)) {
      fire(d, names("pg", 3));
      Await.until("the storm summary", Duration.ofSeconds(15), () -> notified("/storm").size() == 1);
      first = notified("/storm").get(0).getBodyAsString();
      assertThat(new JsonObject(first).getString("message")).contains("3 connectors failed within 20s (pg-000, pg-001, pg-002;");
      String id = d.awaitIncident("pg-002", i -> true, Duration.ofSeconds(5)).getString("id");
      Await.until("the held escalation", Duration.ofSeconds(10), () -> timelineKinds(d, id).contains("escalation_held"));
      // Every connector's escalation has come due and been looked at: each one is held, none paged.
      for (String c : names("pg", 3)) {
        String other = d.awaitIncident(c, i -> true, Duration.ofSeconds(5)).getString("id");
        Await.until("the held escalation of " + c, Duration.ofSeconds(10), () -> timelineKinds(d, other).contains("escalation_held"));
      }
      assertThat(notified("/oncall")).as("per-connector pages during the storm").isEmpty();
      assertThat(d.metric("runbookd_storm_active", Map.of("cluster", "sim"))).contains(1.0);
    }
    try (Daemon again = daemon(rules, guards)) {
      fire(again, List.of("pg-003"));
      String late = again.awaitIncident("pg-003", i -> true, Duration.ofSeconds(10)).getString("id");
      // Its escalation (due 1 s after it opened) is held: the restarted engine has run well past the new
      // failure, its storm bookkeeping and its summary check.
      Await.until("the held escalation of pg-003", Duration.ofSeconds(10),
          () -> timelineKinds(again, late).contains("escalation_held"));
      assertThat(notified("/storm")).as("summaries after a restart and one more failure").hasSize(1);
      assertThat(again.runbookd().store().currentStorm("sim")).hasValueSatisfying(s -> {
        assertThat(s.connectors()).isEqualTo(4);
        assertThat(s.summarySentAt()).isNotNull();
      });
      assertThat(notified("/oncall")).isEmpty();
    }
  }

  @Test
  void noMoreRemediationsRunAtOnceOnAClusterThanItsLimit() throws Exception {
    // Connect keeps the tasks FAILED, so each attempt holds its slot for its whole 1.5 s verification.
    String guards = "guards: { max_concurrent_remediations: 2, max_actions: 100, recheck: 100ms }\n";
    try (Daemon d = daemon(rule("", "- restart: {}", "1500ms"), guards)) {
      fire(d, names("pg", 6));
      Await.until("six restarts", Duration.ofSeconds(30), () -> connect.restarts().size() >= 6);
      List<LoggedRequest> restarts = connect.restarts();
      assertThat(SimulatedConnect.maxInAnyWindow(restarts, Duration.ofMillis(1400)))
          .as("restarts within 1.4 s (a slot is held at least 1.5 s)").isLessThanOrEqualTo(2);
      assertThat(d.metric("runbookd_guard_deferrals_total", Map.of("cluster", "sim", "reason", "concurrency")))
          .hasValueSatisfying(v -> assertThat(v).isPositive());
    }
  }

  @Test
  void noMoreActionsReachAClusterWithinItsWindowThanItsLimit() throws Exception {
    String guards = "guards: { max_concurrent_remediations: 10, max_actions: 3, action_window: 3s }\n";
    try (Daemon d = daemon(rule("", "- restart: {}"), guards)) {
      Instant posted = Instant.now();
      fire(d, names("pg", 6));
      Await.until("six restarts", Duration.ofSeconds(30), () -> connect.restarts().size() >= 6);
      List<LoggedRequest> restarts = connect.restarts();
      assertThat(SimulatedConnect.maxInAnyWindow(restarts, Duration.ofSeconds(3))).isEqualTo(3);
      assertThat(Duration.between(SimulatedConnect.at(restarts.get(0)), SimulatedConnect.at(restarts.get(3))))
          .as("the 4th waits until the 1st left the window").isGreaterThanOrEqualTo(Duration.ofSeconds(3));
      JsonObject waited = d.awaitIncident(SimulatedConnect.connector(restarts.get(5)), i -> true, Duration.ofSeconds(5));
      assertThat(timeline(d, waited.getString("id"))).anySatisfy(e -> {
        assertThat(e.getString("kind")).isEqualTo("deferred");
        assertThat(e.getString("message")).contains("(guards.max_actions); next try at");
      });
      LOG.info("MEASURED action window: first alert -> 6th restart {} ms", Duration.between(posted,
          SimulatedConnect.at(restarts.get(5))).toMillis());
    }
  }

  @Test
  void nothingIsDoneWhileTheWorkerIsUnhealthyAndNoAttemptIsCounted() throws Exception {
    connect.health(503);
    String guards = "guards: { health_backoff: 1s }\n";
    try (Daemon d = daemon(rule("", "- restart: {}"), guards)) {
      fire(d, List.of("orders-sink"));
      JsonObject inc = d.awaitIncident("orders-sink", i -> true, Duration.ofSeconds(10));
      Await.until("a deferral for health", Duration.ofSeconds(10), () -> timelineKinds(d, inc.getString("id")).contains("deferred"));
      // The engine has tried again twice (health_backoff: 1s) and deferred again each time.
      Await.until("three deferrals for health", Duration.ofSeconds(15),
          () -> d.metric("runbookd_guard_deferrals_total", Map.of("cluster", "sim", "reason", "unhealthy")).orElse(0.0) >= 3);
      assertThat(connect.restarts()).as("no restart while GET /health answers 503").isEmpty();
      JsonObject waiting = d.incident(inc.getString("id"));
      assertThat(waiting.getInteger("attempts")).as("no attempt counted").isZero();
      assertThat(waiting.getString("state")).isEqualTo("open");
      assertThat(timeline(d, inc.getString("id"))).filteredOn(e -> e.getString("kind").equals("deferred"))
          .singleElement().satisfies(e -> assertThat(e.getString("message"))
              .startsWith("the Connect worker is not healthy (GET /health: GET /health failed: HTTP 503"));

      connect.health(200);
      Await.until("the restart once healthy", Duration.ofSeconds(10), () -> connect.restarts().size() == 1);
      assertThat(d.incident(inc.getString("id")).getInteger("attempts")).isEqualTo(1);
    }
  }

  // ---- shadow mode ----------------------------------------------------------------------------

  @Test
  void aDryRunRuleRecordsWhatItWouldDoAndDoesNothing() throws Exception {
    shadow(rule("dry_run: true", "- restart: {}"), "");
  }

  @Test
  void globalDryRunRecordsWhatItWouldDoAndDoesNothing() throws Exception {
    shadow(rule("", "- restart: {}"), "dry_run: true\n");
  }

  private void shadow(String rules, String config) throws Exception {
    try (Daemon d = daemon(rules, config)) {
      fire(d, List.of("orders-sink"));
      JsonObject inc = d.awaitIncident("orders-sink", i -> true, Duration.ofSeconds(10));
      Await.until("the shadow record", Duration.ofSeconds(10), () -> timelineKinds(d, inc.getString("id")).contains("shadow"));
      d.awaitLaterAlertProcessed();
      assertThat(connect.changes()).as("requests that change Connect").isEmpty();
      JsonObject detail = d.incident(inc.getString("id"));
      assertThat(detail.getJsonArray("steps")).singleElement().satisfies(s -> {
        assertThat(((JsonObject) s).getString("type")).isEqualTo("restart");
        assertThat(((JsonObject) s).getString("outcome")).isEqualTo("shadow");
      });
      assertThat(d.metric("runbookd_remediations_total", Map.of("rule", "sim-refused", "outcome", "shadow"))).contains(1.0);
      assertThat(d.metric("runbookd_actions_total", Map.of("action", "restart", "outcome", "shadow"))).contains(1.0);
    }
  }

  // ---- approvals ------------------------------------------------------------------------------

  private static final String DLQ_STEPS = """
      - patch_config: { set: { errors.tolerance: all }, validate: false }
      - restart: {}""";

  @Test
  void aDestructiveStepWaitsForApprovalAndRunsOnceApproved() throws Exception {
    try (Daemon d = daemon(rule("approval: { ttl: 1m, notify: approver }", DLQ_STEPS), "")) {
      fire(d, List.of("orders-sink"));
      JsonObject inc = d.awaitIncident("orders-sink", i -> "awaiting_approval".equals(i.getString("state")),
          Duration.ofSeconds(10));
      String id = inc.getString("id");
      Await.until("the approval request", Duration.ofSeconds(10), () -> notified("/approver").size() == 1);
      JsonObject request = new JsonObject(notified("/approver").get(0).getBodyAsString());
      assertThat(request.getString("kind")).isEqualTo("approval");
      assertThat(request.getString("incident_id")).isEqualTo(id);
      assertThat(request.getString("message"))
          .contains("incident " + id)
          .contains("Why: steps[0].patch_config is destructive (errors.tolerance: all can drop records)")
          .contains("1. steps[0] patch_config {\"set\":{\"errors.tolerance\":\"all\"},\"validate\":false}")
          .contains("2. steps[1] restart {\"includeTasks\":true,\"onlyFailed\":true}")
          .contains("POST /api/v1/incidents/" + id + "/approve")
          .contains("the rule's default applies: reject");
      d.awaitLaterAlertProcessed();
      assertThat(connect.changes()).as("nothing done before the approval").isEmpty();
      JsonObject pending = d.incident(id).getJsonArray("approvals").getJsonObject(0);
      assertThat(pending.getString("state")).isEqualTo("pending");
      assertThat(pending.getString("gate")).isEqualTo("before_steps");
      assertThat(pending.getJsonObject("plan").getJsonArray("steps").stream().map(x -> ((JsonObject) x).getString("type")))
          .containsExactly("patch_config", "restart");
      assertThat(d.metric("runbookd_remediations_total", Map.of("outcome", "awaiting_approval"))).contains(1.0);

      HttpResponse<String> ok = api(d, "/api/v1/incidents/" + id + "/approve", "{\"comment\": \"DLQ is ready\"}");
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(ok.body()).getString("decided_by")).isEqualTo("anonymous");
      Await.until("the patch and the restart", Duration.ofSeconds(10), () -> connect.changes().size() == 2);
      assertThat(connect.changes()).extracting(r -> r.getMethod().getName()).containsExactly("PATCH", "POST");

      JsonObject approved = d.incident(id).getJsonArray("approvals").getJsonObject(0);
      assertThat(approved.getString("state")).isEqualTo("approved");
      assertThat(approved.getString("decided_via")).isEqualTo("human");
      assertThat(approved.getString("decided_by")).isEqualTo("anonymous");
      assertThat(approved.getString("comment")).isEqualTo("DLQ is ready");
      assertThat(timelineKinds(d, id)).containsSubsequence("awaiting_approval", "approval_requested", "approved", "attempt");
      HttpResponse<String> again = api(d, "/api/v1/incidents/" + id + "/reject", "");
      assertThat(again.statusCode()).isEqualTo(409);
      assertThat(new JsonObject(again.body()).getString("message")).isEqualTo("incident " + id + " has no pending approval"
          + " (attempt 1 was approved by anonymous at " + approved.getString("decided_at") + ")");
    }
  }

  @Test
  void aRejectedAttemptDoesNothingAndLeavesTheIncidentToHumans() throws Exception {
    try (Daemon d = daemon(rule("approval: { required: always, notify: approver }", "- restart: {}"), "")) {
      fire(d, List.of("orders-sink"));
      String id = d.awaitIncident("orders-sink", i -> "awaiting_approval".equals(i.getString("state")),
          Duration.ofSeconds(10)).getString("id");

      assertThat(api(d, "/api/v1/incidents/" + id + "/reject", "{\"comment\": 7}").statusCode()).isEqualTo(400);
      assertThat(api(d, "/api/v1/incidents/" + id + "/reject", "{\"coment\": \"x\"}").statusCode()).isEqualTo(400);
      assertThat(api(d, "/api/v1/incidents/inc-nope/approve", "").statusCode()).isEqualTo(404);
      assertThat(api(d, "/api/v1/incidents/" + id + "/reject", "{\"comment\": \"DBA is on it\"}").statusCode())
          .isEqualTo(200);

      JsonObject rejected = d.awaitIncident("orders-sink", i -> "escalated".equals(i.getString("state")), Duration.ofSeconds(10));
      d.awaitLaterAlertProcessed();
      assertThat(connect.changes()).isEmpty();
      JsonObject detail = d.incident(rejected.getString("id"));
      assertThat(detail.getJsonArray("approvals").getJsonObject(0).getString("state")).isEqualTo("rejected");
      assertThat(detail.getJsonArray("escalations").getJsonObject(0).getString("cancelled_at"))
          .as("a human has it: the ladder is cancelled").isNotNull();
      assertThat(timeline(d, id)).anySatisfy(e -> assertThat(e.getString("message"))
          .isEqualTo("rejected by anonymous: DBA is on it; no further automatic action; pending escalations cancelled"
              + " (a human has it)"));
      assertThat(d.metric("runbookd_approvals_total", Map.of("decision", "rejected", "via", "human"))).contains(1.0);
      assertThat(api(d, "/api/v1/incidents/" + id + "/approve", "").statusCode()).isEqualTo(409);
    }
  }

  @Test
  void withoutADecisionTheTtlAppliesTheRuleDefault() throws Exception {
    String rules = rule("approval: { required: always, ttl: 1s, notify: approver }", "- restart: {}")
        .replace("sim-refused", "sim-reject-by-default")
        + """
          - name: sim-approve-by-default
            match:
              alert: ['alertname="KafkaConnectTaskFailure"', 'connector="billing-sink"']
              trace: 'Connection refused'
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            verify: { within: 300ms, stable_for: 200ms }
            steps:
              - restart: {}
              - approve: { ttl: 1s, default: approve, notify: approver }
              - restart_task: { task: 0 }
        """;
    // billing-sink must reach the second rule: the first one excludes it
    rules = rules.replace("alert: ['alertname=\"KafkaConnectTaskFailure\"']\n",
        "alert: ['alertname=\"KafkaConnectTaskFailure\"', 'connector!=\"billing-sink\"']\n");
    try (Daemon d = daemon(rules, "")) {
      fire(d, List.of("orders-sink", "billing-sink"));
      JsonObject rejected = d.awaitIncident("orders-sink", i -> "escalated".equals(i.getString("state")), Duration.ofSeconds(15));
      JsonObject approval = d.incident(rejected.getString("id")).getJsonArray("approvals").getJsonObject(0);
      assertThat(approval.getString("state")).isEqualTo("rejected");
      assertThat(approval.getString("decided_via")).isEqualTo("ttl");
      assertThat(approval.getString("default")).isEqualTo("reject");
      assertThat(d.incident(rejected.getString("id")).getJsonArray("escalations").getJsonObject(0).getString("cancelled_at"))
          .as("nobody answered: the ladder continues").isNull();

      Await.until("the task restart after the default approval", Duration.ofSeconds(15), () -> connect.changes().stream()
          .anyMatch(r -> r.getUrl().equals("/connectors/billing-sink/tasks/0/restart")));
      assertThat(connect.changes()).extracting(LoggedRequest::getUrl).containsExactly(
          "/connectors/billing-sink/restart?includeTasks=true&onlyFailed=true", "/connectors/billing-sink/tasks/0/restart");
      JsonObject billing = d.awaitIncident("billing-sink", i -> true, Duration.ofSeconds(5));
      JsonObject gate = d.incident(billing.getString("id")).getJsonArray("approvals").getJsonObject(0);
      assertThat(gate.getString("gate")).isEqualTo("steps[1]");
      assertThat(gate.getString("state")).isEqualTo("approved");
      assertThat(gate.getString("decided_via")).isEqualTo("ttl");
      assertThat(api(d, "/api/v1/incidents/" + rejected.getString("id") + "/approve", "").statusCode()).isEqualTo(409);
    }
  }

  private static HttpResponse<String> api(Daemon d, String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(d.url() + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static List<JsonObject> timeline(Daemon d, String id) throws Exception {
    JsonArray t = d.incident(id).getJsonArray("timeline");
    return t.stream().map(x -> (JsonObject) x).toList();
  }

  private static List<String> timelineKinds(Daemon d, String id) {
    try {
      return timeline(d, id).stream().map(e -> e.getString("kind")).toList();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
