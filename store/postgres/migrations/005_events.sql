-- The outbox of events for the business's other systems; see store/sqlite.
CREATE TABLE events (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT        NOT NULL UNIQUE,
    chat_id      TEXT        NOT NULL,
    body         BYTEA       NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    attempts     INTEGER     NOT NULL DEFAULT 0,
    next_at      TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ,
    dead_at      TIMESTAMPTZ,
    last_error   TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX events_waiting ON events (chat_id, seq) WHERE delivered_at IS NULL AND dead_at IS NULL;
