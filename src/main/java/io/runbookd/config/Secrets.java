package io.runbookd.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The secret values of a configuration, and the one place that masks them in any text: every
 * occurrence of a value is replaced by {@link Redact#MASK}, whatever the text is (a log line, a
 * receiver's error body that echoes the request path, an exception message with a URL, a stored step
 * error, an API answer, the start-up error).
 *
 * <p>What counts as a secret value (see {@link #of(RunbookdConfig)}): passwords, bearer tokens,
 * routing keys, every notifier header value (and its credentials after an auth scheme), a notifier
 * URL (whole, and its path and query: Slack, Teams and many webhook URLs carry their token there), the
 * user info and secret parameters of a Connect or JDBC URL, and the {@code Basic} encoding of each
 * configured user and password. Values shorter than {@link #MIN_LENGTH} characters are not searched
 * for: they would mask ordinary words.
 *
 * <p>A JVM-wide registry ({@link #remember}, {@link #redactKnown}) holds the values of every
 * configuration loaded by {@link ConfigLoader}, so that components built without the configuration
 * at hand (the log filter, error paths) mask them too. Values are only ever added.
 *
 * @param values the values to mask, longest first (so a URL is masked before its path)
 */
public record Secrets(List<String> values) {
  /** Values shorter than this are not masked: they would hide ordinary words. */
  public static final int MIN_LENGTH = 4;

  private static final Pattern SECRET_PARAM = Pattern.compile(
      "(?i)[?&;](?:password|passwd|pwd|sslpassword|token|access_token|secret|api_key|apikey|key|routing_key|sig|signature)=([^&;#]*)");
  private static final Pattern AUTH_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9._-]*\\s+(\\S.*)$");

  /** No secrets: {@link #redact} returns its input. */
  public static final Secrets NONE = new Secrets(List.of());

  private static volatile Secrets known = NONE;

  public Secrets {
    Objects.requireNonNull(values, "values");
    Set<String> kept = new LinkedHashSet<>();
    for (String v : values) {
      if (v != null && v.length() >= MIN_LENGTH) {
        kept.add(v);
      }
    }
    List<String> sorted = new ArrayList<>(kept);
    sorted.sort(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()));
    values = List.copyOf(sorted);
  }

  /** The secret values of {@code config} (see the class description for which). */
  public static Secrets of(RunbookdConfig config) {
    List<String> out = new ArrayList<>();
    var store = config.store();
    secret(out, store.password());
    url(out, store.jdbcUrl(), false);
    if (store.username() != null && store.password() != null) {
      basic(out, store.username(), store.password().reveal());
      out.add(store.username() + ":" + store.password().reveal());
    }
    config.connectClusters().values().forEach(c -> {
      secret(out, c.password());
      url(out, c.url(), false);
      if (c.username() != null && c.password() != null) {
        basic(out, c.username(), c.password().reveal());
        out.add(c.username() + ":" + c.password().reveal());
      }
    });
    config.notifiers().values().forEach(n -> {
      secret(out, n.routingKey());
      if (n.url() != null) {
        url(out, n.url().reveal(), true);
      }
      n.headers().values().forEach(v -> {
        out.add(v);
        Matcher m = AUTH_SCHEME.matcher(v);
        if (m.matches()) {
          out.add(m.group(1));
        }
      });
    });
    config.alertmanagers().values().forEach(a -> {
      secret(out, a.password());
      secret(out, a.bearerToken());
      url(out, a.url(), false);
      if (a.username() != null && a.password() != null) {
        basic(out, a.username(), a.password().reveal());
        out.add(a.username() + ":" + a.password().reveal());
      }
    });
    AuthConfig auth = config.server().auth();
    for (List<AuthConfig.Credential> scope : List.of(auth.webhook(), auth.operators(), auth.metrics(), auth.viewers())) {
      for (AuthConfig.Credential c : scope) {
        secret(out, c.bearerToken());
        if (c.basicAuth() != null) {
          secret(out, c.basicAuth().password());
          basic(out, c.basicAuth().username(), c.basicAuth().password().reveal());
        }
      }
    }
    return new Secrets(out);
  }

  /** These values and {@code other}'s. */
  public Secrets and(Secrets other) {
    List<String> all = new ArrayList<>(values);
    all.addAll(other.values);
    return new Secrets(all);
  }

  /**
   * {@code text} with every occurrence of every value replaced by {@link Redact#MASK}; null stays null.
   * Linear in the text's length times the number of values.
   */
  public String redact(String text) {
    if (text == null || values.isEmpty()) {
      return text;
    }
    String out = text;
    for (String v : values) {
      if (out.contains(v)) {
        out = out.replace(v, Redact.MASK);
      }
    }
    return out;
  }

  /** Whether {@code text} contains any value. */
  public boolean appearsIn(String text) {
    if (text == null) {
      return false;
    }
    for (String v : values) {
      if (text.contains(v)) {
        return true;
      }
    }
    return false;
  }

  /** Adds {@code secrets} to the JVM-wide registry (values are never removed). */
  public static synchronized void remember(Secrets secrets) {
    Objects.requireNonNull(secrets, "secrets");
    if (!known.values.containsAll(secrets.values)) {
      known = known.and(secrets);
    }
  }

  /** The JVM-wide registry: every value of every configuration loaded so far. */
  public static Secrets known() {
    return known;
  }

  /** {@code text} with every value of the JVM-wide registry masked; null stays null. */
  public static String redactKnown(String text) {
    return known.redact(text);
  }

  private static void secret(List<String> out, Secret s) {
    if (s != null) {
      out.add(s.reveal());
    }
  }

  /** {@code user:password} as {@code Authorization: Basic} sends it (RFC 7617). */
  private static void basic(List<String> out, String user, String password) {
    out.add(Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * The secret parts of a URL: its user info (whole, its password, raw and decoded), the values of
   * secret parameters, and for a notifier URL the whole URL and its path and query (raw and decoded).
   */
  private static void url(List<String> out, String url, boolean wholeIsSecret) {
    if (url == null) {
      return;
    }
    if (wholeIsSecret) {
      out.add(url);
      out.add(url.strip());
    }
    Matcher p = SECRET_PARAM.matcher(url);
    while (p.find()) {
      out.add(p.group(1));
      out.add(decode(p.group(1)));
    }
    String forUri = url.strip();
    if (forUri.startsWith("jdbc:")) {
      forUri = forUri.substring("jdbc:".length());
    }
    URI u;
    try {
      u = new URI(forUri);
    } catch (URISyntaxException e) {
      userInfoByHand(out, url);
      return;
    }
    String userInfo = u.getRawUserInfo();
    if (userInfo == null && u.getRawAuthority() == null) {
      userInfoByHand(out, url);
    }
    if (userInfo != null) {
      addUserInfo(out, userInfo);
    }
    if (wholeIsSecret) {
      String path = u.getRawPath();
      String query = u.getRawQuery();
      if (path != null && path.length() > 1) {
        out.add(path);
        out.add(decode(path));
        if (query != null) {
          out.add(path + "?" + query);
        }
      }
      if (query != null) {
        out.add(query);
        out.add(decode(query));
      }
    }
  }

  /** User info of a text that is not a URI (so a typo in the rest of the URL still masks its password). */
  private static void userInfoByHand(List<String> out, String url) {
    int scheme = url.indexOf("//");
    int at = url.lastIndexOf('@');
    if (scheme >= 0 && at > scheme + 2) {
      addUserInfo(out, url.substring(scheme + 2, at));
    }
  }

  private static void addUserInfo(List<String> out, String userInfo) {
    int colon = userInfo.indexOf(':');
    if (colon >= 0) {
      // a user name alone is not a secret (and masking it would hide e.g. the service's name)
      out.add(userInfo);
      out.add(decode(userInfo));
      String password = userInfo.substring(colon + 1);
      out.add(password);
      out.add(decode(password));
      basic(out, decode(userInfo.substring(0, colon)), decode(password));
    }
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }

  @Override
  public String toString() {
    return "Secrets[" + values.size() + " values]";
  }
}
