-- A greeting that sends a file by its link, with the text as its caption,
-- and the typing indicator before it (milliseconds, 0 none).
ALTER TABLE first_contacts ADD COLUMN reply_file_url TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts ADD COLUMN reply_file_name TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts ADD COLUMN reply_typing_ms INTEGER NOT NULL DEFAULT 0;
