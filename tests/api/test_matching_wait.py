"""GET /v1/matching/jobs/{id} with "Prefer: wait=N" (api/matching.c,
RFC 7240): a waiting request sleeps without holding its Kore worker, comes
back as soon as the job finishes or at the deadline, honours only a
well-formed preference, caps it at 10 seconds, and may be abandoned by its
client at any moment.

The jobs of these tests stay queued ("slow") because the stack's
ch-matcher is stopped while they run; no assertion depends on how fast
anything is, only on the order in which things happen, except for one
generous bound on /healthz while the LISTEN database does not answer
(see test_unreachable_listener_does_not_stall_the_worker)."""

import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from datetime import datetime

import pytest
import requests

from conftest import TOP, alive, free_port
from partners_util import Caller, bearer

ERFURT = "16051"
JOB_PATH = "/v1/matching/jobs/"
DEATH = ("sandbox violation", ") gone", "exited with status",
         "AddressSanitizer", "runtime error:")


class Answer:
    """An http.client answer in the shape the contract checker reads
    (status_code, headers, content, json(), request.url)."""

    def __init__(self, base, method, path, resp, body):
        self.status_code = resp.status
        self.headers = requests.structures.CaseInsensitiveDict(
            resp.getheaders())
        self.content = body
        self.request = requests.Request(method, base + path)

    def json(self):
        return json.loads(self.content)


class Waiter(threading.Thread):
    """A GET of a job on its own connection; `sending` is taken before
    the request goes out (the server cannot have it earlier), `sent` once
    the whole request is in the socket (a busy client thread may take it
    a few milliseconds after the server already has it), `done` when the
    answer was read (all time.monotonic()), `sent_wall` and `done_wall`
    the same in time.time() for comparison with the database's clock."""

    def __init__(self, stack, token, job, prefer, started=None):
        super().__init__(daemon=True)
        self.stack, self.token, self.job, self.prefer = \
            stack, token, job, prefer
        self.started = started
        self.answer = self.error = None
        self.sending = self.sent = self.done = None
        self.sent_wall = self.done_wall = None

    def run(self):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.stack.port,
                                              timeout=60)
            headers = {"Authorization": "Bearer " + self.token}
            if self.prefer is not None:
                headers["Prefer"] = self.prefer
            self.sending = time.monotonic()
            conn.request("GET", JOB_PATH + self.job, headers=headers)
            self.sent, self.sent_wall = time.monotonic(), time.time()
            if self.started is not None:
                self.started.release()
            resp = conn.getresponse()
            body = resp.read()
            self.done, self.done_wall = time.monotonic(), time.time()
            self.answer = Answer(self.stack.base, "GET", JOB_PATH + self.job,
                                 resp, body)
            conn.close()
        except BaseException as e:
            self.error = e
            if self.started is not None and self.sent is None:
                self.started.release()

    def result(self, spec, timeout=60):
        self.join(timeout)
        assert not self.is_alive(), "a waiter did not come back"
        assert self.error is None, repr(self.error)
        spec.validate("GET", self.answer)
        return self.answer


def start_waiters(stack, token, jobs, prefer):
    """One waiter per job, all started; returns once every request has
    been sent."""
    started = threading.Semaphore(0)
    ws = [Waiter(stack, token, j, prefer, started) for j in jobs]
    for w in ws:
        w.start()
    for _ in ws:
        assert started.acquire(timeout=60), "a waiter could not send"
    return ws


@pytest.fixture(scope="module")
def erfurt(api, stack):
    """The Erfurt assistant and the Erfurt participants with consent (the
    last ones first: the first is the demo participant's account). The
    proposals of the module's jobs are expired at its end, so that they
    keep no pair from later tests."""
    staff = Caller.demo(api, "assistant", ERFURT)
    people = [r[0] for r in stack.sql(
        "SELECT p.id::text FROM ch.participant p WHERE p.district_id = %s"
        " AND p.status IN ('waiting', 'placed') AND EXISTS (SELECT 1"
        " FROM ch.consent c WHERE c.participant_id = p.id"
        " AND c.purpose = 'matching' AND c.withdrawn_at IS NULL)"
        " ORDER BY p.id DESC", (ERFURT,))]
    assert len(people) >= 20
    t0 = stack.sql("SELECT clock_timestamp()")[0][0]
    yield staff, people
    stack.sql("UPDATE ch.proposal SET status = 'expired', expires_at = now()"
              " WHERE status IN ('pending', 'approved') AND job_id IN"
              " (SELECT id FROM ch.matching_job WHERE created_at >= %s"
              " AND created_by_user = %s)", (t0, staff.id))


