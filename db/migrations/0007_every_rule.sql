-- Every rule on every path: the reasons a proposal is invalidated, a
-- placement or tandem ends when a consent is withdrawn, and the indexes of
-- the re-checks that close open proposals whose pair stopped fitting
-- (db/functions/rules.sql and proposals.sql).

ALTER TABLE ch.proposal DROP CONSTRAINT proposal_invalidated_reason_check;
ALTER TABLE ch.proposal ADD CONSTRAINT proposal_invalidated_reason_check
    CHECK (invalidated_reason IN ('consent_withdrawn', 'participant_inactive',
	'offer_not_open', 'mentor_not_active', 'no_longer_fits',
	'capacity_reduced'));

ALTER TABLE ch.placement DROP CONSTRAINT placement_end_reason_check;
ALTER TABLE ch.placement ADD CONSTRAINT placement_end_reason_check
    CHECK (end_reason IN ('completed', 'participant_left', 'moved_away',
	'offer_closed', 'not_a_fit', 'consent_withdrawn', 'other'));

-- The open proposals of an offer or a mentor, for the re-checks.
CREATE INDEX proposal_open_offer ON ch.proposal (offer_id)
    WHERE status IN ('pending', 'approved');
CREATE INDEX proposal_open_mentor ON ch.proposal (mentor_id)
    WHERE status IN ('pending', 'approved');

ALTER TABLE ch.tandem DROP CONSTRAINT tandem_end_reason_check;
ALTER TABLE ch.tandem ADD CONSTRAINT tandem_end_reason_check
    CHECK (end_reason IN ('mentee_withdrew', 'mentor_withdrew',
	'moved_away', 'no_contact', 'health', 'consent_withdrawn', 'other'));
