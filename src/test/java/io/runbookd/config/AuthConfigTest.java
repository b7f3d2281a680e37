package io.runbookd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code server.auth} and {@code server.tls}: parsing, validation messages, and redaction when printed. */
class AuthConfigTest {

  private static RunbookdConfig parse(String yaml) {
    return ConfigLoader.parse(yaml, "runbookd.yaml");
  }

  @Test
  void withoutAuthEveryScopeIsOpen() {
    RunbookdConfig c = parse("server: { listen: ':9095' }\n");
    assertThat(c.server().auth().enabled()).isFalse();
    assertThat(c.server().tls()).isNull();
  }

  @Test
  void credentialsComeFromFilesInlineOrAsASingleMapping(@TempDir Path tmp) throws Exception {
    Path token = Files.writeString(tmp.resolve("am-token"), "  am-token-1234\n");
    Path bobPw = Files.writeString(tmp.resolve("bob"), "bob-password\n");
    RunbookdConfig c = parse("server:\n  auth:\n"
        + "    webhook: { bearer_token_file: '" + token + "' }\n"
        + "    operators:\n"
        + "      - name: alice\n        bearer_token: alice-token\n"
        + "      - basic_auth: { username: bob, password_file: '" + bobPw + "' }\n"
        + "    metrics:\n      - basic_auth: { username: prometheus, password: scrape-pw }\n");
    AuthConfig auth = c.server().auth();
    assertThat(auth.webhook()).hasSize(1);
    assertThat(auth.webhook().get(0).name()).isEqualTo("webhook[0]");
    assertThat(auth.webhook().get(0).bearerToken().reveal()).isEqualTo("am-token-1234");
    assertThat(auth.operators()).extracting(AuthConfig.Credential::name).containsExactly("alice", "bob");
    assertThat(auth.operators().get(1).basicAuth().password().reveal()).isEqualTo("bob-password");
    assertThat(auth.metrics().get(0).name()).isEqualTo("prometheus");
  }

  @Test
  void everySecretIsRedactedWhenTheConfigIsPrinted(@TempDir Path tmp) throws Exception {
    Path token = Files.writeString(tmp.resolve("t"), "file-token-SECRET1");
    RunbookdConfig c = parse("server:\n  auth:\n"
        + "    webhook: [ { bearer_token_file: '" + token + "' }, { basic_auth: { username: am, password: inline-SECRET2 } } ]\n"
        + "    operators: [ { name: alice, bearer_token: op-SECRET3 } ]\n"
        + "store: { jdbc_url: 'jdbc:postgresql://db/runbookd?user=r&password=jdbc-SECRET4', password: db-SECRET5 }\n"
        + "connect_clusters:\n  prod: { url: 'https://runbookd:url-SECRET6@connect:8443', username: u, password: connect-SECRET7 }\n"
        + "notifiers:\n  oncall: { type: webhook, url: 'https://hooks.example/T0/B0/url-SECRET8',"
        + " headers: { Authorization: 'Bearer header-SECRET9' } }\n"
        + "  pd: { type: pagerduty, routing_key: routing-SECRET10 }\n");
    String printed = c.toString();
    assertThat(printed).doesNotContainPattern("SECRET\\d").contains("<redacted>").contains("Authorization");
    assertThat(c.store().jdbcUrl()).endsWith("password=jdbc-SECRET4");
  }

