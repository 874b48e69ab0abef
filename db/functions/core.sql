-- The framework of every function file: who calls (ch.enter puts the
-- caller into transaction-local settings, ch.setting and ch.is_staff read
-- them), how a request is refused (ch.fail, ch.err, ch.fail_invalid:
-- SQLSTATE CHnnn with nnn the HTTP status, field errors as JSON in
-- DETAIL; the raise rolls everything back), If-Match, JSON Merge Patch,
-- Idempotency-Key, the audit log, the field helpers the resources share,
-- and the trigger that versions every mutable row.
--
-- Each function here is its one current source: edit it in place, and
-- scripts/migrate.sh applies the file again (CREATE OR REPLACE). A
-- function whose arguments or result type change, or that goes away, is
-- dropped by a new migration in db/migrations/.

CREATE OR REPLACE FUNCTION ch.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := now();
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;

-- Every mutable table (one with version and updated_at) is versioned by
-- ch.touch on each update: a table a migration adds gets the trigger when
-- this file is applied after it.
DO $$
DECLARE
	t	name;
BEGIN
	FOR t IN SELECT c.relname FROM pg_class c
	    WHERE c.relnamespace = 'ch'::regnamespace AND c.relkind = 'r'
	    AND (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid
		AND a.attname IN ('version', 'updated_at')
		AND NOT a.attisdropped) = 2 LOOP
		EXECUTE format('CREATE OR REPLACE TRIGGER %I BEFORE UPDATE '
		    'ON ch.%I FOR EACH ROW EXECUTE FUNCTION ch.touch()',
		    t || '_touch', t);
	END LOOP;
END
$$;

-- The audit log is append-only: its trigger lives with the two changes
-- it permits, in privacy.sql (ch.audit_log_immutable).

CREATE OR REPLACE FUNCTION ch.audit(p_actor text, p_actor_role text, p_action text,
    p_entity text, p_entity_id text, p_district text, p_request_id text,
    p_detail jsonb DEFAULT '{}')
RETURNS void LANGUAGE sql AS $$
	INSERT INTO ch.audit_log (actor, actor_role, action, entity, entity_id,
	    district_id, request_id, detail)
	VALUES (p_actor, p_actor_role, p_action, p_entity, p_entity_id,
	    p_district, p_request_id, coalesce(p_detail, '{}'));
$$;

