-- runbookd store, schema version 6: what was sent to each notifier about an incident, so the loop can be
-- closed later. Same conventions as V1 (times are epoch milliseconds).
--
-- One row per message a receiver accepted that a later message must refer to:
--   * PagerDuty: one row per trigger (its dedup_key); the incident's close (recovered) sends a "resolve"
--     with that dedup_key, a human rejection of an approval an "acknowledge";
--   * Slack and webhook notifiers: one row per (incident, notifier) with dedup_key '' holding the first
--     message (for Slack's chat.postMessage its channel and ts: the thread the close follow-up replies in).
-- The follow-up is derived from the incident's state (closed, or a rejection by a human), so the commit
-- that closes the incident is what makes it due: a crash cannot lose it. It is claimed (leased, counted in
-- followup_claims as in V5) before it is sent and marked in followup_done ('acknowledge' or 'close') after
-- the receiver accepted it.
CREATE TABLE notification_threads (
  incident_id           TEXT    NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  notifier              TEXT    NOT NULL,
  notifier_type         TEXT    NOT NULL,
  dedup_key             TEXT    NOT NULL,
  channel               TEXT,
  thread_ts             TEXT,
  sent_at               BIGINT  NOT NULL,
  followup_done         TEXT,
  followup_at           BIGINT,
  followup_claimed_by   TEXT,
  followup_claimed_until BIGINT,
  followup_claims       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (incident_id, notifier, dedup_key)
);
CREATE INDEX notification_threads_pending ON notification_threads (incident_id) WHERE followup_done IS NULL
  OR followup_done <> 'close';
