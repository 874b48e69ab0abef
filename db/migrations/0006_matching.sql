-- Matching: the per-district settings, the job queue that ch-matcher
-- works off (FOR UPDATE SKIP LOCKED, leases, runs), the proposals it
-- writes, and the candidate cache of the worker pool.

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

-- Every district starts with the programmes' default weights of the time
-- (ch.matching_default_weights has the current ones).
INSERT INTO ch.matching_settings (district_id, programme, weights)
SELECT d.id, p.programme, p.weights::jsonb
FROM ch.district d
CROSS JOIN (VALUES
    ('partners', '{"interest": 30, "language": 20, "distance": 20,
	"availability": 20, "waiting_time": 10}'),
    ('women', '{"occupation": 30, "goals": 20, "language": 15,
	"distance": 10, "availability": 15, "waiting_time": 10}'))
    AS p (programme, weights);

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
