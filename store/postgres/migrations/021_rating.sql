-- The follow-up question (rating in the rules file): when it was asked
-- (NULL not yet, or never: the customer opted out, Green API refused it),
-- and the customer's rating, 1 to 5 (0 none), when they gave it and in
-- which vote (so that a retry of that vote settles it again). Only
-- SetRatingAsked and SetRating write them.
ALTER TABLE first_contacts
    ADD COLUMN rating_asked_at TIMESTAMPTZ,
    ADD COLUMN rating SMALLINT NOT NULL DEFAULT 0,
    ADD COLUMN rated_at TIMESTAMPTZ,
    ADD COLUMN rated_msg TEXT NOT NULL DEFAULT '';
-- The sweep reads only the answered contacts not asked yet.
CREATE INDEX first_contacts_rating ON first_contacts (instance, answered_at)
    WHERE rating_asked_at IS NULL AND answered_by IN ('phone', 'api');
