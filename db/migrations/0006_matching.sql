-- Matching: the per-district settings, the job queue that ch-matcher
-- works off, the proposals it writes and their review workflow
-- (DESIGN.md sections 7 and 8).
--
-- The queue is this table and nothing else: a worker claims a job with
-- FOR UPDATE SKIP LOCKED, holds a lease it extends by heartbeat, and
-- stores the proposals together with the job's final state in one
-- transaction (ch.job_complete). Every claim leaves a row in
-- ch.matching_run, so the records show who ran which job when.

-- ---------------------------------------------------------------------
-- Settings

-- The features of each programme, in the engine's order (enum
-- engine_feature), with their default weights in points.
CREATE FUNCTION ch.matching_features(p_programme text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_programme
	    WHEN 'partners' THEN ARRAY['interest', 'language', 'distance',
		'availability', 'waiting_time']
	    WHEN 'women' THEN ARRAY['occupation', 'goals', 'language',
		'distance', 'availability', 'waiting_time'] END;
$$;

CREATE FUNCTION ch.matching_default_weights(p_programme text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_programme
	    WHEN 'partners' THEN '{"interest": 30, "language": 20,
		"distance": 20, "availability": 20, "waiting_time": 10}'
	    WHEN 'women' THEN '{"occupation": 30, "goals": 20,
		"language": 15, "distance": 10, "availability": 15,
		"waiting_time": 10}' END::jsonb;
$$;

CREATE TABLE ch.matching_settings (
	district_id	text NOT NULL REFERENCES ch.district (id),
	programme	text NOT NULL CHECK (programme IN ('partners', 'women')),
	-- {"interest": 30, ...}: the programme's features, points adding up
	-- to 100 (checked by ch.matching_settings_put).
	weights		jsonb NOT NULL,
	min_score	integer NOT NULL DEFAULT 0
	    CHECK (min_score BETWEEN 0 AND 100),
	proposal_ttl_hours integer NOT NULL DEFAULT 336
	    CHECK (proposal_ttl_hours BETWEEN 1 AND 2160),
	updated_by	text,
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (district_id, programme)
);
CREATE TRIGGER matching_settings_touch BEFORE UPDATE ON ch.matching_settings
	FOR EACH ROW EXECUTE FUNCTION ch.touch();

INSERT INTO ch.matching_settings (district_id, programme, weights)
SELECT d.id, p.programme, ch.matching_default_weights(p.programme)
FROM ch.district d
CROSS JOIN (VALUES ('partners'), ('women')) AS p (programme);

-- ---------------------------------------------------------------------
-- Jobs

CREATE TABLE ch.matching_job (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	kind		text NOT NULL CHECK (kind IN ('suggest', 'batch',
			    'stable')),
	programme	text NOT NULL CHECK (programme IN ('partners', 'women')),
	-- The subject's district (suggest) or the cohort's districts.
	district_ids	text[] NOT NULL CHECK (cardinality(district_ids)
			    BETWEEN 1 AND 6),
	participant_id	uuid REFERENCES ch.participant (id),
	k		integer CHECK (k BETWEEN 1 AND 20),
	-- As requested; NULL: the district's setting at run time.
	min_score	integer CHECK (min_score BETWEEN 0 AND 100),
	status		text NOT NULL DEFAULT 'queued'
	    CHECK (status IN ('queued', 'running', 'succeeded', 'failed',
		'cancelled')),
	attempts	integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	max_attempts	integer NOT NULL DEFAULT 3
	    CHECK (max_attempts BETWEEN 1 AND 10),
	worker		text,
	lease_until	timestamptz,
	error		text,
	stats		jsonb,
	proposals	integer,
	created_by	text NOT NULL,
	created_by_user	uuid,
	created_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	started_at	timestamptz,
	finished_at	timestamptz,
	version		integer NOT NULL DEFAULT 1,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK ((kind = 'suggest') = (participant_id IS NOT NULL)),
	CHECK ((kind = 'suggest') = (k IS NOT NULL)),
	CHECK (kind <> 'stable' OR programme = 'women'),
	CHECK ((status = 'running') = (lease_until IS NOT NULL)),
	CHECK ((status IN ('succeeded', 'failed', 'cancelled'))
	    = (finished_at IS NOT NULL))
);
CREATE TRIGGER matching_job_touch BEFORE UPDATE ON ch.matching_job
	FOR EACH ROW EXECUTE FUNCTION ch.touch();
CREATE INDEX matching_job_queued ON ch.matching_job (created_at)
    WHERE status = 'queued';
CREATE INDEX matching_job_leases ON ch.matching_job (lease_until)
    WHERE status = 'running';

