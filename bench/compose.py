"""make compose-bench: what one machine serves with the docker-compose
stack of docker/, against PostgreSQL's own ceiling measured in the same
run inside the stack's database container. Prints "bench <name> <value>
<unit>" lines, like scripts/bench.sh.

Measured, each for CH_BENCH_SECONDS (10) after a warm-up, with wrk on the
same machine (it shares the cores with the stack):
  - pgbench -S -M prepared in the db container: the database's pace;
  - GET /v1/districts/{id} and a page of 20 offers with a token, straight
    to one API container (its address on the internal network) and
    through the proxy (HTTPS): what the proxy and TLS cost;
  - the same through the proxy with two API replicas;
  - suggest jobs end to end through the proxy with one and with two
    matcher replicas, counted from the job records.
"""

import os
import re
import subprocess
import sys
import time

import requests

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "compose"))
import stack  # noqa: E402

SECONDS = int(os.environ.get("CH_BENCH_SECONDS", "10"))
for _name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(_name, None)


def out(name, value, unit):
    print("bench %s %s %s" % (name, value, unit), flush=True)


def rps(url, token=None, connections=64):
    """Requests per second from wrk (HTTPS is not verified by wrk; the
    tests verify it). Any non-2xx answer fails the benchmark."""
    args = ["wrk", "-t2", "-c%d" % connections]
    if token:
        args += ["-H", "Authorization: Bearer " + token]
    subprocess.run(args + ["-d1s", url], stdout=subprocess.DEVNULL,
                   check=True)
    r = subprocess.run(args + ["-d%ds" % SECONDS, url], check=True,
                       stdout=subprocess.PIPE, text=True).stdout
    if "Non-2xx" in r:
        raise SystemExit("non-2xx answers from %s:\n%s" % (url, r))
    return round(float(re.search(r"Requests/sec:\s+([0-9.]+)", r).group(1)))


def jobs_per_second(c, token, people):
    c.sql("UPDATE ch.proposal SET status = 'expired' "
          "WHERE status IN ('pending', 'approved')")
    t0 = c.sql("SELECT clock_timestamp()")[0][0]
    env = dict(os.environ, CH_BENCH_TOKEN=token,
               CH_BENCH_PEOPLE=",".join(people))
    subprocess.run(["wrk", "-t1", "-c8", "-d%ds" % SECONDS, "-s",
                    os.path.join(TOP, "bench", "matching_jobs.lua"),
                    c.https], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    t1 = c.sql("SELECT clock_timestamp()")[0][0]
    return int(c.sql(
        "SELECT round(count(*) / extract(epoch FROM '%s'::timestamptz - "
        "'%s'::timestamptz)) FROM ch.matching_job WHERE finished_at "
        "BETWEEN '%s' AND '%s' AND status = 'succeeded'" %
        (t1, t0, t0, t1))[0][0])


def ratio(a, b):
    return "%.2f" % (a / b)


def main():
    with stack.docker_engine():
        c = stack.make("chbench", 233, {"api": 1, "matcher": 1})
        try:
            stack.build(c)
            stack.start(c)
            measure(c)
        finally:
            stack.remove(c)


def measure(c):
    s = requests.Session()
    s.verify = c.cafile

    def token(email):
        r = s.post(c.https + "/v1/auth/token", timeout=30, json={
            "email": email, "password": "connecting-humans-demo"})
        r.raise_for_status()
        return r.json()["access_token"]

    coordinator = token("coordinator.16051@demo.example")
    assistant = token("assistant.16051@demo.example")

    db = c.containers("db")[0]
    c.docker("exec", db, "psql", "-X", "-q", "-U", "postgres", "-c",
             "CREATE DATABASE pgbench")
    c.docker("exec", db, "pgbench", "-U", "postgres", "-i", "-q", "-s",
             "10", "pgbench")
    tps = c.docker("exec", db, "pgbench", "-U", "postgres", "-S", "-M",
                   "prepared", "-n", "-c", "4", "-j", "2", "-T",
                   str(SECONDS), "pgbench")
    tps = round(float(re.search(r"tps = ([0-9.]+)", tps).group(1)))
    out("compose_pgbench_select_tps", tps, "tx/s")

    api = c.inspect(c.containers("api")[0])
    direct = "http://%s:8080" % \
        api["NetworkSettings"]["Networks"][c.project + "_app"]["IPAddress"]
    district = "/v1/districts/16067"
    offers = "/v1/offers?district_id=16067&limit=20"

    d_direct = rps(direct + district)
    d_proxy = rps(c.https + district)
    o_direct = rps(direct + offers, coordinator)
    o_proxy = rps(c.https + offers, coordinator)
    out("compose_district_get_direct", d_direct, "req/s")
    out("compose_district_get_proxy", d_proxy, "req/s")
    out("compose_district_get_proxy_vs_direct", ratio(d_proxy, d_direct),
        "ratio")
    out("compose_district_get_direct_vs_pgbench", ratio(d_direct, tps),
        "ratio")
    out("compose_offers_list_20_direct", o_direct, "req/s")
    out("compose_offers_list_20_proxy", o_proxy, "req/s")
    out("compose_offers_list_20_proxy_vs_direct", ratio(o_proxy, o_direct),
        "ratio")

    people = [row[0] for row in c.sql(
        "SELECT id FROM ch.participant WHERE district_id = '16051' "
        "AND status IN ('waiting', 'placed')")]
    jobs1 = jobs_per_second(c, assistant, people)
    out("compose_suggest_jobs_1_matcher", jobs1, "jobs/s")

    c.scale = {"api": 2, "matcher": 2}
    c.up()
    c.wait_healthy()
    time.sleep(3)   # the proxy's next look at the API's DNS name
    d_proxy2 = rps(c.https + district)
    o_proxy2 = rps(c.https + offers, coordinator)
    out("compose_district_get_proxy_2_api", d_proxy2, "req/s")
    out("compose_district_get_2_api_vs_1", ratio(d_proxy2, d_proxy),
        "ratio")
    out("compose_offers_list_20_proxy_2_api", o_proxy2, "req/s")
    out("compose_offers_list_20_2_api_vs_1", ratio(o_proxy2, o_proxy),
        "ratio")
    jobs2 = jobs_per_second(c, assistant, people)
    out("compose_suggest_jobs_2_matchers", jobs2, "jobs/s")
    out("compose_suggest_jobs_2_vs_1", ratio(jobs2, jobs1), "ratio")


if __name__ == "__main__":
    main()
