-- Connecting Women: mentors, mentee profiles, tandems, their meetings,
-- the women's network events and the programme's report. The
-- conventions of partners.sql hold: one function call per operation, the
-- caller as JSON (ch.enter), a refusal as SQLSTATE CHnnn that rolls
-- everything back, row-level security on everything about a person.
--
-- Each function here is its one current source: edit it in place, and
-- scripts/migrate.sh applies the file again (CREATE OR REPLACE). A
-- function whose arguments or result type change, or that goes away, is
-- dropped by a new migration in db/migrations/.

-- The mentor's capacity: every active tandem counts on her profile, whose
-- CHECK refuses more; the UPDATE locks her row, so concurrent tandems for
-- one mentor queue and the last free place goes to one of them.
CREATE OR REPLACE FUNCTION ch.tandem_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND NEW.mentor_id <> OLD.mentor_id THEN
		RAISE EXCEPTION 'a tandem cannot change its mentor'
		    USING ERRCODE = 'check_violation';
	END IF;
	IF NEW.status = 'active' AND (TG_OP = 'INSERT'
	    OR OLD.status <> 'active') THEN
		UPDATE ch.mentor SET active_tandems = active_tandems + 1
		WHERE id = NEW.mentor_id;
	ELSIF TG_OP = 'UPDATE' AND OLD.status = 'active'
	    AND NEW.status <> 'active' THEN
		UPDATE ch.mentor SET active_tandems = active_tandems - 1
		WHERE id = NEW.mentor_id;
	END IF;
	RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER tandem_count AFTER INSERT OR UPDATE OF status ON ch.tandem
	FOR EACH ROW EXECUTE FUNCTION ch.tandem_count();

-- ---------------------------------------------------------------------
-- Mentors: visible to every signed-in caller once active; applications
-- and paused or retired profiles to the mentor and her district's staff.

CREATE OR REPLACE FUNCTION ch.mentor_json(m ch.mentor) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN jsonb_build_object('id', m.id, 'user_id', m.user_id,
	    'district_id', m.district_id, 'display_name', m.display_name,
	    'employer_sector', m.employer_sector,
	    'occupational_field', m.occupational_field,
	    'support_areas', to_jsonb(m.support_areas),
	    'languages', m.languages, 'capacity', m.capacity,
	    'free_places', m.capacity - m.active_tandems,
	    'availability', ch.week_json(m.availability),
	    'home_place_id', m.home_place_id,
	    'home_place', ch.place_json(m.home_place_id),
	    'online_ok', m.online_ok, 'status', m.status,
	    'approved_at', m.approved_at, 'version', m.version,
	    'created_at', m.created_at, 'updated_at', m.updated_at);
END
$$;

CREATE OR REPLACE FUNCTION ch.mentor_doc(m ch.mentor) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object(
	    'display_name', m.display_name,
	    'employer_sector', m.employer_sector,
	    'occupational_field', m.occupational_field,
	    'support_areas', to_jsonb(m.support_areas),
	    'languages', m.languages, 'capacity', m.capacity,
	    'availability', ch.week_json(m.availability),
	    'home_place_id', m.home_place_id, 'online_ok', m.online_ok,
	    'status', m.status));
$$;

CREATE OR REPLACE FUNCTION ch.mentor_visible(p_who jsonb, m ch.mentor) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT m.status = 'active' OR ch.is_staff(p_who, m.district_id)
	    OR coalesce(p_who->>'user' = m.user_id::text, false);
$$;

CREATE OR REPLACE FUNCTION ch.mentor_from(p_doc jsonb, m ch.mentor)
RETURNS ch.mentor LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb := '[]';
BEGIN
	m.display_name := p_doc->>'display_name';
	m.employer_sector := p_doc->>'employer_sector';
	m.occupational_field := p_doc->>'occupational_field';
	m.support_areas := ch.text_array(p_doc->'support_areas');
	m.languages := coalesce(p_doc->'languages', '[]');
	m.capacity := coalesce((p_doc->>'capacity')::numeric::integer, 1);
	m.availability := ch.week_mask(p_doc->'availability');
	m.home_place_id := (p_doc->>'home_place_id')::uuid;
	m.online_ok := coalesce((p_doc->>'online_ok')::boolean, false);
	m.status := coalesce(p_doc->>'status', 'applied');
	IF NOT ch.kldb_known(m.occupational_field) THEN
		e := e || ch.err('/occupational_field', 'unknown', 'The '
		    'occupational field is not a KldB 2010 code whose area '
		    'or main group is known (GET /v1/taxonomies/'
		    'occupational_fields).');
	END IF;
	e := ch.check_spoken(e, '/languages', m.languages);
	e := ch.check_place(e, '/home_place_id', m.home_place_id);
	IF m.capacity < m.active_tandems THEN
		e := e || ch.err('/capacity', 'below_tandems', format(
		    'She has %s active tandems; capacity cannot be lower.',
		    m.active_tandems));
	END IF;
	PERFORM ch.fail_invalid(e, 'The mentor profile is invalid.');
	RETURN m;
END
$$;

