-- When a person of the business first answered the first contact in the
-- customer's chat (Unix ms; NULL: not yet), and how: phone (the phone or a
-- WhatsApp client) or api (another program through Green API's API).
ALTER TABLE first_contacts ADD COLUMN answered_at INTEGER;
ALTER TABLE first_contacts ADD COLUMN answered_by TEXT NOT NULL DEFAULT '';
-- First contacts that ended before answers were tracked are settled: no
-- one knows whether a person answered them, and they wait for no one.
UPDATE first_contacts SET answered_at = 0, answered_by = 'before' WHERE step IN ('done', 'gave_up');
