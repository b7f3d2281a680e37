-- runbookd store, schema version 3: guard rails (approval gates, failure storms, blast radius).
-- Same conventions as V1: portable types, instants as epoch milliseconds in BIGINT *_at columns.

-- Approval gates: one row per gate an attempt reached, with exactly what it will do when approved.
-- decision is NULL while pending, then approved, rejected or cancelled; at most one pending per incident.
CREATE TABLE approvals (
  incident_id      TEXT    NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  attempt          INTEGER NOT NULL,
  gate             INTEGER NOT NULL,
  requested_at     BIGINT  NOT NULL,
  expires_at       BIGINT  NOT NULL,
  default_decision TEXT    NOT NULL,
  notifier         TEXT    NOT NULL,
  plan             TEXT    NOT NULL,
  reason           TEXT    NOT NULL,
  notified_at      BIGINT,
  decision         TEXT,
  decided_via      TEXT,
  decided_by       TEXT,
  decided_at       BIGINT,
  comment          TEXT,
  PRIMARY KEY (incident_id, attempt, gate)
);
CREATE UNIQUE INDEX approvals_one_pending ON approvals (incident_id) WHERE decision IS NULL;

-- Failure storms per Connect cluster. A storm is active while ended_at IS NULL and now < quiet_until;
-- at most one not ended per cluster. The summary is claimed, sent and marked like an escalation.
CREATE TABLE cluster_storms (
  id              ${autoincrement_pk},
  cluster         TEXT   NOT NULL,
  started_at      BIGINT NOT NULL,
  last_failure_at BIGINT NOT NULL,
  quiet_until     BIGINT NOT NULL,
  window_ms       BIGINT NOT NULL,
  notifier        TEXT,
  summary_sent_at BIGINT,
  claimed_by      TEXT,
  claimed_until   BIGINT,
  ended_at        BIGINT
);
CREATE UNIQUE INDEX cluster_storms_one_active ON cluster_storms (cluster) WHERE ended_at IS NULL;
CREATE INDEX cluster_storms_summary_due ON cluster_storms (started_at) WHERE summary_sent_at IS NULL;

-- Blast radius: a reservation per admitted segment of an attempt, holding a concurrency slot until
-- released and counting its Connect actions in the cluster's action window.
CREATE TABLE guard_reservations (
  id            ${autoincrement_pk},
  cluster       TEXT    NOT NULL,
  incident_id   TEXT    NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  attempt       INTEGER NOT NULL,
  planned       INTEGER NOT NULL,
  used          INTEGER NOT NULL,
  reserved_at   BIGINT  NOT NULL,
  last_acted_at BIGINT,
  released_at   BIGINT
);
CREATE INDEX guard_reservations_held ON guard_reservations (cluster) WHERE released_at IS NULL;
CREATE INDEX guard_reservations_acted ON guard_reservations (cluster, last_acted_at);
CREATE INDEX guard_reservations_incident ON guard_reservations (incident_id);

-- One row per Connect cluster. Admissions and storm updates lock it (FOR UPDATE on PostgreSQL) so
-- they run one at a time per cluster across replicas; SQLite runs one write transaction at a time.
CREATE TABLE cluster_guards (
  cluster TEXT NOT NULL PRIMARY KEY
);

-- Storm detection counts the distinct connectors of a cluster with incidents opened in a window.
CREATE INDEX incidents_cluster_opened ON incidents (cluster, opened_at);
