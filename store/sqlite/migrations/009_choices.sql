-- A greeting that ends with a menu (a rule's choices): when the wait for
-- the choice ends (Unix ms, 0 for no menu), the option chosen (its id; ''
-- before, or when the wait ran out), the message that chose or the
-- notification that ended the wait ('' while it waits), and the chosen
-- option's reply, recorded before it is sent.
ALTER TABLE first_contacts ADD COLUMN choice_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE first_contacts ADD COLUMN choice TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts ADD COLUMN choice_msg TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts ADD COLUMN answer TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts ADD COLUMN answer_attempted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE first_contacts ADD COLUMN answer_id TEXT NOT NULL DEFAULT '';
-- The menus waiting, by the end of their wait (DueChoices).
CREATE INDEX first_contacts_choosing ON first_contacts (choice_until) WHERE step = 'choosing';
-- The chat's current first contact has a menu that waits (or whose end is
-- still being sent): only then is a known sender's message read as a
-- choice, and the claim says so without another query.
ALTER TABLE chats ADD COLUMN menu_waits INTEGER NOT NULL DEFAULT 0;
