package io.runbookd.rules;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Line-aware, typed access to the YAML nodes of one rule file, and the file's error list.
 *
 * <p>Every accessor that finds a value of the wrong shape reports a {@link RuleError} at the 1-based
 * line of the offending node, naming the rule being parsed ({@link #rule(String)}), and returns null
 * (or leaves the value out); callers compare {@link #errorCount()} before and after to know whether
 * a part parsed cleanly. Messages name the value by its path in the rule (e.g.
 * {@code steps[1].wait_for.within}) and say what was found ("got ...").
 *
 * <p>Not thread-safe: one instance per file being parsed.
 */
final class RuleYaml {
  private final String file;
  private final List<RuleError> errors = new ArrayList<>();
  /** Per mapping, the keys suggested for its unknown keys: not reported again as missing. */
  private final Map<Node, Set<String>> suggested = new IdentityHashMap<>();
  /** The name of the rule being parsed, for error messages; null outside rules. */
  private String rule;

  /** @param file the file's name, as given to the loader; used in every error */
  RuleYaml(String file) {
    this.file = file;
  }

  /** The file's name, as given to the loader. */
  String file() {
    return file;
  }

  /** Sets the rule later errors are in; null outside rules or for a rule without a usable name. */
  void rule(String name) {
    this.rule = name;
  }

  // ---------------------------------------------------------------- errors

  /** Reports a problem at {@code at}'s line, in the current rule. */
  void error(Node at, String message) {
    errors.add(new RuleError(file, line(at), rule, message));
  }

  /** Reports a problem at a 1-based line, outside any rule. */
  void fileError(int line, String message) {
    errors.add(new RuleError(file, line, null, message));
  }

  /** How many errors were reported so far. */
  int errorCount() {
    return errors.size();
  }

  /** The errors reported so far, sorted by line (stable: errors on one line keep their order). */
  List<RuleError> sortedErrors() {
    errors.sort(Comparator.comparingInt(RuleError::line));
    return errors;
  }

  // ---------------------------------------------------------------- mappings

  /**
   * The mapping's keys and values, in order. Reports unknown keys (with the allowed keys and a
   * suggestion), duplicate keys, non-scalar keys and YAML merge keys; those are left out. A key with
   * an empty value is reported here once and maps to null (so it does not count as missing).
   *
   * @param where the mapping's path, for messages ({@code "rule"} and {@code "the file"} for the top
   *     levels)
   */
  Map<String, Node> keys(MappingNode m, String where, List<String> allowed) {
    Map<String, Node> out = new LinkedHashMap<>();
    for (NodeTuple t : m.getValue()) {
      Node keyNode = t.getKeyNode();
      if (keyNode.getTag().equals(Tag.MERGE)) {
        error(keyNode, "YAML merge keys (<<) are not supported in rule files; write the keys out");
        continue;
      }
      if (!(keyNode instanceof ScalarNode)) {
        error(keyNode, "keys in " + where + " must be strings, got " + describe(keyNode));
        continue;
      }
      String key = keyText(keyNode);
      if (!allowed.contains(key)) {
        String suggestion = Suggestions.suggestion(key, allowed);
        error(keyNode, "unknown key \"" + key + "\" in " + where + suggestion + " (allowed: "
            + String.join(", ", allowed) + ")");
        if (!suggestion.isEmpty()) {
          suggested.computeIfAbsent(m, x -> new HashSet<>()).add(Suggestions.closest(key, allowed));
        }
        continue;
      }
      if (out.containsKey(key)) {
        error(keyNode, "duplicate key \"" + key + "\" in " + where);
        continue;
      }
      Node value = t.getValueNode();
      if (value instanceof ScalarNode s && isNull(s)) {
        // Reported here once; the key counts as present (so not also "missing"), with no value.
        error(value, (where.equals("rule") || where.equals("the file") ? "" : where + ".") + key
            + " must not be empty");
        out.put(key, null);
      } else {
        out.put(key, value);
      }
    }
    return out;
  }

  /** The value node of {@code key} in {@code m}, without reporting anything; null when absent. */
  static Node valueOf(MappingNode m, String key) {
    for (NodeTuple t : m.getValue()) {
      if (t.getKeyNode() instanceof ScalarNode s && s.getValue().equals(key)) {
        return t.getValueNode();
      }
    }
    return null;
  }

  /**
   * Reports each required key missing from {@code keys}, the result of {@link #keys} on {@code at}.
   * Keys present with an empty value, and keys suggested for a misspelt key, were already reported.
   */
  void require(Node at, Map<String, Node> keys, String where, String... required) {
    Set<String> misspelt = suggested.getOrDefault(at, Set.of());
    for (String r : required) {
      if (!keys.containsKey(r) && !misspelt.contains(r)) {
        error(at, "missing required key \"" + r + "\" in " + where);
      }
    }
  }

  // ---------------------------------------------------------------- typed values

  /** {@code node} as a mapping; null after reporting. {@code keys} (may be empty) go in the message. */
  MappingNode mapping(Node node, String path, List<String> keys) {
    if (node instanceof MappingNode m) {
      return m;
    }
    error(node, path + " must be a mapping" + (keys.isEmpty() ? "" : " (keys: " + String.join(", ", keys) + ")")
        + ", got " + describe(node));
    return null;
  }

  /** {@code node} as a list; null after reporting. {@code what} describes the list, e.g. "a list of steps". */
  SequenceNode sequence(Node node, String path, String what) {
    if (node instanceof SequenceNode s) {
      return s;
    }
    error(node, path + " must be " + what + ", got " + describe(node));
    return null;
  }

  /** A non-null scalar's text (a number or boolean as written); null after reporting. */
  String string(Node node, String path) {
    if (node instanceof ScalarNode s && !isNull(s)) {
      return s.getValue();
    }
    error(node, path + " must be a string, got " + describe(node));
    return null;
  }

  /** Like {@link #string}, also reporting a blank string. */
  String nonEmptyString(Node node, String path) {
    return unless(string(node, path), String::isBlank, node, path + " must not be empty");
  }

  /** {@code true} or {@code false} exactly; null after reporting. */
  Boolean bool(Node node, String path) {
    if (node instanceof ScalarNode s) {
      if (s.getValue().equals("true")) {
        return Boolean.TRUE;
      }
      if (s.getValue().equals("false")) {
        return Boolean.FALSE;
      }
    }
    error(node, path + " must be true or false, got " + describe(node));
    return null;
  }

  /** A decimal integer of at most 9 digits, optionally negative; null after reporting. */
  Integer integer(Node node, String path) {
    if (node instanceof ScalarNode s && s.getValue().matches("-?[0-9]{1,9}")) {
      return Integer.valueOf(s.getValue());
    }
    error(node, path + " must be an integer, got " + describe(node));
    return null;
  }

  /** A duration in the {@link Durations} syntax ({@code 30s}, {@code 1h30m}); null after reporting. */
  Duration duration(Node node, String path) {
    if (!(node instanceof ScalarNode s) || isNull(s)) {
      error(node, path + " must be a duration such as \"30s\", got " + describe(node));
      return null;
    }
    try {
      return Durations.parse(s.getValue());
    } catch (IllegalArgumentException e) {
      error(node, path + ": " + e.getMessage());
      return null;
    }
  }

  /** Like {@link #duration}, also reporting {@code 0s}. */
  Duration positiveDuration(Node node, String path) {
    return unless(duration(node, path), Duration::isZero, node, path + " must be longer than 0s");
  }

  /** {@code approve} or {@code reject}, as true or false; null after reporting. */
  Boolean decision(Node node, String path) {
    String v = string(node, path);
    if (v == null) {
      return null;
    }
    if (v.equals("approve") || v.equals("reject")) {
      return v.equals("approve");
    }
    error(node, path + " must be approve or reject, got \"" + v + "\"");
    return null;
  }

  /** {@code value}, or null after reporting {@code message} when it is {@code invalid}; null stays null. */
  private <T> T unless(T value, Predicate<T> invalid, Node node, String message) {
    if (value != null && invalid.test(value)) {
      error(node, message);
      return null;
    }
    return value;
  }

  // ---------------------------------------------------------------- nodes

  /** The node's 1-based line. */
  static int line(Node node) {
    return node.getStartMark().getLine() + 1;
  }

  /** True for an empty value ({@code key:}, {@code ~}, {@code null}). */
  static boolean isNull(ScalarNode s) {
    return s.getTag().equals(Tag.NULL);
  }

  /** A key's text; a non-scalar key as {@link #describe} shows it. */
  static String keyText(Node keyNode) {
    return keyNode instanceof ScalarNode s ? s.getValue() : describe(keyNode);
  }

  /** How a node looks to a rule author, for "got ..." in messages; long values are cut at 60 characters. */
  static String describe(Node node) {
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    ScalarNode s = (ScalarNode) node;
    if (isNull(s)) {
      return "an empty value";
    }
    String v = s.getValue();
    if (v.length() > 60) {
      v = v.substring(0, 57) + "...";
    }
    return "\"" + v.replace("\n", "\\n") + "\"";
  }
}
