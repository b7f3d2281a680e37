package io.runbookd.rules;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Rule files that could not be loaded. Carries every error found in every file, not just the
 * first, in file order and then line order.
 *
 * <p>{@link #getMessage()} is the errors' {@link RuleError#toString()} forms, one per line, ready
 * to print after {@code FAILED:} in {@code runbookd check-rules}. The rule set in force before a
 * failed reload stays in force.
 */
public final class RuleLoadException extends Exception {
  private static final long serialVersionUID = 1L;

  private final List<RuleError> errors;

  /**
   * @param errors at least one error
   * @throws IllegalArgumentException when {@code errors} is empty
   */
  public RuleLoadException(List<RuleError> errors) {
    super(errors.stream().map(RuleError::toString).collect(Collectors.joining("\n")));
    if (errors.isEmpty()) {
      throw new IllegalArgumentException("a RuleLoadException needs at least one error");
    }
    this.errors = List.copyOf(errors);
  }

  /** Every error, in file order and then line order; never empty. */
  public List<RuleError> errors() {
    return errors;
  }
}
