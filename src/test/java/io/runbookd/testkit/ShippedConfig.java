package io.runbookd.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The repository's {@code runbookd.yaml} as an operator deploys it, with its secret files
 * ({@code /run/secrets/...}) written with random values under a directory of the test.
 */
public final class ShippedConfig {
  /** The shipped example. */
  public static final Path FILE = Path.of("runbookd.yaml").toAbsolutePath();
  private static final Pattern SECRET_FILE = Pattern.compile("/run/secrets/([A-Za-z0-9._-]+)");

  private ShippedConfig() {}

  /**
   * Writes {@code dir/runbookd.yaml}: the shipped file with its {@code /run/secrets/<name>} files at
   * {@code dir/secrets/<name>}, each holding a random value, and its rules and data directory paths
   * made absolute (the repository's). Returns the copy.
   */
  public static Path withSecrets(Path dir) throws IOException {
    String text = Files.readString(FILE);
    Path secrets = Files.createDirectories(dir.resolve("secrets")).toAbsolutePath();
    Matcher m = SECRET_FILE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      Path file = secrets.resolve(m.group(1));
      if (!Files.exists(file)) {
        Files.writeString(file, HexFormat.of().formatHex(new SecureRandom().generateSeed(16)) + "\n");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(file.toString()));
    }
    m.appendTail(out);
    // the paths relative to the shipped file, made absolute so they resolve as for the shipped file
    Path repo = FILE.getParent();
    String copy = out.toString().replace("paths: [rules]", "paths: ['" + repo.resolve("rules") + "']")
        .replace("data_dir: ./data", "data_dir: '" + repo.resolve("data") + "'");
    return Files.writeString(dir.resolve("runbookd.yaml"), copy);
  }

  /** The secret written for {@code /run/secrets/<name>} by {@link #withSecrets}. */
  public static String secret(Path dir, String name) throws IOException {
    return Files.readString(dir.resolve("secrets").resolve(name)).strip();
  }
}
