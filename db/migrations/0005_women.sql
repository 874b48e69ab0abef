-- Connecting Women: mentors, mentee profiles, tandems, their meetings and
-- the women's network events.

-- The support areas a mentor offers and a mentee's goals are drawn from;
-- a CHECK of both tables, so it changes only with a migration.
CREATE FUNCTION ch.support_areas() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT ARRAY['job_search', 'recognition', 'vocational_training',
	    'studies', 'self_employment', 'leadership', 'language_practice',
	    'networking'];
$$;

-- ---------------------------------------------------------------------
-- Tables

CREATE TABLE ch.mentor (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL UNIQUE REFERENCES ch.app_user (id),
	district_id	text NOT NULL REFERENCES ch.district (id),
	display_name	text NOT NULL
	    CHECK (length(display_name) BETWEEN 1 AND 60),
	employer_sector	text NOT NULL CHECK (employer_sector IN (
			    'public_administration', 'association', 'business',
			    'education', 'health', 'culture', 'other')),
	occupational_field text NOT NULL
	    CHECK (occupational_field ~ '^[0-9]{1,5}$'),
	support_areas	text[] NOT NULL
	    CHECK (cardinality(support_areas) BETWEEN 1 AND 8
		AND support_areas <@ ch.support_areas()),
	languages	jsonb NOT NULL DEFAULT '[]'
	    CHECK (jsonb_typeof(languages) = 'array'
		AND jsonb_array_length(languages) <= 12),
	capacity	integer NOT NULL DEFAULT 1 CHECK (capacity BETWEEN 1 AND 3),
	-- Kept by the tandem trigger; the CHECK is the capacity rule.
	active_tandems	integer NOT NULL DEFAULT 0
	    CHECK (active_tandems >= 0 AND active_tandems <= capacity),
	availability	integer NOT NULL DEFAULT 0
	    CHECK (availability BETWEEN 0 AND 2097151),
	home_place_id	uuid REFERENCES ch.place (id),
	online_ok	boolean NOT NULL DEFAULT false,
	status		text NOT NULL DEFAULT 'applied'
	    CHECK (status IN ('applied', 'active', 'paused', 'retired')),
	approved_at	timestamptz,
	approved_by	text,
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	-- Active or paused only once a coordinator approved her.
	CHECK (status IN ('applied', 'retired') OR approved_at IS NOT NULL)
);
CREATE INDEX mentor_updated ON ch.mentor (updated_at, id);

