package io.runbookd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.RuleEvaluator;
import io.runbookd.rules.RuleLoader;
import io.runbookd.rules.RuleSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The files users deploy with ({@code alertmanager/}) pass the checks of the tools that load them (Debian's
 * {@code amtool} and {@code promtool}), route where runbookd needs them, and agree with each other and with
 * runbookd.yaml; so do the working copies the end-to-end test and the demo generate from them.
 */
class AlertingFilesIT {
  private static final YAMLMapper YAML = new YAMLMapper();

  @TempDir
  Path tmp;

  @Test
  void amtoolAcceptsAlertmanagerYml() throws Exception {
    assertThat(run("amtool", "check-config", ChainFiles.ALERTMANAGER_YML.toString())).contains("SUCCESS");
  }

  @Test
  void promtoolAcceptsTheRulesAndTheirUnitTestsPass() throws Exception {
    assertThat(run("promtool", "check", "rules", ChainFiles.RULES_YML.toString())).contains("SUCCESS: 9 rules found");
    assertThat(run("promtool", "test", "rules", ChainFiles.SHIPPED.resolve("kafka-connect.rules.test.yml").toString()))
        .contains("SUCCESS");
    assertThat(run("promtool", "test", "rules",
        ChainFiles.SHIPPED.resolve("kafka-connect.live-state.rules.test.yml").toString())).contains("SUCCESS");
  }

  @Test
  void promtoolAcceptsRunbookdsOwnRuleAndItsUnitTestsPass() throws Exception {
    assertThat(run("promtool", "check", "rules", ChainFiles.SHIPPED.resolve("runbookd.rules.yml").toString()))
        .contains("SUCCESS: 1 rules found");
    assertThat(run("promtool", "test", "rules", ChainFiles.SHIPPED.resolve("runbookd.rules.test.yml").toString()))
        .contains("SUCCESS");
    assertThat(run("promtool", "check", "config", ChainFiles.PROMETHEUS_YML.toString()))
        .contains("SUCCESS: 2 rule files found").contains("runbookd.rules.yml");
  }

  @Test
  void promtoolAcceptsPrometheusYml() throws Exception {
    assertThat(run("promtool", "check", "config", ChainFiles.PROMETHEUS_YML.toString()))
        .contains("is valid prometheus config file syntax");
  }

  @ParameterizedTest(name = "{0} goes to {1}")
  @CsvSource(delimiter = '|', value = {
      "KafkaConnectTaskFailure      | runbookd",
      "KafkaConnectConnectorFailure | runbookd",
      "KafkaConnectWorkerDown       | runbookd,oncall",
      "KafkaConnectWorkerLost       | runbookd,oncall",
      "KafkaConnectSinkLagGrowing   | runbookd,oncall",
      "KafkaBrokerDown              | oncall",
      "RunbookdAlertBacklog         | oncall"})
  void alertsRouteToRunbookdAndPeople(String alertname, String receivers) throws Exception {
    String out = run("amtool", "config", "routes", "test", "--config.file=" + ChainFiles.ALERTMANAGER_YML,
        "alertname=" + alertname, "connect_cluster=local", "connector=orders-pg-sink", "task=0");
    assertThat(out.strip()).isEqualTo(receivers);
  }

  @Test
  void runbookdReceiverSendsResolvedAlertsWithABearerTokenFromAFileGroupedByConnector() throws Exception {
    JsonNode am = YAML.readTree(ChainFiles.ALERTMANAGER_YML.toFile());
    JsonNode runbookd = null;
    for (JsonNode r : am.get("receivers")) {
      if ("runbookd".equals(r.get("name").asText())) {
        runbookd = r.get("webhook_configs").get(0);
      }
    }
    assertThat(runbookd).isNotNull();
    assertThat(runbookd.get("url").asText()).endsWith("/api/v1/alerts");
    assertThat(runbookd.get("send_resolved").asBoolean()).isTrue();
    JsonNode auth = runbookd.get("http_config").get("authorization");
    assertThat(auth.get("type").asText()).isEqualTo("Bearer");
    assertThat(auth.has("credentials_file")).isTrue();
    assertThat(auth.has("credentials")).isFalse();
    for (JsonNode route : am.get("route").get("routes")) {
      if ("runbookd".equals(route.get("receiver").asText())) {
        assertThat(route.get("group_by").toString()).isEqualTo("[\"alertname\",\"connect_cluster\",\"connector\"]");
      }
    }
  }

  @Test
  void theConnectClusterLabelNamesAClusterOfRunbookdYaml() throws Exception {
    JsonNode runbookd = YAML.readTree(ChainFiles.RUNBOOKD_YML.toFile());
    assertThat(runbookd.get("connect_clusters").has(ChainFiles.connectCluster())).isTrue();
  }

