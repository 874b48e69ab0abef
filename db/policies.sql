-- Row-level security: the second wall around personal data, behind the
-- checks of the functions and of the API. Every policy of schema ch is
-- here; scripts/migrate.sh applies this file after the function files
-- whenever it changed, and the first statement removes every policy, so
-- a policy deleted here is gone from the database too.
--
-- Each table has one read policy, which asks the entity's visibility
-- function (ch.<entity>_visible, next to the entity's functions) about
-- the caller that ch.enter() recorded: the list and the single read of
-- the entity ask the same function, so who sees what is written once. The write policies say who may change rows: the staff of the
-- row's district, and where the API lets them, the person, the
-- organisation or the mentor. Without ch.enter() nothing is visible. They bind the owner as well (FORCE): a session of the owner's
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

CREATE POLICY read ON ch.participant FOR SELECT TO ch_app
    USING (ch.participant_visible(participant));

CREATE POLICY staff ON ch.participant TO ch_app
    USING (ch.staff_of(district_id));

CREATE POLICY self_update ON ch.participant FOR UPDATE TO ch_app
    USING (ch.setting('role') = 'participant'
	AND id::text = ch.setting('participant'));

-- ---------------------------------------------------------------------
-- ch.participant_contact
-- Contact details: tighter than the person.

ALTER TABLE ch.participant_contact ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.participant_contact FORCE ROW LEVEL SECURITY;

CREATE POLICY read ON ch.participant_contact FOR SELECT TO ch_app
    USING (ch.contact_visible(participant_contact));

CREATE POLICY staff ON ch.participant_contact TO ch_app
    USING (ch.staff_of(district_id));

CREATE POLICY self_update ON ch.participant_contact FOR UPDATE TO ch_app
    USING (ch.setting('role') = 'participant'
	AND participant_id::text = ch.setting('participant'));

-- ---------------------------------------------------------------------
-- ch.consent

ALTER TABLE ch.consent ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.consent FORCE ROW LEVEL SECURITY;

CREATE POLICY read ON ch.consent FOR SELECT TO ch_app
    USING (ch.consent_visible(consent));

CREATE POLICY staff ON ch.consent TO ch_app
    USING (ch.staff_of(district_id));

CREATE POLICY self ON ch.consent TO ch_app
    USING (ch.setting('role') = 'participant'
	AND participant_id::text = ch.setting('participant'));

-- ---------------------------------------------------------------------
-- ch.placement

ALTER TABLE ch.placement ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.placement FORCE ROW LEVEL SECURITY;

CREATE POLICY read ON ch.placement FOR SELECT TO ch_app
    USING (ch.placement_visible(placement));

CREATE POLICY staff ON ch.placement TO ch_app
    USING (ch.staff_of(district_id));

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

CREATE POLICY read ON ch.mentee_profile FOR SELECT TO ch_app
    USING (ch.mentee_visible(mentee_profile));

CREATE POLICY staff ON ch.mentee_profile TO ch_app
    USING (ch.staff_of(district_id));

CREATE POLICY self ON ch.mentee_profile TO ch_app
    USING (ch.setting('role') = 'participant'
	AND participant_id::text = ch.setting('participant'));

-- ---------------------------------------------------------------------
-- ch.tandem

ALTER TABLE ch.tandem ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.tandem FORCE ROW LEVEL SECURITY;

CREATE POLICY read ON ch.tandem FOR SELECT TO ch_app
    USING (ch.tandem_visible(tandem));

CREATE POLICY staff ON ch.tandem TO ch_app
    USING (ch.staff_of(district_id));

CREATE POLICY mentor ON ch.tandem TO ch_app
    USING (ch.setting('role') = 'mentor'
	AND mentor_user_id::text = ch.setting('user'));

-- ---------------------------------------------------------------------
-- ch.tandem_meeting

ALTER TABLE ch.tandem_meeting ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.tandem_meeting FORCE ROW LEVEL SECURITY;

CREATE POLICY read ON ch.tandem_meeting FOR SELECT TO ch_app
    USING (ch.meeting_visible(tandem_meeting));

CREATE POLICY staff ON ch.tandem_meeting TO ch_app
    USING (ch.staff_of(district_id));

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

CREATE POLICY read ON ch.proposal FOR SELECT TO ch_app
    USING (ch.proposal_visible(proposal));

CREATE POLICY staff ON ch.proposal TO ch_app
    USING (ch.staff_of(district_id));

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

-- ---------------------------------------------------------------------
-- ch.erasure_request
-- An erasure request: the state admin, the staff of its district, its
-- subject. The API's role only reads; the request functions write.

ALTER TABLE ch.erasure_request ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.erasure_request FORCE ROW LEVEL SECURITY;

CREATE POLICY read ON ch.erasure_request FOR SELECT TO ch_app
    USING (ch.erasure_visible(erasure_request));

-- ---------------------------------------------------------------------
-- ch.problem_report, ch.problem_report_comment
-- What a person reported: the staff of its district and the person it is
-- about. Organisations, mentors and the state admin read none.

ALTER TABLE ch.problem_report ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.problem_report FORCE ROW LEVEL SECURITY;

CREATE POLICY read ON ch.problem_report FOR SELECT TO ch_app
    USING (ch.problem_report_visible(problem_report));

CREATE POLICY staff ON ch.problem_report TO ch_app
    USING (ch.staff_of(district_id));

-- The person writes only what she reports from the app.
CREATE POLICY self ON ch.problem_report TO ch_app
    USING (ch.is_self(participant_id))
    WITH CHECK (ch.is_self(participant_id) AND channel = 'app');

ALTER TABLE ch.problem_report_comment ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch.problem_report_comment FORCE ROW LEVEL SECURITY;

CREATE POLICY read ON ch.problem_report_comment FOR SELECT TO ch_app
    USING (ch.problem_comment_visible(problem_report_comment));

CREATE POLICY staff ON ch.problem_report_comment TO ch_app
    USING (ch.staff_of(district_id));

CREATE POLICY self ON ch.problem_report_comment TO ch_app
    USING (ch.is_self(participant_id));
