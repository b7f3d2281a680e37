package io.runbookd.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.yaml.snakeyaml.Yaml;

/**
 * Java's free-spacing flag rewritten for RE2: each case is what Java's {@code Pattern.COMMENTS}
 * does with it, checked both as text and by matching the same inputs with java.util.regex.
 */
class FreeSpacingTest {

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      // no x flag: untouched, '#' and spaces are literals
      "`a b#c`                          | `a b#c`",
      "`(?i)connection (to \\S+ )?refused` | `(?i)connection (to \\S+ )?refused`",
      // whitespace and comments dropped, the flag removed from its group
      "`(?x) a b  # comment`            | `ab`",
      "`(?x)a # one\n | b # two\nc`     | `a|bc`",
      "`(?ix) a b`                      | `(?i)ab`",
      "`(?sx) a . b`                    | `(?s)a.b`",
      "`(?x-i) a b`                     | `(?-i)ab`",
      "`(?xi) a`                        | `(?i)a`",
      // escaped space and hash stay literals
      "`(?x)a\\ b`                      | `a\\x{20}b`",
      "`(?x)a\\#b # c`                  | `a\\#b`",
      "`(?x)a\\\tb`                     | `a\\x{9}b`",
      // \\Q...\\E is copied as written
      "`(?x)\\Qa b # c\\E d`            | `\\Qa b # c\\Ed`",
      // inside classes, as Java: whitespace and comments dropped, escaped ones kept
      "`(?x)[a b]`                      | `[ab]`",
      "`(?x)[a\\ b]`                    | `[a\\x{20}b]`",
      "`(?x)[a#b\n]`                    | `[a]`",
      "`(?x)[^ a]`                      | `[^a]`",
      "`(?x)[ ^a]`                      | `[\\^a]`",
      "`(?x)[\\#a]`                     | `[\\#a]`",
      "`(?x)[[:alpha:] ]+`              | `[[:alpha:]]+`",
      // quantifiers and escapes with braces
      "`(?x)a{1, 2}`                    | `a{1,2}`",
      "`(?x)\\p{ Lu }`                  | `\\p{Lu}`",
      "`(?x)a* ?`                       | `a*?`",
      // the flag is scoped like any flag
      "`(a(?x) b c)d e`                 | `(abc)d e`",
      "`(?x: a b )c d`                  | `(?:ab)c d`",
      "`(?x)a(?-x) b`                   | `a b`",
      "`(?x)a(?-x: b )c d`              | `a(?: b )cd`",
      "`(?x)( ?i)A`                     | `(?i)A`",
      // other groups pass through
      "`(?x)(?: a | b ) (?P<n> c )`     | `(?:a|b)(?P<n>c)`",
  })
  void rewritesAsJavaReadsIt(String pattern, String expected) {
    assertThat(FreeSpacing.strip(pattern)).isEqualTo(expected);
  }

  @Test
  void javaOnlyClassSyntaxIsRefused() {
    assertThatThrownBy(() -> FreeSpacing.strip("[ab[cd]]"))
        .hasMessage("a nested character class (\"[\" inside \"[...]\") is Java-only syntax; escape the \"[\" or write"
            + " the union as one class");
    assertThatThrownBy(() -> FreeSpacing.strip("[a-z&&[^x]]"))
        .hasMessage("a character class intersection (\"&&\") is Java-only syntax");
    assertThatThrownBy(() -> FreeSpacing.strip("(?U)\\w"))
        .hasMessage("flag U (Unicode classes in Java, ungreedy in RE2) is not supported");
  }

  /** Inputs on which java.util.regex and the rewritten RE2 pattern must agree. */
  private static final List<String> SAMPLES = List.of(
      "", "a", "ab", "a b", "a#b", "a\tb", "A", "abc", "a bc", "abcd e", "abc d", "^", "b", " ", "#", "aa", "aaa",
      "x\nConnection to db:5432 refused", "CONNECTION REFUSED", "connection  refused",
      "Error retrieving Avro value schema\njava.net.ConnectException: Connection refused",
      "password authentication failed for user \"app\"", "SQLSTATE 28P01", "x28P01y",
      "column \"total\" of relation \"orders\" does not exist", "Tolerance exceeded in error handler");

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "`(?x) a b  # comment`", "`(?ix) a b`", "`(?x)a\\ b`", "`(?x)a\\#b # c`", "`(?x)[a b]`", "`(?x)[a\\ b]`",
      "`(?x)[ ^a]`", "`(?x)[^ a]`", "`(a(?x) b c)d e`", "`(?x: a b )c d`", "`(?x)a(?-x) b`", "`(?x)a{1, 2}`",
      "`(?x)\\Qa b\\E`", "`(?x)[a#b\n]`", "`(?ix)connection \\s (to \\s \\S+ \\s)? refused`",
  })
  void matchesWhatJavaMatched(String pattern) {
    assertSameMatches(pattern);
  }

  @Test
  void everyShippedTracePatternMatchesWhatJavaMatched() throws Exception {
    try (Stream<Path> files = Files.list(Path.of("rules"))) {
      List<String> patterns = files.filter(f -> f.toString().endsWith(".yaml")).sorted()
          .flatMap(f -> traces(f).stream()).toList();
      assertThat(patterns).hasSizeGreaterThanOrEqualTo(5);
      patterns.forEach(FreeSpacingTest::assertSameMatches);
    }
  }

  /** The {@code match.trace} of every rule in a rule file. */
  @SuppressWarnings("unchecked")
  private static List<String> traces(Path file) {
    try {
      Map<String, Object> doc = new Yaml().load(Files.readString(file));
      return ((List<Map<String, Object>>) doc.get("rules")).stream()
          .map(r -> (Map<String, Object>) r.get("match"))
          .filter(m -> m.get("trace") != null)
          .map(m -> (String) m.get("trace"))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void assertSameMatches(String pattern) {
    Pattern java = Pattern.compile(pattern);
    LinearPattern re2 = LinearPattern.compile(pattern, false);
    for (String s : SAMPLES) {
      assertThat(re2.find(s) >= 0).as("/%s/ on \"%s\"", pattern, s).isEqualTo(java.matcher(s).find());
    }
  }
}
