-- Problem reports (/v1/problem-reports): what people report to the staff
-- of their district or in the app, its referral and resolution, and the
-- comments on it.
--
-- Who reads what: the staff of the report's district and the person it is
-- about (ch.problem_report_visible, also its read policy). Lists show no
-- free text; the description, the resolution note and the comments come
-- with the single read and the comment list, and a staff read of them is
-- audited (problem_report.read). Organisations, mentors and the state
-- admin read no report: the state admin gets figures.
--
-- Each function here is its one current source (see db/README.md).

-- The status a report may move to from each status. A closed report can
-- be opened again (in_review).
CREATE OR REPLACE FUNCTION ch.problem_next(p_from text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_from
	    WHEN 'new' THEN ARRAY['in_review', 'referred', 'resolved',
		'not_resolvable']
	    WHEN 'in_review' THEN ARRAY['referred', 'resolved',
		'not_resolvable']
	    WHEN 'referred' THEN ARRAY['in_review', 'resolved',
		'not_resolvable']
	    ELSE ARRAY['in_review'] END;
$$;

CREATE OR REPLACE FUNCTION ch.problem_report_visible(r ch.problem_report)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT ch.staff_of(r.district_id) OR ch.is_self(r.participant_id);
$$;

CREATE OR REPLACE FUNCTION ch.problem_comment_visible(c ch.problem_report_comment)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT ch.staff_of(c.district_id) OR ch.is_self(c.participant_id);
$$;

-- The representation; p_text adds the free text (single reads).
CREATE OR REPLACE FUNCTION ch.problem_report_json(r ch.problem_report,
    p_text boolean)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', r.id, 'district_id', r.district_id,
	    'participant_id', r.participant_id, 'category', r.category,
	    'topic', r.topic, 'urgency', r.urgency,
	    'place', ch.place_json(r.place_id),
	    'languages', to_jsonb(r.languages), 'channel', r.channel,
	    'status', r.status, 'referred_to', r.referred_to,
	    'referred_at', r.referred_at, 'closed_at', r.closed_at,
	    'assignee_id', r.assignee_id, 'reported_by_role',
	    r.reported_by_role, 'reported_at', r.reported_at,
	    'version', r.version, 'created_at', r.created_at,
	    'updated_at', r.updated_at)
	    || CASE WHEN p_text THEN jsonb_build_object('description',
		r.description, 'resolution_note', r.resolution_note)
		ELSE '{}' END;
$$;

CREATE OR REPLACE FUNCTION ch.problem_report_load(p_who jsonb, p_id uuid,
    p_lock boolean DEFAULT false)
RETURNS ch.problem_report LANGUAGE plpgsql AS $$
DECLARE
	r	ch.problem_report;
BEGIN
	PERFORM ch.enter(p_who);
	IF p_lock THEN
		SELECT * INTO r FROM ch.problem_report WHERE id = p_id
		FOR UPDATE;
	ELSE
		SELECT * INTO r FROM ch.problem_report WHERE id = p_id;
	END IF;
	IF NOT FOUND OR NOT ch.problem_report_visible(r) THEN
		PERFORM ch.fail_missing('problem report');
	END IF;
	RETURN r;
END
$$;

