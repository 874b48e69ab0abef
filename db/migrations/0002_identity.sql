-- Identity and access: accounts, refresh-token families, login throttling
-- and the append-only audit log. The API runs each multi-step operation as
-- one call of a function below, so it is one round trip and one
-- transaction: a crash leaves either all of it or nothing.

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

CREATE TRIGGER app_user_touch BEFORE UPDATE ON ch.app_user
	FOR EACH ROW EXECUTE FUNCTION ch.touch();

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

CREATE FUNCTION ch.audit_log_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only'
	    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE
	ON ch.audit_log FOR EACH ROW
	EXECUTE FUNCTION ch.audit_log_immutable();

CREATE FUNCTION ch.audit(p_actor text, p_actor_role text, p_action text,
    p_entity text, p_entity_id text, p_district text, p_request_id text,
    p_detail jsonb DEFAULT '{}')
RETURNS void LANGUAGE sql AS $$
	INSERT INTO ch.audit_log (actor, actor_role, action, entity, entity_id,
	    district_id, request_id, detail)
	VALUES (p_actor, p_actor_role, p_action, p_entity, p_entity_id,
	    p_district, p_request_id, coalesce(p_detail, '{}'));
$$;

-- Seconds until the address may try again; 0 when it may now.
CREATE FUNCTION ch.login_retry_after(p_email text) RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT coalesce((
	    SELECT greatest(0, ceil(extract(epoch FROM
		t.locked_until - now())))::integer
	    FROM ch.login_throttle t
	    WHERE t.email_key = lower(p_email)), 0);
$$;

-- Login, step 1: the lock state and, when the address has an enabled
-- account, its id and password hash (the API verifies a dummy hash
-- otherwise, so both cases take the same time).
CREATE FUNCTION ch.login_begin(p_email text,
    OUT retry_after integer, OUT user_id uuid, OUT password_hash text)
LANGUAGE sql STABLE AS $$
	SELECT ch.login_retry_after(p_email), u.id, u.password_hash
	FROM (SELECT 1) one
	LEFT JOIN ch.app_user u ON lower(u.email) = lower(p_email)
	    AND NOT u.disabled;
$$;

