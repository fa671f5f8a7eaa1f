-- One row, written by every readiness probe: /readyz says the database can
-- be written only once a write of its own has committed.
CREATE TABLE health (
    id         INTEGER     PRIMARY KEY CHECK (id = 1),
    checked_at TIMESTAMPTZ NOT NULL
);
