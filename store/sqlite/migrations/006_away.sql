-- The end of the closed period in which the chat got its away reply
-- (Unix ms, 0 none): one away reply per closed period.
ALTER TABLE chats ADD COLUMN away_until INTEGER NOT NULL DEFAULT 0;
