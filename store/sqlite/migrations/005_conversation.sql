-- The conversation around the greeting: a person of the business took the
-- chat over until human_until (Unix ms, 0 none); the sender opted out of
-- automatic messages at opted_out_at (NULL: not opted out).
ALTER TABLE chats ADD COLUMN human_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN opted_out_at INTEGER;

-- Automatic messages outside a first contact (the opt-out confirmation),
-- each recorded before it is sent, keyed by the message that caused it.
CREATE TABLE chat_messages (
    instance    TEXT    NOT NULL,
    chat_id     TEXT    NOT NULL,
    id_message  TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    attempted   INTEGER NOT NULL DEFAULT 0,
    sent_id     TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (instance, chat_id, id_message, kind)
);

-- Why a first contact's greeting was not sent: a person had the chat, or
-- the sender had opted out ('' when it was).
ALTER TABLE first_contacts ADD COLUMN skipped TEXT NOT NULL DEFAULT '';
