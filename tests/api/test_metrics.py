"""api/metrics.c: GET /metrics in Prometheus' text format 0.0.4.

The exposition is read with a strict parser of its own (every line
well-formed, each family with HELP and TYPE before its samples, no
series twice, histogram buckets cumulative up to +Inf equal to _count).
The test stack runs two Kore workers and trusts 127.0.0.1 as a proxy
(conftest.py): requests from 127.0.0.1 count as proxied and need the
metrics token; other loopback addresses are direct peers of the
internal network."""

import concurrent.futures
import math
import os
import re
import socket
import threading
import time
import uuid

import psycopg2
import pytest
import requests

from authutil import bearer, token_for
from conftest import TOP
from matching_util import await_job, callers, person, submit
from test_privileges import start
from test_signin_throttle import session_from

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
WORKERS = 2          # CH_WORKERS of the test stack
CONN_MAX = 2         # CH_PG_CONN_MAX of the test stack, per worker

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                  r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")

# Every family the API exposes, and its type.
FAMILIES = {
    "ch_http_requests_total": "counter",
    "ch_http_request_duration_seconds": "histogram",
    "ch_db_connections_in_use": "gauge",
    "ch_db_queries_waiting": "gauge",
    "ch_db_connections_max": "gauge",
    "ch_db_query_waits_total": "counter",
    "ch_build_info": "gauge",
    "ch_start_time_seconds": "gauge",
    "ch_worker_starts_total": "counter",
    "ch_matching_jobs": "gauge",
    "ch_matching_oldest_queued_seconds": "gauge",
    "ch_matching_jobs_finished_total": "counter",
    "ch_matching_leases_expired": "gauge",
    "ch_matching_runs_total": "counter",
    "ch_matching_up": "gauge",
}


# ------------------------------------------------------------ the parser

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
# A label value: anything but a double quote, backslash or line feed,
# which are written \", \\ and \n.
LABEL_VALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
LABEL = r"(%s)=(%s)" % (LABEL_NAME, LABEL_VALUE)
PAIR = r"%s=%s" % (LABEL_NAME, LABEL_VALUE)
SAMPLE = re.compile(r"^(%s)(?:\{(%s(?:,%s)*)?\})? (\S+)$"
                    % (NAME, PAIR, PAIR))
HELP = re.compile(r"^# HELP (%s) (.*)$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$"
                  % NAME)
VALUE = re.compile(r"^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+"
                   r"(?:[eE][+-]?\d+)?)|[+-]Inf|NaN)$")


def unescape(v):
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1),
                                                      m.group(1)), v)


def labels_of(text):
    return tuple((k, unescape(v[1:-1]))
                 for k, v in re.findall(LABEL, text or ""))


