package io.runbookd.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The debounce of {@link RuleWatcher} and the fingerprint of {@link RuleFiles}. */
class RuleWatcherTest {

  @Test
  void reloadsOnlyAChangeThatHasBeenStillForOneCheck() {
    // loaded "a"; the files become "b": first seen -> wait; seen again -> reload
    assertThat(RuleWatcher.shouldReload("b", "a", "a")).isFalse();
    assertThat(RuleWatcher.shouldReload("b", "b", "a")).isTrue();
    // still being written: "b" then "c" -> wait again
    assertThat(RuleWatcher.shouldReload("c", "b", "a")).isFalse();
    // unchanged since the last reload (successful or failed): nothing to do
    assertThat(RuleWatcher.shouldReload("a", "a", "a")).isFalse();
    // at the first check there is no previous fingerprint
    assertThat(RuleWatcher.shouldReload("b", null, "a")).isFalse();
  }

  @Test
  void theFingerprintSeesContentNamesAndOnlyRuleFiles(@TempDir Path tmp) throws Exception {
    Path f = Files.writeString(tmp.resolve("10-a.yaml"), "rules: []\n");
    String first = RuleFiles.fingerprint(List.of(tmp));
    assertThat(RuleFiles.fingerprint(List.of(tmp))).isEqualTo(first);

    Files.writeString(tmp.resolve("README.md"), "docs");
    Files.writeString(tmp.resolve(".10-a.yaml.swp"), "editor");
    assertThat(RuleFiles.fingerprint(List.of(tmp))).as("non-rule and hidden files").isEqualTo(first);

    Files.writeString(f, "rules: [] \n");
    String edited = RuleFiles.fingerprint(List.of(tmp));
    assertThat(edited).isNotEqualTo(first);

    Files.move(f, tmp.resolve("20-a.yaml"));
    assertThat(RuleFiles.fingerprint(List.of(tmp))).as("renamed").isNotEqualTo(edited);

    assertThat(RuleFiles.fingerprint(List.of(tmp.resolve("missing.yaml"))))
        .isNotEqualTo(RuleFiles.fingerprint(List.of()));
  }
}
