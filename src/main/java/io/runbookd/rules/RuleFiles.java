package io.runbookd.rules;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Finds and reads rule files. A directory contributes its {@code *.yaml} and {@code *.yml} files
 * (not its subdirectories, not hidden files), sorted by file name; a file named explicitly is read
 * whatever its extension. A file reached twice is read once.
 */
final class RuleFiles {

  /**
   * One rule file's content.
   *
   * @param file the file as named to the loader (a directory entry is the directory path joined with
   *     the file name)
   * @param yaml the file's content, decoded as UTF-8
   */
  record Text(String file, String yaml) {
    Text {
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(yaml, "yaml");
    }
  }

  private RuleFiles() {}

  /**
   * Reads the rule files of {@code paths}, in order: the paths' order, then file names.
   *
   * @param errors receives a whole-file error (line 0) for each directory that cannot be listed or
   *     holds no rule files, and each file that does not exist, is not UTF-8 or cannot be read
   * @return the files that could be read
   */
  static List<Text> read(List<Path> paths, List<RuleError> errors) {
    List<Text> texts = new ArrayList<>();
    Set<Path> seen = new HashSet<>();
    for (Path path : paths) {
      List<Path> files;
      if (Files.isDirectory(path)) {
        try (Stream<Path> s = Files.list(path)) {
          files = s.filter(p -> {
                String n = p.getFileName().toString();
                return !n.startsWith(".") && (n.endsWith(".yaml") || n.endsWith(".yml")) && !Files.isDirectory(p);
              })
              .sorted(Comparator.comparing(p -> p.getFileName().toString()))
              .toList();
        } catch (IOException e) {
          errors.add(new RuleError(path.toString(), 0, null, "cannot list directory: " + e.getMessage()));
          continue;
        }
        if (files.isEmpty()) {
          errors.add(new RuleError(path.toString(), 0, null, "no rule files (*.yaml, *.yml) in directory"));
        }
      } else {
        files = List.of(path);
      }
      for (Path file : files) {
        if (!seen.add(file.toAbsolutePath().normalize())) {
          continue;
        }
        try {
          texts.add(new Text(file.toString(), Files.readString(file)));
        } catch (NoSuchFileException e) {
          errors.add(new RuleError(file.toString(), 0, null, "no such file or directory"));
        } catch (CharacterCodingException e) {
          errors.add(new RuleError(file.toString(), 0, null, "cannot read: not valid UTF-8"));
        } catch (IOException e) {
          errors.add(new RuleError(file.toString(), 0, null, "cannot read: " + e.getMessage()));
        }
      }
    }
    return texts;
  }
}