  @ParameterizedTest(name = "{0} with the labels Prometheus gives it is eligible for runbookd's shipped rules")
  @CsvSource({"KafkaConnectTaskFailure, connect_cluster connector task", "KafkaConnectConnectorFailure, connect_cluster connector"})
  void failureAlertsCarryTheLabelsRunbookdRulesTarget(String alertname, String byLabels) throws Exception {
    JsonNode alert = null;
    for (JsonNode r : YAML.readTree(ChainFiles.RULES_YML.toFile()).get("groups").get(0).get("rules")) {
      if (alertname.equals(r.path("alert").asText())) {
        alert = r;
      }
    }
    assertThat(alert).as(alertname + " in " + ChainFiles.RULES_YML).isNotNull();
    assertThat(alert.get("expr").asText()).startsWith("max by (" + String.join(", ", byLabels.split(" ")) + ") (");

    String cluster = ChainFiles.connectCluster();
    JsonNode runbookdYaml = YAML.readTree(ChainFiles.RUNBOOKD_YML.toFile());
    java.util.Set<String> notifiers = new java.util.HashSet<>();
    runbookdYaml.get("notifiers").fieldNames().forEachRemaining(notifiers::add);
    RuleSet shipped = new RuleLoader(new RuleLoader.Context(java.util.Set.of(cluster), notifiers), java.time.Clock.systemUTC())
        .load(List.of(ChainFiles.RUNBOOKD_YML.getParent().resolve("rules")));
    // the labels of the alert as Prometheus sends it: the by-labels plus the rule's own labels
    java.util.Map<String, String> labels = new java.util.HashMap<>();
    labels.put("alertname", alertname);
    labels.put("connect_cluster", cluster);
    labels.put("connector", "orders-pg-sink");
    if (byLabels.contains("task")) {
      labels.put("task", "0");
    }
    alert.get("labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
    List<RuleEvaluator.Candidate> eligible = RuleEvaluator.candidates(shipped, labels, java.util.Map.of()).stream()
        .filter(RuleEvaluator.Candidate::eligible).toList();
    assertThat(eligible).as("shipped rules eligible for " + labels).extracting(c -> c.rule().name())
        .contains("connect-db-connection-refused", "connect-catch-all");
    assertThat(eligible).allSatisfy(c -> assertThat(c.target()).contains(new ConnectorTarget(cluster, "orders-pg-sink")));
  }

  @Test
  void theExporterConfigNamesTheMetricsTheRulesUse() throws Exception {
    String exporter = Files.readString(ChainFiles.EXPORTER_YML);
    String rules = Files.readString(ChainFiles.RULES_YML);
    for (String metric : List.of("kafka_connect_connector_status", "kafka_connect_connector_task_status",
        "kafka_connect_sink_consumer_records_lag")) {
      assertThat(exporter).contains("name: " + metric);
      assertThat(rules).contains(metric);
    }
  }

  @Test
  void theWorkingCopiesWithShortTimingsPassTheSameChecks() throws Exception {
    Path token = Files.writeString(tmp.resolve("token"), "t0ken");
    Path am = ChainFiles.alertmanager(tmp, ChainFiles.Timings.FAST, "http://127.0.0.1:9095/api/v1/alerts", token);
    Path rules = ChainFiles.rules(tmp, ChainFiles.Timings.FAST);
    Path prom = ChainFiles.prometheus(tmp, ChainFiles.Timings.FAST, rules, "127.0.0.1:9404", "127.0.0.1:9095", "127.0.0.1:9093");
    assertThat(run("amtool", "check-config", am.toString())).contains("SUCCESS");
    assertThat(run("promtool", "check", "config", prom.toString())).contains("SUCCESS: 1 rule files found");
    JsonNode amTree = YAML.readTree(am.toFile());
    assertThat(amTree.get("route").get("routes").get(0).get("group_wait").asText()).isEqualTo("1s");
    assertThat(amTree.get("route").get("routes").get(0).get("matchers").get(0).asText())
        .isEqualTo("alertname =~ \"KafkaConnect(Task|Connector)Failure\"");
    assertThat(Files.readString(rules)).contains("for: 2s").doesNotContain("for: 1m");
  }

  /** Runs a Debian binary from /usr/bin; its stdout, or an assertion error with stdout and stderr when it exits non-zero. */
  private String run(String... cmd) throws IOException, InterruptedException {
    String binary = LocalProcess.requireExecutable("/usr/bin/" + cmd[0]);
    List<String> command = new ArrayList<>(List.of(cmd));
    command.set(0, binary);
    Path stderr = Files.createTempFile(tmp, cmd[0], ".stderr");
    Process p = new ProcessBuilder(command).directory(tmp.toFile()).redirectError(stderr.toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s exited with %s:%n%s%n%s", String.join(" ", cmd), p.exitValue(), out,
        Files.readString(stderr)).isZero();
    return out;
  }
}
