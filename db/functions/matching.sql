-- Matching: the per-district settings, the job queue that ch-matcher
-- works off, and what a worker reads for a job and writes back.
--
-- The queue is this table and nothing else: a worker claims a job with
-- FOR UPDATE SKIP LOCKED, holds a lease it extends by heartbeat, and
-- stores the proposals together with the job's final state in one
-- transaction (ch.job_complete). Every claim leaves a row in
-- ch.matching_run, so the records show who ran which job when.
--
-- Each function here is its one current source: edit it in place, and
-- scripts/migrate.sh applies the file again (CREATE OR REPLACE). A
-- function whose arguments or result type change, or that goes away, is
-- dropped by a new migration in db/migrations/.


-- ---------------------------------------------------------------------
-- Settings

-- The features of each programme, in the engine's order (enum
-- engine_feature).
CREATE OR REPLACE FUNCTION ch.matching_features(p_programme text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_programme
	    WHEN 'partners' THEN ARRAY['interest', 'language', 'distance',
		'availability', 'waiting_time']
	    WHEN 'women' THEN ARRAY['occupation', 'goals', 'language',
		'distance', 'availability', 'waiting_time'] END;
$$;

-- The default weights of each programme's features, in points adding up
-- to 100.
CREATE OR REPLACE FUNCTION ch.matching_default_weights(p_programme text)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_programme
	    WHEN 'partners' THEN '{"interest": 30, "language": 20,
		"distance": 20, "availability": 20, "waiting_time": 10}'
	    WHEN 'women' THEN '{"occupation": 30, "goals": 20,
		"language": 15, "distance": 10, "availability": 15,
		"waiting_time": 10}' END::jsonb;
$$;

-- ---------------------------------------------------------------------
-- The worker's side (ch-matcher). SECURITY DEFINER: the worker reads
-- the people of every district, past row-level security, and only
-- through these functions.
--
-- The functions run for every job take generic plans: PL/pgSQL would
-- otherwise plan their statements again for each call's values (custom
-- plans), which cost as much as running them; the generic plans use the
-- same indexes.

CREATE OR REPLACE FUNCTION ch.job_notify_done(p_id uuid) RETURNS void
LANGUAGE sql AS $$
	SELECT pg_notify('ch_job_done', p_id::text);
$$;

-- Ends the run of a job whose lease ran out, and fails the job when it
-- has used all its attempts. Returns true when the job can run again.
CREATE OR REPLACE FUNCTION ch.job_lease_lost(j ch.matching_job) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE ch.matching_run SET ended_at = j.lease_until,
	    outcome = 'lease_expired'
	WHERE job_id = j.id AND attempt = j.attempts AND ended_at IS NULL;
	IF j.attempts < j.max_attempts THEN
		RETURN true;
	END IF;
	UPDATE ch.matching_job SET status = 'failed', lease_until = NULL,
	    finished_at = clock_timestamp(),
	    error = format('The job was started %s times and never finished; '
		'the last worker was %s.', j.attempts, j.worker)
	WHERE id = j.id;
	PERFORM ch.job_notify_done(j.id);
	RETURN false;
END
$$;

