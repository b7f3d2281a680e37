package io.runbookd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.testkit.Await;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real alerting chain, headless: a Debezium JDBC sink writing into PostgreSQL loses its database, and
 * Prometheus (JMX exporter agent on the Connect worker, the shipped alert rules) → Alertmanager (the shipped
 * routes, bearer token from a file) → runbookd (embedded defaults, shipped rules) → Kafka Connect heal it,
 * with seconds instead of minutes for {@code scrape_interval}, {@code for} and {@code group_wait}.
 * Then every query of the Grafana dashboard runs against that Prometheus.
 */
class AlertingChainIT {
  private static final Logger LOG = LoggerFactory.getLogger(AlertingChainIT.class);
  private static final String RULE = "connect-db-connection-refused";

  @TempDir
  Path tmp;

  @Test
  void prometheusAlertmanagerAndRunbookdHealABrokenSinkAndTheDashboardShowsIt() throws Exception {
    try (AlertingChain chain = AlertingChain.start(new AlertingChain.Options(tmp, AlertingChain.Ports.free(),
        ChainFiles.Timings.FAST, LOG::info, pid -> {}))) {
      String name = "orders-e2e-" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
      try (OrdersPipeline pipeline = new OrdersPipeline(name, chain.connect().bootstrapServers(), 0, 200)) {
        chain.deploy(pipeline);
        AlertingChain.Heal heal = chain.breakAndHeal(pipeline, Duration.ofSeconds(90));
        heal.hops().forEach((hop, took) -> LOG.info("MEASURED {}: {} ms", hop, took.toMillis()));

        // The break was real: pgjdbc could not connect to the database's port.
        assertThat(heal.trace()).contains("Connection to 127.0.0.1:" + pipeline.database().port() + " refused")
            .contains("java.net.ConnectException: Connection refused");

        // runbookd opened the incident from Alertmanager's own webhook: the route's group key and receiver,
        // the fingerprint Alertmanager gave the alert, the labels Prometheus' rule produced.
        String fingerprint = heal.alertmanagerAlert().getString("fingerprint");
        List<AlertingChain.WebhookRecord> mine = heal.webhooks().stream()
            .filter(w -> name.equals(w.labels().getString("connector"))).toList();
        assertThat(mine).extracting(AlertingChain.WebhookRecord::status).containsSubsequence("firing", "resolved");
        assertThat(mine).allSatisfy(w -> {
          assertThat(w.receiver()).isEqualTo("runbookd");
          assertThat(w.fingerprint()).isEqualTo(fingerprint);
          assertThat(w.groupKey()).isEqualTo("{}/{alertname=~\"KafkaConnect(Task|Connector)Failure\"}:{alertname=\""
              + AlertingChain.ALERT + "\", connect_cluster=\"" + heal.connectCluster() + "\", connector=\"" + name + "\"}");
          assertThat(w.labels().getMap()).containsEntry("alertname", AlertingChain.ALERT).containsEntry("task", "0")
              .containsEntry("connect_cluster", heal.connectCluster()).containsEntry("severity", "warning")
              .doesNotContainKeys("instance", "job");
        });
        JsonObject incident = heal.incident();
        assertThat(incident.getString("rule")).isEqualTo(RULE);
        assertThat(incident.getString("cluster")).isEqualTo(heal.connectCluster());
        assertThat(incident.getInteger("attempts")).isEqualTo(1);
        assertThat(heal.firingWebhook()).isBefore(Instant.parse(incident.getString("opened_at")).plusMillis(1));

        // runbookd restarted it once; it is RUNNING and writes to PostgreSQL again.
        assertThat(incident.getJsonArray("steps").stream().map(s -> ((JsonObject) s).getString("type") + "=" + ((JsonObject) s).getString("outcome")))
            .containsExactly("restart=ok", "wait_for=ok");
        assertThat(ConnectJvm.running(chain.connect().status(name))).isTrue();
        long rowsAfterHeal = pipeline.rowsInDatabase();
        Await.value("new rows in PostgreSQL after the heal", Duration.ofSeconds(30), Duration.ofMillis(200),
            () -> pipeline.rowsInDatabase() > rowsAfterHeal ? java.util.Optional.of(true) : java.util.Optional.empty(),
            () -> rowsAfterHeal + " rows");

        // The resolved webhook reached the open incident, which closed once runbookd had verified the fix.
        List<String> timeline = incident.getJsonArray("timeline").stream().map(e -> ((JsonObject) e).getString("kind")).toList();
        assertThat(timeline).containsSubsequence("opened", "attempt", "alert_resolved", "closed");
        assertThat(heal.resolvedWebhook()).isBefore(heal.closed());
        assertThat(incident.getString("state")).isEqualTo("closed");
        assertThat(incident.getString("outcome")).isEqualTo("recovered");
        assertThat(incident.getJsonArray("escalations").stream().map(e -> (JsonObject) e))
            .allSatisfy(e -> assertThat(e.getString("fired_at")).isNull());

        // Alertmanager delivered both notifications, none failed.
        String amMetrics = chain.alertmanager().metrics();
        assertThat(sample(amMetrics, "alertmanager_notifications_total", "integration=\"webhook\"")).isGreaterThanOrEqualTo(2);
        assertThat(sample(amMetrics, "alertmanager_notifications_failed_total", "integration=\"webhook\"")).isZero();

        // runbookd's recovery metrics are in Prometheus.
        PrometheusProcess prom = chain.prometheus();
        assertThat(prom.value("runbookd_remediations_total{rule=\"" + RULE + "\",outcome=\"recovered\"}")).hasValue(1);
        assertThat(prom.value("runbookd_time_to_recover_seconds_count")).hasValue(1);
        assertThat(prom.value("runbookd_actions_total{rule=\"" + RULE + "\",action=\"restart\",outcome=\"ok\"}")).hasValue(1);
        assertThat(prom.value("runbookd_alerts_received_total{alertname=\"" + AlertingChain.ALERT + "\",status=\"resolved\"}")
            .orElse(0)).isGreaterThanOrEqualTo(1);
        assertThat(prom.value("runbookd_incidents_open{rule=\"" + RULE + "\"}")).hasValue(0);

        everyDashboardQueryReturnsData(chain, name);
      }
    }
  }