@pytest.fixture
def no_matcher(stack, api):
    """The stack's ch-matcher stopped: new jobs stay queued. Queued jobs
    the test leaves behind are cancelled, and the matcher started
    again."""
    made = []
    stack.stack("matcher-stop")
    try:
        yield made
    finally:
        for token, job in made:
            api.request("DELETE", JOB_PATH + job, headers=bearer(token))
        stack.stack("matcher-stop")
        stack.stack("matcher-start")


def submit(api, token, pid):
    r = api.request("POST", "/v1/matching/jobs", headers=bearer(token),
                    json={"kind": "suggest", "programme": "partners",
                          "participant_id": pid, "k": 5})
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    assert r.headers["Location"] == JOB_PATH + job
    return job


def queued_jobs(api, token, people, n, made):
    jobs = []
    for pid in people[:n]:
        jobs.append(submit(api, token, pid))
        made.append((token, jobs[-1]))
    return jobs


def finished_job(api, token, pid):
    """A job run by the stack's matcher to its end."""
    job = submit(api, token, pid)
    for _ in range(12):
        r = api.get(JOB_PATH + job, headers={**bearer(token),
                                            "Prefer": "wait=10"})
        assert r.status_code == 200, r.text
        if r.json()["status"] in ("succeeded", "failed", "cancelled"):
            break
    assert r.json()["status"] == "succeeded", r.json()
    return job


def kore_workers(stack):
    """The pids of Kore's worker processes (children of the parent)."""
    parent = open(os.path.join(stack.run_dir, "kore.pid")).read().split()[0]
    kids = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == parent and fields[0] != "Z":
            kids.add(pid)
    return kids


def log_size(stack):
    return os.path.getsize(os.path.join(stack.run_dir, "kore.log"))


