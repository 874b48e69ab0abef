-- Connecting Partners: organisations, offers, participants with their
-- contact details, consents and placements.
--
-- A refused request changes nothing: every operation is one function
-- call in one transaction (db/functions/partners.sql), and personal data
-- is filtered by row-level security (db/policies.sql).

-- The result of a write: the row's version (ETag), its URL for 201, its
-- representation, and whether it replays an earlier response.
CREATE TYPE ch.result AS (
	version		integer,
	location	text,
	body		text,
	replayed	boolean
);

CREATE FUNCTION ch.week_json(p_mask integer) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	days	CONSTANT text[] := ARRAY['mon', 'tue', 'wed', 'thu', 'fri',
		    'sat', 'sun'];
	parts	CONSTANT text[] := ARRAY['morning', 'afternoon', 'evening'];
	r	jsonb := '{}';
	a	text[];
	d	integer;
	k	integer;
BEGIN
	FOR d IN 0 .. 6 LOOP
		a := '{}';
		FOR k IN 0 .. 2 LOOP
			IF p_mask & (1 << (d * 3 + k)) <> 0 THEN
				a := a || parts[k + 1];
			END IF;
		END LOOP;
		IF cardinality(a) > 0 THEN
			r := r || jsonb_build_object(days[d + 1], a);
		END IF;
	END LOOP;
	RETURN r;
END
$$;

-- Idempotency-Key: the first successful answer to a POST, kept 24 hours
-- per caller and key. A retry with the same request replays it; the same
-- key with another request is refused.
CREATE TABLE ch.idempotency (
	actor		text NOT NULL,
	key		text NOT NULL,
	request_hash	text NOT NULL,
	version		integer,
	location	text,
	body		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (actor, key)
);
CREATE INDEX idempotency_age ON ch.idempotency (created_at);

-- ---------------------------------------------------------------------
-- Tables

