-- Every rule on every path. Who fits which offer or mentor is written
-- once here (ch.placement_errors, ch.tandem_errors) and checked wherever a
-- placement or tandem comes about: the direct create, the approval of a
-- proposal, the second acceptance, the worker's results, and every change
-- to either side of an open proposal. Access ends with its basis: an
-- organisation reads a person only while a placement with it is active, a
-- mentor her mentee only while their tandem is active, the other
-- district's partners nothing once cross_district is withdrawn. Row-level
-- security binds the tables' owner too (FORCE), so only the functions
-- marked SECURITY DEFINER read past it.

-- ---------------------------------------------------------------------
-- State

ALTER TABLE ch.proposal DROP CONSTRAINT proposal_invalidated_reason_check;
ALTER TABLE ch.proposal ADD CONSTRAINT proposal_invalidated_reason_check
    CHECK (invalidated_reason IN ('consent_withdrawn', 'participant_inactive',
	'offer_not_open', 'mentor_not_active', 'no_longer_fits',
	'capacity_reduced'));

ALTER TABLE ch.placement DROP CONSTRAINT placement_end_reason_check;
ALTER TABLE ch.placement ADD CONSTRAINT placement_end_reason_check
    CHECK (end_reason IN ('completed', 'participant_left', 'moved_away',
	'offer_closed', 'not_a_fit', 'consent_withdrawn', 'other'));

-- The open proposals of an offer or a mentor, for the re-checks below.
CREATE INDEX proposal_open_offer ON ch.proposal (offer_id)
    WHERE status IN ('pending', 'approved');
CREATE INDEX proposal_open_mentor ON ch.proposal (mentor_id)
    WHERE status IN ('pending', 'approved');

ALTER TABLE ch.tandem DROP CONSTRAINT tandem_end_reason_check;
ALTER TABLE ch.tandem ADD CONSTRAINT tandem_end_reason_check
    CHECK (end_reason IN ('mentee_withdrew', 'mentor_withdrew',
	'moved_away', 'no_contact', 'health', 'consent_withdrawn', 'other'));

-- ---------------------------------------------------------------------
-- Row-level security binds the owner as well (FORCE): a session of the
-- owner's role, or of a role that switched to it, reads no person, so
-- neither a migration nor an operator reads personal data by accident.
-- The functions that must read past it (SECURITY DEFINER: the worker's
-- job functions, the triggers that invalidate proposals, the counts of
-- the reports) belong to ch_definer, a role that cannot log in and
-- bypasses row-level security; db/privileges.sql hands them over. Demo
-- data and tests that inspect the tables use a superuser.

ALTER TABLE ch.participant FORCE ROW LEVEL SECURITY;
ALTER TABLE ch.participant_contact FORCE ROW LEVEL SECURITY;
ALTER TABLE ch.consent FORCE ROW LEVEL SECURITY;
ALTER TABLE ch.placement FORCE ROW LEVEL SECURITY;
ALTER TABLE ch.mentee_profile FORCE ROW LEVEL SECURITY;
ALTER TABLE ch.tandem FORCE ROW LEVEL SECURITY;
ALTER TABLE ch.tandem_meeting FORCE ROW LEVEL SECURITY;
ALTER TABLE ch.proposal FORCE ROW LEVEL SECURITY;

-- An organisation reads a person only while a placement in its offers is
-- active; a mentor her mentee only while their tandem is active. The
-- ended placement or tandem stays visible to them, without the person.
ALTER POLICY partner_read ON ch.participant
    USING (ch.setting('role') = 'organization' AND EXISTS (
	SELECT 1 FROM ch.placement p
	WHERE p.participant_id = participant.id
	    AND p.organization_id::text = ch.setting('organization')
	    AND p.status = 'active'));
ALTER POLICY mentor_read ON ch.participant
    USING (ch.setting('role') = 'mentor' AND EXISTS (
	SELECT 1 FROM ch.tandem t
	WHERE t.participant_id = participant.id
	    AND t.mentor_user_id::text = ch.setting('user')
	    AND t.status = 'active'));
ALTER POLICY mentor ON ch.tandem_meeting
    USING (ch.setting('role') = 'mentor'
	AND mentor_user_id::text = ch.setting('user') AND EXISTS (
	SELECT 1 FROM ch.tandem t
	WHERE t.id = tandem_meeting.tandem_id AND t.status = 'active'));
ALTER POLICY mentor_read ON ch.mentee_profile
    USING (ch.setting('role') = 'mentor' AND EXISTS (
	SELECT 1 FROM ch.tandem t
	WHERE t.participant_id = mentee_profile.participant_id
	    AND t.mentor_user_id::text = ch.setting('user')
	    AND t.status = 'active'));

