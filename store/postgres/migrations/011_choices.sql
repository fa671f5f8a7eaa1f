-- A greeting that ends with a menu; see store/sqlite.
ALTER TABLE first_contacts ADD COLUMN choice_until TIMESTAMPTZ;
ALTER TABLE first_contacts ADD COLUMN choice TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts ADD COLUMN choice_msg TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts ADD COLUMN answer TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts ADD COLUMN answer_attempted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE first_contacts ADD COLUMN answer_id TEXT NOT NULL DEFAULT '';
CREATE INDEX first_contacts_choosing ON first_contacts (choice_until) WHERE step = 'choosing';
ALTER TABLE chats ADD COLUMN menu_waits BOOLEAN NOT NULL DEFAULT false;