-- One row per claim: which worker ran which attempt, from when to when,
-- and how it ended. A lease that ran out ends its run at lease_until.
CREATE TABLE ch.matching_run (
	job_id		uuid NOT NULL
	    REFERENCES ch.matching_job (id) ON DELETE CASCADE,
	attempt		integer NOT NULL CHECK (attempt >= 1),
	worker		text NOT NULL,
	started_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	ended_at	timestamptz,
	outcome		text CHECK (outcome IN ('succeeded', 'failed',
			    'retry', 'lease_expired')),
	PRIMARY KEY (job_id, attempt),
	CHECK ((ended_at IS NULL) = (outcome IS NULL))
);

-- ---------------------------------------------------------------------
-- Proposals

CREATE TABLE ch.proposal (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	job_id		uuid NOT NULL REFERENCES ch.matching_job (id),
	programme	text NOT NULL CHECK (programme IN ('partners', 'women')),
	participant_id	uuid NOT NULL REFERENCES ch.participant (id),
	offer_id	uuid REFERENCES ch.offer (id),
	mentor_id	uuid REFERENCES ch.mentor (id),
	-- Copies for the policies: the participant's district, the offer's
	-- organisation, the mentor's account.
	district_id	text NOT NULL REFERENCES ch.district (id),
	organization_id	uuid REFERENCES ch.organization (id),
	mentor_user_id	uuid REFERENCES ch.app_user (id),
	score		integer NOT NULL CHECK (score BETWEEN 0 AND 10000),
	rank		integer NOT NULL CHECK (rank >= 1),
	explanation	jsonb NOT NULL,
	status		text NOT NULL DEFAULT 'pending'
	    CHECK (status IN ('pending', 'approved', 'rejected', 'accepted',
		'declined', 'expired', 'invalidated')),
	reviewed_by	text,
	reviewed_at	timestamptz,
	review_reason	text CHECK (review_reason IN ('not_suitable',
			    'schedule', 'distance', 'capacity',
			    'participant_unavailable', 'other')),
	review_note	text CHECK (length(review_note) <= 500),
	subject_answer	text CHECK (subject_answer IN ('accepted',
			    'declined')),
	subject_answered_at timestamptz,
	subject_answered_by text,
	candidate_answer text CHECK (candidate_answer IN ('accepted',
			    'declined')),
	candidate_answered_at timestamptz,
	candidate_answered_by text,
	decline_reason	text CHECK (decline_reason IN ('not_interested',
			    'schedule', 'distance', 'no_capacity', 'other')),
	invalidated_reason text CHECK (invalidated_reason IN (
			    'consent_withdrawn', 'participant_inactive',
			    'offer_not_open', 'mentor_not_active')),
	placement_id	uuid REFERENCES ch.placement (id),
	tandem_id	uuid REFERENCES ch.tandem (id),
	expires_at	timestamptz NOT NULL,
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK ((programme = 'partners') = (offer_id IS NOT NULL)),
	CHECK ((programme = 'women') = (mentor_id IS NOT NULL)),
	CHECK ((programme = 'partners') = (organization_id IS NOT NULL)),
	CHECK ((programme = 'women') = (mentor_user_id IS NOT NULL)),
	CHECK ((status = 'invalidated') = (invalidated_reason IS NOT NULL)),
	CHECK ((status = 'accepted') = (placement_id IS NOT NULL
	    OR tandem_id IS NOT NULL))
);
CREATE TRIGGER proposal_touch BEFORE UPDATE ON ch.proposal
	FOR EACH ROW EXECUTE FUNCTION ch.touch();
-- An open pair is proposed by one job only.
CREATE UNIQUE INDEX proposal_open_pair
    ON ch.proposal (participant_id, coalesce(offer_id, mentor_id))
    WHERE status IN ('pending', 'approved');
CREATE INDEX proposal_job ON ch.proposal (job_id, rank, id);
-- The pairs a job must leave out (ch.job_input): a person's expired and
-- invalidated proposals do not count, however many there are.
CREATE INDEX proposal_exclusions ON ch.proposal (participant_id)
    WHERE status IN ('declined', 'rejected', 'pending', 'approved',
	'accepted');
CREATE INDEX proposal_district ON ch.proposal (district_id, updated_at, id);
CREATE INDEX proposal_approved_offer ON ch.proposal (offer_id)
    WHERE status = 'approved';
CREATE INDEX proposal_approved_mentor ON ch.proposal (mentor_id)
    WHERE status = 'approved';
CREATE INDEX proposal_open_expiry ON ch.proposal (expires_at)
    WHERE status IN ('pending', 'approved');

-- Row-level security, the second wall: staff of the participant's
-- district; the participant; the offer's organisation and the mentor
-- once staff approved the proposal.
ALTER TABLE ch.proposal ENABLE ROW LEVEL SECURITY;
CREATE POLICY staff ON ch.proposal TO ch_app
    USING (ch.setting('role') IN ('coordinator', 'assistant')
	AND district_id = ch.setting('district'));
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

