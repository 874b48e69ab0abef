-- Connecting Partners: organisations, offers, participants with their
-- contact details, consents and placements.
--
-- Every operation of the API is one call of a function below: one round
-- trip, one transaction. The caller comes in as JSON (ch.enter); reads of
-- personal data are filtered by row-level security (db/policies.sql) as a
-- second wall behind the checks here.
--
-- Each function here is its one current source: edit it in place, and
-- scripts/migrate.sh applies the file again (CREATE OR REPLACE). A
-- function whose arguments or result type change, or that goes away, is
-- dropped by a new migration in db/migrations/.

-- waiting_since follows status: set when a person starts waiting.
CREATE OR REPLACE FUNCTION ch.participant_waiting() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.status <> 'waiting' THEN
		NEW.waiting_since := NULL;
	ELSIF TG_OP = 'INSERT' OR OLD.status <> 'waiting' THEN
		NEW.waiting_since := coalesce(
		    CASE WHEN TG_OP = 'INSERT' THEN NEW.waiting_since END,
		    now());
	END IF;
	RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER participant_waiting BEFORE INSERT OR UPDATE
	ON ch.participant FOR EACH ROW
	EXECUTE FUNCTION ch.participant_waiting();

-- The history is kept: a grant is never changed except to withdraw it,
-- and never deleted while its participant exists.
CREATE OR REPLACE FUNCTION ch.consent_history_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.withdrawn_at IS NOT NULL OR NEW.id <> OLD.id
	    OR NEW.participant_id <> OLD.participant_id
	    OR NEW.purpose <> OLD.purpose
	    OR NEW.text_version <> OLD.text_version
	    OR NEW.granted_at <> OLD.granted_at
	    OR NEW.granted_by <> OLD.granted_by THEN
		RAISE EXCEPTION 'consent history is kept: only a standing '
		    'grant can be withdrawn' USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER consent_history_kept BEFORE UPDATE ON ch.consent
	FOR EACH ROW EXECUTE FUNCTION ch.consent_history_kept();

-- The capacity rule lives here: every active placement counts on its
-- offer, whose CHECK refuses more than its capacity. The UPDATE locks the
-- offer row, so concurrent placements for one offer queue behind each
-- other and the last free place goes to exactly one of them.
CREATE OR REPLACE FUNCTION ch.placement_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND NEW.offer_id <> OLD.offer_id THEN
		RAISE EXCEPTION 'a placement cannot move to another offer'
		    USING ERRCODE = 'check_violation';
	END IF;
	IF NEW.status = 'active' AND (TG_OP = 'INSERT'
	    OR OLD.status <> 'active') THEN
		UPDATE ch.offer SET active_placements = active_placements + 1
		WHERE id = NEW.offer_id;
	ELSIF TG_OP = 'UPDATE' AND OLD.status = 'active'
	    AND NEW.status <> 'active' THEN
		UPDATE ch.offer SET active_placements = active_placements - 1
		WHERE id = NEW.offer_id;
	END IF;
	RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER placement_count AFTER INSERT OR UPDATE OF status
	ON ch.placement FOR EACH ROW EXECUTE FUNCTION ch.placement_count();

-- ---------------------------------------------------------------------
-- Organisations: visible to every signed-in caller; written by the staff
-- of their district, and by their own representative.

CREATE OR REPLACE FUNCTION ch.organization_json(o ch.organization) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN jsonb_build_object('id', o.id, 'district_id', o.district_id,
	    'name', o.name, 'kind', o.kind, 'description', o.description,
	    'place_id', o.place_id, 'place', ch.place_json(o.place_id),
	    'website', o.website, 'email', o.email, 'phone', o.phone,
	    'offers', (SELECT count(*) FROM ch.offer f
		WHERE f.organization_id = o.id AND f.status <> 'draft'),
	    'version', o.version, 'created_at', o.created_at,
	    'updated_at', o.updated_at);
END
$$;

-- The members a client writes, for merging a patch into.
CREATE OR REPLACE FUNCTION ch.organization_doc(o ch.organization) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('district_id',
	    o.district_id, 'name', o.name, 'kind', o.kind,
	    'description', o.description, 'place_id', o.place_id,
	    'website', o.website, 'email', o.email, 'phone', o.phone));
$$;

CREATE OR REPLACE FUNCTION ch.organization_from(p_doc jsonb, o ch.organization)
RETURNS ch.organization LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb := '[]';
BEGIN
	o.district_id := p_doc->>'district_id';
	o.name := p_doc->>'name';
	o.kind := p_doc->>'kind';
	o.description := coalesce(p_doc->>'description', '');
	o.place_id := (p_doc->>'place_id')::uuid;
	o.website := p_doc->>'website';
	o.email := p_doc->>'email';
	o.phone := p_doc->>'phone';
	e := ch.check_place(e, '/place_id', o.place_id);
	IF NOT EXISTS (SELECT 1 FROM ch.district WHERE id = o.district_id)
	THEN
		e := e || ch.err('/district_id', 'unknown',
		    'There is no district with this key.');
	END IF;
	PERFORM ch.fail_invalid(e, 'The organisation data is invalid.');
	RETURN o;
END
$$;

