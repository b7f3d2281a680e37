package io.runbookd.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.List;
import org.slf4j.event.KeyValuePair;

/**
 * logfmt pairs ({@code key=value}, the format of Heroku's and Grafana Loki's {@code logfmt} parser):
 * a value with a blank, {@code =}, {@code "}, a backslash or a control character is double-quoted, with
 * {@code \"}, {@code \\}, {@code \n}, {@code \r}, {@code \t} and {@code \}{@code u00XX} escapes, so
 * no value (label values and connector names are user data) can end its pair or forge a line.
 */
public final class Logfmt {
  private Logfmt() {}

  /** {@code key=value} pairs of the event's fields, then {@code msg=...}, blank-separated. */
  public static String fieldsAndMessage(ILoggingEvent e) {
    StringBuilder out = new StringBuilder();
    List<KeyValuePair> kvs = e.getKeyValuePairs();
    if (kvs != null) {
      for (KeyValuePair kv : kvs) {
        out.append(kv.key).append('=');
        value(out, String.valueOf(kv.value));
        out.append(' ');
      }
    }
    out.append("msg=");
    quoted(out, e.getFormattedMessage() == null ? "" : e.getFormattedMessage());
    return out.toString();
  }

  /** Appends {@code v} bare when it needs no quoting, else quoted and escaped. */
  static void value(StringBuilder out, String v) {
    boolean bare = !v.isEmpty();
    for (int i = 0; i < v.length() && bare; i++) {
      char c = v.charAt(i);
      bare = c > ' ' && c != '=' && c != '"' && c != '\\' && c != 0x7f;
    }
    if (bare) {
      out.append(v);
    } else {
      quoted(out, v);
    }
  }

  /** Appends {@code v} in double quotes, escaped. */
  static void quoted(StringBuilder out, String v) {
    out.append('"');
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < ' ' || c == 0x7f) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
