-- The end of the closed period in which the chat got its away reply.
ALTER TABLE chats ADD COLUMN away_until TIMESTAMPTZ;
