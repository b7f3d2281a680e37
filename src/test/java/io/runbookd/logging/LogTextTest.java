package io.runbookd.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogTextTest {
  @Test
  void runsUpTo256CharactersAreKeptWhole() {
    String ok = "x".repeat(256);
    assertThat(LogText.clean("a " + ok + " b")).isEqualTo("a " + ok + " b");
  }

  @Test
  void aLongerRunIsCutAt256WithItsOriginalLength() {
    assertThat(LogText.clean("a " + "y".repeat(257) + "\tb")).isEqualTo("a " + "y".repeat(256) + "…(257 chars)\tb");
  }

  @Test
  void theWholeMessageIsCutWithItsLength() {
    String words = "word ".repeat(5000);
    String out = LogText.clean(words);
    assertThat(out).hasSize(LogText.MAX_MESSAGE + "…(25000 chars)".length()).endsWith("…(25000 chars)");
  }

  @Test
  void aCutNeverSplitsASurrogatePair() {
    String s = "a".repeat(255) + "😀" + "b";
    assertThat(LogText.cut(s, 256)).isEqualTo("a".repeat(255) + "…(258 chars)");
  }
}
