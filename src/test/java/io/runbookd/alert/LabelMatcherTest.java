package io.runbookd.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LabelMatcherTest {

  private static final Map<String, String> ALERT = Map.of(
      "alertname", "KafkaConnectTaskFailure",
      "connector", "pg-orders",
      "connect_cluster", "prod",
      "severity", "warning");

  @Test
  void parsesAllFourOperators() {
    LabelMatcher eq = LabelMatcher.parse("connector=\"pg-orders\"");
    assertThat(eq.name()).isEqualTo("connector");
    assertThat(eq.op()).isEqualTo(LabelMatcher.Op.EQUAL);
    assertThat(eq.value()).isEqualTo("pg-orders");

    assertThat(LabelMatcher.parse("connector!=\"pg-orders\"").op()).isEqualTo(LabelMatcher.Op.NOT_EQUAL);
    assertThat(LabelMatcher.parse("alertname=~\"KafkaConnect(Task|Connector)Failure\"").op())
        .isEqualTo(LabelMatcher.Op.REGEX);
    assertThat(LabelMatcher.parse("severity!~\"info|none\"").op()).isEqualTo(LabelMatcher.Op.NOT_REGEX);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiterString = " => ", value = {
      "connector=\"pg-orders\" => true",
      "connector=\"pg\" => false",
      "connector!=\"pg-orders\" => false",
      "connector!=\"mysql-users\" => true",
      "alertname=~\"KafkaConnect(Task|Connector)Failure\" => true",
      "alertname=~\"KafkaConnect\" => false",
      "connector=~\"pg\" => false",
      "connector=~\"pg-.*\" => true",
      "connector=~\"orders\" => false",
      "connector!~\"pg\" => true",
      "connector!~\"pg-.*\" => false",
      "severity=~\"warning|critical\" => true",
      "severity=~\"warn|critical\" => false",
  })
  void matchesLikeAlertmanager(String matcher, boolean expected) {
    assertThat(LabelMatcher.parse(matcher).matches(ALERT)).isEqualTo(expected);
  }

  @Test
  void regexesAreAnchoredAtBothEnds() {
    LabelMatcher pg = LabelMatcher.parse("connector=~\"pg\"");
    assertThat(pg.matches(Map.of("connector", "pg"))).isTrue();
    assertThat(pg.matches(Map.of("connector", "pg-orders"))).isFalse();
    assertThat(pg.matches(Map.of("connector", "old-pg"))).isFalse();
    // an alternation must not escape the anchors
    LabelMatcher alt = LabelMatcher.parse("connector=~\"pg|mysql\"");
    assertThat(alt.matches(Map.of("connector", "pg-orders"))).isFalse();
    assertThat(alt.matches(Map.of("connector", "mysql"))).isTrue();
  }

  @Test
  void aMissingLabelMatchesAsTheEmptyString() {
    Map<String, String> none = Map.of("alertname", "X");
    assertThat(LabelMatcher.parse("team=\"\"").matches(none)).isTrue();
    assertThat(LabelMatcher.parse("team!=\"db\"").matches(none)).isTrue();
    assertThat(LabelMatcher.parse("team=\"db\"").matches(none)).isFalse();
    assertThat(LabelMatcher.parse("team=~\".*\"").matches(none)).isTrue();
    assertThat(LabelMatcher.parse("team=~\".+\"").matches(none)).isFalse();
    assertThat(LabelMatcher.parse("team!~\".+\"").matches(none)).isTrue();
  }

  @Test
  void aLabelWithANullValueMatchesAsTheEmptyString() {
    Map<String, String> labels = new HashMap<>();
    labels.put("team", null);
    assertThat(LabelMatcher.parse("team=\"\"").matches(labels)).isTrue();
    assertThat(LabelMatcher.parse("team=~\"db\"").matches(labels)).isFalse();
  }

  @Test
  void quotedValuesUnescapeQuotesBackslashesAndNewlines() {
    assertThat(LabelMatcher.parse("msg=\"say \\\"hi\\\"\"").value()).isEqualTo("say \"hi\"");
    assertThat(LabelMatcher.parse("path=\"C:\\\\tmp\"").value()).isEqualTo("C:\\tmp");
    assertThat(LabelMatcher.parse("msg=\"a\\nb\"").value()).isEqualTo("a\nb");
    // regex escapes pass through to the regex
    LabelMatcher digits = LabelMatcher.parse("task=~\"\\d+\"");
    assertThat(digits.value()).isEqualTo("\\d+");
    assertThat(digits.matches(Map.of("task", "12"))).isTrue();
    assertThat(digits.matches(Map.of("task", "x"))).isFalse();
    // quoted values keep spaces, commas and braces
    assertThat(LabelMatcher.parse("summary=\" a, {b} \"").value()).isEqualTo(" a, {b} ");
  }

  @Test
  void unquotedValuesAndSpacesAroundTheOperatorAreAccepted() {
    LabelMatcher m = LabelMatcher.parse("  connector =~ pg-.* ");
    assertThat(m.name()).isEqualTo("connector");
    assertThat(m.value()).isEqualTo("pg-.*");
    assertThat(LabelMatcher.parse("severity=warning").matches(ALERT)).isTrue();
  }

  @Test
  void bracesAroundOneMatcherAreAccepted() {
    assertThat(LabelMatcher.parse("{severity=\"warning\"}").matches(ALERT)).isTrue();
  }

  @Test
  void toStringRoundTrips() {
    for (String text : new String[] {
        "connector=\"pg-orders\"", "connector!=\"x\"", "alertname=~\"A|B\"", "a!~\"q\\\"uote\\\\d\""}) {
      LabelMatcher m = LabelMatcher.parse(text);
      assertThat(m.toString()).isEqualTo(text);
      assertThat(LabelMatcher.parse(m.toString())).isEqualTo(m);
    }
    assertThat(LabelMatcher.parse("connector=pg").toString()).isEqualTo("connector=\"pg\"");
  }

  @Test
  void equalityIsByNameOperatorAndValue() {
    assertThat(LabelMatcher.parse("a=\"b\"")).isEqualTo(LabelMatcher.parse("a = b"))
        .hasSameHashCodeAs(LabelMatcher.of("a", LabelMatcher.Op.EQUAL, "b"));
    assertThat(LabelMatcher.parse("a=\"b\"")).isNotEqualTo(LabelMatcher.parse("a!=\"b\""));
  }

  @Test
  void badRegexNamesTheRegexAndJavasDescription() {
    assertThatThrownBy(() -> LabelMatcher.parse("alertname=~\"KafkaConnect(Task\""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("invalid regular expression \"KafkaConnect(Task\": Unclosed group");
    assertThatThrownBy(() -> LabelMatcher.parse("connector!~\"*pg\""))
        .hasMessage("invalid regular expression \"*pg\": Dangling meta character '*'");
  }

  @Test
  void aRegexRe2CannotRunInLinearTimeIsRefused() {
    assertThatThrownBy(() -> LabelMatcher.parse("connector=~\"(pg)-\\\\1\""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unsupported regular expression \"(pg)-\\1\": backreference \"\\1\" is not supported (patterns"
            + " use RE2 syntax, which matches in linear time: https://github.com/google/re2/wiki/Syntax)");
    assertThatThrownBy(() -> LabelMatcher.parse("connector=~\"pg-(?!test).*\""))
        .hasMessage("unsupported regular expression \"pg-(?!test).*\": lookahead \"(?!\" is not supported (patterns"
            + " use RE2 syntax, which matches in linear time: https://github.com/google/re2/wiki/Syntax)");
  }

  @Test
  void aRegexMatcherIsAnchoredAndItsDotMatchesNewlines() {
    Map<String, String> labels = Map.of("connector", "pg-orders", "summary", "line one\nline two");
    assertThat(LabelMatcher.parse("connector=~\"pg\"").matches(labels)).isFalse();
    assertThat(LabelMatcher.parse("connector=~\"orders\"").matches(labels)).isFalse();
    assertThat(LabelMatcher.parse("connector=~\"pg-.*|x\"").matches(labels)).isTrue();
    assertThat(LabelMatcher.parse("connector=~\"(?i)PG-ORDERS\"").matches(labels)).isTrue();
    assertThat(LabelMatcher.parse("summary=~\"line.*two\"").matches(labels)).isTrue();
    assertThat(LabelMatcher.parse("summary!~\"line.*two\"").matches(labels)).isFalse();
    assertThat(LabelMatcher.parse("missing=~\"|x\"").matches(labels)).isTrue();
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "``                              | matcher \"\" does not start with a label name",
      "`=\"x\"`                        | matcher \"=\"x\"\" does not start with a label name",
      "`connector`                     | matcher \"connector\" has no operator after \"connector\" (use =, !=, =~ or !~)",
      "`connector~\"x\"`               | matcher \"connector~\"x\"\" has no operator after \"connector\" (use =, !=, =~ or !~)",
      "`connector==\"x\"`              | matcher \"connector==\"x\"\" has '\"' or ',' in an unquoted value; quote the whole value, e.g. connector=\"...\"",
      "`connector=\"x`                 | matcher \"connector=\"x\" has an unterminated quoted value",
      "`connector=\"x\\\"`             | matcher \"connector=\"x\\\"\" has an unterminated quoted value",
      "`connector=\"x\"y`              | matcher \"connector=\"x\"y\" has text after the closing quote",
      "`a=\"b\",c=\"d\"`               | matcher \"a=\"b\",c=\"d\"\" has more than one matcher; write one matcher per list item",
      "`1abc=\"x\"`                    | invalid label name \"1abc\"",
      "`con-nector=\"x\"`              | matcher \"con-nector=\"x\"\" has no operator after \"con\" (use =, !=, =~ or !~)",
  })
  void rejectsMalformedMatchersWithAReason(String text, String message) {
    assertThatThrownBy(() -> LabelMatcher.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }
}
