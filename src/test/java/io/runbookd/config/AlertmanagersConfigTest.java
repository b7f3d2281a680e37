package io.runbookd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code alertmanagers:} as an operator writes it: auth from files, never printed, bad values refused. */
class AlertmanagersConfigTest {
  @TempDir
  Path tmp;

  @Test
  void basicAuthFromAFileIsSentButNeverPrintedOrLogged() throws Exception {
    Path pw = Files.writeString(tmp.resolve("am-password"), "am-s3cret-pw\n");
    RunbookdConfig c = ConfigLoader.parse("alertmanagers:\n  main: { url: 'http://am:9093/', username: runbookd,"
        + " password_file: '" + pw + "' }\n", "runbookd.yaml");
    RunbookdConfig.Alertmanager am = c.alertmanagers().get("main");
    assertThat(am.url()).isEqualTo("http://am:9093");
    String basic = Base64.getEncoder().encodeToString("runbookd:am-s3cret-pw".getBytes());
    assertThat(am.authorization()).isEqualTo("Basic " + basic);
    assertThat(am.toString()).doesNotContain("am-s3cret-pw").contains("<redacted>");
    assertThat(Secrets.redactKnown("Authorization: Basic " + basic + " am-s3cret-pw"))
        .isEqualTo("Authorization: Basic <redacted> <redacted>");
  }

  @Test
  void aBearerTokenIsSentAsBearer() {
    RunbookdConfig c = ConfigLoader.parse("alertmanagers:\n  main: { url: 'https://am', bearer_token: tok-abc-123 }\n",
        "runbookd.yaml");
    assertThat(c.alertmanagers().get("main").authorization()).isEqualTo("Bearer tok-abc-123");
    assertThat(c.alertmanagers().get("main").timeout()).hasSeconds(10);
  }

  @Test
  void badAlertmanagersAreRefusedNamingTheProblem() {
    assertThatThrownBy(() -> ConfigLoader.parse("alertmanagers:\n  main: { username: u, password: p }\n", "runbookd.yaml"))
        .hasMessageContaining("alertmanagers: url is required");
    assertThatThrownBy(() -> ConfigLoader.parse("alertmanagers:\n  main: { url: 'am:9093' }\n", "runbookd.yaml"))
        .hasMessageContaining("alertmanagers: url must be an http(s) URL");
    assertThatThrownBy(() -> ConfigLoader.parse("alertmanagers:\n  main: { url: 'http://am', username: u }\n",
        "runbookd.yaml")).hasMessageContaining("basic auth needs both username and password");
    assertThatThrownBy(() -> ConfigLoader.parse("alertmanagers:\n  main: { url: 'http://am', username: u, password: p,"
        + " bearer_token: t }\n", "runbookd.yaml")).hasMessageContaining("not both");
    assertThatThrownBy(() -> ConfigLoader.parse("alertmanagers:\n  main: { url: 'http://am', token: t }\n",
        "runbookd.yaml")).hasMessageContaining("token");
  }
}
