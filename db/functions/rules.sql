-- Who fits whom: the one definition of the rules of a placement and of a
-- tandem, and the one INSERT of each. The direct create, the approval
-- and the second acceptance of a proposal, and the worker's results all
-- go through these functions; the triggers of proposals.sql use them to
-- close open proposals whose pair stopped fitting.
--
-- Each function here is its one current source: edit it in place, and
-- scripts/migrate.sh applies the file again (CREATE OR REPLACE). A
-- function whose arguments or result type change, or that goes away, is
-- dropped by a new migration in db/migrations/.

-- ---------------------------------------------------------------------
-- The rules of a pair

-- A person's spoken languages as the matching engine sees them: her
-- languages, and without German among them the German level of her
-- mentee profile, if she has one.
CREATE OR REPLACE FUNCTION ch.spoken(p ch.participant) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT ch.with_german(p.languages, (SELECT mp.german_level
	    FROM ch.mentee_profile mp WHERE mp.participant_id = p.id));
$$;

-- Languages with German added at a level, unless German is among them
-- (ch.job_input, which has the mentee profile at hand, uses this too).
CREATE OR REPLACE FUNCTION ch.with_german(p_languages jsonb,
    p_german text)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_german IS NULL
	    OR p_languages @> '[{"code": "de"}]' THEN p_languages
	    ELSE p_languages || jsonb_build_array(jsonb_build_object('code',
		'de', 'level', p_german)) END;
$$;

-- A shared language as the engine counts it: a language both speak, or
-- German when the candidate uses it and the person's level reaches the
-- candidate's minimum (at least A1).
CREATE OR REPLACE FUNCTION ch.shares_language(p_spoken jsonb, p_codes text[],
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
CREATE OR REPLACE FUNCTION ch.within_reach(p ch.participant, p_place uuid,
    p_online boolean)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN p_online OR coalesce((SELECT ch.distance_km(a.lat, a.lon,
	    b.lat, b.lon) <= p.mobility_radius_km
	    FROM ch.place a, ch.place b
	    WHERE a.id = p.home_place_id AND b.id = p_place), true);
END
$$;

-- Why a person cannot be placed in an offer: one field error each, []
-- when she can. The only definition of who fits an offer; capacity is
-- the placement table's own rule.
CREATE OR REPLACE FUNCTION ch.placement_errors(p ch.participant, f ch.offer)
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
CREATE OR REPLACE FUNCTION ch.tandem_errors(p ch.participant, m ch.mentor)
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

-- ---------------------------------------------------------------------
-- The one INSERT of each: the rules, the table's own rules mapped to 409,
-- and the audit record. The caller has locked the person and the offer
-- or mentor and checked who may ask.

CREATE OR REPLACE FUNCTION ch.placement_insert(p_who jsonb, p ch.participant,
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

CREATE OR REPLACE FUNCTION ch.tandem_insert(p_who jsonb, p ch.participant,
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

-- ---------------------------------------------------------------------
-- Invalidation: a change to either side of an open proposal that breaks
-- one of its rules closes it at once.

-- Serialises the worker's results for a person with changes to her (a
-- consent, her profile): shared for ch.job_complete, exclusive for the
-- triggers below, until the transaction ends. An advisory lock, not a
-- row lock: it writes nothing and costs next to nothing.
CREATE OR REPLACE FUNCTION ch.person_hold(p_id uuid, p_exclusive boolean)
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
