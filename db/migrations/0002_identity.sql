-- Identity and access: accounts, refresh-token families, login throttling
-- and the append-only audit log.

CREATE TABLE ch.app_user (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	email		text NOT NULL
	    CHECK (length(email) BETWEEN 3 AND 254
		AND email ~ '^[^@[:space:][:cntrl:]]+@[^@[:space:][:cntrl:]]+$'),
	password_hash	text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
	role		text NOT NULL CHECK (role IN ('state_admin', 'coordinator',
			    'assistant', 'organization', 'mentor',
			    'participant')),
	-- The state admin works for all districts; everyone else for one.
	district_id	text REFERENCES ch.district (id),
	-- Links to the record the account acts for (their tables arrive with
	-- the Connecting Partners issue, which adds the foreign keys).
	organization_id	uuid,
	participant_id	uuid,
	locale		text NOT NULL DEFAULT 'de'
	    CHECK (locale IN ('de', 'en', 'uk', 'ru', 'ar', 'fa', 'tr')),
	disabled	boolean NOT NULL DEFAULT false,
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK ((role = 'state_admin') = (district_id IS NULL)),
	CHECK ((role = 'organization') = (organization_id IS NOT NULL)),
	CHECK ((role = 'participant') = (participant_id IS NOT NULL))
);

CREATE UNIQUE INDEX app_user_email_key ON ch.app_user (lower(email));
CREATE INDEX app_user_district ON ch.app_user (district_id, lower(email));

-- One login starts a family; each refresh replaces the family's token.
-- Presenting a replaced token again means it was stolen: the whole family
-- is revoked. Access tokens name their family (claim sid), so revoking it
-- stops them at once too.
CREATE TABLE ch.token_family (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL REFERENCES ch.app_user (id),
	created_at	timestamptz NOT NULL DEFAULT now(),
	revoked_at	timestamptz,
	revoke_reason	text CHECK (revoke_reason IN ('logout', 'reuse',
			    'password_changed', 'disabled'))
);

CREATE INDEX token_family_user ON ch.token_family (user_id)
	WHERE revoked_at IS NULL;

-- Refresh tokens are stored only as their SHA-256.
CREATE TABLE ch.refresh_token (
	token_hash	bytea PRIMARY KEY CHECK (length(token_hash) = 32),
	family_id	uuid NOT NULL REFERENCES ch.token_family (id),
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	used_at		timestamptz
);

CREATE INDEX refresh_token_family ON ch.refresh_token (family_id);

-- Failed logins per email address, whether or not an account has it, so
-- an unknown address and a wrong password behave the same.
CREATE TABLE ch.login_throttle (
	email_key	text PRIMARY KEY,
	failures	integer NOT NULL DEFAULT 0,
	last_failure	timestamptz NOT NULL DEFAULT now(),
	locked_until	timestamptz
);

CREATE TABLE ch.audit_log (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	actor		text,		-- user id, or issuer#subject
	actor_role	text,
	action		text NOT NULL,
	entity		text NOT NULL,
	entity_id	text,
	district_id	text,
	request_id	text,
	detail		jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_entity ON ch.audit_log (entity, entity_id, at);
