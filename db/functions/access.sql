-- Who the caller is to a person: the relations that give access, as the
-- visibility functions (ch.<entity>_visible, next to each entity) and the
-- policies of db/policies.sql ask them. They read the caller that
-- ch.enter() recorded in the transaction's settings, because a policy has
-- no other way to know it; the API's functions call ch.enter() before
-- they ask.
--
-- A visibility function stays a single SQL expression, so that the
-- planner inlines it into the queries and policies that use it; what
-- needs a subquery lives here, behind a role test, so that it runs only
-- for the role it concerns.
--
-- Each function here is its one current source: edit it in place, and
-- scripts/migrate.sh applies the file again (CREATE OR REPLACE). A
-- function whose arguments or result type change, or that goes away, is
-- dropped by a new migration in db/migrations/.

-- Staff of a district: its coordinators and assistants (the state admin
-- reads no person). ch.is_staff says the same of a caller given as JSON.
CREATE OR REPLACE FUNCTION ch.staff_of(p_district text) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT coalesce(ch.setting('role') IN ('coordinator', 'assistant')
	    AND p_district = ch.setting('district'), false);
$$;

-- The person herself.
CREATE OR REPLACE FUNCTION ch.is_self(p_participant uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT coalesce(ch.setting('role') = 'participant'
	    AND p_participant::text = ch.setting('participant'), false);
$$;

-- The caller's organisation has an active placement of the person.
CREATE OR REPLACE FUNCTION ch.places(p_participant uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT ch.setting('role') = 'organization' AND EXISTS (
	    SELECT 1 FROM ch.placement pl
	    WHERE pl.participant_id = p_participant
		AND pl.organization_id::text = ch.setting('organization')
		AND pl.status = 'active');
$$;

-- The caller is the person's mentor in an active tandem.
CREATE OR REPLACE FUNCTION ch.mentors(p_participant uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT ch.setting('role') = 'mentor' AND EXISTS (
	    SELECT 1 FROM ch.tandem t
	    WHERE t.participant_id = p_participant
		AND t.mentor_user_id::text = ch.setting('user')
		AND t.status = 'active');
$$;

-- The person's standing consent to a purpose: granted and not withdrawn.
CREATE OR REPLACE FUNCTION ch.has_consent(p_participant uuid, p_purpose text)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM ch.consent c
	    WHERE c.participant_id = p_participant AND c.purpose = p_purpose
	    AND c.withdrawn_at IS NULL);
$$;