class Exposition:
    """A parsed scrape: families (name -> type, help) and samples
    ((sample name, sorted labels) -> value)."""

    def __init__(self, text):
        self.text = text
        self.types, self.helps, self.samples = {}, {}, {}
        self.parse(text)

    def family_of(self, name):
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and \
                    self.types.get(base) == "histogram":
                return base
        return name

    def parse(self, text):
        assert text.endswith("\n"), "the exposition ends with a line feed"
        current, done = None, set()
        for n, line in enumerate(text[:-1].split("\n"), 1):
            where = "line %d: %r" % (n, line)
            if line.startswith("#"):
                m = HELP.match(line) or TYPE.match(line)
                assert m, where
                name = m.group(1)
                table = self.helps if line.startswith("# HELP") \
                    else self.types
                assert name not in table, "twice: " + where
                assert name not in done, "family split: " + where
                assert not [s for s in self.samples
                            if self.family_of(s[0]) == name], \
                    "HELP/TYPE after samples: " + where
                table[name] = m.group(2)
                if current != name and current is not None:
                    done.add(current)
                current = name
                continue
            m = SAMPLE.match(line)
            assert m, "malformed sample: " + where
            name, labels, value = m.group(1), m.group(2), m.group(3)
            assert VALUE.match(value), "bad value: " + where
            fam = self.family_of(name)
            assert fam == current, "sample outside its family: " + where
            assert fam in self.types and fam in self.helps, \
                "no HELP and TYPE: " + where
            pairs = labels_of(labels)
            names = [k for k, _ in pairs]
            assert len(set(names)) == len(names), "label twice: " + where
            key = (name, tuple(sorted(pairs)))
            assert key not in self.samples, "series twice: " + where
            self.samples[key] = float(value)
        for fam in self.types:
            assert fam in self.helps, "TYPE without HELP: " + fam
        for fam in self.helps:
            assert fam in self.types, "HELP without TYPE: " + fam
        for fam, kind in self.types.items():
            if kind == "histogram":
                self.check_histogram(fam)
            if kind == "counter":
                for (name, _), v in self.samples.items():
                    if name == fam:
                        assert v >= 0 and not math.isnan(v), (name, v)

    def check_histogram(self, fam):
        series = {}
        for (name, labels), v in self.samples.items():
            if self.family_of(name) != fam:
                continue
            rest = tuple(kv for kv in labels if kv[0] != "le")
            le = dict(labels).get("le")
            part = series.setdefault(rest, {"buckets": []})
            if name == fam + "_bucket":
                assert le is not None, (name, labels)
                part["buckets"].append((float(le), v))
            else:
                assert le is None, (name, labels)
                assert name in (fam + "_sum", fam + "_count"), name
                part[name[len(fam) + 1:]] = v
        for rest, part in series.items():
            b = part["buckets"]
            assert b and "sum" in part and "count" in part, (fam, rest)
            bounds = [le for le, _ in b]
            assert bounds == sorted(bounds) and len(set(bounds)) == \
                len(bounds), (fam, rest, bounds)
            assert bounds[-1] == math.inf, (fam, rest, "no +Inf bucket")
            counts = [c for _, c in b]
            assert counts == sorted(counts), (fam, rest, "not cumulative")
            assert counts[-1] == part["count"], (fam, rest)
            assert part["sum"] >= 0, (fam, rest)

    def get(self, name, **labels):
        """A sample's value; 0 for a series not (yet) exposed."""
        return self.samples.get((name, tuple(sorted(labels.items()))), 0)

    def series(self, name):
        return {labels: v for (n, labels), v in self.samples.items()
                if n == name}


def check_the_parser():
    """The parser the tests rely on is strict: each of these breaks the
    format (or a histogram's rules) and is refused."""
    good = ("# HELP a_total A.\n# TYPE a_total counter\n"
            'a_total{x="1"} 2\n'
            "# HELP h H.\n# TYPE h histogram\n"
            'h_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\n'
            "h_sum 0.5\nh_count 2\n")
    e = Exposition(good)
    assert e.get("a_total", x="1") == 2 and e.get("h_count") == 2
    assert Exposition('# HELP e E.\n# TYPE e gauge\ne{v="a\\"b\\\\c"} 1\n'
                      ).get("e", v='a"b\\c') == 1
    for bad in (
            good.replace("a_total{x=\"1\"} 2", "a_total{x=1} 2"),
            good.replace("# HELP a_total A.\n", ""),
            good.replace("# TYPE a_total counter\n", ""),
            good.replace(" 2\n# HELP h", " two\n# HELP h"),
            good.replace('h_bucket{le="+Inf"} 2', 'h_bucket{le="+Inf"} 3'),
            good.replace('h_bucket{le="1"} 1', 'h_bucket{le="1"} 3'),
            good.replace('h_bucket{le="+Inf"} 2\n', ""),
            good + 'a_total{x="1"} 2\n',
            good + 'a_total{x="2"} 2\n',
            good.replace('{x="1"}', '{x="1",x="2"}'),
            good.replace('{x="1"}', '{x="a\nb"}'),
            good[:-1]):
        with pytest.raises(AssertionError):
            Exposition(bad)


