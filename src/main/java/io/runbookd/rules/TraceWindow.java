package io.runbookd.rules;

/**
 * The part of a trace that trace patterns are searched in, as {@link RuleEvaluator#TRACE_SEARCH_LIMIT}
 * describes: the first {@code TRACE_SEARCH_LIMIT} characters, then, one per line, every
 * {@code Caused by:} entry that starts after them (the line and the lines of its message up to its
 * first stack frame, each entry at most {@code TRACE_SEARCH_LIMIT} characters).
 *
 * <p>A Java stack trace ({@link Throwable#printStackTrace()}) writes each cause as
 * {@code Caused by: <class>: <message>}, the message possibly on several lines, followed by its
 * frames ({@code at ...}) and {@code ... n more}; the bulk of a long trace is frames.
 */
final class TraceWindow {
  private static final String CAUSED_BY = "Caused by:";

  private TraceWindow() {}

  /** The searched part of {@code trace}: the trace itself when it is not longer than the limit. */
  static String of(String trace) {
    int limit = RuleEvaluator.TRACE_SEARCH_LIMIT;
    if (trace.length() <= limit) {
      return trace;
    }
    StringBuilder out = new StringBuilder(limit + 4096).append(trace, 0, limit);
    // from the start of the line the limit cuts, so a cause cut in two is taken whole
    int from = lineStart(trace, limit);
    while (true) {
      int at = trace.indexOf(CAUSED_BY, from);
      if (at < 0) {
        return out.toString();
      }
      int end = lineEnd(trace, at);
      if (onlyBlanksBefore(trace, at)) {
        while (end < trace.length() && end - at < limit) {
          int next = lineEnd(trace, skipTerminator(trace, end));
          if (isFrameOrCause(trace, skipTerminator(trace, end), next)) {
            break;
          }
          end = next;
        }
        out.append('\n').append(trace, at, Math.min(end, at + limit));
      }
      from = end;
    }
  }

  private static int lineStart(String s, int at) {
    int i = at;
    while (i > 0 && s.charAt(i - 1) != '\n' && s.charAt(i - 1) != '\r') {
      i--;
    }
    return i;
  }

  private static int lineEnd(String s, int at) {
    int i = at;
    while (i < s.length() && s.charAt(i) != '\n' && s.charAt(i) != '\r') {
      i++;
    }
    return i;
  }

  private static int skipTerminator(String s, int at) {
    if (at < s.length() && s.charAt(at) == '\r') {
      at++;
    }
    if (at < s.length() && s.charAt(at) == '\n') {
      at++;
    }
    return at;
  }

  private static boolean onlyBlanksBefore(String s, int at) {
    for (int i = at - 1; i >= 0 && s.charAt(i) != '\n' && s.charAt(i) != '\r'; i--) {
      if (!Character.isWhitespace(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** True when the line [start, end) is a stack frame, a {@code ... n more}, or another cause. */
  private static boolean isFrameOrCause(String s, int start, int end) {
    int i = start;
    while (i < end && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    return s.startsWith("at ", i) || s.startsWith("... ", i) || s.startsWith(CAUSED_BY, i)
        || s.startsWith("Suppressed:", i);
  }
}