  private void everyDashboardQueryReturnsData(AlertingChain chain, String connector) throws Exception {
    PrometheusProcess prom = chain.prometheus();
    // A range query's last step can be up to a step before now: let a few scrapes follow the recovery's first one.
    Await.value("3 scrapes of runbookd's recovery in Prometheus", Duration.ofSeconds(30), Duration.ofMillis(200),
        // the series exists at 0 from the first scrape: count the 1 s steps (scrape_interval 1s) that show the recovery
        () -> prom.value("count_over_time((runbookd_remediations_total{outcome=\"recovered\"} > 0)[1m:1s])").orElse(0) >= 3
            ? java.util.Optional.of(true) : java.util.Optional.empty(), () -> "fewer");
    JsonObject dashboard = DashboardQueries.load();
    for (DashboardQueries.Variable v : DashboardQueries.variables(dashboard)) {
      JsonObject values = prom.labelValues(v.label(), v.selector());
      assertThat(values.getString("status")).as("variable %s", v.name()).isEqualTo("success");
      assertThat(values.getJsonArray("data")).as("variable %s", v.name()).contains("runbookd");
    }
    // Grafana's "All" for $job is the regex of the variable's values; the time range covers the whole run.
    Duration range = Duration.between(chain.startedAt(), Instant.now()).plusSeconds(30);
    DashboardQueries.Substitutions s = new DashboardQueries.Substitutions("(runbookd)", Duration.ofSeconds(4), range, Duration.ofSeconds(1));
    List<DashboardQueries.Outcome> outcomes = DashboardQueries.run(prom, DashboardQueries.queries(dashboard), s, chain.startedAt());
    LOG.info("dashboard queries:\n{}", outcomes.stream().map(Object::toString).collect(Collectors.joining("\n")));
    assertThat(outcomes).hasSizeGreaterThan(30);
    assertThat(outcomes).allSatisfy(o -> {
      assertThat(o.success()).as("%s parses and runs", o).isTrue();
      assertThat(o.result()).as("%s returns data", o).isNotEmpty();
      assertThat(o.hasNumber()).as("%s returns a number", o).isTrue();
    });

    // The first event of a labelled counter counts: a plain increase() would read 0 here.
    assertThat(instant(outcomes, "Remediations recovered", "A")).containsEntry(Map.of(), 1.0);
    assertThat(instant(outcomes, "Per rule: remediation outcomes (time range)", "A"))
        .containsEntry(Map.of("rule", RULE, "outcome", "recovered"), 1.0);
    assertThat(instant(outcomes, "Per rule: steps run (time range)", "A"))
        .containsEntry(Map.of("rule", RULE, "action", "restart", "outcome", "ok"), 1.0)
        .containsEntry(Map.of("rule", RULE, "action", "wait_for", "outcome", "ok"), 1.0);
    assertThat(instant(outcomes, "Open incidents", "A")).containsEntry(Map.of(), 0.0);
    String cluster = ChainFiles.connectCluster();
    Map<String, String> row = Map.of("connect_cluster", cluster, "connector", connector);
    String perConnector = "Per connector: failures and state now (Connect + alerts)";
    assertThat(instant(outcomes, perConnector, "A")).containsEntry(row, 1.0);
    assertThat(instant(outcomes, perConnector, "B")).containsEntry(row, 0.0);
    assertThat(instant(outcomes, perConnector, "C")).containsEntry(row, 1.0);
  }

  /** An instant query's result as labels → value. */
  private static Map<Map<String, String>, Double> instant(List<DashboardQueries.Outcome> outcomes, String panel, String refId) {
    DashboardQueries.Outcome o = outcomes.stream().filter(x -> x.query().panel().equals(panel) && x.query().refId().equals(refId))
        .findFirst().orElseThrow(() -> new AssertionError("no query " + refId + " in panel " + panel));
    JsonArray result = o.result();
    return result.stream().map(r -> (JsonObject) r).collect(Collectors.toMap(
        r -> r.getJsonObject("metric").getMap().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> (String) e.getValue())),
        r -> Double.parseDouble(r.getJsonArray("value").getString(1))));
  }

  /** The sum of the samples of {@code name} whose labels contain {@code label} in a text exposition. */
  private static double sample(String text, String name, String label) {
    return text.lines().filter(l -> l.startsWith(name + "{") && l.contains(label))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }
}