CREATE OR REPLACE FUNCTION ch.job_claim(p_worker text, p_lease integer)
RETURNS TABLE (id uuid, attempt integer, kind text, programme text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
	j	ch.matching_job;
BEGIN
	-- A job whose worker vanished comes first: it waited longest.
	LOOP
		SELECT * INTO j FROM ch.matching_job x
		WHERE x.status = 'running' AND x.lease_until < clock_timestamp()
		ORDER BY x.lease_until LIMIT 1 FOR UPDATE SKIP LOCKED;
		EXIT WHEN NOT FOUND;
		EXIT WHEN ch.job_lease_lost(j);
	END LOOP;
	IF j.id IS NULL THEN
		SELECT * INTO j FROM ch.matching_job x
		WHERE x.status = 'queued'
		ORDER BY x.created_at LIMIT 1 FOR UPDATE SKIP LOCKED;
		IF NOT FOUND THEN
			RETURN;
		END IF;
	END IF;
	UPDATE ch.matching_job x SET status = 'running',
	    attempts = x.attempts + 1, worker = p_worker,
	    lease_until = clock_timestamp() + make_interval(secs => p_lease),
	    started_at = coalesce(x.started_at, clock_timestamp())
	WHERE x.id = j.id RETURNING * INTO j;
	INSERT INTO ch.matching_run (job_id, attempt, worker)
	VALUES (j.id, j.attempts, p_worker);
	RETURN QUERY SELECT j.id, j.attempts, j.kind, j.programme;
END
$$;

-- Extends the leases of the jobs a worker holds. Answers the ids still
-- held, and those this very attempt finished meanwhile (a worker may
-- store its result just before the heartbeat comes): any other id was
-- lost to another worker or cancelled.
CREATE OR REPLACE FUNCTION ch.job_heartbeat(p_worker text, p_ids uuid[],
    p_attempts integer[], p_lease integer)
RETURNS uuid[] LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
AS $$
	WITH held AS (
		UPDATE ch.matching_job j SET lease_until = clock_timestamp()
		    + make_interval(secs => p_lease)
		FROM unnest(p_ids, p_attempts) AS h (id, attempt)
		WHERE j.id = h.id AND j.attempts = h.attempt
		    AND j.worker = p_worker AND j.status = 'running'
		RETURNING j.id),
	finished AS (
		SELECT r.job_id AS id FROM ch.matching_run r
		JOIN unnest(p_ids, p_attempts) AS h (id, attempt)
		    ON r.job_id = h.id AND r.attempt = h.attempt
		WHERE r.worker = p_worker
		    AND r.outcome IN ('succeeded', 'failed', 'retry'))
	SELECT coalesce(array_agg(DISTINCT id), '{}')
	FROM (SELECT id FROM held UNION ALL SELECT id FROM finished) x;
$$;

-- The job's own row, locked, if this worker's attempt still holds it.
CREATE OR REPLACE FUNCTION ch.job_held(p_id uuid, p_attempt integer, p_worker text)
RETURNS ch.matching_job LANGUAGE plpgsql AS $$
DECLARE
	j	ch.matching_job;
BEGIN
	SELECT * INTO j FROM ch.matching_job WHERE id = p_id FOR UPDATE;
	IF NOT FOUND OR j.status <> 'running' OR j.attempts <> p_attempt
	    OR j.worker IS DISTINCT FROM p_worker THEN
		RETURN NULL;
	END IF;
	RETURN j;
END
$$;

CREATE OR REPLACE FUNCTION ch.level_rank(p_level text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(array_position(ARRAY['a1', 'a2', 'b1', 'b2', 'c1',
	    'c2', 'native'], p_level), 0);
$$;

-- Codes as the engine's bit sets (enum engine_category, which follows
-- the taxonomy's order, whose codes never change; support areas in
-- ch.support_areas() order). Single expressions, inlined by the planner.
CREATE OR REPLACE FUNCTION ch.category_index(p_code text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
	SELECT array_position(ARRAY['sport', 'culture_music',
	    'school_kindergarten', 'church_religion', 'social', 'politics',
	    'civic_local', 'professional_interest', 'environment_animals',
	    'youth_adult_education', 'rescue_fire', 'health',
	    'justice_security', 'leisure_sociability', 'interreligious',
	    'women_network', 'work_experience'], p_code) - 1;
$$;

CREATE OR REPLACE FUNCTION ch.code_bits(p_codes text[], p_all text[]) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	c	text;
	i	integer;
	bits	bigint := 0;
BEGIN
	FOREACH c IN ARRAY coalesce(p_codes, '{}') LOOP
		i := array_position(p_all, c);
		IF i IS NOT NULL THEN
			bits := bits | (1::bigint << (i - 1));
		END IF;
	END LOOP;
	RETURN bits;
END
$$;

CREATE OR REPLACE FUNCTION ch.langs_engine(p jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	l	jsonb;
	r	jsonb := '[]';
BEGIN
	FOR l IN SELECT * FROM jsonb_array_elements(p) LOOP
		r := r || jsonb_build_object('code', l->>'code',
		    'level', ch.level_rank(l->>'level'));
	END LOOP;
	RETURN r;
END
$$;

-- Weights in the engine's units and order (enum engine_feature).
CREATE OR REPLACE FUNCTION ch.job_weights(w jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_array(
	    100 * coalesce((w->>'interest')::numeric::integer, 0),
	    100 * coalesce((w->>'occupation')::numeric::integer, 0),
	    100 * coalesce((w->>'goals')::numeric::integer, 0),
	    100 * coalesce((w->>'language')::numeric::integer, 0),
	    100 * coalesce((w->>'distance')::numeric::integer, 0),
	    100 * coalesce((w->>'availability')::numeric::integer, 0),
	    100 * coalesce((w->>'waiting_time')::numeric::integer, 0));
$$;

-- Moves on the epochs of the programmes named (a row trigger on a
-- proposal: its own programme only). Rows are locked in one order, so
-- two writers never wait for each other the other way round.
CREATE OR REPLACE FUNCTION ch.matching_epoch_bump() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	progs	text[] := TG_ARGV;
BEGIN
	IF TG_LEVEL = 'ROW' THEN
		progs := ARRAY[NEW.programme];
	END IF;
	PERFORM 1 FROM ch.matching_epoch WHERE programme = ANY (progs)
	ORDER BY programme FOR UPDATE;
	UPDATE ch.matching_epoch SET epoch = nextval('ch.matching_epoch_seq')
	WHERE programme = ANY (progs);
	RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER offer_epoch AFTER INSERT OR UPDATE OR DELETE ON ch.offer
	FOR EACH STATEMENT EXECUTE FUNCTION ch.matching_epoch_bump('partners');
CREATE OR REPLACE TRIGGER mentor_epoch AFTER INSERT OR UPDATE OR DELETE ON ch.mentor
	FOR EACH STATEMENT EXECUTE FUNCTION ch.matching_epoch_bump('women');
CREATE OR REPLACE TRIGGER place_epoch AFTER INSERT OR UPDATE OR DELETE ON ch.place
	FOR EACH STATEMENT
	EXECUTE FUNCTION ch.matching_epoch_bump('partners', 'women');
CREATE OR REPLACE TRIGGER settings_epoch AFTER UPDATE ON ch.matching_settings
	FOR EACH STATEMENT
	EXECUTE FUNCTION ch.matching_epoch_bump('partners', 'women');
CREATE OR REPLACE TRIGGER proposal_epoch AFTER UPDATE OF status ON ch.proposal
	FOR EACH ROW WHEN ((OLD.status = 'approved') <> (NEW.status = 'approved'))
	EXECUTE FUNCTION ch.matching_epoch_bump();

-- The JSON of every candidate of a programme (see matcher/daemon): open
-- offers or active mentors with their free places.
CREATE OR REPLACE FUNCTION ch.job_candidates_build(p_programme text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
	areas	text[] := ch.support_areas();
BEGIN
	IF p_programme = 'partners' THEN
		RETURN (SELECT
		    coalesce(jsonb_agg(jsonb_build_object('id', f.id,
			'district', f.district_id::integer,
			'has_place', pl.id IS NOT NULL,
			'lat', coalesce(pl.lat, 0), 'lon', coalesce(pl.lon, 0),
			'capacity', greatest(f.capacity - f.active_placements
			    - coalesce(a.n, 0), 0),
			'tags', to_jsonb(f.tags), 'support', 0,
			'availability', f.schedule,
			'age_min', coalesce(f.age_min, 0),
			'age_max', coalesce(f.age_max, 0),
			'category', ch.category_index(f.category),
			'online', f.online, 'women_only', f.audience = 'women',
			'active', true,
			'min_german', ch.level_rank(f.min_german_level),
			'langs', (SELECT jsonb_agg(jsonb_build_object('code',
			    l, 'level', 0)) FROM unnest(f.languages) l),
			'kldb', '') ORDER BY f.id), '[]')
		    FROM ch.offer f
		    LEFT JOIN ch.place pl ON pl.id = f.place_id
		    LEFT JOIN (SELECT x.offer_id, count(*)::integer AS n
			FROM ch.proposal x WHERE x.status = 'approved'
			AND x.expires_at > now() GROUP BY x.offer_id) a
			ON a.offer_id = f.id
		    WHERE f.status = 'open')::text;
	ELSE
		RETURN (SELECT
		    coalesce(jsonb_agg(jsonb_build_object('id', m.id,
			'district', m.district_id::integer,
			'has_place', pl.id IS NOT NULL,
			'lat', coalesce(pl.lat, 0), 'lon', coalesce(pl.lon, 0),
			'capacity', greatest(m.capacity - m.active_tandems
			    - coalesce(a.n, 0), 0),
			'tags', '[]'::jsonb,
			'support', ch.code_bits(m.support_areas, areas),
			'availability', m.availability,
			'age_min', 0, 'age_max', 0, 'category', 0,
			'online', m.online_ok, 'women_only', true,
			'active', true, 'min_german', 0,
			'langs', ch.langs_engine(m.languages),
			'kldb', m.occupational_field) ORDER BY m.id), '[]')
		    FROM ch.mentor m
		    LEFT JOIN ch.place pl ON pl.id = m.home_place_id
		    LEFT JOIN (SELECT x.mentor_id, count(*)::integer AS n
			FROM ch.proposal x WHERE x.status = 'approved'
			AND x.expires_at > now() GROUP BY x.mentor_id) a
			ON a.mentor_id = m.id
		    WHERE m.status = 'active')::text;
	END IF;
END
$$;

-- The part of every job's input that only changes with the epoch, as
-- members of a JSON object: "epoch", the districts' weights, and the
-- candidates unless the caller holds this epoch's already (a worker
-- keeps the candidates of the last job it ran).
CREATE OR REPLACE FUNCTION ch.job_candidates(p_programme text, p_known bigint)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	e	bigint;
	w	text;
	d	text;
BEGIN
	SELECT epoch INTO e FROM ch.matching_epoch WHERE programme = p_programme;
	SELECT c.weights, CASE WHEN e IS DISTINCT FROM p_known THEN c.doc END
	INTO w, d FROM ch.matching_candidates c
	WHERE c.programme = p_programme AND c.epoch = e;
	IF NOT FOUND THEN
		d := ch.job_candidates_build(p_programme);
		w := '"default_weights": ' || ch.job_weights(
		    ch.matching_default_weights(p_programme))::text
		    || ', "weights": ' || (SELECT coalesce(jsonb_agg(
			jsonb_build_object('district', s.district_id::integer,
			'w', ch.job_weights(s.weights))), '[]')
			FROM ch.matching_settings s
			WHERE s.programme = p_programme)::text;
		INSERT INTO ch.matching_candidates (programme, epoch, doc,
		    weights)
		VALUES (p_programme, e, d, w) ON CONFLICT DO NOTHING;
		-- Older epochs go once no job can be reading them any more.
		DELETE FROM ch.matching_candidates
		WHERE programme = p_programme AND epoch < e
		    AND created_at < now() - interval '1 minute';
	END IF;
	RETURN '"epoch": ' || e || ', ' || w || CASE WHEN e IS DISTINCT FROM
	    p_known THEN ', "candidates": ' || d ELSE '' END;
END
$$;

-- The engine's input for a claimed job (see matcher/daemon): subjects,
-- candidates with their free places, the pairs never to propose, the
-- weights of every district and the minimum score. p_known: the epoch
-- of the candidates the caller holds, which are then left out.
CREATE OR REPLACE FUNCTION ch.job_input(p_id uuid, p_known bigint DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	j		ch.matching_job;
	subjects	uuid[];
	areas		text[] := ch.support_areas();
	doc		jsonb;
BEGIN
	SELECT * INTO j FROM ch.matching_job WHERE id = p_id;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	-- The subjects: the one person of a suggest job, or the cohort:
	-- everyone of the districts who waits (partners) or is a mentee
	-- without a tandem (women), with consent to be matched.
	IF j.kind = 'suggest' THEN
		subjects := ARRAY[j.participant_id];
	ELSIF j.programme = 'partners' THEN
		SELECT array_agg(p.id ORDER BY p.id) INTO subjects
		FROM ch.participant p
		WHERE p.district_id = ANY (j.district_ids)
		    AND p.status = 'waiting' AND EXISTS (SELECT 1
			FROM ch.consent c WHERE c.participant_id = p.id
			AND c.purpose = 'matching' AND c.withdrawn_at IS NULL);
	ELSE
		SELECT array_agg(p.id ORDER BY p.id) INTO subjects
		FROM ch.participant p JOIN ch.mentee_profile mp
		    ON mp.participant_id = p.id
		WHERE p.district_id = ANY (j.district_ids)
		    AND p.status IN ('waiting', 'placed')
		    AND NOT EXISTS (SELECT 1 FROM ch.tandem t
			WHERE t.participant_id = p.id AND t.status = 'active')
		    AND EXISTS (SELECT 1 FROM ch.consent c
			WHERE c.participant_id = p.id
			AND c.purpose = 'matching' AND c.withdrawn_at IS NULL);
	END IF;
	subjects := coalesce(subjects, '{}');

	doc := jsonb_build_object('kind', j.kind, 'programme', j.programme,
	    'k', j.k,
	    'min_score', 100 * coalesce(j.min_score, (SELECT s.min_score
		FROM ch.matching_settings s WHERE s.programme = j.programme
		AND s.district_id = j.district_ids[1]), 0));

	doc := doc || jsonb_build_object('subjects', (SELECT coalesce(
	    jsonb_agg(jsonb_build_object('id', p.id,
		'district', p.district_id::integer,
		'has_place', pl.id IS NOT NULL, 'lat', coalesce(pl.lat, 0),
		'lon', coalesce(pl.lon, 0),
		'radius_m', p.mobility_radius_km * 1000,
		'waiting_days', coalesce(extract(day FROM now()
		    - p.waiting_since)::integer, 0),
		'interests', (SELECT coalesce(sum(DISTINCT 1 <<
		    ch.category_index(i)), 0) FROM unnest(p.interests) i
		    WHERE ch.category_index(i) IS NOT NULL),
		'goals', ch.code_bits(mp.goals, areas),
		'availability', CASE WHEN j.programme = 'women'
		    AND mp.availability <> 0 THEN mp.availability
		    ELSE p.availability END,
		'age', CASE WHEN p.birth_year IS NULL THEN 0 ELSE
		    greatest(extract(year FROM current_date)::integer
		    - p.birth_year, 1) END,
		'gender', coalesce(array_position(ARRAY['female', 'male',
		    'diverse'], p.gender), 0),
		'active', p.status IN ('waiting', 'placed')
		    AND (j.programme = 'partners' OR (mp.participant_id
			IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ch.tandem t
			WHERE t.participant_id = p.id
			AND t.status = 'active'))),
		-- ch.has_consent, as a join the planner can use.
		'consent_matching', EXISTS (SELECT 1 FROM ch.consent c
		    WHERE c.participant_id = p.id AND c.purpose = 'matching'
		    AND c.withdrawn_at IS NULL),
		'consent_cross_district', EXISTS (SELECT 1 FROM ch.consent c
		    WHERE c.participant_id = p.id
		    AND c.purpose = 'cross_district'
		    AND c.withdrawn_at IS NULL),
		'langs', ch.langs_engine(ch.with_german(p.languages,
		    mp.german_level)),
		'kldb', coalesce(mp.target_occupational_field, ''))
	    ORDER BY p.id), '[]')
	    FROM ch.participant p
	    -- Looked up per person by key (OFFSET 0 keeps them so): most
	    -- jobs have one subject, and hashing every place for her would
	    -- cost more than the rest of the input.
	    LEFT JOIN LATERAL (SELECT x.id, x.lat, x.lon FROM ch.place x
		WHERE x.id = p.home_place_id OFFSET 0) pl ON true
	    LEFT JOIN LATERAL (SELECT x.* FROM ch.mentee_profile x
		WHERE x.participant_id = p.id OFFSET 0) mp ON true
	    WHERE p.id = ANY (subjects)));

	-- Never again: declined, rejected or ended pairs (kind 1); and not
	-- twice: pairs proposed and still open, or placed (kind 0).
	doc := doc || jsonb_build_object('excluded', (SELECT coalesce(
	    jsonb_agg(jsonb_build_object('subject', x.s, 'candidate', x.c,
	    'kind', x.k)), '[]') FROM (
		SELECT pr.participant_id AS s,
		    coalesce(pr.offer_id, pr.mentor_id) AS c,
		    min(CASE WHEN pr.status IN ('declined', 'rejected')
			THEN 1 ELSE 0 END) AS k
		FROM ch.proposal pr
		WHERE pr.participant_id = ANY (subjects)
		    AND pr.programme = j.programme
		    AND pr.status IN ('declined', 'rejected', 'pending',
			'approved', 'accepted')
		GROUP BY 1, 2
		UNION ALL
		SELECT pl.participant_id, pl.offer_id,
		    CASE WHEN pl.status = 'ended' THEN 1 ELSE 0 END
		FROM ch.placement pl
		WHERE j.programme = 'partners'
		    AND pl.participant_id = ANY (subjects)
		UNION ALL
		SELECT t.participant_id, t.mentor_id,
		    CASE WHEN t.status = 'active' THEN 0 ELSE 1 END
		FROM ch.tandem t
		WHERE j.programme = 'women'
		    AND t.participant_id = ANY (subjects)) x));
	-- The candidates and weights, built once per change of the data
	-- they come from.
	RETURN '{' || ch.job_candidates(j.programme, p_known) || ', '
	    || substr(doc::text, 2);
END
$$;

-- A person who may be proposed now: active, consented to matching (the
-- set-based queries of the worker, ch.job_input and ch.job_complete, say
-- the same as a join the planner can use).
CREATE OR REPLACE FUNCTION ch.participant_matchable(p ch.participant) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT p.status IN ('waiting', 'placed')
	    AND ch.has_consent(p.id, 'matching');
$$;

CREATE OR REPLACE FUNCTION ch.job_fail(p_id uuid, p_attempt integer, p_worker text,
    p_error text, p_retry boolean)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	j	ch.matching_job := ch.job_held(p_id, p_attempt, p_worker);
	again	boolean;
BEGIN
	IF j.id IS NULL THEN
		RETURN false;
	END IF;
	again := p_retry AND j.attempts < j.max_attempts;
	UPDATE ch.matching_run SET ended_at = clock_timestamp(),
	    outcome = CASE WHEN again THEN 'retry' ELSE 'failed' END
	WHERE job_id = j.id AND attempt = p_attempt;
	UPDATE ch.matching_job SET lease_until = NULL,
	    status = CASE WHEN again THEN 'queued' ELSE 'failed' END,
	    finished_at = CASE WHEN again THEN NULL
		ELSE clock_timestamp() END,
	    error = left(p_error, 1000)
	WHERE id = j.id;
	IF again THEN
		PERFORM pg_notify('ch_job_new', '');
	ELSE
		PERFORM ch.job_notify_done(j.id);
	END IF;
	RETURN true;
END
$$;

-- ---------------------------------------------------------------------
-- The API's side: settings

CREATE OR REPLACE FUNCTION ch.matching_settings_json(s ch.matching_settings)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('district_id', s.district_id,
	    'programme', s.programme, 'weights', s.weights,
	    'min_score', s.min_score,
	    'proposal_ttl_hours', s.proposal_ttl_hours,
	    'version', s.version, 'updated_at', s.updated_at);
$$;

CREATE OR REPLACE FUNCTION ch.matching_settings_load(p_who jsonb, p_district text,
    p_programme text, p_lock boolean)
RETURNS ch.matching_settings LANGUAGE plpgsql AS $$
DECLARE
	s	ch.matching_settings;
BEGIN
	IF p_lock THEN
		SELECT * INTO s FROM ch.matching_settings
		WHERE district_id = p_district AND programme = p_programme
		FOR UPDATE;
	ELSE
		SELECT * INTO s FROM ch.matching_settings
		WHERE district_id = p_district AND programme = p_programme;
	END IF;
	IF NOT FOUND OR NOT (p_who->>'role' = 'state_admin'
	    OR ch.is_staff(p_who, p_district)) THEN
		PERFORM ch.fail(404, 'No matching settings here for you.');
	END IF;
	RETURN s;
END
$$;

CREATE OR REPLACE FUNCTION ch.matching_settings_get(p_who jsonb, p_district text,
    p_programme text)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	s	ch.matching_settings := ch.matching_settings_load(p_who,
		    p_district, p_programme, false);
BEGIN
	RETURN ROW(s.version, NULL::text, ch.matching_settings_json(s)::text,
	    false);
END
$$;

CREATE OR REPLACE FUNCTION ch.matching_settings_put(p_who jsonb, p_district text,
    p_programme text, p_if_match integer[], p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	old	ch.matching_settings := ch.matching_settings_load(p_who,
		    p_district, p_programme, true);
	s	ch.matching_settings;
	feats	text[] := ch.matching_features(p_programme);
	w	jsonb := p_body->'weights';
	e	jsonb := '[]';
	k	text;
BEGIN
	IF p_who->>'role' <> 'coordinator' THEN
		PERFORM ch.fail(403, 'The district''s coordinator sets its '
		    'matching weights.');
	END IF;
	PERFORM ch.require_version(old.version, p_if_match, 'settings', true);
	FOR k IN SELECT jsonb_object_keys(w) LOOP
		IF NOT k = ANY (feats) THEN
			e := e || ch.err('/weights/' || k, 'unknown', format(
			    'The %s programme has no feature %s; its features '
			    'are %s.', p_programme, k,
			    array_to_string(feats, ', ')));
		END IF;
	END LOOP;
	FOREACH k IN ARRAY feats LOOP
		IF NOT w ? k THEN
			e := e || ch.err('/weights/' || k, 'required',
			    format('The weight of %s is missing.', k));
		END IF;
	END LOOP;
	IF jsonb_array_length(e) = 0 AND (SELECT sum((v)::numeric)
	    FROM jsonb_each_text(w) AS x (f, v)) <> 100 THEN
		e := e || ch.err('/weights', 'sum',
		    'The weights must add up to 100 points.');
	END IF;
	PERFORM ch.fail_invalid(e, 'The matching settings are invalid.');
	-- 30.0 is a valid integer in JSON: stored as 30.
	w := (SELECT jsonb_object_agg(f, v::numeric::integer)
	    FROM jsonb_each_text(w) AS x (f, v));
	UPDATE ch.matching_settings SET weights = w,
	    min_score = (p_body->>'min_score')::numeric::integer,
	    proposal_ttl_hours =
		(p_body->>'proposal_ttl_hours')::numeric::integer,
	    updated_by = p_who->>'actor'
	WHERE district_id = p_district AND programme = p_programme
	RETURNING * INTO s;
	PERFORM ch.audit_by(p_who, 'matching_settings.updated',
	    'matching_settings', NULL, p_district, jsonb_build_object(
	    'programme', p_programme,
	    'before', ch.matching_settings_json(old) - 'version' - 'updated_at',
	    'after', ch.matching_settings_json(s) - 'version' - 'updated_at'));
	RETURN ROW(s.version, NULL::text, ch.matching_settings_json(s)::text,
	    false);
END
$$;

-- ---------------------------------------------------------------------
-- The API's side: jobs

CREATE OR REPLACE FUNCTION ch.matching_job_json(j ch.matching_job) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', j.id, 'kind', j.kind,
	    'programme', j.programme, 'status', j.status,
	    'participant_id', j.participant_id, 'district_ids', j.district_ids,
	    'k', j.k, 'min_score', j.min_score, 'attempts', j.attempts,
	    'max_attempts', j.max_attempts,
	    'error', CASE WHEN j.status = 'failed' THEN j.error END,
	    'statistics', j.stats, 'proposals', j.proposals,
	    'created_at', j.created_at, 'started_at', j.started_at,
	    'finished_at', j.finished_at,
	    'timings', jsonb_build_object(
		'queued_ms', round(extract(epoch FROM (coalesce(j.started_at,
		    CASE WHEN j.status = 'cancelled' THEN j.finished_at END)
		    - j.created_at)) * 1000, 1),
		'run_ms', round(extract(epoch FROM (j.finished_at
		    - j.started_at)) * 1000, 1),
		'total_ms', round(extract(epoch FROM (j.finished_at
		    - j.created_at)) * 1000, 1)),
	    'proposals_url', CASE WHEN j.status = 'succeeded' THEN
		'/v1/matching/jobs/' || j.id || '/proposals' END,
	    'version', j.version, 'updated_at', j.updated_at);
$$;

CREATE OR REPLACE FUNCTION ch.matching_job_visible(p_who jsonb, j ch.matching_job)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT coalesce(j.created_by_user::text = p_who->>'user'
	    OR (p_who->>'role' IN ('coordinator', 'assistant')
		AND p_who->>'district' = ANY (j.district_ids))
	    OR (p_who->>'role' = 'state_admin' AND j.kind <> 'suggest'),
	    false);
$$;

CREATE OR REPLACE FUNCTION ch.matching_job_load(p_who jsonb, p_id uuid,
    p_lock boolean DEFAULT false)
RETURNS ch.matching_job LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	j	ch.matching_job;
BEGIN
	PERFORM ch.enter(p_who);
	IF p_lock THEN
		SELECT * INTO j FROM ch.matching_job WHERE id = p_id FOR UPDATE;
	ELSE
		SELECT * INTO j FROM ch.matching_job WHERE id = p_id;
	END IF;
	IF NOT FOUND OR NOT ch.matching_job_visible(p_who, j) THEN
		PERFORM ch.fail_missing('matching job');
	END IF;
	RETURN j;
END
$$;

CREATE OR REPLACE FUNCTION ch.matching_job_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	j	ch.matching_job := ch.matching_job_load(p_who, p_id);
BEGIN
	RETURN ROW(j.version, NULL::text, ch.matching_job_json(j)::text, false);
END
$$;

-- {"kind": "suggest", "programme", "participant_id", "k", "min_score"}
-- {"kind": "batch" | "stable", "programme", "district_ids", "min_score"}
-- Suggest: the participant's district staff. Batch and stable: the
-- coordinator for her district, the state admin for any districts.
CREATE OR REPLACE FUNCTION ch.matching_job_create(p_who jsonb, p_key text,
    p_hash text, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	r		ch.result;
	p		ch.participant;
	j		ch.matching_job;
	kind		text := p_body->>'kind';
	prog		text := p_body->>'programme';
	districts	text[];
	e		jsonb := '[]';
	d		text;
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	IF kind = 'suggest' THEN
		IF p_body ? 'district_ids' THEN
			e := e || ch.err('/district_ids', 'not_allowed',
			    'A suggest job takes participant_id, not '
			    'district_ids.');
		END IF;
		IF NOT p_body ? 'participant_id' THEN
			e := e || ch.err('/participant_id', 'required',
			    'A suggest job needs participant_id.');
		END IF;
		PERFORM ch.fail_invalid(e, 'The matching job is invalid.');
		IF p_who->>'role' NOT IN ('coordinator', 'assistant') THEN
			PERFORM ch.fail(403, 'Suggestions are requested by the '
			    'programme''s staff of the participant''s '
			    'district.');
		END IF;
		SELECT * INTO p FROM ch.participant
		WHERE id = (p_body->>'participant_id')::uuid;
		IF NOT FOUND OR NOT ch.is_staff(p_who, p.district_id) THEN
			PERFORM ch.fail(422, 'The matching job is invalid.',
			    ch.err('/participant_id', 'unknown', 'There is no '
			    'participant with this id in your district.'));
		END IF;
		IF prog = 'women' AND NOT EXISTS (SELECT 1
		    FROM ch.mentee_profile x WHERE x.participant_id = p.id) THEN
			PERFORM ch.fail(409, 'The participant has no mentee '
			    'profile; Connecting Women suggestions need one.',
			    ch.err('/participant_id', 'no_mentee_profile',
			    'Create the mentee profile first.'));
		END IF;
		districts := ARRAY[p.district_id];
	ELSE
		IF p_body ? 'participant_id' OR p_body ? 'k' THEN
			e := e || ch.err(CASE WHEN p_body ? 'k' THEN '/k'
			    ELSE '/participant_id' END, 'not_allowed',
			    'Only a suggest job takes participant_id and k.');
		END IF;
		IF NOT p_body ? 'district_ids' THEN
			e := e || ch.err('/district_ids', 'required',
			    'A ' || kind || ' job needs district_ids.');
		END IF;
		IF kind = 'stable' AND prog <> 'women' THEN
			e := e || ch.err('/programme', 'stable_women_only',
			    'Stable matching is for the women programme.');
		END IF;
		PERFORM ch.fail_invalid(e, 'The matching job is invalid.');
		SELECT array_agg(DISTINCT x ORDER BY x) INTO districts
		FROM jsonb_array_elements_text(p_body->'district_ids') x;
		FOREACH d IN ARRAY districts LOOP
			IF NOT EXISTS (SELECT 1 FROM ch.district x
			    WHERE x.id = d) THEN
				PERFORM ch.fail(422, 'The matching job is '
				    'invalid.', ch.err('/district_ids',
				    'unknown', 'There is no district ' || d
				    || '.'));
			END IF;
		END LOOP;
		IF NOT (p_who->>'role' = 'state_admin'
		    OR (p_who->>'role' = 'coordinator'
		    AND districts = ARRAY[p_who->>'district'])) THEN
			PERFORM ch.fail(403, 'A cohort job is requested by the '
			    'coordinator for her own district, or by the state '
			    'admin.');
		END IF;
	END IF;

	INSERT INTO ch.matching_job (kind, programme, district_ids,
	    participant_id, k, min_score, created_by, created_by_user)
	VALUES (kind, prog, districts, p.id, CASE WHEN kind = 'suggest' THEN
	    coalesce((p_body->>'k')::numeric::integer, 5) END,
	    (p_body->>'min_score')::numeric::integer, p_who->>'actor',
	    (p_who->>'user')::uuid)
	RETURNING * INTO j;
	PERFORM pg_notify('ch_job_new', '');
	PERFORM ch.audit_by(p_who, 'matching_job.created', 'matching_job',
	    j.id, districts[1], jsonb_build_object('kind', kind,
	    'programme', prog, 'districts', districts));
	RETURN ch.idem_finish(p_who, p_key, p_hash, ROW(j.version,
	    '/v1/matching/jobs/' || j.id, ch.matching_job_json(j)::text,
	    false));
END
$$;

-- Cancels a queued job; one that runs or ran is a 409. Whoever asked
-- for it, or a coordinator of its district, may cancel it.
CREATE OR REPLACE FUNCTION ch.matching_job_cancel(p_who jsonb, p_id uuid,
    p_if_match integer[])
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	j	ch.matching_job := ch.matching_job_load(p_who, p_id, true);
BEGIN
	IF NOT (coalesce(j.created_by_user::text = p_who->>'user', false)
	    OR (p_who->>'role' = 'coordinator'
		AND p_who->>'district' = ANY (j.district_ids))) THEN
		PERFORM ch.fail(403, 'A job is cancelled by whoever asked for '
		    'it or by the district''s coordinator.');
	END IF;
	PERFORM ch.require_version(j.version, p_if_match, 'job');
	IF j.status <> 'queued' THEN
		PERFORM ch.fail(409, 'Only a queued job can be cancelled; this '
		    'one is ' || j.status || '.', NULL, 'job-not-queued');
	END IF;
	UPDATE ch.matching_job SET status = 'cancelled',
	    finished_at = clock_timestamp()
	WHERE id = j.id;
	PERFORM ch.job_notify_done(j.id);
	PERFORM ch.audit_by(p_who, 'matching_job.cancelled', 'matching_job',
	    j.id, j.district_ids[1]);
	RETURN ROW(NULL::integer, NULL::text, NULL::text, false);
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
-- Figures for GET /metrics (api/metrics.c)

-- The job queue as counts: jobs queued and running, and jobs ended, by
-- kind and state; how long the oldest queued job has waited; running
-- jobs whose lease ran out; attempts by outcome. One row per figure
-- (family, kind, label, value; '' where a figure has no kind or label),
-- every kind and state listed even at 0, never a job, an id or a person.
-- SECURITY DEFINER so that the figures cover every job whatever the
-- API's role may read of the queue itself; db/privileges.sql opens it to
-- the API, and to nobody else.
CREATE OR REPLACE FUNCTION ch.metrics_jobs()
RETURNS TABLE (family text, kind text, label text, value double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
	WITH j AS (
		SELECT x.kind, x.status, count(*) AS n,
		    min(x.created_at) FILTER (WHERE x.status = 'queued')
			AS oldest,
		    count(*) FILTER (WHERE x.status = 'running'
			AND x.lease_until < now()) AS expired
		FROM ch.matching_job x GROUP BY x.kind, x.status),
	kinds (kind) AS (
		VALUES ('suggest'), ('batch'), ('stable')
		UNION SELECT j.kind FROM j),
	states (family, state) AS (
		VALUES ('jobs', 'queued'), ('jobs', 'running'),
		    ('finished', 'succeeded'), ('finished', 'failed'),
		    ('finished', 'cancelled'))
	SELECT s.family, k.kind, s.state, coalesce(j.n, 0)::float8
	FROM kinds k CROSS JOIN states s
	LEFT JOIN j ON j.kind = k.kind AND j.status = s.state
	UNION ALL
	SELECT 'oldest_queued_seconds', '', '', coalesce(extract(epoch FROM
	    now() - min(j.oldest)), 0)::float8
	FROM j
	UNION ALL
	SELECT 'leases_expired', '', '', coalesce(sum(j.expired), 0)::float8
	FROM j
	UNION ALL
	SELECT 'runs', '', o.outcome, (SELECT count(*) FROM ch.matching_run r
	    WHERE r.outcome = o.outcome)::float8
	FROM (VALUES ('succeeded'), ('failed'), ('retry'), ('lease_expired'))
	    AS o (outcome)
	ORDER BY 1, 2, 3;
$$;
