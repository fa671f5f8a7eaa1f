-- The last answer to a call nobody picked up (Unix ms, 0 none) and the call
-- it answered: one such answer per chat within NEW_SENDER_AFTER.
ALTER TABLE chats ADD COLUMN call_reply_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN call_reply_msg TEXT NOT NULL DEFAULT '';
