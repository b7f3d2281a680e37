-- runbookd store, schema version 6: when a state wait first read the connector with nothing FAILED.
-- A FAILED reading after that ends the wait at once (the restart did not hold) instead of at its
-- deadline. Epoch milliseconds, as in V1; null while every reading so far had something FAILED.
ALTER TABLE incident_waits ADD COLUMN left_failed_at BIGINT;
