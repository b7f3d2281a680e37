-- runbookd store, schema version 5: delivery attempts of escalations and storm summaries.
-- Same conventions as V1. delivery_claims counts the claims taken to deliver the notification: a claim
-- is taken before the notifier is called, so a count above 1 at claim time means an earlier delivery
-- may have reached the receiver (a crash or a timeout between its answer and the "fired" mark); that
-- delivery is then sent again with the same idempotency key and marked as a redelivery.
ALTER TABLE escalations ADD COLUMN delivery_claims INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cluster_storms ADD COLUMN delivery_claims INTEGER NOT NULL DEFAULT 0;
