-- runbookd store, schema version 9: the progress of dlq_replay steps. Same conventions as V1.
-- One row per dead-letter partition a dlq_replay step run reads: next_offset is the first dead-letter
-- offset not yet done (every record before it was replayed, acknowledged by Kafka, or skipped), so a
-- replay interrupted by a crash resumes there. replayed / skipped count the records so far.
CREATE TABLE dlq_replay_progress (
  incident_id   TEXT    NOT NULL REFERENCES incidents (id),
  step_run_id   BIGINT  NOT NULL,
  dlq_topic     TEXT    NOT NULL,
  dlq_partition INTEGER NOT NULL,
  start_offset  BIGINT  NOT NULL,
  next_offset   BIGINT  NOT NULL,
  replayed      BIGINT  NOT NULL,
  skipped       BIGINT  NOT NULL,
  updated_at    BIGINT  NOT NULL,
  PRIMARY KEY (step_run_id, dlq_topic, dlq_partition)
);
CREATE INDEX dlq_replay_progress_incident ON dlq_replay_progress (incident_id);
