package io.runbookd.http;

import io.runbookd.config.AuthConfig;
import io.runbookd.config.Secret;
import io.runbookd.config.TlsConfig;
import io.runbookd.metrics.RunbookdMetrics;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authentication of every request, before any other handler (so before the body is read).
 *
 * <p>Each request falls in one {@link Scope} by its normalized path (see {@link #scope}). A scope
 * with credentials in {@code server.auth} requires an {@code Authorization} header that matches one
 * of them: {@code Bearer <token>} or {@code Basic base64(user:password)}, as Alertmanager's
 * {@code http_config} sends them. Otherwise the request gets 401 with {@code WWW-Authenticate} and
 * {@code {"error_code":401,"message":...}}, and no other handler runs: nothing is read, recorded or
 * remediated. Comparisons are constant-time (SHA-256 digests compared with
 * {@link MessageDigest#isEqual}, every credential of the scope checked). Neither the presented nor
 * the configured secret is ever logged.
 *
 * <p>The authenticated name is kept in the routing context: handlers (approvals) read it with
 * {@link #principal(RoutingContext)}.
 *
 * <p>Read-only viewers ({@code server.auth.viewers}) are accepted in the operator scope for reads only
 * ({@link #readOnly}): {@code GET}/{@code HEAD}, and the web page's explain form, which changes nothing.
 * Any other request of a viewer is answered 403 before its body is read; {@link #canDecide} tells the
 * web page whether to show decision buttons.
 */
public final class Auth implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(Auth.class);

  /** The principal of a request to a scope without credentials. */
  public static final String ANONYMOUS = "anonymous";

  static final String PRINCIPAL_KEY = "runbookd.principal";
  static final String VIEWER_KEY = "runbookd.viewer";
  static final String REALM = "runbookd";

  /** Which credentials an endpoint requires. */
  public enum Scope {
    /** {@code /-/healthy}, {@code /-/ready}: always open, for probes and load balancers. */
    OPEN,
    /** {@code POST /api/v1/alerts}: {@code server.auth.webhook}. */
    WEBHOOK,
    /** Every other {@code /api/...} endpoint, {@code /-/reload}, and anything unknown: {@code server.auth.operators}. */
    OPERATOR,
    /** {@code /metrics}: {@code server.auth.metrics}, or an operator. */
    METRICS
  }

  private final Checker webhook;
  private final Checker operators;
  private final Checker metrics;
  private final Checker viewers;
  private final RunbookdMetrics counters;

  /**
   * @param config the credentials per scope
   * @param counters where a 401 of the webhook is counted ({@code runbookd_webhook_requests_total{code="401"}})
   */
  public Auth(AuthConfig config, RunbookdMetrics counters) {
    Objects.requireNonNull(config, "config");
    this.webhook = new Checker(config.webhook());
    this.operators = new Checker(config.operators());
    List<AuthConfig.Credential> scrapers = new ArrayList<>(config.metrics());
    if (!scrapers.isEmpty()) {
      scrapers.addAll(config.operators());
    }
    this.metrics = new Checker(scrapers);
    this.viewers = new Checker(config.viewers());
    this.counters = counters;
  }

  /**
   * The name of whoever made this request: the operator (or webhook credential) it authenticated
   * as, or {@link #ANONYMOUS} when its scope requires no credentials. For approvals: "who approved".
   */
  public static String principal(RoutingContext ctx) {
    String p = ctx.get(PRINCIPAL_KEY);
    return p == null ? ANONYMOUS : p;
  }

  /**
   * Whether this request may decide (approve, reject, reload): false only for a read-only viewer
   * ({@code server.auth.viewers}).
   */
  public static boolean canDecide(RoutingContext ctx) {
    return ctx.get(VIEWER_KEY) == null;
  }

  /**
   * Whether a request only reads: {@code GET} and {@code HEAD}, and {@code POST /ui/explain} (the web
   * page's explain form evaluates a pasted body against the rules and records nothing).
   */
  public static boolean readOnly(HttpMethod method, String normalizedPath) {
    if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
      return true;
    }
    String p = normalizedPath == null ? "/" : normalizedPath;
    while (p.length() > 1 && p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return method == HttpMethod.POST && p.equals("/ui/explain");
  }

  /** Whether this request presented valid credentials (false when its scope is open). */
  public static boolean authenticated(RoutingContext ctx) {
    return ctx.get(PRINCIPAL_KEY) != null;
  }

  /**
   * The scope of a request. Pure: depends only on the method and the normalized path (the path the
   * router matches, after dot-segments and percent-encoded unreserved characters are resolved), so
   * that {@code /api/v1/../v1/incidents} or {@code /api/v1/%69ncidents} cannot slip past.
   */
  public static Scope scope(HttpMethod method, String normalizedPath) {
    String p = normalizedPath == null ? "/" : normalizedPath;
    while (p.length() > 1 && p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    if (p.equals("/api/v1/alerts") && (method == HttpMethod.POST)) {
      return Scope.WEBHOOK;
    }
    if (p.equals("/-/healthy") || p.equals("/-/ready")) {
      return Scope.OPEN;
    }
    if (p.equals("/metrics")) {
      return Scope.METRICS;
    }
    return Scope.OPERATOR;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Scope scope = scope(ctx.request().method(), ctx.normalizedPath());
    Checker checker = switch (scope) {
      case OPEN -> null;
      case WEBHOOK -> webhook;
      case OPERATOR -> operators;
      case METRICS -> metrics;
    };
    if (checker == null || checker.isOpen()) {
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    Result r = checker.check(header);
    if (r.principal() != null) {
      ctx.put(PRINCIPAL_KEY, r.principal());
      ctx.next();
      return;
    }
    if (scope == Scope.OPERATOR && !viewers.isOpen()) {
      Result v = viewers.check(header);
      if (v.principal() != null) {
        if (readOnly(ctx.request().method(), ctx.normalizedPath())) {
          ctx.put(PRINCIPAL_KEY, v.principal());
          ctx.put(VIEWER_KEY, Boolean.TRUE);
          ctx.next();
          return;
        }
        LOG.warn("viewer={} remote={} method={} path={} msg=\"refused: a read-only viewer may not change anything\"",
            v.principal(), ctx.request().remoteAddress() == null ? "-" : ctx.request().remoteAddress().hostAddress(),
            ctx.request().method(), ctx.normalizedPath());
        if (!ctx.request().isEnded()) {
          ctx.response().putHeader("Connection", "close");
        }
        ErrorResponse.send(ctx, 403, "\"" + v.principal() + "\" is a read-only viewer (server.auth.viewers): only"
            + " operators may decide");
        return;
      }
    }
    LOG.warn("scope={} remote={} method={} path={} msg=\"authentication failed: {}\"", scope.name().toLowerCase(Locale.ROOT),
        ctx.request().remoteAddress() == null ? "-" : ctx.request().remoteAddress().hostAddress(),
        ctx.request().method(), ctx.normalizedPath(), r.reason());
    if (scope == Scope.WEBHOOK && counters != null) {
      counters.webhookRequest(401);
    }
    for (String challenge : checker.challenges()) {
      ctx.response().headers().add("WWW-Authenticate", challenge);
    }
    // The body (if any) is never read: ask the client not to reuse the connection for the rest of it.
    if (!ctx.request().isEnded()) {
      ctx.response().putHeader("Connection", "close");
    }
    ErrorResponse.send(ctx, 401, r.reason());
  }

  /**
   * Warnings about what the configuration leaves open, for the start-up log: every open scope, and
   * credentials sent in clear text on a non-loopback listener. Empty when everything is closed.
   */
  public static List<String> warnings(AuthConfig auth, TlsConfig tls, String host) {
    List<String> out = new ArrayList<>();
    if (!auth.enabled()) {
      out.add("NO AUTHENTICATION CONFIGURED: anyone who can reach this listener can post alerts that trigger"
          + " remediations, read incidents and rules, and reload rules. Set server.auth (see README \"Security\")");
      return out;
    }
    if (auth.webhook().isEmpty()) {
      out.add("server.auth.webhook is not set: POST /api/v1/alerts accepts alerts from anyone who can reach this listener");
    }
    if (auth.operators().isEmpty()) {
      out.add("server.auth.operators is not set: the API (/api/v1/incidents, /api/v1/rules, approvals) and POST /-/reload"
          + " are open to anyone who can reach this listener");
    }
    boolean loopback = host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
    if (tls == null && !loopback) {
      out.add("server.tls is not set: credentials cross the network in clear text; set server.tls or terminate TLS in front");
    }
    return out;
  }

  /** The outcome of one check: the principal, or the reason it failed. */
  record Result(String principal, String reason) {}

  /** The credentials of one scope, digested once. */
  static final class Checker {
    private final List<Bearer> bearers = new ArrayList<>();
    private final List<Basic> basics = new ArrayList<>();

    private record Bearer(String name, byte[] token) {}

    private record Basic(String name, byte[] username, byte[] password) {}

    Checker(List<AuthConfig.Credential> credentials) {
      for (AuthConfig.Credential c : credentials) {
        if (c.bearerToken() != null) {
          bearers.add(new Bearer(c.name() == null ? "bearer" : c.name(), Secret.digest(c.bearerToken().reveal())));
        } else {
          basics.add(new Basic(c.name() == null ? c.basicAuth().username() : c.name(), Secret.digest(c.basicAuth().username()),
              Secret.digest(c.basicAuth().password().reveal())));
        }
      }
    }

    boolean isOpen() {
      return bearers.isEmpty() && basics.isEmpty();
    }

    List<String> challenges() {
      List<String> out = new ArrayList<>(2);
      if (!bearers.isEmpty()) {
        out.add("Bearer realm=\"" + REALM + "\"");
      }
      if (!basics.isEmpty()) {
        out.add("Basic realm=\"" + REALM + "\", charset=\"UTF-8\"");
      }
      return out;
    }

    /** Checks an {@code Authorization} header value against every credential (no early exit). */
    Result check(String header) {
      if (header == null || header.isBlank()) {
        return new Result(null, "authentication required: send " + expected() + " in the Authorization header");
      }
      String h = header.strip();
      int sp = h.indexOf(' ');
      String scheme = sp < 0 ? h : h.substring(0, sp);
      String param = sp < 0 ? "" : h.substring(sp + 1).strip();
      if (scheme.equalsIgnoreCase("Bearer")) {
        if (bearers.isEmpty()) {
          return new Result(null, "bearer tokens are not accepted here; send " + expected());
        }
        byte[] presented = Secret.digest(param);
        String match = null;
        for (Bearer b : bearers) {
          if (MessageDigest.isEqual(b.token(), presented) && match == null) {
            match = b.name();
          }
        }
        return match != null ? new Result(match, null) : new Result(null, "invalid credentials");
      }
      if (scheme.equalsIgnoreCase("Basic")) {
        if (basics.isEmpty()) {
          return new Result(null, "basic auth is not accepted here; send " + expected());
        }
        String decoded;
        try {
          decoded = new String(Base64.getDecoder().decode(param), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          return new Result(null, "invalid credentials");
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
          return new Result(null, "invalid credentials");
        }
        byte[] user = Secret.digest(decoded.substring(0, colon));
        byte[] password = Secret.digest(decoded.substring(colon + 1));
        String match = null;
        for (Basic b : basics) {
          // Both comparisons always run (non-short-circuit &).
          if (MessageDigest.isEqual(b.username(), user) & MessageDigest.isEqual(b.password(), password) && match == null) {
            match = b.name();
          }
        }
        return match != null ? new Result(match, null) : new Result(null, "invalid credentials");
      }
      return new Result(null, "unsupported authorization scheme; send " + expected());
    }

    private String expected() {
      if (bearers.isEmpty()) {
        return "basic auth";
      }
      return basics.isEmpty() ? "a bearer token" : "a bearer token or basic auth";
    }
  }
}
