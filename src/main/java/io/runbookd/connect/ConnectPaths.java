package io.runbookd.connect;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Request paths of the Connect REST API, with every name percent-encoded as one path segment.
 *
 * <p>Connector names are user data (they come from alert labels), so a name such as {@code a/b},
 * {@code ../x} or {@code x\r\nHeader: y} must not change the path or the request: every byte outside
 * RFC 3986 {@code unreserved} ({@code A-Z a-z 0-9 - . _ ~}) is written as {@code %XX} of its UTF-8
 * encoding, and a segment that is exactly {@code .} or {@code ..} has its dots encoded too so that no
 * client, proxy or server removes it as a dot-segment. Spaces become {@code %20}, never {@code +}.
 */
final class ConnectPaths {

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private ConnectPaths() {}

  /** {@code /connectors/{name}} followed by {@code suffix} (e.g. {@code /status}). */
  static String connector(String name, String suffix) {
    return "/connectors/" + segment(name) + suffix;
  }

  /** {@code /connectors/{name}/tasks/{task}/restart}. */
  static String taskRestart(String name, int task) {
    if (task < 0) {
      throw new IllegalArgumentException("task id must be >= 0, got " + task);
    }
    return connector(name, "/tasks/" + task + "/restart");
  }

  /** {@code /connector-plugins/{class}/config/validate}. */
  static String validate(String connectorClass) {
    return "/connector-plugins/" + segment(connectorClass) + "/config/validate";
  }

  /**
   * Percent-encodes {@code value} as a single path segment.
   *
   * @throws IllegalArgumentException when {@code value} is empty (it would address another resource)
   */
  static String segment(String value) {
    Objects.requireNonNull(value, "name");
    if (value.isEmpty()) {
      throw new IllegalArgumentException("a connector or plugin name must not be empty");
    }
    if (value.equals(".") || value.equals("..")) {
      return value.replace(".", "%2E");
    }
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length * 3);
    for (byte b : bytes) {
      int c = b & 0xFF;
      if (isUnreserved(c)) {
        out.append((char) c);
      } else {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0x0F]);
      }
    }
    return out.toString();
  }

  private static boolean isUnreserved(int c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
        || c == '-' || c == '.' || c == '_' || c == '~';
  }
}
