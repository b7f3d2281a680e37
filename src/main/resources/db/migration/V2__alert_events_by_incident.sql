-- lastAlert: the newest alert event processed into an incident (its labels feed message templates).
CREATE INDEX alert_events_incident ON alert_events (incident_id, id);
