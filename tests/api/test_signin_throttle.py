"""api/sessions.c and db/migrations/0008_signin_throttle.sql: sign-in
attempts are counted before the password is hashed, per address and per
client address, and only so many sign-ins hash at once.

The test stack trusts 127.0.0.1 as a proxy (CH_TRUSTED_PROXIES in
conftest.py). Tests that fail many sign-ins do so from other loopback
addresses or behind X-Forwarded-For, so the suite's own sign-ins from
127.0.0.1 keep their budget."""

import concurrent.futures
import threading
import time
import uuid

import psycopg2
import pytest
import requests
from requests.adapters import HTTPAdapter

from authutil import DEMO_PASSWORD, ERFURT, bearer, demo_email, token_for

ADDRESS_LIMIT = 5     # attempts in a row for one address
CLIENT_LIMIT = 50     # failures per client address in CLIENT_WINDOW
CLIENT_WINDOW = 600   # seconds
HASHING_MAX = 8       # sign-ins hashing at once per worker
WORKERS = 2           # CH_WORKERS of the test stack


class SourceAdapter(HTTPAdapter):
    """Connects from a given loopback address: the API sees it as the
    direct peer."""

    def __init__(self, source):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kw)


def session_from(source):
    s = requests.Session()
    if source is not None:
        s.mount("http://", SourceAdapter(source))
    return s


