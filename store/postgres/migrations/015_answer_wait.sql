-- How long the customer waited for a person's first answer, in ms of open
-- time (with [hours]), for the status page's figures; 0 before.
ALTER TABLE first_contacts ADD COLUMN answer_wait_ms BIGINT NOT NULL DEFAULT 0;
-- The status page's waiting list: routed, unanswered.
CREATE INDEX first_contacts_waiting ON first_contacts (created_at)
    WHERE answered_at IS NULL AND summary_id <> '';