-- The status as everyone sees it: an open proposal past its time is
-- expired at once, before the sweep writes it down.
CREATE FUNCTION ch.proposal_status(x ch.proposal) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN x.status IN ('pending', 'approved')
	    AND x.expires_at <= now() THEN 'expired' ELSE x.status END;
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

CREATE FUNCTION ch.job_notify_done(p_id uuid) RETURNS void
LANGUAGE sql AS $$
	SELECT pg_notify('ch_job_done', p_id::text);
$$;

-- Ends the run of a job whose lease ran out, and fails the job when it
-- has used all its attempts. Returns true when the job can run again.
CREATE FUNCTION ch.job_lease_lost(j ch.matching_job) RETURNS boolean
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

CREATE FUNCTION ch.job_claim(p_worker text, p_lease integer)
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
CREATE FUNCTION ch.job_heartbeat(p_worker text, p_ids uuid[],
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
CREATE FUNCTION ch.job_held(p_id uuid, p_attempt integer, p_worker text)
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

CREATE FUNCTION ch.level_rank(p_level text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(array_position(ARRAY['a1', 'a2', 'b1', 'b2', 'c1',
	    'c2', 'native'], p_level), 0);
$$;

-- Codes as the engine's bit sets (enum engine_category, which follows
-- the taxonomy's order, whose codes never change; support areas in
-- ch.support_areas() order). Single expressions, inlined by the planner.
CREATE FUNCTION ch.category_index(p_code text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
	SELECT array_position(ARRAY['sport', 'culture_music',
	    'school_kindergarten', 'church_religion', 'social', 'politics',
	    'civic_local', 'professional_interest', 'environment_animals',
	    'youth_adult_education', 'rescue_fire', 'health',
	    'justice_security', 'leisure_sociability', 'interreligious',
	    'women_network', 'work_experience'], p_code) - 1;
$$;

CREATE FUNCTION ch.code_bits(p_codes text[], p_all text[]) RETURNS bigint
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

CREATE FUNCTION ch.langs_engine(p jsonb) RETURNS jsonb
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
CREATE FUNCTION ch.job_weights(w jsonb) RETURNS jsonb
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

-- The candidates of a programme change rarely and are the bulk of every
-- job's input, so their JSON is built once per epoch: any write that
-- changes them (offers, mentors, places, weights, a proposal that holds a
-- place or stops holding one) moves the programme's epoch on, in the same
-- transaction. A job reads the epoch and then the cached document, which
-- is never older than that epoch.
-- Epochs come from one sequence, so no two are alike, whatever the
-- programme.
CREATE SEQUENCE ch.matching_epoch_seq;
CREATE TABLE ch.matching_epoch (
	programme	text PRIMARY KEY CHECK (programme IN ('partners', 'women')),
	epoch		bigint NOT NULL DEFAULT nextval('ch.matching_epoch_seq')
);
INSERT INTO ch.matching_epoch (programme) VALUES ('partners'), ('women');

CREATE TABLE ch.matching_candidates (
	programme	text NOT NULL,
	epoch		bigint NOT NULL,
	doc		text NOT NULL,		-- the candidates, a JSON array
	weights		text NOT NULL,		-- "default_weights", "weights"
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (programme, epoch)
);
-- Read whole for every job: not worth compressing.
ALTER TABLE ch.matching_candidates ALTER COLUMN doc SET STORAGE EXTERNAL;

-- Moves on the epochs of the programmes named (a row trigger on a
-- proposal: its own programme only). Rows are locked in one order, so
-- two writers never wait for each other the other way round.
CREATE FUNCTION ch.matching_epoch_bump() RETURNS trigger
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
CREATE TRIGGER offer_epoch AFTER INSERT OR UPDATE OR DELETE ON ch.offer
	FOR EACH STATEMENT EXECUTE FUNCTION ch.matching_epoch_bump('partners');
CREATE TRIGGER mentor_epoch AFTER INSERT OR UPDATE OR DELETE ON ch.mentor
	FOR EACH STATEMENT EXECUTE FUNCTION ch.matching_epoch_bump('women');
CREATE TRIGGER place_epoch AFTER INSERT OR UPDATE OR DELETE ON ch.place
	FOR EACH STATEMENT
	EXECUTE FUNCTION ch.matching_epoch_bump('partners', 'women');
CREATE TRIGGER settings_epoch AFTER UPDATE ON ch.matching_settings
	FOR EACH STATEMENT
	EXECUTE FUNCTION ch.matching_epoch_bump('partners', 'women');
CREATE TRIGGER proposal_epoch AFTER UPDATE OF status ON ch.proposal
	FOR EACH ROW WHEN ((OLD.status = 'approved') <> (NEW.status = 'approved'))
	EXECUTE FUNCTION ch.matching_epoch_bump();

-- The JSON of every candidate of a programme (see matcher/daemon): open
-- offers or active mentors with their free places.
CREATE FUNCTION ch.job_candidates_build(p_programme text) RETURNS text
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
CREATE FUNCTION ch.job_candidates(p_programme text, p_known bigint)
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
CREATE FUNCTION ch.job_input(p_id uuid, p_known bigint DEFAULT NULL)
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
		'consent_matching', EXISTS (SELECT 1 FROM ch.consent c
		    WHERE c.participant_id = p.id AND c.purpose = 'matching'
		    AND c.withdrawn_at IS NULL),
		'consent_cross_district', EXISTS (SELECT 1 FROM ch.consent c
		    WHERE c.participant_id = p.id
		    AND c.purpose = 'cross_district'
		    AND c.withdrawn_at IS NULL),
		'langs', ch.langs_engine(CASE WHEN mp.german_level IS NOT NULL
		    AND NOT p.languages @> '[{"code": "de"}]' THEN p.languages
		    || jsonb_build_array(jsonb_build_object('code', 'de',
		    'level', mp.german_level)) ELSE p.languages END),
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
-- same rule is written out in ch.job_complete, where the planner can
-- join it).
CREATE FUNCTION ch.participant_matchable(p ch.participant) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN p.status IN ('waiting', 'placed') AND EXISTS (SELECT 1
	    FROM ch.consent c WHERE c.participant_id = p.id
	    AND c.purpose = 'matching' AND c.withdrawn_at IS NULL);
END
$$;

-- Stores a job's proposals and final state, once: true when stored now
-- or by this same attempt before (a worker that lost its connection
-- asks again); false when the attempt no longer holds the job.
CREATE FUNCTION ch.job_complete(p_id uuid, p_attempt integer,
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
		    AND f.status = 'open'
		LEFT JOIN ch.mentor m ON j.programme = 'women' AND m.id = x.c
		    AND m.status = 'active'
		JOIN ch.matching_settings s ON s.district_id = p.district_id
		    AND s.programme = j.programme
		-- What changed while the engine ran counts: a consent
		-- withdrawn, a person paused, an offer closed, a mentor away.
		WHERE (f.id IS NOT NULL OR m.id IS NOT NULL)
		    AND p.status IN ('waiting', 'placed') AND EXISTS (SELECT 1
			FROM ch.consent c WHERE c.participant_id = p.id
			AND c.purpose = 'matching' AND c.withdrawn_at IS NULL)
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

CREATE FUNCTION ch.job_fail(p_id uuid, p_attempt integer, p_worker text,
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

-- Open proposals past their time become expired (the reads show them so
-- at once; this writes it down and frees the places they held).
CREATE FUNCTION ch.proposals_expire() RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$
	WITH x AS (
		UPDATE ch.proposal SET status = 'expired'
		WHERE status IN ('pending', 'approved') AND expires_at <= now()
		RETURNING 1)
	SELECT count(*)::integer FROM x;
$$;

-- ---------------------------------------------------------------------
-- Invalidation: a withdrawn consent, a participant who stops, an offer
-- that is no longer open, a mentor who is no longer active. The next job
-- reads the new state anyway; these close the open proposals at once.

CREATE FUNCTION ch.proposals_invalidate(p_reason text, p_participant uuid,
    p_offer uuid, p_mentor uuid, p_other_district boolean DEFAULT false)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
AS $$
	UPDATE ch.proposal pr SET status = 'invalidated',
	    invalidated_reason = p_reason
	WHERE pr.status IN ('pending', 'approved')
	    AND (p_participant IS NULL OR pr.participant_id = p_participant)
	    AND (p_offer IS NULL OR pr.offer_id = p_offer)
	    AND (p_mentor IS NULL OR pr.mentor_id = p_mentor)
	    AND (NOT p_other_district OR pr.district_id <> coalesce(
		(SELECT f.district_id FROM ch.offer f WHERE f.id = pr.offer_id),
		(SELECT m.district_id FROM ch.mentor m
		    WHERE m.id = pr.mentor_id)));
$$;

CREATE FUNCTION ch.consent_invalidates() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
	IF NEW.withdrawn_at IS NOT NULL AND OLD.withdrawn_at IS NULL
	    AND NEW.withdrawal_reason = 'withdrawn' THEN
		IF NEW.purpose = 'matching' THEN
			PERFORM ch.proposals_invalidate('consent_withdrawn',
			    NEW.participant_id, NULL, NULL);
		ELSIF NEW.purpose = 'cross_district' THEN
			PERFORM ch.proposals_invalidate('consent_withdrawn',
			    NEW.participant_id, NULL, NULL, true);
		END IF;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER consent_invalidates AFTER UPDATE OF withdrawn_at
	ON ch.consent FOR EACH ROW EXECUTE FUNCTION ch.consent_invalidates();

CREATE FUNCTION ch.participant_invalidates() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
	IF NEW.status IN ('paused', 'closed') AND OLD.status <> NEW.status THEN
		PERFORM ch.proposals_invalidate('participant_inactive', NEW.id,
		    NULL, NULL);
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER participant_invalidates AFTER UPDATE OF status
	ON ch.participant FOR EACH ROW
	EXECUTE FUNCTION ch.participant_invalidates();

CREATE FUNCTION ch.offer_invalidates() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
	IF NEW.status <> 'open' AND OLD.status = 'open' THEN
		PERFORM ch.proposals_invalidate('offer_not_open', NULL, NEW.id,
		    NULL);
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER offer_invalidates AFTER UPDATE OF status ON ch.offer
	FOR EACH ROW EXECUTE FUNCTION ch.offer_invalidates();

CREATE FUNCTION ch.mentor_invalidates() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
	IF NEW.status <> 'active' AND OLD.status = 'active' THEN
		PERFORM ch.proposals_invalidate('mentor_not_active', NULL, NULL,
		    NEW.id);
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER mentor_invalidates AFTER UPDATE OF status ON ch.mentor
	FOR EACH ROW EXECUTE FUNCTION ch.mentor_invalidates();

-- ---------------------------------------------------------------------
-- The API's side: settings

CREATE FUNCTION ch.matching_settings_json(s ch.matching_settings)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('district_id', s.district_id,
	    'programme', s.programme, 'weights', s.weights,
	    'min_score', s.min_score,
	    'proposal_ttl_hours', s.proposal_ttl_hours,
	    'version', s.version, 'updated_at', s.updated_at);
$$;

CREATE FUNCTION ch.matching_settings_load(p_who jsonb, p_district text,
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

CREATE FUNCTION ch.matching_settings_get(p_who jsonb, p_district text,
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

CREATE FUNCTION ch.matching_settings_put(p_who jsonb, p_district text,
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
	IF NOT ch.if_match_ok(old.version, p_if_match) THEN
		PERFORM ch.fail(412, 'The settings changed since you read them; '
		    'read them again.');
	END IF;
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

CREATE FUNCTION ch.matching_job_json(j ch.matching_job) RETURNS jsonb
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

CREATE FUNCTION ch.matching_job_visible(p_who jsonb, j ch.matching_job)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT coalesce(j.created_by_user::text = p_who->>'user'
	    OR (p_who->>'role' IN ('coordinator', 'assistant')
		AND p_who->>'district' = ANY (j.district_ids))
	    OR (p_who->>'role' = 'state_admin' AND j.kind <> 'suggest'),
	    false);
$$;

CREATE FUNCTION ch.matching_job_load(p_who jsonb, p_id uuid,
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
		PERFORM ch.fail(404, 'No such matching job.');
	END IF;
	RETURN j;
END
$$;

CREATE FUNCTION ch.matching_job_get(p_who jsonb, p_id uuid)
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
CREATE FUNCTION ch.matching_job_create(p_who jsonb, p_key text,
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
CREATE FUNCTION ch.matching_job_cancel(p_who jsonb, p_id uuid,
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
	IF NOT ch.if_match_ok(j.version, p_if_match) THEN
		PERFORM ch.fail(412, 'The job changed since you read it.');
	END IF;
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

-- ---------------------------------------------------------------------
-- The API's side: proposals

-- The person as the other side of an approved proposal sees her, like
-- in a placement: pseudonym and languages. Past row-level security:
-- callers show it only with a proposal the caller may see.
CREATE FUNCTION ch.proposal_person(p_id uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
	SELECT jsonb_build_object('id', p.id, 'display_name', p.display_name,
	    'languages', p.languages)
	FROM ch.participant p WHERE p.id = p_id;
$$;

CREATE FUNCTION ch.proposal_json(p_who jsonb, x ch.proposal)
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
	    'participant', ch.proposal_person(x.participant_id),
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

-- Who sees a proposal (the policies say the same): staff of the
-- participant's district; once approved, the participant, the offer's
-- organisation, the mentor.
CREATE FUNCTION ch.proposal_visible(p_who jsonb, x ch.proposal)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT coalesce(ch.is_staff(p_who, x.district_id)
	    OR (x.reviewed_at IS NOT NULL AND x.status <> 'rejected' AND (
		(p_who->>'role' = 'participant'
		    AND x.participant_id::text = p_who->>'participant')
		OR (p_who->>'role' = 'organization'
		    AND x.organization_id::text = p_who->>'organization')
		OR (p_who->>'role' = 'mentor'
		    AND x.mentor_user_id::text = p_who->>'user'))), false);
$$;

CREATE FUNCTION ch.proposal_load(p_who jsonb, p_id uuid,
    p_lock boolean DEFAULT false)
RETURNS ch.proposal LANGUAGE plpgsql AS $$
DECLARE
	x	ch.proposal;
BEGIN
	PERFORM ch.enter(p_who);
	IF p_lock THEN
		SELECT * INTO x FROM ch.proposal WHERE id = p_id FOR UPDATE;
	ELSE
		SELECT * INTO x FROM ch.proposal WHERE id = p_id;
	END IF;
	IF NOT FOUND OR NOT ch.proposal_visible(p_who, x) THEN
		PERFORM ch.fail(404, 'No such proposal.');
	END IF;
	RETURN x;
END
$$;

CREATE FUNCTION ch.proposal_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	x	ch.proposal := ch.proposal_load(p_who, p_id);
BEGIN
	RETURN ROW(x.version, NULL::text, ch.proposal_json(p_who, x)::text,
	    false);
END
$$;

-- The proposals of a job, best first (rank), as far as the caller may
-- see them.
CREATE FUNCTION ch.matching_job_proposals(p_who jsonb, p_id uuid,
    p_filter jsonb, p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql AS $$
DECLARE
	j	ch.matching_job := ch.matching_job_load(p_who, p_id);
BEGIN
	RETURN QUERY
	SELECT ch.proposal_json(p_who, x)::text, x.rank::text, x.id::text
	FROM ch.proposal x
	WHERE x.job_id = j.id AND ch.proposal_visible(p_who, x)
	    AND (p_filter->>'status' IS NULL
		OR ch.proposal_status(x) = p_filter->>'status')
	    AND (p_after IS NULL OR (x.rank, x.id) >
		(p_after[1]::numeric::integer, p_after[2]::uuid))
	ORDER BY x.rank, x.id
	LIMIT p_limit;
END
$$;

CREATE FUNCTION ch.proposal_list(p_who jsonb, p_filter jsonb,
    p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql AS $$
BEGIN
	PERFORM ch.enter(p_who);
	RETURN QUERY
	SELECT ch.proposal_json(p_who, x)::text,
	    to_char(x.updated_at AT TIME ZONE 'UTC',
		'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), x.id::text
	FROM ch.proposal x
	WHERE ch.proposal_visible(p_who, x)
	    AND (p_filter->>'status' IS NULL
		OR ch.proposal_status(x) = p_filter->>'status')
	    AND (p_filter->>'programme' IS NULL
		OR x.programme = p_filter->>'programme')
	    AND (p_filter->>'participant_id' IS NULL OR x.participant_id =
		(p_filter->>'participant_id')::uuid)
	    AND (p_filter->>'offer_id' IS NULL
		OR x.offer_id = (p_filter->>'offer_id')::uuid)
	    AND (p_filter->>'mentor_id' IS NULL
		OR x.mentor_id = (p_filter->>'mentor_id')::uuid)
	    AND (p_filter->>'job_id' IS NULL
		OR x.job_id = (p_filter->>'job_id')::uuid)
	    AND (p_filter->>'updated_since' IS NULL OR x.updated_at >=
		(p_filter->>'updated_since')::timestamptz)
	    AND (p_after IS NULL OR (x.updated_at, x.id) >
		(p_after[1]::timestamptz, p_after[2]::uuid))
	ORDER BY x.updated_at, x.id
	LIMIT p_limit;
END
$$;

-- An open proposal for an action: locked, visible, not past its time.
CREATE FUNCTION ch.proposal_open(p_who jsonb, p_id uuid, p_want text[])
RETURNS ch.proposal LANGUAGE plpgsql AS $$
DECLARE
	x	ch.proposal := ch.proposal_load(p_who, p_id, true);
	s	text := ch.proposal_status(x);
BEGIN
	IF NOT s = ANY (p_want) THEN
		PERFORM ch.fail(409, format('The proposal is %s; this needs it '
		    '%s.', s, array_to_string(p_want, ' or ')), NULL,
		    'proposal-' || s);
	END IF;
	RETURN x;
END
$$;

-- Free places of a candidate: capacity - active - approved and open
-- proposals (which hold a place until answered or expired). It counts
-- the proposals of every district, past row-level security.
CREATE FUNCTION ch.proposal_free_places(x ch.proposal) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
	n	integer;
BEGIN
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

CREATE FUNCTION ch.proposal_result(p_who jsonb, x ch.proposal)
RETURNS ch.result LANGUAGE sql STABLE AS $$
	SELECT ROW(y.version, NULL::text, ch.proposal_json(p_who, y)::text,
	    false)::ch.result
	FROM ch.proposal y WHERE y.id = x.id;
$$;

-- An open proposal for staff to review: theirs, in the state wanted.
CREATE FUNCTION ch.proposal_to_review(p_who jsonb, p_id uuid,
    p_want text[])
RETURNS ch.proposal LANGUAGE plpgsql AS $$
DECLARE
	x	ch.proposal := ch.proposal_open(p_who, p_id, p_want);
BEGIN
	IF NOT ch.is_staff(p_who, x.district_id) THEN
		PERFORM ch.fail(403, 'Proposals are reviewed by the programme''s '
		    'staff of the participant''s district.');
	END IF;
	RETURN x;
END
$$;

-- POST /v1/proposals/{id}/approve {"note"}: staff of the district; the
-- approved proposal holds a place of the candidate.
CREATE FUNCTION ch.proposal_approve(p_who jsonb, p_key text, p_hash text,
    p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	x	ch.proposal;
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

-- POST /v1/proposals/{id}/reject {"reason", "note"}: staff; a rejected
-- pair is never proposed again.
CREATE FUNCTION ch.proposal_reject(p_who jsonb, p_key text, p_hash text,
    p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	x	ch.proposal;
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	x := ch.proposal_to_review(p_who, p_id, ARRAY['pending', 'approved']);
	UPDATE ch.proposal SET status = 'rejected', reviewed_at = now(),
	    reviewed_by = p_who->>'actor', review_reason = p_body->>'reason',
	    review_note = p_body->>'note'
	WHERE id = x.id;
	PERFORM ch.audit_by(p_who, 'proposal.rejected', 'proposal', x.id,
	    x.district_id, jsonb_build_object('reason', p_body->>'reason'));
	RETURN ch.idem_finish(p_who, p_key, p_hash,
	    ch.proposal_result(p_who, x));
END
$$;

-- The side the caller answers for: the participant herself or staff on
-- her behalf ('subject'); the offer's organisation or the mentor
-- ('candidate').
CREATE FUNCTION ch.proposal_side(p_who jsonb, x ch.proposal) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT CASE
	    WHEN ch.is_staff(p_who, x.district_id) THEN 'subject'
	    WHEN p_who->>'role' = 'participant'
		AND x.participant_id::text = p_who->>'participant'
		THEN 'subject'
	    WHEN p_who->>'role' = 'organization'
		AND x.organization_id::text = p_who->>'organization'
		THEN 'candidate'
	    WHEN p_who->>'role' = 'mentor'
		AND x.mentor_user_id::text = p_who->>'user' THEN 'candidate'
	    END;
$$;

-- Records the answer of the caller's side (see ch.proposal_side) to an
-- approved proposal, once; returns the proposal as it is now.
CREATE FUNCTION ch.proposal_answered(p_who jsonb, p_id uuid,
    p_answer text)
RETURNS ch.proposal LANGUAGE plpgsql AS $$
DECLARE
	x	ch.proposal := ch.proposal_open(p_who, p_id, ARRAY['approved']);
	side	text := ch.proposal_side(p_who, x);
BEGIN
	IF (side = 'subject' AND x.subject_answer IS NOT NULL)
	    OR (side = 'candidate' AND x.candidate_answer IS NOT NULL) THEN
		PERFORM ch.fail(409, 'This side answered already.', NULL,
		    'proposal-answered');
	END IF;
	UPDATE ch.proposal SET
	    subject_answer = CASE WHEN side = 'subject' THEN p_answer
		ELSE subject_answer END,
	    subject_answered_at = CASE WHEN side = 'subject' THEN now()
		ELSE subject_answered_at END,
	    subject_answered_by = CASE WHEN side = 'subject'
		THEN p_who->>'actor' ELSE subject_answered_by END,
	    candidate_answer = CASE WHEN side = 'candidate' THEN p_answer
		ELSE candidate_answer END,
	    candidate_answered_at = CASE WHEN side = 'candidate' THEN now()
		ELSE candidate_answered_at END,
	    candidate_answered_by = CASE WHEN side = 'candidate'
		THEN p_who->>'actor' ELSE candidate_answered_by END
	WHERE id = x.id RETURNING * INTO x;
	RETURN x;
END
$$;

-- Both sides accepted: the placement or tandem, under the capacity rules
-- of those tables, in the caller's transaction. The caller checked the
-- rights; this writes past row-level security (an organisation or mentor
-- cannot write placements or tandems of their own).
CREATE FUNCTION ch.proposal_fulfil(p_who jsonb, x ch.proposal)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
DECLARE
	p	ch.participant;
	f	ch.offer;
	m	ch.mentor;
	pl_id	uuid;
	t_id	uuid;
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
		IF f.status <> 'open' THEN
			PERFORM ch.fail(409, 'The offer is not open any '
			    'more.', NULL, 'proposal-impossible');
		END IF;
		BEGIN
			INSERT INTO ch.placement (participant_id,
			    offer_id, district_id, organization_id,
			    created_by)
			VALUES (p.id, f.id, p.district_id,
			    f.organization_id, p_who->>'actor')
			RETURNING id INTO pl_id;
		EXCEPTION WHEN check_violation THEN
			PERFORM ch.fail(409, 'The offer has no free '
			    'place left.', NULL, 'capacity-exhausted');
		WHEN unique_violation THEN
			PERFORM ch.fail(409, 'The participant is placed '
			    'in this offer already.', NULL,
			    'proposal-impossible');
		END;
		PERFORM ch.audit_by(p_who, 'placement.created',
		    'placement', pl_id, p.district_id,
		    jsonb_build_object('offer', f.id, 'participant',
		    p.id, 'proposal', x.id));
	ELSE
		SELECT * INTO m FROM ch.mentor WHERE id = x.mentor_id
		FOR UPDATE;
		IF m.status <> 'active' THEN
			PERFORM ch.fail(409, 'The mentor is not active '
			    'any more.', NULL, 'proposal-impossible');
		END IF;
		BEGIN
			INSERT INTO ch.tandem (mentor_id, participant_id,
			    district_id, mentor_user_id, planned_months,
			    created_by)
			VALUES (m.id, p.id, p.district_id, m.user_id, 9,
			    p_who->>'actor')
			RETURNING id INTO t_id;
		EXCEPTION WHEN check_violation THEN
			PERFORM ch.fail(409, 'The mentor has no free '
			    'place left.', NULL, 'capacity-exhausted');
		WHEN unique_violation THEN
			PERFORM ch.fail(409, 'The mentee has an active '
			    'tandem already.', NULL,
			    'mentee-has-tandem');
		END;
		PERFORM ch.audit_by(p_who, 'tandem.created', 'tandem',
		    t_id, p.district_id, jsonb_build_object('mentor',
		    m.id, 'participant', p.id, 'proposal', x.id));
	END IF;
	UPDATE ch.proposal SET status = 'accepted',
	    placement_id = pl_id, tandem_id = t_id
	WHERE id = x.id;
END
$$;

-- POST /v1/proposals/{id}/accept {}: the second acceptance creates the
-- placement or tandem, with the capacity rules of those tables, in this
-- transaction.
CREATE FUNCTION ch.proposal_accept(p_who jsonb, p_key text, p_hash text,
    p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	x	ch.proposal;
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	x := ch.proposal_answered(p_who, p_id, 'accepted');
	PERFORM ch.audit_by(p_who, 'proposal.accepted', 'proposal', x.id,
	    x.district_id, jsonb_build_object('side',
	    ch.proposal_side(p_who, x)));

	IF x.subject_answer = 'accepted' AND x.candidate_answer = 'accepted'
	THEN
		PERFORM ch.proposal_fulfil(p_who, x);
	END IF;
	RETURN ch.idem_finish(p_who, p_key, p_hash,
	    ch.proposal_result(p_who, x));
END
$$;

-- POST /v1/proposals/{id}/decline {"reason"}: either side; the pair is
-- never proposed again.
CREATE FUNCTION ch.proposal_decline(p_who jsonb, p_key text, p_hash text,
    p_id uuid, p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	x	ch.proposal;
BEGIN
	PERFORM ch.enter(p_who);
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	x := ch.proposal_answered(p_who, p_id, 'declined');
	UPDATE ch.proposal SET status = 'declined',
	    decline_reason = p_body->>'reason'
	WHERE id = x.id;
	PERFORM ch.audit_by(p_who, 'proposal.declined', 'proposal', x.id,
	    x.district_id, jsonb_build_object('side',
	    ch.proposal_side(p_who, x), 'reason', p_body->>'reason'));
	RETURN ch.idem_finish(p_who, p_key, p_hash,
	    ch.proposal_result(p_who, x));
END
$$;

GRANT SELECT, UPDATE ON ch.matching_settings TO ch_app;
GRANT SELECT, INSERT, UPDATE ON ch.matching_job, ch.proposal TO ch_app;
GRANT SELECT ON ch.matching_run TO ch_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ch TO ch_app;

-- The worker pool has a role of its own (ch_matcher, made with ch_app).
-- Only it may call the functions that read people past row-level
-- security and store results; the API's role may not. Internal helpers
-- that write past it are for the triggers and functions here only.
REVOKE EXECUTE ON FUNCTION ch.job_claim(text, integer),
    ch.job_input(uuid, bigint), ch.job_complete(uuid, integer, text, jsonb),
    ch.job_fail(uuid, integer, text, text, boolean),
    ch.job_heartbeat(text, uuid[], integer[], integer),
    ch.proposals_expire(),
    ch.proposals_invalidate(text, uuid, uuid, uuid, boolean)
    FROM PUBLIC, ch_app;
GRANT USAGE ON SCHEMA ch TO ch_matcher;
GRANT EXECUTE ON FUNCTION ch.job_claim(text, integer),
    ch.job_input(uuid, bigint), ch.job_complete(uuid, integer, text, jsonb),
    ch.job_fail(uuid, integer, text, text, boolean),
    ch.job_heartbeat(text, uuid[], integer[], integer),
    ch.proposals_expire() TO ch_matcher;