CREATE OR REPLACE FUNCTION ch.fail(p_status integer, p_message text,
    p_errors jsonb DEFAULT NULL, p_type text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION USING ERRCODE = 'CH' || p_status::text,
	    MESSAGE = p_message, DETAIL = coalesce(p_errors::text, ''),
	    HINT = coalesce(p_type, '');
END
$$;

CREATE OR REPLACE FUNCTION ch.err(p_field text, p_code text, p_message text)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_array(jsonb_build_object('field', p_field,
	    'code', p_code, 'message', p_message));
$$;

CREATE OR REPLACE FUNCTION ch.fail_invalid(p_errors jsonb, p_message text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF jsonb_array_length(p_errors) > 0 THEN
		PERFORM ch.fail(422, p_message, p_errors);
	END IF;
END
$$;

-- If-Match as the API passes it: NULL when not sent, the versions named,
-- or {-1} for "*" (any current version; none when there is no row).
CREATE OR REPLACE FUNCTION ch.if_match_ok(p_version integer, p_if_match integer[])
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT p_if_match IS NULL OR (p_version IS NOT NULL
	    AND (-1 = ANY (p_if_match) OR p_version = ANY (p_if_match)));
$$;

-- The two refusals every resource makes, worded once. p_what names the
-- thing as the API user knows it ("offer", "contact details"). A thing
-- the caller may not see is missing for them: 404, never 403.
CREATE OR REPLACE FUNCTION ch.fail_missing(p_what text) RETURNS void
LANGUAGE sql AS $$
	SELECT ch.fail(404, format('No such %s.', p_what));
$$;

-- If-Match: 412 unless the caller's versions include the current one.
CREATE OR REPLACE FUNCTION ch.require_version(p_version integer,
    p_if_match integer[], p_what text, p_plural boolean DEFAULT false)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF NOT ch.if_match_ok(p_version, p_if_match) THEN
		PERFORM ch.fail(412, format('The %s changed since you read '
		    '%2$s; read %2$s again.', p_what,
		    CASE WHEN p_plural THEN 'them' ELSE 'it' END));
	END IF;
END
$$;

-- The caller, for the policies: ch.setting('role') and so on.
CREATE OR REPLACE FUNCTION ch.setting(p_name text) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT nullif(current_setting('ch.' || p_name, true), '');
$$;

CREATE OR REPLACE FUNCTION ch.enter(p_who jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('ch.role', coalesce(p_who->>'role', ''), true),
	    set_config('ch.district', coalesce(p_who->>'district', ''), true),
	    set_config('ch.user', coalesce(p_who->>'user', ''), true),
	    set_config('ch.organization',
		coalesce(p_who->>'organization', ''), true),
	    set_config('ch.participant',
		coalesce(p_who->>'participant', ''), true);
END
$$;

CREATE OR REPLACE FUNCTION ch.is_staff(p_who jsonb, p_district text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(p_who->>'role' IN ('coordinator', 'assistant')
	    AND p_who->>'district' = p_district, false);
$$;

CREATE OR REPLACE FUNCTION ch.audit_by(p_who jsonb, p_action text, p_entity text,
    p_id uuid, p_district text, p_detail jsonb DEFAULT '{}')
RETURNS void LANGUAGE sql AS $$
	SELECT ch.audit(p_who->>'actor', p_who->>'role', p_action, p_entity,
	    p_id::text, p_district, p_who->>'request', p_detail);
$$;

-- RFC 7396 JSON Merge Patch.
CREATE OR REPLACE FUNCTION ch.merge_patch(p_target jsonb, p_patch jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	r	jsonb;
	k	text;
	v	jsonb;
BEGIN
	IF jsonb_typeof(p_patch) IS DISTINCT FROM 'object' THEN
		RETURN p_patch;
	END IF;
	r := CASE WHEN jsonb_typeof(p_target) = 'object' THEN p_target
	    ELSE '{}' END;
	FOR k, v IN SELECT * FROM jsonb_each(p_patch) LOOP
		IF jsonb_typeof(v) = 'null' THEN
			r := r - k;
		ELSE
			r := jsonb_set(r, ARRAY[k], ch.merge_patch(r->k, v));
		END IF;
	END LOOP;
	RETURN r;
END
$$;

-- A weekly schedule as the API shows it ({"mon": ["morning"], ...}) and
-- as the matching engine keeps it: bit day * 3 + part, Monday = day 0.
--
-- The read helpers are either one plain expression, which PostgreSQL
-- inlines into the calling query, or PL/pgSQL, whose queries are planned
-- once per connection: an SQL function with a query in it would be
-- planned again on every call, which costs more than the rest of a
-- request.
CREATE OR REPLACE FUNCTION ch.week_mask(p_week jsonb) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(sum(DISTINCT (1 << ((d.n - 1) * 3 + s.n - 1)::integer)),
	    0)::integer
	FROM unnest(ARRAY['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])
	    WITH ORDINALITY d(day, n)
	CROSS JOIN unnest(ARRAY['morning', 'afternoon', 'evening'])
	    WITH ORDINALITY s(part, n)
	WHERE coalesce(p_week->d.day, '[]') ? s.part;
$$;

-- Great-circle distance in kilometres.
CREATE OR REPLACE FUNCTION ch.distance_km(lat1 double precision, lon1 double precision,
    lat2 double precision, lon2 double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT 2 * 6371.0088 * asin(least(1, sqrt(
	    sin(radians(lat2 - lat1) / 2) ^ 2 +
	    cos(radians(lat1)) * cos(radians(lat2)) *
	    sin(radians(lon2 - lon1) / 2) ^ 2)));
$$;

CREATE OR REPLACE FUNCTION ch.place_json(p uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	r	jsonb;
BEGIN
	IF p IS NULL THEN
		RETURN NULL;
	END IF;
	SELECT jsonb_build_object('id', pl.id, 'postal_code', pl.postal_code,
	    'name', pl.name, 'district_id', pl.district_id, 'lat', pl.lat,
	    'lon', pl.lon) INTO r
	FROM ch.place pl WHERE pl.id = p;
	RETURN r;
END
$$;

-- Codes of one taxonomy in a JSON array that are not known; [] if none.
CREATE OR REPLACE FUNCTION ch.unknown_codes(p_taxonomy text, p_codes jsonb)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(c.ord - 1 ORDER BY c.ord), '[]')
	FROM jsonb_array_elements_text(coalesce(p_codes, '[]'))
	    WITH ORDINALITY c(code, ord)
	WHERE NOT ch.term_exists(p_taxonomy, c.code);
$$;

-- Adds an error when a place id is given that names no place.
CREATE OR REPLACE FUNCTION ch.check_place(p_errors jsonb, p_field text,
    p_place uuid)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN p_place IS NULL OR EXISTS (SELECT 1 FROM ch.place
	    WHERE id = p_place) THEN p_errors
	    ELSE p_errors || ch.err(p_field, 'unknown', 'There is no place '
		'with this id (GET /v1/places).') END;
$$;

-- Adds one error per unknown code of a JSON array member.
CREATE OR REPLACE FUNCTION ch.check_codes(p_errors jsonb, p_field text,
    p_taxonomy text, p_codes jsonb, p_what text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	i	integer;
BEGIN
	FOR i IN SELECT jsonb_array_elements_text(
	    ch.unknown_codes(p_taxonomy, p_codes))::integer LOOP
		p_errors := p_errors || ch.err(p_field || '/' || i, 'unknown',
		    p_what || ' is not a code of the ' || p_taxonomy ||
		    ' taxonomy (GET /v1/taxonomies/' || p_taxonomy || ').');
	END LOOP;
	RETURN p_errors;
END
$$;

-- Languages with levels as the API takes them ([{code, level}]): one
-- error per unknown or repeated language.
CREATE OR REPLACE FUNCTION ch.check_spoken(p_errors jsonb, p_field text, p jsonb)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	i	integer;
BEGIN
	FOR i IN 0 .. jsonb_array_length(coalesce(p, '[]')) - 1 LOOP
		IF NOT ch.term_exists('languages', p->i->>'code') THEN
			p_errors := p_errors || ch.err(p_field || '/' || i ||
			    '/code', 'unknown', 'The language is not a code of '
			    'the languages taxonomy.');
		ELSIF (SELECT count(*) FROM jsonb_array_elements(p) l
		    WHERE l->>'code' = p->i->>'code') > 1 THEN
			p_errors := p_errors || ch.err(p_field || '/' || i ||
			    '/code', 'duplicate', 'Each language is listed once.');
		END IF;
	END LOOP;
	RETURN p_errors;
END
$$;

CREATE OR REPLACE FUNCTION ch.idem_begin(p_who jsonb, p_key text, p_hash text)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	i	ch.idempotency;
BEGIN
	IF p_key IS NULL THEN
		RETURN NULL;
	END IF;
	-- Serialises concurrent retries of one key: the second waits for
	-- the first to commit, then replays it.
	PERFORM pg_advisory_xact_lock(
	    hashtextextended((p_who->>'actor') || ' ' || p_key, 7));
	SELECT * INTO i FROM ch.idempotency
	WHERE actor = p_who->>'actor' AND key = p_key
	    AND created_at > now() - interval '24 hours';
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	IF i.request_hash <> p_hash THEN
		PERFORM ch.fail(422, 'This Idempotency-Key was used for a '
		    'different request in the last 24 hours; use a new key.',
		    NULL, 'idempotency-key-reused');
	END IF;
	RETURN ROW(i.version, i.location, i.body, true)::ch.result;
END
$$;

CREATE OR REPLACE FUNCTION ch.idem_finish(p_who jsonb, p_key text, p_hash text,
    r ch.result) RETURNS ch.result LANGUAGE plpgsql AS $$
BEGIN
	IF p_key IS NOT NULL THEN
		DELETE FROM ch.idempotency
		WHERE created_at < now() - interval '24 hours';
		INSERT INTO ch.idempotency (actor, key, request_hash, version,
		    location, body)
		VALUES (p_who->>'actor', p_key, p_hash, r.version, r.location,
		    r.body)
		ON CONFLICT (actor, key) DO UPDATE SET
		    request_hash = EXCLUDED.request_hash,
		    version = EXCLUDED.version, location = EXCLUDED.location,
		    body = EXCLUDED.body, created_at = now();
	END IF;
	r.replayed := false;
	RETURN r;
END
$$;

CREATE OR REPLACE FUNCTION ch.text_array(p jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(array_agg(x ORDER BY n), '{}')
	FROM jsonb_array_elements_text(coalesce(p, '[]'))
	    WITH ORDINALITY a(x, n);
$$;
