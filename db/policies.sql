-- Row-level security: the second wall around personal data, behind the
-- checks of the functions and of the API. Every policy of schema ch is
-- here; scripts/migrate.sh applies this file after the function files
-- whenever it changed, and the first statement removes every policy, so
-- a policy deleted here is gone from the database too.
--
-- The policies read the caller from the transaction-local settings that
-- ch.enter() writes (ch.setting()); without ch.enter() nothing is
-- visible. They bind the owner as well (FORCE): a session of the owner's
-- role, or of a role that switched to it, reads no person, so neither a
-- migration nor an operator reads personal data by accident. The
-- functions that must read past them (SECURITY DEFINER: the worker's job
-- functions, the triggers that invalidate proposals, the counts of the
-- reports) belong to ch_definer, a role that cannot log in and bypasses
-- row-level security; db/privileges.sql hands them over. Demo data and
-- tests that inspect the tables use a superuser.

DO $$
DECLARE
	p	record;
BEGIN
	FOR p IN SELECT policyname, tablename FROM pg_policies
	    WHERE schemaname = 'ch' LOOP
		EXECUTE format('DROP POLICY %I ON ch.%I', p.policyname,
		    p.tablename);
	END LOOP;
END
$$;

-- ---------------------------------------------------------------------
-- ch.participant
-- A person: the staff of her district, herself, an organisation while
-- she is placed in one of its offers, a mentor while they are a tandem.

ALTER TABLE ch.participant ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.participant FORCE ROW LEVEL SECURITY;

CREATE POLICY staff ON ch.participant TO ch_app
    USING (ch.setting('role') IN ('coordinator', 'assistant')
	AND district_id = ch.setting('district'));

CREATE POLICY self_read ON ch.participant FOR SELECT TO ch_app
    USING (ch.setting('role') = 'participant'
	AND id::text = ch.setting('participant'));

CREATE POLICY self_update ON ch.participant FOR UPDATE TO ch_app
    USING (ch.setting('role') = 'participant'
	AND id::text = ch.setting('participant'));

CREATE POLICY partner_read ON ch.participant FOR SELECT TO ch_app
    USING (ch.setting('role') = 'organization' AND EXISTS (
	SELECT 1 FROM ch.placement p
	WHERE p.participant_id = participant.id
	    AND p.organization_id::text = ch.setting('organization')
	    AND p.status = 'active'));

CREATE POLICY mentor_read ON ch.participant FOR SELECT TO ch_app
    USING (ch.setting('role') = 'mentor' AND EXISTS (
	SELECT 1 FROM ch.tandem t
	WHERE t.participant_id = participant.id
	    AND t.mentor_user_id::text = ch.setting('user')
	    AND t.status = 'active'));

-- ---------------------------------------------------------------------
-- ch.participant_contact
-- Contact details: tighter than the person.

ALTER TABLE ch.participant_contact ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.participant_contact FORCE ROW LEVEL SECURITY;

CREATE POLICY staff ON ch.participant_contact TO ch_app
    USING (ch.setting('role') IN ('coordinator', 'assistant')
	AND district_id = ch.setting('district'));

CREATE POLICY self_read ON ch.participant_contact FOR SELECT TO ch_app
    USING (ch.setting('role') = 'participant'
	AND participant_id::text = ch.setting('participant'));

CREATE POLICY self_update ON ch.participant_contact FOR UPDATE TO ch_app
    USING (ch.setting('role') = 'participant'
	AND participant_id::text = ch.setting('participant'));

-- An organisation reads contact details only where the person consented
-- to share them with the partners of their placements, and only while a
-- placement with it is active.
CREATE POLICY partner_read ON ch.participant_contact FOR SELECT TO ch_app
    USING (ch.setting('role') = 'organization' AND EXISTS (
	SELECT 1 FROM ch.placement p
	WHERE p.participant_id = participant_contact.participant_id
	    AND p.organization_id::text = ch.setting('organization')
	    AND p.status = 'active')
	AND EXISTS (SELECT 1 FROM ch.consent c
	    WHERE c.participant_id = participant_contact.participant_id
		AND c.purpose = 'share_contact_with_partner'
		AND c.withdrawn_at IS NULL));

-- ---------------------------------------------------------------------
-- ch.consent

ALTER TABLE ch.consent ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.consent FORCE ROW LEVEL SECURITY;

CREATE POLICY staff ON ch.consent TO ch_app
    USING (ch.setting('role') IN ('coordinator', 'assistant')
	AND district_id = ch.setting('district'));

CREATE POLICY self ON ch.consent TO ch_app
    USING (ch.setting('role') = 'participant'
	AND participant_id::text = ch.setting('participant'));

-- Consents are read by the sharing policy above on behalf of an
-- organisation; it sees whether, not the history.
CREATE POLICY partner_read ON ch.consent FOR SELECT TO ch_app
    USING (ch.setting('role') = 'organization'
	AND purpose = 'share_contact_with_partner' AND EXISTS (
	SELECT 1 FROM ch.placement p
	WHERE p.participant_id = consent.participant_id
	    AND p.organization_id::text = ch.setting('organization')
	    AND p.status = 'active'));

