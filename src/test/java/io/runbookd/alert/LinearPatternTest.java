package io.runbookd.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LinearPatternTest {

  private static final String RE2 = " is not supported (patterns use RE2 syntax, which matches in linear time:"
      + " https://github.com/google/re2/wiki/Syntax)";

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "`(a)\\1`                | `backreference \"\\1\"" + RE2 + "`",
      "`(?<n>a)\\k<n>`         | `backreference \"\\k\"" + RE2 + "`",
      "`refused(?= by)`        | `lookahead \"(?=\"" + RE2 + "`",
      "`refused(?! by)`        | `lookahead \"(?!\"" + RE2 + "`",
      "`(?<=Caused by: )x`     | `lookbehind \"(?<=\"" + RE2 + "`",
      "`(?<!Caused by: )x`     | `lookbehind \"(?<!\"" + RE2 + "`",
      "`(?>a|ab)c`             | `atomic group \"(?>\"" + RE2 + "`",
      "`a*+b`                  | `possessive quantifier \"*+\"" + RE2 + "`",
      "`(?x) a+ + b`           | `possessive quantifier \"++\"" + RE2 + "`",
      "`a{1,2}+`               | `possessive quantifier \"{1,2}+\"" + RE2 + "`",
      "`x\\Z`                  | `invalid escape sequence \"\\Z\" (RE2 syntax: https://github.com/google/re2/wiki/Syntax)`",
      "`[a[b]]`                | `a nested character class (\"[\" inside \"[...]\") is Java-only syntax; escape the \"[\" or write the union as one class`",
  })
  void aConstructRe2CannotRunInLinearTimeIsRefusedByName(String pattern, String description) {
    LinearPattern.SyntaxException e = catchThrowableOfType(LinearPattern.SyntaxException.class,
        () -> LinearPattern.compile(pattern, false));
    assertThat(e.unsupported()).isTrue();
    assertThat(e.description()).isEqualTo(description);
    assertThat(e.index()).isEqualTo(-1);
  }

  @Test
  void aPatternThatIsNotOneIsDescribedInJavasWords() {
    LinearPattern.SyntaxException e = catchThrowableOfType(LinearPattern.SyntaxException.class,
        () -> LinearPattern.compile("(?i)connection (to \\S+ refused", false));
    assertThat(e.unsupported()).isFalse();
    assertThat(e.description()).isEqualTo("Unclosed group");
    assertThat(e.index()).isEqualTo(30);
  }

  @Test
  void javasFlagsKeepTheirMeaning() {
    assertThat(LinearPattern.compile("(?i)connection refused", false).find("CONNECTION REFUSED")).isZero();
    assertThat(LinearPattern.compile("connection refused", false).find("CONNECTION REFUSED")).isEqualTo(-1);
    assertThat(LinearPattern.compile("(?s)Avro.*refused", false).find("Avro\nx\nrefused")).isZero();
    assertThat(LinearPattern.compile("Avro.*refused", false).find("Avro\nx\nrefused")).isEqualTo(-1);
    assertThat(LinearPattern.compile("(?m)^Caused by: x$", false).find("a\nCaused by: x\nb")).isEqualTo(2);
    assertThat(LinearPattern.compile("^Caused by: x$", false).find("a\nCaused by: x\nb")).isEqualTo(-1);
    assertThat(LinearPattern.compile("a.b", true).matches("a\nb")).isTrue();
  }

  @Test
  void findGivesTheOffsetOfTheFirstMatchAndMatchesTheWholeText() {
    LinearPattern p = LinearPattern.compile("refused", false);
    assertThat(p.find("Connection refused; refused")).isEqualTo(11);
    assertThat(p.matches("Connection refused")).isFalse();
    assertThat(p.matches("refused")).isTrue();
    assertThat(p.pattern()).isEqualTo("refused").isEqualTo(p.toString());
  }

  @Test
  void aPatternThatWouldBacktrackInJavaRunsOnceOverTheText() {
    // (a+)+b backtracks exponentially in java.util.regex on "aaa...c"; RE2 answers at once
    String text = "a".repeat(10_000) + "c";
    assertThat(LinearPattern.compile("(a+)+b", false).find(text)).isEqualTo(-1);
    assertThat(LinearPattern.compile("(a|aa)+$", false).find(text)).isEqualTo(-1);
  }
}
