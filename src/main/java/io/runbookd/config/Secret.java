package io.runbookd.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A secret value (password, token, URL with a key). Its {@link #toString()} never shows the value.
 *
 * <p>Written in runbookd.yaml either inline, as {@code ${env:VAR}} (read from the environment when the
 * config is loaded), or through a sibling {@code *_file} key whose file content is read and stripped
 * of surrounding whitespace, the way Alertmanager reads {@code credentials_file}.
 */
public final class Secret {
  private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");

  private final String value;

  private Secret(String value) {
    this.value = Objects.requireNonNull(value, "value");
  }

  /** A secret holding {@code value} as is. */
  public static Secret of(String value) {
    return new Secret(value);
  }

  /**
   * Resolves {@code ${env:VAR}} references in {@code raw}.
   *
   * @throws ConfigException when a referenced variable is not set
   */
  public static Secret resolve(String raw, String key) {
    Matcher m = ENV.matcher(raw);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = System.getenv(m.group(1));
      if (v == null) {
        throw new ConfigException(key + ": environment variable " + m.group(1) + " is not set");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return new Secret(out.toString());
  }

  /**
   * Reads a secret from a file, stripped of surrounding whitespace.
   *
   * @throws ConfigException when the file cannot be read
   */
  public static Secret fromFile(Path file, String key) {
    try {
      return new Secret(Files.readString(file, StandardCharsets.UTF_8).strip());
    } catch (IOException e) {
      throw new ConfigException(key + ": cannot read " + file + ": " + e.getMessage());
    }
  }

  /** The secret value. Never log it. */
  public String reveal() {
    return value;
  }

  /**
   * Constant-time comparison with {@code candidate}: compares the SHA-256 digests (always 32 bytes)
   * with {@link MessageDigest#isEqual}, so the time taken reveals neither the secret's length nor the
   * length of the common prefix.
   */
  public boolean matches(String candidate) {
    if (candidate == null) {
      return false;
    }
    return MessageDigest.isEqual(digest(value), digest(candidate));
  }

  /** SHA-256 of the UTF-8 bytes of {@code s}. */
  public static byte[] digest(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  @Override
  public String toString() {
    return "<redacted>";
  }
}
