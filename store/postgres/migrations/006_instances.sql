-- Many Green API instances on one database: every row says whose it is
-- (idInstance). Rows of a single-instance Frontdesk get '' and are adopted
-- by its instance at start-up (DB.AdoptUnassigned). The same chat written
-- to two numbers is two chats, two profiles, two first contacts.
ALTER TABLE notifications ADD COLUMN instance TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications DROP CONSTRAINT notifications_chat_id_id_message_key;
ALTER TABLE notifications ADD CONSTRAINT notifications_instance_chat_message_key UNIQUE (instance, chat_id, id_message);
DROP INDEX notifications_chat_pending;
CREATE INDEX notifications_chat_pending ON notifications (instance, chat_id, id) WHERE finished_at IS NULL;
CREATE INDEX notifications_instance_pending ON notifications (instance) WHERE finished_at IS NULL;

ALTER TABLE dead_letters ADD COLUMN instance TEXT NOT NULL DEFAULT '';

ALTER TABLE chats ADD COLUMN instance TEXT NOT NULL DEFAULT '';
ALTER TABLE chats DROP CONSTRAINT chats_pkey;
ALTER TABLE chats ADD PRIMARY KEY (instance, chat_id);

ALTER TABLE profiles ADD COLUMN instance TEXT NOT NULL DEFAULT '';
ALTER TABLE profiles DROP CONSTRAINT profiles_pkey;
ALTER TABLE profiles ADD PRIMARY KEY (instance, chat_id);

ALTER TABLE first_contacts ADD COLUMN instance TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts DROP CONSTRAINT first_contacts_pkey;
ALTER TABLE first_contacts ADD PRIMARY KEY (instance, chat_id, id_message);

ALTER TABLE events ADD COLUMN instance TEXT NOT NULL DEFAULT '';
DROP INDEX events_waiting;
CREATE INDEX events_waiting ON events (instance, chat_id, seq) WHERE delivered_at IS NULL AND dead_at IS NULL;

-- Chats and profiles are also looked up by chat alone (forget).
CREATE INDEX chats_chat ON chats (chat_id);
CREATE INDEX first_contacts_chat ON first_contacts (chat_id);
