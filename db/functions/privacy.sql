-- Privacy: what the API keeps about a person and for how long.
--
--   export     GET /v1/participants/{id}/export, GET /v1/me/export: every
--              record about a person, paged (ch.person_export)
--   erasure    POST .../erasure files a request; after its grace period
--              the worker pool carries it out (ch.privacy_run ->
--              ch.erasure_execute -> ch.erase_participant, ch.erase_account)
--   retention  a schedule of rules (ch.retention_schedule); the worker
--              pool runs it: a dry run first, executed only once the state
--              admin confirmed the schedule's version (ch.retention_run_now)
--   audit      GET /v1/audit: who did and read what
--
-- The privacy clock (ch.privacy_now) is now() moved by the schedule's
-- clock_offset, which only the schema's owner can set (drills, tests).
-- Writes go through SECURITY DEFINER functions that check their caller:
-- the API's role may read these tables but not write them, so a request
-- cannot skip the grace period or confirm a schedule by a second path.
--
-- Each function here is its one current source (see db/README.md).

CREATE OR REPLACE FUNCTION ch.privacy_now() RETURNS timestamptz
LANGUAGE sql STABLE AS $$
	SELECT now() + coalesce((SELECT clock_offset
	    FROM ch.retention_schedule), interval '0');
$$;

-- ---------------------------------------------------------------------
-- The audit log: append-only, except for what erasure and retention do
-- to it (ch.audit_maintenance on): an erased person's ids leave the
-- entries about her, and entries past their retention are deleted.

CREATE OR REPLACE FUNCTION ch.audit_log_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF current_setting('ch.audit_maintenance', true) = 'on' THEN
		IF TG_OP = 'DELETE' THEN
			RETURN OLD;
		END IF;
		IF (NEW.id, NEW.at, NEW.action, NEW.entity, NEW.actor_role,
		    NEW.district_id) IS NOT DISTINCT FROM (OLD.id, OLD.at,
		    OLD.action, OLD.entity, OLD.actor_role, OLD.district_id)
		    AND (NEW.actor IS NULL OR NEW.actor = OLD.actor)
		    AND (NEW.entity_id IS NULL
			OR NEW.entity_id = OLD.entity_id) THEN
			RETURN NEW;
		END IF;
	END IF;
	RAISE EXCEPTION 'audit_log is append-only'
	    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE
	ON ch.audit_log FOR EACH ROW
	EXECUTE FUNCTION ch.audit_log_immutable();