# ------------------------------------------------------------ helpers

def scrape(stack, spec, **headers):
    """GET /metrics with the metrics token, checked against the contract
    and parsed."""
    h = {"Authorization": "Bearer " + stack.metrics_token}
    h.update(headers)
    r = requests.get(stack.base + "/metrics", headers=h, timeout=60)
    assert r.status_code == 200, (r.status_code, r.text)
    spec.validate("GET", r)
    assert r.headers["Content-Type"] == CONTENT_TYPE
    return Exposition(r.text)


def refused(r, spec):
    assert r.status_code == 403, (r.status_code, r.text)
    spec.validate("GET", r)
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.json()["type"] == "urn:ch:problem:forbidden"
    assert "ch_" not in r.text


def requests_total(m, route, status, method="GET"):
    return m.get("ch_http_requests_total", route=route, method=method,
                 status=str(status))


def duration_count(m, route, method="GET"):
    return m.get("ch_http_request_duration_seconds_count", route=route,
                 method=method)


def conf_value(name):
    """A setting of conf/api.conf.in, the Kore configuration."""
    with open(os.path.join(TOP, "conf", "api.conf.in")) as f:
        for line in f:
            words = line.split()
            if words[:1] == [name]:
                return int(words[1])
    raise AssertionError("%s is not in conf/api.conf.in" % name)


def served_by(stack, prefix):
    """request id -> pid of the worker that answered it, from the access
    log (one JSON line per request)."""
    found = {}
    for line in stack.kore_log().splitlines():
        m = re.search(r'"request_id":"(%s[^"]*)","pid":(\d+)' %
                      re.escape(prefix), line)
        if m:
            found[m.group(1)] = int(m.group(2))
    return found


def burst(stack, requests):
    """Sends every request (bytes, one per connection) on connections all
    open at once; returns their statuses in order. As many connections as
    worker_max_connections and more reach both Kore workers: 4.1 hands its
    accept lock on only when the worker holding it is full."""
    socks = []
    try:
        for _ in requests:
            socks.append(socket.create_connection(("127.0.0.1", stack.port),
                                                  timeout=60))
        for s, request in zip(socks, requests):
            s.sendall(request)
        return [answer_status(s) for s in socks]
    finally:
        for s in socks:
            s.close()


