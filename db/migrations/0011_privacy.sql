-- Privacy: erasure requests, the retention schedule and its runs, the
-- anonymous counts that outlive an erasure, and the indexes of the
-- audit queries (db/functions/privacy.sql has the code).

-- Ending a placement or a tandem because its person is erased.
ALTER TABLE ch.placement DROP CONSTRAINT placement_end_reason_check;
ALTER TABLE ch.placement ADD CONSTRAINT placement_end_reason_check
    CHECK (end_reason IN ('completed', 'participant_left', 'moved_away',
	'offer_closed', 'not_a_fit', 'consent_withdrawn', 'erasure',
	'other'));
ALTER TABLE ch.tandem DROP CONSTRAINT tandem_end_reason_check;
ALTER TABLE ch.tandem ADD CONSTRAINT tandem_end_reason_check
    CHECK (end_reason IN ('mentee_withdrew', 'mentor_withdrew',
	'moved_away', 'no_contact', 'health', 'consent_withdrawn', 'erasure',
	'other'));

-- While an erasure waits for its grace period, the other side of an
-- active placement or tandem sees when it will end.
ALTER TABLE ch.placement ADD COLUMN erasure_due_at timestamptz;
ALTER TABLE ch.tandem ADD COLUMN erasure_due_at timestamptz;

