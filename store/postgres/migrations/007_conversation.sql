-- The conversation around the greeting; see store/sqlite.
ALTER TABLE chats ADD COLUMN human_until TIMESTAMPTZ;
ALTER TABLE chats ADD COLUMN opted_out_at TIMESTAMPTZ;

CREATE TABLE chat_messages (
    instance    TEXT        NOT NULL,
    chat_id     TEXT        NOT NULL,
    id_message  TEXT        NOT NULL,
    kind        TEXT        NOT NULL,
    text        TEXT        NOT NULL,
    attempted   BOOLEAN     NOT NULL DEFAULT false,
    sent_id     TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (instance, chat_id, id_message, kind)
);

-- Why a first contact's greeting was not sent: a person had the chat, or
-- the sender had opted out ('' when it was).
ALTER TABLE first_contacts ADD COLUMN skipped TEXT NOT NULL DEFAULT '';
