package io.runbookd.alert;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Rewrites a pattern that uses Java's free-spacing flag {@code x} ({@code (?x)}, {@code (?ix)},
 * {@code (?x:...)}) into the same pattern without it, because RE2 syntax has no {@code x} flag
 * (https://github.com/google/re2/wiki/Syntax).
 *
 * <p>Follows {@link java.util.regex.Pattern#COMMENTS} as Java applies it, so a pattern written for
 * Java keeps its meaning: while {@code x} is on, ASCII whitespace (space, tab, line feed, vertical
 * tab, form feed, carriage return) is dropped everywhere, inside character classes and quantifier
 * braces too, and {@code #} starts a comment that runs to the end of the line (line feed,
 * carriage return, U+0085, U+2028, U+2029); an escaped whitespace character
 * ({@code \ }) stays a literal (written {@code \x{20}}), an escaped {@code #} a literal {@code #},
 * and {@code \Q...\E} is copied as written. The flag is scoped like any other: a {@code (?x)} inside
 * a group ends with the group, {@code (?-x)} turns it off. A {@code ^} that Java reads as a class
 * member because whitespace stood between it and the {@code [} is escaped.
 *
 * <p>Also refuses the Java-only class syntax RE2 would read differently: a nested class
 * ({@code [a[b]]}) and an intersection ({@code [a-z&&[^x]]}).
 */
final class FreeSpacing {
  private final String in;
  private final StringBuilder out = new StringBuilder();
  private final Deque<Boolean> groups = new ArrayDeque<>();
  private boolean free;
  private int i;

  private FreeSpacing(String in) {
    this.in = in;
  }

  /**
   * The pattern without the {@code x} flag; the text itself when it has none.
   *
   * @throws IllegalArgumentException naming a Java-only construct RE2 would read differently
   */
  static String strip(String pattern) {
    FreeSpacing f = new FreeSpacing(pattern);
    f.run();
    return f.out.toString();
  }

  private void run() {
    while (i < in.length()) {
      char c = in.charAt(i);
      if (skipIgnorable()) {
        continue;
      }
      switch (c) {
        case '\\' -> escape();
        case '[' -> charClass();
        case '(' -> open();
        case ')' -> {
          free = groups.isEmpty() ? free : groups.pop();
          out.append(c);
          i++;
        }
        default -> {
          out.append(c);
          i++;
        }
      }
    }
  }

  /** In free-spacing mode, skips one run of whitespace or one comment; true when it skipped. */
  private boolean skipIgnorable() {
    if (!free || i >= in.length()) {
      return false;
    }
    char c = in.charAt(i);
    if (isSpace(c)) {
      i++;
      return true;
    }
    if (c == '#') {
      while (i < in.length() && !isLineSeparator(in.charAt(i))) {
        i++;
      }
      return true;
    }
    return false;
  }

  private void skipAllIgnorable() {
    while (skipIgnorable()) {
      // skip
    }
  }

  /** {@code \Q...\E} as written, an escaped whitespace as a hex escape, any other escape as written. */
  private void escape() {
    if (i + 1 >= in.length()) {
      out.append('\\');
      i++;
      return;
    }
    char n = in.charAt(i + 1);
    if (n == 'Q') {
      int end = in.indexOf("\\E", i + 2);
      int stop = end < 0 ? in.length() : end + 2;
      out.append(in, i, stop);
      i = stop;
      return;
    }
    if (isSpace(n)) {
      out.append("\\x{").append(Integer.toHexString(n)).append('}');
    } else {
      out.append('\\').append(n);
    }
    i += 2;
  }

  private void charClass() {
    out.append('[');
    i++;
    skipAllIgnorable();
    if (i < in.length() && in.charAt(i) == '^') {
      boolean adjacent = in.charAt(i - 1) == '[';
      out.append(adjacent ? "^" : "\\^");
      i++;
      skipAllIgnorable();
    }
    if (i < in.length() && in.charAt(i) == ']') {
      out.append(']');
      i++;
    }
    while (i < in.length()) {
      if (skipIgnorable()) {
        continue;
      }
      char c = in.charAt(i);
      if (c == ']') {
        out.append(c);
        i++;
        return;
      }
      if (c == '\\') {
        escape();
      } else if (c == '[' && in.startsWith("[:", i)) {
        int end = in.indexOf(":]", i + 2);
        int stop = end < 0 ? in.length() : end + 2;
        out.append(in, i, stop);
        i = stop;
      } else if (c == '[') {
        throw new IllegalArgumentException("a nested character class (\"[\" inside \"[...]\") is Java-only syntax;"
            + " escape the \"[\" or write the union as one class");
      } else if (c == '&' && in.startsWith("&&", i)) {
        throw new IllegalArgumentException("a character class intersection (\"&&\") is Java-only syntax");
      } else {
        out.append(c);
        i++;
      }
    }
  }

  /** A group: a flag group has its {@code x} removed and applied here; any group scopes the flag. */
  private void open() {
    i++;
    skipAllIgnorable();
    if (i < in.length() && in.charAt(i) == '?') {
      i++;
      skipAllIgnorable();
      StringBuilder flags = new StringBuilder();
      boolean on = true;
      Boolean x = null;
      while (i < in.length()) {
        char c = in.charAt(i);
        if (c == '-' && on) {
          on = false;
          flags.append(c);
        } else if (c == 'x') {
          x = on;
        } else if (c == 'U') {
          throw new IllegalArgumentException("flag U (Unicode classes in Java, ungreedy in RE2) is not supported");
        } else if (Character.isLetter(c)) {
          flags.append(c);
        } else {
          break;
        }
        i++;
        skipAllIgnorable();
      }
      char end = i < in.length() ? in.charAt(i) : 0;
      if (end == ')' || (end == ':' && (flags.length() > 0 || x != null))) {
        String kept = flags.toString().endsWith("-") ? flags.substring(0, flags.length() - 1) : flags.toString();
        if (end == ')') {
          if (!kept.isEmpty()) {
            out.append("(?").append(kept).append(')');
          }
          free = x == null ? free : x;
        } else {
          out.append("(?").append(kept).append(':');
          groups.push(free);
          free = x == null ? free : x;
        }
        i++;
        return;
      }
      // not a flag group ((?:, (?=, (?<name>, (?P<...): copy the text read so far and go on
      out.append("(?").append(flags);
      groups.push(free);
      return;
    }
    out.append('(');
    groups.push(free);
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
  }

  private static boolean isLineSeparator(char c) {
    return c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029';
  }
}
