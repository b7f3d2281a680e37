package io.runbookd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kafka_clusters} in runbookd.yaml and {@code connect_clusters.<name>.kafka}. */
class KafkaClustersConfigTest {

  private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required"
      + " username=\"runbookd\" password=\"pl41n-s3cret\";";

  @Test
  void aClusterWithPropertiesFromTheEnvironmentAndFiles(@TempDir Path tmp) throws Exception {
    Path jaas = Files.writeString(tmp.resolve("kafka-jaas"), JAAS + "\n");
    String home = System.getenv("HOME");
    assertThat(home).as("the test reads a variable every environment has").isNotNull();
    RunbookdConfig c = ConfigLoader.parse("kafka_clusters:\n"
        + "  prod:\n"
        + "    bootstrap_servers: 'kafka-0:9092,kafka-1:9092'\n"
        + "    request_timeout: 10s\n"
        + "    properties:\n"
        + "      security.protocol: SASL_SSL\n"
        + "      sasl.mechanism: PLAIN\n"
        + "      ssl.truststore.location: '${env:HOME}/truststore.jks'\n"
        + "    property_files:\n"
        + "      sasl.jaas.config: '" + jaas + "'\n"
        + "connect_clusters:\n"
        + "  local: { url: 'http://connect:8083', kafka: prod }\n", "runbookd.yaml");
    RunbookdConfig.KafkaCluster k = c.kafkaClusters().get("prod");
    assertThat(k.requestTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(k.clientProperties())
        .containsEntry("bootstrap.servers", "kafka-0:9092,kafka-1:9092")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("ssl.truststore.location", home + "/truststore.jks")
        .as("a file's content, without its trailing newline").containsEntry("sasl.jaas.config", JAAS);
    assertThat(c.connectClusters().get("local").kafka()).isEqualTo("prod");

    assertThat(k.toString()).contains("sasl.jaas.config=<redacted>").contains("security.protocol=SASL_SSL")
        .doesNotContain("pl41n-s3cret").doesNotContain("PlainLoginModule");
    assertThat(c.toString()).doesNotContain("pl41n-s3cret");
  }

  @Test
  void aJaasConfigWrittenInlineIsRedactedToo() {
    RunbookdConfig c = ConfigLoader.parse("kafka_clusters:\n  prod:\n    bootstrap_servers: 'kafka:9092'\n"
        + "    properties: { sasl.jaas.config: '" + JAAS.replace("'", "''") + "', ssl.key.password: k3y-pw }\n",
        "runbookd.yaml");
    RunbookdConfig.KafkaCluster k = c.kafkaClusters().get("prod");
    assertThat(k.clientProperties()).containsEntry("sasl.jaas.config", JAAS);
    assertThat(k.requestTimeout()).as("the default").isEqualTo(Duration.ofSeconds(30));
    assertThat(k.toString()).doesNotContain("pl41n-s3cret").doesNotContain("k3y-pw")
        .contains("sasl.jaas.config=<redacted>", "ssl.key.password=<redacted>");
  }

  @Test
  void aConnectClusterNamingAnUndefinedKafkaClusterIsAnError() {
    assertThatThrownBy(() -> ConfigLoader.parse("kafka_clusters:\n  prod: { bootstrap_servers: 'kafka:9092' }\n"
        + "connect_clusters:\n  local:\n    url: 'http://connect:8083'\n    kafka: staging\n", "runbookd.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("connect_clusters.local.kafka: undefined Kafka cluster \"staging\"")
        .hasMessageContaining("defined in kafka_clusters: prod")
        .hasMessageStartingWith("runbookd.yaml:");
  }

  @Test
  void badKafkaClusterValuesNameTheKey(@TempDir Path tmp) {
    assertThatThrownBy(() -> ConfigLoader.parse("kafka_clusters:\n  prod: { request_timeout: 5s }\n", "runbookd.yaml"))
        .hasMessageContaining("bootstrap_servers is required");
    assertThatThrownBy(() -> ConfigLoader.parse("kafka_clusters:\n  prod: { bootstrap_servers: 'k:9092',"
        + " properties: { x: '${env:RUNBOOKD_SURELY_UNSET_VARIABLE}' } }\n", "runbookd.yaml"))
        .hasMessageContaining("RUNBOOKD_SURELY_UNSET_VARIABLE is not set");
    assertThatThrownBy(() -> ConfigLoader.parse("kafka_clusters:\n  prod: { bootstrap_servers: 'k:9092',"
        + " property_files: { sasl.jaas.config: '" + tmp.resolve("missing") + "' } }\n", "runbookd.yaml"))
        .hasMessageContaining("kafka_clusters.property_files.sasl.jaas.config: cannot read");
    assertThatThrownBy(() -> ConfigLoader.parse("kafka_clusters:\n  prod: { bootstrap_servers: 'k:9092',"
        + " properties: { bootstrap.servers: 'other:9092' } }\n", "runbookd.yaml"))
        .hasMessageContaining("set bootstrap_servers, not properties.bootstrap.servers");
    assertThatThrownBy(() -> ConfigLoader.parse("kafka_clusters:\n  prod: { bootstrap_servers: 'k:9092', timeout: 5s }\n",
        "runbookd.yaml"))
        .hasMessageStartingWith("runbookd.yaml:2: unknown key \"timeout\"");
  }
}
