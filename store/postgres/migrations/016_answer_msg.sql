-- When the customer wrote the message that started a first contact (its
-- WhatsApp time; NULL for rows from before), which the answer and the
-- reminders count from, and the message of the business that answered it,
-- so that a retry of that message settles the answer again.
ALTER TABLE first_contacts
    ADD COLUMN message_at TIMESTAMPTZ,
    ADD COLUMN answered_msg TEXT NOT NULL DEFAULT '';
