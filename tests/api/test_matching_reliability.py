"""The matching worker pool under crashes and a database restart:
at-least-once execution, exactly-once effect.

Two ch-matcher processes of our own work off several hundred suggest jobs
submitted through the API, while one of them is killed (SIGKILL) again
and again and PostgreSQL restarts once. Afterwards the records must show
that every job ran to an end, that no attempt overlapped another one of
the same job, and that every job's proposals were stored exactly once.

The first kill is made certain to hit a job in progress: while a lock on
ch.matching_epoch holds every worker inside ch.job_input (after the
claim, before the result), the process that claimed the job is stopped
and killed; its lease must then run out and another worker finish the
job. The same lock makes certain that jobs are in the middle of their run
when PostgreSQL shuts down."""

import os
import random
import signal
import subprocess
import threading
import time
import uuid

import psycopg2
import pytest
import requests

from partners_util import Caller

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MATCHER_BIN = os.environ.get("CH_MATCHER_BIN",
                             os.path.join(TOP, "build", "ch-matcher"))
DISTRICTS = ["16051", "16062", "16064", "16065", "16067", "16073"]
JOBS = 540                # submitted in the storm, besides the first one
SUBMITTERS = 6            # client threads
RATE = 120.0              # jobs per second over all threads (load shape)
LEASE = 2                 # seconds, short so lost leases expire quickly
DRAIN_SECONDS = 120       # bound for the queue to run empty
FINISHED = ("succeeded", "failed", "cancelled")

pytestmark = pytest.mark.skipif(
    not os.access(MATCHER_BIN, os.X_OK),
    reason="%s is not built" % MATCHER_BIN)


class Matcher:
    """One ch-matcher of ours, restartable; each incarnation has its own
    CH_MATCHER_NAME of fixed length (so no name is a prefix of another)
    and its own log file in the run directory."""

    def __init__(self, stack, app_url, letter):
        self.stack = stack
        self.app_url = app_url
        self.letter = letter
        self.n = 0
        self.proc = None
        self.log = None
        self.name = None
        self.names = []

    def start(self):
        assert self.proc is None or self.proc.poll() is not None
        self.n += 1
        self.name = "rel%s%02d" % (self.letter, self.n)
        self.names.append(self.name)
        env = dict(self.stack.env,
                   CH_DATABASE_URL=self.app_url,
                   CH_MATCHER_WORKERS="3",
                   CH_MATCHER_LEASE_SECONDS=str(LEASE),
                   CH_MATCHER_POLL_MS="200",
                   CH_MATCHER_NAME=self.name)
        if self.log is not None:
            self.log.close()
        self.log = open(os.path.join(self.stack.run_dir,
                                     "matcher-%s.log" % self.name), "wb")
        self.proc = subprocess.Popen([MATCHER_BIN], env=env,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.log,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def kill(self):
        """SIGKILL and reap."""
        self.signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self):
        """SIGTERM (running jobs may finish), then SIGKILL."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        if self.log is not None:
            self.log.close()
            self.log = None

    def owns(self, worker):
        """Whether a worker name (ch.matching_job.worker) is one of this
        incarnation's threads."""
        return worker is not None and worker.startswith(self.name)

    def log_tail(self, name=None):
        path = os.path.join(self.stack.run_dir,
                            "matcher-%s.log" % (name or self.name))
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()[-3000:]
        except FileNotFoundError:
            return ""


class Db:
    """Short owner connections (they must survive the restart of
    PostgreSQL, so none is kept)."""

    def __init__(self, url):
        self.url = url

    def rows(self, query, params=None):
        conn = psycopg2.connect(self.url)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(query, params)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def value(self, query, params=None):
        return self.rows(query, params)[0][0]


def poll(what, check, seconds):
    """Calls check() until it returns something true, at most `seconds`;
    returns the last answer."""
    deadline = time.monotonic() + seconds
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


