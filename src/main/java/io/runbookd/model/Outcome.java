package io.runbookd.model;

import java.util.Locale;

/**
 * How a closed incident ended, as stored ({@link Incident#outcome()}) and shown by the API: the
 * {@link #label()}.
 */
public enum Outcome {
  /** Verified RUNNING and stable after runbookd acted. */
  RECOVERED,
  /** Verified healthy without any action. */
  HEALTHY,
  /** Dry run: verified after runbookd only recorded what it would have done. */
  SHADOW,
  /** Connect answered 404: the connector was deleted. */
  CONNECTOR_DELETED;

  /** The stored and displayed form, e.g. {@code recovered}, {@code connector_deleted}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
