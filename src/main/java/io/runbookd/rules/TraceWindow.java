package io.runbookd.rules;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The part of a trace that trace patterns are searched in, as {@link RuleEvaluator#TRACE_SEARCH_LIMIT}
 * describes: the first {@code TRACE_SEARCH_LIMIT} characters, then, one per line, the
 * {@code Caused by:} entries that start after them (the line and the lines of its message up to its
 * first stack frame), the last ones first, at most {@code TRACE_SEARCH_LIMIT} characters in all: at
 * most twice the limit is searched, whatever the trace.
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
    Deque<int[]> causes = new ArrayDeque<>();
    int total = 0;
    // from the start of the line the limit cuts, so a cause cut in two is taken whole
    int from = lineStart(trace, limit);
    while (true) {
      int at = trace.indexOf(CAUSED_BY, from);
      if (at < 0) {
        break;
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
        int stop = Math.min(end, at + limit - 1);
        while (trace.charAt(stop - 1) == '\n' || trace.charAt(stop - 1) == '\r') {
          stop--;
        }
        int[] cause = {at, stop};
        causes.addLast(cause);
        total += length(cause);
        while (total > limit) {
          total -= length(causes.removeFirst());
        }
      }
      from = end;
    }
    StringBuilder out = new StringBuilder(limit + total).append(trace, 0, limit);
    for (int[] c : causes) {
      out.append('\n').append(trace, c[0], c[1]);
    }
    return out.toString();
  }

  /** A cause's length in the window, with the line break before it. */
  private static int length(int[] range) {
    return range[1] - range[0] + 1;
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
