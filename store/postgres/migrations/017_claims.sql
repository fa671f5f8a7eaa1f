-- The operator who took a first contact by quoting its summary (or its
-- reminder) with a claim word in the operators' chat: their name and
-- number, the claim message, and when (NULL: not claimed). Only
-- TakeFirstContact writes them.
ALTER TABLE first_contacts
    ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '',
    ADD COLUMN claimed_phone TEXT NOT NULL DEFAULT '',
    ADD COLUMN claim_msg TEXT NOT NULL DEFAULT '',
    ADD COLUMN claimed_at TIMESTAMPTZ;
-- A claim finds its first contact by the message it quotes.
CREATE INDEX first_contacts_summary_sent ON first_contacts (instance, summary_id) WHERE summary_id <> '';
CREATE INDEX first_contacts_reminder_sent ON first_contacts (instance, reminder_id) WHERE reminder_id <> '';
CREATE INDEX first_contacts_escalation_sent ON first_contacts (instance, escalation_id) WHERE escalation_id <> '';
-- A claim of a message not known yet waits only while a summary to its
-- chat is being settled (sent, its id not recorded).
CREATE INDEX first_contacts_summary_unsettled ON first_contacts (instance, summary_to) WHERE summary_attempted AND summary_id = '';
