-- The visibility functions of the entities under row-level security read
-- the caller from the transaction's settings, as their policies do, and
-- take the row alone: the two that took the caller as JSON go.
DROP FUNCTION IF EXISTS ch.proposal_visible(jsonb, ch.proposal);
DROP FUNCTION IF EXISTS ch.mentee_visible(jsonb, ch.mentee_profile);
