package io.runbookd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which configured values are secrets, and how any text is masked. */
class SecretsTest {
  private static final String YAML = """
      server:
        auth:
          webhook: [ { bearer_token: am-token-0001 } ]
          operators:
            - { name: alice, bearer_token: alice-token-0002 }
            - basic_auth: { username: bob, password: bob-pass-0003 }
      store: { jdbc_url: 'jdbc:postgresql://db.example:5432/runbookd?user=rb&password=jdbc-pass-0004', username: rb, password: store-pass-0005 }
      connect_clusters:
        prod: { url: 'http://connect-user:s3cret%40x@127.0.0.1:8083', request_timeout: 5s }
        dev: { url: 'http://127.0.0.1:8084', username: dev, password: dev-pass-0006 }
      notifiers:
        slack: { type: slack, url: 'https://hooks.slack.example/services/T000/B000/slack-path-0007' }
        pd: { type: pagerduty, routing_key: routing-key-0008 }
        hook: { type: webhook, url: 'http://127.0.0.1:9/alerts?token=query-token-0009', headers: { Authorization: 'Bearer header-token-0010' } }
      """;

  private static String basic(String userAndPassword) {
    return Base64.getEncoder().encodeToString(userAndPassword.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void everyConfiguredSecretIsMaskedInAnyText() {
    Secrets s = Secrets.of(ConfigLoader.parse(YAML, "runbookd.yaml"));
    List<String> secrets = List.of("am-token-0001", "alice-token-0002", "bob-pass-0003", "jdbc-pass-0004", "store-pass-0005",
        "s3cret@x", "s3cret%40x", "dev-pass-0006", "/services/T000/B000/slack-path-0007", "routing-key-0008",
        "query-token-0009", "header-token-0010", basic("bob:bob-pass-0003"), basic("connect-user:s3cret@x"),
        basic("dev:dev-pass-0006"));
    for (String secret : secrets) {
      assertThat(Secrets.redactKnown("error: 404 Not Found: " + secret + " (echoed)")).as(secret)
          .isEqualTo("error: 404 Not Found: <redacted> (echoed)");
    }
    assertThat(s.redact("s3cret@x")).as("the decoded password is a value of the config").isEqualTo("<redacted>");
    assertThat(s.redact("POST https://hooks.slack.example/services/T000/B000/slack-path-0007 failed"))
        .isEqualTo("POST <redacted> failed");
  }

  @Test
  void aConnectUrlsUserInfoBecomesItsBasicAuthAndLeavesTheUrl() {
    RunbookdConfig c = ConfigLoader.parse(YAML, "runbookd.yaml");
    RunbookdConfig.ConnectCluster prod = c.connectClusters().get("prod");
    assertThat(prod.url()).isEqualTo("http://127.0.0.1:8083");
    assertThat(prod.username()).isEqualTo("connect-user");
    assertThat(prod.password().reveal()).isEqualTo("s3cret@x");
    assertThat(prod.toString()).doesNotContain("s3cret");
  }

  @Test
  void explicitCredentialsWinOverUserInfoWhichStillLeavesTheUrlAndStaysSecret() {
    RunbookdConfig c = ConfigLoader.parse(
        "connect_clusters: { prod: { url: 'http://u:pw-9999@connect:8083', username: admin, password: admin-pw-1 } }\n",
        "runbookd.yaml");
    assertThat(c.connectClusters().get("prod").url()).isEqualTo("http://connect:8083");
    assertThat(c.connectClusters().get("prod").username()).isEqualTo("admin");
    assertThat(Secrets.redactKnown("u:pw-9999 pw-9999")).isEqualTo("<redacted> <redacted>");
  }

  @Test
  void ordinaryWordsAndUserNamesAreNotSecrets() {
    Secrets s = Secrets.of(ConfigLoader.parse("""
        store: { jdbc_url: 'jdbc:postgresql://runbookd@db:5432/runbookd' }
        connect_clusters: { c: { url: 'http://connect:8083', username: admin, password: pw } }
        notifiers: { n: { url: 'http://receiver:9000/' } }
        """, "runbookd.yaml"));
    String text = "runbookd user admin connected to http://connect:8083 and db; pw";
    assertThat(s.redact(text)).as("short values and user names are left alone").isEqualTo(text);
    assertThat(s.redact("posted to http://receiver:9000/")).isEqualTo("posted to <redacted>");
  }

  @Test
  void longerValuesAreMaskedFirstSoNoPieceOfThemRemains() {
    Secrets s = new Secrets(List.of("abcd", "xxabcdyy"));
    assertThat(s.values()).containsExactly("xxabcdyy", "abcd");
    assertThat(s.redact("[xxabcdyy] [abcd]")).isEqualTo("[<redacted>] [<redacted>]");
    assertThat(s.toString()).doesNotContain("abcd");
  }

  @Test
  void theRegistryOfTheJvmKeepsEveryLoadedConfigurationsSecrets() {
    ConfigLoader.parse("notifiers: { n: { type: pagerduty, routing_key: registry-key-0011 } }\n", "a.yaml");
    ConfigLoader.parse("notifiers: { n: { type: pagerduty, routing_key: registry-key-0012 } }\n", "b.yaml");
    assertThat(Secrets.redactKnown("registry-key-0011 registry-key-0012")).isEqualTo("<redacted> <redacted>");
    assertThat(Secrets.redactKnown(null)).isNull();
  }
}
