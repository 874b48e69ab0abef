-- Accounts and sessions: sign-in with its throttles, refresh-token
-- families and their rotation, logout, password changes, the users
-- resource, the links of an account to what it acts for, and the check a
-- login role runs on itself at start-up.
--
-- Each function here is its one current source: edit it in place, and
-- scripts/migrate.sh applies the file again (CREATE OR REPLACE). A
-- function whose arguments or result type change, or that goes away, is
-- dropped by a new migration in db/migrations/.

CREATE OR REPLACE FUNCTION ch.family_revoke(p_family uuid, p_reason text,
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
CREATE OR REPLACE FUNCTION ch.user_revoke_families(p_user uuid, p_keep uuid,
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
CREATE OR REPLACE FUNCTION ch.refresh_rotate(p_hash bytea, p_new_hash bytea,
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
CREATE OR REPLACE FUNCTION ch.logout(p_hash bytea, p_request_id text) RETURNS void
LANGUAGE sql AS $$
	SELECT ch.family_revoke(r.family_id, 'logout', NULL, NULL,
	    p_request_id)
	FROM ch.refresh_token r WHERE r.token_hash = p_hash;
$$;

-- ---------------------------------------------------------------------
-- The caller's own account: GET /v1/me and POST /v1/me/password. The
-- caller (p_who) carries what the access token says; the account is
-- read afresh.

CREATE OR REPLACE FUNCTION ch.me_get(p_who jsonb, p_unused uuid DEFAULT NULL)
RETURNS ch.result LANGUAGE plpgsql STABLE AS $$
DECLARE
	u	json;
BEGIN
	SELECT ch.user_json(a) INTO u FROM ch.app_user a
	WHERE a.id = (p_who->>'user')::uuid;
	RETURN ROW(NULL::integer, NULL::text, json_build_object(
	    'source', CASE WHEN (p_who->>'external')::boolean THEN 'external'
		ELSE 'local' END,
	    'issuer', p_who->>'issuer', 'subject', p_who->>'subject',
	    'role', p_who->>'role', 'district_id', p_who->>'district',
	    'user', u)::text, false);
END
$$;

-- The first step of a password change: the current password is an
-- attempt at the address like a sign-in's, counted before the API checks
-- it (without a client limit). retry_after > 0: refused for that long,
-- nothing counted. No row: the account is disabled.
CREATE OR REPLACE FUNCTION ch.me_password_begin(p_who jsonb)
RETURNS TABLE (retry_after integer, password_hash text, email text)
LANGUAGE plpgsql AS $$
BEGIN
	IF p_who->>'user' IS NULL THEN
		PERFORM ch.fail(403, 'Your password is managed by your '
		    'organisation''s sign-in, not by this service.');
	END IF;
	RETURN QUERY
	SELECT (ch.login_attempt(u.email, NULL)).retry_after, u.password_hash,
	    u.email
	FROM ch.app_user u
	WHERE u.id = (p_who->>'user')::uuid AND NOT u.disabled;
END
$$;

-- The password change itself, once the API checked the current password
-- and hashed the new one (p_body: {"password_hash": ...}, put there by
-- the API, never by a client): store it, end every other sign-in, reset
-- the failure counter.
CREATE OR REPLACE FUNCTION ch.me_password(p_who jsonb, p_key text, p_hash text,
    p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	u	ch.app_user;
BEGIN
	UPDATE ch.app_user a SET password_hash = p_body->>'password_hash'
	WHERE a.id = (p_who->>'user')::uuid AND NOT a.disabled
	RETURNING * INTO u;
	IF NOT FOUND THEN
		PERFORM ch.fail(401, 'The account is no longer active.');
	END IF;
	DELETE FROM ch.login_throttle WHERE email_key = lower(u.email);
	PERFORM ch.user_revoke_families(u.id, (p_who->>'session')::uuid,
	    'password_changed', u.id::text, u.role, p_who->>'request');
	PERFORM ch.audit(u.id::text, u.role, 'user.password_changed',
	    'app_user', u.id::text, u.district_id, p_who->>'request');
	RETURN ROW(NULL::integer, NULL::text, NULL::text, false);
END
$$;

-- ---------------------------------------------------------------------
-- Accounts (/v1/users): the state admin manages every account; a
-- coordinator sees the accounts of their own district and manages its
-- assistants, organisation representatives and mentors. Nobody changes
-- their own role, district or access.

CREATE OR REPLACE FUNCTION ch.user_json(u ch.app_user) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', u.id, 'email', u.email,
	    'role', u.role, 'district_id', u.district_id,
	    'organization_id', u.organization_id,
	    'participant_id', u.participant_id, 'locale', u.locale,
	    'disabled', u.disabled, 'version', u.version,
	    'created_at', u.created_at, 'updated_at', u.updated_at);
$$;

-- The members a client writes, for merging a patch into.
CREATE OR REPLACE FUNCTION ch.user_doc(u ch.app_user) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('email', u.email,
	    'role', u.role, 'district_id', u.district_id,
	    'organization_id', u.organization_id,
	    'participant_id', u.participant_id, 'locale', u.locale,
	    'disabled', u.disabled));
$$;

-- An account from a request body the contract checked, with the rules
-- that span fields or need data as field errors (422).
CREATE OR REPLACE FUNCTION ch.user_from(p_doc jsonb, u ch.app_user)
RETURNS ch.app_user LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb := '[]';
BEGIN
	u.email := p_doc->>'email';
	u.role := p_doc->>'role';
	u.district_id := p_doc->>'district_id';
	u.organization_id := (p_doc->>'organization_id')::uuid;
	u.participant_id := (p_doc->>'participant_id')::uuid;
	u.locale := coalesce(p_doc->>'locale', 'de');
	u.disabled := coalesce((p_doc->>'disabled')::boolean, false);
	IF u.role = 'state_admin' AND u.district_id IS NOT NULL THEN
		e := e || ch.err('/district_id', 'must_be_null', 'The state '
		    'admin works for every district: district_id must be '
		    'null.');
	ELSIF u.role <> 'state_admin' AND u.district_id IS NULL THEN
		e := e || ch.err('/district_id', 'required',
		    'This role needs a district_id.');
	ELSIF u.district_id IS NOT NULL AND NOT EXISTS (
	    SELECT 1 FROM ch.district d WHERE d.id = u.district_id) THEN
		e := e || ch.err('/district_id', 'unknown',
		    'There is no district with this key.');
	END IF;
	IF (u.role = 'organization') <> (u.organization_id IS NOT NULL) THEN
		e := e || ch.err('/organization_id', CASE WHEN u.role =
		    'organization' THEN 'required' ELSE 'must_be_null' END,
		    'organization_id is set exactly for the organization role.');
	END IF;
	IF (u.role = 'participant') <> (u.participant_id IS NOT NULL) THEN
		e := e || ch.err('/participant_id', CASE WHEN u.role =
		    'participant' THEN 'required' ELSE 'must_be_null' END,
		    'participant_id is set exactly for the participant role.');
	END IF;
	PERFORM ch.fail_invalid(e, 'The account data is invalid.');
	RETURN u;
END
$$;

-- Which accounts the caller sees: all for the state admin, those of
-- their district for a coordinator (others answer 404).
CREATE OR REPLACE FUNCTION ch.user_visible(p_who jsonb, u ch.app_user)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(p_who->>'role' = 'state_admin'
	    OR (p_who->>'role' = 'coordinator'
		AND u.district_id = p_who->>'district'), false);
$$;

-- May the caller manage an account like u (as it is, and as it would
-- become)? 403 if not.
CREATE OR REPLACE FUNCTION ch.user_check_manager(p_who jsonb, u ch.app_user)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF p_who->>'role' = 'state_admin' THEN
		RETURN;
	END IF;
	IF p_who->>'role' IS DISTINCT FROM 'coordinator' OR u.role NOT IN (
	    'assistant', 'organization', 'mentor') THEN
		PERFORM ch.fail(403, 'A coordinator manages assistants, '
		    'organisation representatives and mentors only.');
	END IF;
	IF u.district_id IS DISTINCT FROM p_who->>'district' THEN
		PERFORM ch.fail(403, 'A coordinator manages the accounts of '
		    'their own district only.');
	END IF;
END
$$;

-- Ordered by address (case-insensitive), then id: the first cursor key
-- is a text (ch.after is for times).
CREATE OR REPLACE FUNCTION ch.user_list(p_who jsonb, p_filter jsonb,
    p_after text[], p_limit integer)
RETURNS TABLE (body text, k1 text, k2 text) LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN QUERY
	SELECT ch.user_json(u)::text, lower(u.email), u.id::text
	FROM ch.app_user u
	WHERE ch.user_visible(p_who, u)
	    AND (p_filter->>'district_id' IS NULL
		OR u.district_id = p_filter->>'district_id')
	    AND (p_filter->>'role' IS NULL OR u.role = p_filter->>'role')
	    AND (p_filter->>'disabled' IS NULL
		OR u.disabled = (p_filter->>'disabled')::boolean)
	    AND (p_filter->>'email' IS NULL
		OR lower(u.email) = lower(p_filter->>'email'))
	    AND (p_after IS NULL OR (lower(u.email), u.id) >
		(p_after[1], p_after[2]::uuid))
	ORDER BY lower(u.email), u.id
	LIMIT p_limit;
END
$$;

CREATE OR REPLACE FUNCTION ch.user_get(p_who jsonb, p_id uuid)
RETURNS ch.result LANGUAGE plpgsql STABLE AS $$
DECLARE
	u	ch.app_user;
BEGIN
	SELECT * INTO u FROM ch.app_user a WHERE a.id = p_id;
	IF NOT FOUND OR NOT ch.user_visible(p_who, u) THEN
		PERFORM ch.fail_missing('user');
	END IF;
	RETURN ROW(u.version, NULL::text, ch.user_json(u)::text, false);
END
$$;

-- p_body is the checked request with "password" replaced by
-- "password_hash" (the API hashes it; the contract lets no client send
-- a hash).
-- A new account as far as it can be checked without its password: the
-- fields and the caller's right to create it. The API runs this before it
-- hashes the password, so a refused account costs no hash;
-- ch.user_create runs it again in its own transaction.
CREATE OR REPLACE FUNCTION ch.user_create_check(p_who jsonb, p_body jsonb)
RETURNS ch.app_user LANGUAGE plpgsql STABLE AS $$
DECLARE
	doc	jsonb := p_body;
	u	ch.app_user;
BEGIN
	-- A coordinator's accounts belong to their district by default.
	IF NOT doc ? 'district_id' AND p_who->>'role' = 'coordinator' THEN
		doc := doc || jsonb_build_object('district_id',
		    p_who->>'district');
	END IF;
	u := ch.user_from(doc, u);
	PERFORM ch.user_check_manager(p_who, u);
	RETURN u;
END
$$;

CREATE OR REPLACE FUNCTION ch.user_create(p_who jsonb, p_key text, p_hash text,
    p_body jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	r	ch.result;
	u	ch.app_user;
	doc	jsonb := p_body;
BEGIN
	r := ch.idem_begin(p_who, p_key, p_hash);
	IF r.replayed THEN
		RETURN r;
	END IF;
	u := ch.user_create_check(p_who, p_body);
	INSERT INTO ch.app_user (email, password_hash, role, district_id,
	    organization_id, participant_id, locale)
	VALUES (u.email, p_body->>'password_hash', u.role, u.district_id,
	    u.organization_id, u.participant_id, u.locale)
	RETURNING * INTO u;
	PERFORM ch.audit_by(p_who, 'user.created', 'app_user', u.id,
	    u.district_id, jsonb_build_object('role', u.role));
	RETURN ch.idem_finish(p_who, p_key, p_hash, ROW(u.version,
	    '/v1/users/' || u.id, ch.user_json(u)::text, false));
END
$$;

-- A merge patch of an account; disabling it ends its sign-ins. The audit
-- record names the fields that changed.
CREATE OR REPLACE FUNCTION ch.user_update(p_who jsonb, p_id uuid,
    p_if_match integer[], p_patch jsonb)
RETURNS ch.result LANGUAGE plpgsql AS $$
DECLARE
	old	ch.app_user;
	u	ch.app_user;
	changed	text[];
BEGIN
	SELECT * INTO old FROM ch.app_user a WHERE a.id = p_id FOR UPDATE;
	IF NOT FOUND OR NOT ch.user_visible(p_who, old) THEN
		PERFORM ch.fail_missing('user');
	END IF;
	PERFORM ch.user_check_manager(p_who, old);
	PERFORM ch.require_version(old.version, p_if_match, 'account');
	IF p_who->>'user' = old.id::text AND (
	    (p_patch ? 'role' AND p_patch->>'role' IS DISTINCT FROM old.role)
	    OR (p_patch ? 'district_id'
		AND p_patch->>'district_id' IS DISTINCT FROM old.district_id)
	    OR (p_patch ? 'disabled' AND (p_patch->>'disabled')::boolean
		IS DISTINCT FROM old.disabled)) THEN
		PERFORM ch.fail(403, 'Nobody can change their own role, '
		    'district or access; ask another administrator.');
	END IF;
	u := ch.user_from(ch.merge_patch(ch.user_doc(old), p_patch), old);
	PERFORM ch.user_check_manager(p_who, u);
	-- An account waiting for its erasure keeps the role it was filed
	-- for (only mentors' and organisation users' accounts are erased).
	PERFORM ch.enter(p_who);
	IF u.role IS DISTINCT FROM old.role AND EXISTS (
	    SELECT 1 FROM ch.erasure_request e WHERE e.subject = 'account'
		AND e.user_id = old.id AND e.status = 'pending') THEN
		PERFORM ch.fail(409, 'The account''s erasure is pending: cancel '
		    'it before changing the role.');
	END IF;
	UPDATE ch.app_user a SET email = u.email, role = u.role,
	    district_id = u.district_id, organization_id = u.organization_id,
	    participant_id = u.participant_id, locale = u.locale,
	    disabled = u.disabled
	WHERE a.id = p_id RETURNING * INTO u;
	changed := array_remove(ARRAY[
	    CASE WHEN u.email IS DISTINCT FROM old.email THEN 'email' END,
	    CASE WHEN u.role IS DISTINCT FROM old.role THEN 'role' END,
	    CASE WHEN u.district_id IS DISTINCT FROM old.district_id
		THEN 'district_id' END,
	    CASE WHEN u.organization_id IS DISTINCT FROM old.organization_id
		THEN 'organization_id' END,
	    CASE WHEN u.participant_id IS DISTINCT FROM old.participant_id
		THEN 'participant_id' END,
	    CASE WHEN u.locale IS DISTINCT FROM old.locale THEN 'locale' END,
	    CASE WHEN u.disabled IS DISTINCT FROM old.disabled
		THEN 'disabled' END], NULL);
	IF u.disabled AND NOT old.disabled THEN
		PERFORM ch.user_revoke_families(u.id, NULL, 'disabled',
		    p_who->>'actor', p_who->>'role', p_who->>'request');
	END IF;
	PERFORM ch.audit_by(p_who, 'user.updated', 'app_user', u.id,
	    u.district_id, jsonb_build_object('changed', to_jsonb(changed),
		'role', u.role, 'previous_role', old.role,
		'previous_district_id', old.district_id));
	RETURN ROW(u.version, NULL::text, ch.user_json(u)::text, false);
END
$$;

-- An account acts for a record of its own district. Checked at commit
-- (like the foreign keys), as a field error the API passes on; it reads
-- past row-level security, as foreign keys do.
CREATE OR REPLACE FUNCTION ch.app_user_links() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
	IF NEW.organization_id IS NOT NULL AND NOT EXISTS (
	    SELECT 1 FROM ch.organization o WHERE o.id = NEW.organization_id
		AND o.district_id = NEW.district_id) THEN
		PERFORM ch.fail(422, 'The account data is invalid.',
		    ch.err('/organization_id', 'unknown', 'There is no '
		    'organisation with this id in the account''s district.'));
	END IF;
	IF NEW.participant_id IS NOT NULL AND NOT EXISTS (
	    SELECT 1 FROM ch.participant p WHERE p.id = NEW.participant_id
		AND p.district_id = NEW.district_id) THEN
		PERFORM ch.fail(422, 'The account data is invalid.',
		    ch.err('/participant_id', 'unknown', 'There is no '
		    'participant with this id in the account''s district.'));
	END IF;
	RETURN NULL;
END
$$;
-- Triggers of one event fire in name order: the quoted upper-case name
-- runs before the foreign keys' "RI_..." triggers, so the field error
-- wins over the generic foreign key violation.
-- (A constraint trigger cannot be replaced in place.)
DROP TRIGGER IF EXISTS "A_app_user_links" ON ch.app_user;
CREATE CONSTRAINT TRIGGER "A_app_user_links" AFTER INSERT OR UPDATE OF
    organization_id, participant_id, district_id ON ch.app_user
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION ch.app_user_links();

-- ---------------------------------------------------------------------
-- The login role's own check: the API and ch-matcher refuse to start
-- when it could read past row-level security, by itself or by a role it
-- may take (the session's role and the one it acts as are both checked).
-- NULL when the role is fit.

CREATE OR REPLACE FUNCTION ch.login_role_problem() RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT x.problem FROM (SELECT CASE
	    WHEN EXISTS (SELECT 1 FROM pg_roles s WHERE s.rolsuper
		AND pg_has_role(r.oid, s.oid, 'MEMBER'))
		THEN 'is a superuser or may become one'
	    WHEN pg_has_role(r.oid, n.nspowner, 'MEMBER')
		THEN 'owns schema ch or is a member of its owner'
	    WHEN EXISTS (SELECT 1 FROM pg_roles s WHERE s.rolbypassrls
		AND pg_has_role(r.oid, s.oid, 'MEMBER'))
		THEN 'has BYPASSRLS or may take a role that has it'
	    WHEN EXISTS (SELECT 1 FROM pg_class c
		WHERE c.relnamespace = n.oid AND c.relowner = r.oid)
		OR EXISTS (SELECT 1 FROM pg_proc f
		WHERE f.pronamespace = n.oid AND f.proowner = r.oid)
		OR EXISTS (SELECT 1 FROM pg_type t
		WHERE t.typnamespace = n.oid AND t.typowner = r.oid)
		THEN 'owns objects in schema ch'
	    END AS problem
	FROM pg_roles r, pg_namespace n
	WHERE r.rolname IN (session_user, current_user)
	    AND n.nspname = 'ch') x
	WHERE x.problem IS NOT NULL
	LIMIT 1;
$$;

-- The key of a client address: IPv6 clients get a /64 each, as one
-- subscriber usually does, so the limit cannot be dodged by walking it.
CREATE OR REPLACE FUNCTION ch.login_client_key(p_client inet) RETURNS cidr
LANGUAGE sql IMMUTABLE AS $$
	SELECT network(set_masklen(p_client,
	    CASE family(p_client) WHEN 6 THEN 64 ELSE 32 END));
$$;

-- Sign-in throttling: an attempt is counted before its password is
-- hashed, under the row lock of the address, so concurrent attempts see
-- each other; an attempt beyond a limit is refused (429) without hashing.
-- The limits:
--   per address (email, known or not): five attempts in a row; the fifth
--   locks the address for 30 s, each later one (after the lock ran out)
--   doubles that, up to 15 minutes. A day without attempts forgets them.
--   per client address (IPv4 address, IPv6 /64): 50 failed sign-ins in a
--   10-minute window; then 429 until the window ends. Successes do not
--   count, so an office behind one address is not locked out by its
--   own sign-ins.
--
-- Counts a sign-in attempt for an address from a client (NULL: no client
-- limit, for a signed-in user confirming their password), before its
-- password is checked. retry_after 0: go ahead, the attempt is counted as
-- number attempt in a row for the address. Otherwise the seconds until
-- the address or the client may try again, and nothing was counted.
-- Locks the address's row, then the client's, as every function here
-- does, so concurrent attempts wait for each other and never deadlock.
-- The no-op DO UPDATE locks the row whether it was there or not, and
-- inserts it again should a success delete it meanwhile.
CREATE OR REPLACE FUNCTION ch.login_attempt(p_email text, p_client inet,
    OUT retry_after integer, OUT attempt integer)
LANGUAGE plpgsql AS $$
DECLARE
	k text := lower(p_email);
	c cidr := ch.login_client_key(p_client);
	t ch.login_throttle;
	ct ch.login_client_throttle;
	-- The time once the row is ours: now() is when the transaction
	-- began, before it waited for the attempts ahead of it.
	at timestamptz;
BEGIN
	INSERT INTO ch.login_throttle AS x (email_key) VALUES (k)
	ON CONFLICT (email_key) DO UPDATE SET email_key = x.email_key
	RETURNING * INTO t;
	at := clock_timestamp();
	IF t.locked_until > at THEN
		retry_after := ceil(extract(epoch FROM t.locked_until - at));
		RETURN;
	END IF;

	IF c IS NOT NULL THEN
		INSERT INTO ch.login_client_throttle AS x (client) VALUES (c)
		ON CONFLICT (client) DO UPDATE SET client = x.client
		RETURNING * INTO ct;
		at := clock_timestamp();
		IF ct.window_start <= at - interval '10 minutes' THEN
			ct.failures := 0;
			ct.window_start := at;
		END IF;
		IF ct.failures >= 50 THEN
			retry_after := greatest(1, ceil(extract(epoch FROM
			    ct.window_start + interval '10 minutes' - at)));
			RETURN;
		END IF;
		UPDATE ch.login_client_throttle
		SET failures = ct.failures + 1, window_start = ct.window_start
		WHERE client = c;
	END IF;

	attempt := CASE WHEN t.last_failure < at - interval '1 day'
	    THEN 1 ELSE t.failures + 1 END;
	UPDATE ch.login_throttle
	SET failures = attempt, last_failure = at,
	    locked_until = CASE WHEN attempt >= 5
		THEN at + least(interval '15 minutes', interval '30 seconds'
		    * power(2, least(attempt - 5, 10)))
		ELSE locked_until END
	WHERE email_key = k;
	retry_after := 0;
END
$$;
CREATE OR REPLACE FUNCTION ch.login_begin(p_email text, p_client inet,
    OUT retry_after integer, OUT attempt integer, OUT user_id uuid,
    OUT password_hash text)
LANGUAGE sql AS $$
	SELECT a.retry_after, a.attempt, u.id, u.password_hash
	FROM ch.login_attempt(p_email, p_client) a
	LEFT JOIN ch.app_user u ON a.retry_after = 0
	    AND lower(u.email) = lower(p_email) AND NOT u.disabled;
$$;

-- An admitted attempt whose password could not be checked (the API was
-- too busy): take it back. When it was the attempt that locked the
-- address and none came after it, the lock goes too.
CREATE OR REPLACE FUNCTION ch.login_abandoned(p_email text, p_client inet,
    p_attempt integer) RETURNS void
LANGUAGE sql AS $$
	UPDATE ch.login_throttle
	SET failures = failures - 1,
	    locked_until = CASE WHEN p_attempt >= 5 AND failures = p_attempt
		THEN now() ELSE locked_until END
	WHERE email_key = lower(p_email) AND failures > 0;
	UPDATE ch.login_client_throttle SET failures = failures - 1
	WHERE client = ch.login_client_key(p_client) AND failures > 0;
$$;

-- A wrong password (or an unknown address, or a disabled account): the
-- attempt was counted already; audit it, and now and then forget
-- addresses and clients nobody tried for a while. Returns the seconds
-- until the address may try again.
CREATE OR REPLACE FUNCTION ch.login_failed(p_email text, p_user uuid,
    p_request_id text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	t ch.login_throttle;
BEGIN
	SELECT * INTO t FROM ch.login_throttle
	WHERE email_key = lower(p_email);
	IF random() < 0.01 THEN
		DELETE FROM ch.login_throttle WHERE email_key IN (
		    SELECT email_key FROM ch.login_throttle
		    WHERE last_failure < now() - interval '1 day'
		    FOR UPDATE SKIP LOCKED);
		DELETE FROM ch.login_client_throttle WHERE client IN (
		    SELECT client FROM ch.login_client_throttle
		    WHERE window_start < now() - interval '10 minutes'
		    FOR UPDATE SKIP LOCKED);
	END IF;
	PERFORM ch.audit(NULL, NULL, 'login.failed', 'app_user',
	    p_user::text, (SELECT district_id FROM ch.app_user
		WHERE id = p_user), p_request_id,
	    jsonb_build_object('failures', t.failures));
	RETURN coalesce(greatest(0, ceil(extract(epoch FROM
	    t.locked_until - now())))::integer, 0);
END
$$;
CREATE OR REPLACE FUNCTION ch.login_succeeded(p_user uuid, p_client inet,
    p_attempt integer, p_refresh_hash bytea, p_refresh_ttl integer,
    p_request_id text)
RETURNS TABLE (family_id uuid, role text, district_id text)
LANGUAGE plpgsql AS $$
DECLARE
	u ch.app_user;
	left_over integer;
	f uuid;
BEGIN
	SELECT * INTO u FROM ch.app_user a WHERE a.id = p_user
	    AND NOT a.disabled;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	UPDATE ch.login_throttle t
	SET failures = greatest(0, t.failures - p_attempt),
	    locked_until = CASE WHEN t.failures - p_attempt >= 5
		THEN t.locked_until END
	WHERE t.email_key = lower(u.email)
	RETURNING t.failures INTO left_over;
	IF left_over = 0 THEN
		DELETE FROM ch.login_throttle t
		WHERE t.email_key = lower(u.email) AND t.failures = 0;
	END IF;
	UPDATE ch.login_client_throttle c SET failures = c.failures - 1
	WHERE c.client = ch.login_client_key(p_client) AND c.failures > 0;
	INSERT INTO ch.token_family (user_id) VALUES (u.id) RETURNING id INTO f;
	INSERT INTO ch.refresh_token (token_hash, family_id, expires_at)
	VALUES (p_refresh_hash, f, now() + make_interval(secs => p_refresh_ttl));
	PERFORM ch.audit(u.id::text, u.role, 'login.succeeded', 'app_user',
	    u.id::text, u.district_id, p_request_id,
	    jsonb_build_object('family', f));
	RETURN QUERY SELECT f, u.role, u.district_id;
END
$$;
