package io.runbookd.rules;

import java.util.List;
import java.util.Locale;

/**
 * "Did you mean" suggestions for misspelt keys and step names: the candidate at the smallest
 * Levenshtein distance from the word (lower-cased), if within {@code max(1, min(3, length / 3))}
 * edits. Pure functions.
 */
final class Suggestions {

  private Suggestions() {}

  /** {@code ; did you mean "x"?} when a candidate is within a small edit distance, else empty. */
  static String suggestion(String word, List<String> candidates) {
    String best = closest(word, candidates);
    return best == null ? "" : "; did you mean \"" + best + "\"?";
  }

  /** The candidate closest to {@code word} (the first of equals), if within a small edit distance; else null. */
  static String closest(String word, List<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = editDistance(word.toLowerCase(Locale.ROOT), c);
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    int limit = Math.max(1, Math.min(3, word.length() / 3));
    return best != null && bestDistance <= limit ? best : null;
  }

  /** Levenshtein distance: insertions, deletions and substitutions of one character each cost 1. */
  private static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] tmp = prev;
      prev = cur;
      cur = tmp;
    }
    return prev[b.length()];
  }
}