-- ---------------------------------------------------------------------
-- ch.placement

ALTER TABLE ch.placement ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.placement FORCE ROW LEVEL SECURITY;

CREATE POLICY staff ON ch.placement TO ch_app
    USING (ch.setting('role') IN ('coordinator', 'assistant')
	AND district_id = ch.setting('district'));

CREATE POLICY self_read ON ch.placement FOR SELECT TO ch_app
    USING (ch.setting('role') = 'participant'
	AND participant_id::text = ch.setting('participant'));

CREATE POLICY partner_read ON ch.placement FOR SELECT TO ch_app
    USING (ch.setting('role') = 'organization'
	AND organization_id::text = ch.setting('organization'));

CREATE POLICY partner_update ON ch.placement FOR UPDATE TO ch_app
    USING (ch.setting('role') = 'organization'
	AND organization_id::text = ch.setting('organization'));

-- ---------------------------------------------------------------------
-- ch.mentee_profile
-- Mentee profiles, tandems and meetings: staff see their district, the
-- mentee herself, the mentor her own tandems (and through them her
-- mentees).

ALTER TABLE ch.mentee_profile ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.mentee_profile FORCE ROW LEVEL SECURITY;

CREATE POLICY staff ON ch.mentee_profile TO ch_app
    USING (ch.setting('role') IN ('coordinator', 'assistant')
	AND district_id = ch.setting('district'));

CREATE POLICY self ON ch.mentee_profile TO ch_app
    USING (ch.setting('role') = 'participant'
	AND participant_id::text = ch.setting('participant'));

CREATE POLICY mentor_read ON ch.mentee_profile FOR SELECT TO ch_app
    USING (ch.setting('role') = 'mentor' AND EXISTS (
	SELECT 1 FROM ch.tandem t
	WHERE t.participant_id = mentee_profile.participant_id
	    AND t.mentor_user_id::text = ch.setting('user')
	    AND t.status = 'active'));

-- ---------------------------------------------------------------------
-- ch.tandem

ALTER TABLE ch.tandem ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.tandem FORCE ROW LEVEL SECURITY;

CREATE POLICY staff ON ch.tandem TO ch_app
    USING (ch.setting('role') IN ('coordinator', 'assistant')
	AND district_id = ch.setting('district'));

CREATE POLICY self_read ON ch.tandem FOR SELECT TO ch_app
    USING (ch.setting('role') = 'participant'
	AND participant_id::text = ch.setting('participant'));

CREATE POLICY mentor ON ch.tandem TO ch_app
    USING (ch.setting('role') = 'mentor'
	AND mentor_user_id::text = ch.setting('user'));

-- ---------------------------------------------------------------------
-- ch.tandem_meeting

ALTER TABLE ch.tandem_meeting ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.tandem_meeting FORCE ROW LEVEL SECURITY;

CREATE POLICY staff ON ch.tandem_meeting TO ch_app
    USING (ch.setting('role') IN ('coordinator', 'assistant')
	AND district_id = ch.setting('district'));

CREATE POLICY self ON ch.tandem_meeting TO ch_app
    USING (ch.setting('role') = 'participant'
	AND participant_id::text = ch.setting('participant'));

CREATE POLICY mentor ON ch.tandem_meeting TO ch_app
    USING (ch.setting('role') = 'mentor'
	AND mentor_user_id::text = ch.setting('user') AND EXISTS (
	SELECT 1 FROM ch.tandem t
	WHERE t.id = tandem_meeting.tandem_id AND t.status = 'active'));

-- ---------------------------------------------------------------------
-- ch.proposal
-- Proposals: staff of the participant's district; the participant, the
-- offer's organisation and the mentor once staff approved the proposal.

ALTER TABLE ch.proposal ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.proposal FORCE ROW LEVEL SECURITY;

CREATE POLICY staff ON ch.proposal TO ch_app
    USING (ch.setting('role') IN ('coordinator', 'assistant')
	AND district_id = ch.setting('district'));

CREATE POLICY self ON ch.proposal TO ch_app
    USING (ch.setting('role') = 'participant' AND reviewed_at IS NOT NULL
	AND status <> 'rejected'
	AND participant_id::text = ch.setting('participant'));

CREATE POLICY partner ON ch.proposal TO ch_app
    USING (ch.setting('role') = 'organization' AND reviewed_at IS NOT NULL
	AND status <> 'rejected'
	AND organization_id::text = ch.setting('organization'));

CREATE POLICY mentor ON ch.proposal TO ch_app
    USING (ch.setting('role') = 'mentor' AND reviewed_at IS NOT NULL
	AND status <> 'rejected'
	AND mentor_user_id::text = ch.setting('user'));