CREATE TABLE ch.mentee_profile (
	participant_id	uuid PRIMARY KEY
	    REFERENCES ch.participant (id) ON DELETE CASCADE,
	district_id	text NOT NULL REFERENCES ch.district (id),
	target_occupational_field text
	    CHECK (target_occupational_field ~ '^[0-9]{1,5}$'),
	highest_qualification text
	    CHECK (length(highest_qualification) BETWEEN 1 AND 120),
	qualification_level text CHECK (qualification_level IN ('dqr1', 'dqr2',
			    'dqr3', 'dqr4', 'dqr5', 'dqr6', 'dqr7', 'dqr8')),
	recognition_status text NOT NULL DEFAULT 'not_needed'
	    CHECK (recognition_status IN ('not_needed', 'pending', 'done')),
	german_level	text CHECK (german_level IN ('a1', 'a2', 'b1', 'b2', 'c1',
			    'c2', 'native')),
	goals		text[] NOT NULL DEFAULT '{}'
	    CHECK (goals <@ ch.support_areas()),
	work_permit	text NOT NULL CHECK (work_permit IN ('allowed',
			    'with_approval', 'not_yet')),
	availability	integer NOT NULL DEFAULT 0
	    CHECK (availability BETWEEN 0 AND 2097151),
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ch.tandem (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	mentor_id	uuid NOT NULL REFERENCES ch.mentor (id),
	participant_id	uuid NOT NULL REFERENCES ch.participant (id),
	-- Copies for the policies: the mentee's district, the mentor's
	-- account.
	district_id	text NOT NULL REFERENCES ch.district (id),
	mentor_user_id	uuid NOT NULL REFERENCES ch.app_user (id),
	status		text NOT NULL DEFAULT 'active'
	    CHECK (status IN ('active', 'completed', 'ended_early')),
	started_on	date NOT NULL DEFAULT current_date,
	planned_months	integer NOT NULL CHECK (planned_months BETWEEN 6 AND 12),
	ended_on	date,
	end_reason	text CHECK (end_reason IN ('mentee_withdrew',
			    'mentor_withdrew', 'moved_away', 'no_contact',
			    'health', 'other')),
	outcome		text CHECK (outcome IN ('job', 'vocational_training',
			    'internship', 'studies', 'language_course',
			    'none')),
	contract_type	text CHECK (contract_type IN ('permanent',
			    'fixed_term', 'part_time', 'mini_job',
			    'self_employed')),
	outcome_date	date,
	created_by	text NOT NULL,
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK ((status = 'active') = (ended_on IS NULL)),
	CHECK ((status = 'active') = (outcome IS NULL)),
	CHECK ((status = 'ended_early') = (end_reason IS NOT NULL)),
	CHECK (contract_type IS NULL OR outcome = 'job'),
	CHECK (ended_on IS NULL OR ended_on >= started_on)
);
-- A mentee has at most one active tandem.
CREATE UNIQUE INDEX tandem_one_active ON ch.tandem (participant_id)
    WHERE status = 'active';
CREATE INDEX tandem_district ON ch.tandem (district_id, updated_at, id);
CREATE INDEX tandem_mentor ON ch.tandem (mentor_user_id, updated_at, id);

CREATE TABLE ch.tandem_meeting (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tandem_id	uuid NOT NULL REFERENCES ch.tandem (id),
	-- Copies for the policies.
	district_id	text NOT NULL REFERENCES ch.district (id),
	mentor_user_id	uuid NOT NULL,
	participant_id	uuid NOT NULL,
	held_on		date NOT NULL,
	duration_minutes integer NOT NULL
	    CHECK (duration_minutes BETWEEN 5 AND 600),
	format		text NOT NULL
	    CHECK (format IN ('in_person', 'online', 'phone')),
	topics		text[] NOT NULL DEFAULT '{}'
	    CHECK (topics <@ ARRAY['application_documents', 'job_search',
		'interview_practice', 'recognition', 'vocational_training',
		'studies', 'language', 'networking', 'workplace_culture',
		'family_and_work', 'self_employment', 'other']::text[]),
	-- The relationship's content: only the two members read it.
	notes		text CHECK (length(notes) <= 4000),
	created_by	text NOT NULL,
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tandem_meeting_tandem
    ON ch.tandem_meeting (tandem_id, held_on, id);

CREATE TABLE ch.event (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	district_id	text NOT NULL REFERENCES ch.district (id),
	kind		text NOT NULL CHECK (kind IN ('network_meeting',
			    'workshop', 'kick_off', 'closing')),
	title		text NOT NULL CHECK (length(title) BETWEEN 3 AND 120),
	description	text NOT NULL DEFAULT ''
	    CHECK (length(description) <= 2000),
	place_id	uuid REFERENCES ch.place (id),
	online		boolean NOT NULL DEFAULT false,
	starts_at	timestamptz NOT NULL,
	ends_at		timestamptz NOT NULL,
	capacity	integer NOT NULL CHECK (capacity BETWEEN 1 AND 500),
	-- Registered (not waiting) people; the CHECK is the capacity rule.
	registered	integer NOT NULL DEFAULT 0
	    CHECK (registered >= 0 AND registered <= capacity),
	status		text NOT NULL DEFAULT 'planned'
	    CHECK (status IN ('planned', 'cancelled')),
	created_by	text NOT NULL,
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (place_id IS NOT NULL OR online),
	CHECK (ends_at > starts_at)
);
CREATE INDEX event_starts ON ch.event (starts_at, id);

CREATE TABLE ch.event_registration (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	event_id	uuid NOT NULL REFERENCES ch.event (id),
	user_id		uuid NOT NULL REFERENCES ch.app_user (id),
	status		text NOT NULL
	    CHECK (status IN ('registered', 'waiting', 'cancelled')),
	-- The waiting list's order: first come, first served.
	queued_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	promoted_at	timestamptz,
	cancelled_at	timestamptz,
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
CREATE UNIQUE INDEX event_registration_once
    ON ch.event_registration (event_id, user_id) WHERE status <> 'cancelled';
CREATE INDEX event_registration_queue
    ON ch.event_registration (event_id, status, queued_at, id);
