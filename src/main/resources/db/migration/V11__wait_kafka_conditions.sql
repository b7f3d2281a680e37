-- runbookd store: the Kafka conditions of a stored wait_for (lag of the sink's consumer group, a quiet
-- dead-letter topic) and what the wait has read of them so far, as JSON; null for a wait without them.
ALTER TABLE incident_waits ADD COLUMN kafka_wait TEXT;
