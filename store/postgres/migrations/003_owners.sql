-- Which replica works each notification: the one that stored it, until it
-- dies (its replica lock is gone) or hands it back (''), when another
-- replica rescues it. '' for notifications stored before replicas.
ALTER TABLE notifications ADD COLUMN owner TEXT NOT NULL DEFAULT '';
CREATE INDEX notifications_owner_pending ON notifications (owner, id) WHERE finished_at IS NULL;
CREATE INDEX notifications_chat_pending ON notifications (chat_id, id) WHERE finished_at IS NULL;