  @Test
  void anOperatorWithABearerTokenNeedsAName() {
    assertThatThrownBy(() -> parse("server:\n  auth:\n    operators:\n      - bearer_token: t0ken\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("runbookd.yaml:2: server.auth: operators[0]: name is required for a bearer token (approvals record who approved)");
  }

  @Test
  void aTokenAndATokenFileAreMutuallyExclusive() {
    assertThatThrownBy(() -> parse("server:\n  auth:\n    webhook: { bearer_token: a, bearer_token_file: /x }\n"))
        .hasMessageContaining("runbookd.yaml:3: server.auth.webhook[0]: at most one of bearer_token and bearer_token_file may be set");
  }

  @Test
  void aCredentialIsBearerOrBasicNeverBoth() {
    assertThatThrownBy(() -> parse("server:\n  auth:\n    webhook: { bearer_token: a, basic_auth: { username: u, password: p } }\n"))
        .hasMessageContaining("a credential is either a bearer token or basic_auth, not both");
    assertThatThrownBy(() -> parse("server:\n  auth:\n    webhook: { name: x }\n"))
        .hasMessageContaining("a credential needs bearer_token, bearer_token_file or basic_auth");
  }

  @Test
  void anEmptyTokenFileIsAnError(@TempDir Path tmp) throws Exception {
    Path empty = Files.writeString(tmp.resolve("empty"), "\n");
    assertThatThrownBy(() -> parse("server:\n  auth:\n    webhook: { bearer_token_file: '" + empty + "' }\n"))
        .hasMessageContaining("the bearer token must be non-empty and free of spaces and control characters (" + empty + ")");
  }

  @Test
  void basicAuthUsersFollowRfc7617() {
    assertThatThrownBy(() -> parse("server:\n  auth:\n    webhook: { basic_auth: { username: 'a:b', password: p } }\n"))
        .hasMessageContaining("basic_auth.username must not contain ':' or control characters");
    assertThatThrownBy(() -> parse("server:\n  auth:\n    webhook: { basic_auth: { username: am } }\n"))
        .hasMessageContaining("basic_auth for \"am\" needs a non-empty password or password_file");
  }

  @Test
  void oneSecretCannotOpenTwoScopes() {
    assertThatThrownBy(() -> parse("server:\n  auth:\n    webhook: { bearer_token: shared }\n"
        + "    operators: [ { name: alice, bearer_token: shared } ]\n"))
        .hasMessageContaining("server.auth: webhook \"webhook[0]\" and operators \"alice\" use the same credentials;"
            + " give each scope its own");
  }

  @Test
  void operatorNamesAreUniqueAndSafe() {
    assertThatThrownBy(() -> parse("server:\n  auth:\n    operators: [ { name: alice, bearer_token: a }, { name: alice, bearer_token: b } ]\n"))
        .hasMessageContaining("server.auth: operators[1]: duplicate name \"alice\"; first used by operators[0]");
    assertThatThrownBy(() -> parse("server:\n  auth:\n    operators: [ { name: \"al\\r\\nice\", bearer_token: a } ]\n"))
        .hasMessageContaining("server.auth.operators[0]: invalid name");
  }

  @Test
  void aWronglyTypedCredentialDoesNotEchoItsValue() {
    assertThatThrownBy(() -> parse("server:\n  auth:\n    webhook: [ { basic_auth: 'am:Echo-SECRET' } ]\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("runbookd.yaml:3: server.auth.webhook[0].basic_auth: ")
        .hasMessageNotContaining("Echo-SECRET");
  }

  @Test
  void tlsNeedsReadablePemFilesAndASupportedVersion(@TempDir Path tmp) throws Exception {
    Path cert = Files.writeString(tmp.resolve("c.pem"), "x");
    Path key = Files.writeString(tmp.resolve("k.pem"), "x");
    RunbookdConfig c = parse("server:\n  tls: { cert_file: '" + cert + "', key_file: '" + key + "' }\n");
    assertThat(c.server().tls().minVersion()).isEqualTo("TLS12");
    assertThat(c.server().tls().protocols()).containsExactlyInAnyOrder("TLSv1.2", "TLSv1.3");
    assertThatThrownBy(() -> parse("server:\n  tls: { cert_file: '" + cert + "', key_file: '" + tmp.resolve("nope") + "' }\n"))
        .hasMessageContaining("server.tls: key_file: cannot read " + tmp.resolve("nope"));
    assertThatThrownBy(() -> parse("server:\n  tls: { cert_file: '" + cert + "', key_file: '" + key + "', min_version: TLS11 }\n"))
        .hasMessageContaining("server.tls: min_version: \"TLS11\" is not supported (use TLS12 or TLS13)");
  }

  @Test
  void notifierHeadersCannotCarryCrlf() {
    assertThatThrownBy(() -> parse("notifiers:\n  n: { url: 'http://x', headers: { X-Team: \"a\\r\\nInjected: yes\" } }\n"))
        .hasMessageContaining("notifiers: header X-Team: the value must not be empty or contain CR, LF or NUL");
    assertThatThrownBy(() -> parse("notifiers:\n  n: { url: 'http://x', headers: { \"X Team\": a } }\n"))
        .hasMessageContaining("notifiers: invalid header name \"X Team\"");
  }

  @Test
  void secretComparisonUsesDigestsOfEqualLength() {
    Secret s = Secret.of("correct horse");
    assertThat(s.matches("correct horse")).isTrue();
    assertThat(s.matches("correct")).isFalse();
    assertThat(s.matches("correct horse battery")).isFalse();
    assertThat(Secret.digest("a")).hasSize(32);
    assertThat(Secret.digest("a much longer candidate")).hasSize(32);
  }
}