def deaths_since(stack, offset):
    with open(os.path.join(stack.run_dir, "kore.log"), "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    return [l for l in text.splitlines() if any(d in l for d in DEATH)]


def test_waiters_do_not_stall_other_requests(api, stack, erfurt, no_matcher):
    staff, people = erfurt
    token = staff.token
    jobs = queued_jobs(api, token, people, 20, no_matcher)

    waiters = start_waiters(stack, token, jobs, "wait=4")
    # While the 20 wait: 20 health checks and 20 authenticated list
    # reads, one after the other.
    fast = []
    for _ in range(20):
        r = api.get("/healthz")
        assert r.status_code == 200
        r = api.get("/v1/offers", params={"limit": 5},
                    headers=bearer(token))
        assert r.status_code == 200, r.text
        assert len(r.json()["items"]) <= 5
        fast.append(time.monotonic())
    answers = [w.result(api.spec) for w in waiters]

    first_back = min(w.done for w in waiters)
    assert max(fast) < first_back, (
        "%d of 40 quick requests finished only after a waiter came back"
        % (2 * sum(t >= first_back for t in fast)))
    for w, a in zip(waiters, answers):
        assert a.status_code == 200, a.content
        assert a.json()["id"] == w.job
        assert a.json()["status"] == "queued"
        assert a.headers["Preference-Applied"] == "wait=4"
        # It waited its four seconds (the server's deadline starts after
        # our request left; the millisecond clock may round down once).
        assert w.done - w.sending >= 3.999, w.done - w.sending


def test_waiter_comes_back_when_its_job_finishes(api, stack, erfurt,
                                                 no_matcher):
    staff, people = erfurt
    token = staff.token
    before = kore_workers(stack)
    offset = log_size(stack)
    job = submit(api, token, people[0])
    # Clients that gave up on the same job: their waits are gone when it
    # finishes and its notification arrives.
    for _ in range(4):
        s = socket.create_connection(("127.0.0.1", stack.port))
        s.sendall(("GET %s%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s"
                   "\r\nPrefer: wait=10\r\n\r\n" % (JOB_PATH, job, token))
                  .encode())
        s.close()

    w = start_waiters(stack, token, [job], "wait=10")[0]
    # Only now can the job run.
    stack.stack("matcher-start")
    a = w.result(api.spec)
    assert a.status_code == 200, a.content
    body = a.json()
    assert body["status"] == "succeeded", body
    assert a.headers["Preference-Applied"] == "wait=10"
    finished = datetime.fromisoformat(
        body["finished_at"].replace("Z", "+00:00")).timestamp()
    # The job finished after the request was sent (so the request did
    # wait), and the answer came after that and before the deadline of
    # ten seconds (so the finish woke it, not the deadline).
    assert w.sent_wall < finished <= w.done_wall, (
        w.sent_wall, finished, w.done_wall)
    assert w.done - w.sent < 10, w.done - w.sent
    stored = stack.sql("SELECT finished_at FROM ch.matching_job"
                       " WHERE id = %s", (job,))[0][0]
    assert stored.timestamp() == finished
    r = api.get(JOB_PATH + job + "/proposals", headers=bearer(token))
    assert r.status_code == 200, r.text
    assert len(r.json()["items"]) == body["proposals"]
    # The notification for the clients that left harmed no worker.
    for _ in range(10):
        assert api.get("/healthz").status_code == 200
    assert not deaths_since(stack, offset), deaths_since(stack, offset)
    assert kore_workers(stack) == before


def test_cancelling_wakes_the_waiter(api, stack, erfurt, no_matcher):
    staff, people = erfurt
    token = staff.token
    job = queued_jobs(api, token, people, 1, no_matcher)[0]
    w = start_waiters(stack, token, [job], "wait=10")[0]
    # The waiter may be answered before the DELETE's own answer arrives:
    # the cancellation counts from when it was sent.
    cancelled = time.monotonic()
    r = api.request("DELETE", JOB_PATH + job, headers=bearer(token))
    assert r.status_code == 204, r.text
    a = w.result(api.spec)
    assert a.status_code == 200
    assert a.json()["status"] == "cancelled"
    assert a.headers["Preference-Applied"] == "wait=10"
    # Woken by the cancellation, not by its deadline.
    assert cancelled <= w.done and w.done - w.sent < 10


def test_malformed_wait_is_ignored(api, stack, erfurt, no_matcher):
    staff, people = erfurt
    token = staff.token
    job = queued_jobs(api, token, people, 1, no_matcher)[0]
    slow = start_waiters(stack, token, [job], "wait=1")[0]
    quick = []
    for prefer in ("wait=abc", "wait=1abc", "wait=", "wait=-1", "wait",
                   "handling=lenient", "waiting=3"):
        r = api.get(JOB_PATH + job, headers={**bearer(token),
                                            "Prefer": prefer})
        quick.append((prefer, time.monotonic()))
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "queued"
        assert "Preference-Applied" not in r.headers, (prefer, r.headers)
    a = slow.result(api.spec)
    assert a.status_code == 200
    assert a.headers["Preference-Applied"] == "wait=1"
    # Every malformed preference was answered at once: before a wait of
    # one second, asked for earlier, ran out.
    late = [p for p, t in quick if t >= slow.done]
    assert not late, late


def test_wait_is_capped_at_ten_seconds(api, erfurt):
    staff, people = erfurt
    token = staff.token
    job = finished_job(api, token, people[1])
    for prefer, applied in (("wait=99", "wait=10"), ("wait=10", "wait=10"),
                            ("wait=3", "wait=3"),
                            ("wait=" + "9" * 40, "wait=10"),
                            ("respond-async, wait=11", "wait=10")):
        r = api.get(JOB_PATH + job, headers={**bearer(token),
                                            "Prefer": prefer})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "succeeded"
        assert r.headers.get("Preference-Applied") == applied, (
            prefer, r.headers)


def test_a_waiter_whose_client_left_does_not_break_the_worker(
        api, stack, erfurt, no_matcher):
    staff, people = erfurt
    token = staff.token
    job = queued_jobs(api, token, people, 1, no_matcher)[0]
    before = kore_workers(stack)
    assert before
    offset = log_size(stack)
    request = ("GET %s%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Prefer: wait=5\r\n\r\n" % (JOB_PATH, job, token)).encode()
    for i in range(12):
        s = socket.create_connection(("127.0.0.1", stack.port))
        s.sendall(request)
        if i % 2:
            # Hang up while the request sleeps (no answer yet).
            s.settimeout(0.3)
            try:
                got = s.recv(1)
            except socket.timeout:
                got = None
            assert got is None, \
                "answered or hung up while the job was queued: %r" % got
        s.close()

    # A wait that started after all of theirs and lasts longer: when it
    # ends, their deadlines (and timers) have passed.
    w = start_waiters(stack, token, [job], "wait=6")[0]
    a = w.result(api.spec)
    assert a.status_code == 200
    assert a.json()["status"] == "queued"
    assert a.headers["Preference-Applied"] == "wait=6"
    for _ in range(20):
        assert api.get("/healthz").status_code == 200
        r = api.get(JOB_PATH + job, headers=bearer(token))
        assert r.status_code == 200 and r.json()["status"] == "queued"
    assert not deaths_since(stack, offset), deaths_since(stack, offset)
    assert kore_workers(stack) == before


@pytest.fixture
def black_hole():
    """A port on 127.0.0.1 that takes TCP connections and never says a
    word (nobody accepts them): a database server that stopped
    answering."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    try:
        yield "postgresql://ch_app@127.0.0.1:%d/ch" % s.getsockname()[1]
    finally:
        s.close()


class SecondStack:
    """A second API on the session stack's database, started with
    scripts/stack.sh; stop() stops it and returns its log (Kore's own
    lines reach the file only when its processes exit)."""

    def __init__(self, stack, **env):
        self.run_dir = tempfile.mkdtemp(prefix="ch-test-listen-")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.env = dict(stack.env)
        self.env.update({
            "CH_RUN_DIR": self.run_dir,
            "CH_PORT": str(self.port),
            "CH_DATABASE_URL": stack.url(owner=False),
            "CH_DATABASE_OWNER_URL": stack.url(),
            "CH_MATCHER_DATABASE_URL": stack.matcher_url(),
            "CH_DEMO_DATA": "0",
        }, **env)
        self.log = None

    def run(self, what):
        return subprocess.run([os.path.join(TOP, "scripts", "stack.sh"),
                               what], env=self.env, capture_output=True,
                              text=True)

    def stop(self):
        if self.log is None:
            pids = [open(os.path.join(self.run_dir, f)).read().split()[0]
                    for f in ("kore.pid", "matcher.pid")
                    if os.path.exists(os.path.join(self.run_dir, f))]
            self.run("down")
            with open(os.path.join(self.run_dir, "kore.log"),
                      encoding="utf-8", errors="replace") as f:
                self.log = f.read()
            left = [p for p in pids if alive(p)]
            assert not left, "still running after down: %s" % left
        return self.log


@pytest.fixture
def deaf_listener_stack(stack, black_hole):
    """A second API with one worker (so that every request meets the
    same one) whose LISTEN connection goes to the black hole
    (CH_DATABASE_LISTEN_URL)."""
    second = SecondStack(stack, CH_WORKERS="1",
                         CH_DATABASE_LISTEN_URL=black_hole)
    try:
        up = second.run("up")
        assert up.returncode == 0, up.stdout + up.stderr
        yield second
    finally:
        second.stop()
        shutil.rmtree(second.run_dir, ignore_errors=True)


def test_unreachable_listener_does_not_stall_the_worker(
        api, stack, erfurt, deaf_listener_stack):
    """While the LISTEN connection cannot be made (its database takes
    the connection and never answers), clients asking again and again
    for a short wait must not hold the worker: /healthz keeps answering.

    The bound of one second is generous on purpose: a worker that serves
    answers /healthz within milliseconds, even with sanitizers on two
    busy cores; a worker blocked in a connect to the black hole stalls
    for libpq's smallest connect timeout, two seconds, at every
    attempt."""
    staff, people = erfurt
    token = staff.token
    job = finished_job(api, token, people[2])
    base = deaf_listener_stack.base
    stop = threading.Event()
    answers, errors = [], []

    def ask_again_and_again():
        http = requests.Session()
        try:
            while not stop.is_set():
                answers.append(http.get(
                    base + JOB_PATH + job, timeout=30,
                    headers={**bearer(token), "Prefer": "wait=1"}))
        except BaseException as e:
            errors.append(e)

    clients = [threading.Thread(target=ask_again_and_again, daemon=True)
               for _ in range(2)]
    for c in clients:
        c.start()
    slowest = 0.0
    checks = 0
    # Long enough for a first attempt to time out (2 s), the pause
    # after it (1 s) and a second attempt to time out.
    seconds = 8
    until = time.monotonic() + seconds
    try:
        while time.monotonic() < until:
            t0 = time.monotonic()
            r = requests.get(base + "/healthz", timeout=30)
            slowest = max(slowest, time.monotonic() - t0)
            checks += 1
            assert r.status_code == 200
            time.sleep(0.05)
    finally:
        stop.set()
        for c in clients:
            c.join(60)
    log = deaf_listener_stack.stop()
    assert not [l for l in log.splitlines() if any(d in l for d in DEATH)], \
        log[-3000:]
    assert not errors, errors
    assert slowest < 1.0, "/healthz took %.2f s (%d checks)" % (
        slowest, checks)
    assert answers
    for a in answers:
        assert a.status_code == 200, a.text
        assert a.json()["status"] == "succeeded"
        assert a.headers["Preference-Applied"] == "wait=1"
        api.spec.validate("GET", a)
    # The black hole was really tried, again after a failure, but not
    # more than once a second.
    tried = log.count("cannot listen for finished jobs")
    assert 2 <= tried <= seconds, log[-3000:]