CREATE TABLE ch.organization (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	district_id	text NOT NULL REFERENCES ch.district (id),
	name		text NOT NULL CHECK (length(name) BETWEEN 2 AND 160),
	kind		text NOT NULL CHECK (kind IN ('sport_club',
			    'heritage_club', 'culture', 'interreligious',
			    'volunteer', 'adult_education', 'equality_office',
			    'employer', 'women_network', 'other')),
	description	text NOT NULL DEFAULT ''
	    CHECK (length(description) <= 2000),
	place_id	uuid REFERENCES ch.place (id),
	website		text CHECK (length(website) <= 300
			    AND website ~ '^https?://[^[:space:]]+$'),
	email		text CHECK (length(email) BETWEEN 3 AND 254),
	phone		text CHECK (phone ~ '^\+?[0-9][0-9 ()/-]{3,28}[0-9]$'),
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organization_updated ON ch.organization (updated_at, id);
CREATE INDEX organization_district
    ON ch.organization (district_id, updated_at, id);

CREATE TABLE ch.offer (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id	uuid NOT NULL REFERENCES ch.organization (id),
	district_id	text NOT NULL REFERENCES ch.district (id),
	title		text NOT NULL CHECK (length(title) BETWEEN 3 AND 120),
	description	text NOT NULL DEFAULT ''
	    CHECK (length(description) <= 2000),
	category_taxonomy text NOT NULL DEFAULT 'activity_categories'
	    CHECK (category_taxonomy = 'activity_categories'),
	category	text NOT NULL,
	tags		text[] NOT NULL DEFAULT '{}'
	    CHECK (cardinality(tags) <= 10),
	languages	text[] NOT NULL CHECK (cardinality(languages)
			    BETWEEN 1 AND 10),
	place_id	uuid REFERENCES ch.place (id),
	online		boolean NOT NULL DEFAULT false,
	schedule	integer NOT NULL DEFAULT 0
	    CHECK (schedule BETWEEN 0 AND 2097151),
	capacity	integer NOT NULL CHECK (capacity BETWEEN 1 AND 1000),
	-- Kept by the placement trigger; the CHECK is the capacity rule.
	active_placements integer NOT NULL DEFAULT 0
	    CHECK (active_placements >= 0 AND active_placements <= capacity),
	audience	text NOT NULL DEFAULT 'any'
	    CHECK (audience IN ('any', 'women')),
	age_min		integer CHECK (age_min BETWEEN 0 AND 120),
	age_max		integer CHECK (age_max BETWEEN 0 AND 120),
	min_german_level text CHECK (min_german_level IN ('a1', 'a2', 'b1',
			    'b2', 'c1', 'c2', 'native')),
	cost_per_month_cents integer NOT NULL DEFAULT 0
	    CHECK (cost_per_month_cents BETWEEN 0 AND 100000),
	accessibility	text[] NOT NULL DEFAULT '{}'
	    CHECK (accessibility <@ ARRAY['step_free', 'accessible_toilet',
		'hearing_loop', 'sign_language', 'easy_language',
		'childcare', 'public_transport']::text[]),
	status		text NOT NULL DEFAULT 'draft'
	    CHECK (status IN ('draft', 'open', 'paused', 'closed')),
	-- The schedule as the API shows it, kept for fast reads.
	schedule_json	jsonb GENERATED ALWAYS AS (ch.week_json(schedule))
	    STORED,
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (category_taxonomy, category)
	    REFERENCES ch.taxonomy_term (taxonomy, code),
	CHECK (place_id IS NOT NULL OR online),
	CHECK (age_min IS NULL OR age_max IS NULL OR age_min <= age_max)
);
CREATE INDEX offer_updated ON ch.offer (updated_at, id);
CREATE INDEX offer_district ON ch.offer (district_id, updated_at, id);
CREATE INDEX offer_organization ON ch.offer (organization_id);
CREATE INDEX offer_languages ON ch.offer USING gin (languages);

CREATE TABLE ch.participant (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	district_id	text NOT NULL REFERENCES ch.district (id),
	display_name	text NOT NULL
	    CHECK (length(display_name) BETWEEN 1 AND 60),
	gender		text NOT NULL CHECK (gender IN ('female', 'male',
			    'diverse', 'undisclosed')),
	birth_year	integer CHECK (birth_year BETWEEN 1900 AND 2100),
	-- [{"code": "uk", "level": "native"}, ...]
	languages	jsonb NOT NULL DEFAULT '[]'
	    CHECK (jsonb_typeof(languages) = 'array'
		AND jsonb_array_length(languages) <= 12),
	interests	text[] NOT NULL DEFAULT '{}'
	    CHECK (cardinality(interests) <= 17),
	availability	integer NOT NULL DEFAULT 0
	    CHECK (availability BETWEEN 0 AND 2097151),
	home_place_id	uuid REFERENCES ch.place (id),
	mobility_radius_km integer NOT NULL DEFAULT 10
	    CHECK (mobility_radius_km BETWEEN 0 AND 200),
	needs		text[] NOT NULL DEFAULT '{}'
	    CHECK (needs <@ ARRAY['childcare', 'step_free_access',
		'interpreter', 'women_only_setting', 'public_transport',
		'low_cost', 'evening_only', 'weekend_only']::text[]),
	assistant_id	uuid REFERENCES ch.app_user (id),
	status		text NOT NULL DEFAULT 'waiting'
	    CHECK (status IN ('waiting', 'placed', 'paused', 'closed')),
	waiting_since	timestamptz,
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK ((status = 'waiting') = (waiting_since IS NOT NULL))
);
CREATE INDEX participant_district
    ON ch.participant (district_id, updated_at, id);

CREATE TABLE ch.participant_contact (
	participant_id	uuid PRIMARY KEY
	    REFERENCES ch.participant (id) ON DELETE CASCADE,
	district_id	text NOT NULL REFERENCES ch.district (id),
	email		text CHECK (length(email) BETWEEN 3 AND 254),
	phone		text CHECK (phone ~ '^\+?[0-9][0-9 ()/-]{3,28}[0-9]$'),
	street		text CHECK (length(street) BETWEEN 1 AND 120),
	postal_code	text CHECK (postal_code ~ '^[0-9]{5}$'),
	city		text CHECK (length(city) BETWEEN 1 AND 80),
	preferred_channel text CHECK (preferred_channel IN ('phone', 'sms',
			    'email', 'messenger', 'in_person')),
	note		text CHECK (length(note) <= 500),
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ch.consent (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	participant_id	uuid NOT NULL
	    REFERENCES ch.participant (id) ON DELETE CASCADE,
	district_id	text NOT NULL REFERENCES ch.district (id),
	purpose		text NOT NULL CHECK (purpose IN ('matching',
			    'cross_district', 'share_contact_with_partner',
			    'statistics')),
	text_version	text NOT NULL
	    CHECK (text_version ~ '^[A-Za-z0-9._-]{1,40}$'),
	granted_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	granted_by	text NOT NULL,
	granted_by_role	text NOT NULL,
	withdrawn_at	timestamptz,
	withdrawn_by	text,
	withdrawn_by_role text,
	withdrawal_reason text CHECK (withdrawal_reason IN ('withdrawn',
			    'superseded')),
	CHECK ((withdrawn_at IS NULL) = (withdrawal_reason IS NULL))
);
-- At most one standing grant per purpose.
CREATE UNIQUE INDEX consent_standing ON ch.consent (participant_id, purpose)
    WHERE withdrawn_at IS NULL;
CREATE INDEX consent_history
    ON ch.consent (participant_id, granted_at DESC, id DESC);

CREATE TABLE ch.placement (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	participant_id	uuid NOT NULL REFERENCES ch.participant (id),
	offer_id	uuid NOT NULL REFERENCES ch.offer (id),
	-- Copies for the policies, which must not read other guarded
	-- tables: the participant's district and the offer's organisation.
	district_id	text NOT NULL REFERENCES ch.district (id),
	organization_id	uuid NOT NULL REFERENCES ch.organization (id),
	status		text NOT NULL DEFAULT 'active'
	    CHECK (status IN ('active', 'ended')),
	started_on	date NOT NULL DEFAULT current_date,
	ended_on	date,
	end_reason	text CHECK (end_reason IN ('completed',
			    'participant_left', 'moved_away', 'offer_closed',
			    'not_a_fit', 'other')),
	note		text CHECK (length(note) <= 500),
	created_by	text NOT NULL,
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK ((status = 'ended') = (ended_on IS NOT NULL)),
	CHECK ((status = 'ended') = (end_reason IS NOT NULL)),
	CHECK (ended_on IS NULL OR ended_on >= started_on)
);
CREATE UNIQUE INDEX placement_active ON ch.placement (participant_id, offer_id)
    WHERE status = 'active';
CREATE INDEX placement_district ON ch.placement (district_id, updated_at, id);
CREATE INDEX placement_organization
    ON ch.placement (organization_id, updated_at, id);
CREATE INDEX placement_participant ON ch.placement (participant_id);
CREATE INDEX placement_offer ON ch.placement (offer_id);

-- Accounts link to the records they act for. Deferred, so that demo data
-- can create an account and its record in one transaction in any order.
ALTER TABLE ch.app_user
    ADD FOREIGN KEY (organization_id) REFERENCES ch.organization (id)
	DEFERRABLE INITIALLY DEFERRED,
    ADD FOREIGN KEY (participant_id) REFERENCES ch.participant (id)
	DEFERRABLE INITIALLY DEFERRED;
