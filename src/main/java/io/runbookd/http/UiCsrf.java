package io.runbookd.http;

import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Protection of the web page's decisions against cross-site request forgery. Browsers send basic-auth
 * credentials (and client certificates) with any request to the origin, including one a hostile page
 * makes them send, so credentials alone do not show that the operator meant it. Two checks, following
 * the OWASP CSRF Prevention Cheat Sheet
 * (https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html):
 *
 * <ul>
 *   <li>a synchronizer token: HMAC-SHA256 of the principal under a random key made at start-up, written
 *       into the page (a hidden form field, and the {@code X-CSRF-Token} header htmx sends). Another site
 *       cannot read our pages (same-origin policy), so it cannot know the token; tokens are per principal,
 *       so one operator's token is worthless with another's credentials. A restart makes a new key: pages
 *       open before it must be reloaded;
 *   <li>the origin: a request whose {@code Sec-Fetch-Site} is {@code cross-site} or {@code same-site}, or
 *       whose {@code Origin} is not this listener's {@code Host}, is refused even with a token.
 * </ul>
 */
final class UiCsrf {
  static final String FIELD = "_csrf";
  static final String HEADER = "X-CSRF-Token";

  private final byte[] key = new byte[32];

  UiCsrf() {
    new SecureRandom().nextBytes(key);
  }

  /** The token of {@code principal}: base64url without padding, 43 characters. */
  String token(String principal) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] sig = mac.doFinal(("runbookd-ui-csrf\0" + principal).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /**
   * Why this state-changing request must be refused, or null when it carries the principal's token and
   * comes from this origin.
   */
  String refusal(RoutingContext ctx) {
    String cross = crossSite(ctx);
    if (cross != null) {
      return cross;
    }
    String presented = ctx.request().getHeader(HEADER);
    if (presented == null) {
      presented = ctx.request().getFormAttribute(FIELD);
    }
    if (presented == null || presented.isEmpty()) {
      return "missing CSRF token: reload the page and try again";
    }
    byte[] expected = token(Auth.principal(ctx)).getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(expected, presented.getBytes(StandardCharsets.UTF_8))) {
      return "invalid CSRF token (the page is older than the server's last start, or belongs to another user):"
          + " reload the page and try again";
    }
    return null;
  }

  /**
   * Why a request was made by another site's page, or null: {@code Sec-Fetch-Site} says
   * {@code cross-site} or {@code same-site}, or {@code Origin} is not the {@code Host} it was sent to.
   * Browsers send these on cross-origin {@code POST}s; Alertmanager, curl and other tools send neither.
   */
  static String crossSite(RoutingContext ctx) {
    String site = ctx.request().getHeader("Sec-Fetch-Site");
    if (site != null && (site.equalsIgnoreCase("cross-site") || site.equalsIgnoreCase("same-site"))) {
      return "cross-site request refused (Sec-Fetch-Site: " + site.toLowerCase(Locale.ROOT) + ")";
    }
    String origin = ctx.request().getHeader("Origin");
    if (origin != null && !sameOrigin(origin, host(ctx))) {
      return "cross-site request refused (Origin " + origin + " is not this server)";
    }
    return null;
  }

  /** The host (and port) the request was sent to: HTTP/1.1's {@code Host}, HTTP/2's {@code :authority}. */
  private static String host(RoutingContext ctx) {
    io.vertx.core.net.HostAndPort a = ctx.request().authority();
    if (a != null) {
      return a.port() < 0 ? a.host() : a.host() + ":" + a.port();
    }
    return ctx.request().getHeader("Host");
  }

  /** Whether an {@code Origin} header names the host (and port) the request was sent to. */
  static boolean sameOrigin(String origin, String host) {
    if (host == null || origin.equals("null")) {
      return false;
    }
    try {
      URI u = URI.create(origin);
      if (u.getHost() == null) {
        return false;
      }
      String authority = u.getPort() < 0 ? u.getHost() : u.getHost() + ":" + u.getPort();
      String h = host.toLowerCase(Locale.ROOT);
      String a = authority.toLowerCase(Locale.ROOT);
      if (a.equals(h)) {
        return true;
      }
      // The default port may be left out of either one.
      int defaultPort = "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
      return a.equals(h + ":" + defaultPort) || (u.getPort() < 0 && h.equals(a + ":" + defaultPort));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
