-- Many Green API instances in one database: every row says whose it is
-- (idInstance). Rows of a single-instance Frontdesk get '' and are adopted
-- by its instance at start-up (DB.AdoptUnassigned). SQLite cannot change a
-- table's keys: the keyed tables are rebuilt, their rows kept.
CREATE TABLE notifications_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    instance     TEXT    NOT NULL DEFAULT '',
    chat_id      TEXT    NOT NULL,
    id_message   TEXT    NOT NULL,
    type_webhook TEXT    NOT NULL,
    body         BLOB    NOT NULL,
    received_at  INTEGER NOT NULL, -- Unix milliseconds
    finished_at  INTEGER,
    UNIQUE (instance, chat_id, id_message)
);
INSERT INTO notifications_new (id, chat_id, id_message, type_webhook, body, received_at, finished_at)
    SELECT id, chat_id, id_message, type_webhook, body, received_at, finished_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_pending ON notifications (id) WHERE finished_at IS NULL;
CREATE INDEX notifications_instance_pending ON notifications (instance) WHERE finished_at IS NULL;

ALTER TABLE dead_letters ADD COLUMN instance TEXT NOT NULL DEFAULT '';

CREATE TABLE chats_new (
    instance          TEXT    NOT NULL DEFAULT '',
    chat_id           TEXT    NOT NULL,
    last_activity_at  INTEGER NOT NULL,
    first_contact_msg TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (instance, chat_id)
);
INSERT INTO chats_new (chat_id, last_activity_at, first_contact_msg) SELECT chat_id, last_activity_at, first_contact_msg FROM chats;
DROP TABLE chats;
ALTER TABLE chats_new RENAME TO chats;
CREATE INDEX chats_chat ON chats (chat_id);

CREATE TABLE profiles_new (
    instance   TEXT    NOT NULL DEFAULT '',
    chat_id    TEXT    NOT NULL,
    info       TEXT    NOT NULL, -- JSON
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (instance, chat_id)
);
INSERT INTO profiles_new (chat_id, info, fetched_at) SELECT chat_id, info, fetched_at FROM profiles;
DROP TABLE profiles;
ALTER TABLE profiles_new RENAME TO profiles;

CREATE TABLE first_contacts_new (
    instance          TEXT    NOT NULL DEFAULT '',
    chat_id           TEXT    NOT NULL,
    id_message        TEXT    NOT NULL,
    step              TEXT    NOT NULL,
    rule              TEXT    NOT NULL DEFAULT '',
    tag               TEXT    NOT NULL DEFAULT '',
    locale            TEXT    NOT NULL DEFAULT '',
    reply             TEXT    NOT NULL DEFAULT '',
    reply_attempted   INTEGER NOT NULL DEFAULT 0,
    reply_id          TEXT    NOT NULL DEFAULT '',
    summary           TEXT    NOT NULL DEFAULT '',
    summary_to        TEXT    NOT NULL DEFAULT '',
    summary_attempted INTEGER NOT NULL DEFAULT 0,
    summary_id        TEXT    NOT NULL DEFAULT '',
    degraded          TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (instance, chat_id, id_message)
);
INSERT INTO first_contacts_new (chat_id, id_message, step, rule, tag, locale, reply, reply_attempted, reply_id,
        summary, summary_to, summary_attempted, summary_id, degraded, created_at, updated_at)
    SELECT chat_id, id_message, step, rule, tag, locale, reply, reply_attempted, reply_id,
        summary, summary_to, summary_attempted, summary_id, degraded, created_at, updated_at FROM first_contacts;
DROP TABLE first_contacts;
ALTER TABLE first_contacts_new RENAME TO first_contacts;
CREATE INDEX first_contacts_chat ON first_contacts (chat_id);

ALTER TABLE events ADD COLUMN instance TEXT NOT NULL DEFAULT '';
DROP INDEX events_waiting;
CREATE INDEX events_waiting ON events (instance, chat_id, seq) WHERE delivered_at IS NULL AND dead_at IS NULL;
