package io.runbookd.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.runbookd.config.AuthConfig;
import io.runbookd.config.Secret;
import io.vertx.core.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The pure parts of {@link Auth}: which scope a path is in, and how a header is checked. */
class AuthTest {

  static AuthConfig.Credential bearer(String name, String token) {
    return new AuthConfig.Credential(name, Secret.of(token), null, null);
  }

  static AuthConfig.Credential basic(String user, String password) {
    return new AuthConfig.Credential(null, null, null, new AuthConfig.BasicAuth(user, Secret.of(password), null));
  }

  static String basicHeader(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource({
      "POST, /api/v1/alerts, WEBHOOK",
      "POST, /api/v1/alerts/, WEBHOOK",
      "GET, /api/v1/alerts, OPERATOR",
      "GET, /api/v1/rules, OPERATOR",
      "GET, /api/v1/incidents, OPERATOR",
      "GET, /api/v1/incidents/inc-1, OPERATOR",
      "POST, /api/v1/incidents/inc-1/approve, OPERATOR",
      "POST, /api/v1/incidents/inc-1/reject, OPERATOR",
      "POST, /-/reload, OPERATOR",
      "GET, /-/healthy, OPEN",
      "GET, /-/ready, OPEN",
      "GET, /metrics, METRICS",
      "GET, /anything/else, OPERATOR",
      "GET, /, OPERATOR",
  })
  void everyPathHasAScopeAndUnknownPathsNeedAnOperator(String method, String path, Auth.Scope expected) {
    assertThat(Auth.scope(HttpMethod.valueOf(method), path)).isEqualTo(expected);
  }

  @Test
  void bearerTokensMatchExactly() {
    Auth.Checker c = new Auth.Checker(List.of(bearer("am", "t0ken-a"), bearer("am2", "t0ken-b")));
    assertThat(c.check("Bearer t0ken-a").principal()).isEqualTo("am");
    assertThat(c.check("bearer t0ken-b").principal()).isEqualTo("am2");
    assertThat(c.check("Bearer t0ken").principal()).isNull();
    assertThat(c.check("Bearer t0ken-a-and-more").principal()).isNull();
    assertThat(c.check("Bearer ").principal()).isNull();
    assertThat(c.check("Bearer").principal()).isNull();
    assertThat(c.check("t0ken-a").reason()).isEqualTo("unsupported authorization scheme; send a bearer token");
    assertThat(c.check(null).reason()).isEqualTo("authentication required: send a bearer token in the Authorization header");
    assertThat(c.check(basicHeader("am", "t0ken-a")).reason()).isEqualTo("basic auth is not accepted here; send a bearer token");
    assertThat(c.challenges()).containsExactly("Bearer realm=\"runbookd\"");
  }

  @Test
  void basicAuthChecksUserAndPassword() {
    Auth.Checker c = new Auth.Checker(List.of(basic("alertmanager", "pa:ss wörd")));
    assertThat(c.check(basicHeader("alertmanager", "pa:ss wörd")).principal()).isEqualTo("alertmanager");
    assertThat(c.check(basicHeader("alertmanager", "pa:ss")).principal()).isNull();
    assertThat(c.check(basicHeader("other", "pa:ss wörd")).principal()).isNull();
    assertThat(c.check("Basic !!!not-base64").reason()).isEqualTo("invalid credentials");
    assertThat(c.check("Basic " + Base64.getEncoder().encodeToString("nocolon".getBytes(StandardCharsets.UTF_8))).principal()).isNull();
    assertThat(c.check("Bearer x").reason()).isEqualTo("bearer tokens are not accepted here; send basic auth");
    assertThat(c.challenges()).containsExactly("Basic realm=\"runbookd\", charset=\"UTF-8\"");
  }

  @Test
  void anEmptyScopeIsOpen() {
    assertThat(new Auth.Checker(List.of()).isOpen()).isTrue();
    assertThat(new Auth.Checker(List.of(bearer("x", "y"))).isOpen()).isFalse();
  }

  @Test
  void startupWarnsLoudlyAboutWhatIsOpen() {
    assertThat(Auth.warnings(AuthConfig.NONE, null, "0.0.0.0")).singleElement().asString()
        .startsWith("NO AUTHENTICATION CONFIGURED");
    AuthConfig webhookOnly = new AuthConfig(List.of(bearer(null, "t")), null, null);
    assertThat(Auth.warnings(webhookOnly, null, "127.0.0.1")).singleElement().asString()
        .startsWith("server.auth.operators is not set");
    assertThat(Auth.warnings(webhookOnly, null, "0.0.0.0")).hasSize(2).last().asString()
        .startsWith("server.tls is not set: credentials cross the network in clear text");
    AuthConfig both = new AuthConfig(List.of(bearer(null, "t")), List.of(bearer("alice", "u")), null);
    assertThat(Auth.warnings(both, null, "localhost")).isEmpty();
  }
}