-- Login failed: count it; from the fifth failure in a row the address is
-- locked for 30 s, doubling with each further failure up to 15 minutes.
CREATE FUNCTION ch.login_failed(p_email text, p_user uuid,
    p_request_id text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n integer;
BEGIN
	INSERT INTO ch.login_throttle AS t (email_key, failures)
	VALUES (lower(p_email), 1)
	ON CONFLICT (email_key) DO UPDATE
	    SET failures = CASE WHEN t.last_failure < now() - interval '1 day'
		THEN 1 ELSE t.failures + 1 END,
		last_failure = now()
	RETURNING failures INTO n;
	IF n >= 5 THEN
		UPDATE ch.login_throttle
		SET locked_until = now() + least(interval '15 minutes',
		    interval '30 seconds' * power(2, least(n - 5, 10)))
		WHERE email_key = lower(p_email);
	END IF;
	-- Addresses nobody tried for a day are forgotten.
	IF random() < 0.01 THEN
		DELETE FROM ch.login_throttle
		WHERE last_failure < now() - interval '1 day';
	END IF;
	PERFORM ch.audit(NULL, NULL, 'login.failed', 'app_user',
	    p_user::text, (SELECT district_id FROM ch.app_user
		WHERE id = p_user), p_request_id,
	    jsonb_build_object('failures', n));
	RETURN ch.login_retry_after(p_email);
END
$$;

-- Login succeeded: reset the counter, start a token family with its first
-- refresh token, and return what the access token needs. No row when the
-- account was disabled meanwhile.
CREATE FUNCTION ch.login_succeeded(p_user uuid, p_refresh_hash bytea,
    p_refresh_ttl integer, p_request_id text)
RETURNS TABLE (family_id uuid, role text, district_id text)
LANGUAGE plpgsql AS $$
DECLARE
	u ch.app_user;
	f uuid;
BEGIN
	SELECT * INTO u FROM ch.app_user a WHERE a.id = p_user
	    AND NOT a.disabled;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	DELETE FROM ch.login_throttle WHERE email_key = lower(u.email);
	INSERT INTO ch.token_family (user_id) VALUES (u.id) RETURNING id INTO f;
	INSERT INTO ch.refresh_token (token_hash, family_id, expires_at)
	VALUES (p_refresh_hash, f, now() + make_interval(secs => p_refresh_ttl));
	PERFORM ch.audit(u.id::text, u.role, 'login.succeeded', 'app_user',
	    u.id::text, u.district_id, p_request_id,
	    jsonb_build_object('family', f));
	RETURN QUERY SELECT f, u.role, u.district_id;
END
$$;

CREATE FUNCTION ch.family_revoke(p_family uuid, p_reason text,
    p_actor text, p_actor_role text, p_request_id text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	u ch.app_user;
BEGIN
	UPDATE ch.token_family SET revoked_at = now(), revoke_reason = p_reason
	WHERE id = p_family AND revoked_at IS NULL;
	IF FOUND THEN
		SELECT a.* INTO u FROM ch.app_user a
		JOIN ch.token_family f ON f.user_id = a.id
		WHERE f.id = p_family;
		PERFORM ch.audit(coalesce(p_actor, u.id::text),
		    coalesce(p_actor_role, u.role), 'token_family.revoked',
		    'app_user', u.id::text, u.district_id, p_request_id,
		    jsonb_build_object('family', p_family, 'reason', p_reason));
	END IF;
END
$$;

-- Every live family of a user but one (NULL: all).
CREATE FUNCTION ch.user_revoke_families(p_user uuid, p_keep uuid,
    p_reason text, p_actor text, p_actor_role text, p_request_id text)
RETURNS void LANGUAGE sql AS $$
	SELECT ch.family_revoke(f.id, p_reason, p_actor, p_actor_role,
	    p_request_id)
	FROM ch.token_family f
	WHERE f.user_id = p_user AND f.revoked_at IS NULL
	    AND f.id IS DISTINCT FROM p_keep;
$$;

-- Refresh: outcome 'ok' with the new token stored, 'invalid' (unknown,
-- expired, revoked, disabled account) or 'reused' (an already replaced
-- token: the family is revoked).
CREATE FUNCTION ch.refresh_rotate(p_hash bytea, p_new_hash bytea,
    p_refresh_ttl integer, p_request_id text)
RETURNS TABLE (outcome text, user_id uuid, family_id uuid, role text,
    district_id text)
LANGUAGE plpgsql AS $$
DECLARE
	t ch.refresh_token;
	u ch.app_user;
BEGIN
	SELECT * INTO t FROM ch.refresh_token r WHERE r.token_hash = p_hash
	    FOR UPDATE;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'invalid', NULL::uuid, NULL::uuid,
		    NULL::text, NULL::text;
		RETURN;
	END IF;
	SELECT a.* INTO u FROM ch.app_user a
	JOIN ch.token_family f ON f.user_id = a.id
	WHERE f.id = t.family_id AND f.revoked_at IS NULL;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'invalid', NULL::uuid, NULL::uuid,
		    NULL::text, NULL::text;
		RETURN;
	END IF;
	IF t.used_at IS NOT NULL THEN
		PERFORM ch.family_revoke(t.family_id, 'reuse', NULL, NULL,
		    p_request_id);
		RETURN QUERY SELECT 'reused', u.id, t.family_id, NULL::text,
		    NULL::text;
		RETURN;
	END IF;
	IF t.expires_at <= now() OR u.disabled THEN
		RETURN QUERY SELECT 'invalid', NULL::uuid, NULL::uuid,
		    NULL::text, NULL::text;
		RETURN;
	END IF;
	UPDATE ch.refresh_token SET used_at = now()
	WHERE token_hash = p_hash;
	INSERT INTO ch.refresh_token (token_hash, family_id, expires_at)
	VALUES (p_new_hash, t.family_id,
	    now() + make_interval(secs => p_refresh_ttl));
	RETURN QUERY SELECT 'ok', u.id, t.family_id, u.role, u.district_id;
END
$$;

-- Logout: revoke the family of a refresh token; quiet about unknown ones.
CREATE FUNCTION ch.logout(p_hash bytea, p_request_id text) RETURNS void
LANGUAGE sql AS $$
	SELECT ch.family_revoke(r.family_id, 'logout', NULL, NULL,
	    p_request_id)
	FROM ch.refresh_token r WHERE r.token_hash = p_hash;
$$;

-- Password change by the user: store the new hash, end every other
-- session, reset the failure counter.
CREATE FUNCTION ch.password_changed(p_user uuid, p_hash text,
    p_keep_family uuid, p_request_id text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	u ch.app_user;
BEGIN
	UPDATE ch.app_user SET password_hash = p_hash
	WHERE id = p_user AND NOT disabled RETURNING * INTO u;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	DELETE FROM ch.login_throttle WHERE email_key = lower(u.email);
	PERFORM ch.user_revoke_families(u.id, p_keep_family,
	    'password_changed', u.id::text, u.role, p_request_id);
	PERFORM ch.audit(u.id::text, u.role, 'user.password_changed',
	    'app_user', u.id::text, u.district_id, p_request_id);
	RETURN true;
END
$$;

CREATE FUNCTION ch.user_json(u ch.app_user) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', u.id, 'email', u.email,
	    'role', u.role, 'district_id', u.district_id,
	    'organization_id', u.organization_id,
	    'participant_id', u.participant_id, 'locale', u.locale,
	    'disabled', u.disabled, 'version', u.version,
	    'created_at', u.created_at, 'updated_at', u.updated_at);
$$;

-- Create an account and audit it. outcome: 'ok' or 'unknown_district'; a
-- taken email address raises unique_violation.
CREATE FUNCTION ch.user_create(p_email text, p_hash text, p_role text,
    p_district text, p_org uuid, p_participant uuid, p_locale text,
    p_actor text, p_actor_role text, p_request_id text)
RETURNS TABLE (outcome text, id uuid, version integer, body text)
LANGUAGE plpgsql AS $$
DECLARE
	n ch.app_user;
BEGIN
	IF p_district IS NOT NULL AND NOT EXISTS (
	    SELECT 1 FROM ch.district d WHERE d.id = p_district) THEN
		RETURN QUERY SELECT 'unknown_district', NULL::uuid,
		    NULL::integer, NULL::text;
		RETURN;
	END IF;
	INSERT INTO ch.app_user (email, password_hash, role, district_id,
	    organization_id, participant_id, locale)
	VALUES (p_email, p_hash, p_role, p_district, p_org, p_participant,
	    coalesce(p_locale, 'de'))
	RETURNING * INTO n;
	PERFORM ch.audit(p_actor, p_actor_role, 'user.created', 'app_user',
	    n.id::text, n.district_id, p_request_id,
	    jsonb_build_object('role', n.role));
	RETURN QUERY SELECT 'ok', n.id, n.version, ch.user_json(n)::text;
END
$$;

-- Replace an account's fields if it is still at p_version, end its
-- sessions when it is disabled, and audit which fields changed.
-- outcome: 'ok', 'missing', 'stale' or 'unknown_district'.
CREATE FUNCTION ch.user_update(p_id uuid, p_version integer, p_email text,
    p_role text, p_district text, p_org uuid, p_participant uuid,
    p_locale text, p_disabled boolean, p_actor text, p_actor_role text,
    p_request_id text)
RETURNS TABLE (outcome text, version integer, body text)
LANGUAGE plpgsql AS $$
DECLARE
	o ch.app_user;
	n ch.app_user;
	changed text[];
BEGIN
	SELECT * INTO o FROM ch.app_user a WHERE a.id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'missing', NULL::integer, NULL::text;
		RETURN;
	END IF;
	IF o.version <> p_version THEN
		RETURN QUERY SELECT 'stale', o.version, NULL::text;
		RETURN;
	END IF;
	IF p_district IS NOT NULL AND NOT EXISTS (
	    SELECT 1 FROM ch.district d WHERE d.id = p_district) THEN
		RETURN QUERY SELECT 'unknown_district', NULL::integer,
		    NULL::text;
		RETURN;
	END IF;
	UPDATE ch.app_user a SET email = p_email, role = p_role,
	    district_id = p_district, organization_id = p_org,
	    participant_id = p_participant, locale = p_locale,
	    disabled = p_disabled
	WHERE a.id = p_id RETURNING * INTO n;
	changed := array_remove(ARRAY[
	    CASE WHEN n.email IS DISTINCT FROM o.email THEN 'email' END,
	    CASE WHEN n.role IS DISTINCT FROM o.role THEN 'role' END,
	    CASE WHEN n.district_id IS DISTINCT FROM o.district_id
		THEN 'district_id' END,
	    CASE WHEN n.organization_id IS DISTINCT FROM o.organization_id
		THEN 'organization_id' END,
	    CASE WHEN n.participant_id IS DISTINCT FROM o.participant_id
		THEN 'participant_id' END,
	    CASE WHEN n.locale IS DISTINCT FROM o.locale THEN 'locale' END,
	    CASE WHEN n.disabled IS DISTINCT FROM o.disabled
		THEN 'disabled' END], NULL);
	IF n.disabled AND NOT o.disabled THEN
		PERFORM ch.user_revoke_families(n.id, NULL, 'disabled',
		    p_actor, p_actor_role, p_request_id);
	END IF;
	PERFORM ch.audit(p_actor, p_actor_role, 'user.updated', 'app_user',
	    n.id::text, n.district_id, p_request_id,
	    jsonb_build_object('changed', to_jsonb(changed),
		'role', n.role, 'previous_role', o.role,
		'previous_district_id', o.district_id));
	RETURN QUERY SELECT 'ok', n.version, ch.user_json(n)::text;
END
$$;

-- The application role reads and writes through the API only; the audit
-- log takes inserts and nothing else.
GRANT SELECT, INSERT, UPDATE ON ch.app_user, ch.token_family,
    ch.refresh_token TO ch_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ch.login_throttle TO ch_app;
GRANT SELECT, INSERT ON ch.audit_log TO ch_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ch TO ch_app;
