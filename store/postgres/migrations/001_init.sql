-- The same schema as store/sqlite's, in PostgreSQL's types.

-- The durable inbox: every message notification, stored before Green API
-- gets its 200, deduplicated on chat and message id.
CREATE TABLE notifications (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id      TEXT        NOT NULL,
    id_message   TEXT        NOT NULL,
    type_webhook TEXT        NOT NULL,
    body         BYTEA       NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    UNIQUE (chat_id, id_message)
);
CREATE INDEX notifications_pending ON notifications (id) WHERE finished_at IS NULL;

-- Authenticated bodies that could not be parsed: acknowledged, never lost.
CREATE TABLE dead_letters (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body        BYTEA       NOT NULL,
    reason      TEXT        NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);

-- One row a chat: when it was last active, and which message holds the
-- chat's current first contact ('' when the business spoke first).
CREATE TABLE chats (
    chat_id           TEXT        PRIMARY KEY,
    last_activity_at  TIMESTAMPTZ NOT NULL,
    first_contact_msg TEXT        NOT NULL DEFAULT ''
);

-- getContactInfo answers, refreshed when older than the refresh window.
CREATE TABLE profiles (
    chat_id    TEXT        PRIMARY KEY,
    info       JSONB       NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL
);

-- The progress of each first contact; see bot.Step.
CREATE TABLE first_contacts (
    chat_id           TEXT        NOT NULL,
    id_message        TEXT        NOT NULL,
    step              TEXT        NOT NULL,
    rule              TEXT        NOT NULL DEFAULT '',
    tag               TEXT        NOT NULL DEFAULT '',
    locale            TEXT        NOT NULL DEFAULT '',
    reply             TEXT        NOT NULL DEFAULT '',
    reply_attempted   BOOLEAN     NOT NULL DEFAULT false,
    reply_id          TEXT        NOT NULL DEFAULT '',
    summary           TEXT        NOT NULL DEFAULT '',
    summary_to        TEXT        NOT NULL DEFAULT '',
    summary_attempted BOOLEAN     NOT NULL DEFAULT false,
    summary_id        TEXT        NOT NULL DEFAULT '',
    degraded          TEXT        NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (chat_id, id_message)
);
