-- Sign-in throttling that concurrent attempts cannot outrun: an attempt is
-- counted before its password is hashed (ch.login_attempt in
-- db/functions/identity.sql, which also states the limits), per address
-- and per client address.

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
