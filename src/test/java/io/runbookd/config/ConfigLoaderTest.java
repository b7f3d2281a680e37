package io.runbookd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @Test
  void theShippedExampleLoadsWithItsDefaults(@TempDir Path tmp) throws Exception {
    RunbookdConfig c = ConfigLoader.load(io.runbookd.testkit.ShippedConfig.withSecrets(tmp));
    assertThat(c.server().port()).isEqualTo(9095);
    assertThat(c.connectClusters()).containsOnlyKeys("local");
    assertThat(c.connectClusters().get("local").url()).isEqualTo("http://localhost:8083");
    assertThat(c.connectClusters().get("local").requestTimeout()).isEqualTo(Duration.ofSeconds(100));
    assertThat(c.notifiers()).containsOnlyKeys("oncall", "owner");
    assertThat(c.store().jdbcUrl()).isNull();
    assertThat(Path.of(c.store().dataDir())).isEqualTo(Path.of("data").toAbsolutePath());
    assertThat(c.rules().paths()).containsExactly(Path.of("rules").toAbsolutePath().toString());
    assertThat(c.engine().tick()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.dryRun()).as("a first deploy records what it would do").isTrue();
    assertThat(c.server().auth().webhook()).as("the webhook needs Alertmanager's token").hasSize(1);
    assertThat(c.server().auth().operators()).as("the API needs an operator").hasSize(1);
    assertThat(c.log().format()).isEqualTo("logfmt");
  }

  @Test
  void theShippedExampleReadsItsCredentialsFromFilesThatMustExist() {
    assertThatThrownBy(() -> ConfigLoader.load(Path.of("runbookd.yaml")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("/run/secrets/runbookd-");
  }

  @Test
  void unknownKeyNamesTheLineAndTheAllowedKeys() {
    assertThatThrownBy(() -> ConfigLoader.parse("server:\n  listen: ':9095'\n  lisen: x\n", "runbookd.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("runbookd.yaml:3: unknown key \"lisen\" in server.lisen (allowed: ");
  }

  @Test
  void theExternalUrlGivesIncidentLinksAndMustBeAnAbsoluteHttpUrl() {
    RunbookdConfig c = ConfigLoader.parse("server:\n  external_url: 'https://runbookd.example.com/'\n", "runbookd.yaml");
    assertThat(c.server().externalUrl()).isEqualTo("https://runbookd.example.com");
    assertThat(io.runbookd.rules.TemplateContext.url(c.server().externalUrl(), "inc-1"))
        .isEqualTo("https://runbookd.example.com/ui/incidents/inc-1");
    assertThat(ConfigLoader.parse("server:\n  listen: ':9095'\n", "runbookd.yaml").server().externalUrl()).isNull();
    assertThatThrownBy(() -> ConfigLoader.parse("server:\n  external_url: 'runbookd.example.com'\n", "runbookd.yaml"))
        .hasMessageContaining("is not an absolute http(s) URL");
  }

  @Test
  void pipelinesListTheirConnectorsInFlowOrderOnceEach() {
    RunbookdConfig c = ConfigLoader.parse("pipelines:\n  orders: [orders-source, orders-sink]\n", "runbookd.yaml");
    assertThat(c.pipelines()).containsEntry("orders", java.util.List.of("orders-source", "orders-sink"));
    assertThatThrownBy(() -> ConfigLoader.parse("pipelines:\n  orders: []\n", "runbookd.yaml"))
        .hasMessageContaining("pipelines.orders: list its connectors in the order the data flows");
    assertThatThrownBy(() -> ConfigLoader.parse("pipelines:\n  orders: [a, b, a]\n", "runbookd.yaml"))
        .hasMessageContaining("pipelines.orders: connector a is listed twice");
    assertThatThrownBy(() -> ConfigLoader.parse("pipelines:\n  orders: {source: a}\n", "runbookd.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("pipelines");
  }

  @Test
  void badDurationNamesTheKey() {
    assertThatThrownBy(() -> ConfigLoader.parse("engine:\n  tick: soon\n", "runbookd.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("runbookd.yaml:2: engine.tick: invalid duration \"soon\"");
  }

  @Test
  void aClusterWithoutUrlIsAnError() {
    assertThatThrownBy(() -> ConfigLoader.parse("connect_clusters:\n  prod: { username: u }\n", "runbookd.yaml"))
        .hasMessageContaining("connect_clusters: url is required");
  }

  @Test
  void secretsComeFromFilesAndAreRedactedWhenPrinted(@TempDir Path tmp) throws Exception {
    Path pw = Files.writeString(tmp.resolve("pw"), "s3cr3t\n");
    RunbookdConfig c = ConfigLoader.parse("connect_clusters:\n  prod:\n    url: https://connect:8443\n    username: runbookd\n"
        + "    password_file: '" + pw + "'\n", "runbookd.yaml");
    Secret secret = c.connectClusters().get("prod").password();
    assertThat(secret.reveal()).isEqualTo("s3cr3t");
    assertThat(secret.matches("s3cr3t")).isTrue();
    assertThat(secret.matches("s3cr3")).isFalse();
    assertThat(c.toString()).doesNotContain("s3cr3t").contains("<redacted>");
  }

  @Test
  void anUnsetEnvironmentVariableIsAnError() {
    assertThatThrownBy(() -> ConfigLoader.parse("notifiers:\n  oncall: { type: slack, url: '${env:RUNBOOKD_TEST_SURELY_UNSET}' }\n", "runbookd.yaml"))
        .hasMessageContaining("environment variable RUNBOOKD_TEST_SURELY_UNSET is not set");
  }

  @Test
  void unknownNotifierTypeIsAnError() {
    assertThatThrownBy(() -> ConfigLoader.parse("notifiers:\n  oncall: { type: email, url: 'x' }\n", "runbookd.yaml"))
        .hasMessageContaining("notifiers: unknown type \"email\" (use webhook, slack or pagerduty)");
  }
}