CREATE OR REPLACE FUNCTION ch.organization_list(p_who jsonb, p_filter jsonb,
    p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN QUERY
	SELECT ch.organization_json(o)::text,
	    ch.cursor_key(o.updated_at), o.id::text
	FROM ch.organization o
	WHERE (p_filter->>'district_id' IS NULL
		OR o.district_id = p_filter->>'district_id')
	    AND (p_filter->>'kind' IS NULL OR o.kind = p_filter->>'kind')
	    AND (p_filter->>'updated_since' IS NULL
		OR o.updated_at >= (p_filter->>'updated_since')::timestamptz)
	    AND (p_filter->>'q' IS NULL OR ch.search_key(o.name) LIKE
		'%' || ch.search_key(p_filter->>'q') || '%')
	    AND ch.after(o.updated_at, o.id, p_after)
	ORDER BY o.updated_at, o.id
	LIMIT p_limit;
END
$$;

CREATE OR REPLACE FUNCTION ch.organization_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql STABLE AS $$
DECLARE
	o	ch.organization;
BEGIN
	SELECT * INTO o FROM ch.organization WHERE id = p_id;
	IF NOT FOUND THEN
		PERFORM ch.fail_missing('organisation');
	END IF;
	RETURN ROW(o.version, NULL::text, ch.organization_json(o)::text, false);
END
$$;

CREATE OR REPLACE FUNCTION ch.organization_create(p_who jsonb, p_key text,
    p_hash text, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	o	ch.organization;
	doc	jsonb;
BEGIN
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	doc := p_body;
	IF doc->>'district_id' IS NULL THEN
		doc := doc || jsonb_build_object('district_id',
		    p_who->>'district');
	END IF;
	o := ch.organization_from(doc, o);
	IF NOT ch.is_staff(p_who, o.district_id) THEN
		PERFORM ch.fail(403, 'Organisations are registered by the '
		    'coordinators and assistants of their district.');
	END IF;
	o.id := gen_random_uuid();
	o.version := 1;
	o.created_at := now();
	o.updated_at := now();
	INSERT INTO ch.organization SELECT o.* RETURNING * INTO o;
	PERFORM ch.audit_by(p_who, 'organization.created', 'organization',
	    o.id, o.district_id);
	RETURN ch.idem_finish(p_who, p_key, p_hash, ROW(o.version,
	    '/v1/organizations/' || o.id, ch.organization_json(o)::text,
	    false));
END
$$;

CREATE OR REPLACE FUNCTION ch.organization_update(p_who jsonb, p_id uuid,
    p_if_match integer[], p_patch jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	old	ch.organization;
	o	ch.organization;
BEGIN
	SELECT * INTO old FROM ch.organization WHERE id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM ch.fail_missing('organisation');
	END IF;
	IF NOT (ch.is_staff(p_who, old.district_id)
	    OR (p_who->>'role' = 'organization'
		AND p_who->>'organization' = old.id::text)) THEN
		PERFORM ch.fail(403, 'An organisation is changed by the staff '
		    'of its district or by its own representative.');
	END IF;
	PERFORM ch.require_version(old.version, p_if_match, 'organisation');
	IF p_patch ? 'district_id' AND p_patch->>'district_id'
	    IS DISTINCT FROM old.district_id THEN
		PERFORM ch.fail(422, 'An organisation cannot move to another '
		    'district.', ch.err('/district_id', 'read_only',
		    'district_id cannot be changed.'));
	END IF;
	o := ch.organization_from(ch.merge_patch(ch.organization_doc(old),
	    p_patch), old);
	UPDATE ch.organization SET name = o.name, kind = o.kind,
	    description = o.description, place_id = o.place_id,
	    website = o.website, email = o.email, phone = o.phone
	WHERE id = p_id RETURNING * INTO o;
	PERFORM ch.audit_by(p_who, 'organization.updated', 'organization',
	    o.id, o.district_id, jsonb_build_object('fields',
	    (SELECT jsonb_agg(k) FROM jsonb_object_keys(p_patch) k)));
	RETURN ROW(o.version, NULL::text, ch.organization_json(o)::text, false);
END
$$;

CREATE OR REPLACE FUNCTION ch.organization_delete(p_who jsonb, p_id uuid,
    p_if_match integer[])
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	old	ch.organization;
BEGIN
	SELECT * INTO old FROM ch.organization WHERE id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM ch.fail_missing('organisation');
	END IF;
	IF NOT ch.is_staff(p_who, old.district_id) THEN
		PERFORM ch.fail(403, 'An organisation is removed by the staff '
		    'of its district.');
	END IF;
	PERFORM ch.require_version(old.version, p_if_match, 'organisation');
	IF EXISTS (SELECT 1 FROM ch.offer WHERE organization_id = p_id) OR
	    EXISTS (SELECT 1 FROM ch.app_user WHERE organization_id = p_id)
	THEN
		PERFORM ch.fail(409, 'The organisation still has offers or '
		    'accounts: close its offers and disable its accounts '
		    'instead.');
	END IF;
	DELETE FROM ch.organization WHERE id = p_id;
	PERFORM ch.audit_by(p_who, 'organization.deleted', 'organization',
	    p_id, old.district_id);
	RETURN ROW(NULL::integer, NULL::text, NULL::text, false);
END
$$;

-- ---------------------------------------------------------------------
-- Offers: open, paused and closed offers are visible to every signed-in
-- caller; drafts to their organisation and its district's staff.

-- The offer as the API shows it, from its row, its organisation's name
-- and its place (json: built faster than jsonb, which sorts its keys).
-- One expression, so PostgreSQL inlines it into the lists' queries.
CREATE OR REPLACE FUNCTION ch.offer_row_json(f ch.offer, p_org text, pl ch.place)
RETURNS json LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', f.id,
	    'organization_id', f.organization_id, 'organization_name', p_org,
	    'district_id', f.district_id, 'title', f.title,
	    'description', f.description, 'category', f.category,
	    'tags', f.tags, 'languages', f.languages, 'place_id', f.place_id,
	    'place', CASE WHEN pl.id IS NULL THEN NULL ELSE json_build_object(
		'id', pl.id, 'postal_code', pl.postal_code, 'name', pl.name,
		'district_id', pl.district_id, 'lat', pl.lat, 'lon', pl.lon) END,
	    'online', f.online, 'schedule', f.schedule_json,
	    'capacity', f.capacity,
	    'free_places', f.capacity - f.active_placements,
	    'audience', f.audience, 'age_min', f.age_min,
	    'age_max', f.age_max, 'min_german_level', f.min_german_level,
	    'cost_per_month_cents', f.cost_per_month_cents,
	    'accessibility', f.accessibility, 'status', f.status,
	    'version', f.version, 'created_at', f.created_at,
	    'updated_at', f.updated_at);
$$;

-- The same for one offer row (writes and single reads).
CREATE OR REPLACE FUNCTION ch.offer_json(f ch.offer) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
	r	json;
BEGIN
	SELECT ch.offer_row_json(f, o.name, pl) INTO r
	FROM ch.organization o LEFT JOIN ch.place pl ON pl.id = f.place_id
	WHERE o.id = f.organization_id;
	RETURN r;
END
$$;

CREATE OR REPLACE FUNCTION ch.offer_doc(f ch.offer) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object(
	    'organization_id', f.organization_id, 'title', f.title,
	    'description', f.description, 'category', f.category,
	    'tags', to_jsonb(f.tags), 'languages', to_jsonb(f.languages),
	    'place_id', f.place_id, 'online', f.online,
	    'schedule', ch.week_json(f.schedule), 'capacity', f.capacity,
	    'audience', f.audience, 'age_min', f.age_min,
	    'age_max', f.age_max, 'min_german_level', f.min_german_level,
	    'cost_per_month_cents', f.cost_per_month_cents,
	    'accessibility', to_jsonb(f.accessibility), 'status', f.status));
$$;

CREATE OR REPLACE FUNCTION ch.offer_from(p_doc jsonb, f ch.offer)
RETURNS ch.offer LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb := '[]';
BEGIN
	f.organization_id := (p_doc->>'organization_id')::uuid;
	f.title := p_doc->>'title';
	f.description := coalesce(p_doc->>'description', '');
	f.category := p_doc->>'category';
	f.tags := ch.text_array(p_doc->'tags');
	f.languages := ch.text_array(p_doc->'languages');
	f.place_id := (p_doc->>'place_id')::uuid;
	f.online := coalesce((p_doc->>'online')::boolean, false);
	f.schedule := ch.week_mask(p_doc->'schedule');
	f.capacity := (p_doc->>'capacity')::numeric::integer;
	f.audience := coalesce(p_doc->>'audience', 'any');
	f.age_min := (p_doc->>'age_min')::numeric::integer;
	f.age_max := (p_doc->>'age_max')::numeric::integer;
	f.min_german_level := p_doc->>'min_german_level';
	f.cost_per_month_cents := coalesce(
	    (p_doc->>'cost_per_month_cents')::numeric::integer, 0);
	f.accessibility := ch.text_array(p_doc->'accessibility');
	f.status := coalesce(p_doc->>'status', 'draft');

	SELECT o.district_id INTO f.district_id FROM ch.organization o
	WHERE o.id = f.organization_id;
	IF NOT FOUND THEN
		e := e || ch.err('/organization_id', 'unknown',
		    'There is no organisation with this id.');
	END IF;
	IF NOT ch.term_exists('activity_categories', f.category) THEN
		e := e || ch.err('/category', 'unknown', 'category is not a '
		    'code of the activity_categories taxonomy.');
	END IF;
	e := ch.check_codes(e, '/languages', 'languages', p_doc->'languages',
	    'The language');
	e := ch.check_place(e, '/place_id', f.place_id);
	IF f.place_id IS NULL AND NOT f.online THEN
		e := e || ch.err('/place_id', 'required', 'An offer takes '
		    'place somewhere (place_id) or online (online: true).');
	END IF;
	IF f.age_min > f.age_max THEN
		e := e || ch.err('/age_max', 'range',
		    'age_max must not be below age_min.');
	END IF;
	IF f.capacity < f.active_placements THEN
		e := e || ch.err('/capacity', 'below_placements', format(
		    'The offer has %s active placements; capacity cannot be '
		    'lower.', f.active_placements));
	END IF;
	PERFORM ch.fail_invalid(e, 'The offer data is invalid.');
	RETURN f;
END
$$;

-- May the caller write this organisation's offers?
CREATE OR REPLACE FUNCTION ch.offer_writer(p_who jsonb, p_org uuid, p_district text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT ch.is_staff(p_who, p_district)
	    OR coalesce(p_who->>'role' = 'organization'
		AND p_who->>'organization' = p_org::text, false);
$$;

CREATE OR REPLACE FUNCTION ch.offer_visible(p_who jsonb, f ch.offer) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT f.status <> 'draft'
	    OR ch.offer_writer(p_who, f.organization_id, f.district_id);
$$;

-- The filters of GET /v1/offers (p_filter holds the checked query
-- parameters) and the caller's visibility; one expression, inlined into
-- both orders of the list.
CREATE OR REPLACE FUNCTION ch.offer_matches(p_who jsonb, f ch.offer, p_filter jsonb)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT ch.offer_visible(p_who, f)
	    AND (p_filter->>'district_id' IS NULL
		OR f.district_id = p_filter->>'district_id')
	    AND (p_filter->>'organization_id' IS NULL
		OR f.organization_id = (p_filter->>'organization_id')::uuid)
	    AND (p_filter->>'category' IS NULL
		OR f.category = p_filter->>'category')
	    AND (p_filter->>'language' IS NULL
		OR f.languages @> ARRAY[p_filter->>'language'])
	    AND (p_filter->>'audience' IS NULL
		OR f.audience = p_filter->>'audience')
	    AND (p_filter->>'status' IS NULL
		OR f.status = p_filter->>'status')
	    AND (NOT coalesce((p_filter->>'free')::boolean, false)
		OR f.active_placements < f.capacity)
	    AND (p_filter->>'updated_since' IS NULL
		OR f.updated_at >= (p_filter->>'updated_since')::timestamptz);
$$;

CREATE OR REPLACE FUNCTION ch.offer_list(p_who jsonb, p_filter jsonb, p_after text[],
    p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql STABLE AS $$
DECLARE
	near_lat	double precision;
	near_lon	double precision;
	radius		double precision;
	dlat		double precision;
	dlon		double precision;
	near		text := p_filter->>'near';
BEGIN
	IF near IS NULL AND p_filter ? 'radius_km' THEN
		PERFORM ch.fail(400, 'radius_km goes with near.',
		    ch.err('radius_km', 'requires', 'radius_km needs near '
		    '(a postal code or place id).'), 'invalid-parameter');
	END IF;
	IF near IS NOT NULL THEN
		SELECT avg(pl.lat), avg(pl.lon) INTO near_lat, near_lon
		FROM ch.place pl
		WHERE (near ~ '^[0-9]{5}$' AND pl.postal_code = near)
		    OR (near !~ '^[0-9]{5}$' AND pl.id::text = near);
		IF near_lat IS NULL THEN
			PERFORM ch.fail(400, 'near names no known place.',
			    ch.err('near', 'unknown', 'near must be a postal '
			    'code or place id of GET /v1/places.'),
			    'invalid-parameter');
		END IF;
		radius := coalesce((p_filter->>'radius_km')::double precision,
		    10);
		dlat := radius / 111.0;
		dlon := radius / (111.0 * cos(radians(near_lat)));
		-- Nearest first: offers with a place within the radius.
		RETURN QUERY
		SELECT (ch.offer_row_json(f, o.name, pl)::jsonb ||
		    jsonb_build_object('distance_km', round(d.km::numeric, 2)))
		    ::text, d.km::text, f.id::text
		FROM ch.offer f
		JOIN ch.organization o ON o.id = f.organization_id
		JOIN ch.place pl ON pl.id = f.place_id
		CROSS JOIN LATERAL (SELECT ch.distance_km(near_lat, near_lon,
		    pl.lat, pl.lon) AS km) d
		WHERE pl.lat BETWEEN near_lat - dlat AND near_lat + dlat
		    AND pl.lon BETWEEN near_lon - dlon AND near_lon + dlon
		    AND d.km <= radius
		    AND ch.offer_matches(p_who, f, p_filter)
		    AND (p_after IS NULL OR (d.km, f.id) >
			(p_after[1]::double precision, p_after[2]::uuid))
		ORDER BY d.km, f.id
		LIMIT p_limit;
		RETURN;
	END IF;

	RETURN QUERY
	SELECT ch.offer_row_json(f, o.name, pl)::text,
	    ch.cursor_key(f.updated_at), f.id::text
	FROM ch.offer f
	JOIN ch.organization o ON o.id = f.organization_id
	LEFT JOIN ch.place pl ON pl.id = f.place_id
	WHERE ch.offer_matches(p_who, f, p_filter)
	    AND ch.after(f.updated_at, f.id, p_after)
	ORDER BY f.updated_at, f.id
	LIMIT p_limit;
END
$$;

CREATE OR REPLACE FUNCTION ch.offer_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql STABLE AS $$
DECLARE
	f	ch.offer;
BEGIN
	SELECT * INTO f FROM ch.offer WHERE id = p_id;
	IF NOT FOUND OR NOT ch.offer_visible(p_who, f) THEN
		PERFORM ch.fail_missing('offer');
	END IF;
	RETURN ROW(f.version, NULL::text, ch.offer_json(f)::text, false);
END
$$;

CREATE OR REPLACE FUNCTION ch.offer_create(p_who jsonb, p_key text, p_hash text,
    p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	f	ch.offer;
	doc	jsonb := p_body;
BEGIN
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	IF doc->>'organization_id' IS NULL
	    AND p_who->>'role' = 'organization' THEN
		doc := doc || jsonb_build_object('organization_id',
		    p_who->>'organization');
	END IF;
	IF doc->>'organization_id' IS NULL THEN
		PERFORM ch.fail(422, 'The offer data is invalid.',
		    ch.err('/organization_id', 'required',
		    'organization_id is required.'));
	END IF;
	f.active_placements := 0;
	f := ch.offer_from(doc, f);
	IF NOT ch.offer_writer(p_who, f.organization_id, f.district_id) THEN
		PERFORM ch.fail(403, 'Offers are published by their '
		    'organisation or the staff of its district.');
	END IF;
	f.id := gen_random_uuid();
	f.category_taxonomy := 'activity_categories';
	f.version := 1;
	f.created_at := now();
	f.updated_at := now();
	INSERT INTO ch.offer (id, organization_id, district_id, title,
	    description, category_taxonomy, category, tags, languages,
	    place_id, online, schedule, capacity, active_placements, audience,
	    age_min, age_max, min_german_level, cost_per_month_cents,
	    accessibility, status, version, created_at, updated_at)
	VALUES (f.id, f.organization_id, f.district_id, f.title,
	    f.description, f.category_taxonomy, f.category, f.tags,
	    f.languages, f.place_id, f.online, f.schedule, f.capacity,
	    f.active_placements, f.audience, f.age_min, f.age_max,
	    f.min_german_level, f.cost_per_month_cents, f.accessibility,
	    f.status, f.version, f.created_at, f.updated_at)
	RETURNING * INTO f;
	PERFORM ch.audit_by(p_who, 'offer.created', 'offer', f.id,
	    f.district_id);
	RETURN ch.idem_finish(p_who, p_key, p_hash, ROW(f.version,
	    '/v1/offers/' || f.id, ch.offer_json(f)::text, false));
END
$$;

CREATE OR REPLACE FUNCTION ch.offer_update(p_who jsonb, p_id uuid,
    p_if_match integer[], p_patch jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	old	ch.offer;
	f	ch.offer;
BEGIN
	SELECT * INTO old FROM ch.offer WHERE id = p_id FOR UPDATE;
	IF NOT FOUND OR NOT ch.offer_visible(p_who, old) THEN
		PERFORM ch.fail_missing('offer');
	END IF;
	IF NOT ch.offer_writer(p_who, old.organization_id, old.district_id)
	THEN
		PERFORM ch.fail(403, 'An offer is changed by its organisation '
		    'or the staff of its district.');
	END IF;
	PERFORM ch.require_version(old.version, p_if_match, 'offer');
	IF p_patch ? 'organization_id' AND p_patch->>'organization_id'
	    IS DISTINCT FROM old.organization_id::text THEN
		PERFORM ch.fail(422, 'The offer data is invalid.',
		    ch.err('/organization_id', 'read_only',
		    'An offer cannot move to another organisation.'));
	END IF;
	f := ch.offer_from(ch.merge_patch(ch.offer_doc(old), p_patch), old);
	UPDATE ch.offer SET title = f.title, description = f.description,
	    category = f.category, tags = f.tags, languages = f.languages,
	    place_id = f.place_id, online = f.online, schedule = f.schedule,
	    capacity = f.capacity, audience = f.audience,
	    age_min = f.age_min, age_max = f.age_max,
	    min_german_level = f.min_german_level,
	    cost_per_month_cents = f.cost_per_month_cents,
	    accessibility = f.accessibility, status = f.status
	WHERE id = p_id RETURNING * INTO f;
	PERFORM ch.audit_by(p_who, 'offer.updated', 'offer', f.id,
	    f.district_id, jsonb_build_object('fields',
	    (SELECT jsonb_agg(k) FROM jsonb_object_keys(p_patch) k)));
	RETURN ROW(f.version, NULL::text, ch.offer_json(f)::text, false);
END
$$;

CREATE OR REPLACE FUNCTION ch.offer_delete(p_who jsonb, p_id uuid,
    p_if_match integer[])
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	old	ch.offer;
BEGIN
	SELECT * INTO old FROM ch.offer WHERE id = p_id FOR UPDATE;
	IF NOT FOUND OR NOT ch.offer_visible(p_who, old) THEN
		PERFORM ch.fail_missing('offer');
	END IF;
	IF NOT ch.offer_writer(p_who, old.organization_id, old.district_id)
	THEN
		PERFORM ch.fail(403, 'An offer is removed by its organisation '
		    'or the staff of its district.');
	END IF;
	PERFORM ch.require_version(old.version, p_if_match, 'offer');
	-- Placements are history; the placement table is guarded, so the
	-- foreign key (which sees every row) decides: 23503 becomes 409.
	DELETE FROM ch.offer WHERE id = p_id;
	PERFORM ch.audit_by(p_who, 'offer.deleted', 'offer', p_id,
	    old.district_id);
	RETURN ROW(NULL::integer, NULL::text, NULL::text, false);
EXCEPTION WHEN foreign_key_violation THEN
	PERFORM ch.fail(409, 'The offer has placements, which are kept as '
	    'history: close it (status closed) instead.');
	RETURN NULL;
END
$$;

-- ---------------------------------------------------------------------
-- Participants: visible to the staff of their district and to the person
-- (row-level security); organisations see them only inside placements.

CREATE OR REPLACE FUNCTION ch.participant_consents(p uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (SELECT jsonb_build_object(
	    'matching', coalesce(bool_or(c.purpose = 'matching'), false),
	    'cross_district', coalesce(bool_or(c.purpose = 'cross_district'), false),
	    'share_contact_with_partner',
		coalesce(bool_or(c.purpose = 'share_contact_with_partner'), false),
	    'statistics', coalesce(bool_or(c.purpose = 'statistics'), false))
	FROM (SELECT NULL::text AS purpose UNION ALL
	    SELECT c.purpose FROM ch.consent c
	    WHERE c.participant_id = p AND c.withdrawn_at IS NULL) c);
END
$$;

CREATE OR REPLACE FUNCTION ch.participant_json(p ch.participant) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', p.id, 'district_id', p.district_id,
	    'display_name', p.display_name, 'gender', p.gender,
	    'birth_year', p.birth_year, 'languages', p.languages,
	    'interests', to_jsonb(p.interests),
	    'availability', ch.week_json(p.availability),
	    'home_place_id', p.home_place_id,
	    'home_place', ch.place_json(p.home_place_id),
	    'mobility_radius_km', p.mobility_radius_km,
	    'needs', to_jsonb(p.needs), 'assistant_id', p.assistant_id,
	    'status', p.status, 'waiting_since', p.waiting_since,
	    'consents', ch.participant_consents(p.id),
	    'version', p.version, 'created_at', p.created_at,
	    'updated_at', p.updated_at);
$$;

CREATE OR REPLACE FUNCTION ch.participant_doc(p ch.participant) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object(
	    'display_name', p.display_name, 'gender', p.gender,
	    'birth_year', p.birth_year, 'languages', p.languages,
	    'interests', to_jsonb(p.interests),
	    'availability', ch.week_json(p.availability),
	    'home_place_id', p.home_place_id,
	    'mobility_radius_km', p.mobility_radius_km,
	    'needs', to_jsonb(p.needs), 'assistant_id', p.assistant_id,
	    'status', p.status));
$$;

-- What a person may change in their own profile.
CREATE OR REPLACE FUNCTION ch.participant_self_fields() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT ARRAY['display_name', 'languages', 'interests', 'availability',
	    'home_place_id', 'mobility_radius_km', 'needs'];
$$;

CREATE OR REPLACE FUNCTION ch.participant_from(p_doc jsonb, p ch.participant)
RETURNS ch.participant LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb := '[]';
BEGIN
	p.display_name := p_doc->>'display_name';
	p.gender := p_doc->>'gender';
	p.birth_year := (p_doc->>'birth_year')::numeric::integer;
	p.languages := coalesce(p_doc->'languages', '[]');
	p.interests := ch.text_array(p_doc->'interests');
	p.availability := ch.week_mask(p_doc->'availability');
	p.home_place_id := (p_doc->>'home_place_id')::uuid;
	p.mobility_radius_km := coalesce(
	    (p_doc->>'mobility_radius_km')::numeric::integer, 10);
	p.needs := ch.text_array(p_doc->'needs');
	p.assistant_id := (p_doc->>'assistant_id')::uuid;
	p.status := coalesce(p_doc->>'status', 'waiting');

	IF p.birth_year > extract(year FROM now())::integer THEN
		e := e || ch.err('/birth_year', 'range',
		    'birth_year lies in the future.');
	END IF;
	e := ch.check_spoken(e, '/languages', p.languages);
	e := ch.check_codes(e, '/interests', 'activity_categories',
	    p_doc->'interests', 'The interest');
	e := ch.check_place(e, '/home_place_id', p.home_place_id);
	IF p.assistant_id IS NOT NULL AND NOT EXISTS (
	    SELECT 1 FROM ch.app_user u WHERE u.id = p.assistant_id
		AND u.role IN ('assistant', 'coordinator')
		AND u.district_id = p.district_id AND NOT u.disabled) THEN
		e := e || ch.err('/assistant_id', 'unknown', 'assistant_id '
		    'must be an active assistant or coordinator account of '
		    'the participant''s district.');
	END IF;
	PERFORM ch.fail_invalid(e, 'The participant data is invalid.');
	RETURN p;
END
$$;

CREATE OR REPLACE FUNCTION ch.participant_list(p_who jsonb, p_filter jsonb,
    p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql AS $$
BEGIN
	PERFORM ch.enter(p_who);
	RETURN QUERY
	SELECT ch.participant_json(p)::text,
	    ch.cursor_key(p.updated_at), p.id::text
	FROM ch.participant p
	WHERE p.district_id = p_who->>'district'
	    AND ch.participant_visible(p)
	    AND (p_filter->>'status' IS NULL
		OR p.status = p_filter->>'status')
	    AND (p_filter->>'assistant_id' IS NULL
		OR p.assistant_id = (p_filter->>'assistant_id')::uuid)
	    AND (p_filter->>'updated_since' IS NULL OR p.updated_at >=
		(p_filter->>'updated_since')::timestamptz)
	    AND ch.after(p.updated_at, p.id, p_after)
	ORDER BY p.updated_at, p.id
	LIMIT p_limit;
END
$$;

-- Who sees a person: the staff of her district, she herself, an
-- organisation while she has an active placement with it, a mentor while
-- they are an active tandem. The last two read her only inside those
-- (db/policies.sql); her own file is the staff's and hers.
CREATE OR REPLACE FUNCTION ch.participant_visible(p ch.participant)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT ch.staff_of(p.district_id) OR ch.is_self(p.id)
	    OR coalesce(ch.places(p.id) OR ch.mentors(p.id), false);
$$;

-- Loads a participant whose file the caller may open (staff of her
-- district, she herself), or answers 404.
CREATE OR REPLACE FUNCTION ch.participant_load(p_who jsonb, p_id uuid,
    p_lock boolean DEFAULT false)
RETURNS ch.participant LANGUAGE plpgsql AS $$
DECLARE
	p	ch.participant;
BEGIN
	PERFORM ch.enter(p_who);
	IF p_lock THEN
		SELECT * INTO p FROM ch.participant WHERE id = p_id FOR UPDATE;
	ELSE
		SELECT * INTO p FROM ch.participant WHERE id = p_id;
	END IF;
	IF NOT FOUND OR NOT ch.participant_visible(p)
	    OR p_who->>'role' NOT IN ('coordinator', 'assistant',
		'participant') THEN
		PERFORM ch.fail_missing('participant');
	END IF;
	RETURN p;
END
$$;

CREATE OR REPLACE FUNCTION ch.participant_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	p	ch.participant := ch.participant_load(p_who, p_id);
BEGIN
	RETURN ROW(p.version, NULL::text, ch.participant_json(p)::text, false);
END
$$;

CREATE OR REPLACE FUNCTION ch.participant_create(p_who jsonb, p_key text,
    p_hash text, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	p	ch.participant;
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	IF NOT ch.is_staff(p_who, p_who->>'district') THEN
		PERFORM ch.fail(403, 'Participants are registered by the '
		    'coordinators and assistants of their district.');
	END IF;
	p.district_id := p_who->>'district';
	p := ch.participant_from(p_body, p);
	IF p.assistant_id IS NULL AND p_who->>'role' = 'assistant' THEN
		p.assistant_id := (p_who->>'user')::uuid;
	END IF;
	p.id := gen_random_uuid();
	INSERT INTO ch.participant (id, district_id, display_name, gender,
	    birth_year, languages, interests, availability, home_place_id,
	    mobility_radius_km, needs, assistant_id, status)
	VALUES (p.id, p.district_id, p.display_name, p.gender, p.birth_year,
	    p.languages, p.interests, p.availability, p.home_place_id,
	    p.mobility_radius_km, p.needs, p.assistant_id, p.status)
	RETURNING * INTO p;
	INSERT INTO ch.participant_contact (participant_id, district_id)
	VALUES (p.id, p.district_id);
	PERFORM ch.audit_by(p_who, 'participant.created', 'participant',
	    p.id, p.district_id);
	RETURN ch.idem_finish(p_who, p_key, p_hash, ROW(p.version,
	    '/v1/participants/' || p.id, ch.participant_json(p)::text,
	    false));
END
$$;

CREATE OR REPLACE FUNCTION ch.participant_update(p_who jsonb, p_id uuid,
    p_if_match integer[], p_patch jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	old	ch.participant := ch.participant_load(p_who, p_id, true);
	p	ch.participant;
	field	text;
	e	jsonb := '[]';
BEGIN
	IF p_who->>'role' = 'participant' THEN
		FOR field IN SELECT jsonb_object_keys(p_patch) LOOP
			IF NOT field = ANY (ch.participant_self_fields()) THEN
				e := e || ch.err('/' || field, 'not_allowed',
				    field || ' is set by the programme''s staff.');
			END IF;
		END LOOP;
		IF jsonb_array_length(e) > 0 THEN
			PERFORM ch.fail(403, 'You can change your name, '
			    'languages, interests, availability, home place, '
			    'radius and needs.', e);
		END IF;
	END IF;
	PERFORM ch.require_version(old.version, p_if_match, 'participant');
	p := ch.participant_from(ch.merge_patch(ch.participant_doc(old),
	    p_patch), old);
	UPDATE ch.participant SET display_name = p.display_name,
	    gender = p.gender, birth_year = p.birth_year,
	    languages = p.languages, interests = p.interests,
	    availability = p.availability, home_place_id = p.home_place_id,
	    mobility_radius_km = p.mobility_radius_km, needs = p.needs,
	    assistant_id = p.assistant_id, status = p.status
	WHERE id = p_id RETURNING * INTO p;
	PERFORM ch.audit_by(p_who, 'participant.updated', 'participant',
	    p.id, p.district_id, jsonb_build_object('fields',
	    (SELECT jsonb_agg(k) FROM jsonb_object_keys(p_patch) k)));
	RETURN ROW(p.version, NULL::text, ch.participant_json(p)::text, false);
END
$$;

-- ---------------------------------------------------------------------
-- Contact details: the person and their district's staff only; every
-- read is audited.

CREATE OR REPLACE FUNCTION ch.contact_json(c ch.participant_contact) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('participant_id', c.participant_id,
	    'email', c.email, 'phone', c.phone, 'street', c.street,
	    'postal_code', c.postal_code, 'city', c.city,
	    'preferred_channel', c.preferred_channel, 'note', c.note,
	    'version', c.version, 'updated_at', c.updated_at);
$$;

-- Who sees contact details: the staff of the person's district, she
-- herself, and an organisation she has an active placement with, only
-- while she consents to sharing them with it.
CREATE OR REPLACE FUNCTION ch.contact_visible(c ch.participant_contact)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT ch.staff_of(c.district_id) OR ch.is_self(c.participant_id)
	    OR coalesce(ch.places(c.participant_id)
		AND ch.has_consent(c.participant_id,
		    'share_contact_with_partner'), false);
$$;

CREATE OR REPLACE FUNCTION ch.contact_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	p	ch.participant := ch.participant_load(p_who, p_id);
	c	ch.participant_contact;
BEGIN
	SELECT * INTO c FROM ch.participant_contact
	WHERE participant_id = p.id;
	IF NOT FOUND OR NOT ch.contact_visible(c) THEN
		PERFORM ch.fail_missing('participant');
	END IF;
	PERFORM ch.audit_by(p_who, 'contact.read', 'participant', p.id,
	    p.district_id);
	RETURN ROW(c.version, NULL::text, ch.contact_json(c)::text, false);
END
$$;

CREATE OR REPLACE FUNCTION ch.contact_update(p_who jsonb, p_id uuid,
    p_if_match integer[], p_patch jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	p	ch.participant := ch.participant_load(p_who, p_id);
	c	ch.participant_contact;
	d	jsonb;
BEGIN
	SELECT * INTO c FROM ch.participant_contact
	WHERE participant_id = p.id FOR UPDATE;
	IF NOT FOUND OR NOT ch.contact_visible(c) THEN
		PERFORM ch.fail_missing('participant');
	END IF;
	PERFORM ch.require_version(c.version, p_if_match, 'contact details', true);
	d := ch.merge_patch(jsonb_strip_nulls(ch.contact_json(c))
	    - 'participant_id' - 'version' - 'updated_at', p_patch);
	UPDATE ch.participant_contact SET email = d->>'email',
	    phone = d->>'phone', street = d->>'street',
	    postal_code = d->>'postal_code', city = d->>'city',
	    preferred_channel = d->>'preferred_channel', note = d->>'note'
	WHERE participant_id = p.id RETURNING * INTO c;
	PERFORM ch.audit_by(p_who, 'contact.updated', 'participant', p.id,
	    p.district_id, jsonb_build_object('fields',
	    (SELECT jsonb_agg(k) FROM jsonb_object_keys(p_patch) k)));
	RETURN ROW(c.version, NULL::text, ch.contact_json(c)::text, false);
END
$$;

-- ---------------------------------------------------------------------
-- Consents: a grant records who, when and which text; withdrawing is one
-- call; the history stays.

CREATE OR REPLACE FUNCTION ch.consent_json(c ch.consent) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('id', c.id,
	    'participant_id', c.participant_id, 'purpose', c.purpose,
	    'status', CASE WHEN c.withdrawn_at IS NULL THEN 'granted'
		ELSE 'withdrawn' END,
	    'text_version', c.text_version, 'granted_at', c.granted_at,
	    'granted_by', c.granted_by, 'granted_by_role', c.granted_by_role,
	    'withdrawn_at', c.withdrawn_at, 'withdrawn_by', c.withdrawn_by,
	    'withdrawn_by_role', c.withdrawn_by_role,
	    'withdrawal_reason', c.withdrawal_reason);
$$;

-- Who sees a consent: the staff of the person's district, she herself;
-- an organisation she has an active placement with sees whether she
-- shares her contact details with it, nothing else.
CREATE OR REPLACE FUNCTION ch.consent_visible(c ch.consent)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT ch.staff_of(c.district_id) OR ch.is_self(c.participant_id)
	    OR coalesce(c.purpose = 'share_contact_with_partner'
		AND ch.places(c.participant_id), false);
$$;

CREATE OR REPLACE FUNCTION ch.consent_list(p_who jsonb, p_id uuid, p_filter jsonb,
    p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql AS $$
DECLARE
	p	ch.participant := ch.participant_load(p_who, p_id);
BEGIN
	RETURN QUERY
	SELECT ch.consent_json(c)::text,
	    ch.cursor_key(c.granted_at), c.id::text
	FROM ch.consent c
	WHERE c.participant_id = p.id AND ch.consent_visible(c)
	    AND (p_filter->>'purpose' IS NULL
		OR c.purpose = p_filter->>'purpose')
	    AND (p_filter->>'status' IS NULL OR (c.withdrawn_at IS NULL) =
		(p_filter->>'status' = 'granted'))
	    AND (p_after IS NULL OR (c.granted_at, c.id) <
		(p_after[1]::timestamptz, p_after[2]::uuid))
	ORDER BY c.granted_at DESC, c.id DESC
	LIMIT p_limit;
END
$$;

-- The latest record for one purpose: the standing grant, or the last one
-- withdrawn.
CREATE OR REPLACE FUNCTION ch.consent_get(p_who jsonb, p_id uuid, p_purpose text)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	p	ch.participant := ch.participant_load(p_who, p_id);
	c	ch.consent;
BEGIN
	SELECT x.* INTO c FROM ch.consent x
	WHERE x.participant_id = p.id AND x.purpose = p_purpose
	    AND ch.consent_visible(x)
	ORDER BY x.granted_at DESC, x.id DESC LIMIT 1;
	IF NOT FOUND THEN
		PERFORM ch.fail(404, 'No consent was ever recorded for this '
		    'purpose.');
	END IF;
	RETURN ROW(NULL::integer, NULL::text, ch.consent_json(c)::text, false);
END
$$;

CREATE OR REPLACE FUNCTION ch.consent_grant(p_who jsonb, p_key text, p_hash text,
    p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	p	ch.participant;
	c	ch.consent;
BEGIN
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	p := ch.participant_load(p_who, p_id, true);
	SELECT * INTO c FROM ch.consent
	WHERE participant_id = p.id AND purpose = p_body->>'purpose'
	    AND withdrawn_at IS NULL;
	IF FOUND AND c.text_version = p_body->>'text_version' THEN
		-- Granting what stands already changes nothing.
		RETURN ROW(NULL::integer, NULL::text, ch.consent_json(c)::text, false);
	END IF;
	IF FOUND THEN
		UPDATE ch.consent SET withdrawn_at = clock_timestamp(),
		    withdrawn_by = p_who->>'actor',
		    withdrawn_by_role = p_who->>'role',
		    withdrawal_reason = 'superseded'
		WHERE id = c.id;
	END IF;
	INSERT INTO ch.consent (participant_id, district_id, purpose,
	    text_version, granted_by, granted_by_role)
	VALUES (p.id, p.district_id, p_body->>'purpose',
	    p_body->>'text_version', p_who->>'actor', p_who->>'role')
	RETURNING * INTO c;
	PERFORM ch.audit_by(p_who, 'consent.granted', 'participant', p.id,
	    p.district_id, jsonb_build_object('purpose', c.purpose,
	    'text_version', c.text_version));
	RETURN ch.idem_finish(p_who, p_key, p_hash, ROW(NULL::integer,
	    '/v1/participants/' || p.id || '/consents/' || c.purpose,
	    ch.consent_json(c)::text, false));
END
$$;

CREATE OR REPLACE FUNCTION ch.consent_withdraw(p_who jsonb, p_id uuid,
    p_purpose text)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	p	ch.participant := ch.participant_load(p_who, p_id, true);
	c	ch.consent;
BEGIN
	UPDATE ch.consent SET withdrawn_at = clock_timestamp(),
	    withdrawn_by = p_who->>'actor',
	    withdrawn_by_role = p_who->>'role',
	    withdrawal_reason = 'withdrawn'
	WHERE participant_id = p.id AND purpose = p_purpose
	    AND withdrawn_at IS NULL
	RETURNING * INTO c;
	IF NOT FOUND THEN
		PERFORM ch.fail(404, 'There is no standing consent for this '
		    'purpose.');
	END IF;
	PERFORM ch.audit_by(p_who, 'consent.withdrawn', 'participant', p.id,
	    p.district_id, jsonb_build_object('purpose', c.purpose));
	RETURN ROW(NULL::integer, NULL::text, ch.consent_json(c)::text, false);
END
$$;

-- Who sees a placement: the staff of its district, the person, the
-- organisation of its offer.
CREATE OR REPLACE FUNCTION ch.placement_visible(pl ch.placement)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT ch.staff_of(pl.district_id) OR ch.is_self(pl.participant_id)
	    OR coalesce(ch.setting('role') = 'organization'
		AND pl.organization_id::text = ch.setting('organization'), false);
$$;

CREATE OR REPLACE FUNCTION ch.placement_list(p_who jsonb, p_filter jsonb,
    p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql AS $$
BEGIN
	PERFORM ch.enter(p_who);
	-- p_limit rows: the page and one look-ahead row (see placement_json).
	RETURN QUERY
	SELECT ch.placement_json(p_who, x.pl, x.n < p_limit)::text, x.k1, x.k2
	FROM (SELECT pl, row_number() OVER (ORDER BY pl.updated_at, pl.id) AS n,
	    ch.cursor_key(pl.updated_at) AS k1, pl.id::text AS k2
	FROM ch.placement pl
	WHERE ch.placement_visible(pl)
	    AND (p_filter->>'participant_id' IS NULL OR pl.participant_id =
		(p_filter->>'participant_id')::uuid)
	    AND (p_filter->>'offer_id' IS NULL
		OR pl.offer_id = (p_filter->>'offer_id')::uuid)
	    AND (p_filter->>'status' IS NULL
		OR pl.status = p_filter->>'status')
	    AND (p_filter->>'updated_since' IS NULL OR pl.updated_at >=
		(p_filter->>'updated_since')::timestamptz)
	    AND ch.after(pl.updated_at, pl.id, p_after)
	ORDER BY pl.updated_at, pl.id
	LIMIT p_limit) x
	ORDER BY x.n;
END
$$;

CREATE OR REPLACE FUNCTION ch.placement_load(p_who jsonb, p_id uuid,
    p_lock boolean DEFAULT false)
RETURNS ch.placement LANGUAGE plpgsql AS $$
DECLARE
	pl	ch.placement;
BEGIN
	PERFORM ch.enter(p_who);
	IF p_lock THEN
		SELECT * INTO pl FROM ch.placement WHERE id = p_id FOR UPDATE;
	ELSE
		SELECT * INTO pl FROM ch.placement WHERE id = p_id;
	END IF;
	IF NOT FOUND OR NOT ch.placement_visible(pl) THEN
		PERFORM ch.fail_missing('placement');
	END IF;
	RETURN pl;
END
$$;

CREATE OR REPLACE FUNCTION ch.placement_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	pl	ch.placement := ch.placement_load(p_who, p_id);
BEGIN
	RETURN ROW(pl.version, NULL::text, ch.placement_json(p_who, pl)::text,
	    false);
END
$$;

CREATE OR REPLACE FUNCTION ch.placement_update(p_who jsonb, p_id uuid,
    p_if_match integer[], p_patch jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	old	ch.placement := ch.placement_load(p_who, p_id, true);
	pl	ch.placement;
	d	jsonb;
BEGIN
	IF p_who->>'role' = 'participant' THEN
		PERFORM ch.fail(403, 'Placements are changed by the programme''s '
		    'staff or the organisation.');
	END IF;
	PERFORM ch.require_version(old.version, p_if_match, 'placement');
	IF old.status = 'ended' THEN
		PERFORM ch.fail(409, 'The placement has ended; it cannot '
		    'change any more.');
	END IF;
	IF p_patch ? 'note' AND p_who->>'role' = 'organization' THEN
		PERFORM ch.fail(403, 'The note is kept by the programme''s '
		    'staff.');
	END IF;
	d := ch.merge_patch(jsonb_strip_nulls(jsonb_build_object('status',
	    old.status, 'end_reason', old.end_reason, 'ended_on',
	    old.ended_on, 'note', old.note)), p_patch);
	IF d->>'status' = 'ended' THEN
		IF d->>'end_reason' IS NULL THEN
			PERFORM ch.fail(422, 'Ending a placement needs a reason.',
			    ch.err('/end_reason', 'required',
			    'end_reason is required to end a placement.'));
		END IF;
		d := d || jsonb_build_object('ended_on', coalesce(
		    d->>'ended_on', current_date::text));
		IF (d->>'ended_on')::date < old.started_on THEN
			PERFORM ch.fail(422, 'The end is before the start.',
			    ch.err('/ended_on', 'range',
			    'ended_on must not be before started_on.'));
		END IF;
	ELSIF d ? 'end_reason' OR d ? 'ended_on' THEN
		PERFORM ch.fail(422, 'Only an ending placement has an end.',
		    ch.err('/status', 'required', 'Set status to ended '
		    'together with end_reason.'));
	END IF;
	UPDATE ch.placement SET status = d->>'status',
	    end_reason = d->>'end_reason',
	    ended_on = (d->>'ended_on')::date, note = d->>'note'
	WHERE id = p_id RETURNING * INTO pl;
	PERFORM ch.audit_by(p_who, CASE WHEN pl.status = 'ended'
	    THEN 'placement.ended' ELSE 'placement.updated' END, 'placement',
	    pl.id, pl.district_id, jsonb_build_object('fields',
	    (SELECT jsonb_agg(k) FROM jsonb_object_keys(p_patch) k)));
	RETURN ROW(pl.version, NULL::text, ch.placement_json(p_who, pl)::text,
	    false);
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
	    'end_reason', pl.end_reason,
	    'erasure_due_at', pl.erasure_due_at, 'note', CASE WHEN p_who->>'role'
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