-- ---------------------------------------------------------------------
-- The login role's own check: the API and ch-matcher refuse to start
-- when it could read past row-level security, by itself or by a role it
-- may take (the session's role and the one it acts as are both checked).
-- NULL when the role is fit.

CREATE FUNCTION ch.login_role_problem() RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT x.problem FROM (SELECT CASE
	    WHEN EXISTS (SELECT 1 FROM pg_roles s WHERE s.rolsuper
		AND pg_has_role(r.oid, s.oid, 'MEMBER'))
		THEN 'is a superuser or may become one'
	    WHEN pg_has_role(r.oid, n.nspowner, 'MEMBER')
		THEN 'owns schema ch or is a member of its owner'
	    WHEN EXISTS (SELECT 1 FROM pg_roles s WHERE s.rolbypassrls
		AND pg_has_role(r.oid, s.oid, 'MEMBER'))
		THEN 'has BYPASSRLS or may take a role that has it'
	    WHEN EXISTS (SELECT 1 FROM pg_class c
		WHERE c.relnamespace = n.oid AND c.relowner = r.oid)
		OR EXISTS (SELECT 1 FROM pg_proc f
		WHERE f.pronamespace = n.oid AND f.proowner = r.oid)
		OR EXISTS (SELECT 1 FROM pg_type t
		WHERE t.typnamespace = n.oid AND t.typowner = r.oid)
		THEN 'owns objects in schema ch'
	    END AS problem
	FROM pg_roles r, pg_namespace n
	WHERE r.rolname IN (session_user, current_user)
	    AND n.nspname = 'ch') x
	WHERE x.problem IS NOT NULL
	LIMIT 1;
$$;

-- ---------------------------------------------------------------------
-- The rules of a pair

-- A person's spoken languages as the matching engine sees them: her
-- languages, and without German among them the German level of her
-- mentee profile, if she has one.
CREATE FUNCTION ch.spoken(p ch.participant) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	german	text;
BEGIN
	IF p.languages @> '[{"code": "de"}]' THEN
		RETURN p.languages;
	END IF;
	SELECT mp.german_level INTO german FROM ch.mentee_profile mp
	WHERE mp.participant_id = p.id;
	IF german IS NULL THEN
		RETURN p.languages;
	END IF;
	RETURN p.languages || jsonb_build_array(jsonb_build_object('code',
	    'de', 'level', german));
END
$$;

-- A shared language as the engine counts it: a language both speak, or
-- German when the candidate uses it and the person's level reaches the
-- candidate's minimum (at least A1).
CREATE FUNCTION ch.shares_language(p_spoken jsonb, p_codes text[],
    p_min_german text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT EXISTS (SELECT 1 FROM jsonb_array_elements(p_spoken) l
	    WHERE l->>'code' = ANY (p_codes) AND (l->>'code' <> 'de'
		OR ch.level_rank(l->>'level') >=
		greatest(ch.level_rank(p_min_german), 1)));
$$;

-- Within the person's mobility radius of a place, or online. Where her
-- home or the place is not known, staff judge the distance themselves
-- (the matching engine, which ranks by distance, proposes only pairs it
-- can measure).
CREATE FUNCTION ch.within_reach(p ch.participant, p_place uuid,
    p_online boolean)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN p_online OR coalesce((SELECT ch.distance_km(a.lat, a.lon,
	    b.lat, b.lon) <= p.mobility_radius_km
	    FROM ch.place a, ch.place b
	    WHERE a.id = p.home_place_id AND b.id = p_place), true);
END
$$;

CREATE FUNCTION ch.has_consent(p_participant uuid, p_purpose text)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN EXISTS (SELECT 1 FROM ch.consent c
	    WHERE c.participant_id = p_participant AND c.purpose = p_purpose
	    AND c.withdrawn_at IS NULL);
END
$$;

-- Why a person cannot be placed in an offer: one field error each, []
-- when she can. The only definition of who fits an offer; capacity is
-- the placement table's own rule.
CREATE FUNCTION ch.placement_errors(p ch.participant, f ch.offer)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb := '[]';
	age	integer := extract(year FROM current_date)::integer
		    - p.birth_year;
BEGIN
	IF p.status = 'closed' THEN
		e := e || ch.err('/participant_id', 'closed',
		    'The participant''s case is closed.');
	END IF;
	IF f.status <> 'open' THEN
		e := e || ch.err('/offer_id', 'not_open',
		    'The offer is not open (status ' || f.status || ').');
	END IF;
	IF f.audience = 'women' AND p.gender <> 'female' THEN
		e := e || ch.err('/participant_id', 'audience',
		    'The offer is for women only.');
	END IF;
	IF (f.age_min IS NOT NULL OR f.age_max IS NOT NULL) AND (age IS NULL
	    OR age < f.age_min OR age > f.age_max) THEN
		e := e || ch.err('/participant_id', 'age', format(
		    'The offer is for ages %s to %s%s.', coalesce(f.age_min, 0),
		    coalesce(f.age_max, 120), CASE WHEN age IS NULL THEN
		    '; the participant''s birth year is not known' END));
	END IF;
	IF f.district_id <> p.district_id
	    AND NOT ch.has_consent(p.id, 'cross_district') THEN
		e := e || ch.err('/offer_id', 'consent', 'The offer is in '
		    'another district and the participant has not consented '
		    'to cross_district.');
	END IF;
	IF NOT ch.shares_language(ch.spoken(p), f.languages,
	    f.min_german_level) THEN
		e := e || ch.err('/offer_id', 'language', 'The participant '
		    'speaks none of the offer''s languages (German at least '
		    'at the offer''s minimum level).');
	END IF;
	IF NOT ch.within_reach(p, f.place_id, f.online) THEN
		e := e || ch.err('/offer_id', 'distance', 'The offer is '
		    'beyond the participant''s mobility radius and not '
		    'online.');
	END IF;
	RETURN e;
END
$$;

-- Why a woman cannot be mentored by a mentor: [] when she can. The only
-- definition of who fits a mentor; capacity and one active tandem per
-- mentee are the tandem table's own rules.
CREATE FUNCTION ch.tandem_errors(p ch.participant, m ch.mentor)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb := '[]';
	mp	ch.mentee_profile;
BEGIN
	SELECT * INTO mp FROM ch.mentee_profile x
	WHERE x.participant_id = p.id;
	IF p.gender <> 'female' THEN
		e := e || ch.err('/participant_id', 'women_only',
		    'Connecting Women mentors women only.');
	END IF;
	IF mp.participant_id IS NULL THEN
		e := e || ch.err('/participant_id', 'no_mentee_profile',
		    'The participant has no mentee profile yet.');
	END IF;
	IF p.status = 'closed' THEN
		e := e || ch.err('/participant_id', 'closed',
		    'The participant''s case is closed.');
	END IF;
	IF m.status <> 'active' THEN
		e := e || ch.err('/mentor_id', 'not_active', 'The mentor is '
		    'not active (status ' || m.status || ').');
	END IF;
	IF m.district_id <> p.district_id
	    AND NOT ch.has_consent(p.id, 'cross_district') THEN
		e := e || ch.err('/mentor_id', 'consent', 'The mentor works in '
		    'another district and the participant has not consented '
		    'to cross_district.');
	END IF;
	IF NOT ch.shares_language(ch.spoken(p),
	    ARRAY(SELECT l->>'code' FROM jsonb_array_elements(m.languages) l),
	    NULL) THEN
		e := e || ch.err('/mentor_id', 'language', 'The mentee and the '
		    'mentor share no language.');
	END IF;
	IF NOT ch.within_reach(p, m.home_place_id, m.online_ok) THEN
		e := e || ch.err('/mentor_id', 'distance', 'The mentor lives '
		    'beyond the mentee''s mobility radius and does not meet '
		    'online.');
	END IF;
	RETURN e;
END
$$;

-- The rules for a proposal's pair as the rows stand now.
CREATE FUNCTION ch.proposal_errors(x ch.proposal) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	p	ch.participant;
	f	ch.offer;
	m	ch.mentor;
BEGIN
	SELECT * INTO p FROM ch.participant WHERE id = x.participant_id;
	IF x.programme = 'partners' THEN
		SELECT * INTO f FROM ch.offer WHERE id = x.offer_id;
		RETURN ch.placement_errors(p, f);
	END IF;
	SELECT * INTO m FROM ch.mentor WHERE id = x.mentor_id;
	RETURN ch.tandem_errors(p, m);
END
$$;

-- ---------------------------------------------------------------------
-- The one INSERT of each: the rules, the table's own rules mapped to 409,
-- and the audit record. The caller has locked the person and the offer
-- or mentor and checked who may ask.

CREATE FUNCTION ch.placement_insert(p_who jsonb, p ch.participant,
    f ch.offer, p_started date, p_note text, p_proposal uuid)
RETURNS ch.placement LANGUAGE plpgsql AS $$
DECLARE
	e	jsonb := ch.placement_errors(p, f);
	pl	ch.placement;
BEGIN
	IF jsonb_array_length(e) > 0 THEN
		PERFORM ch.fail(409, 'The participant cannot be placed in '
		    'this offer.', e, CASE WHEN p_proposal IS NOT NULL
		    THEN 'proposal-impossible' END);
	END IF;
	IF EXISTS (SELECT 1 FROM ch.placement x WHERE x.participant_id = p.id
	    AND x.offer_id = f.id AND x.status = 'active') THEN
		PERFORM ch.fail(409, 'The participant is placed in this offer '
		    'already.', NULL, CASE WHEN p_proposal IS NOT NULL
		    THEN 'proposal-impossible' END);
	END IF;
	BEGIN
		INSERT INTO ch.placement (participant_id, offer_id,
		    district_id, organization_id, started_on, note,
		    created_by)
		VALUES (p.id, f.id, p.district_id, f.organization_id,
		    coalesce(p_started, current_date), p_note,
		    p_who->>'actor')
		RETURNING * INTO pl;
	EXCEPTION WHEN check_violation THEN
		PERFORM ch.fail(409, 'The offer has no free place left.',
		    NULL, 'capacity-exhausted');
	WHEN unique_violation THEN
		PERFORM ch.fail(409, 'The participant is placed in this offer '
		    'already.', NULL, CASE WHEN p_proposal IS NOT NULL
		    THEN 'proposal-impossible' END);
	END;
	PERFORM ch.audit_by(p_who, 'placement.created', 'placement', pl.id,
	    pl.district_id, jsonb_strip_nulls(jsonb_build_object('offer',
	    f.id, 'participant', p.id, 'proposal', p_proposal)));
	RETURN pl;
END
$$;

CREATE FUNCTION ch.tandem_insert(p_who jsonb, p ch.participant,
    m ch.mentor, p_started date, p_months integer, p_proposal uuid)
RETURNS ch.tandem LANGUAGE plpgsql AS $$
DECLARE
	e	jsonb := ch.tandem_errors(p, m);
	t	ch.tandem;
BEGIN
	IF jsonb_array_length(e) > 0 THEN
		PERFORM ch.fail(409, 'This tandem cannot be formed.', e,
		    CASE WHEN p_proposal IS NOT NULL
		    THEN 'proposal-impossible' END);
	END IF;
	BEGIN
		INSERT INTO ch.tandem (mentor_id, participant_id, district_id,
		    mentor_user_id, started_on, planned_months, created_by)
		VALUES (m.id, p.id, p.district_id, m.user_id,
		    coalesce(p_started, current_date), coalesce(p_months, 9),
		    p_who->>'actor')
		RETURNING * INTO t;
	EXCEPTION WHEN check_violation THEN
		PERFORM ch.fail(409, 'The mentor has no free place left.',
		    NULL, 'capacity-exhausted');
	WHEN unique_violation THEN
		PERFORM ch.fail(409, 'The mentee has an active tandem '
		    'already.', NULL, 'mentee-has-tandem');
	END;
	PERFORM ch.audit_by(p_who, 'tandem.created', 'tandem', t.id,
	    t.district_id, jsonb_strip_nulls(jsonb_build_object('mentor',
	    m.id, 'participant', p.id, 'proposal', p_proposal)));
	RETURN t;
END
$$;

CREATE OR REPLACE FUNCTION ch.placement_create(p_who jsonb, p_key text,
    p_hash text, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	p	ch.participant;
	f	ch.offer;
	pl	ch.placement;
	e	jsonb := '[]';
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	SELECT * INTO p FROM ch.participant
	WHERE id = (p_body->>'participant_id')::uuid FOR UPDATE;
	IF NOT FOUND OR NOT ch.is_staff(p_who, p.district_id) THEN
		e := e || ch.err('/participant_id', 'unknown',
		    'There is no participant with this id in your district.');
	END IF;
	-- Locked: a concurrent change of status or audience waits.
	SELECT * INTO f FROM ch.offer
	WHERE id = (p_body->>'offer_id')::uuid FOR UPDATE;
	IF NOT FOUND OR NOT ch.offer_visible(p_who, f) THEN
		e := e || ch.err('/offer_id', 'unknown',
		    'There is no offer with this id.');
	END IF;
	IF (p_body->>'started_on')::date NOT BETWEEN current_date - 730
	    AND current_date + 366 THEN
		e := e || ch.err('/started_on', 'range', 'started_on lies '
		    'within two years back and one year ahead.');
	END IF;
	PERFORM ch.fail_invalid(e, 'The placement data is invalid.');
	pl := ch.placement_insert(p_who, p, f,
	    (p_body->>'started_on')::date, p_body->>'note', NULL);
	RETURN ch.idem_finish(p_who, p_key, p_hash, ROW(pl.version,
	    '/v1/placements/' || pl.id, ch.placement_json(p_who, pl)::text,
	    false));
END
$$;

CREATE OR REPLACE FUNCTION ch.tandem_create(p_who jsonb, p_key text,
    p_hash text, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	p	ch.participant;
	m	ch.mentor;
	t	ch.tandem;
	e	jsonb := '[]';
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	SELECT * INTO p FROM ch.participant
	WHERE id = (p_body->>'participant_id')::uuid FOR UPDATE;
	IF NOT FOUND OR NOT ch.is_staff(p_who, p.district_id) THEN
		e := e || ch.err('/participant_id', 'unknown', 'There is no '
		    'participant with this id in your district.');
	END IF;
	-- Locked: her status and capacity hold until the tandem is in.
	SELECT * INTO m FROM ch.mentor
	WHERE id = (p_body->>'mentor_id')::uuid FOR UPDATE;
	IF NOT FOUND OR NOT ch.mentor_visible(p_who, m) THEN
		e := e || ch.err('/mentor_id', 'unknown',
		    'There is no mentor with this id.');
	END IF;
	IF (p_body->>'started_on')::date NOT BETWEEN current_date - 730
	    AND current_date + 366 THEN
		e := e || ch.err('/started_on', 'range', 'started_on lies within '
		    'two years back and one year ahead.');
	END IF;
	PERFORM ch.fail_invalid(e, 'The tandem data is invalid.');
	t := ch.tandem_insert(p_who, p, m, (p_body->>'started_on')::date,
	    (p_body->>'planned_months')::numeric::integer, NULL);
	RETURN ch.idem_finish(p_who, p_key, p_hash, ROW(t.version,
	    '/v1/tandems/' || t.id, ch.tandem_json(p_who, t)::text, false));
END
$$;

-- ---------------------------------------------------------------------
-- The review workflow checks the same rules: at approval, and when the
-- second acceptance creates the placement or tandem.

CREATE OR REPLACE FUNCTION ch.proposal_approve(p_who jsonb, p_key text,
    p_hash text, p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	x	ch.proposal;
	e	jsonb;
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	x := ch.proposal_to_review(p_who, p_id, ARRAY['pending']);
	IF NOT ch.participant_matchable((SELECT p FROM ch.participant p
	    WHERE p.id = x.participant_id)) THEN
		PERFORM ch.fail(409, 'The participant cannot be matched now: '
		    'paused, closed, or without consent to matching.', NULL,
		    'proposal-impossible');
	END IF;
	e := ch.proposal_errors(x);
	IF jsonb_array_length(e) > 0 THEN
		PERFORM ch.fail(409, 'The pair does not fit any more.', e,
		    'proposal-impossible');
	END IF;
	IF ch.proposal_free_places(x) <= 0 THEN
		PERFORM ch.fail(409, 'The candidate has no free place left.',
		    NULL, 'capacity-exhausted');
	END IF;
	UPDATE ch.proposal SET status = 'approved', reviewed_at = now(),
	    reviewed_by = p_who->>'actor', review_note = p_body->>'note'
	WHERE id = x.id;
	PERFORM ch.audit_by(p_who, 'proposal.approved', 'proposal', x.id,
	    x.district_id);
	RETURN ch.idem_finish(p_who, p_key, p_hash,
	    ch.proposal_result(p_who, x));
END
$$;

CREATE OR REPLACE FUNCTION ch.proposal_fulfil(p_who jsonb, x ch.proposal)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
DECLARE
	p	ch.participant;
	f	ch.offer;
	m	ch.mentor;
	pl	ch.placement;
	t	ch.tandem;
BEGIN
	-- Only what the workflow allows: the stored proposal, approved and
	-- accepted by both sides, whatever row the caller passed.
	SELECT * INTO x FROM ch.proposal WHERE id = x.id FOR UPDATE;
	IF NOT FOUND OR x.status <> 'approved'
	    OR x.subject_answer IS DISTINCT FROM 'accepted'
	    OR x.candidate_answer IS DISTINCT FROM 'accepted' THEN
		PERFORM ch.fail(409, 'The proposal is not accepted by both '
		    'sides.', NULL, 'proposal-impossible');
	END IF;
	SELECT * INTO p FROM ch.participant WHERE id = x.participant_id
	FOR UPDATE;
	IF NOT ch.participant_matchable(p) THEN
		PERFORM ch.fail(409, 'The participant cannot be placed now: '
		    'paused, closed, or without consent to matching.', NULL,
		    'proposal-impossible');
	END IF;
	IF x.programme = 'partners' THEN
		SELECT * INTO f FROM ch.offer WHERE id = x.offer_id
		FOR UPDATE;
		pl := ch.placement_insert(p_who, p, f, NULL, NULL, x.id);
	ELSE
		SELECT * INTO m FROM ch.mentor WHERE id = x.mentor_id
		FOR UPDATE;
		t := ch.tandem_insert(p_who, p, m, NULL, NULL, x.id);
	END IF;
	UPDATE ch.proposal SET status = 'accepted',
	    placement_id = pl.id, tandem_id = t.id
	WHERE id = x.id;
END
$$;

-- The worker's results: a pair whose rules broke while the engine ran
-- (a consent withdrawn, an offer changed) is not stored.
CREATE OR REPLACE FUNCTION ch.job_complete(p_id uuid, p_attempt integer,
    p_worker text, p_result jsonb)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	j	ch.matching_job := ch.job_held(p_id, p_attempt, p_worker);
	n	integer;
BEGIN
	IF j.id IS NULL THEN
		RETURN EXISTS (SELECT 1 FROM ch.matching_run r
		    WHERE r.job_id = p_id AND r.attempt = p_attempt
		    AND r.worker = p_worker AND r.outcome = 'succeeded');
	END IF;
	-- Its people are held (ch.person_hold): a change of a person or of
	-- her consents that came first is seen by the rules below, one that
	-- comes later sees the stored proposals and invalidates them. Offers
	-- and mentors are not held: many jobs propose the same ones at once;
	-- a change to one racing this is caught at approval and acceptance.
	PERFORM ch.person_hold(s, false) FROM (SELECT DISTINCT
	    (e->>'subject')::uuid AS s
	    FROM jsonb_array_elements(p_result->'proposals') e) x;
	-- ON CONFLICT: a pair another job proposed meanwhile stays with
	-- that job; the statistics count what was stored.
	WITH x AS (
		SELECT (e->>'subject')::uuid AS s, (e->>'candidate')::uuid AS c,
		    (e->>'score')::integer AS score, e->'explanation' AS expl
		FROM jsonb_array_elements(p_result->'proposals') e),
	ins AS (
		INSERT INTO ch.proposal (job_id, programme, participant_id,
		    offer_id, mentor_id, district_id, organization_id,
		    mentor_user_id, score, rank, explanation, expires_at)
		SELECT j.id, j.programme, p.id, f.id, m.id, p.district_id,
		    f.organization_id, m.user_id, x.score,
		    row_number() OVER (ORDER BY x.score DESC, x.s, x.c),
		    x.expl, now() + make_interval(hours =>
			s.proposal_ttl_hours)
		FROM x JOIN ch.participant p ON p.id = x.s
		LEFT JOIN ch.offer f ON j.programme = 'partners' AND f.id = x.c
		LEFT JOIN ch.mentor m ON j.programme = 'women' AND m.id = x.c
		JOIN ch.matching_settings s ON s.district_id = p.district_id
		    AND s.programme = j.programme
		WHERE (f.id IS NOT NULL OR m.id IS NOT NULL)
		    AND p.status IN ('waiting', 'placed') AND EXISTS (SELECT 1
			FROM ch.consent c WHERE c.participant_id = p.id
			AND c.purpose = 'matching' AND c.withdrawn_at IS NULL)
		    AND jsonb_array_length(CASE WHEN f.id IS NOT NULL
			THEN ch.placement_errors(p, f)
			ELSE ch.tandem_errors(p, m) END) = 0
		ON CONFLICT DO NOTHING
		RETURNING 1)
	SELECT count(*) INTO n FROM ins;
	UPDATE ch.matching_job SET status = 'succeeded', lease_until = NULL,
	    finished_at = clock_timestamp(), proposals = n,
	    stats = coalesce(p_result->'stats', '{}') || jsonb_build_object(
		'proposals_stored', n)
	WHERE id = j.id;
	UPDATE ch.matching_run SET ended_at = clock_timestamp(),
	    outcome = 'succeeded'
	WHERE job_id = j.id AND attempt = p_attempt;
	PERFORM ch.job_notify_done(j.id);
	RETURN true;
END
$$;

-- ---------------------------------------------------------------------
-- Invalidation: a change to either side of an open proposal that breaks
-- one of its rules closes it at once.

-- Serialises the worker's results for a person with changes to her (a
-- consent, her profile): shared for ch.job_complete, exclusive for the
-- triggers below, until the transaction ends. An advisory lock, not a
-- row lock: it writes nothing and costs next to nothing.
CREATE FUNCTION ch.person_hold(p_id uuid, p_exclusive boolean)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF p_exclusive THEN
		PERFORM pg_advisory_xact_lock(727002, hashtext(p_id::text));
	ELSE
		PERFORM pg_advisory_xact_lock_shared(727002,
		    hashtext(p_id::text));
	END IF;
END
$$;

-- Invalidates the open proposals of a person, an offer or a mentor whose
-- pair no longer fits.
CREATE FUNCTION ch.proposals_recheck(p_reason text, p_participant uuid,
    p_offer uuid, p_mentor uuid)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
AS $$
	UPDATE ch.proposal pr SET status = 'invalidated',
	    invalidated_reason = p_reason
	WHERE pr.status IN ('pending', 'approved')
	    AND (p_participant IS NULL OR pr.participant_id = p_participant)
	    AND (p_offer IS NULL OR pr.offer_id = p_offer)
	    AND (p_mentor IS NULL OR pr.mentor_id = p_mentor)
	    AND jsonb_array_length(ch.proposal_errors(pr)) > 0;
$$;

-- Approved proposals hold places: when fewer places are left than they
-- hold, the ones approved last give theirs up.
CREATE FUNCTION ch.proposals_over_capacity(p_offer uuid, p_mentor uuid,
    p_free integer)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
AS $$
	UPDATE ch.proposal pr SET status = 'invalidated',
	    invalidated_reason = 'capacity_reduced'
	WHERE pr.id IN (SELECT y.id FROM ch.proposal y
	    WHERE y.status = 'approved' AND y.expires_at > now()
		AND (y.offer_id = p_offer OR y.mentor_id = p_mentor)
	    ORDER BY y.reviewed_at, y.id
	    OFFSET greatest(p_free, 0));
$$;

CREATE OR REPLACE FUNCTION ch.offer_invalidates() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
	PERFORM ch.proposals_recheck(CASE WHEN NEW.status <> 'open'
	    THEN 'offer_not_open' ELSE 'no_longer_fits' END, NULL, NEW.id,
	    NULL);
	IF NEW.capacity < OLD.capacity THEN
		PERFORM ch.proposals_over_capacity(NEW.id, NULL,
		    NEW.capacity - NEW.active_placements);
	END IF;
	RETURN NEW;
END
$$;
DROP TRIGGER offer_invalidates ON ch.offer;
CREATE TRIGGER offer_invalidates AFTER UPDATE ON ch.offer FOR EACH ROW
    WHEN ((OLD.status, OLD.audience, OLD.age_min, OLD.age_max,
	OLD.min_german_level, OLD.languages, OLD.place_id, OLD.online,
	OLD.capacity) IS DISTINCT FROM (NEW.status, NEW.audience,
	NEW.age_min, NEW.age_max, NEW.min_german_level, NEW.languages,
	NEW.place_id, NEW.online, NEW.capacity))
    EXECUTE FUNCTION ch.offer_invalidates();

CREATE OR REPLACE FUNCTION ch.mentor_invalidates() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
	PERFORM ch.proposals_recheck(CASE WHEN NEW.status <> 'active'
	    THEN 'mentor_not_active' ELSE 'no_longer_fits' END, NULL, NULL,
	    NEW.id);
	IF NEW.capacity < OLD.capacity THEN
		PERFORM ch.proposals_over_capacity(NULL, NEW.id,
		    NEW.capacity - NEW.active_tandems);
	END IF;
	RETURN NEW;
END
$$;
DROP TRIGGER mentor_invalidates ON ch.mentor;
CREATE TRIGGER mentor_invalidates AFTER UPDATE ON ch.mentor FOR EACH ROW
    WHEN ((OLD.status, OLD.languages, OLD.home_place_id, OLD.online_ok,
	OLD.capacity) IS DISTINCT FROM (NEW.status, NEW.languages,
	NEW.home_place_id, NEW.online_ok, NEW.capacity))
    EXECUTE FUNCTION ch.mentor_invalidates();

CREATE OR REPLACE FUNCTION ch.participant_invalidates() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
	PERFORM ch.person_hold(NEW.id, true);
	IF NEW.status IN ('paused', 'closed') AND OLD.status <> NEW.status THEN
		PERFORM ch.proposals_invalidate('participant_inactive', NEW.id,
		    NULL, NULL);
	END IF;
	PERFORM ch.proposals_recheck('no_longer_fits', NEW.id, NULL, NULL);
	RETURN NEW;
END
$$;
DROP TRIGGER participant_invalidates ON ch.participant;
CREATE TRIGGER participant_invalidates AFTER UPDATE ON ch.participant
    FOR EACH ROW
    WHEN ((OLD.status, OLD.gender, OLD.birth_year, OLD.languages,
	OLD.home_place_id, OLD.mobility_radius_km) IS DISTINCT FROM
	(NEW.status, NEW.gender, NEW.birth_year, NEW.languages,
	NEW.home_place_id, NEW.mobility_radius_km))
    EXECUTE FUNCTION ch.participant_invalidates();

CREATE FUNCTION ch.mentee_invalidates() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
	PERFORM ch.person_hold(NEW.participant_id, true);
	PERFORM ch.proposals_recheck('no_longer_fits', NEW.participant_id,
	    NULL, NULL);
	RETURN NEW;
END
$$;
CREATE TRIGGER mentee_invalidates AFTER UPDATE ON ch.mentee_profile
    FOR EACH ROW WHEN (OLD.german_level IS DISTINCT FROM NEW.german_level)
    EXECUTE FUNCTION ch.mentee_invalidates();

-- Withdrawing cross_district ends at once what relied on it: open
-- proposals with the other districts' offers and mentors are
-- invalidated, and active placements and tandems there end with the
-- reason consent_withdrawn, so the other district's organisation or
-- mentor reads the person no more. Both are audited under the name of
-- whoever withdrew the consent.
CREATE OR REPLACE FUNCTION ch.consent_invalidates() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	ended	uuid;
BEGIN
	IF NEW.withdrawn_at IS NULL OR OLD.withdrawn_at IS NOT NULL
	    OR NEW.withdrawal_reason <> 'withdrawn' THEN
		RETURN NEW;
	END IF;
	PERFORM ch.person_hold(NEW.participant_id, true);
	IF NEW.purpose = 'matching' THEN
		PERFORM ch.proposals_invalidate('consent_withdrawn',
		    NEW.participant_id, NULL, NULL);
	ELSIF NEW.purpose = 'cross_district' THEN
		PERFORM ch.proposals_invalidate('consent_withdrawn',
		    NEW.participant_id, NULL, NULL, true);
		FOR ended IN UPDATE ch.placement pl SET status = 'ended',
		    end_reason = 'consent_withdrawn',
		    ended_on = greatest(current_date, pl.started_on)
		    FROM ch.offer f
		    WHERE pl.participant_id = NEW.participant_id
			AND pl.status = 'active' AND f.id = pl.offer_id
			AND f.district_id <> pl.district_id
		    RETURNING pl.id LOOP
			PERFORM ch.audit(NEW.withdrawn_by,
			    NEW.withdrawn_by_role, 'placement.ended',
			    'placement', ended::text, NEW.district_id, NULL,
			    '{"reason": "consent_withdrawn"}');
		END LOOP;
		FOR ended IN UPDATE ch.tandem t SET status = 'ended_early',
		    end_reason = 'consent_withdrawn', outcome = 'none',
		    ended_on = greatest(current_date, t.started_on)
		    FROM ch.mentor m
		    WHERE t.participant_id = NEW.participant_id
			AND t.status = 'active' AND m.id = t.mentor_id
			AND m.district_id <> t.district_id
		    RETURNING t.id LOOP
			PERFORM ch.audit(NEW.withdrawn_by,
			    NEW.withdrawn_by_role, 'tandem.ended', 'tandem',
			    ended::text, NEW.district_id, NULL,
			    '{"reason": "consent_withdrawn"}');
		END LOOP;
	END IF;
	RETURN NEW;
END
$$;

-- Free places of a proposal's candidate (see 0006), counted for the
-- stored proposal whatever row the caller passed.
CREATE OR REPLACE FUNCTION ch.proposal_free_places(x ch.proposal)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	n	integer;
BEGIN
	SELECT * INTO x FROM ch.proposal y WHERE y.id = x.id;
	IF NOT FOUND THEN
		RETURN 0;
	END IF;
	IF x.programme = 'partners' THEN
		SELECT f.capacity - f.active_placements INTO n FROM ch.offer f
		WHERE f.id = x.offer_id FOR UPDATE;
		RETURN n - (SELECT count(*) FROM ch.proposal y
		    WHERE y.offer_id = x.offer_id AND y.status = 'approved'
		    AND y.expires_at > now() AND y.id <> x.id);
	END IF;
	SELECT m.capacity - m.active_tandems INTO n FROM ch.mentor m
	WHERE m.id = x.mentor_id FOR UPDATE;
	RETURN n - (SELECT count(*) FROM ch.proposal y
	    WHERE y.mentor_id = x.mentor_id AND y.status = 'approved'
	    AND y.expires_at > now() AND y.id <> x.id);
END
$$;

-- ---------------------------------------------------------------------
-- Reads of personal data check their caller themselves.

-- A mentee profile: staff of her district, the woman herself, and her
-- mentor while their tandem is active.
CREATE FUNCTION ch.mentee_visible(p_who jsonb, mp ch.mentee_profile)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN coalesce(ch.is_staff(p_who, mp.district_id)
	    OR (p_who->>'role' = 'participant'
		AND p_who->>'participant' = mp.participant_id::text)
	    OR (p_who->>'role' = 'mentor' AND EXISTS (SELECT 1
		FROM ch.tandem t WHERE t.participant_id = mp.participant_id
		AND t.mentor_user_id::text = p_who->>'user'
		AND t.status = 'active')), false);
END
$$;

CREATE OR REPLACE FUNCTION ch.mentee_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	mp	ch.mentee_profile;
BEGIN
	PERFORM ch.enter(p_who);
	SELECT * INTO mp FROM ch.mentee_profile WHERE participant_id = p_id;
	IF NOT FOUND OR NOT ch.mentee_visible(p_who, mp) THEN
		PERFORM ch.fail(404, 'No such mentee profile.');
	END IF;
	RETURN ROW(mp.version, NULL::text, ch.mentee_json(mp)::text, false);
END
$$;

-- The person as the other side of a proposal sees her: pseudonym and
-- languages, only while the proposal waits for the answers (then the
-- placement or tandem shows her while it lasts). Staff of her district
-- and the person herself always. NULL for anyone else.
DROP FUNCTION ch.proposal_person(uuid);
CREATE FUNCTION ch.proposal_person(p_who jsonb, x ch.proposal)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog AS $$
BEGIN
	-- The stored proposal decides, whatever row the caller passed.
	SELECT * INTO x FROM ch.proposal y WHERE y.id = x.id;
	IF NOT FOUND OR NOT ch.proposal_visible(p_who, x) OR NOT (ch.is_staff(p_who,
	    x.district_id) OR p_who->>'role' = 'participant'
	    OR ch.proposal_status(x) = 'approved') THEN
		RETURN NULL;
	END IF;
	RETURN (SELECT jsonb_build_object('id', p.id,
	    'display_name', p.display_name, 'languages', p.languages)
	    FROM ch.participant p WHERE p.id = x.participant_id);
END
$$;

CREATE OR REPLACE FUNCTION ch.proposal_json(p_who jsonb, x ch.proposal)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	staff	boolean := ch.is_staff(p_who, x.district_id);
	cand	jsonb;
BEGIN
	IF x.programme = 'partners' THEN
		SELECT jsonb_build_object('id', f.id, 'title', f.title,
		    'organization_id', f.organization_id,
		    'organization_name', o.name, 'district_id', f.district_id,
		    'status', f.status)
		INTO cand FROM ch.offer f
		JOIN ch.organization o ON o.id = f.organization_id
		WHERE f.id = x.offer_id;
	ELSE
		SELECT jsonb_build_object('id', m.id, 'display_name',
		    m.display_name, 'district_id', m.district_id,
		    'status', m.status)
		INTO cand FROM ch.mentor m WHERE m.id = x.mentor_id;
	END IF;
	RETURN jsonb_build_object('id', x.id, 'job_id', x.job_id,
	    'programme', x.programme, 'status', ch.proposal_status(x),
	    'participant_id', x.participant_id,
	    'participant', ch.proposal_person(p_who, x),
	    'offer_id', x.offer_id, 'mentor_id', x.mentor_id,
	    'candidate', cand, 'district_id', x.district_id,
	    'score', round(x.score / 100.0, 2), 'rank', x.rank,
	    'explanation', x.explanation,
	    'reviewed_at', x.reviewed_at,
	    'reviewed_by', CASE WHEN staff THEN x.reviewed_by END,
	    'review_reason', x.review_reason,
	    'review_note', CASE WHEN staff THEN x.review_note END,
	    'subject_answer', x.subject_answer,
	    'subject_answered_at', x.subject_answered_at,
	    'candidate_answer', x.candidate_answer,
	    'candidate_answered_at', x.candidate_answered_at,
	    'decline_reason', x.decline_reason,
	    'invalidated_reason', x.invalidated_reason,
	    'placement_id', x.placement_id, 'tandem_id', x.tandem_id,
	    'expires_at', x.expires_at, 'version', x.version,
	    'created_at', x.created_at, 'updated_at', x.updated_at);
END
$$;

-- A placement shows the person only to whom row-level security shows
-- her: for its organisation, while the placement is active.
CREATE OR REPLACE FUNCTION ch.placement_json(p_who jsonb, pl ch.placement,
    p_shown boolean DEFAULT true)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	p	ch.participant;
	c	ch.participant_contact;
	who	jsonb;
BEGIN
	SELECT * INTO p FROM ch.participant WHERE id = pl.participant_id;
	IF FOUND THEN
		who := jsonb_build_object('id', p.id,
		    'display_name', p.display_name, 'languages', p.languages);
	END IF;
	IF FOUND AND p_who->>'role' = 'organization' THEN
		-- The policy shows the row only with the consent to share.
		SELECT * INTO c FROM ch.participant_contact
		WHERE participant_id = pl.participant_id;
		IF FOUND THEN
			who := who || jsonb_build_object('contact',
			    ch.contact_json(c) - 'version' - 'updated_at' -
			    'participant_id' - 'note');
			IF p_shown THEN
				PERFORM ch.audit_by(p_who, 'contact.read',
				    'participant', p.id, p.district_id,
				    jsonb_build_object('via', 'placement',
				    'placement', pl.id));
			END IF;
		END IF;
	END IF;
	RETURN jsonb_build_object('id', pl.id,
	    'participant_id', pl.participant_id, 'offer_id', pl.offer_id,
	    'organization_id', pl.organization_id,
	    'district_id', pl.district_id, 'status', pl.status,
	    'started_on', pl.started_on, 'ended_on', pl.ended_on,
	    'end_reason', pl.end_reason, 'note', CASE WHEN p_who->>'role'
		IN ('coordinator', 'assistant') THEN pl.note END,
	    'participant', who,
	    'offer', (SELECT jsonb_build_object('id', f.id, 'title', f.title,
		'organization_name', o.name, 'district_id', f.district_id)
		FROM ch.offer f JOIN ch.organization o
		    ON o.id = f.organization_id WHERE f.id = pl.offer_id),
	    'version', pl.version, 'created_at', pl.created_at,
	    'updated_at', pl.updated_at);
END
$$;

-- A tandem shows the mentee only to whom row-level security shows her:
-- for the mentor, while the tandem is active.
CREATE OR REPLACE FUNCTION ch.tandem_json(p_who jsonb, t ch.tandem)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	p	ch.participant;
	mp	ch.mentee_profile;
	m	ch.mentor;
	mentee	jsonb;
BEGIN
	SELECT * INTO p FROM ch.participant WHERE id = t.participant_id;
	IF FOUND THEN
		SELECT * INTO mp FROM ch.mentee_profile
		WHERE participant_id = t.participant_id;
		mentee := jsonb_build_object('id', p.id,
		    'display_name', p.display_name, 'languages', p.languages,
		    'target_occupational_field', mp.target_occupational_field,
		    'german_level', mp.german_level,
		    'goals', to_jsonb(coalesce(mp.goals, '{}')));
	END IF;
	SELECT * INTO m FROM ch.mentor WHERE id = t.mentor_id;
	RETURN jsonb_build_object('id', t.id, 'mentor_id', t.mentor_id,
	    'participant_id', t.participant_id, 'district_id', t.district_id,
	    'status', t.status, 'started_on', t.started_on,
	    'planned_months', t.planned_months, 'ended_on', t.ended_on,
	    'end_reason', t.end_reason, 'outcome', t.outcome,
	    'contract_type', t.contract_type, 'outcome_date', t.outcome_date,
	    'mentor', jsonb_build_object('id', m.id,
		'display_name', m.display_name,
		'employer_sector', m.employer_sector,
		'occupational_field', m.occupational_field),
	    'mentee', mentee,
	    'meetings', (SELECT count(*) FROM ch.tandem_meeting x
		WHERE x.tandem_id = t.id),
	    'version', t.version, 'created_at', t.created_at,
	    'updated_at', t.updated_at);
END
$$;

-- ---------------------------------------------------------------------
-- The statistics consent is what the reports read: a person counts in
-- the programme's figures only while she consents to statistics.

CREATE OR REPLACE FUNCTION ch.women_report(p_who jsonb,
    p_unused uuid DEFAULT NULL)
RETURNS ch.result LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
	IF p_who->>'role' IS DISTINCT FROM 'state_admin'
	    AND p_who->>'role' IS DISTINCT FROM 'coordinator' THEN
		PERFORM ch.fail(403, 'Reports are for coordinators and the '
		    'state admin.');
	END IF;
	RETURN ROW(NULL::integer, NULL::text, json_build_object('districts',
	    coalesce((SELECT json_agg(jsonb_build_object('district_id', d.id,
	    'mentors', (SELECT jsonb_object_agg(s, (SELECT count(*)
		FROM ch.mentor m WHERE m.district_id = d.id AND m.status = s))
		FROM unnest(ARRAY['applied', 'active', 'paused', 'retired']) s),
	    'mentees', (SELECT count(*) FROM ch.mentee_profile x
		WHERE x.district_id = d.id
		AND ch.has_consent(x.participant_id, 'statistics')),
	    'tandems', (SELECT jsonb_object_agg(s, (SELECT count(*)
		FROM ch.tandem t WHERE t.district_id = d.id AND t.status = s
		AND ch.has_consent(t.participant_id, 'statistics')))
		FROM unnest(ARRAY['active', 'completed', 'ended_early']) s),
	    'outcomes', (SELECT jsonb_object_agg(o, (SELECT count(*)
		FROM ch.tandem t WHERE t.district_id = d.id AND t.outcome = o
		AND ch.has_consent(t.participant_id, 'statistics')))
		FROM unnest(ARRAY['job', 'vocational_training', 'internship',
		    'studies', 'language_course', 'none']) o),
	    'meetings', (SELECT count(*) FROM ch.tandem_meeting x
		WHERE x.district_id = d.id
		AND ch.has_consent(x.participant_id, 'statistics')),
	    'planned_events', (SELECT count(*) FROM ch.event v
		WHERE v.district_id = d.id AND v.status = 'planned'))
	    ORDER BY d.id)
	    FROM ch.district d
	    WHERE p_who->>'role' = 'state_admin'
		OR d.id = p_who->>'district'), '[]'))::text, false);
END
$$;
