-- The outbox of events for the business's other systems (EVENTS_URL):
-- written in the same store as what they tell of, delivered and retried
-- from here; an event's id is unique, so writing it twice keeps one.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    chat_id      TEXT    NOT NULL,
    body         BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER NOT NULL,
    delivered_at INTEGER,
    dead_at      INTEGER,
    last_error   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX events_waiting ON events (chat_id, seq) WHERE delivered_at IS NULL AND dead_at IS NULL;
