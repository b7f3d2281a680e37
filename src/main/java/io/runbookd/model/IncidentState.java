package io.runbookd.model;

/**
 * Where an incident is in its lifecycle.
 *
 * <pre>
 *  OPEN ──claim──▶ REMEDIATING ──verified──▶ CLOSED (outcome recovered)
 *   ▲ ▲                │   │
 *   │ └──backoff───────┤   └──approval gate──▶ AWAITING_APPROVAL ──approved──▶ REMEDIATING
 *   │                  │                         └──rejected (human or TTL)──▶ ESCALATED
 *   │                  └──budget spent──▶ ESCALATED (open, waits for a human or a verified recovery)
 *   └── a cluster guard deferred it (storm, concurrency, action window, unhealthy worker, 409): OPEN
 * </pre>
 */
public enum IncidentState {
  /** Waiting for its next action at {@code nextActionAt}. */
  OPEN,
  /** A replica holds the lease and is running steps or verifying. */
  REMEDIATING,
  /** Waiting for a human approval. */
  AWAITING_APPROVAL,
  /** The attempt budget is spent; only a verified recovery or a human closes it. */
  ESCALATED,
  /** Closed; see the outcome. */
  CLOSED;

  /** True for every state but CLOSED. */
  public boolean isOpen() {
    return this != CLOSED;
  }
}
