package io.runbookd.config;

import com.fasterxml.jackson.annotation.JsonFormat;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code server.auth}: who may call which endpoints. Each scope is a list of credentials, each a
 * bearer token or a basic-auth user, exactly as Alertmanager's {@code http_config} sends them
 * ({@code authorization: {credentials_file}} sends {@code Authorization: Bearer <token>};
 * {@code basic_auth: {username, password_file}} sends {@code Authorization: Basic ...}). A scope
 * that lists no credentials is open.
 *
 * <pre>{@code
 * server:
 *   auth:
 *     webhook:                     # POST /api/v1/alerts (Alertmanager)
 *       - bearer_token_file: /run/secrets/alertmanager-token
 *     operators:                   # /api/v1/incidents*, /api/v1/rules, POST /-/reload, approvals
 *       - name: alice
 *         bearer_token_file: /run/secrets/alice-token
 *       - basic_auth: { username: bob, password: ${env:BOB_PASSWORD} }
 *     metrics:                     # optional: GET /metrics (operators may scrape too)
 *       - bearer_token_file: /run/secrets/prometheus-token
 *     viewers:                     # optional: read-only users of the API and the web page /ui
 *       - basic_auth: { username: carol, password_file: /run/secrets/carol-password }
 * }</pre>
 *
 * @param webhook credentials Alertmanager uses for {@code POST /api/v1/alerts}; empty means open
 * @param operators named operators for the API ({@code /api/v1/*} other than alerts) and
 *     {@code POST /-/reload}; empty means open. Approvals record the operator's name.
 * @param metrics credentials for {@code GET /metrics}; empty means open (Prometheus convention)
 * @param viewers read-only users: they may read what operators read ({@code GET} of the API and of the
 *     web page {@code /ui}, and its explain form) but decide nothing (every other request is 403); empty
 *     means none. Only meaningful when {@code operators} is set.
 */
public record AuthConfig(
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Credential> webhook,
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Credential> operators,
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Credential> metrics,
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Credential> viewers) {

  /** Names of operators and credentials: they are written to logs and to approval records. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+\\[\\]-]{0,63}");

  /** No credentials anywhere: every endpoint is open. */
  public static final AuthConfig NONE = new AuthConfig(null, null, null);

  public AuthConfig {
    webhook = named(webhook, "webhook", false);
    operators = named(operators, "operators", true);
    metrics = named(metrics, "metrics", false);
    viewers = named(viewers, "viewers", true);
    checkSeparate(webhook, "webhook", operators, "operators");
    checkSeparate(webhook, "webhook", metrics, "metrics");
    checkSeparate(operators, "operators", metrics, "metrics");
    checkSeparate(viewers, "viewers", webhook, "webhook");
    checkSeparate(viewers, "viewers", operators, "operators");
    checkSeparate(viewers, "viewers", metrics, "metrics");
    if (!viewers.isEmpty() && operators.isEmpty()) {
      throw new ConfigException("server.auth.viewers is set but server.auth.operators is not: with no operators the API"
          + " and /ui are open to anyone, so a read-only role would restrict nobody; set operators too");
    }
  }

  /** Without read-only viewers. */
  public AuthConfig(List<Credential> webhook, List<Credential> operators, List<Credential> metrics) {
    this(webhook, operators, metrics, null);
  }

  /** Whether any scope requires credentials. */
  public boolean enabled() {
    return !webhook.isEmpty() || !operators.isEmpty() || !metrics.isEmpty() || !viewers.isEmpty();
  }

  /** Gives every credential a name (its own, its basic-auth user, or {@code <scope>[<i>]}); names are unique per scope. */
  private static List<Credential> named(List<Credential> in, String scope, boolean nameRequired) {
    if (in == null) {
      return List.of();
    }
    List<Credential> out = new ArrayList<>(in.size());
    Map<String, Integer> names = new HashMap<>();
    for (int i = 0; i < in.size(); i++) {
      Credential c = in.get(i);
      String where = scope + "[" + i + "]";
      if (c == null) {
        throw new ConfigException(where + ": must not be empty");
      }
      String name = c.name();
      if (name == null) {
        if (c.basicAuth() != null) {
          name = c.basicAuth().username();
        } else if (nameRequired) {
          throw new ConfigException(where + ": name is required for a bearer token (approvals record who approved)");
        } else {
          name = scope + "[" + i + "]";
        }
      }
      Integer first = names.putIfAbsent(name, i);
      if (first != null) {
        throw new ConfigException(where + ": duplicate name \"" + name + "\"; first used by " + scope + "[" + first + "]");
      }
      out.add(new Credential(name, c.bearerToken(), null, c.basicAuth()));
    }
    return List.copyOf(out);
  }

  /** One secret must not open two scopes: the webhook token must not also be an operator's. */
  private static void checkSeparate(List<Credential> a, String scopeA, List<Credential> b, String scopeB) {
    for (Credential x : a) {
      for (Credential y : b) {
        if (x.sameSecretAs(y)) {
          throw new ConfigException(scopeA + " \"" + x.name() + "\" and " + scopeB + " \"" + y.name()
              + "\" use the same credentials; give each scope its own");
        }
      }
    }
  }

  /**
   * One credential: a bearer token or a basic-auth user, never both.
   *
   * @param name who this is: an operator's name is recorded with each approval; defaults to the
   *     basic-auth username. {@code [A-Za-z0-9][A-Za-z0-9._@+-]*}, at most 64 characters
   * @param bearerToken the token of {@code Authorization: Bearer <token>} (inline or {@code ${env:VAR}})
   * @param bearerTokenFile file holding the token (surrounding whitespace stripped), like
   *     Alertmanager's {@code credentials_file}
   * @param basicAuth a basic-auth user
   */
  public record Credential(String name, Secret bearerToken, String bearerTokenFile, BasicAuth basicAuth) {
    public Credential {
      if (name != null && !NAME.matcher(name).matches()) {
        throw new ConfigException("invalid name \"" + name + "\": use letters, digits and . _ @ + -"
            + " (at most 64 characters)");
      }
      if (bearerToken != null && bearerTokenFile != null) {
        throw new ConfigException("at most one of bearer_token and bearer_token_file may be set");
      }
      if (bearerTokenFile != null) {
        bearerToken = Secret.fromFile(Path.of(bearerTokenFile), "server.auth.bearer_token_file");
      }
      if (bearerToken != null && basicAuth != null) {
        throw new ConfigException("a credential is either a bearer token or basic_auth, not both");
      }
      if (bearerToken == null && basicAuth == null) {
        throw new ConfigException("a credential needs bearer_token, bearer_token_file or basic_auth");
      }
      if (bearerToken != null && (bearerToken.reveal().isEmpty() || !isToken68(bearerToken.reveal()))) {
        throw new ConfigException("the bearer token must be non-empty and free of spaces and control characters"
            + (bearerTokenFile != null ? " (" + bearerTokenFile + ")" : ""));
      }
    }

    /** Whether this credential has the same secret as {@code other} (not constant-time: config checks only). */
    boolean sameSecretAs(Credential other) {
      if (bearerToken != null && other.bearerToken != null) {
        return bearerToken.reveal().equals(other.bearerToken.reveal());
      }
      if (basicAuth != null && other.basicAuth != null) {
        return basicAuth.username().equals(other.basicAuth.username())
            && basicAuth.password().reveal().equals(other.basicAuth.password().reveal());
      }
      return false;
    }

    private static boolean isToken68(String s) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c <= ' ' || c == 0x7f) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * A basic-auth user (RFC 7617), as Alertmanager's {@code basic_auth} sends it.
   *
   * @param username the user; must not contain {@code :}
   * @param password the password (inline or {@code ${env:VAR}})
   * @param passwordFile file holding the password (surrounding whitespace stripped)
   */
  public record BasicAuth(String username, Secret password, String passwordFile) {
    public BasicAuth {
      if (username == null || username.isEmpty()) {
        throw new ConfigException("basic_auth.username is required");
      }
      if (username.indexOf(':') >= 0 || username.chars().anyMatch(c -> c < ' ' || c == 0x7f)) {
        throw new ConfigException("basic_auth.username must not contain ':' or control characters");
      }
      if (password != null && passwordFile != null) {
        throw new ConfigException("at most one of basic_auth.password and basic_auth.password_file may be set");
      }
      if (passwordFile != null) {
        password = Secret.fromFile(Path.of(passwordFile), "server.auth.basic_auth.password_file");
      }
      if (password == null || password.reveal().isEmpty()) {
        throw new ConfigException("basic_auth for \"" + username + "\" needs a non-empty password or password_file");
      }
    }
  }
}
