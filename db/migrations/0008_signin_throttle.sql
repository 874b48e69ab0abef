-- Sign-in throttling that concurrent attempts cannot outrun. 0002 checked
-- the lock, verified the password and only then counted the failure, so
-- thirty guesses sent at once were all verified, and a success that
-- finished during a lock cleared it. Now ch.login_attempt counts an
-- attempt before its password is hashed, under the row lock of the
-- address, so concurrent attempts see each other; an attempt beyond a
-- limit is refused (429) without hashing. The API then reports the
-- outcome: ch.login_failed (audit only: the attempt was already counted),
-- ch.login_succeeded (the attempts up to it are forgiven), or
-- ch.login_abandoned (no password check was possible: the attempt is
-- taken back).
--
-- The limits:
--   per address (email, known or not): five attempts in a row; the fifth
--   locks the address for 30 s, each later one (after the lock ran out)
--   doubles that, up to 15 minutes. A day without attempts forgets them.
--   per client address (IPv4 address, IPv6 /64): 50 failed sign-ins in a
--   10-minute window; then 429 until the window ends. Successes do not
--   count, so an office behind one address is not locked out by its
--   own sign-ins.

-- Failed sign-ins per client address. The address is the direct peer, or
-- what a trusted proxy forwarded (CH_TRUSTED_PROXIES).
CREATE TABLE ch.login_client_throttle (
	client		cidr PRIMARY KEY,
	failures	integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
	window_start	timestamptz NOT NULL DEFAULT now()
);

-- failures now counts attempts (each is a failure until it succeeded) and
-- last_failure is the time of the latest attempt.
ALTER TABLE ch.login_throttle ADD CHECK (failures >= 0);

-- The key of a client address: IPv6 clients get a /64 each, as one
-- subscriber usually does, so the limit cannot be dodged by walking it.
CREATE FUNCTION ch.login_client_key(p_client inet) RETURNS cidr
LANGUAGE sql IMMUTABLE AS $$
	SELECT network(set_masklen(p_client,
	    CASE family(p_client) WHEN 6 THEN 64 ELSE 32 END));
$$;

-- Counts a sign-in attempt for an address from a client (NULL: no client
-- limit, for a signed-in user confirming their password), before its
-- password is checked. retry_after 0: go ahead, the attempt is counted as
-- number attempt in a row for the address. Otherwise the seconds until
-- the address or the client may try again, and nothing was counted.
-- Locks the address's row, then the client's, as every function here
-- does, so concurrent attempts wait for each other and never deadlock.
-- The no-op DO UPDATE locks the row whether it was there or not, and
-- inserts it again should a success delete it meanwhile.
CREATE FUNCTION ch.login_attempt(p_email text, p_client inet,
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

-- Sign-in, step 1: the attempt counted (ch.login_attempt) and, when it may
-- go ahead and the address has an enabled account, the account's id and
-- password hash (the API verifies a dummy hash otherwise, so both cases
-- take the same time).
DROP FUNCTION ch.login_begin(text);
CREATE FUNCTION ch.login_begin(p_email text, p_client inet,
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
CREATE FUNCTION ch.login_abandoned(p_email text, p_client inet,
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

-- Sign-in succeeded for attempt number p_attempt: the attempts before it
-- are forgiven (those admitted after it, still being checked, stay
-- counted, as if they had come after the success), the client's count
-- goes back, and a token family starts with its first refresh token.
-- Returns what the access token needs; no row when the account was
-- disabled meanwhile.
DROP FUNCTION ch.login_succeeded(uuid, bytea, integer, text);
CREATE FUNCTION ch.login_succeeded(p_user uuid, p_client inet,
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

-- The API no longer reads the lock without counting an attempt.
DROP FUNCTION ch.login_retry_after(text);

-- Its privileges are granted in db/privileges.sql.
