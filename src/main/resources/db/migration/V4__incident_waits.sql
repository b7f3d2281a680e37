-- Stored waits: a verification, a wait_for step or a wait step of an incident, looked at again at the
-- incident's next_action_at by whichever replica claims it. No thread or slot is held while it lasts.
-- Instants are epoch milliseconds, as in V1.
CREATE TABLE incident_waits (
  incident_id    TEXT    NOT NULL PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
  kind           TEXT    NOT NULL,
  attempt        INTEGER NOT NULL,
  step_index     INTEGER NOT NULL,
  step_run_id    BIGINT  NOT NULL,
  state          TEXT,
  deadline       BIGINT  NOT NULL,
  stable_for_ms  BIGINT  NOT NULL,
  stable_since   BIGINT,
  baseline       TEXT,
  reservation_id BIGINT  NOT NULL,
  started_at     BIGINT  NOT NULL
);

-- A reservation whose segment waits (its incident unleased meanwhile) is still held by that segment.
CREATE INDEX incident_waits_reservation ON incident_waits (reservation_id) WHERE reservation_id <> 0;
