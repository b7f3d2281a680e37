package io.runbookd.rules;

import io.runbookd.alert.LabelMatcher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The rules of a {@link RuleSet} indexed by one label matcher each, so that an alert is tested only
 * against the rules it may match, in rule order ({@link #candidates}).
 *
 * <p>Each rule is filed under the most selective of its matchers that the index understands (the one
 * shared by the fewest rules):
 *
 * <ul>
 *   <li>{@code name="value"}: the rule is a candidate only when the alert's {@code name} is exactly
 *       {@code value} (a missing label is the empty string, as in Alertmanager);
 *   <li>{@code name=~"prefix..."}, a regex that starts with a literal prefix and has no top-level
 *       {@code |}: the rule is a candidate only when the label value starts with that prefix (the regex
 *       is anchored at both ends, {@link LabelMatcher}), e.g. {@code connector=~"orders-.*"} under
 *       {@code orders-};
 *   <li>any other rule (only {@code !=}, {@code !~} or unprefixed regexes) is a candidate of every
 *       alert.
 * </ul>
 *
 * <p>A candidate is a necessary condition only: every matcher of a candidate is still checked, so the
 * rules whose matchers all hold, and the first of them, are exactly those a scan of every rule finds.
 * A lookup costs one hash lookup per indexed label name plus one per distinct prefix length, then the
 * candidates. Immutable and safe to share between threads.
 */
public final class RuleIndex {

  private final RuleSet rules;
  /** Rules filed under no matcher, by position. */
  private final int[] always;
  /** label name → value → positions of the rules filed under {@code name="value"}. */
  private final Map<String, Map<String, int[]>> equal;
  /** label name → prefix → positions of the rules filed under {@code name=~"prefix..."}. */
  private final Map<String, Map<String, int[]>> prefix;
  /** label name → the distinct prefix lengths filed under it, ascending. */
  private final Map<String, int[]> prefixLengths;

  private RuleIndex(RuleSet rules, int[] always, Map<String, Map<String, int[]>> equal,
      Map<String, Map<String, int[]>> prefix, Map<String, int[]> prefixLengths) {
    this.rules = rules;
    this.always = always;
    this.equal = equal;
    this.prefix = prefix;
    this.prefixLengths = prefixLengths;
  }

  /** Indexes {@code rules}; linear in the number of matchers. */
  public static RuleIndex of(RuleSet rules) {
    Objects.requireNonNull(rules, "rules");
    List<Rule> list = rules.rules();
    // Pass 1: how many rules each key would hold.
    Map<Key, Integer> counts = new HashMap<>();
    for (Rule r : list) {
      for (LabelMatcher m : r.alertMatchers()) {
        Key k = key(m);
        if (k != null) {
          counts.merge(k, 1, Integer::sum);
        }
      }
    }
    // Pass 2: each rule under its most selective key.
    List<Integer> always = new ArrayList<>();
    Map<Key, List<Integer>> filed = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      Key best = null;
      int bestCount = Integer.MAX_VALUE;
      for (LabelMatcher m : list.get(i).alertMatchers()) {
        Key k = key(m);
        if (k != null && counts.get(k) < bestCount) {
          best = k;
          bestCount = counts.get(k);
        }
      }
      if (best == null) {
        always.add(i);
      } else {
        filed.computeIfAbsent(best, k -> new ArrayList<>()).add(i);
      }
    }
    Map<String, Map<String, int[]>> equal = new HashMap<>();
    Map<String, Map<String, int[]>> prefix = new HashMap<>();
    Map<String, TreeSet<Integer>> lengths = new HashMap<>();
    filed.forEach((k, positions) -> {
      int[] p = positions.stream().mapToInt(Integer::intValue).toArray();
      (k.prefix ? prefix : equal).computeIfAbsent(k.name, n -> new HashMap<>()).put(k.value, p);
      if (k.prefix) {
        lengths.computeIfAbsent(k.name, n -> new TreeSet<>()).add(k.value.length());
      }
    });
    Map<String, int[]> prefixLengths = new HashMap<>();
    lengths.forEach((n, s) -> prefixLengths.put(n, s.stream().mapToInt(Integer::intValue).toArray()));
    return new RuleIndex(rules, always.stream().mapToInt(Integer::intValue).toArray(), equal, prefix, prefixLengths);
  }

  /** The rule set indexed. */
  public RuleSet rules() {
    return rules;
  }

  /**
   * The rules whose matchers may hold for {@code labels}: a superset of the rules whose matchers all
   * hold, in rule set order, without duplicates.
   */
  public List<Rule> candidates(Map<String, String> labels) {
    Objects.requireNonNull(labels, "labels");
    int[] buf = new int[16];
    int n = 0;
    for (int p : always) {
      buf = grow(buf, n);
      buf[n++] = p;
    }
    for (Map.Entry<String, Map<String, int[]>> e : equal.entrySet()) {
      String v = labels.get(e.getKey());
      int[] hit = e.getValue().get(v == null ? "" : v);
      if (hit != null) {
        for (int p : hit) {
          buf = grow(buf, n);
          buf[n++] = p;
        }
      }
    }
    for (Map.Entry<String, Map<String, int[]>> e : prefix.entrySet()) {
      String v = labels.get(e.getKey());
      if (v == null) {
        continue; // a missing label is "", which starts with no non-empty prefix
      }
      for (int len : prefixLengths.get(e.getKey())) {
        if (len > v.length()) {
          break;
        }
        int[] hit = e.getValue().get(v.substring(0, len));
        if (hit != null) {
          for (int p : hit) {
            buf = grow(buf, n);
            buf[n++] = p;
          }
        }
      }
    }
    // Each rule is filed once, so positions are distinct: sorting restores rule order.
    Arrays.sort(buf, 0, n);
    List<Rule> all = rules.rules();
    List<Rule> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(all.get(buf[i]));
    }
    return out;
  }

  private static int[] grow(int[] buf, int n) {
    return n < buf.length ? buf : Arrays.copyOf(buf, buf.length * 2);
  }

  private record Key(String name, boolean prefix, String value) {}

  /** The index key of a matcher, or null when the index cannot use it. */
  private static Key key(LabelMatcher m) {
    return switch (m.op()) {
      case EQUAL -> new Key(m.name(), false, m.value());
      case REGEX -> {
        String p = literalPrefix(m.value());
        yield p.isEmpty() ? null : new Key(m.name(), true, p);
      }
      default -> null;
    };
  }

  /**
   * A literal text every string the (anchored) regex matches starts with; empty when there is none
   * that is sure. Conservative: only letters, digits and {@code - _ : / , ; = @ # % & ' " < > ! ~ `}
   * and spaces count, the literal run stops at the first other character, a quantifier after it takes
   * its last character back, and a regex with {@code |} outside brackets and groups (an alternation of
   * the whole) has none.
   */
  static String literalPrefix(String regex) {
    if (topLevelAlternation(regex)) {
      return "";
    }
    int i = 0;
    while (i < regex.length() && literal(regex.charAt(i))) {
      i++;
    }
    if (i < regex.length() && "?*{".indexOf(regex.charAt(i)) >= 0) {
      i--; // the last literal is optional or repeated (+ keeps at least one: still a prefix)
    }
    return i <= 0 ? "" : regex.substring(0, i);
  }

  private static boolean literal(char c) {
    return Character.isLetterOrDigit(c) && c < 128 || "-_:/,;=@#%&'\"<>!~` ".indexOf(c) >= 0;
  }

  private static boolean topLevelAlternation(String regex) {
    int depth = 0;
    boolean inClass = false;
    for (int i = 0; i < regex.length(); i++) {
      char c = regex.charAt(i);
      if (c == '\\') {
        i++;
      } else if (inClass) {
        if (c == ']') {
          inClass = false;
        }
      } else if (c == '[') {
        inClass = true;
        if (i + 1 < regex.length() && regex.charAt(i + 1) == ']') {
          i++; // a leading ] is literal
        } else if (i + 2 < regex.length() && regex.charAt(i + 1) == '^' && regex.charAt(i + 2) == ']') {
          i += 2;
        }
      } else if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth = Math.max(0, depth - 1);
      } else if (c == '|' && depth == 0) {
        return true;
      }
    }
    return false;
  }
}
