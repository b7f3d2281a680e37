package io.runbookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.testkit.Await;
import io.runbookd.testkit.Daemon;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 100 KB connector name (valid for Connect, and so for an alert label) is never written whole into
 * a log line: every value longer than 256 characters is cut, with its original length.
 */
class LongLabelIT {
  @TempDir
  java.nio.file.Path tmp;

  private SimulatedConnect connect;

  @BeforeEach
  void startConnect() {
    connect = new SimulatedConnect();
  }

  @AfterEach
  void stopConnect() {
    connect.close();
  }

  @Test
  void aHundredKilobyteConnectorNameIsCutInEveryLogLine() throws Exception {
    String name = "orders-" + "x".repeat(100 * 1024);
    String yaml = "rules: { paths: ['" + Daemon.rulesDir(tmp, "10-sim.yaml", """
        rules:
          - name: sim-refused
            match: { alert: ['alertname="KafkaConnectTaskFailure"'] }
            target: { cluster: '{{ labels.connect_cluster }}', connector: '{{ labels.connector }}' }
            steps:
              - restart: {}
        """) + "'] }\n"
        + "connect_clusters:\n  sim: { url: '" + connect.url() + "' }\n"
        + "engine: { tick: 100ms, poll_interval: 100ms }\n";
    try (LogCapture logs = new LogCapture("io.runbookd", "io.vertx", "io.netty");
        Daemon d = Daemon.start(yaml, tmp.resolve("data"))) {
      assertThat(d.postAlerts(AlertmanagerPayloads.firing("KafkaConnectTaskFailure",
          Map.of("connect_cluster", "sim", "connector", name), Instant.now())).statusCode()).isEqualTo(200);
      Await.until("a log line about the connector", Duration.ofSeconds(30),
          () -> logs.lines().stream().anyMatch(l -> l.contains("orders-xxxx")));
      d.awaitLaterAlertProcessed();
      assertThat(logs.lines()).filteredOn(l -> l.contains("orders-xxxx")).isNotEmpty()
          .allSatisfy(l -> assertThat(l).contains(" chars)").hasSizeLessThan(8 * 1024));
      assertThat(logs.lines()).allSatisfy(l -> assertThat(l).doesNotContain("x".repeat(257)));
    }
  }
}
