-- A first contact's reminder to the chat that got its summary, and its
-- escalation: due at remind_at and escalate_at (Unix ms, 0 none), their
-- text recorded with the summary, their recipient set once the summary
-- went out, and each send recorded before it is made.
ALTER TABLE first_contacts ADD COLUMN remind_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE first_contacts ADD COLUMN reminder TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts ADD COLUMN reminder_to TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts ADD COLUMN reminder_attempted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE first_contacts ADD COLUMN reminder_id TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts ADD COLUMN escalate_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE first_contacts ADD COLUMN escalation TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts ADD COLUMN escalation_to TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts ADD COLUMN escalation_attempted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE first_contacts ADD COLUMN escalation_id TEXT NOT NULL DEFAULT '';
-- The sweep reads only what may be due: unanswered, routed, not sent.
CREATE INDEX first_contacts_reminders ON first_contacts (remind_at)
    WHERE answered_at IS NULL AND reminder_to <> '' AND reminder_id = '';
CREATE INDEX first_contacts_escalations ON first_contacts (escalate_at)
    WHERE answered_at IS NULL AND escalation_to <> '' AND escalation_id = '';
