#!/usr/bin/python3
"""End-to-end suggest jobs: POST /v1/matching/jobs, then GET the job with
"Prefer: wait=10" until it has finished, through Kore, PostgreSQL and the
ch-matcher worker pool of a running stack (scripts/bench.sh starts it).

    bench/matching.py BASE_URL

Prints, like scripts/bench.sh, "bench <name> <value> <unit>":

  matching_job_get            baseline: GET /v1/matching/jobs/{id} of a
                              finished job (one API read, no worker), req/s
  matching_suggest_p50, _p99  one client: from the start of the POST to the
                              finished job in hand, ms
  matching_suggest_post_p50   of that, the POST alone (queueing the job), ms
  matching_suggest_jobs       CLIENTS concurrent clients, each one job after
                              the other: finished jobs per second
  matching_suggest_ratio      jobs/s divided by the baseline's reads/s
  matching_suggest_proposals_per_job (and _single_ for the latency run)
                              proposals stored per job: a job proposes
                              fewer once a participant's best pairs are
                              open in earlier proposals of the same run

Targets (reported, not asserted): >= 500 jobs/s, p50 <= 20 ms.

Environment: CH_BENCH_SECONDS (10) per measurement, CH_BENCH_CLIENTS (16),
CH_RUN_DIR as for scripts/stack.sh (the database is found through
`stack.sh db-admin-url`). Subjects are the demo participants of district
16051 with consent to matching; jobs are asked for by its demo assistant.
Only Debian's /usr/bin/python3 and its standard library are used.
"""

import http.client
import json
import multiprocessing
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DISTRICT = "16051"
ACCOUNT = "assistant.%s@demo.example" % DISTRICT
PASSWORD = "connecting-humans-demo"
FINISHED = ("succeeded", "failed", "cancelled")


class Http:
    """One keep-alive connection; reconnects after an error."""

    def __init__(self, host, port, token=None):
        self.host, self.port = host, port
        self.token = token
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port,
                                                       timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                payload = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, r, payload
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None