class Submitter:
    """Posts suggest jobs, each with its own Idempotency-Key; a 503 (the
    database is away) or a dropped connection is retried with the same
    key. Remembers which key gave which job."""

    def __init__(self, api, tokens):
        self.api = api
        self.tokens = tokens
        self.lock = threading.Lock()
        self.jobs = {}            # key -> job id
        self.replayed = 0
        self.retries = 0
        self.count = 0
        self.errors = []
        self.stopped = False       # set when the test gives up

    def client(self):
        return type(self.api)(self.api.base, self.api.spec)

    def submit(self, client, pid, district, key=None):
        key = key or "rel-" + uuid.uuid4().hex
        body = {"kind": "suggest", "programme": "partners",
                "participant_id": pid, "k": 5}
        headers = {"Authorization": "Bearer " + self.tokens[district],
                   "Idempotency-Key": key}
        deadline = time.monotonic() + 90
        while True:
            try:
                r = client.request("POST", "/v1/matching/jobs",
                                   headers=headers, json=body, timeout=30)
            except requests.ConnectionError:
                r = None
            if r is not None and r.status_code != 503:
                break
            assert time.monotonic() < deadline, \
                "POST /v1/matching/jobs kept failing for key %s" % key
            with self.lock:
                self.retries += 1
            client.http.close()
            time.sleep(0.2)
        assert r.status_code == 202, (r.status_code, r.text)
        job = r.headers["Location"].rsplit("/", 1)[1]
        assert r.headers["Location"] == "/v1/matching/jobs/" + job
        assert r.json()["id"] == job
        with self.lock:
            assert key not in self.jobs or self.jobs[key] == job, \
                "one key, two jobs: %s %s" % (self.jobs[key], job)
            self.jobs[key] = job
            if r.headers.get("Idempotent-Replayed") == "true":
                self.replayed += 1
            self.count += 1
        return job

    def run(self, items, threads):
        """Submits every (participant, district) of items over `threads`
        clients at about RATE jobs per second in all."""
        slot = threads / RATE
        parts = [items[i::threads] for i in range(threads)]

        def work(part):
            client = self.client()
            t = time.monotonic()
            try:
                for pid, district in part:
                    if self.stopped:
                        return
                    self.submit(client, pid, district)
                    t += slot
                    time.sleep(max(0.0, t - time.monotonic()))
            except BaseException as e:   # reported by the main thread
                with self.lock:
                    self.errors.append(repr(e))

        workers = [threading.Thread(target=work, args=(p,), daemon=True)
                   for p in parts]
        for w in workers:
            w.start()
        return workers


def kore_ready(api, seconds=60):
    def ready():
        try:
            r = api.get("/readyz", timeout=5)
        except requests.ConnectionError:
            return None
        return r if r.status_code == 200 else None
    return poll("readyz", ready, seconds)


