package io.runbookd.config;

import java.util.regex.Pattern;

/**
 * Masks the secret parts of values that are printed: the password of a URL's user info
 * ({@code https://user:pass@host}) and query or JDBC parameters that name a secret
 * ({@code ?password=...}, {@code ;token=...}).
 */
public final class Redact {
  public static final String MASK = "<redacted>";

  private static final Pattern USERINFO = Pattern.compile("(//[^/@:?#]*):[^/@?#]*@");
  private static final Pattern SECRET_PARAM = Pattern.compile(
      "(?i)([?&;](?:password|passwd|pwd|sslpassword|token|access_token|secret|api_key|apikey|key|routing_key|sig|signature)=)[^&;#]*");

  private Redact() {}

  /** {@code url} with the password of its user info and its secret parameters masked; null stays null. */
  public static String url(String url) {
    if (url == null) {
      return null;
    }
    String out = USERINFO.matcher(url).replaceAll("$1:" + MASK + "@");
    return SECRET_PARAM.matcher(out).replaceAll("$1" + MASK);
  }
}