def psql(url, query):
    out = subprocess.run(["psql", url, "-X", "-q", "-A", "-t", "-v",
                          "ON_ERROR_STOP=1", "-c", query],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def run_job(http_, pid, posted=None):
    """POST a suggest job and wait for it; returns its final status. The
    time the POST took is appended to `posted` (seconds)."""
    t = time.monotonic()
    status, r, payload = http_.request(
        "POST", "/v1/matching/jobs",
        {"kind": "suggest", "programme": "partners", "participant_id": pid,
         "k": 5})
    if status != 202:
        raise RuntimeError("POST /v1/matching/jobs: %d %s"
                           % (status, payload[:300]))
    if posted is not None:
        posted.append(time.monotonic() - t)
    path = r.getheader("Location")
    for _ in range(6):
        status, r, payload = http_.request("GET", path,
                                           headers={"Prefer": "wait=10"})
        if status != 200:
            raise RuntimeError("GET %s: %d %s" % (path, status,
                                                  payload[:300]))
        job = json.loads(payload)
        if job["status"] in FINISHED:
            return job["status"]
    return job["status"]


def jobs_client(args):
    """One client: jobs one after the other from start to end (monotonic
    clock, shared by all processes); returns (succeeded, other, latencies
    in seconds, time of the last finish, POST times in seconds)."""
    host, port, token, people, offset, start, end = args
    http_ = Http(host, port, token)
    ok = bad = 0
    latencies = []
    posted = []
    last = start
    i = offset
    while time.monotonic() < start:
        time.sleep(0.001)
    try:
        while time.monotonic() < end:
            t = time.monotonic()
            status = run_job(http_, people[i % len(people)], posted)
            i += 1
            last = time.monotonic()
            if status == "succeeded":
                ok += 1
                latencies.append(last - t)
            else:
                bad += 1
    except Exception as e:
        print("matching bench client: %s" % e, file=sys.stderr)
        bad += 1
    http_.close()
    return ok, bad, latencies, last, posted


def reads_client(args):
    """One client: GET a finished job as often as it can; returns (200s,
    other answers)."""
    host, port, token, path, start, end = args
    http_ = Http(host, port, token)
    ok = bad = 0
    while time.monotonic() < start:
        time.sleep(0.001)
    while time.monotonic() < end:
        status, _, _ = http_.request("GET", path)
        if status == 200:
            ok += 1
        else:
            bad += 1
    http_.close()
    return ok, bad


def percentile(sorted_values, p):
    """Nearest rank."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1,
                   int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def main():
    if len(sys.argv) != 2:
        print("usage: matching.py BASE_URL", file=sys.stderr)
        return 2
    u = urlsplit(sys.argv[1])
    host, port = u.hostname, u.port or 80
    seconds = float(os.environ.get("CH_BENCH_SECONDS", "10"))
    clients = int(os.environ.get("CH_BENCH_CLIENTS", "16"))
    admin = subprocess.run([os.path.join(TOP, "scripts", "stack.sh"),
                            "db-admin-url"], check=True, capture_output=True,
                           text=True).stdout.strip()
    people = psql(admin, (
        "SELECT p.id FROM ch.participant p WHERE p.district_id = '%s'"
        " AND p.status IN ('waiting', 'placed') AND EXISTS (SELECT 1"
        " FROM ch.consent c WHERE c.participant_id = p.id"
        " AND c.purpose = 'matching' AND c.withdrawn_at IS NULL)"
        " ORDER BY p.id") % DISTRICT)
    if not people:
        print("matching bench: no participants in %s" % DISTRICT,
              file=sys.stderr)
        return 1
    status, _, payload = Http(host, port).request(
        "POST", "/v1/auth/token", {"email": ACCOUNT, "password": PASSWORD})
    if status != 200:
        print("matching bench: sign-in failed: %d %s" % (status, payload),
              file=sys.stderr)
        return 1
    token = json.loads(payload)["access_token"]
    t0 = psql(admin, "SELECT clock_timestamp()")[0]

    def expire(since):
        """The proposals of the bench's jobs so far leave the way free:
        every measurement starts from the demo's open pairs."""
        psql(admin, "UPDATE ch.proposal SET status = 'expired',"
             " expires_at = now() WHERE status IN ('pending', 'approved')"
             " AND job_id IN (SELECT id FROM ch.matching_job"
             " WHERE created_at >= '%s')" % since)

    def per_job(since, until):
        return float(psql(admin, (
            "SELECT coalesce(round(avg(proposals), 2), 0)"
            " FROM ch.matching_job WHERE created_at >= '%s'"
            " AND created_at < '%s' AND status = 'succeeded'")
            % (since, until))[0])

    pool = multiprocessing.get_context("fork").Pool(clients)
    try:
        # Warm-up: every Kore worker's connections, the statements of the
        # matcher's connections, the candidates of this epoch.
        now = time.monotonic()
        pool.map(jobs_client, [(host, port, token, people, i * 7,
                                now + 0.2, now + 1.2)
                               for i in range(clients)])
        http_ = Http(host, port, token)
        status = run_job(http_, people[0])
        # The finished job the baseline reads.
        status, r, payload = http_.request(
            "POST", "/v1/matching/jobs",
            {"kind": "suggest", "programme": "partners",
             "participant_id": people[0], "k": 5})
        finished = r.getheader("Location")
        while json.loads(http_.request(
                "GET", finished, headers={"Prefer": "wait=10"})[2]
                )["status"] not in FINISHED:
            pass
        http_.close()
        expire(t0)

        # (c) Baseline: reads of a finished job, as many clients.
        now = time.monotonic()
        res = pool.map(reads_client, [(host, port, token, finished,
                                       now + 0.3, now + 0.3 + seconds)
                                      for _ in range(clients)])
        reads = sum(ok for ok, _ in res) / seconds
        if any(bad for _, bad in res):
            print("matching bench: %d reads failed" % sum(b for _, b in res),
                  file=sys.stderr)

        # (b) Latency: one client, one job after the other.
        since = psql(admin, "SELECT clock_timestamp()")[0]
        now = time.monotonic()
        ok, bad, lat, _, posted = jobs_client((host, port, token, people, 0,
                                               now, now + seconds))
        until = psql(admin, "SELECT clock_timestamp()")[0]
        lat.sort()
        posted.sort()
        single = per_job(since, until)
        if bad:
            print("matching bench: %d single jobs did not succeed" % bad,
                  file=sys.stderr)
        expire(t0)

        # (a) Throughput: CLIENTS clients, one job after the other each.
        since = psql(admin, "SELECT clock_timestamp()")[0]
        now = time.monotonic()
        start = now + 0.3
        res = pool.map(jobs_client, [(host, port, token, people,
                                      i * len(people) // clients, start,
                                      start + seconds)
                                     for i in range(clients)])
        until = psql(admin, "SELECT clock_timestamp()")[0]
        done = sum(r[0] for r in res)
        elapsed = max(r[3] for r in res) - start
        jobs = done / elapsed if elapsed > 0 else 0.0
        many = per_job(since, until)
        if any(r[1] for r in res):
            print("matching bench: %d jobs did not succeed"
                  % sum(r[1] for r in res), file=sys.stderr)
        expire(t0)
    finally:
        pool.close()
        pool.join()

    print("bench matching_job_get %.0f req/s" % reads)
    print("bench matching_suggest_p50 %.1f ms" % (percentile(lat, 50) * 1e3))
    print("bench matching_suggest_p99 %.1f ms" % (percentile(lat, 99) * 1e3))
    print("bench matching_suggest_post_p50 %.1f ms"
          % (percentile(posted, 50) * 1e3))
    print("bench matching_suggest_single_jobs %d jobs" % len(lat))
    print("bench matching_suggest_jobs %.0f jobs/s" % jobs)
    print("bench matching_suggest_ratio %.3f ratio"
          % (jobs / reads if reads else 0.0))
    print("bench matching_suggest_proposals_per_job %.2f proposals" % many)
    print("bench matching_suggest_single_proposals_per_job %.2f proposals"
          % single)
    return 0


if __name__ == "__main__":
    sys.exit(main())