def test_jobs_survive_killed_workers_and_a_database_restart(stack, api):
    db = Db(stack.admin_url())
    app_url = stack.matcher_url()
    # The subjects: everyone of the six districts who can be matched.
    people = db.rows(
        "SELECT p.id::text, p.district_id FROM ch.participant p"
        " WHERE p.district_id = ANY (%s) AND p.status IN"
        " ('waiting', 'placed') AND EXISTS (SELECT 1 FROM ch.consent c"
        " WHERE c.participant_id = p.id AND c.purpose = 'matching'"
        " AND c.withdrawn_at IS NULL) ORDER BY p.id", (DISTRICTS,))
    assert len({d for _, d in people}) == len(DISTRICTS)
    assert len(people) >= 200, len(people)
    # The demo has assistants in Erfurt and Gotha; the state admin makes
    # the others.
    admin = Caller.demo(api, "state_admin")
    assistants = {d: Caller.demo(api, "assistant", d)
                  if d in ("16051", "16067")
                  else Caller.new(api, admin, "assistant", d)
                  for d in DISTRICTS}
    tokens = {d: c.token for d, c in assistants.items()}
    rng = random.Random(20261125)
    items = [people[i % len(people)] for i in range(JOBS)]
    rng.shuffle(items)

    a = Matcher(stack, app_url, "A")
    b = Matcher(stack, app_url, "B")
    sub = Submitter(api, tokens)
    t0 = db.value("SELECT clock_timestamp()")
    events = []
    pg_down = False
    stack.stack("matcher-stop")
    try:
        a.start()
        b.start()

        # 1. A job in progress, certainly: A is stopped, so B claims the
        # job; the lock holds B's worker inside ch.job_input; B is
        # stopped and killed while it holds the lease.
        first_pid, first_district = people[0]
        lock = psycopg2.connect(db.url)
        try:
            a.signal(signal.SIGSTOP)
            # A claim A sent just before it stopped still runs in its
            # backend and could take the job: wait until no pool backend
            # is busy (B's are idle between polls; A's stay idle now).
            assert poll("A's last claim", lambda: stack.sql(
                "SELECT count(*) = 0 FROM pg_stat_activity WHERE"
                " application_name = 'ch-matcher' AND state = 'active'")
                [0][0], 30), "a pool backend stayed busy"
            lock.cursor().execute(
                "LOCK TABLE ch.matching_epoch IN ACCESS EXCLUSIVE MODE")
            first = sub.submit(sub.client(), first_pid, first_district)
            held = poll("claim", lambda: db.rows(
                "SELECT status, worker, attempts FROM ch.matching_job"
                " WHERE id = %s AND status = 'running'", (first,)), 30)
            assert held, "no worker of B claimed the first job: %s" % (
                b.log_tail(),)
            status, worker, attempts = held[0]
            assert b.owns(worker), (worker, b.name)
            assert attempts == 1
            b.signal(signal.SIGSTOP)
            b.kill()
            events.append(("kill holding", b.name, first))
        finally:
            lock.rollback()
            lock.close()
            a.signal(signal.SIGCONT)
        first_worker = worker
        b.start()

        # 2. The storm: kills of B and one restart of PostgreSQL while
        # the jobs come in and are worked off.
        workers = sub.run(items, SUBMITTERS)
        plan = [(0.15, "kill"), (0.35, "kill"), (0.55, "kill"),
                (0.7, "restart")]
        for share, what in plan:
            assert poll(what, lambda: sub.count >= share * JOBS + 1
                        or sub.errors, 120), "submissions stalled"
            assert not sub.errors, sub.errors
            backlog = db.value(
                "SELECT count(*) FROM ch.matching_job"
                " WHERE status IN ('queued', 'running')")
            submitted = sub.count
            if what == "kill":
                held = db.value(
                    "SELECT count(*) FROM ch.matching_job WHERE status ="
                    " 'running' AND worker LIKE %s", (b.name + "%",))
                b.kill()
                events.append(("kill", b.name, submitted, backlog, held))
                b.start()
            else:
                # Jobs in the middle of their run when the database goes
                # away: the lock holds the workers that claim next inside
                # ch.job_input until the shutdown cuts them off.
                lock = psycopg2.connect(db.url)
                try:
                    lock.cursor().execute("LOCK TABLE ch.matching_epoch"
                                          " IN ACCESS EXCLUSIVE MODE")
                    running = poll("running", lambda: db.value(
                        "SELECT count(*) FROM ch.matching_job"
                        " WHERE status = 'running'"), 30)
                    assert running, "no job started while the lock was held"
                    pg_down = True
                    stack.pg_stop()
                finally:
                    lock.close()
                up = stack.stack("db-up", check=False)   # stack.pg_start()
                assert up.returncode == 0, up.stdout + up.stderr
                pg_down = False
                events.append(("pg restart", submitted, backlog, running))
            # It happened during the submissions, not after them.
            assert submitted < JOBS + 1, events
        for w in workers:
            w.join(300)
        assert not any(w.is_alive() for w in workers), "a submitter hangs"
        assert not sub.errors, sub.errors
        assert sub.count == JOBS + 1

        # 3. The queue runs empty.
        left = poll("drain", lambda: db.value(
            "SELECT count(*) FROM ch.matching_job"
            " WHERE status IN ('queued', 'running')") == 0, DRAIN_SECONDS)
        assert left, (
            "jobs still queued or running after %d s: %s\n--- A:\n%s\n"
            "--- B:\n%s" % (DRAIN_SECONDS, db.rows(
                "SELECT status, worker, attempts, lease_until"
                " FROM ch.matching_job WHERE status IN"
                " ('queued', 'running') LIMIT 10"),
                a.log_tail(), b.log_tail()))
        # Neither process died of the restart of the database or of the
        # kills of the other one.
        assert a.alive(), "ch-matcher A exited:\n" + a.log_tail()
        assert b.alive(), "ch-matcher B exited:\n" + b.log_tail()
    finally:
        sub.stopped = True
        a.stop()
        b.stop()
        if pg_down:
            stack.pg_start()
        stack.stack("matcher-start")

    assert kore_ready(api), "the API is not ready after the test"
    try:
        outcomes = check_records(db, sub, assistants, t0, first,
                                 first_worker)
    finally:
        # Leave the pairs free for later tests: these proposals were
        # only for counting.
        db.rows("UPDATE ch.proposal SET status = 'expired',"
                " expires_at = now() WHERE job_id = ANY (%s::uuid[])"
                " AND status IN ('pending', 'approved')",
                (list(sub.jobs.values()),))
    print("\nreliability: %d jobs, %d retried submissions (%d replayed),"
          " run outcomes %s, events %s" % (len(sub.jobs), sub.retries,
                                           sub.replayed, outcomes, events))


