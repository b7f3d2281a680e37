package io.runbookd.rules;

import java.util.Objects;

/**
 * One problem found while loading rule files, located as precisely as the file allows.
 *
 * <p>Printed as {@code <file>:<line>: rule "<name>": <message>}, for example
 * {@code rules/10-connection.yaml:14: rule "connect-db-connection-refused": undefined notifier
 * "pager" used in escalation[0].notify (defined: oncall, owner)}. The {@code rule "<name>": }
 * part is left out when the problem is outside a rule or the rule has no usable name, and the
 * {@code <line>:} part when the problem concerns the whole file (it cannot be read, a directory
 * holds no rule files).
 *
 * @param file the file as it was named to the loader (a directory entry is the directory path
 *     joined with the file name)
 * @param line the 1-based line of the offending key or value; 0 when the problem concerns the
 *     whole file
 * @param rule the name of the rule the problem is in, as written; null when not in a rule or the
 *     rule has no name
 * @param message what is wrong and, where possible, how to fix it
 */
public record RuleError(String file, int line, String rule, String message) {
  public RuleError {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(message, "message");
    if (line < 0) {
      throw new IllegalArgumentException("line must be >= 0, got " + line);
    }
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder(file);
    if (line > 0) {
      out.append(':').append(line);
    }
    out.append(": ");
    if (rule != null) {
      out.append("rule \"").append(rule).append("\": ");
    }
    return out.append(message).toString();
  }
}
