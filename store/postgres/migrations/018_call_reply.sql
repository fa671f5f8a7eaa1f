-- The last answer to a call nobody picked up and the call it answered: one
-- such answer per chat within NEW_SENDER_AFTER.
ALTER TABLE chats
    ADD COLUMN call_reply_at TIMESTAMPTZ,
    ADD COLUMN call_reply_msg TEXT NOT NULL DEFAULT '';