-- Takes the ids of erased records and the erased account's actor name
-- out of the audit: the entries stay (what was done, by which role,
-- when, in which district), who it was about does not.
CREATE OR REPLACE FUNCTION ch.audit_forget(p_ids text[], p_actor text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	n	integer;
	m	integer;
BEGIN
	PERFORM set_config('ch.audit_maintenance', 'on', true);
	UPDATE ch.audit_log SET entity_id = NULL, detail = '{}',
	    request_id = NULL
	WHERE entity_id = ANY (p_ids);
	GET DIAGNOSTICS n = ROW_COUNT;
	UPDATE ch.audit_log SET actor = NULL, request_id = NULL
	WHERE p_actor IS NOT NULL AND actor = p_actor;
	GET DIAGNOSTICS m = ROW_COUNT;
	PERFORM set_config('ch.audit_maintenance', 'off', true);
	RETURN n + m;
END
$$;

CREATE OR REPLACE FUNCTION ch.audit_json(a ch.audit_log) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('id', a.id, 'at', a.at, 'actor', a.actor,
	    'actor_role', a.actor_role, 'action', a.action,
	    'entity', a.entity, 'entity_id', a.entity_id,
	    'district_id', a.district_id, 'request_id', a.request_id,
	    'detail', a.detail);
$$;

-- GET /v1/audit: coordinators their district's entries, the state admin
-- all; newest first.
CREATE OR REPLACE FUNCTION ch.audit_list(p_who jsonb, p_filter jsonb,
    p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql STABLE AS $$
DECLARE
	district text := CASE WHEN p_who->>'role' = 'coordinator'
	    THEN p_who->>'district' END;
BEGIN
	IF p_who->>'role' NOT IN ('coordinator', 'state_admin') THEN
		PERFORM ch.fail(403, 'The audit log is for coordinators and '
		    'the state admin.');
	END IF;
	IF p_who->>'role' = 'coordinator' AND district IS NULL THEN
		RETURN;
	END IF;
	-- The entry's number travels in the cursor's id, as a UUID.
	IF p_after IS NOT NULL
	    AND p_after[2] !~ '^00000000-0000-0000-0000-[0-9]{12}$' THEN
		PERFORM ch.fail(400, 'The request has invalid parameters.',
		    ch.err('cursor', 'invalid', 'cursor is not a value this '
		    'list returned.'));
	END IF;
	RETURN QUERY
	SELECT ch.audit_json(a)::text, ch.cursor_key(a.at),
	    '00000000-0000-0000-0000-' || lpad(a.id::text, 12, '0')
	FROM ch.audit_log a
	WHERE (district IS NULL OR a.district_id = district)
	    AND (p_filter->>'district_id' IS NULL
		OR a.district_id = p_filter->>'district_id')
	    AND (p_filter->>'person' IS NULL
		OR (a.entity = 'participant'
		    AND a.entity_id = p_filter->>'person')
		OR (a.entity = 'problem_report'
		    AND a.detail->>'participant' = p_filter->>'person'))
	    AND (p_filter->>'account' IS NULL
		OR a.actor = p_filter->>'account')
	    AND (p_filter->>'action' IS NULL
		OR a.action = p_filter->>'action')
	    AND (p_filter->>'since' IS NULL
		OR a.at >= (p_filter->>'since')::timestamptz)
	    AND (p_filter->>'until' IS NULL
		OR a.at < (p_filter->>'until')::timestamptz)
	    AND (p_after IS NULL OR (a.at, a.id) <
		(p_after[1]::timestamptz, right(p_after[2], 12)::bigint))
	ORDER BY a.at DESC, a.id DESC
	LIMIT p_limit;
END
$$;

-- ---------------------------------------------------------------------
-- Export: every record about a person, as typed records in a fixed
-- order, paged by the usual cursor. The records are the API's own
-- representations, read under row-level security as the caller: staff
-- get what staff may read (no meeting notes), the person everything
-- that is hers. The last records say who received her data (the audit
-- log's entries about her by anyone else, and the organisations her
-- placements and proposals went to).

CREATE OR REPLACE FUNCTION ch.person_export(p_who jsonb, p_participant uuid,
    p_users uuid[], p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql AS $$
DECLARE
	ids	text[];
BEGIN
	ids := array_remove(ARRAY[p_participant::text], NULL)
	    || p_users::text[]
	    || ARRAY(SELECT m.id::text FROM ch.mentor m
		WHERE m.user_id = ANY (p_users))
	    || ARRAY(SELECT x.id::text FROM ch.placement x
		WHERE x.participant_id = p_participant)
	    || ARRAY(SELECT x.id::text FROM ch.tandem x
		WHERE x.participant_id = p_participant)
	    || ARRAY(SELECT x.id::text FROM ch.proposal x
		WHERE x.participant_id = p_participant)
	    || ARRAY(SELECT x.id::text FROM ch.problem_report x
		WHERE x.participant_id = p_participant);
	RETURN QUERY
	SELECT jsonb_build_object('type', r.type, 'data', r.data)::text,
	    r.k1, r.k2
	FROM (
	    SELECT 'account' AS type, ch.user_json(u)::jsonb AS data,
		'01' AS k1, u.id::text AS k2
	    FROM ch.app_user u WHERE u.id = ANY (p_users)
	    UNION ALL
	    SELECT 'session', jsonb_build_object('id', f.id,
		'created_at', f.created_at, 'revoked_at', f.revoked_at,
		'revoke_reason', f.revoke_reason),
		'02' || ch.cursor_key(f.created_at), f.id::text
	    FROM ch.token_family f WHERE f.user_id = ANY (p_users)
	    UNION ALL
	    SELECT 'participant', ch.participant_json(p),
		'03', p.id::text
	    FROM ch.participant p WHERE p.id = p_participant
	    UNION ALL
	    SELECT 'contact', ch.contact_json(c),
		'04', c.participant_id::text
	    FROM ch.participant_contact c WHERE c.participant_id = p_participant
	    UNION ALL
	    SELECT 'consent', ch.consent_json(c),
		'05' || ch.cursor_key(c.granted_at), c.id::text
	    FROM ch.consent c WHERE c.participant_id = p_participant
	    UNION ALL
	    SELECT 'mentee_profile', ch.mentee_json(mp),
		'06', mp.participant_id::text
	    FROM ch.mentee_profile mp WHERE mp.participant_id = p_participant
	    UNION ALL
	    SELECT 'mentor', ch.mentor_json(m),
		'07', m.id::text
	    FROM ch.mentor m WHERE m.user_id = ANY (p_users)
	    UNION ALL
	    SELECT 'placement', ch.placement_json(p_who, pl, false),
		'08' || ch.cursor_key(pl.created_at), pl.id::text
	    FROM ch.placement pl WHERE pl.participant_id = p_participant
	    UNION ALL
	    SELECT 'tandem', ch.tandem_json(p_who, t),
		'09' || ch.cursor_key(t.created_at), t.id::text
	    FROM ch.tandem t WHERE t.participant_id = p_participant
		OR t.mentor_user_id = ANY (p_users)
	    UNION ALL
	    SELECT 'meeting', ch.meeting_json(p_who, t, x),
		'10' || ch.cursor_key(x.created_at), x.id::text
	    FROM ch.tandem_meeting x JOIN ch.tandem t ON t.id = x.tandem_id
	    WHERE x.participant_id = p_participant
		OR x.mentor_user_id = ANY (p_users)
	    UNION ALL
	    SELECT 'proposal', ch.proposal_json(p_who, x),
		'11' || ch.cursor_key(x.created_at), x.id::text
	    FROM ch.proposal x WHERE x.participant_id = p_participant
		OR x.mentor_user_id = ANY (p_users)
	    UNION ALL
	    SELECT 'registration', ch.registration_json(p_who, r),
		'12' || ch.cursor_key(r.created_at), r.id::text
	    FROM ch.event_registration r WHERE r.user_id = ANY (p_users)
	    UNION ALL
	    SELECT 'problem_report', ch.problem_report_json(x, true),
		'13' || ch.cursor_key(x.reported_at), x.id::text
	    FROM ch.problem_report x WHERE x.participant_id = p_participant
	    UNION ALL
	    SELECT 'problem_comment', ch.problem_comment_json(c),
		'14' || ch.cursor_key(c.created_at), c.id::text
	    FROM ch.problem_report_comment c
	    WHERE c.participant_id = p_participant
	    UNION ALL
	    SELECT 'erasure_request', ch.erasure_json(e),
		'15' || ch.cursor_key(e.requested_at), e.id::text
	    FROM ch.erasure_request e
	    WHERE e.participant_id = p_participant OR e.user_id = ANY (p_users)
	    UNION ALL
	    -- Who read or changed her data: each account once, with what
	    -- it did and when, first and last.
	    SELECT 'recipient', jsonb_build_object('kind', 'account',
		'account_id', a.actor,
		'role', (array_agg(a.actor_role ORDER BY a.at DESC))[1],
		'organization_id', (SELECT u.organization_id
		    FROM ch.app_user u WHERE u.id::text = a.actor),
		'actions', to_jsonb(array_agg(DISTINCT a.action
		    ORDER BY a.action)),
		'first_at', min(a.at), 'last_at', max(a.at),
		'count', count(*)),
		'16' || a.actor, coalesce(p_participant, p_users[1])::text
	    FROM ch.audit_log a
	    WHERE a.entity IN ('participant', 'app_user', 'mentor',
		'placement', 'tandem', 'proposal', 'problem_report')
		AND a.entity_id = ANY (ids) AND a.actor IS NOT NULL
		AND a.actor <> ALL (p_users::text[])
	    GROUP BY a.actor
	    UNION ALL
	    -- The organisations her placements and proposals reached.
	    SELECT 'recipient', jsonb_build_object('kind', 'organization',
		'organization_id', o.id, 'organization_name', o.name,
		'via', to_jsonb(array_agg(DISTINCT g.via ORDER BY g.via)),
		'first_at', min(g.at), 'last_at', max(g.at),
		'count', count(*)),
		'17' || o.id::text, o.id::text
	    FROM (SELECT pl.organization_id, 'placement' AS via,
		    pl.created_at AS at
		FROM ch.placement pl WHERE pl.participant_id = p_participant
		UNION ALL
		SELECT x.organization_id, 'proposal', x.reviewed_at
		FROM ch.proposal x WHERE x.participant_id = p_participant
		    AND x.organization_id IS NOT NULL
		    AND x.reviewed_at IS NOT NULL AND x.status <> 'rejected')
		AS g
	    JOIN ch.organization o ON o.id = g.organization_id
	    GROUP BY o.id, o.name
	) AS r
	WHERE p_after IS NULL OR (r.k1 COLLATE "C", r.k2) >
	    (p_after[1] COLLATE "C", p_after[2])
	ORDER BY r.k1 COLLATE "C", r.k2
	LIMIT p_limit;
END
$$;

CREATE OR REPLACE FUNCTION ch.participant_export(p_who jsonb, p_id uuid,
    p_filter jsonb, p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql AS $$
DECLARE
	p	ch.participant := ch.participant_load(p_who, p_id);
BEGIN
	PERFORM ch.audit_by(p_who, 'participant.exported', 'participant',
	    p.id, p.district_id, jsonb_build_object('page',
	    p_after IS NOT NULL));
	RETURN QUERY SELECT * FROM ch.person_export(p_who, p.id,
	    ARRAY(SELECT u.id FROM ch.app_user u WHERE u.participant_id = p.id),
	    p_after, p_limit);
END
$$;

CREATE OR REPLACE FUNCTION ch.me_export(p_who jsonb, p_filter jsonb,
    p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql AS $$
BEGIN
	PERFORM ch.enter(p_who);
	IF p_who->>'user' IS NULL THEN
		PERFORM ch.fail(404, 'This sign-in has no account here: '
		    'nothing is stored about it.');
	END IF;
	PERFORM ch.audit(p_who->>'actor', p_who->>'role', 'account.exported',
	    'app_user', p_who->>'user', p_who->>'district',
	    p_who->>'request', jsonb_build_object('page',
	    p_after IS NOT NULL));
	-- A mentor's export holds her tandems' meeting notes: a read of
	-- each mentee's free text, audited as the meeting routes do.
	PERFORM ch.meeting_notes_read(p_who, t) FROM ch.tandem t
	WHERE t.mentor_user_id::text = p_who->>'user'
	    AND EXISTS (SELECT 1 FROM ch.tandem_meeting x
		WHERE x.tandem_id = t.id AND x.notes IS NOT NULL);
	RETURN QUERY SELECT * FROM ch.person_export(p_who,
	    CASE WHEN p_who->>'role' = 'participant'
		THEN (p_who->>'participant')::uuid END,
	    ARRAY[(p_who->>'user')::uuid], p_after, p_limit);
END
$$;

-- ---------------------------------------------------------------------
-- Erasure requests

CREATE OR REPLACE FUNCTION ch.erasure_json(e ch.erasure_request) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('id', e.id, 'subject', e.subject,
	    'participant_id', e.participant_id, 'user_id', e.user_id,
	    'subject_role', e.subject_role, 'district_id', e.district_id,
	    'status', e.status, 'reason', e.reason,
	    'requested_by', e.requested_by,
	    'requested_by_role', e.requested_by_role,
	    'requested_at', e.requested_at, 'due_at', e.due_at,
	    'cancelled_at', e.cancelled_at, 'cancelled_by', e.cancelled_by,
	    'cancelled_by_role', e.cancelled_by_role, 'done_at', e.done_at,
	    'erased', e.erased, 'version', e.version,
	    'created_at', e.created_at, 'updated_at', e.updated_at);
$$;

-- Who sees a request: the state admin, the coordinators and assistants
-- of its district, and its subject. Also its read policy.
CREATE OR REPLACE FUNCTION ch.erasure_visible(e ch.erasure_request)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT coalesce(ch.setting('role') = 'state_admin'
	    OR ch.staff_of(e.district_id) OR ch.is_self(e.participant_id)
	    OR e.user_id::text = ch.setting('user'), false);
$$;

-- The time an active placement or tandem ends for an erasure: the
-- earliest pending request of either side, or none. Kept on the record so
-- that the other side sees it (and an app syncing by updated_since).
CREATE OR REPLACE FUNCTION ch.erasure_due_refresh(p_participant uuid,
    p_user uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	mentor	uuid;
BEGIN
	SELECT m.id INTO mentor FROM ch.mentor m WHERE m.user_id = p_user;
	UPDATE ch.placement pl SET erasure_due_at = d.due
	FROM (SELECT x.id, (SELECT min(e.due_at) FROM ch.erasure_request e
		WHERE e.status = 'pending'
		    AND e.participant_id = x.participant_id) AS due
	    FROM ch.placement x WHERE x.status = 'active'
		AND x.participant_id = p_participant) AS d
	WHERE pl.id = d.id AND pl.erasure_due_at IS DISTINCT FROM d.due;
	UPDATE ch.tandem t SET erasure_due_at = d.due
	FROM (SELECT x.id, (SELECT min(e.due_at) FROM ch.erasure_request e
		WHERE e.status = 'pending'
		    AND (e.participant_id = x.participant_id
			OR (e.subject = 'account'
			    AND e.user_id = x.mentor_user_id))) AS due
	    FROM ch.tandem x WHERE x.status = 'active'
		AND (x.participant_id = p_participant
		    OR x.mentor_id = mentor)) AS d
	WHERE t.id = d.id AND t.erasure_due_at IS DISTINCT FROM d.due;
END
$$;

-- Files a request after the caller's rights were checked: due after the
-- grace period; the other side of an active placement or tandem sees
-- when it will end.
CREATE OR REPLACE FUNCTION ch.erasure_file(p_who jsonb, p_key text,
    p_hash text, p_subject text, p_participant uuid, p_user uuid,
    p_role text, p_district text, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	e	ch.erasure_request;
	now_	timestamptz := ch.privacy_now();
BEGIN
	IF EXISTS (SELECT 1 FROM ch.erasure_request x WHERE x.status = 'pending'
	    AND (x.participant_id = p_participant OR (x.subject = 'account'
		AND x.user_id = p_user))) THEN
		PERFORM ch.fail(409, 'An erasure is already pending for this '
		    'person; cancel it or wait for it.');
	END IF;
	INSERT INTO ch.erasure_request (subject, participant_id, user_id,
	    subject_role, district_id, requested_by, requested_by_role,
	    reason, requested_at, due_at)
	SELECT p_subject, p_participant, p_user, p_role, p_district,
	    p_who->>'actor', p_who->>'role',
	    coalesce(p_body->>'reason', 'subject_request'), now_,
	    now_ + make_interval(days => s.erasure_grace_days)
	FROM ch.retention_schedule s
	RETURNING * INTO e;
	PERFORM ch.erasure_due_refresh(p_participant, p_user);
	PERFORM ch.audit_by(p_who, 'erasure.requested', 'erasure_request',
	    e.id, e.district_id, jsonb_build_object('subject', e.subject,
	    'due_at', e.due_at));
	r := ROW(e.version, '/v1/erasure-requests/' || e.id,
	    ch.erasure_json(e)::text, false);
	RETURN ch.idem_finish(p_who, p_key, p_hash, r);
END
$$;

-- POST /v1/participants/{id}/erasure: the person herself or a
-- coordinator of her district.
CREATE OR REPLACE FUNCTION ch.participant_erasure_create(p_who jsonb,
    p_key text, p_hash text, p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	r	ch.result;
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	RETURN ch.participant_erasure_file(p_who, p_key, p_hash, p_id, p_body);
END
$$;

CREATE OR REPLACE FUNCTION ch.participant_erasure_file(p_who jsonb,
    p_key text, p_hash text, p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	p	ch.participant := ch.participant_load(p_who, p_id, true);
BEGIN
	IF p_who->>'role' NOT IN ('coordinator', 'participant') THEN
		PERFORM ch.fail(403, 'An erasure is requested by the person '
		    'herself or a coordinator of her district.');
	END IF;
	RETURN ch.erasure_file(p_who, p_key, p_hash, 'participant', p.id,
	    (SELECT u.id FROM ch.app_user u WHERE u.participant_id = p.id
		ORDER BY u.created_at LIMIT 1),
	    'participant', p.district_id, p_body);
END
$$;

-- An account that may be erased as an account: a mentor's or an
-- organisation's user. A participant's account goes with her record;
-- staff accounts are disabled, since official acts must stay
-- attributable.
CREATE OR REPLACE FUNCTION ch.account_erasure_file(p_who jsonb, p_key text,
    p_hash text, u ch.app_user, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
BEGIN
	IF u.role = 'participant' THEN
		PERFORM ch.fail(409, 'A participant''s account is erased with '
		    'her record: POST /v1/participants/{id}/erasure.');
	END IF;
	IF u.role NOT IN ('mentor', 'organization') THEN
		PERFORM ch.fail(409, 'Staff accounts are not erased but '
		    'disabled: their official acts must stay attributable.');
	END IF;
	RETURN ch.erasure_file(p_who, p_key, p_hash, 'account', NULL, u.id,
	    u.role, u.district_id, p_body);
END
$$;

-- POST /v1/users/{id}/erasure: a coordinator for her district's
-- accounts, the state admin for all.
CREATE OR REPLACE FUNCTION ch.user_erasure_create(p_who jsonb, p_key text,
    p_hash text, p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	r	ch.result;
	u	ch.app_user;
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	SELECT * INTO u FROM ch.app_user WHERE id = p_id FOR UPDATE;
	IF NOT FOUND OR NOT ch.user_visible(p_who, u) THEN
		PERFORM ch.fail_missing('account');
	END IF;
	RETURN ch.account_erasure_file(p_who, p_key, p_hash, u, p_body);
END
$$;

-- POST /v1/me/erasure: the caller's own account, or for a participant
-- her whole record.
CREATE OR REPLACE FUNCTION ch.me_erasure_create(p_who jsonb, p_key text,
    p_hash text, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	r	ch.result;
	u	ch.app_user;
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	IF p_who->>'role' = 'participant' THEN
		RETURN ch.participant_erasure_file(p_who, p_key, p_hash,
		    (p_who->>'participant')::uuid, p_body);
	END IF;
	SELECT * INTO u FROM ch.app_user
	WHERE id = (p_who->>'user')::uuid FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM ch.fail(404, 'This sign-in has no account here: '
		    'nothing is stored about it.');
	END IF;
	RETURN ch.account_erasure_file(p_who, p_key, p_hash, u, p_body);
END
$$;

CREATE OR REPLACE FUNCTION ch.erasure_list(p_who jsonb, p_filter jsonb,
    p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql AS $$
BEGIN
	PERFORM ch.enter(p_who);
	RETURN QUERY
	SELECT ch.erasure_json(e)::text, ch.cursor_key(e.requested_at),
	    e.id::text
	FROM ch.erasure_request e
	WHERE ch.erasure_visible(e)
	    AND (p_who->>'role' = 'state_admin'
		OR e.district_id = p_who->>'district')
	    AND (p_filter->>'status' IS NULL
		OR e.status = p_filter->>'status')
	    AND (p_filter->>'district_id' IS NULL
		OR e.district_id = p_filter->>'district_id')
	    AND (p_after IS NULL OR (e.requested_at, e.id) <
		(p_after[1]::timestamptz, p_after[2]::uuid))
	ORDER BY e.requested_at DESC, e.id DESC
	LIMIT p_limit;
END
$$;

CREATE OR REPLACE FUNCTION ch.erasure_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	e	ch.erasure_request;
BEGIN
	PERFORM ch.enter(p_who);
	SELECT * INTO e FROM ch.erasure_request WHERE id = p_id;
	IF NOT FOUND OR NOT ch.erasure_visible(e) THEN
		PERFORM ch.fail_missing('erasure request');
	END IF;
	RETURN ROW(e.version, NULL::text, ch.erasure_json(e)::text, false);
END
$$;

-- POST /v1/erasure-requests/{id}/cancel: whoever may see it but an
-- assistant, while it is pending and not yet due.
CREATE OR REPLACE FUNCTION ch.erasure_cancel(p_who jsonb, p_key text,
    p_hash text, p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	r	ch.result;
	e	ch.erasure_request;
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	SELECT * INTO e FROM ch.erasure_request WHERE id = p_id FOR UPDATE;
	IF NOT FOUND OR NOT ch.erasure_visible(e) THEN
		PERFORM ch.fail_missing('erasure request');
	END IF;
	IF p_who->>'role' = 'assistant' THEN
		PERFORM ch.fail(403, 'An erasure is cancelled by its subject, '
		    'a coordinator or the state admin.');
	END IF;
	IF e.status <> 'pending' THEN
		PERFORM ch.fail(409, format('The erasure request is %s; only a '
		    'pending one can be cancelled.', e.status));
	END IF;
	IF e.due_at <= ch.privacy_now() THEN
		PERFORM ch.fail(409, 'The grace period is over: the erasure is '
		    'being carried out and cannot be cancelled.');
	END IF;
	UPDATE ch.erasure_request SET status = 'cancelled',
	    cancelled_at = ch.privacy_now(), cancelled_by = p_who->>'actor',
	    cancelled_by_role = p_who->>'role'
	WHERE id = e.id RETURNING * INTO e;
	PERFORM ch.erasure_due_refresh(e.participant_id, e.user_id);
	PERFORM ch.audit_by(p_who, 'erasure.cancelled', 'erasure_request',
	    e.id, e.district_id);
	r := ROW(e.version, NULL::text, ch.erasure_json(e)::text, false);
	RETURN ch.idem_finish(p_who, p_key, p_hash, r);
END
$$;

-- ---------------------------------------------------------------------
-- Carrying out an erasure (the worker pool, through ch.privacy_run)

-- Adds one kind of anonymous count.
CREATE OR REPLACE FUNCTION ch.erased_count_add(p_rows jsonb) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO ch.erased_count AS c (kind, district_id, year, category,
	    status, outcome, statistics, n)
	SELECT x.kind, x.district_id, x.year, x.category, x.status,
	    x.outcome, x.statistics, x.n
	FROM jsonb_to_recordset(p_rows) AS x (kind text, district_id text,
	    year integer, category text, status text, outcome text,
	    statistics boolean, n integer)
	ON CONFLICT (kind, district_id, year, category, status, outcome,
	    statistics) DO UPDATE SET n = c.n + EXCLUDED.n;
$$;

-- The anonymous counts of erased people who had consented to
-- statistics, for the reports: of a kind in a district, optionally of a
-- status or an outcome.
CREATE OR REPLACE FUNCTION ch.erased_total(p_kind text, p_district text,
    p_status text, p_outcome text) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT coalesce(sum(c.n), 0) FROM ch.erased_count c
	WHERE c.kind = p_kind AND c.district_id = p_district AND c.statistics
	    AND (p_status IS NULL OR c.status = p_status)
	    AND (p_outcome IS NULL OR c.outcome = p_outcome);
$$;

-- Ends what is active, keeps the counts of the placements, tandems and
-- meetings in ch.erased_count, then deletes them (and the proposals
-- about the same pairs). p_tandems and p_placements are the records to
-- go; returns their ids, for the audit.
CREATE OR REPLACE FUNCTION ch.erase_history(p_placements uuid[],
    p_tandems uuid[]) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
	ids	text[];
BEGIN
	UPDATE ch.placement SET status = 'ended',
	    ended_on = greatest(current_date, started_on),
	    end_reason = 'erasure'
	WHERE id = ANY (p_placements) AND status = 'active';
	UPDATE ch.tandem SET status = 'ended_early',
	    ended_on = greatest(current_date, started_on),
	    end_reason = 'erasure', outcome = 'none', contract_type = NULL
	WHERE id = ANY (p_tandems) AND status = 'active';
	PERFORM ch.erased_count_add(coalesce((SELECT jsonb_agg(x) FROM (
	    SELECT 'placement' AS kind, pl.district_id,
		extract(year FROM pl.started_on)::integer AS year,
		f.category, pl.status, coalesce(pl.end_reason, '') AS outcome,
		ch.has_consent(pl.participant_id, 'statistics')
		    AS statistics, count(*) AS n
	    FROM ch.placement pl JOIN ch.offer f ON f.id = pl.offer_id
	    WHERE pl.id = ANY (p_placements)
	    GROUP BY 1, 2, 3, 4, 5, 6, 7
	    UNION ALL
	    SELECT 'tandem', t.district_id,
		extract(year FROM t.started_on)::integer,
		left(m.occupational_field, 1), t.status,
		coalesce(t.outcome, ''),
		ch.has_consent(t.participant_id, 'statistics'), count(*)
	    FROM ch.tandem t JOIN ch.mentor m ON m.id = t.mentor_id
	    WHERE t.id = ANY (p_tandems)
	    GROUP BY 1, 2, 3, 4, 5, 6, 7
	    UNION ALL
	    SELECT 'meeting', x.district_id,
		extract(year FROM x.held_on)::integer, '', '', '',
		ch.has_consent(x.participant_id, 'statistics'), count(*)
	    FROM ch.tandem_meeting x WHERE x.tandem_id = ANY (p_tandems)
	    GROUP BY 1, 2, 3, 4, 5, 6, 7) AS x), '[]'));
	-- Open proposals stop holding places first (the candidate cache
	-- follows), then every proposal that led to these records goes.
	UPDATE ch.proposal SET status = 'invalidated',
	    invalidated_reason = 'participant_inactive'
	WHERE status IN ('pending', 'approved')
	    AND (placement_id = ANY (p_placements)
		OR tandem_id = ANY (p_tandems));
	WITH gone AS (DELETE FROM ch.proposal
	    WHERE placement_id = ANY (p_placements)
		OR tandem_id = ANY (p_tandems) RETURNING id)
	SELECT array_agg(id::text) INTO ids FROM gone;
	DELETE FROM ch.tandem_meeting WHERE tandem_id = ANY (p_tandems);
	DELETE FROM ch.tandem WHERE id = ANY (p_tandems);
	DELETE FROM ch.placement WHERE id = ANY (p_placements);
	RETURN coalesce(ids, '{}') || p_placements::text[]
	    || p_tandems::text[];
END
$$;

-- What an account leaves besides its record: sessions, event
-- registrations (a held place moves on to the waiting list), replays,
-- throttle rows. Returns the number of rows deleted.
CREATE OR REPLACE FUNCTION ch.erase_account_traces(u ch.app_user)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	reg	ch.event_registration;
	n	integer := 0;
	k	integer;
BEGIN
	FOR reg IN SELECT * FROM ch.event_registration
	    WHERE user_id = u.id ORDER BY id FOR UPDATE LOOP
		IF reg.status = 'registered' THEN
			UPDATE ch.event SET registered = registered - 1
			WHERE id = reg.event_id;
		END IF;
		DELETE FROM ch.event_registration WHERE id = reg.id;
		IF reg.status = 'registered' THEN
			PERFORM ch.event_promote(reg.event_id);
		END IF;
		n := n + 1;
	END LOOP;
	DELETE FROM ch.refresh_token WHERE family_id IN
	    (SELECT id FROM ch.token_family WHERE user_id = u.id);
	DELETE FROM ch.token_family WHERE user_id = u.id;
	GET DIAGNOSTICS k = ROW_COUNT;
	n := n + k;
	-- Replies it was given, and replies that name it (an erasure or
	-- account change filed by staff).
	DELETE FROM ch.idempotency WHERE actor = u.id::text
	    OR strpos(body, u.id::text) > 0;
	GET DIAGNOSTICS k = ROW_COUNT;
	n := n + k;
	-- What it did to records that stay (an organisation's answer to a
	-- proposal, a placement its acceptance made) names nobody now.
	UPDATE ch.proposal SET candidate_answered_by = 'erased'
	WHERE candidate_answered_by = u.id::text;
	UPDATE ch.proposal SET subject_answered_by = 'erased'
	WHERE subject_answered_by = u.id::text;
	UPDATE ch.proposal SET reviewed_by = 'erased'
	WHERE reviewed_by = u.id::text;
	UPDATE ch.placement SET created_by = 'erased'
	WHERE created_by = u.id::text;
	UPDATE ch.tandem SET created_by = 'erased'
	WHERE created_by = u.id::text;
	UPDATE ch.tandem_meeting SET created_by = 'erased'
	WHERE created_by = u.id::text;
	UPDATE ch.problem_report SET reported_by = 'erased'
	WHERE reported_by = u.id::text;
	UPDATE ch.problem_report SET referred_by = 'erased'
	WHERE referred_by = u.id::text;
	UPDATE ch.problem_report_comment SET author = 'erased'
	WHERE author = u.id::text;
	UPDATE ch.erasure_request SET requested_by = 'subject'
	WHERE requested_by = u.id::text;
	UPDATE ch.erasure_request SET cancelled_by = 'subject'
	WHERE cancelled_by = u.id::text;
	DELETE FROM ch.login_throttle WHERE email_key = lower(u.email);
	UPDATE ch.participant SET assistant_id = NULL WHERE assistant_id = u.id;
	UPDATE ch.matching_job SET created_by_user = NULL
	WHERE created_by_user = u.id;
	DELETE FROM ch.app_user WHERE id = u.id;
	RETURN n;
END
$$;

-- Everything about one participant, and her account if she has one.
CREATE OR REPLACE FUNCTION ch.erase_participant(p_id uuid) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	p	ch.participant;
	u	ch.app_user;
	pls	uuid[];
	tds	uuid[];
	ids	text[];
	jobs	text[];
	props	text[];
	out	jsonb;
	n	integer;
	audited	integer;
	reports	text[];
BEGIN
	SELECT * INTO p FROM ch.participant WHERE id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		RETURN '{}';
	END IF;
	SELECT coalesce(array_agg(id), '{}') INTO pls FROM ch.placement
	WHERE participant_id = p.id;
	SELECT coalesce(array_agg(id), '{}') INTO tds FROM ch.tandem
	WHERE participant_id = p.id;
	out := jsonb_build_object('placements', cardinality(pls),
	    'proposals', (SELECT count(*) FROM ch.proposal
		WHERE participant_id = p.id),
	    'tandems', cardinality(tds),
	    'meetings', (SELECT count(*) FROM ch.tandem_meeting
		WHERE tandem_id = ANY (tds)),
	    'consents', (SELECT count(*) FROM ch.consent
		WHERE participant_id = p.id));
	ids := ch.erase_history(pls, tds);
	UPDATE ch.proposal SET status = 'invalidated',
	    invalidated_reason = 'participant_inactive'
	WHERE participant_id = p.id AND status IN ('pending', 'approved');
	WITH gone AS (DELETE FROM ch.proposal WHERE participant_id = p.id
	    RETURNING id)
	SELECT coalesce(array_agg(id::text), '{}') INTO props FROM gone;
	WITH gone AS (DELETE FROM ch.matching_job WHERE participant_id = p.id
	    RETURNING id)
	SELECT coalesce(array_agg(id::text), '{}') INTO jobs FROM gone;
	-- Her problem reports stay for the figures, without their text, their
	-- comments or the link to her (SET NULL when she goes).
	WITH kept AS (UPDATE ch.problem_report SET description = NULL,
	    resolution_note = NULL
	    WHERE participant_id = p.id RETURNING id)
	SELECT coalesce(array_agg(id::text), '{}') INTO reports FROM kept;
	DELETE FROM ch.problem_report_comment WHERE report_id::text = ANY (reports);
	out := out || jsonb_build_object('problem_reports_anonymised',
	    cardinality(reports));
	out := out || jsonb_build_object('matching_jobs', cardinality(jobs));
	DELETE FROM ch.idempotency WHERE strpos(body, p.id::text) > 0;
	-- Her accounts (the state admin may have made more than one).
	audited := 0;
	FOR u IN SELECT * FROM ch.app_user WHERE participant_id = p.id
	    ORDER BY id FOR UPDATE LOOP
		n := ch.erase_account_traces(u);
		out := out || jsonb_build_object('account',
		    coalesce((out->>'account')::integer, 0) + 1,
		    'account_records', coalesce((out->>'account_records')
			::integer, 0) + n);
		audited := audited + ch.audit_forget(ARRAY[u.id::text],
		    u.id::text);
	END LOOP;
	-- Contact details, consents and the mentee profile go with her
	-- (ON DELETE CASCADE); the request keeps no id (SET NULL). Deferred
	-- keys are checked here, where an error stays this erasure's.
	DELETE FROM ch.participant WHERE id = p.id;
	SET CONSTRAINTS ALL IMMEDIATE;
	n := ch.audit_forget(ids || props || jobs || reports
	    || ARRAY[p.id::text], NULL);
	RETURN out || jsonb_build_object('audit_entries', n + audited);
END
$$;

-- An account: a mentor's profile with her tandems (counted, then
-- deleted) and proposals, or an organisation user's account.
CREATE OR REPLACE FUNCTION ch.erase_account(p_user uuid) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	u	ch.app_user;
	m	ch.mentor;
	tds	uuid[] := '{}';
	ids	text[] := '{}';
	props	text[] := '{}';
	out	jsonb := '{}';
	n	integer;
BEGIN
	SELECT * INTO u FROM ch.app_user WHERE id = p_user FOR UPDATE;
	IF NOT FOUND THEN
		RETURN out;
	END IF;
	IF u.role NOT IN ('mentor', 'organization') THEN
		RAISE EXCEPTION 'only a mentor''s or an organisation user''s '
		    'account is erased as an account';
	END IF;
	SELECT * INTO m FROM ch.mentor WHERE user_id = u.id FOR UPDATE;
	IF FOUND THEN
		SELECT coalesce(array_agg(id), '{}') INTO tds FROM ch.tandem
		WHERE mentor_id = m.id;
		out := jsonb_build_object('mentor', 1,
		    'tandems', cardinality(tds));
		ids := ch.erase_history('{}', tds);
		UPDATE ch.proposal SET status = 'invalidated',
		    invalidated_reason = 'mentor_not_active'
		WHERE mentor_id = m.id AND status IN ('pending', 'approved');
		WITH gone AS (DELETE FROM ch.proposal WHERE mentor_id = m.id
		    RETURNING id)
		SELECT coalesce(array_agg(id::text), '{}') INTO props FROM gone;
		DELETE FROM ch.mentor WHERE id = m.id;
		-- The candidate cache held her profile.
		DELETE FROM ch.matching_candidates WHERE programme = 'women';
		DELETE FROM ch.idempotency WHERE strpos(body, m.id::text) > 0;
		ids := ids || props || ARRAY[m.id::text];
	END IF;
	n := ch.erase_account_traces(u);
	out := out || jsonb_build_object('account', 1, 'account_records', n);
	n := ch.audit_forget(ids || ARRAY[u.id::text], u.id::text);
	RETURN out || jsonb_build_object('audit_entries', n);
END
$$;

-- Carries out one due request. Who asked stays, unless it was the
-- subject herself: then "subject".
CREATE OR REPLACE FUNCTION ch.erasure_execute(e ch.erasure_request)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	self	text[];
	out	jsonb;
BEGIN
	self := array_remove(e.user_id::text || ARRAY(SELECT u.id::text
	    FROM ch.app_user u WHERE u.participant_id = e.participant_id),
	    NULL);
	IF e.subject = 'account' AND NOT EXISTS (SELECT 1 FROM ch.app_user u
	    WHERE u.id = e.user_id AND u.role IN ('mentor', 'organization'))
	    AND EXISTS (SELECT 1 FROM ch.app_user u WHERE u.id = e.user_id) THEN
		-- Its role changed since it was filed: not erased, and said so.
		UPDATE ch.erasure_request SET status = 'cancelled',
		    cancelled_at = ch.privacy_now(), cancelled_by = 'system'
		WHERE id = e.id;
		PERFORM ch.erasure_due_refresh(NULL, e.user_id);
		PERFORM ch.audit('ch-matcher', 'system', 'erasure.refused',
		    'erasure_request', e.id::text, e.district_id, NULL,
		    jsonb_build_object('reason', 'role_changed'));
		RETURN;
	END IF;
	UPDATE ch.erasure_request SET status = 'done',
	    done_at = ch.privacy_now(),
	    requested_by = CASE WHEN requested_by = ANY (self)
		THEN 'subject' ELSE requested_by END
	WHERE id = e.id;
	IF e.subject = 'participant' THEN
		out := ch.erase_participant(e.participant_id);
	ELSE
		out := ch.erase_account(e.user_id);
	END IF;
	UPDATE ch.erasure_request SET erased = out, user_id = NULL,
	    participant_id = NULL
	WHERE id = e.id;
	PERFORM ch.audit('ch-matcher', 'system', 'erasure.done',
	    'erasure_request', e.id::text, e.district_id, NULL, out);
END
$$;

-- ---------------------------------------------------------------------
-- Retention

-- The rules, in the order a run applies them, with what each removes.
CREATE OR REPLACE FUNCTION ch.retention_rules() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT ARRAY['closed_participants', 'meeting_notes',
	    'unanswered_proposals', 'matching_jobs', 'sessions',
	    'signin_throttles', 'idempotency_replays', 'erasure_requests',
	    'audit_entries'];
$$;

-- Every record a rule would remove at p_now: one row each, with its
-- district (NULL where a record has none) and a key to remove it by.
-- The dry run counts these rows; a run removes them, rule by rule.
CREATE OR REPLACE FUNCTION ch.retention_due(p_rules jsonb, p_now timestamptz)
RETURNS TABLE (rule text, district_id text, key text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	cut	jsonb := '{}';
	r	text;
BEGIN
	FOREACH r IN ARRAY ch.retention_rules() LOOP
		IF jsonb_typeof(p_rules->r) = 'number' THEN
			cut := cut || jsonb_build_object(r, p_now
			    - make_interval(days => (p_rules->>r)::integer));
		END IF;
	END LOOP;
	RETURN QUERY
	-- Closed participants whose last activity is older than the rule.
	SELECT 'closed_participants', p.district_id, p.id::text
	FROM ch.participant p
	WHERE cut ? 'closed_participants' AND p.status = 'closed'
	    AND greatest(p.updated_at,
		(SELECT max(pl.updated_at) FROM ch.placement pl
		    WHERE pl.participant_id = p.id),
		(SELECT max(t.updated_at) FROM ch.tandem t
		    WHERE t.participant_id = p.id))
		< (cut->>'closed_participants')::timestamptz
	    AND NOT EXISTS (SELECT 1 FROM ch.erasure_request e
		WHERE e.participant_id = p.id AND e.status = 'pending')
	UNION ALL
	-- Meeting notes of tandems that ended before the rule's time.
	SELECT 'meeting_notes', x.district_id, x.id::text
	FROM ch.tandem_meeting x JOIN ch.tandem t ON t.id = x.tandem_id
	WHERE cut ? 'meeting_notes' AND t.status <> 'active'
	    AND x.notes IS NOT NULL
	    AND t.ended_on < ((cut->>'meeting_notes')::timestamptz)::date
	UNION ALL
	-- Proposals nobody answered: expired or invalidated.
	SELECT 'unanswered_proposals', x.district_id, x.id::text
	FROM ch.proposal x
	WHERE cut ? 'unanswered_proposals'
	    AND x.status IN ('expired', 'invalidated')
	    AND x.updated_at < (cut->>'unanswered_proposals')::timestamptz
	UNION ALL
	-- Finished jobs, with their inputs (the person of a suggest job),
	-- once no proposal points at them (a job whose proposals this run
	-- removes goes in the next run).
	SELECT 'matching_jobs', j.district_ids[1], j.id::text
	FROM ch.matching_job j
	WHERE cut ? 'matching_jobs'
	    AND j.finished_at < (cut->>'matching_jobs')::timestamptz
	    AND NOT EXISTS (SELECT 1 FROM ch.proposal x WHERE x.job_id = j.id)
	UNION ALL
	-- Sessions revoked, or whose last refresh token expired, before
	-- the rule's time.
	SELECT 'sessions', u.district_id, f.id::text
	FROM ch.token_family f JOIN ch.app_user u ON u.id = f.user_id
	WHERE cut ? 'sessions'
	    AND coalesce(f.revoked_at, (SELECT max(t.expires_at)
		FROM ch.refresh_token t WHERE t.family_id = f.id),
		f.created_at) < (cut->>'sessions')::timestamptz
	UNION ALL
	SELECT 'signin_throttles', NULL, 'email:' || t.email_key
	FROM ch.login_throttle t
	WHERE cut ? 'signin_throttles'
	    AND greatest(t.last_failure, t.locked_until)
		< (cut->>'signin_throttles')::timestamptz
	UNION ALL
	SELECT 'signin_throttles', NULL, 'client:' || t.client::text
	FROM ch.login_client_throttle t
	WHERE cut ? 'signin_throttles'
	    AND t.window_start < (cut->>'signin_throttles')::timestamptz
	UNION ALL
	SELECT 'idempotency_replays', NULL, t.actor || ' ' || t.key
	FROM ch.idempotency t
	WHERE cut ? 'idempotency_replays'
	    AND t.created_at < (cut->>'idempotency_replays')::timestamptz
	UNION ALL
	SELECT 'erasure_requests', e.district_id, e.id::text
	FROM ch.erasure_request e
	WHERE cut ? 'erasure_requests' AND e.status <> 'pending'
	    AND coalesce(e.done_at, e.cancelled_at)
		< (cut->>'erasure_requests')::timestamptz
	UNION ALL
	SELECT 'audit_entries', a.district_id, a.id::text
	FROM ch.audit_log a
	WHERE cut ? 'audit_entries'
	    AND a.at < (cut->>'audit_entries')::timestamptz;
END
$$;

-- Counts per rule and district of records ([{"rule", "district_id"}]),
-- as the API shows a dry run and what a run removed.
CREATE OR REPLACE FUNCTION ch.retention_tally(p_records jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('rule', d.rule,
	    'district_id', d.district_id, 'count', d.n)
	    ORDER BY array_position(ch.retention_rules(), d.rule),
		d.district_id NULLS FIRST), '[]')
	FROM (SELECT x.rule, x.district_id, count(*) AS n
	    FROM jsonb_to_recordset(p_records) AS x (rule text,
		district_id text)
	    GROUP BY x.rule, x.district_id) AS d;
$$;

CREATE OR REPLACE FUNCTION ch.retention_counts(p_rules jsonb, p_now timestamptz)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT ch.retention_tally(coalesce(jsonb_agg(jsonb_build_object(
	    'rule', x.rule, 'district_id', x.district_id)), '[]'))
	FROM ch.retention_due(p_rules, p_now) AS x;
$$;

-- Removes one record of a rule.
CREATE OR REPLACE FUNCTION ch.retention_remove(p_rule text, p_key text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	CASE p_rule
	WHEN 'closed_participants' THEN
		PERFORM ch.erase_participant(p_key::uuid);
	WHEN 'meeting_notes' THEN
		UPDATE ch.tandem_meeting SET notes = NULL
		WHERE id = p_key::uuid;
	WHEN 'unanswered_proposals' THEN
		DELETE FROM ch.proposal WHERE id = p_key::uuid
		    AND status IN ('expired', 'invalidated');
	WHEN 'matching_jobs' THEN
		DELETE FROM ch.matching_job WHERE id = p_key::uuid;
	WHEN 'sessions' THEN
		DELETE FROM ch.refresh_token WHERE family_id = p_key::uuid;
		DELETE FROM ch.token_family WHERE id = p_key::uuid;
	WHEN 'signin_throttles' THEN
		IF p_key LIKE 'email:%' THEN
			DELETE FROM ch.login_throttle
			WHERE email_key = substr(p_key, 7);
		ELSE
			DELETE FROM ch.login_client_throttle
			WHERE client = substr(p_key, 8)::cidr;
		END IF;
	WHEN 'idempotency_replays' THEN
		DELETE FROM ch.idempotency
		WHERE actor || ' ' || key = p_key;
	WHEN 'erasure_requests' THEN
		DELETE FROM ch.erasure_request WHERE id = p_key::uuid;
	WHEN 'audit_entries' THEN
		PERFORM set_config('ch.audit_maintenance', 'on', true);
		DELETE FROM ch.audit_log WHERE id = p_key::bigint;
		PERFORM set_config('ch.audit_maintenance', 'off', true);
	END CASE;
END
$$;

-- One run: the dry run is recorded; unless the state admin confirmed
-- this version of the schedule, the run stops there. Otherwise it
-- removes up to batch_limit records per rule, in the rules' order, and
-- records what it removed: every due record this run made go, under its
-- rule, also when an earlier rule took it along (a closed person's
-- meeting notes go with her).
CREATE OR REPLACE FUNCTION ch.retention_run_now(p_trigger text)
RETURNS ch.retention_run LANGUAGE plpgsql AS $$
DECLARE
	s	ch.retention_schedule;
	run	ch.retention_run;
	now_	timestamptz := ch.privacy_now();
	batch	jsonb;
	d	record;
	gone	jsonb := '[]';
BEGIN
	SELECT * INTO s FROM ch.retention_schedule FOR UPDATE;
	-- What is due, read once: the dry run counts exactly these records
	-- and an executed run removes them.
	SELECT coalesce(jsonb_agg(jsonb_build_object('rule', x.rule,
	    'district_id', x.district_id, 'key', x.key)), '[]')
	INTO batch FROM ch.retention_due(s.rules, now_) AS x;
	INSERT INTO ch.retention_run (privacy_time, schedule_version, outcome,
	    batch_limit, due, triggered_by)
	VALUES (now_, s.schedule_version,
	    CASE WHEN s.confirmed_version IS NOT DISTINCT FROM s.schedule_version
		THEN 'executed' ELSE 'awaiting_confirmation' END,
	    s.batch_limit, ch.retention_tally(batch), p_trigger)
	RETURNING * INTO run;
	IF run.outcome = 'executed' THEN
		FOR d IN SELECT b.rule, b.district_id, b.key FROM (
		    SELECT b.*, row_number() OVER (PARTITION BY b.rule
			ORDER BY b.key) AS n
		    FROM jsonb_to_recordset(batch) AS b (rule text,
			district_id text, key text)) AS b
		    WHERE b.n <= s.batch_limit
		    ORDER BY array_position(ch.retention_rules(), b.rule),
			b.key LOOP
			-- Each record on its own: one that fails (logged)
			-- is not counted and is due again next run.
			BEGIN
				PERFORM ch.retention_remove(d.rule, d.key);
				gone := gone || jsonb_build_array(
				    jsonb_build_object('rule', d.rule,
				    'district_id', d.district_id));
			EXCEPTION WHEN OTHERS THEN
				RAISE WARNING 'retention % failed: %', d.rule,
				    SQLERRM;
			END;
		END LOOP;
		UPDATE ch.retention_run SET deleted = ch.retention_tally(
		    gone)
		WHERE id = run.id RETURNING * INTO run;
	END IF;
	UPDATE ch.retention_run SET finished_at = clock_timestamp()
	WHERE id = run.id RETURNING * INTO run;
	-- Only when a run was asked for: a sweep must not move the
	-- schedule's ETag under the state admin.
	UPDATE ch.retention_schedule SET run_requested_at = NULL
	WHERE run_requested_at IS NOT NULL;
	PERFORM ch.audit('ch-matcher', 'system', 'retention.' || run.outcome,
	    'retention_run', run.id::text, NULL, NULL,
	    jsonb_build_object('schedule_version', run.schedule_version,
	    'due', run.due, 'deleted', run.deleted));
	RETURN run;
END
$$;

-- The worker pool's privacy sweep (ch-matcher, every sweep): carries
-- out the erasures that are due, each on its own (one that fails is
-- logged and tried again next time), and runs retention when it was
-- asked for or the last run is older than run_every_hours.
CREATE OR REPLACE FUNCTION ch.privacy_run() RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	e	ch.erasure_request;
	s	ch.retention_schedule;
	run	ch.retention_run;
	done	integer := 0;
	failed	integer := 0;
BEGIN
	FOR e IN SELECT * FROM ch.erasure_request
	    WHERE status = 'pending' AND due_at <= ch.privacy_now()
	    ORDER BY due_at, id LIMIT 100 FOR UPDATE SKIP LOCKED LOOP
		BEGIN
			PERFORM ch.erasure_execute(e);
			done := done + 1;
		EXCEPTION WHEN OTHERS THEN
			failed := failed + 1;
			RAISE WARNING 'erasure % failed: %', e.id, SQLERRM;
		END;
	END LOOP;
	SELECT * INTO s FROM ch.retention_schedule FOR UPDATE SKIP LOCKED;
	IF FOUND AND (s.run_requested_at IS NOT NULL OR NOT EXISTS (
	    SELECT 1 FROM ch.retention_run r WHERE r.started_at
		> now() - make_interval(hours => s.run_every_hours))) THEN
		run := ch.retention_run_now(CASE WHEN s.run_requested_at
		    IS NOT NULL THEN 'request' ELSE 'schedule' END);
	END IF;
	RETURN jsonb_build_object('erased', done, 'erasures_failed', failed,
	    'retention', run.outcome);
END
$$;

-- ---------------------------------------------------------------------
-- The schedule through the API (the state admin)

CREATE OR REPLACE FUNCTION ch.retention_json(s ch.retention_schedule)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('rules', s.rules,
	    'batch_limit', s.batch_limit,
	    'run_every_hours', s.run_every_hours,
	    'erasure_grace_days', s.erasure_grace_days,
	    'schedule_version', s.schedule_version,
	    'confirmed_version', s.confirmed_version,
	    'confirmed', s.confirmed_version IS NOT DISTINCT FROM
		s.schedule_version,
	    'confirmed_at', s.confirmed_at,
	    'run_requested_at', s.run_requested_at,
	    'privacy_time', ch.privacy_now(),
	    'dry_run', ch.retention_counts(s.rules, ch.privacy_now()),
	    'runs', coalesce((SELECT jsonb_agg(jsonb_build_object('id', r.id,
		'started_at', r.started_at, 'finished_at', r.finished_at,
		'privacy_time', r.privacy_time,
		'schedule_version', r.schedule_version,
		'outcome', r.outcome, 'batch_limit', r.batch_limit,
		'triggered_by', r.triggered_by, 'due', r.due,
		'deleted', r.deleted) ORDER BY r.started_at DESC, r.id)
		FROM (SELECT * FROM ch.retention_run
		    ORDER BY started_at DESC, id LIMIT 10) AS r), '[]'),
	    'version', s.version, 'updated_at', s.updated_at);
$$;

CREATE OR REPLACE FUNCTION ch.retention_admin(p_who jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF p_who->>'role' IS DISTINCT FROM 'state_admin' THEN
		PERFORM ch.fail(403, 'Retention is the state admin''s.');
	END IF;
END
$$;

-- GET /v1/admin/retention: the schedule, what a run would remove now
-- (counts per rule and district, never a name), the last runs.
CREATE OR REPLACE FUNCTION ch.retention_get(p_who jsonb, p_unused uuid)
RETURNS ch.result LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	s	ch.retention_schedule;
BEGIN
	PERFORM ch.retention_admin(p_who);
	SELECT * INTO s FROM ch.retention_schedule;
	RETURN ROW(s.version, NULL::text, ch.retention_json(s)::text, false);
END
$$;

-- PUT /v1/admin/retention: a changed rule or batch limit is a new
-- version of the schedule, which runs only as a dry run until confirmed.
CREATE OR REPLACE FUNCTION ch.retention_put(p_who jsonb, p_unused uuid,
    p_if_match integer[], p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	s	ch.retention_schedule;
	new_rules	jsonb := '{}';
	r	text;
BEGIN
	PERFORM ch.enter(p_who);
	PERFORM ch.retention_admin(p_who);
	SELECT * INTO s FROM ch.retention_schedule FOR UPDATE;
	PERFORM ch.require_version(s.version, p_if_match,
	    'retention schedule');
	FOREACH r IN ARRAY ch.retention_rules() LOOP
		new_rules := new_rules || jsonb_build_object(r, p_body->'rules'->r);
	END LOOP;
	UPDATE ch.retention_schedule SET rules = new_rules,
	    batch_limit = (p_body->>'batch_limit')::integer,
	    run_every_hours = (p_body->>'run_every_hours')::integer,
	    erasure_grace_days = (p_body->>'erasure_grace_days')::integer,
	    schedule_version = schedule_version + CASE WHEN (s.rules,
		s.batch_limit) IS DISTINCT FROM (new_rules,
		(p_body->>'batch_limit')::integer) THEN 1 ELSE 0 END,
	    updated_by = p_who->>'actor'
	RETURNING * INTO s;
	PERFORM ch.audit_by(p_who, 'retention.schedule_changed',
	    'retention_schedule', NULL, NULL, jsonb_build_object('rules',
	    s.rules, 'batch_limit', s.batch_limit,
	    'run_every_hours', s.run_every_hours,
	    'erasure_grace_days', s.erasure_grace_days,
	    'schedule_version', s.schedule_version));
	RETURN ROW(s.version, NULL::text, ch.retention_json(s)::text, false);
END
$$;

-- POST /v1/admin/retention/confirm: the state admin saw the dry run of
-- this version (a run recorded it) and lets runs execute it.
CREATE OR REPLACE FUNCTION ch.retention_confirm(p_who jsonb, p_key text,
    p_hash text, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	r	ch.result;
	s	ch.retention_schedule;
	v	integer := (p_body->>'schedule_version')::integer;
BEGIN
	PERFORM ch.enter(p_who);
	PERFORM ch.retention_admin(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	SELECT * INTO s FROM ch.retention_schedule FOR UPDATE;
	IF v <> s.schedule_version THEN
		PERFORM ch.fail(409, format('The schedule is at version %s now; '
		    'read its dry run again.', s.schedule_version));
	END IF;
	IF NOT EXISTS (SELECT 1 FROM ch.retention_run x
	    WHERE x.schedule_version = v
		AND x.outcome = 'awaiting_confirmation') THEN
		PERFORM ch.fail(409, 'No run has recorded a dry run of this '
		    'version yet: request a run and read its counts first.');
	END IF;
	UPDATE ch.retention_schedule SET confirmed_version = v,
	    confirmed_by = p_who->>'actor', confirmed_at = now()
	RETURNING * INTO s;
	PERFORM ch.audit_by(p_who, 'retention.confirmed',
	    'retention_schedule', NULL, NULL,
	    jsonb_build_object('schedule_version', v));
	r := ROW(s.version, NULL::text, ch.retention_json(s)::text, false);
	RETURN ch.idem_finish(p_who, p_key, p_hash, r);
END
$$;

-- POST /v1/admin/retention/runs: the next sweep of the worker pool runs
-- retention (a dry run only, unless this version is confirmed).
CREATE OR REPLACE FUNCTION ch.retention_request(p_who jsonb, p_key text,
    p_hash text, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	r	ch.result;
	s	ch.retention_schedule;
BEGIN
	PERFORM ch.enter(p_who);
	PERFORM ch.retention_admin(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	UPDATE ch.retention_schedule
	SET run_requested_at = coalesce(run_requested_at, now())
	RETURNING * INTO s;
	PERFORM ch.audit_by(p_who, 'retention.run_requested',
	    'retention_schedule', NULL, NULL);
	r := ROW(s.version, '/v1/admin/retention',
	    ch.retention_json(s)::text, false);
	RETURN ch.idem_finish(p_who, p_key, p_hash, r);
END
$$;
