-- runbookd store, schema version 13: the Alertmanager silences that silence steps created, so that they
-- are expired when their incident closes or escalates, also after a restart or on another replica.
-- Same conventions as V1 (times are epoch milliseconds).
--
-- A row is written when Alertmanager has answered with the silence id; expired_at is set once
-- DELETE /api/v2/silence/{id} succeeded (or Alertmanager no longer knows the silence). ends_at is the
-- silence's own end: a silence past it has expired by itself and is not expired again.
CREATE TABLE silences (
  incident_id   TEXT    NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  alertmanager  TEXT    NOT NULL,
  silence_id    TEXT    NOT NULL,
  created_at    BIGINT  NOT NULL,
  ends_at       BIGINT  NOT NULL,
  expired_at    BIGINT,
  expire_error  TEXT,
  PRIMARY KEY (incident_id, alertmanager, silence_id)
);
CREATE INDEX silences_active ON silences (incident_id) WHERE expired_at IS NULL;
