package io.runbookd.rules;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Chooses the line of a Java stack trace that tells on-call what failed: among the exception lines of the
 * chain (the first line, each {@code Caused by:} line, and the exception lines a
 * {@code java.sql.SQLException: Exception chain:} lists), the one that names the most of a host and port,
 * a user, a column, a table and an error code or SQLSTATE; on a tie the deeper one. When no line names any
 * of them it is the last {@code Caused by:} line (the root cause), else the first non-blank line.
 *
 * <p>E.g. for pgjdbc's refusal ({@code ConnectionFactoryImpl}) it is
 * {@code org.postgresql.util.PSQLException: Connection to 127.0.0.1:5433 refused. ...}, not the
 * {@code java.net.ConnectException: Connection refused} below it. Pure: no I/O, no clock.
 */
public final class CauseLine {
  private CauseLine() {}

  private static final String CAUSED_BY = "Caused by:";

  /** What a cause line can name, the facts on-call needs first. */
  public enum Names {
    /** {@code 127.0.0.1:5433}, {@code mongo-0.mongo:27017}, {@code host=db port=5432}. */
    HOST_AND_PORT(Pattern.compile("(?<![\\w.$:])(?:[A-Za-z0-9-]+\\.)*[A-Za-z0-9-]+:\\d{2,5}\\b(?![.:]\\d)"
        + "|(?i)\\bhost\\s*[=:]\\s*\\S+.{0,40}?\\bport\\s*[=:]?\\s*\\d+")),
    /** {@code for user "debezium"}, MySQL's {@code user 'debezium'@'10.0.0.1'}, {@code userName='app'}. */
    USER(Pattern.compile("(?i)\\buser(?:name)?\\s*[=:]?\\s*[\"'`][^\"'`]+[\"'`]")),
    /** {@code column "currency"}, {@code Unknown column 'x'}, Connect's {@code field ... name='x'}. */
    COLUMN(Pattern.compile("(?i)\\bcolumn\\s+[\"'`]?\\w|\\bfields?\\b.{0,80}?\\bname='[^']+'")),
    /** {@code relation "orders"}, {@code Table "public"."orders"}, {@code INSERT INTO "orders"}, {@code ns=db.coll}. */
    TABLE(Pattern.compile("(?i)\\b(?:relation|table|into|collection)\\s+[\"'`]?[\\w.\"]+")),
    /** {@code SQLSTATE 57P01}, {@code error code: 40403}, MongoDB's {@code error 18 (AuthenticationFailed)}. */
    ERROR_CODE(Pattern.compile("(?i)\\bSQL\\s?STATE\\b|\\berror\\s?code\\b|\\berror\\s+\\d+\\b|\\bcode\"?\\s*[=:]\\s*\\d+"
        + "|(?-i)(?<![-\\w])\\d{2}[A-Z]\\d{2}\\b"));

    private final Pattern pattern;

    Names(Pattern pattern) {
      this.pattern = pattern;
    }

    /** True when {@code line} names this. */
    public boolean in(String line) {
      return pattern.matcher(line).find();
    }
  }

  /** A line considered, with what it names. */
  public record Candidate(String line, Set<Names> names) {}

  /** The chosen line, stripped and without its {@code Caused by: } prefix; empty for a blank trace. */
  public static String of(String trace) {
    Objects.requireNonNull(trace, "trace");
    String first = null;
    String lastCause = null;
    Candidate best = null;
    for (Candidate c : candidates(trace)) {
      if (first == null) {
        first = c.line();
      }
      if (!c.names().isEmpty() && (best == null || c.names().size() >= best.names().size())) {
        best = c;
      }
    }
    if (best != null) {
      return best.line();
    }
    for (String line : trace.split("\\R")) {
      String s = line.strip();
      if (s.startsWith(CAUSED_BY)) {
        String c = s.substring(CAUSED_BY.length()).strip();
        if (!c.isEmpty()) {
          lastCause = c;
        }
      } else if (first == null && !s.isEmpty()) {
        first = s;
      }
    }
    if (lastCause != null) {
      return lastCause;
    }
    return first == null ? "" : first;
  }

  /**
   * The exception lines of {@code trace} in order, each with what it names: the first non-blank line,
   * the {@code Caused by:} lines (without the prefix), and lines that start with a qualified exception
   * class ({@code org.postgresql.util.PSQLException: ...}); stack frames and {@code ... n more} are not.
   */
  public static List<Candidate> candidates(String trace) {
    List<Candidate> out = new ArrayList<>();
    boolean firstSeen = false;
    for (String line : trace.split("\\R")) {
      String s = line.strip();
      if (s.isEmpty()) {
        continue;
      }
      String c;
      if (s.startsWith(CAUSED_BY)) {
        c = s.substring(CAUSED_BY.length()).strip();
      } else if (!firstSeen || EXCEPTION_LINE.matcher(s).lookingAt()) {
        c = s;
      } else {
        c = null;
      }
      firstSeen = true;
      if (c != null && !c.isEmpty() && !c.startsWith("at ")) {
        Set<Names> names = EnumSet.noneOf(Names.class);
        for (Names n : Names.values()) {
          if (n.in(c)) {
            names.add(n);
          }
        }
        out.add(new Candidate(c, names));
      }
    }
    return out;
  }

  /** A line that starts with a qualified throwable class and a colon. */
  private static final Pattern EXCEPTION_LINE =
      Pattern.compile("(?:[a-z_$][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error|Throwable)(?::|$)");
}
