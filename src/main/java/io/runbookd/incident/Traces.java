package io.runbookd.incident;

/** Helpers to make a Java stack trace readable in one line. */
public final class Traces {
  private Traces() {}

  /**
   * The cause line of a trace: the last {@code Caused by:} line without its prefix, else the first
   * line; trimmed to 500 characters. Null in, null out.
   */
  public static String cause(String trace) {
    if (trace == null || trace.isBlank()) {
      return null;
    }
    String cause = null;
    for (String line : trace.split("\\R")) {
      String l = line.strip();
      if (l.startsWith("Caused by:")) {
        cause = l.substring("Caused by:".length()).strip();
      }
    }
    if (cause == null) {
      cause = trace.strip().split("\\R", 2)[0];
    }
    return cause.length() > 500 ? cause.substring(0, 500) : cause;
  }
}
