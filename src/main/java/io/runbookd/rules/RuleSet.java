package io.runbookd.rules;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An immutable, fully validated set of rules in evaluation order (files sorted by name, rules in file
 * order). The first rule whose conditions all hold wins.
 *
 * @param rules the rules in order
 * @param files the files the set was loaded from
 * @param loadedAt when the set was loaded
 */
public record RuleSet(List<Rule> rules, List<String> files, Instant loadedAt) {
  public RuleSet {
    rules = List.copyOf(rules);
    files = List.copyOf(files);
  }

  /** The rule named {@code name}, if present. */
  public Optional<Rule> byName(String name) {
    return rules.stream().filter(r -> r.name().equals(name)).findFirst();
  }
}
