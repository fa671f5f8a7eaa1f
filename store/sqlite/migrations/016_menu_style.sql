-- A menu sent as a poll or buttons (menu_style): its style, its options
-- (a JSON array; '' for none) and the numbered text that goes in its
-- place when Green API refuses it; and how a first contact's choice was
-- made (poll, button, number, label).
ALTER TABLE chat_messages ADD COLUMN style TEXT NOT NULL DEFAULT '';
ALTER TABLE chat_messages ADD COLUMN options TEXT NOT NULL DEFAULT '';
ALTER TABLE chat_messages ADD COLUMN fallback TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts ADD COLUMN choice_by TEXT NOT NULL DEFAULT '';
