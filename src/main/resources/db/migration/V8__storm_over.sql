-- runbookd store, schema version 8: the "storm over" message of a failure storm. Same conventions as V1.
-- over_at: when the storm was found over (hold ended and every member settled), so its message is due;
-- over_sent_at: when that message was delivered. Its delivery uses the storm's claim columns once the
-- summary was sent (delivery_claims starts again from 0 then).
ALTER TABLE cluster_storms ADD COLUMN over_at BIGINT;
ALTER TABLE cluster_storms ADD COLUMN over_sent_at BIGINT;
