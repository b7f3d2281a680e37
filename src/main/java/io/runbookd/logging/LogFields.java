package io.runbookd.logging;

import io.runbookd.model.Incident;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.event.KeyValuePair;
import org.slf4j.helpers.MessageFormatter;

/**
 * runbookd's log calls as fields: a call written {@code LOG.info("{} attempt={} msg=\"started: {}\"",
 * inc.context(), 2, plan)} becomes the fields {@code incident, rule, cluster, connector, attempt} (the
 * values are the call's arguments, never text cut out of a formatted line) and the message
 * {@code started: <plan>}. The encoders then write the fields as JSON members or escaped logfmt pairs.
 *
 * <p>The format, before an optional final {@code msg="..."}, is a list of blank-separated items: a
 * {@code key=} followed by text with {@code {}} placeholders, or a lone {@code {}} whose argument is a
 * {@link Incident.LogContext} (its fields are added in order). A key whose value is a single {@code {}} with a null
 * argument is left out; one whose value is a single {@code {}} with a number or boolean argument keeps it as is
 * (JSON writes {@code "took_ms":12}, not {@code "12"}); every other value is text. {@code \"} inside
 * {@code msg="..."} is a quote of the message. A call without {@code msg="..."} gets its fields as message
 * ({@code key=value ...}), so no line has an empty one. A key that names a member every line has ({@link #RESERVED}: {@code level},
 * {@code logger}, ...) is written {@code field_<key>}, so it cannot repeat or shadow it. A call in any other shape
 * (a third-party library's, or a plain sentence) has no fields: its whole formatted text is the message.
 */
public final class LogFields {
  /** Names of the members of every line (logfmt and JSON): a call's key of that name is prefixed {@code field_}. */
  public static final java.util.Set<String> RESERVED =
      java.util.Set.of("ts", "level", "logger", "thread", "msg", "message", "stack_trace", "@timestamp");

  private LogFields() {}

  /** The fields and the message of one log call. */
  public record Parsed(List<KeyValuePair> fields, String message) {}

  /** The fields and message of {@code format} with {@code args}; a call in no known shape is all message. */
  public static Parsed parse(String format, Object[] args) {
    Object[] a = args == null ? new Object[0] : args;
    Parsed p = structured(format, a);
    return p != null ? p : new Parsed(List.of(), MessageFormatter.arrayFormat(format, a).getMessage());
  }

  private static Parsed structured(String format, Object[] args) {
    String head = format;
    String template = null;
    int m = format.startsWith("msg=\"") ? 0 : format.indexOf(" msg=\"");
    if (m >= 0) {
      int start = m == 0 ? 5 : m + 6;
      if (!format.endsWith("\"") || format.length() <= start) {
        return null;
      }
      head = format.substring(0, m);
      template = format.substring(start, format.length() - 1);
    }
    List<KeyValuePair> fields = new ArrayList<>();
    int next = 0;
    for (String item : head.split(" ")) {
      if (item.isEmpty()) {
        continue;
      }
      if (item.equals("{}")) {
        if (next >= args.length || !(args[next] instanceof Incident.LogContext c)) {
          return null;
        }
        next++;
        c.fields().forEach((k, v) -> {
          if (v != null) {
            fields.add(new KeyValuePair(k, v instanceof Number || v instanceof Boolean ? v : String.valueOf(v)));
          }
        });
        continue;
      }
      int eq = item.indexOf('=');
      if (eq <= 0 || !item.substring(0, eq).matches("[a-z_][a-z0-9_.]*")) {
        return null;
      }
      String key = RESERVED.contains(item.substring(0, eq)) ? "field_" + item.substring(0, eq) : item.substring(0, eq);
      String value = item.substring(eq + 1);
      int n = placeholders(value);
      if (next + n > args.length) {
        return null;
      }
      Object[] own = Arrays.copyOfRange(args, next, next + n);
      next += n;
      if (value.equals("{}") && own[0] == null) {
        continue;
      }
      if (value.equals("{}") && (own[0] instanceof Number || own[0] instanceof Boolean)) {
        fields.add(new KeyValuePair(key, own[0]));
      } else {
        fields.add(new KeyValuePair(key, MessageFormatter.arrayFormat(value, own).getMessage()));
      }
    }
    if (template == null) {
      if (next != args.length) {
        return null;
      }
      String text = String.join(" ", fields.stream().map(kv -> kv.key + "=" + kv.value).toList());
      return new Parsed(fields, text.isEmpty() ? MessageFormatter.arrayFormat(format, args).getMessage() : text);
    }
    Object[] rest = Arrays.copyOfRange(args, next, args.length);
    if (placeholders(template) != rest.length) {
      return null;
    }
    return new Parsed(fields, MessageFormatter.arrayFormat(template.replace("\\\"", "\""), rest).getMessage());
  }

  private static int placeholders(String s) {
    int n = 0;
    for (int i = s.indexOf("{}"); i >= 0; i = s.indexOf("{}", i + 2)) {
      n++;
    }
    return n;
  }
}