CREATE OR REPLACE FUNCTION ch.mentor_list(p_who jsonb, p_filter jsonb, p_after text[],
    p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN QUERY
	SELECT ch.mentor_json(m)::text,
	    ch.cursor_key(m.updated_at), m.id::text
	FROM ch.mentor m
	WHERE ch.mentor_visible(p_who, m)
	    AND (p_filter->>'district_id' IS NULL
		OR m.district_id = p_filter->>'district_id')
	    AND (p_filter->>'status' IS NULL
		OR m.status = p_filter->>'status')
	    AND (p_filter->>'employer_sector' IS NULL
		OR m.employer_sector = p_filter->>'employer_sector')
	    AND (p_filter->>'support_area' IS NULL
		OR m.support_areas @> ARRAY[p_filter->>'support_area'])
	    AND (p_filter->>'language' IS NULL OR m.languages @>
		jsonb_build_array(jsonb_build_object('code',
		    p_filter->>'language')))
	    AND (NOT coalesce((p_filter->>'free')::boolean, false)
		OR m.active_tandems < m.capacity)
	    AND (p_filter->>'updated_since' IS NULL OR m.updated_at >=
		(p_filter->>'updated_since')::timestamptz)
	    AND ch.after(m.updated_at, m.id, p_after)
	ORDER BY m.updated_at, m.id
	LIMIT p_limit;
END
$$;

CREATE OR REPLACE FUNCTION ch.mentor_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql STABLE AS $$
DECLARE
	m	ch.mentor;
BEGIN
	SELECT * INTO m FROM ch.mentor WHERE id = p_id;
	IF NOT FOUND OR NOT ch.mentor_visible(p_who, m) THEN
		PERFORM ch.fail_missing('mentor');
	END IF;
	RETURN ROW(m.version, NULL::text, ch.mentor_json(m)::text, false);
END
$$;

-- A mentor applies with her own account (status applied); a coordinator
-- may enter the profile of a mentor account of her district (user_id).
CREATE OR REPLACE FUNCTION ch.mentor_create(p_who jsonb, p_key text, p_hash text,
    p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	m	ch.mentor;
	u	ch.app_user;
BEGIN
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	IF p_who->>'role' = 'mentor' THEN
		IF p_body ? 'user_id' AND p_body->>'user_id'
		    IS DISTINCT FROM p_who->>'user' THEN
			PERFORM ch.fail(403, 'A mentor applies for herself.');
		END IF;
		SELECT * INTO u FROM ch.app_user
		WHERE id = (p_who->>'user')::uuid;
	ELSE
		SELECT * INTO u FROM ch.app_user
		WHERE id = (p_body->>'user_id')::uuid AND role = 'mentor'
		    AND district_id = p_who->>'district';
		IF NOT FOUND THEN
			PERFORM ch.fail(422, 'The mentor profile is invalid.',
			    ch.err('/user_id', 'unknown', 'user_id must be a '
			    'mentor account of your district.'));
		END IF;
	END IF;
	IF u.id IS NULL OR u.role <> 'mentor' THEN
		PERFORM ch.fail(403, 'Only mentor accounts have a mentor '
		    'profile.');
	END IF;
	IF EXISTS (SELECT 1 FROM ch.mentor WHERE user_id = u.id) THEN
		PERFORM ch.fail(409, 'This account has a mentor profile '
		    'already; change it with PATCH.');
	END IF;
	m.active_tandems := 0;
	m := ch.mentor_from(p_body - 'user_id', m);
	IF m.status <> 'applied' AND p_who->>'role' <> 'coordinator' THEN
		PERFORM ch.fail(403, 'A new mentor applies (status applied); '
		    'a coordinator approves her.', ch.err('/status',
		    'not_allowed', 'Leave status out or set it to applied.'));
	END IF;
	IF m.status IN ('active', 'paused') THEN
		m.approved_at := now();
		m.approved_by := p_who->>'actor';
	END IF;
	INSERT INTO ch.mentor (user_id, district_id, display_name,
	    employer_sector, occupational_field, support_areas, languages,
	    capacity, availability, home_place_id, online_ok, status,
	    approved_at, approved_by)
	VALUES (u.id, u.district_id, m.display_name, m.employer_sector,
	    m.occupational_field, m.support_areas, m.languages, m.capacity,
	    m.availability, m.home_place_id, m.online_ok, m.status,
	    m.approved_at, m.approved_by)
	RETURNING * INTO m;
	PERFORM ch.audit_by(p_who, 'mentor.created', 'mentor', m.id,
	    m.district_id, jsonb_build_object('status', m.status));
	RETURN ch.idem_finish(p_who, p_key, p_hash, ROW(m.version,
	    '/v1/mentors/' || m.id, ch.mentor_json(m)::text, false));
END
$$;

-- The mentor changes her profile and pauses or resumes once approved;
-- her district's coordinator changes everything, approval included.
CREATE OR REPLACE FUNCTION ch.mentor_update(p_who jsonb, p_id uuid,
    p_if_match integer[], p_patch jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	old	ch.mentor;
	m	ch.mentor;
	coord	boolean;
BEGIN
	SELECT * INTO old FROM ch.mentor WHERE id = p_id FOR UPDATE;
	IF NOT FOUND OR NOT ch.mentor_visible(p_who, old) THEN
		PERFORM ch.fail_missing('mentor');
	END IF;
	coord := coalesce(p_who->>'role' = 'coordinator'
	    AND p_who->>'district' = old.district_id, false);
	IF NOT (coord OR coalesce(p_who->>'user' = old.user_id::text, false))
	THEN
		PERFORM ch.fail(403, 'A mentor profile is changed by the '
		    'mentor or her district''s coordinator.');
	END IF;
	PERFORM ch.require_version(old.version, p_if_match, 'mentor profile');
	m := ch.mentor_from(ch.merge_patch(ch.mentor_doc(old), p_patch), old);
	-- Retiring is for good unless her coordinator brings her back.
	IF m.status IS DISTINCT FROM old.status AND NOT coord AND NOT (
	    old.approved_at IS NOT NULL AND old.status <> 'retired'
	    AND m.status IN ('active', 'paused', 'retired')) THEN
		PERFORM ch.fail(403, 'A coordinator approves a mentor; after '
		    'that she may pause, resume or retire herself.',
		    ch.err('/status', 'not_allowed', 'This change of status '
		    'is the coordinator''s.'));
	END IF;
	IF m.status IN ('active', 'paused') AND old.approved_at IS NULL THEN
		m.approved_at := now();
		m.approved_by := p_who->>'actor';
	END IF;
	UPDATE ch.mentor SET display_name = m.display_name,
	    employer_sector = m.employer_sector,
	    occupational_field = m.occupational_field,
	    support_areas = m.support_areas, languages = m.languages,
	    capacity = m.capacity, availability = m.availability,
	    home_place_id = m.home_place_id, online_ok = m.online_ok,
	    status = m.status, approved_at = m.approved_at,
	    approved_by = m.approved_by
	WHERE id = p_id RETURNING * INTO m;
	PERFORM ch.audit_by(p_who, CASE WHEN old.approved_at IS NULL
	    AND m.approved_at IS NOT NULL THEN 'mentor.approved'
	    ELSE 'mentor.updated' END, 'mentor', m.id, m.district_id,
	    jsonb_build_object('fields',
	    (SELECT jsonb_agg(f) FROM jsonb_object_keys(p_patch) f)));
	RETURN ROW(m.version, NULL::text, ch.mentor_json(m)::text, false);
END
$$;

-- ---------------------------------------------------------------------
-- Mentee profiles: a woman's path into work; staff of her district and
-- she herself, her mentor reads it.

CREATE OR REPLACE FUNCTION ch.mentee_json(mp ch.mentee_profile) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN jsonb_build_object('participant_id', mp.participant_id,
	    'district_id', mp.district_id,
	    'target_occupational_field', mp.target_occupational_field,
	    'highest_qualification', mp.highest_qualification,
	    'qualification_level', mp.qualification_level,
	    'recognition_status', mp.recognition_status,
	    'german_level', mp.german_level, 'goals', to_jsonb(mp.goals),
	    'work_permit', mp.work_permit,
	    'availability', ch.week_json(mp.availability),
	    'version', mp.version, 'created_at', mp.created_at,
	    'updated_at', mp.updated_at);
END
$$;

CREATE OR REPLACE FUNCTION ch.mentee_doc(mp ch.mentee_profile) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object(
	    'target_occupational_field', mp.target_occupational_field,
	    'highest_qualification', mp.highest_qualification,
	    'qualification_level', mp.qualification_level,
	    'recognition_status', mp.recognition_status,
	    'german_level', mp.german_level, 'goals', to_jsonb(mp.goals),
	    'work_permit', mp.work_permit,
	    'availability', ch.week_json(mp.availability)));
$$;

CREATE OR REPLACE FUNCTION ch.mentee_from(p_doc jsonb, mp ch.mentee_profile)
RETURNS ch.mentee_profile LANGUAGE plpgsql STABLE AS $$
BEGIN
	mp.target_occupational_field := p_doc->>'target_occupational_field';
	mp.highest_qualification := p_doc->>'highest_qualification';
	mp.qualification_level := p_doc->>'qualification_level';
	mp.recognition_status := coalesce(p_doc->>'recognition_status',
	    'not_needed');
	mp.german_level := p_doc->>'german_level';
	mp.goals := ch.text_array(p_doc->'goals');
	mp.work_permit := p_doc->>'work_permit';
	mp.availability := ch.week_mask(p_doc->'availability');
	IF mp.target_occupational_field IS NOT NULL
	    AND NOT ch.kldb_known(mp.target_occupational_field) THEN
		PERFORM ch.fail(422, 'The mentee profile is invalid.',
		    ch.err('/target_occupational_field', 'unknown', 'The '
		    'occupational field is not a KldB 2010 code whose area or '
		    'main group is known.'));
	END IF;
	RETURN mp;
END
$$;

-- PUT: creates the profile (201) or replaces it (200, If-Match honoured).
CREATE OR REPLACE FUNCTION ch.mentee_put(p_who jsonb, p_id uuid,
    p_if_match integer[], p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	p	ch.participant := ch.participant_load(p_who, p_id, true);
	old	ch.mentee_profile;
	mp	ch.mentee_profile;
BEGIN
	IF p.gender <> 'female' THEN
		PERFORM ch.fail(422, 'Connecting Women mentors women: a '
		    'mentee profile needs a participant whose gender is '
		    'female.', ch.err('/participant_id', 'women_only', 'The '
		    'mentoring programme is for women only.'), 'women-only');
	END IF;
	SELECT * INTO old FROM ch.mentee_profile
	WHERE participant_id = p.id FOR UPDATE;
	PERFORM ch.require_version(old.version, p_if_match, 'mentee profile');
	mp := ch.mentee_from(p_body, old);
	IF old.participant_id IS NULL THEN
		INSERT INTO ch.mentee_profile (participant_id, district_id,
		    target_occupational_field, highest_qualification,
		    qualification_level, recognition_status, german_level,
		    goals, work_permit, availability)
		VALUES (p.id, p.district_id, mp.target_occupational_field,
		    mp.highest_qualification, mp.qualification_level,
		    mp.recognition_status, mp.german_level, mp.goals,
		    mp.work_permit, mp.availability)
		RETURNING * INTO mp;
		PERFORM ch.audit_by(p_who, 'mentee_profile.created',
		    'participant', p.id, p.district_id);
		RETURN ROW(mp.version, '/v1/participants/' || p.id ||
		    '/mentee-profile', ch.mentee_json(mp)::text, false);
	END IF;
	UPDATE ch.mentee_profile SET
	    target_occupational_field = mp.target_occupational_field,
	    highest_qualification = mp.highest_qualification,
	    qualification_level = mp.qualification_level,
	    recognition_status = mp.recognition_status,
	    german_level = mp.german_level, goals = mp.goals,
	    work_permit = mp.work_permit, availability = mp.availability
	WHERE participant_id = p.id RETURNING * INTO mp;
	PERFORM ch.audit_by(p_who, 'mentee_profile.replaced', 'participant',
	    p.id, p.district_id);
	RETURN ROW(mp.version, NULL::text, ch.mentee_json(mp)::text, false);
END
$$;

CREATE OR REPLACE FUNCTION ch.mentee_update(p_who jsonb, p_id uuid,
    p_if_match integer[], p_patch jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	p	ch.participant := ch.participant_load(p_who, p_id, true);
	old	ch.mentee_profile;
	mp	ch.mentee_profile;
BEGIN
	SELECT * INTO old FROM ch.mentee_profile
	WHERE participant_id = p.id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM ch.fail(404, 'No such mentee profile; create it with '
		    'PUT.');
	END IF;
	PERFORM ch.require_version(old.version, p_if_match, 'mentee profile');
	mp := ch.mentee_from(ch.merge_patch(ch.mentee_doc(old), p_patch), old);
	UPDATE ch.mentee_profile SET
	    target_occupational_field = mp.target_occupational_field,
	    highest_qualification = mp.highest_qualification,
	    qualification_level = mp.qualification_level,
	    recognition_status = mp.recognition_status,
	    german_level = mp.german_level, goals = mp.goals,
	    work_permit = mp.work_permit, availability = mp.availability
	WHERE participant_id = p.id RETURNING * INTO mp;
	PERFORM ch.audit_by(p_who, 'mentee_profile.updated', 'participant',
	    p.id, p.district_id, jsonb_build_object('fields',
	    (SELECT jsonb_agg(f) FROM jsonb_object_keys(p_patch) f)));
	RETURN ROW(mp.version, NULL::text, ch.mentee_json(mp)::text, false);
END
$$;

CREATE OR REPLACE FUNCTION ch.tandem_member(p_who jsonb, t ch.tandem) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce((p_who->>'role' = 'mentor'
		AND p_who->>'user' = t.mentor_user_id::text)
	    OR (p_who->>'role' = 'participant'
		AND p_who->>'participant' = t.participant_id::text), false);
$$;

-- Who sees a tandem: the staff of its district and its two members.
CREATE OR REPLACE FUNCTION ch.tandem_visible(t ch.tandem)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT ch.staff_of(t.district_id) OR ch.is_self(t.participant_id)
	    OR coalesce(ch.setting('role') = 'mentor'
		AND t.mentor_user_id::text = ch.setting('user'), false);
$$;

CREATE OR REPLACE FUNCTION ch.tandem_load(p_who jsonb, p_id uuid,
    p_lock boolean DEFAULT false)
RETURNS ch.tandem LANGUAGE plpgsql AS $$
DECLARE
	t	ch.tandem;
BEGIN
	PERFORM ch.enter(p_who);
	IF p_lock THEN
		SELECT * INTO t FROM ch.tandem WHERE id = p_id FOR UPDATE;
	ELSE
		SELECT * INTO t FROM ch.tandem WHERE id = p_id;
	END IF;
	IF NOT FOUND OR NOT ch.tandem_visible(t) THEN
		PERFORM ch.fail_missing('tandem');
	END IF;
	RETURN t;
END
$$;

CREATE OR REPLACE FUNCTION ch.tandem_list(p_who jsonb, p_filter jsonb, p_after text[],
    p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql AS $$
BEGIN
	PERFORM ch.enter(p_who);
	RETURN QUERY
	SELECT ch.tandem_json(p_who, t)::text,
	    ch.cursor_key(t.updated_at), t.id::text
	FROM ch.tandem t
	WHERE ch.tandem_visible(t)
	    AND (p_filter->>'status' IS NULL
		OR t.status = p_filter->>'status')
	    AND (p_filter->>'mentor_id' IS NULL
		OR t.mentor_id = (p_filter->>'mentor_id')::uuid)
	    AND (p_filter->>'participant_id' IS NULL OR t.participant_id =
		(p_filter->>'participant_id')::uuid)
	    AND (p_filter->>'updated_since' IS NULL OR t.updated_at >=
		(p_filter->>'updated_since')::timestamptz)
	    AND ch.after(t.updated_at, t.id, p_after)
	ORDER BY t.updated_at, t.id
	LIMIT p_limit;
END
$$;

CREATE OR REPLACE FUNCTION ch.tandem_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	t	ch.tandem := ch.tandem_load(p_who, p_id);
BEGIN
	RETURN ROW(t.version, NULL::text, ch.tandem_json(p_who, t)::text,
	    false);
END
$$;

-- Ending: {"status": "completed" | "ended_early", "outcome": ...,
-- "end_reason" (ended early), "contract_type" (job), "ended_on",
-- "outcome_date"}. Staff of the district or the mentor.
CREATE OR REPLACE FUNCTION ch.tandem_update(p_who jsonb, p_id uuid,
    p_if_match integer[], p_patch jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	old	ch.tandem := ch.tandem_load(p_who, p_id, true);
	t	ch.tandem;
	d	jsonb;
	e	jsonb := '[]';
BEGIN
	IF p_who->>'role' = 'participant' THEN
		PERFORM ch.fail(403, 'A tandem is ended by its mentor or the '
		    'programme''s staff.');
	END IF;
	PERFORM ch.require_version(old.version, p_if_match, 'tandem');
	IF old.status <> 'active' THEN
		PERFORM ch.fail(409, 'The tandem has ended; it does not change '
		    'any more.');
	END IF;
	d := ch.merge_patch(jsonb_strip_nulls(jsonb_build_object('status',
	    old.status, 'planned_months', old.planned_months)), p_patch);
	IF d->>'status' = 'active' THEN
		IF d ?| ARRAY['outcome', 'end_reason', 'contract_type',
		    'ended_on', 'outcome_date'] THEN
			PERFORM ch.fail(422, 'Only an ending tandem has an end.',
			    ch.err('/status', 'required', 'Set status to '
			    'completed or ended_early together with the '
			    'outcome.'));
		END IF;
	ELSE
		IF d->>'outcome' IS NULL THEN
			e := e || ch.err('/outcome', 'required', 'The outcome is '
			    'recorded when a tandem ends.');
		END IF;
		IF d->>'status' = 'ended_early' AND d->>'end_reason' IS NULL
		THEN
			e := e || ch.err('/end_reason', 'required', 'A tandem '
			    'ended early needs a reason.');
		END IF;
		IF d->>'status' = 'completed' AND d ? 'end_reason' THEN
			e := e || ch.err('/end_reason', 'must_be_null', 'Only '
			    'a tandem ended early has an end_reason.');
		END IF;
		IF d ? 'contract_type' AND d->>'outcome' IS DISTINCT FROM 'job'
		THEN
			e := e || ch.err('/contract_type', 'must_be_null', 'A '
			    'contract type goes with the outcome job.');
		END IF;
		IF coalesce((d->>'ended_on')::date, current_date) <
		    old.started_on THEN
			e := e || ch.err('/ended_on', 'range', 'ended_on must '
			    'not be before started_on.');
		END IF;
		PERFORM ch.fail_invalid(e, 'The tandem cannot end like this.');
	END IF;
	UPDATE ch.tandem SET status = d->>'status',
	    planned_months = (d->>'planned_months')::numeric::integer,
	    ended_on = CASE WHEN d->>'status' = 'active' THEN NULL
		ELSE coalesce((d->>'ended_on')::date, current_date) END,
	    end_reason = d->>'end_reason', outcome = d->>'outcome',
	    contract_type = d->>'contract_type',
	    outcome_date = (d->>'outcome_date')::date
	WHERE id = p_id RETURNING * INTO t;
	PERFORM ch.audit_by(p_who, CASE WHEN t.status = 'active'
	    THEN 'tandem.updated' ELSE 'tandem.ended' END, 'tandem', t.id,
	    t.district_id, jsonb_build_object('fields',
	    (SELECT jsonb_agg(f) FROM jsonb_object_keys(p_patch) f),
	    'outcome', t.outcome));
	RETURN ROW(t.version, NULL::text, ch.tandem_json(p_who, t)::text,
	    false);
END
$$;

-- ---------------------------------------------------------------------
-- Meetings: written by the two members; staff see that they met (date,
-- length, format, topics), never the notes.

CREATE OR REPLACE FUNCTION ch.meeting_json(p_who jsonb, t ch.tandem,
    x ch.tandem_meeting) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('id', x.id, 'tandem_id', x.tandem_id,
	    'held_on', x.held_on, 'duration_minutes', x.duration_minutes,
	    'format', x.format, 'topics', to_jsonb(x.topics),
	    'version', x.version, 'created_at', x.created_at,
	    'updated_at', x.updated_at)
	    || CASE WHEN ch.tandem_member(p_who, t)
		THEN jsonb_build_object('notes', x.notes) ELSE '{}' END;
$$;

-- Who sees a meeting: the staff of the tandem's district (the functions
-- show them no notes), the mentee, and the mentor while the tandem is
-- active.
CREATE OR REPLACE FUNCTION ch.meeting_visible(x ch.tandem_meeting)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT ch.staff_of(x.district_id) OR ch.is_self(x.participant_id)
	    OR coalesce(ch.setting('role') = 'mentor'
		AND x.mentor_user_id::text = ch.setting('user')
		AND ch.tandem_active(x.tandem_id), false);
$$;

CREATE OR REPLACE FUNCTION ch.tandem_active(p_tandem uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM ch.tandem t
	    WHERE t.id = p_tandem AND t.status = 'active');
$$;

-- The mentor reading a tandem's meeting notes reads the mentee's free
-- text: the audit records it (GET /v1/audit, and the mentee's export
-- names her as a recipient).
CREATE OR REPLACE FUNCTION ch.meeting_notes_read(p_who jsonb, t ch.tandem)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF p_who->>'role' = 'mentor' AND ch.tandem_member(p_who, t) THEN
		PERFORM ch.audit_by(p_who, 'meetings.read', 'participant',
		    t.participant_id, t.district_id,
		    jsonb_build_object('tandem', t.id));
	END IF;
END
$$;

CREATE OR REPLACE FUNCTION ch.meeting_list(p_who jsonb, p_id uuid, p_filter jsonb,
    p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql AS $$
DECLARE
	t	ch.tandem := ch.tandem_load(p_who, p_id);
BEGIN
	PERFORM ch.meeting_notes_read(p_who, t);
	RETURN QUERY
	SELECT ch.meeting_json(p_who, t, x)::text,
	    ch.cursor_key(x.held_on::timestamp AT TIME ZONE 'UTC'), x.id::text
	FROM ch.tandem_meeting x
	WHERE x.tandem_id = t.id AND ch.meeting_visible(x)
	    AND (p_after IS NULL OR (x.held_on, x.id) >
		(p_after[1]::timestamp::date, p_after[2]::uuid))
	ORDER BY x.held_on, x.id
	LIMIT p_limit;
END
$$;

CREATE OR REPLACE FUNCTION ch.meeting_create(p_who jsonb, p_key text, p_hash text,
    p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	t	ch.tandem;
	x	ch.tandem_meeting;
BEGIN
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	t := ch.tandem_load(p_who, p_id, false);
	IF NOT ch.tandem_member(p_who, t) THEN
		PERFORM ch.fail(403, 'Meetings are recorded by the mentor and '
		    'the mentee of the tandem.');
	END IF;
	IF t.status <> 'active' THEN
		PERFORM ch.fail(409, 'The tandem has ended.');
	END IF;
	IF (p_body->>'held_on')::date < t.started_on
	    OR (p_body->>'held_on')::date > current_date + 366 THEN
		PERFORM ch.fail(422, 'The meeting date is outside the '
		    'tandem.', ch.err('/held_on', 'range', 'held_on lies '
		    'between the tandem''s start and a year from now.'));
	END IF;
	INSERT INTO ch.tandem_meeting (tandem_id, district_id, mentor_user_id,
	    participant_id, held_on, duration_minutes, format, topics, notes,
	    created_by)
	VALUES (t.id, t.district_id, t.mentor_user_id, t.participant_id,
	    (p_body->>'held_on')::date,
	    (p_body->>'duration_minutes')::numeric::integer,
	    p_body->>'format', ch.text_array(p_body->'topics'),
	    p_body->>'notes', p_who->>'actor')
	RETURNING * INTO x;
	PERFORM ch.audit_by(p_who, 'meeting.created', 'tandem', t.id,
	    t.district_id, jsonb_build_object('meeting', x.id));
	RETURN ch.idem_finish(p_who, p_key, p_hash, ROW(x.version,
	    '/v1/tandems/' || t.id || '/meetings/' || x.id,
	    ch.meeting_json(p_who, t, x)::text, false));
END
$$;

CREATE OR REPLACE FUNCTION ch.meeting_get(p_who jsonb, p_id uuid, p_meeting text)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	t	ch.tandem := ch.tandem_load(p_who, p_id);
	x	ch.tandem_meeting;
BEGIN
	SELECT * INTO x FROM ch.tandem_meeting
	WHERE tandem_id = t.id AND id = p_meeting::uuid;
	IF NOT FOUND OR NOT ch.meeting_visible(x) THEN
		PERFORM ch.fail_missing('meeting');
	END IF;
	PERFORM ch.meeting_notes_read(p_who, t);
	RETURN ROW(x.version, NULL::text, ch.meeting_json(p_who, t, x)::text,
	    false);
END
$$;

-- ---------------------------------------------------------------------
-- Network events: organised by a district's coordinator, open to all;
-- mentors and participants register themselves, and the waiting list
-- moves up when someone cancels.

CREATE OR REPLACE FUNCTION ch.event_json(v ch.event) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN jsonb_build_object('id', v.id, 'district_id', v.district_id,
	    'kind', v.kind, 'title', v.title, 'description', v.description,
	    'place_id', v.place_id, 'place', ch.place_json(v.place_id),
	    'online', v.online, 'starts_at', v.starts_at,
	    'ends_at', v.ends_at, 'capacity', v.capacity,
	    'registered', v.registered,
	    'free_places', v.capacity - v.registered,
	    'waiting', (SELECT count(*) FROM ch.event_registration r
		WHERE r.event_id = v.id AND r.status = 'waiting'),
	    'status', v.status, 'version', v.version,
	    'created_at', v.created_at, 'updated_at', v.updated_at);
END
$$;

CREATE OR REPLACE FUNCTION ch.event_doc(v ch.event) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('kind', v.kind,
	    'title', v.title, 'description', v.description,
	    'place_id', v.place_id, 'online', v.online,
	    'starts_at', v.starts_at, 'ends_at', v.ends_at,
	    'capacity', v.capacity, 'status', v.status));
$$;

CREATE OR REPLACE FUNCTION ch.event_from(p_doc jsonb, v ch.event)
RETURNS ch.event LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb := '[]';
BEGIN
	v.kind := p_doc->>'kind';
	v.title := p_doc->>'title';
	v.description := coalesce(p_doc->>'description', '');
	v.place_id := (p_doc->>'place_id')::uuid;
	v.online := coalesce((p_doc->>'online')::boolean, false);
	v.starts_at := (p_doc->>'starts_at')::timestamptz;
	v.ends_at := (p_doc->>'ends_at')::timestamptz;
	v.capacity := (p_doc->>'capacity')::numeric::integer;
	v.status := coalesce(p_doc->>'status', 'planned');
	e := ch.check_place(e, '/place_id', v.place_id);
	IF v.place_id IS NULL AND NOT v.online THEN
		e := e || ch.err('/place_id', 'required', 'An event takes '
		    'place somewhere (place_id) or online (online: true).');
	END IF;
	IF v.starts_at < '2000-01-01Z' OR v.starts_at >= '2100-01-01Z' THEN
		e := e || ch.err('/starts_at', 'range',
		    'starts_at lies in the years 2000 to 2099.');
	END IF;
	IF v.ends_at < '2000-01-01Z' OR v.ends_at >= '2100-01-01Z' THEN
		e := e || ch.err('/ends_at', 'range',
		    'ends_at lies in the years 2000 to 2099.');
	ELSIF v.ends_at <= v.starts_at THEN
		e := e || ch.err('/ends_at', 'range',
		    'ends_at must be after starts_at.');
	END IF;
	IF v.capacity < coalesce(v.registered, 0) THEN
		e := e || ch.err('/capacity', 'below_registered', format(
		    '%s people are registered; capacity cannot be lower.',
		    v.registered));
	END IF;
	PERFORM ch.fail_invalid(e, 'The event data is invalid.');
	RETURN v;
END
$$;

CREATE OR REPLACE FUNCTION ch.event_list(p_who jsonb, p_filter jsonb, p_after text[],
    p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN QUERY
	SELECT ch.event_json(v)::text,
	    ch.cursor_key(v.starts_at), v.id::text
	FROM ch.event v
	WHERE (p_filter->>'district_id' IS NULL
		OR v.district_id = p_filter->>'district_id')
	    AND (p_filter->>'kind' IS NULL OR v.kind = p_filter->>'kind')
	    AND (p_filter->>'from' IS NULL
		OR v.starts_at >= (p_filter->>'from')::timestamptz)
	    AND (p_filter->>'status' IS NULL
		OR v.status = p_filter->>'status')
	    AND ch.after(v.starts_at, v.id, p_after)
	ORDER BY v.starts_at, v.id
	LIMIT p_limit;
END
$$;

CREATE OR REPLACE FUNCTION ch.event_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql STABLE AS $$
DECLARE
	v	ch.event;
BEGIN
	SELECT * INTO v FROM ch.event WHERE id = p_id;
	IF NOT FOUND THEN
		PERFORM ch.fail_missing('event');
	END IF;
	RETURN ROW(v.version, NULL::text, ch.event_json(v)::text, false);
END
$$;

CREATE OR REPLACE FUNCTION ch.event_create(p_who jsonb, p_key text, p_hash text,
    p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	v	ch.event;
BEGIN
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	v.registered := 0;
	v := ch.event_from(p_body, v);
	INSERT INTO ch.event (district_id, kind, title, description, place_id,
	    online, starts_at, ends_at, capacity, status, created_by)
	VALUES (p_who->>'district', v.kind, v.title, v.description,
	    v.place_id, v.online, v.starts_at, v.ends_at, v.capacity,
	    v.status, p_who->>'actor')
	RETURNING * INTO v;
	PERFORM ch.audit_by(p_who, 'event.created', 'event', v.id,
	    v.district_id);
	RETURN ch.idem_finish(p_who, p_key, p_hash, ROW(v.version,
	    '/v1/events/' || v.id, ch.event_json(v)::text, false));
END
$$;

-- Moves people up from the waiting list while there are free places.
CREATE OR REPLACE FUNCTION ch.event_promote(p_event uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v	ch.event;
	w	ch.event_registration;
BEGIN
	SELECT * INTO v FROM ch.event WHERE id = p_event FOR UPDATE;
	WHILE v.registered < v.capacity AND v.status = 'planned' LOOP
		SELECT * INTO w FROM ch.event_registration
		WHERE event_id = p_event AND status = 'waiting'
		ORDER BY queued_at, id LIMIT 1 FOR UPDATE;
		EXIT WHEN NOT FOUND;
		UPDATE ch.event_registration SET status = 'registered',
		    promoted_at = clock_timestamp()
		WHERE id = w.id;
		UPDATE ch.event SET registered = registered + 1
		WHERE id = p_event RETURNING * INTO v;
	END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION ch.event_update(p_who jsonb, p_id uuid,
    p_if_match integer[], p_patch jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	old	ch.event;
	v	ch.event;
BEGIN
	SELECT * INTO old FROM ch.event WHERE id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM ch.fail_missing('event');
	END IF;
	IF NOT coalesce(p_who->>'role' = 'coordinator'
	    AND p_who->>'district' = old.district_id, false) THEN
		PERFORM ch.fail(403, 'An event is changed by its district''s '
		    'coordinators.');
	END IF;
	PERFORM ch.require_version(old.version, p_if_match, 'event');
	v := ch.event_from(ch.merge_patch(ch.event_doc(old), p_patch), old);
	UPDATE ch.event SET kind = v.kind, title = v.title,
	    description = v.description, place_id = v.place_id,
	    online = v.online, starts_at = v.starts_at, ends_at = v.ends_at,
	    capacity = v.capacity, status = v.status
	WHERE id = p_id;
	PERFORM ch.event_promote(p_id);
	SELECT * INTO v FROM ch.event WHERE id = p_id;
	PERFORM ch.audit_by(p_who, 'event.updated', 'event', v.id,
	    v.district_id, jsonb_build_object('fields',
	    (SELECT jsonb_agg(f) FROM jsonb_object_keys(p_patch) f)));
	RETURN ROW(v.version, NULL::text, ch.event_json(v)::text, false);
END
$$;

CREATE OR REPLACE FUNCTION ch.registration_json(p_who jsonb, r ch.event_registration)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN jsonb_build_object('id', r.id, 'event_id', r.event_id,
	    'user_id', r.user_id, 'status', r.status,
	    'position', CASE WHEN r.status = 'waiting' THEN (
		SELECT count(*) + 1 FROM ch.event_registration q
		WHERE q.event_id = r.event_id AND q.status = 'waiting'
		    AND (q.queued_at, q.id) < (r.queued_at, r.id)) END,
	    'queued_at', r.queued_at, 'promoted_at', r.promoted_at,
	    'cancelled_at', r.cancelled_at, 'version', r.version,
	    'updated_at', r.updated_at);
END
$$;

CREATE OR REPLACE FUNCTION ch.event_organiser(p_who jsonb, p_event uuid)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT coalesce(p_who->>'role' = 'coordinator' AND EXISTS (
	    SELECT 1 FROM ch.event v WHERE v.id = p_event
		AND v.district_id = p_who->>'district'), false);
$$;

CREATE OR REPLACE FUNCTION ch.registration_list(p_who jsonb, p_id uuid,
    p_filter jsonb, p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM ch.event WHERE id = p_id) THEN
		PERFORM ch.fail_missing('event');
	END IF;
	-- The organiser sees everyone; others only themselves.
	RETURN QUERY
	SELECT ch.registration_json(p_who, r)::text,
	    ch.cursor_key(r.queued_at), r.id::text
	FROM ch.event_registration r
	WHERE r.event_id = p_id
	    AND (ch.event_organiser(p_who, p_id)
		OR coalesce(r.user_id::text = p_who->>'user', false))
	    AND (p_filter->>'status' IS NULL
		OR r.status = p_filter->>'status')
	    AND ch.after(r.queued_at, r.id, p_after)
	ORDER BY r.queued_at, r.id
	LIMIT p_limit;
END
$$;

-- Registers the caller: a place while there is one, else the waiting list.
CREATE OR REPLACE FUNCTION ch.registration_create(p_who jsonb, p_key text,
    p_hash text, p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	v	ch.event;
	reg	ch.event_registration;
BEGIN
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	IF p_who->>'user' IS NULL THEN
		PERFORM ch.fail(403, 'Registrations are for accounts of this '
		    'service.');
	END IF;
	SELECT * INTO v FROM ch.event WHERE id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM ch.fail_missing('event');
	END IF;
	IF v.status <> 'planned' OR v.ends_at < now() THEN
		PERFORM ch.fail(409, 'The event is cancelled or over.');
	END IF;
	BEGIN
		INSERT INTO ch.event_registration (event_id, user_id, status)
		VALUES (v.id, (p_who->>'user')::uuid,
		    CASE WHEN v.registered < v.capacity THEN 'registered'
			ELSE 'waiting' END)
		RETURNING * INTO reg;
	EXCEPTION WHEN unique_violation THEN
		PERFORM ch.fail(409, 'You are registered for this event '
		    'already.');
	END;
	IF reg.status = 'registered' THEN
		UPDATE ch.event SET registered = registered + 1
		WHERE id = v.id;
	END IF;
	PERFORM ch.audit_by(p_who, 'event.registered', 'event', v.id,
	    v.district_id, jsonb_build_object('status', reg.status));
	RETURN ch.idem_finish(p_who, p_key, p_hash, ROW(reg.version,
	    '/v1/events/' || v.id || '/registrations/' || reg.id,
	    ch.registration_json(p_who, reg)::text, false));
END
$$;

CREATE OR REPLACE FUNCTION ch.registration_get(p_who jsonb, p_id uuid, p_reg text)
RETURNS ch.result LANGUAGE plpgsql STABLE AS $$
DECLARE
	reg	ch.event_registration;
BEGIN
	SELECT * INTO reg FROM ch.event_registration
	WHERE event_id = p_id AND id = p_reg::uuid;
	IF NOT FOUND OR NOT (ch.event_organiser(p_who, p_id)
	    OR coalesce(reg.user_id::text = p_who->>'user', false)) THEN
		PERFORM ch.fail_missing('registration');
	END IF;
	RETURN ROW(reg.version, NULL::text,
	    ch.registration_json(p_who, reg)::text, false);
END
$$;

-- Cancels a registration (the person, or the organiser); a freed place
-- goes to the first on the waiting list in the same transaction.
CREATE OR REPLACE FUNCTION ch.registration_cancel(p_who jsonb, p_id uuid, p_reg text)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	v	ch.event;
	reg	ch.event_registration;
	held	boolean;
BEGIN
	SELECT * INTO v FROM ch.event WHERE id = p_id FOR UPDATE;
	SELECT * INTO reg FROM ch.event_registration
	WHERE event_id = p_id AND id = p_reg::uuid FOR UPDATE;
	IF NOT FOUND OR NOT (ch.event_organiser(p_who, p_id)
	    OR coalesce(reg.user_id::text = p_who->>'user', false)) THEN
		PERFORM ch.fail_missing('registration');
	END IF;
	IF reg.status = 'cancelled' THEN
		PERFORM ch.fail(409, 'The registration is cancelled already.');
	END IF;
	held := reg.status = 'registered';
	UPDATE ch.event_registration SET status = 'cancelled',
	    cancelled_at = clock_timestamp()
	WHERE id = reg.id RETURNING * INTO reg;
	IF held THEN
		UPDATE ch.event SET registered = registered - 1
		WHERE id = p_id;
		PERFORM ch.event_promote(p_id);
	END IF;
	PERFORM ch.audit_by(p_who, 'event.cancelled_registration', 'event',
	    v.id, v.district_id);
	RETURN ROW(NULL::integer, NULL::text, NULL::text, false);
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
-- Reads of personal data check their caller themselves.

-- A mentee profile: staff of her district, the woman herself, and her
-- mentor while their tandem is active.
CREATE OR REPLACE FUNCTION ch.mentee_visible(mp ch.mentee_profile)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT ch.staff_of(mp.district_id) OR ch.is_self(mp.participant_id)
	    OR coalesce(ch.mentors(mp.participant_id), false);
$$;

CREATE OR REPLACE FUNCTION ch.mentee_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	mp	ch.mentee_profile;
BEGIN
	PERFORM ch.enter(p_who);
	SELECT * INTO mp FROM ch.mentee_profile WHERE participant_id = p_id;
	IF NOT FOUND OR NOT ch.mentee_visible(mp) THEN
		PERFORM ch.fail_missing('mentee profile');
	END IF;
	RETURN ROW(mp.version, NULL::text, ch.mentee_json(mp)::text, false);
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
	    'erasure_due_at', t.erasure_due_at,
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
	    -- Erased people's tandems and meetings stay in the counts
	    -- (ch.erased_count, kept by db/functions/privacy.sql).
	    'tandems', (SELECT jsonb_object_agg(s, (SELECT count(*)
		FROM ch.tandem t WHERE t.district_id = d.id AND t.status = s
		AND ch.has_consent(t.participant_id, 'statistics'))
		+ ch.erased_total('tandem', d.id, s, NULL))
		FROM unnest(ARRAY['active', 'completed', 'ended_early']) s),
	    'outcomes', (SELECT jsonb_object_agg(o, (SELECT count(*)
		FROM ch.tandem t WHERE t.district_id = d.id AND t.outcome = o
		AND ch.has_consent(t.participant_id, 'statistics'))
		+ ch.erased_total('tandem', d.id, NULL, o))
		FROM unnest(ARRAY['job', 'vocational_training', 'internship',
		    'studies', 'language_course', 'none']) o),
	    'meetings', (SELECT count(*) FROM ch.tandem_meeting x
		WHERE x.district_id = d.id
		AND ch.has_consent(x.participant_id, 'statistics'))
		+ ch.erased_total('meeting', d.id, NULL, NULL),
	    'planned_events', (SELECT count(*) FROM ch.event v
		WHERE v.district_id = d.id AND v.status = 'planned'))
	    ORDER BY d.id)
	    FROM ch.district d
	    WHERE p_who->>'role' = 'state_admin'
		OR d.id = p_who->>'district'), '[]'))::text, false);
END
$$;
