package io.runbookd.model;

import java.util.Objects;

/**
 * What one probe of a connector's dependency found, from runbookd's network.
 *
 * @param outcome reached, not reached, or nothing to probe
 * @param endpoint the endpoint probed, null when none was found in the connector's config
 * @param detail for humans: the error or the mismatch ({@code connection refused}, {@code status 503}); the
 *     config keys looked at when no endpoint was found
 */
public record ProbeResult(Outcome outcome, Endpoint endpoint, String detail) {
  /** The result of a probe. */
  public enum Outcome {
    /** The endpoint answered as the rule expects. */
    REACHED,
    /** It did not (refused, timed out, unresolvable, unexpected HTTP answer). */
    UNREACHABLE,
    /** No endpoint could be found (the config was unreadable or names none): nothing was probed. */
    NO_ENDPOINT
  }

  public ProbeResult {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(detail, "detail");
  }

  /** True when the endpoint answered. */
  public boolean reached() {
    return outcome == Outcome.REACHED;
  }
}
