package io.runbookd.model;

/**
 * Lifecycle state of a connector or task as reported by {@code GET /connectors/{name}/status}.
 *
 * <p>Source: Kafka Connect {@code AbstractStatus.State}. {@code STOPPED} applies only to connectors
 * (KIP-875, Kafka 3.5+); {@code DESTROYED} is never shown to users and is mapped to {@link #UNKNOWN}
 * together with any value a newer Connect may add.
 */
public enum ConnectorState {
  UNASSIGNED,
  RUNNING,
  PAUSED,
  FAILED,
  RESTARTING,
  STOPPED,
  /** A state this version of runbookd does not know. */
  UNKNOWN;

  /** Parses a state string case-insensitively; unknown or null values give {@link #UNKNOWN}. */
  public static ConnectorState parse(String value) {
    if (value == null) {
      return UNKNOWN;
    }
    try {
      return valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return UNKNOWN;
    }
  }
}
