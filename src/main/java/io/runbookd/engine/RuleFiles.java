package io.runbookd.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the rule files look like now, as one fingerprint: {@link ActiveRules} notes it at each reload
 * and {@link RuleWatcher} compares it with the files on disk.
 */
final class RuleFiles {
  private RuleFiles() {}

  /**
   * SHA-256 over the rule files the loader would read from {@code paths} (a directory's non-hidden
   * {@code *.yaml} and {@code *.yml} files, a named file whatever its name): each file's path and
   * content, and any error reading them. Equal fingerprints mean the loader would see the same input.
   * Blocks (reads files).
   *
   * @return 64 lower-case hex digits
   */
  static String fingerprint(List<Path> paths) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (Path path : paths) {
      List<Path> files = new ArrayList<>();
      if (Files.isDirectory(path)) {
        try (Stream<Path> s = Files.list(path)) {
          s.filter(p -> {
            String n = p.getFileName().toString();
            return !n.startsWith(".") && (n.endsWith(".yaml") || n.endsWith(".yml")) && !Files.isDirectory(p);
          }).sorted(Comparator.comparing(p -> p.getFileName().toString())).forEach(files::add);
        } catch (IOException e) {
          update(sha, "dir-error:" + path + ":" + e);
        }
      } else {
        files.add(path);
      }
      for (Path f : files) {
        update(sha, "file:" + f);
        try {
          sha.update(Files.readAllBytes(f));
        } catch (IOException e) {
          update(sha, "error:" + e.getClass().getSimpleName());
        }
        sha.update((byte) 0);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static void update(MessageDigest sha, String s) {
    sha.update(s.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
  }
}
