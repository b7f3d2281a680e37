package io.runbookd.alert;

import java.util.Objects;

/**
 * A regular expression that matches in time linear in the input, whatever the input: rule trace
 * patterns and label regex matchers. Compiled with RE2/J (https://github.com/google/re2j), whose
 * syntax is RE2's (https://github.com/google/re2/wiki/Syntax), the syntax Alertmanager's own
 * matchers use. A trace comes from a connector and is untrusted input, so a pattern must not be
 * able to backtrack on it.
 *
 * <p>Beyond RE2 syntax, Java's free-spacing flag {@code x} is accepted and applied as Java does
 * (see {@link FreeSpacing}); the flags {@code i}, {@code s} and {@code m} mean what they mean in
 * Java. Constructs RE2 cannot run in linear time (backreferences, lookahead, lookbehind, atomic
 * groups, possessive quantifiers) are refused when the pattern is compiled.
 */
public final class LinearPattern {

  /** RE2 syntax reference, named in error messages. */
  public static final String SYNTAX_URL = "https://github.com/google/re2/wiki/Syntax";

  /**
   * Why a pattern was refused.
   *
   * <p>{@link #unsupported()} false: the text is not a regular expression at all, and the
   * description and index are {@link java.util.regex.PatternSyntaxException}'s (e.g.
   * {@code Unclosed group}, index 30), the words rule authors knew. True: it is valid Java syntax
   * that RE2 cannot express, and the description names the construct (e.g. {@code lookahead
   * "(?=" is not supported}); the index is then -1.
   */
  public static final class SyntaxException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String description;
    private final int index;
    private final boolean unsupported;

    SyntaxException(String description, int index, boolean unsupported) {
      super(description);
      this.description = description;
      this.index = index;
      this.unsupported = unsupported;
    }

    /** What is wrong, without the pattern. */
    public String description() {
      return description;
    }

    /** The 0-based offset in the pattern where the error was found; -1 when unknown. */
    public int index() {
      return index;
    }

    /** True when the pattern is valid Java syntax but uses a construct RE2 cannot express. */
    public boolean unsupported() {
      return unsupported;
    }
  }

  private final String source;
  private final com.google.re2j.Pattern re2;

  private LinearPattern(String source, com.google.re2j.Pattern re2) {
    this.source = source;
    this.re2 = re2;
  }

  /**
   * Compiles a pattern.
   *
   * @param source the pattern as written (RE2 syntax, plus Java's {@code x} flag)
   * @param dotAll whether {@code .} also matches line terminators, as {@code (?s)}
   * @throws SyntaxException when it is not a pattern, or uses a construct RE2 cannot express
   */
  public static LinearPattern compile(String source, boolean dotAll) {
    Objects.requireNonNull(source, "source");
    String plain;
    try {
      plain = FreeSpacing.strip(source);
    } catch (IllegalArgumentException e) {
      throw invalidInJava(source, dotAll).orElse(new SyntaxException(e.getMessage(), -1, true));
    }
    try {
      return new LinearPattern(source,
          com.google.re2j.Pattern.compile(plain, dotAll ? com.google.re2j.Pattern.DOTALL : 0));
    } catch (com.google.re2j.PatternSyntaxException e) {
      throw invalidInJava(source, dotAll).orElse(new SyntaxException(unsupported(e), -1, true));
    }
  }

  /** Java's verdict on a pattern RE2 refused: a syntax error Java also sees, in Java's words. */
  private static java.util.Optional<SyntaxException> invalidInJava(String source, boolean dotAll) {
    try {
      // Compiling only (never matching) so this cannot backtrack; it is reached only on an error.
      java.util.regex.Pattern.compile(source, dotAll ? java.util.regex.Pattern.DOTALL : 0);
      return java.util.Optional.empty();
    } catch (java.util.regex.PatternSyntaxException e) {
      return java.util.Optional.of(new SyntaxException(e.getDescription(), e.getIndex(), false));
    }
  }

  /** Names the construct RE2 refused, e.g. {@code backreference "\1" is not supported}. */
  private static String unsupported(com.google.re2j.PatternSyntaxException e) {
    String at = e.getPattern() == null ? "" : e.getPattern();
    String what;
    if (at.startsWith("(?=") || at.startsWith("(?!")) {
      what = "lookahead \"" + at.substring(0, 3) + "\"";
    } else if (at.startsWith("(?<=") || at.startsWith("(?<!")) {
      what = "lookbehind \"" + at.substring(0, 4) + "\"";
    } else if (at.startsWith("(?>")) {
      what = "atomic group \"(?>\"";
    } else if (at.matches("\\\\[1-9k].*")) {
      what = "backreference \"" + at + "\"";
    } else if (e.getDescription().startsWith("invalid nested repetition operator") && at.endsWith("+")) {
      what = "possessive quantifier \"" + at + "\"";
    } else {
      return e.getDescription() + " \"" + at + "\" (RE2 syntax: " + SYNTAX_URL + ")";
    }
    return what + " is not supported (patterns use RE2 syntax, which matches in linear time: " + SYNTAX_URL + ")";
  }

  /** The pattern as written. */
  public String pattern() {
    return source;
  }

  /**
   * The pattern for one line of output: as written when it is one line; else its first line (with
   * the next line that is neither blank nor a {@code #} comment when the first holds only flags such
   * as {@code (?x)}) followed by {@code " …"}.
   */
  public String firstLine() {
    String[] lines = source.strip().split("\\R");
    if (lines.length <= 1) {
      return source;
    }
    String first = lines[0].strip();
    int next = 1;
    if (first.matches("\\(\\?[a-zA-Z]+\\)")) {
      while (next < lines.length && (lines[next].isBlank() || lines[next].strip().startsWith("#"))) {
        next++;
      }
      if (next < lines.length) {
        first = first + " " + lines[next].strip();
        next++;
      }
    }
    return next >= lines.length ? first : first + " …";
  }

  /**
   * The offset of the first match in {@code text}, or -1; in time linear in the text's length.
   *
   * @param text the text searched
   */
  public int find(CharSequence text) {
    Objects.requireNonNull(text, "text");
    com.google.re2j.Matcher m = re2.matcher(text);
    return m.find() ? m.start() : -1;
  }

  /** True when the whole of {@code text} matches; in time linear in its length. */
  public boolean matches(CharSequence text) {
    Objects.requireNonNull(text, "text");
    return re2.matcher(text).matches();
  }

  /** The pattern as written. */
  @Override
  public String toString() {
    return source;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LinearPattern p && p.source.equals(source) && p.re2.flags() == re2.flags();
  }

  @Override
  public int hashCode() {
    return source.hashCode();
  }
}
