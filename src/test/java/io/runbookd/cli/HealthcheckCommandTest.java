package io.runbookd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.Main;
import io.runbookd.testkit.Daemon;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code runbookd healthcheck --config runbookd.yaml}, the image's HEALTHCHECK, against a daemon
 * started from the same config: the port and HTTPS come from the config.
 */
class HealthcheckCommandTest {
  private static final Path TLS = Path.of("src/test/resources/server-tls").toAbsolutePath();

  private record Run(int exit, String out) {}

  private static Run healthcheck(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      String[] all = new String[args.length + 1];
      all[0] = "healthcheck";
      System.arraycopy(args, 0, all, 1, args.length);
      int exit = new CommandLine(new Main()).execute(all);
      return new Run(exit, buf.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(old);
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void httpsOnTheConfiguredPortTrustingTheServersOwnCertificateThenUnhealthyOnceStopped(@TempDir Path tmp) throws Exception {
    int port = freePort();
    String yaml = "server:\n  listen: 0.0.0.0:" + port + "\n"
        + "  tls: { cert_file: '" + TLS.resolve("server.pem") + "', key_file: '" + TLS.resolve("server.key") + "' }\n"
        + "store: { data_dir: '" + tmp.resolve("data") + "' }\n"
        + "rules: { paths: ['" + Daemon.shippedRules() + "'], watch_interval: 0s }\n"
        + "connect_clusters: { local: { url: 'http://127.0.0.1:9' } }\n"
        + "notifiers: { oncall: { url: 'http://127.0.0.1:9/oncall' }, owner: { url: 'http://127.0.0.1:9/owner' } }\n";
    Path config = Files.writeString(tmp.resolve("runbookd.yaml"), yaml);
    Daemon daemon = Daemon.startWith(yaml);
    try {
      Run healthy = healthcheck("--config", config.toString());
      assertThat(healthy.exit()).as(healthy.out()).isZero();
      assertThat(healthy.out()).isEqualTo("healthy: https://127.0.0.1:" + port + "/-/healthy answered 200\n");
      Run ready = healthcheck("--config", config.toString(), "--ready", "--ca-file", TLS.resolve("ca.pem").toString());
      assertThat(ready.exit()).as(ready.out()).isZero();
      assertThat(ready.out()).contains("/-/ready answered 200");
      Run wrongCa = healthcheck("--config", config.toString(), "--ca-file", TLS.resolve("client.pem").toString());
      assertThat(wrongCa.exit()).as("a certificate it does not trust").isEqualTo(1);
      assertThat(wrongCa.out()).startsWith("unhealthy: https://127.0.0.1:" + port + "/-/healthy: ");
    } finally {
      daemon.close();
    }
    Run down = healthcheck("--config", config.toString());
    assertThat(down.exit()).isEqualTo(1);
    assertThat(down.out()).startsWith("unhealthy: https://127.0.0.1:" + port + "/-/healthy: ");
  }

  @Test
  void anInvalidConfigIsUnhealthyWithTheReason(@TempDir Path tmp) throws Exception {
    Path config = Files.writeString(tmp.resolve("runbookd.yaml"), "server: { listn: ':9095' }\n");
    Run r = healthcheck("--config", config.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).startsWith("unhealthy: invalid config: ").contains("listn");
  }
}
