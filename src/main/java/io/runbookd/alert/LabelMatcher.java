package io.runbookd.alert;

import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One Alertmanager label matcher: {@code name="value"}, {@code name!="value"}, {@code name=~"regex"}
 * or {@code name!~"regex"}.
 *
 * <p>Follows Alertmanager's {@code pkg/labels} matchers
 * (https://prometheus.io/docs/alerting/latest/configuration/#matcher): regexes use RE2 syntax and
 * match in linear time ({@link LinearPattern}), are anchored at both ends ({@code ^(?:regex)$}, with
 * {@code .} matching newlines too) and compiled when parsed; a label the alert does not carry matches as the
 * empty string; values may be double-quoted (with {@code \"}, {@code \\} and {@code \n} escapes) or
 * bare.
 */
public final class LabelMatcher {

  /** The matcher operator. */
  public enum Op {
    EQUAL("="),
    NOT_EQUAL("!="),
    REGEX("=~"),
    NOT_REGEX("!~");

    private final String symbol;

    Op(String symbol) {
      this.symbol = symbol;
    }

    /** The operator as written, e.g. {@code =~}. */
    public String symbol() {
      return symbol;
    }
  }

  private static final Pattern NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  private final String name;
  private final Op op;
  private final String value;
  private final LinearPattern regex;

  private LabelMatcher(String name, Op op, String value, LinearPattern regex) {
    this.name = name;
    this.op = op;
    this.value = value;
    this.regex = regex;
  }

  /**
   * Builds a matcher from its parts; a regex value is compiled and anchored.
   *
   * @throws IllegalArgumentException for an invalid label name, an invalid regular expression, or
   *     one RE2 cannot express (e.g. with a backreference or a lookahead)
   */
  public static LabelMatcher of(String name, Op op, String value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(value, "value");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid label name \"" + name + "\"");
    }
    LinearPattern p = null;
    if (op == Op.REGEX || op == Op.NOT_REGEX) {
      try {
        p = LinearPattern.compile("^(?:" + value + ")$", true);
      } catch (LinearPattern.SyntaxException e) {
        throw new IllegalArgumentException((e.unsupported() ? "unsupported" : "invalid") + " regular expression \""
            + value + "\": " + e.description(), e);
      }
    }
    return new LabelMatcher(name, op, value, p);
  }

  /**
   * Parses one matcher such as {@code alertname=~"KafkaConnect(Task|Connector)Failure"}. Surrounding
   * braces, as in {@code {severity="page"}}, are accepted when they enclose exactly one matcher.
   *
   * @throws IllegalArgumentException with a human-readable reason when the text is not a matcher
   */
  public static LabelMatcher parse(String text) {
    Objects.requireNonNull(text, "text");
    String s = text.strip();
    if (s.startsWith("{") && s.endsWith("}")) {
      s = s.substring(1, s.length() - 1).strip();
    }
    int i = 0;
    while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
      i++;
    }
    String name = s.substring(0, i);
    if (name.isEmpty()) {
      throw new IllegalArgumentException("matcher \"" + text + "\" does not start with a label name");
    }
    String rest = s.substring(i).stripLeading();
    Op op;
    if (rest.startsWith("=~")) {
      op = Op.REGEX;
    } else if (rest.startsWith("!~")) {
      op = Op.NOT_REGEX;
    } else if (rest.startsWith("!=")) {
      op = Op.NOT_EQUAL;
    } else if (rest.startsWith("=")) {
      op = Op.EQUAL;
    } else {
      throw new IllegalArgumentException(
          "matcher \"" + text + "\" has no operator after \"" + name + "\" (use =, !=, =~ or !~)");
    }
    String raw = rest.substring(op.symbol().length()).strip();
    String value;
    if (raw.startsWith("\"")) {
      value = unquote(raw, text);
    } else {
      if (raw.contains("\"") || raw.contains(",")) {
        throw new IllegalArgumentException(
            "matcher \"" + text + "\" has '\"' or ',' in an unquoted value; quote the whole value, e.g. "
                + name + op.symbol() + "\"...\"");
      }
      value = raw;
    }
    return of(name, op, value);
  }

  private static String unquote(String raw, String text) {
    StringBuilder out = new StringBuilder();
    int i = 1;
    while (i < raw.length()) {
      char c = raw.charAt(i);
      if (c == '\\') {
        if (i + 1 >= raw.length()) {
          break;
        }
        char n = raw.charAt(i + 1);
        switch (n) {
          case '"' -> out.append('"');
          case '\\' -> out.append('\\');
          case 'n' -> out.append('\n');
          default -> out.append('\\').append(n);
        }
        i += 2;
      } else if (c == '"') {
        if (i != raw.length() - 1) {
          if (raw.substring(i + 1).strip().startsWith(",")) {
            throw new IllegalArgumentException(
                "matcher \"" + text + "\" has more than one matcher; write one matcher per list item");
          }
          throw new IllegalArgumentException("matcher \"" + text + "\" has text after the closing quote");
        }
        return out.toString();
      } else {
        out.append(c);
        i++;
      }
    }
    throw new IllegalArgumentException("matcher \"" + text + "\" has an unterminated quoted value");
  }

  /** True when the labels satisfy this matcher (a missing label, or a null value, is the empty string). */
  public boolean matches(Map<String, String> labels) {
    String v = labels.get(name);
    if (v == null) {
      v = "";
    }
    return switch (op) {
      case EQUAL -> v.equals(value);
      case NOT_EQUAL -> !v.equals(value);
      case REGEX -> regex.matches(v);
      case NOT_REGEX -> !regex.matches(v);
    };
  }

  public String name() {
    return name;
  }

  public Op op() {
    return op;
  }

  public String value() {
    return value;
  }

  /** Renders in Alertmanager syntax with a quoted value, e.g. {@code connector=~"pg-.*"}. */
  @Override
  public String toString() {
    String escaped = value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    return name + op.symbol() + "\"" + escaped + "\"";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelMatcher m && m.name.equals(name) && m.op == op && m.value.equals(value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, op, value);
  }
}
