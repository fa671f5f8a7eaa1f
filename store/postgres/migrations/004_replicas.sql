-- The replicas that have run on this database: a replica is alive while it
-- holds its advisory lock ('frontdesk leader replica ' || id).
CREATE TABLE replicas (
    id         TEXT        PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL
);
