-- The turns of Green API's per-instance rate limits, shared by every
-- replica: the earliest time of the next turn of each key (instance and
-- method). Unlogged: after a crash of the server the table is empty, and
-- the worst that follows is one turn taken early.
CREATE UNLOGGED TABLE paces (
    key     TEXT        PRIMARY KEY,
    next_at TIMESTAMPTZ NOT NULL
);
