package io.runbookd.logging;

import io.runbookd.config.Secrets;

/**
 * What may be written into a log line: configured secrets masked ({@link Secrets#known()}), then long
 * user data cut. Alert labels and connector names come from outside (a 100 KB connector name is a
 * valid Connect name), so no value is written whole:
 *
 * <ul>
 *   <li>a run of more than {@value #MAX_TOKEN} non-blank characters (a label value, a connector name,
 *       an encoded path) keeps its first {@value #MAX_TOKEN} characters, then {@code …(<n> chars)}
 *       with its original length;
 *   <li>the whole message keeps at most {@value #MAX_MESSAGE} characters, the same way (this bounds a
 *       value with blanks in it).
 * </ul>
 *
 * Secrets are masked before anything is cut, so a cut never leaves part of a secret behind.
 */
public final class LogText {
  /** Longest run of non-blank characters written whole. */
  public static final int MAX_TOKEN = 256;
  /** Longest message written whole. */
  public static final int MAX_MESSAGE = 16384;

  private LogText() {}

  /** {@code text} with secrets masked and long runs and the whole cut (see the class description); null stays null. */
  public static String clean(String text) {
    if (text == null) {
      return null;
    }
    return cut(capTokens(Secrets.redactKnown(text)), MAX_MESSAGE);
  }

  /** {@code s} cut to {@code max} characters followed by {@code …(<original length> chars)}; shorter text as is. */
  public static String cut(String s, int max) {
    if (s == null || s.length() <= max) {
      return s;
    }
    int end = max;
    if (Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end) + "…(" + s.length() + " chars)";
  }

  /** Every run of more than {@link #MAX_TOKEN} non-blank characters cut to {@link #MAX_TOKEN}. */
  static String capTokens(String s) {
    int n = s.length();
    if (n <= MAX_TOKEN) {
      return s;
    }
    StringBuilder out = null;
    int start = 0;
    int i = 0;
    while (i <= n) {
      if (i == n || Character.isWhitespace(s.charAt(i))) {
        int len = i - start;
        if (len > MAX_TOKEN) {
          if (out == null) {
            out = new StringBuilder(n);
            out.append(s, 0, start);
          }
          out.append(cut(s.substring(start, i), MAX_TOKEN));
        } else if (out != null) {
          out.append(s, start, i);
        }
        if (i < n && out != null) {
          out.append(s.charAt(i));
        }
        start = i + 1;
      }
      i++;
    }
    return out == null ? s : out.toString();
  }
}
