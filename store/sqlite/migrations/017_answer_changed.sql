-- A vote or tap that changed the answer to a first contact's menu after
-- its choice was recorded (which stands): the option it holds now (a
-- choice's id; "none" for no option) and when (Unix ms; 0 never), for the
-- status page. Only SetAnswerChanged writes them.
ALTER TABLE first_contacts ADD COLUMN changed_to TEXT NOT NULL DEFAULT '';
ALTER TABLE first_contacts ADD COLUMN changed_at INTEGER NOT NULL DEFAULT 0;
