package io.runbookd.rules;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;

/**
 * Fuzzes the rule loader with arbitrary file contents: every input must load, or fail with a
 * {@link RuleLoadException} whose errors name the file and a line inside it, never with any other
 * exception or error. A reload runs the loader on whatever an operator saved, so a crash here would
 * be a crash of the reload.
 *
 * <p>Without {@code JAZZER_FUZZ} (every build) this runs the seed corpus in
 * {@code src/test/resources/io/runbookd/rules/RuleLoaderFuzzTestInputs/parse/}. Fuzzing: README
 * "Security".
 */
class RuleLoaderFuzzTest {
  private static final RuleLoader LOADER = new RuleLoader(
      new RuleLoader.Context(Set.of("local", "prod"), Set.of("oncall", "owner")),
      Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC));

  @FuzzTest(maxDuration = "5m")
  void parse(byte[] file) {
    String yaml = new String(file, StandardCharsets.UTF_8);
    long lines = yaml.lines().count() + 1;
    try {
      RuleSet set = LOADER.parse("fuzz.yaml", yaml);
      assertThat(set.files()).containsExactly("fuzz.yaml");
      for (Rule r : set.rules()) {
        assertThat(r.name()).matches(RuleLoader.RULE_NAME);
      }
    } catch (RuleLoadException e) {
      assertThat(e.errors()).isNotEmpty().allSatisfy(err -> {
        assertThat(err.file()).isEqualTo("fuzz.yaml");
        assertThat(err.line()).isBetween(0, (int) Math.max(lines, 1) + 1);
        assertThat(err.message()).isNotBlank();
      });
    }
  }
}