-- A staff read of a report's free text, for "who read what".
CREATE OR REPLACE FUNCTION ch.problem_text_read(p_who jsonb,
    r ch.problem_report, p_what text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF p_who->>'role' <> 'participant' THEN
		PERFORM ch.audit_by(p_who, 'problem_report.read',
		    'problem_report', r.id, r.district_id,
		    jsonb_strip_nulls(jsonb_build_object('part', p_what,
		    'participant', r.participant_id)));
	END IF;
END
$$;

-- The rules of a report's fields that need data, as field errors.
CREATE OR REPLACE FUNCTION ch.problem_check(r ch.problem_report,
    p_old_assignee uuid DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb := '[]';
BEGIN
	IF NOT EXISTS (SELECT 1 FROM ch.taxonomy_term t
	    WHERE t.taxonomy = 'problem_categories' AND t.code = r.category
		AND t.parent IS NULL) THEN
		e := e || ch.err('/category', 'unknown', 'category is not a '
		    'category of the problem_categories taxonomy (GET '
		    '/v1/taxonomies/problem_categories).');
	ELSIF r.topic IS NOT NULL AND NOT EXISTS (SELECT 1
	    FROM ch.taxonomy_term t WHERE t.taxonomy = 'problem_categories'
		AND t.code = r.topic AND t.parent = r.category) THEN
		e := e || ch.err('/topic', 'unknown', 'topic is not a sub-topic '
		    'of the category (GET /v1/taxonomies/problem_categories).');
	END IF;
	e := ch.check_place(e, '/place_id', r.place_id);
	e := ch.check_codes(e, '/languages', 'languages',
	    to_jsonb(r.languages), 'language');
	-- An assignee kept from before stays, even if her account was
	-- disabled meanwhile: only a new one must be able to work on it.
	IF r.assignee_id IS NOT NULL
	    AND r.assignee_id IS DISTINCT FROM p_old_assignee
	    AND NOT EXISTS (SELECT 1
	    FROM ch.app_user u WHERE u.id = r.assignee_id
		AND u.role IN ('coordinator', 'assistant')
		AND u.district_id = r.district_id AND NOT u.disabled) THEN
		e := e || ch.err('/assignee_id', 'unknown', 'assignee_id names '
		    'no coordinator or assistant of the report''s district.');
	END IF;
	IF r.status = 'referred' AND r.referred_to IS NULL THEN
		e := e || ch.err('/referred_to', 'required', 'A referred report '
		    'names the office or organisation it went to.');
	END IF;
	RETURN e;
END
$$;

CREATE OR REPLACE FUNCTION ch.problem_report_list(p_who jsonb,
    p_filter jsonb, p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql AS $$
BEGIN
	PERFORM ch.enter(p_who);
	RETURN QUERY
	SELECT ch.problem_report_json(r, false)::text,
	    ch.cursor_key(r.updated_at), r.id::text
	FROM ch.problem_report r
	WHERE ch.problem_report_visible(r)
	    AND (p_filter->>'status' IS NULL
		OR r.status = p_filter->>'status')
	    AND (p_filter->>'category' IS NULL
		OR r.category = p_filter->>'category')
	    AND (p_filter->>'urgency' IS NULL
		OR r.urgency = p_filter->>'urgency')
	    AND (p_filter->>'participant_id' IS NULL
		OR r.participant_id = (p_filter->>'participant_id')::uuid)
	    AND (p_filter->>'assignee_id' IS NULL
		OR r.assignee_id = (p_filter->>'assignee_id')::uuid)
	    AND (p_filter->>'updated_since' IS NULL OR r.updated_at >=
		(p_filter->>'updated_since')::timestamptz)
	    AND ch.after(r.updated_at, r.id, p_after)
	ORDER BY r.updated_at, r.id
	LIMIT p_limit;
END
$$;

CREATE OR REPLACE FUNCTION ch.problem_report_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.problem_report := ch.problem_report_load(p_who, p_id);
BEGIN
	PERFORM ch.problem_text_read(p_who, r, 'report');
	RETURN ROW(r.version, NULL::text, ch.problem_report_json(r, true)::text,
	    false);
END
$$;

-- Staff record a report of their district, for a person of it or
-- without one; a participant records her own (channel app).
CREATE OR REPLACE FUNCTION ch.problem_report_create(p_who jsonb, p_key text,
    p_hash text, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	res	ch.result;
	r	ch.problem_report;
	p	ch.participant;
	e	jsonb;
BEGIN
	PERFORM ch.enter(p_who);
	res := ch.idem_begin(p_who, p_key, p_hash);
	IF res.replayed THEN
		RETURN res;
	END IF;
	IF p_who->>'role' = 'participant' THEN
		IF p_body ? 'participant_id' OR p_body ? 'assignee_id'
		    OR p_body ? 'channel' THEN
			PERFORM ch.fail(403, 'A report from the app is about '
			    'yourself; staff assign it.', ch.err(
			    CASE WHEN p_body ? 'participant_id'
				THEN '/participant_id' WHEN p_body ?
				'assignee_id' THEN '/assignee_id'
				ELSE '/channel' END, 'not_allowed',
			    'Set by the programme''s staff.'));
		END IF;
		p := ch.participant_load(p_who, (p_who->>'participant')::uuid);
		r.participant_id := p.id;
		r.district_id := p.district_id;
		r.channel := 'app';
	ELSIF ch.is_staff(p_who, p_who->>'district') THEN
		r.district_id := p_who->>'district';
		r.channel := coalesce(p_body->>'channel', 'consultation');
		IF p_body->>'participant_id' IS NOT NULL THEN
			SELECT * INTO p FROM ch.participant
			WHERE id = (p_body->>'participant_id')::uuid;
			IF NOT FOUND OR NOT ch.participant_visible(p)
			    OR p.district_id <> r.district_id THEN
				PERFORM ch.fail_invalid(ch.err(
				    '/participant_id', 'unknown', 'There is no '
				    'participant with this id in your '
				    'district.'), 'The problem report is '
				    'invalid.');
			END IF;
			r.participant_id := p.id;
		END IF;
		r.assignee_id := (p_body->>'assignee_id')::uuid;
	ELSE
		PERFORM ch.fail(403, 'Problem reports are recorded by the '
		    'staff of a district or by the person herself.');
	END IF;
	r.category := p_body->>'category';
	r.topic := p_body->>'topic';
	r.description := p_body->>'description';
	r.urgency := coalesce(p_body->>'urgency', 'normal');
	r.place_id := (p_body->>'place_id')::uuid;
	r.languages := ch.text_array(p_body->'languages');
	r.status := 'new';
	e := ch.problem_check(r);
	PERFORM ch.fail_invalid(e, 'The problem report is invalid.');
	INSERT INTO ch.problem_report (district_id, participant_id, category,
	    topic, description, urgency, place_id, languages, channel,
	    assignee_id, reported_by, reported_by_role)
	VALUES (r.district_id, r.participant_id, r.category, r.topic,
	    r.description, r.urgency, r.place_id, r.languages, r.channel,
	    r.assignee_id, p_who->>'actor', p_who->>'role')
	RETURNING * INTO r;
	PERFORM ch.audit_by(p_who, 'problem_report.created', 'problem_report',
	    r.id, r.district_id, jsonb_strip_nulls(jsonb_build_object(
	    'participant', r.participant_id, 'category', r.category)));
	RETURN ch.idem_finish(p_who, p_key, p_hash, ROW(r.version,
	    '/v1/problem-reports/' || r.id,
	    ch.problem_report_json(r, true)::text, false));
END
$$;

-- The members a client writes, for merging a patch into.
CREATE OR REPLACE FUNCTION ch.problem_report_doc(r ch.problem_report)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('category', r.category,
	    'topic', r.topic, 'description', r.description,
	    'urgency', r.urgency, 'place_id', r.place_id,
	    'languages', to_jsonb(r.languages), 'status', r.status,
	    'referred_to', r.referred_to,
	    'resolution_note', r.resolution_note,
	    'assignee_id', r.assignee_id));
$$;

-- PATCH: staff of the district. The status moves along
-- ch.problem_next; referring names where to, closing records when.
CREATE OR REPLACE FUNCTION ch.problem_report_update(p_who jsonb, p_id uuid,
    p_if_match integer[], p_patch jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	old	ch.problem_report := ch.problem_report_load(p_who, p_id, true);
	r	ch.problem_report;
	d	jsonb;
BEGIN
	IF NOT ch.is_staff(p_who, old.district_id) THEN
		PERFORM ch.fail(403, 'A report is handled by the staff of its '
		    'district.');
	END IF;
	PERFORM ch.require_version(old.version, p_if_match, 'problem report');
	d := ch.merge_patch(ch.problem_report_doc(old), p_patch);
	r := old;
	r.category := d->>'category';
	r.topic := d->>'topic';
	r.description := d->>'description';
	r.urgency := d->>'urgency';
	r.place_id := (d->>'place_id')::uuid;
	r.languages := ch.text_array(d->'languages');
	r.status := d->>'status';
	r.referred_to := d->>'referred_to';
	r.resolution_note := d->>'resolution_note';
	r.assignee_id := (d->>'assignee_id')::uuid;
	IF r.category IS NULL THEN
		PERFORM ch.fail_invalid(ch.err('/category', 'required',
		    'A report keeps a category.'), 'The problem report is '
		    'invalid.');
	END IF;
	IF r.status IS DISTINCT FROM old.status
	    AND NOT r.status = ANY (ch.problem_next(old.status)) THEN
		PERFORM ch.fail(409, format('A %s report cannot become %s.',
		    replace(old.status, '_', ' '), replace(r.status, '_', ' ')),
		    ch.err('/status', 'transition', format('From %s: %s.',
		    old.status, array_to_string(ch.problem_next(old.status),
		    ', '))));
	END IF;
	PERFORM ch.fail_invalid(ch.problem_check(r, old.assignee_id),
	    'The problem report is invalid.');
	IF r.referred_to IS DISTINCT FROM old.referred_to THEN
		r.referred_at := CASE WHEN r.referred_to IS NOT NULL
		    THEN now() END;
		r.referred_by := CASE WHEN r.referred_to IS NOT NULL
		    THEN p_who->>'actor' END;
	END IF;
	r.closed_at := CASE WHEN r.status IN ('resolved', 'not_resolvable')
	    THEN coalesce(old.closed_at, now()) END;
	UPDATE ch.problem_report SET category = r.category, topic = r.topic,
	    description = r.description, urgency = r.urgency,
	    place_id = r.place_id, languages = r.languages, status = r.status,
	    referred_to = r.referred_to, referred_by = r.referred_by,
	    referred_at = r.referred_at,
	    resolution_note = r.resolution_note, closed_at = r.closed_at,
	    assignee_id = r.assignee_id
	WHERE id = old.id RETURNING * INTO r;
	PERFORM ch.audit_by(p_who, 'problem_report.updated', 'problem_report',
	    r.id, r.district_id, jsonb_strip_nulls(jsonb_build_object(
	    'fields', (SELECT jsonb_agg(k) FROM jsonb_object_keys(p_patch) k),
	    'status', CASE WHEN r.status <> old.status THEN r.status END,
	    'participant', r.participant_id)));
	RETURN ROW(r.version, NULL::text, ch.problem_report_json(r, true)::text,
	    false);
END
$$;

CREATE OR REPLACE FUNCTION ch.problem_comment_json(c ch.problem_report_comment)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('id', c.id, 'report_id', c.report_id,
	    'author_role', c.author_role, 'body', c.body,
	    'created_at', c.created_at);
$$;

CREATE OR REPLACE FUNCTION ch.problem_comment_get(p_who jsonb, p_id uuid,
    p_comment text)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.problem_report := ch.problem_report_load(p_who, p_id);
	c	ch.problem_report_comment;
BEGIN
	SELECT * INTO c FROM ch.problem_report_comment
	WHERE report_id = r.id AND id = p_comment::uuid;
	IF NOT FOUND OR NOT ch.problem_comment_visible(c) THEN
		PERFORM ch.fail_missing('comment');
	END IF;
	PERFORM ch.problem_text_read(p_who, r, 'comments');
	RETURN ROW(NULL::integer, NULL::text, ch.problem_comment_json(c)::text,
	    false);
END
$$;

CREATE OR REPLACE FUNCTION ch.problem_comment_list(p_who jsonb, p_id uuid,
    p_filter jsonb, p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql AS $$
DECLARE
	r	ch.problem_report := ch.problem_report_load(p_who, p_id);
BEGIN
	PERFORM ch.problem_text_read(p_who, r, 'comments');
	RETURN QUERY
	SELECT ch.problem_comment_json(c)::text, ch.cursor_key(c.created_at),
	    c.id::text
	FROM ch.problem_report_comment c
	WHERE c.report_id = r.id AND ch.problem_comment_visible(c)
	    AND ch.after(c.created_at, c.id, p_after)
	ORDER BY c.created_at, c.id
	LIMIT p_limit;
END
$$;

-- Staff of the district and the person comment; a closed report takes
-- no comments until it is opened again.
CREATE OR REPLACE FUNCTION ch.problem_comment_create(p_who jsonb, p_key text,
    p_hash text, p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	res	ch.result;
	r	ch.problem_report;
	c	ch.problem_report_comment;
BEGIN
	res := ch.idem_begin(p_who, p_key, p_hash);
	IF res.replayed THEN
		RETURN res;
	END IF;
	r := ch.problem_report_load(p_who, p_id, true);
	IF r.status IN ('resolved', 'not_resolvable') THEN
		PERFORM ch.fail(409, 'The report is closed; open it again '
		    '(status in_review) to comment.');
	END IF;
	INSERT INTO ch.problem_report_comment (report_id, district_id,
	    participant_id, author, author_role, body)
	VALUES (r.id, r.district_id, r.participant_id, p_who->>'actor',
	    p_who->>'role', p_body->>'body')
	RETURNING * INTO c;
	PERFORM ch.audit_by(p_who, 'problem_report.commented',
	    'problem_report', r.id, r.district_id,
	    jsonb_strip_nulls(jsonb_build_object('comment', c.id,
	    'participant', r.participant_id)));
	RETURN ch.idem_finish(p_who, p_key, p_hash, ROW(NULL::integer,
	    '/v1/problem-reports/' || r.id || '/comments/' || c.id,
	    ch.problem_comment_json(c)::text, false));
END
$$;