-- An erasure request: of a participant (and her account, if she has
-- one) or of an account (a mentor, an organisation's user). Carried out
-- by the worker pool once due_at has passed, unless cancelled before.
-- Once done, the row keeps that an erasure happened, by whom (a staff
-- account, or "the subject herself") and when; the subject's ids are
-- gone with the subject (ON DELETE SET NULL).
CREATE TABLE ch.erasure_request (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	subject		text NOT NULL
	    CHECK (subject IN ('participant', 'account')),
	participant_id	uuid REFERENCES ch.participant (id)
	    ON DELETE SET NULL,
	user_id		uuid REFERENCES ch.app_user (id) ON DELETE SET NULL,
	subject_role	text NOT NULL,
	district_id	text REFERENCES ch.district (id),
	status		text NOT NULL DEFAULT 'pending'
	    CHECK (status IN ('pending', 'cancelled', 'done')),
	requested_by	text NOT NULL,
	requested_by_role text NOT NULL,
	reason		text CHECK (reason IN ('subject_request',
			    'consent_withdrawn', 'no_longer_needed',
			    'unlawful', 'other')),
	requested_at	timestamptz NOT NULL,
	due_at		timestamptz NOT NULL,
	cancelled_at	timestamptz,
	cancelled_by	text,
	cancelled_by_role text,
	done_at		timestamptz,
	-- What was erased: counts per kind of record, no ids.
	erased		jsonb,
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (due_at >= requested_at),
	CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
	CHECK ((status = 'done') = (done_at IS NOT NULL)),
	CHECK (status <> 'pending' OR (subject = 'participant')
	    = (participant_id IS NOT NULL)),
	CHECK (status <> 'pending' OR subject = 'participant'
	    OR user_id IS NOT NULL)
);
CREATE UNIQUE INDEX erasure_request_pending_participant
    ON ch.erasure_request (participant_id) WHERE status = 'pending';
CREATE UNIQUE INDEX erasure_request_pending_user
    ON ch.erasure_request (user_id)
    WHERE status = 'pending' AND subject = 'account';
CREATE INDEX erasure_request_due ON ch.erasure_request (due_at)
    WHERE status = 'pending';
CREATE INDEX erasure_request_district
    ON ch.erasure_request (district_id, requested_at DESC, id DESC);

-- What counts need of an erased person's placements, tandems and
-- meetings, in a form that identifies nobody: how many, per district,
-- year, category and outcome, with no row per person.
CREATE TABLE ch.erased_count (
	kind		text NOT NULL CHECK (kind IN ('placement', 'tandem',
			    'meeting')),
	district_id	text NOT NULL REFERENCES ch.district (id),
	year		integer NOT NULL CHECK (year BETWEEN 2000 AND 2200),
	-- placement: the offer's category; tandem: the mentor's
	-- occupational area (KldB, one digit); meeting: ''
	category	text NOT NULL,
	-- placement: ended; tandem: completed or ended_early (an erasure
	-- ends what was active first: ended, or ended_early with outcome
	-- none)
	status		text NOT NULL,
	-- placement: the end reason; tandem: the outcome; '' if none
	outcome		text NOT NULL,
	-- whether the person had consented to statistics
	statistics	boolean NOT NULL,
	n		integer NOT NULL CHECK (n > 0),
	PRIMARY KEY (kind, district_id, year, category, status, outcome,
	    statistics)
);

-- The retention schedule: one row. rules holds each rule's age in days
-- (null: the rule is off); schedule_version moves on whenever the rules
-- or the batch limit change, and a run executes only the version the
-- state admin confirmed after seeing its dry run. clock_offset moves the
-- privacy clock (ch.privacy_now) for drills and tests; only the schema's
-- owner can set it.
CREATE TABLE ch.retention_schedule (
	id		boolean PRIMARY KEY DEFAULT true CHECK (id),
	rules		jsonb NOT NULL CHECK (jsonb_typeof(rules) = 'object'),
	batch_limit	integer NOT NULL DEFAULT 1000
	    CHECK (batch_limit BETWEEN 1 AND 100000),
	run_every_hours	integer NOT NULL DEFAULT 24
	    CHECK (run_every_hours BETWEEN 1 AND 720),
	-- At least a day, so that every request can still be cancelled.
	erasure_grace_days integer NOT NULL DEFAULT 14
	    CHECK (erasure_grace_days BETWEEN 1 AND 90),
	schedule_version integer NOT NULL DEFAULT 1,
	confirmed_version integer,
	confirmed_by	text,
	confirmed_at	timestamptz,
	run_requested_at timestamptz,
	clock_offset	interval NOT NULL DEFAULT '0',
	updated_by	text,
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ch.retention_schedule (rules) VALUES ('{
	"closed_participants": 730,
	"meeting_notes": 365,
	"unanswered_proposals": 183,
	"matching_jobs": 183,
	"sessions": 30,
	"signin_throttles": 1,
	"idempotency_replays": 1,
	"audit_entries": 1095,
	"erasure_requests": 1095}');

-- One row per retention run of the worker pool: the dry run's counts,
-- and what was deleted if the run executed.
CREATE TABLE ch.retention_run (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	started_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	finished_at	timestamptz,
	privacy_time	timestamptz NOT NULL,
	schedule_version integer NOT NULL,
	outcome		text NOT NULL CHECK (outcome IN ('executed',
			    'awaiting_confirmation')),
	batch_limit	integer NOT NULL,
	-- [{"rule", "district_id", "count"}]: the dry run
	due		jsonb NOT NULL,
	-- the same shape: what the run deleted (empty unless executed)
	deleted		jsonb NOT NULL DEFAULT '[]',
	triggered_by	text NOT NULL CHECK (triggered_by IN ('schedule',
			    'request'))
);
CREATE INDEX retention_run_started ON ch.retention_run (started_at DESC, id);

-- GET /v1/audit: by district and time, by actor, by entity.
CREATE INDEX audit_log_district ON ch.audit_log (district_id, at DESC, id DESC);
CREATE INDEX audit_log_actor ON ch.audit_log (actor, at DESC, id DESC);
CREATE INDEX audit_log_at ON ch.audit_log (at, id);
-- Retention and erasure find a person's rows by these.
CREATE INDEX tandem_participant ON ch.tandem (participant_id);
CREATE INDEX tandem_mentor_id ON ch.tandem (mentor_id);
CREATE INDEX proposal_participant ON ch.proposal (participant_id);
CREATE INDEX proposal_mentor ON ch.proposal (mentor_id);
CREATE INDEX matching_job_participant ON ch.matching_job (participant_id)
    WHERE participant_id IS NOT NULL;
CREATE INDEX matching_job_finished ON ch.matching_job (finished_at)
    WHERE finished_at IS NOT NULL;
CREATE INDEX event_registration_user ON ch.event_registration (user_id);
CREATE INDEX idempotency_actor ON ch.idempotency (actor);
CREATE INDEX participant_assistant ON ch.participant (assistant_id)
    WHERE assistant_id IS NOT NULL;
CREATE INDEX participant_closed ON ch.participant (updated_at)
    WHERE status = 'closed';
