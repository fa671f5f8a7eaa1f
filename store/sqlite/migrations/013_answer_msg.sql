-- When the customer wrote the message that started a first contact (its
-- WhatsApp time, Unix ms; 0 for rows from before), which the answer and
-- the reminders count from, and the message of the business that answered
-- it, so that a retry of that message settles the answer again.
ALTER TABLE first_contacts ADD COLUMN message_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE first_contacts ADD COLUMN answered_msg TEXT NOT NULL DEFAULT '';
-- Rows settled by 010 read as answered, like PostgreSQL's.
UPDATE first_contacts SET answered_at = 1 WHERE answered_at = 0 AND answered_by = 'before';