def check_records(db, sub, assistants, t0, first, first_worker):
    ids = list(sub.jobs.values())
    assert len(ids) == JOBS + 1
    # Every key made one job, and no retry made another one.
    assert len(set(ids)) == len(ids), "two keys answered with one job"
    made = db.rows(
        "SELECT id::text FROM ch.matching_job WHERE created_at >= %s"
        " AND created_by_user = ANY (%s::uuid[])",
        (t0, [c.id for c in assistants.values()]))
    assert sorted(r[0] for r in made) == sorted(ids), (
        "jobs in the table %d, submitted %d" % (len(made), len(ids)))

    jobs = {r[0]: r for r in db.rows(
        "SELECT id::text, status, attempts, max_attempts, error,"
        " proposals, participant_id::text, finished_at"
        " FROM ch.matching_job WHERE id = ANY (%s::uuid[])", (ids,))}
    assert len(jobs) == len(ids)
    for jid, status, attempts, max_attempts, error, n, _, fin in \
            jobs.values():
        assert status in ("succeeded", "failed"), (jid, status)
        assert fin is not None, jid
        if status == "failed":
            assert attempts == max_attempts and error, (
                "job %s failed after %d of %d attempts: %r"
                % (jid, attempts, max_attempts, error))

    # The runs: attempts 1..n without gaps, one after the other, each
    # ended; at most one succeeded, and a succeeded job's last one.
    runs = {}
    for jid, attempt, worker, started, ended, outcome in db.rows(
            "SELECT job_id::text, attempt, worker, started_at, ended_at,"
            " outcome FROM ch.matching_run WHERE job_id = ANY (%s::uuid[])"
            " ORDER BY job_id, attempt", (ids,)):
        runs.setdefault(jid, []).append((attempt, worker, started, ended,
                                         outcome))
    outcomes = {}
    for jid, (_, status, attempts, *_rest) in jobs.items():
        rs = runs.get(jid, [])
        assert [r[0] for r in rs] == list(range(1, attempts + 1)), (
            "job %s: %d attempts, runs %s" % (jid, attempts, rs))
        for attempt, worker, started, ended, outcome in rs:
            assert ended is not None and outcome is not None, (jid, rs)
            assert started <= ended, (jid, rs)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        for prev, nxt in zip(rs, rs[1:]):
            assert prev[3] < nxt[2], (
                "job %s: attempt %d ran until %s, attempt %d started at %s"
                % (jid, prev[0], prev[3], nxt[0], nxt[2]))
        won = [r for r in rs if r[4] == "succeeded"]
        assert len(won) <= 1, (jid, rs)
        if status == "succeeded":
            assert len(won) == 1 and won[0][0] == attempts, (jid, rs)
        else:
            assert not won, (jid, rs)

    # The first job was held by the killed process: its lease ran out and
    # another worker finished it.
    rs = runs[first]
    assert rs[0][1] == first_worker and rs[0][4] == "lease_expired", rs
    assert jobs[first][1] == "succeeded", (jobs[first], rs)
    assert outcomes.get("lease_expired", 0) >= 1, outcomes

    # The proposals: once per job and pair, only of succeeded jobs, as
    # many as the job says, all of the job's participant.
    dup = db.rows(
        "SELECT job_id, participant_id, coalesce(offer_id, mentor_id),"
        " count(*) FROM ch.proposal WHERE job_id = ANY (%s::uuid[])"
        " GROUP BY 1, 2, 3 HAVING count(*) > 1", (ids,))
    assert not dup, dup
    dup = db.rows(
        "SELECT participant_id, coalesce(offer_id, mentor_id), count(*)"
        " FROM ch.proposal WHERE job_id = ANY (%s::uuid[])"
        " AND status IN ('pending', 'approved')"
        " GROUP BY 1, 2 HAVING count(*) > 1", (ids,))
    assert not dup, dup
    stored = dict(db.rows(
        "SELECT job_id::text, count(*) FROM ch.proposal"
        " WHERE job_id = ANY (%s::uuid[]) GROUP BY 1", (ids,)))
    for jid, (_, status, _a, _m, _e, n, _p, _f) in jobs.items():
        if status == "succeeded":
            assert n is not None and stored.get(jid, 0) == n, (
                jid, n, stored.get(jid, 0))
        else:
            assert jid not in stored, (jid, status, stored[jid])
    foreign = db.rows(
        "SELECT x.id FROM ch.proposal x JOIN ch.matching_job j"
        " ON j.id = x.job_id WHERE x.job_id = ANY (%s::uuid[])"
        " AND x.participant_id <> j.participant_id", (ids,))
    assert not foreign, foreign
    assert sum(stored.values()) > 0, "no job proposed anything"

    return outcomes