def sign_in(stack, spec, email, password, source=None, forwarded=None):
    """One sign-in from source (None: 127.0.0.1, the trusted proxy),
    optionally with X-Forwarded-For; the answer is checked against the
    contract."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    with session_from(source) as s:
        r = s.post(stack.base + "/v1/auth/token", headers=headers,
                   json={"email": email, "password": password}, timeout=60)
    assert r.status_code in (200, 401, 429, 503), (r.status_code, r.text)
    spec.validate("POST", r)
    return r


def burst(n, attempt):
    """Runs attempt(i) for i < n at the same moment; their answers."""
    start = threading.Barrier(n)

    def run(i):
        start.wait()
        return attempt(i)

    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def many(n, attempt, parallel=4):
    """attempt(i) for i < n, a few at a time (below the hashing bound)."""
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(attempt, range(n)))


def ghost():
    return "ghost-%s@test.example" % uuid.uuid4().hex[:12]


def statuses(answers):
    out = {}
    for r in answers:
        out[r.status_code] = out.get(r.status_code, 0) + 1
    return out


def assert_throttled(r, most=None):
    assert r.status_code == 429, (r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.json()["type"] == "urn:ch:problem:too-many-attempts"
    seconds = int(r.headers["Retry-After"])
    assert seconds >= 1
    if most is not None:
        assert seconds <= most


@pytest.fixture
def account(api):
    """A fresh assistant in Erfurt that a test may lock."""
    admin = token_for(api, "state_admin")
    email = "throttle-%s@test.example" % uuid.uuid4().hex[:12]
    r = api.request("POST", "/v1/users", headers=bearer(admin), json={
        "email": email, "password": DEMO_PASSWORD, "role": "assistant",
        "district_id": ERFURT})
    assert r.status_code == 201, r.text
    return {"email": email, "id": r.json()["id"]}


def failed_audits(stack, user_id):
    return stack.sql("SELECT count(*) FROM ch.audit_log WHERE action = "
                     "'login.failed' AND entity_id = %s", (user_id,))[0][0]


def test_concurrent_wrong_passwords_are_counted_before_hashing(
        stack, spec, account):
    """Thirty guesses at once: five are checked, the rest refused."""
    answers = burst(30, lambda i: sign_in(
        stack, spec, account["email"], "wrong-password-%d" % i,
        source="127.0.0.21"))
    assert statuses(answers) == {401: ADDRESS_LIMIT, 429: 30 - ADDRESS_LIMIT}
    for r in answers:
        if r.status_code == 429:
            assert_throttled(r, most=30)
    # Only the five checked ones were failures (and hashed).
    assert failed_audits(stack, account["id"]) == ADDRESS_LIMIT
    # The right password does not get through the lock either.
    assert_throttled(sign_in(stack, spec, account["email"], DEMO_PASSWORD,
                             source="127.0.0.21"))


def test_unknown_addresses_are_counted_alike(stack, spec):
    email = ghost()
    answers = burst(12, lambda i: sign_in(stack, spec, email, "wrong-%d" % i,
                                          source="127.0.0.22"))
    assert statuses(answers) == {401: ADDRESS_LIMIT, 429: 12 - ADDRESS_LIMIT}


def test_right_password_during_a_lock_is_refused(stack, spec, account):
    """A sign-in with the right password that meets a lock set meanwhile
    (by another attempt) is refused, and the lock stays."""
    for i in range(ADDRESS_LIMIT - 1):
        assert sign_in(stack, spec, account["email"], "wrong-%d" % i,
                       source="127.0.0.23").status_code == 401

    # Hold the address's throttle row while the right password arrives,
    # then lock the address as a concurrent fifth failure would.
    holder = psycopg2.connect(stack.url())
    watcher = psycopg2.connect(stack.url())
    watcher.autocommit = True
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT 1 FROM ch.login_throttle WHERE email_key = "
                        "lower(%s) FOR UPDATE", (account["email"],))
            assert cur.fetchall() == [(1,)]
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pending = pool.submit(sign_in, stack, spec, account["email"],
                                  DEMO_PASSWORD, "127.0.0.23")
            deadline = time.monotonic() + 10
            while True:
                with watcher.cursor() as cur:
                    # A backend of the sign-in waits for our row lock.
                    cur.execute("SELECT count(*) FROM pg_locks w WHERE "
                                "NOT w.granted AND w.pid IN (SELECT pid "
                                "FROM pg_locks WHERE relation = "
                                "'ch.login_throttle'::regclass)")
                    if cur.fetchone()[0] > 0:
                        break
                assert time.monotonic() < deadline, "sign-in never waited"
                assert not pending.done(), pending.result().text
                time.sleep(0.02)
            with holder.cursor() as cur:
                cur.execute("UPDATE ch.login_throttle SET failures = %s, "
                            "locked_until = now() + interval '30 seconds' "
                            "WHERE email_key = lower(%s)",
                            (ADDRESS_LIMIT, account["email"]))
            holder.commit()
            r = pending.result()
    finally:
        holder.close()
        watcher.close()

    assert_throttled(r, most=30)
    assert stack.sql("SELECT locked_until > now() FROM ch.login_throttle "
                     "WHERE email_key = lower(%s)",
                     (account["email"],)) == [(True,)]
    assert_throttled(sign_in(stack, spec, account["email"], DEMO_PASSWORD,
                             source="127.0.0.23"))


def test_client_address_limit_counts_failures_across_addresses(
        stack, spec, account):
    """One client (behind the trusted proxy) trying many addresses is
    stopped after CLIENT_LIMIT failures, whatever the address. Only
    failures count: successes before them used up nothing."""
    client = "203.0.113.%d" % (uuid.uuid4().int % 200 + 10)
    answers = many(CLIENT_LIMIT + 5, lambda i: sign_in(
        stack, spec, demo_email("mentor", ERFURT), DEMO_PASSWORD,
        forwarded=client))
    assert statuses(answers) == {200: CLIENT_LIMIT + 5}

    answers = many(CLIENT_LIMIT, lambda i: sign_in(
        stack, spec, ghost(), "wrong-password", forwarded=client))
    assert statuses(answers) == {401: CLIENT_LIMIT}

    # The right password of an account nobody tried is refused too.
    assert_throttled(sign_in(stack, spec, account["email"], DEMO_PASSWORD,
                             forwarded=client), most=CLIENT_WINDOW)
    # The client is the rightmost address the trusted proxy did not add;
    # what the client itself wrote in front of it does not count.
    assert_throttled(sign_in(stack, spec, account["email"], DEMO_PASSWORD,
                             forwarded="198.51.100.77, " + client))
    # The proxy's own address and other clients behind it are not limited:
    # the failures were counted for the forwarded address.
    assert sign_in(stack, spec, account["email"], DEMO_PASSWORD,
                   forwarded="198.51.100.78").status_code == 200
    assert sign_in(stack, spec, account["email"],
                   DEMO_PASSWORD).status_code == 200


def test_forwarded_for_is_ignored_from_an_untrusted_peer(stack, spec,
                                                          account):
    """127.0.0.25 is no trusted proxy: whatever X-Forwarded-For it sends,
    its failures are its own."""
    answers = many(CLIENT_LIMIT, lambda i: sign_in(
        stack, spec, ghost(), "wrong-password", source="127.0.0.25",
        forwarded="198.51.100.%d" % (i + 1)))
    assert statuses(answers) == {401: CLIENT_LIMIT}
    assert_throttled(sign_in(stack, spec, account["email"], DEMO_PASSWORD,
                             source="127.0.0.25", forwarded="198.51.100.200"))
    # From the trusted proxy the same forwarded address is a client of
    # its own, with a full budget.
    assert sign_in(stack, spec, account["email"], DEMO_PASSWORD,
                   forwarded="198.51.100.200").status_code == 200


def test_hashing_is_bounded(stack, spec):
    """More sign-ins at once than the workers may hash: the rest are
    answered 503 with Retry-After at once, and their attempts are not
    counted against the address."""
    n = 6 * HASHING_MAX * WORKERS
    emails = [ghost() for _ in range(n)]
    answers = burst(n, lambda i: sign_in(
        stack, spec, emails[i], "wrong-password",
        forwarded="192.0.2.%d" % (i + 1)))
    counts = statuses(answers)
    assert set(counts) <= {401, 503}, counts
    assert counts.get(503, 0) >= 1, counts
    assert counts.get(401, 0) >= HASHING_MAX, counts
    busy = [e for e, r in zip(emails, answers) if r.status_code == 503]
    for r in answers:
        if r.status_code == 503:
            assert r.headers["Content-Type"] == "application/problem+json"
            assert r.json()["type"] == "urn:ch:problem:busy"
            assert int(r.headers["Retry-After"]) >= 1
    assert stack.sql("SELECT count(*) FROM ch.login_throttle WHERE "
                     "email_key = ANY(%s) AND failures > 0",
                     (busy,)) == [(0,)]
    # The slots are free again afterwards.
    assert sign_in(stack, spec, demo_email("mentor", ERFURT),
                   DEMO_PASSWORD).status_code == 200