def answer_status(sock):
    """The status of the one answer on a connection that then closes."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", data)
    assert m, data[:200]
    return int(m.group(1))


# ------------------------------------------------------------ the tests

def test_the_exposition_is_well_formed_and_complete(stack, spec, api):
    check_the_parser()
    m = scrape(stack, spec)
    assert m.types == FAMILIES
    ready = api.get("/readyz").json()
    assert m.series("ch_build_info") == {
        (("schema", str(ready["schema_version"])), ("version", "0.1.0")): 1}
    assert 0 < m.get("ch_start_time_seconds") <= time.time()
    assert m.get("ch_worker_starts_total") >= WORKERS
    assert m.get("ch_db_connections_max") == WORKERS * CONN_MAX
    for fam in ("ch_db_connections_in_use", "ch_db_queries_waiting"):
        assert {dict(k)["worker"] for k in m.series(fam)} == \
            {str(i + 1) for i in range(WORKERS)}, fam
    assert m.get("ch_matching_up") == 1
    # Every kind and state of the queue is there, at 0 or more.
    for kind in ("suggest", "batch", "stable"):
        for state in ("queued", "running"):
            assert (("kind", kind), ("state", state)) in \
                m.series("ch_matching_jobs")
        for outcome in ("succeeded", "failed", "cancelled"):
            assert (("kind", kind), ("outcome", outcome)) in \
                m.series("ch_matching_jobs_finished_total")
    assert {dict(k)["outcome"] for k in m.series("ch_matching_runs_total")} \
        == {"succeeded", "failed", "retry", "lease_expired"}
    # The scrape itself is counted once answered: the next one sees it.
    before = requests_total(m, "/metrics", 200)
    assert requests_total(scrape(stack, spec), "/metrics", 200) == before + 1


def test_routes_are_patterns_and_nothing_personal_shows(stack, spec, api):
    """Requests are labelled with their route's pattern, never their
    path: ids, addresses and names in paths and query strings never reach
    the figures."""
    pid, other = str(uuid.uuid4()), str(uuid.uuid4())
    assert api.get("/v1/places/" + pid).status_code == 404
    assert api.get("/v1/places/" + other,
                   params={"q": "olena.k@example.org"}).status_code == 400
    assert api.get("/v1/offers/" + pid).status_code == 401
    r = api.get("/v1/districts/olena.k@example.org")
    assert r.status_code in (400, 404)
    assert api.get("/nobody/" + pid + "/jane.doe@example.org"
                   ).status_code == 404
    m = scrape(stack, spec)
    assert requests_total(m, "/v1/places/{id}", 404) >= 1
    assert requests_total(m, "/v1/places/{id}", 400) >= 1
    assert requests_total(m, "/v1/offers/{id}", 401) >= 1
    assert requests_total(m, "unmatched", 404) >= 1
    assert not UUID.search(m.text), UUID.search(m.text).group(0)
    assert not EMAIL.search(m.text), EMAIL.search(m.text).group(0)
    assert "olena" not in m.text.lower() and "nobody" not in m.text
    routes = {dict(k)["route"] for k in m.series("ch_http_requests_total")}
    # Only the route table's patterns, and "unmatched".
    assert routes <= set(spec.doc["paths"]) | {"unmatched"}, routes


def test_every_workers_requests_are_counted(stack, spec):
    """Requests answered by both workers: the counters grow by exactly
    their number, which they cannot unless the requests of every worker
    are counted (and each once), whichever worker answers the scrape.

    Kore 4.1 gives its accept lock to another worker only once the one
    holding it has worker_max_connections connections open, so requests
    one after the other all land on one worker. The test opens that many
    connections and some more at once: the first worker fills up, the
    second takes the rest. The access log (request id and pid) shows
    who answered what."""
    run = "metrics-%s-" % uuid.uuid4().hex[:8]
    total = conf_value("worker_max_connections") + 40
    before = scrape(stack, spec)
    statuses = burst(stack, [
        ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         "X-Request-Id: %s%d\r\nConnection: close\r\n\r\n"
         % ("/no/such/%d" % i if i % 3 == 0 else "/v1/districts", run,
            i)).encode()
        for i in range(total)])
    ok, missing = statuses.count(200), statuses.count(404)
    assert ok + missing == total, statuses
    for _ in range(50):  # the last access log lines
        pids = served_by(stack, run)
        if len(pids) == total:
            break
        time.sleep(0.1)
    assert len(pids) == total
    assert len(set(pids.values())) == WORKERS, \
        "not every worker answered: %s" % set(pids.values())

    after = scrape(stack, spec)
    assert requests_total(after, "/v1/districts", 200) - \
        requests_total(before, "/v1/districts", 200) == ok
    assert duration_count(after, "/v1/districts") - \
        duration_count(before, "/v1/districts") == ok
    assert requests_total(after, "unmatched", 404) - \
        requests_total(before, "unmatched", 404) == missing
    assert duration_count(after, "unmatched") - \
        duration_count(before, "unmatched") == missing
    # Nothing else ran meanwhile: every status of the route together is
    # its histogram's count.
    for m in (before, after):
        assert sum(v for k, v in m.series("ch_http_requests_total").items()
                   if dict(k)["route"] == "/v1/districts"
                   and dict(k)["method"] == "GET") == \
            duration_count(m, "/v1/districts")
    assert after.get("ch_http_request_duration_seconds_sum",
                     route="/v1/districts", method="GET") > \
        before.get("ch_http_request_duration_seconds_sum",
                   route="/v1/districts", method="GET")


def lock_waiters(stack):
    """API backends waiting for a lock."""
    return stack.sql("SELECT count(*) FROM pg_stat_activity WHERE usename ="
                     " 'ch_app' AND wait_event_type = 'Lock'")[0][0]


def test_the_database_pool_in_use_and_waiting(stack, spec):
    """While a lock holds every query of GET /v1/taxonomies, more of them
    than the pool has connections: the connections in use are exactly
    the backends stuck on the lock, the rest wait for a connection, and
    all is back to 0 afterwards."""
    requests.get(stack.base + "/v1/taxonomies", timeout=30)
    base = scrape(stack, spec)
    k = WORKERS * CONN_MAX + 3
    admin = psycopg2.connect(stack.admin_url())
    pool = concurrent.futures.ThreadPoolExecutor(k + 1)
    try:
        admin.cursor().execute(
            "LOCK TABLE ch.taxonomy_term IN ACCESS EXCLUSIVE MODE")
        calls = [pool.submit(requests.get, stack.base + "/v1/taxonomies",
                             headers={"Connection": "close"}, timeout=60)
                 for _ in range(k)]
        # Wait until the waiters on the lock stop growing: every worker
        # took what connections it could, the others queued.
        seen, stable_since = -1, time.monotonic()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            n = lock_waiters(stack)
            if n != seen:
                seen, stable_since = n, time.monotonic()
            elif n > 0 and time.monotonic() - stable_since > 1.0:
                break
            time.sleep(0.1)
        stuck = lock_waiters(stack)
        assert 0 < stuck <= WORKERS * CONN_MAX
        # The scrape takes its figures as it arrives; it may then wait
        # for a connection itself, so it runs beside us.
        snap = pool.submit(scrape, stack, spec)
        time.sleep(1.0)
    finally:
        admin.rollback()
        admin.close()
    try:
        assert all(c.result().status_code == 200 for c in calls)
        m = snap.result()
    finally:
        pool.shutdown()
    in_use = sum(m.series("ch_db_connections_in_use").values())
    waiting = sum(m.series("ch_db_queries_waiting").values())
    assert in_use == stuck, (in_use, stuck)
    assert waiting == k - stuck, (waiting, k, stuck)
    waits = m.get("ch_db_query_waits_total") - \
        base.get("ch_db_query_waits_total")
    assert waits == k - stuck

    after = scrape(stack, spec)
    assert set(after.series("ch_db_connections_in_use").values()) == {0}
    assert set(after.series("ch_db_queries_waiting").values()) == {0}
    # The ones that waited, and perhaps the scrape behind them.
    waits = after.get("ch_db_query_waits_total") - \
        base.get("ch_db_query_waits_total")
    assert k - stuck <= waits <= k - stuck + 1


@pytest.fixture(scope="module")
def who(api):
    return callers(api)


def test_job_metrics_follow_a_job(stack, spec, api, who):
    """A suggest job queued while the pool is stopped shows in the queue
    depth and the age of the oldest job; once the pool computed it, the
    queue is back where it was and the job counts as succeeded."""
    p = person(api, who, "ti")
    start_ = scrape(stack, spec)
    queued = start_.get("ch_matching_jobs", kind="suggest", state="queued")
    done = start_.get("ch_matching_jobs_finished_total", kind="suggest",
                      outcome="succeeded")
    runs = start_.get("ch_matching_runs_total", outcome="succeeded")
    stack.stack("matcher-stop")
    try:
        job = submit(api, who["assist"], {
            "kind": "suggest", "programme": "partners",
            "participant_id": p["id"], "k": 3}).json()
        time.sleep(1.1)
        m = scrape(stack, spec)
        assert m.get("ch_matching_jobs", kind="suggest",
                     state="queued") == queued + 1
        assert m.get("ch_matching_oldest_queued_seconds") >= 1.0
        assert m.get("ch_matching_jobs_finished_total", kind="suggest",
                     outcome="succeeded") == done
    finally:
        stack.stack("matcher-start")
    assert await_job(api, who["assist"], job["id"])["status"] == "succeeded"
    m = scrape(stack, spec)
    assert m.get("ch_matching_jobs", kind="suggest",
                 state="queued") == queued
    assert m.get("ch_matching_jobs", kind="suggest", state="running") == 0
    assert m.get("ch_matching_jobs_finished_total", kind="suggest",
                 outcome="succeeded") == done + 1
    assert m.get("ch_matching_runs_total", outcome="succeeded") == runs + 1
    assert m.get("ch_matching_up") == 1
    assert not UUID.search(m.text)


# ------------------------------------------------------------ access

def test_proxied_requests_need_the_metrics_token(stack, spec, api):
    """127.0.0.1 is the test stack's trusted proxy: what it forwards may
    come from anywhere, so only the token opens /metrics, whatever
    X-Forwarded-For says."""
    url = stack.base + "/metrics"
    refused(requests.get(url, timeout=30), spec)
    refused(requests.get(url, timeout=30,
                         headers={"X-Forwarded-For": "10.1.2.3"}), spec)
    token = stack.metrics_token
    wrong = token[:-1] + ("1" if token[-1] == "0" else "0")
    refused(requests.get(url, timeout=30, headers={
        "Authorization": "Bearer " + wrong}), spec)
    refused(requests.get(url, timeout=30, headers={
        "Authorization": "Bearer " + token + "0"}), spec)
    refused(requests.get(url, timeout=30, headers={
        "Authorization": "Basic " + token}), spec)
    # A user's access token is no metrics token, not even the state admin's.
    refused(requests.get(url, timeout=30, headers=bearer(
        token_for(api, "state_admin"))), spec)
    scrape(stack, spec)
    scrape(stack, spec, Authorization="bearer  " + token)
    # Refusals are counted like any request, under the route.
    m = scrape(stack, spec)
    assert requests_total(m, "/metrics", 403) >= 6


@pytest.mark.parametrize("source", ["127.0.0.2", "127.0.0.99"])
def test_direct_peers_of_the_internal_network_need_no_token(stack, spec,
                                                            source):
    """A loopback address that is not the trusted proxy is a direct peer
    of the internal network: it reads /metrics without a token."""
    with session_from(source) as s:
        r = s.get(stack.base + "/metrics", timeout=30)
        assert r.status_code == 200, r.text
        spec.validate("GET", r)
        Exposition(r.text)
        # What a direct peer says in X-Forwarded-For changes nothing.
        r = s.get(stack.base + "/metrics", timeout=30,
                  headers={"X-Forwarded-For": "203.0.113.9"})
        assert r.status_code == 200, r.text


def test_unknown_query_parameters_are_refused(stack, spec):
    r = requests.get(stack.base + "/metrics", params={"name": "x"},
                     timeout=30, headers={
                         "Authorization": "Bearer " + stack.metrics_token})
    assert r.status_code == 400, r.text
    spec.validate("GET", r)
    assert r.json()["errors"][0]["code"] == "unknown_parameter"
    # Refused first: without the token the same request is a 403.
    refused(requests.get(stack.base + "/metrics", params={"name": "x"},
                         timeout=30), spec)


@pytest.mark.parametrize("token,why", [
    ("changeme-changeme-changeme-changeme", "CH_METRICS_TOKEN looks like "
     "a placeholder"),
    ("short", "CH_METRICS_TOKEN is shorter than 32 bytes"),
    ("Qm9 2dGhlLXRva2VuLWhhcy1hLXNwYWNlLWluLWl0LTEyMzQ1",
     "CH_METRICS_TOKEN may hold only"),
    (None, "CH_METRICS_TOKEN must differ from CH_JWT_SECRET"),
])
def test_a_weak_metrics_token_refuses_the_start(stack, token, why):
    code, out = start(stack, CH_DATABASE_URL=stack.url(owner=False),
                      CH_METRICS_TOKEN=token or stack.jwt_secret)
    assert code != 0, out
    assert why in out, out


def test_the_counts_survive_while_the_scrapes_go_on(stack, spec):
    """Many scrapes at once, from both workers, while requests go on:
    each answer is whole and well-formed, and counters never go down
    from one answer to a later one."""
    stop = threading.Event()

    def load():
        while not stop.is_set():
            requests.get(stack.base + "/healthz", timeout=30,
                         headers={"Connection": "close"})

    loader = threading.Thread(target=load)
    loader.start()
    try:
        last = 0
        for _ in range(5):
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(lambda _: scrape(
                    stack, spec, Connection="close"), range(8)))
            counts = sorted(requests_total(a, "/healthz", 200)
                            for a in answers)
            assert counts[0] >= last
            last = counts[-1]
    finally:
        stop.set()
        loader.join()


def test_the_metrics_stay_while_the_database_is_away(stack, spec, api):
    """Without the database the job queue's figures are missing and
    ch_matching_up says so, but everything counted in memory is served,
    the 503s of the outage included."""
    stack.pg_stop()
    try:
        m = scrape(stack, spec)
        assert m.get("ch_matching_up") == 0
        assert not m.series("ch_matching_jobs")
        assert m.types["ch_http_requests_total"] == "counter"
        assert api.get("/v1/districts").status_code == 503
        later = scrape(stack, spec)
        assert requests_total(later, "/v1/districts", 503) == \
            requests_total(m, "/v1/districts", 503) + 1
        assert set(later.series("ch_db_connections_in_use").values()) == \
            {0}
    finally:
        stack.pg_start()
    deadline = time.monotonic() + 30
    while api.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the database did not return"
        time.sleep(0.2)
    assert scrape(stack, spec).get("ch_matching_up") == 1
    # Both workers opened pooled connections in this module (the test of
    # every worker's requests), and the restart killed them. Each dead
    # connection fails the next request it gets with a 503 and is then
    # dropped; the idle worker's would otherwise meet a later test's
    # burst. Use them up here, on requests that may fail.
    request = (b"GET /v1/districts/16051 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Connection: close\r\n\r\n")
    for _ in range(3):
        statuses = burst(stack, [request] *
                         (conf_value("worker_max_connections") + 40))
        if set(statuses) == {200}:
            break
    assert set(statuses) == {200}, statuses


def test_the_queue_function_answers_counts_only(stack):
    """ch.metrics_jobs() as the API's role sees it: a fixed vocabulary of
    families, kinds and labels with a number each, nothing else; the
    worker pool's role may not call it."""
    vocabulary = {"jobs": {"queued", "running"},
                  "finished": {"succeeded", "failed", "cancelled"},
                  "runs": {"succeeded", "failed", "retry", "lease_expired"},
                  "oldest_queued_seconds": {""}, "leases_expired": {""}}
    app = psycopg2.connect(stack.url(owner=False))
    try:
        cur = app.cursor()
        cur.execute("SELECT * FROM ch.metrics_jobs()")
        assert [(d.name, d.type_code) for d in cur.description] == [
            ("family", 25), ("kind", 25), ("label", 25), ("value", 701)]
        for family, kind, label, value in cur.fetchall():
            assert label in vocabulary[family], (family, label)
            assert kind in ({"suggest", "batch", "stable"}
                            if family in ("jobs", "finished") else {""})
            assert isinstance(value, float) and value >= 0
    finally:
        app.close()
    pool = psycopg2.connect(stack.matcher_url())
    try:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            pool.cursor().execute("SELECT * FROM ch.metrics_jobs()")
    finally:
        pool.close()
