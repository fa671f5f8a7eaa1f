-- One row, written by the readiness probe while writes are failing, to
-- learn whether the database can be written again.
CREATE TABLE health (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL -- Unix milliseconds
);
