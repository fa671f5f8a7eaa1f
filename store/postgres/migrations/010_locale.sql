-- The language the sender chose by replying to the greeting's list ('' none).
ALTER TABLE chats ADD COLUMN locale TEXT NOT NULL DEFAULT '';
