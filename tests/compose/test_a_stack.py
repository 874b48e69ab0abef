"""The stack as it comes up from nothing: hardened containers, secrets kept
out of the environment, the database out of reach, TLS with HTTP
redirected, /metrics refused from outside, JSON logs without personal data
or tokens, and a subset of the HTTP suite run through the proxy."""

import json
import os
import time

import pytest

from matching_util import callers
# The review workflow to a placement and to a tandem, matching jobs
# answered by the pool, sign-in and the caller's own account: tests of the
# HTTP suite, run here against the proxy instead of a local Kore.
from test_matching_jobs import (test_job_rights,  # noqa: F401
                                test_stable_for_women,
                                test_suggest_returns_explained_proposals)
from test_proposals import (test_closed_offer_invalidates,  # noqa: F401
                            test_consent_withdrawal_invalidates_and_takes_effect,
                            test_declined_and_rejected_pairs_never_come_back,
                            test_review_workflow_creates_a_placement,
                            test_review_workflow_creates_a_tandem)
from partners_util import hdr, new_participant, place_of

SERVICES = {"db", "api", "matcher", "proxy", "backup"}


@pytest.fixture(scope="module")
def who(api):
    return callers(api)


def secret_values(compose):
    import glob
    import os
    values = []
    for path in glob.glob(os.path.join(compose.env["CH_SECRETS_DIR"], "*")):
        with open(path) as f:
            values.append(f.read().strip())
    assert len(values) == 8
    return values


def test_every_service_runs_and_is_healthy(compose):
    running = {compose.inspect(c)["Config"]["Labels"]
               ["com.docker.compose.service"] for c in compose.containers()}
    assert running == SERVICES
    assert len(compose.containers("api")) == 2
    assert len(compose.containers("matcher")) == 2
    for cid in compose.containers():
        assert compose.health(cid) == "healthy", cid
    # migrate ran once and succeeded.
    done = compose.containers("migrate", all=True)
    assert len(done) == 1
    state = compose.inspect(done[0])["State"]
    assert state["Status"] == "exited" and state["ExitCode"] == 0


def test_containers_are_hardened(compose):
    for cid in compose.containers(all=True):
        info = compose.inspect(cid)
        name = info["Name"]
        user = info["Config"]["User"]
        assert user and user.split(":")[0] not in ("0", "root"), name
        host = info["HostConfig"]
        assert host["ReadonlyRootfs"] is True, name
        assert host["CapDrop"] == ["ALL"], name
        assert "no-new-privileges:true" in host["SecurityOpt"], name
        assert host["Privileged"] is False, name
        assert host["LogConfig"]["Type"] == "json-file", name
        assert host["LogConfig"]["Config"].get("max-size"), name
        assert host["RestartPolicy"]["Name"] in ("unless-stopped", "no")
    # And the processes really run as those users.
    for service in ("api", "matcher", "db", "proxy", "backup"):
        cid = compose.containers(service)[0]
        uid = compose.docker("exec", cid, "id", "-u").strip()
        assert uid != "0", service
        mounts = compose.docker("exec", cid, "cat", "/proc/mounts")
        root = [line.split() for line in mounts.splitlines()
                if line.split()[1] == "/"]
        assert root and root[-1][3].split(",")[0] == "ro", (service, root)


def test_secrets_are_not_in_the_environment(compose):
    values = secret_values(compose)
    for cid in compose.containers(all=True):
        env = compose.inspect(cid)["Config"]["Env"] or []
        text = "\n".join(env)
        for v in values:
            assert v not in text, compose.inspect(cid)["Name"]
        for line in env:
            key = line.split("=", 1)[0]
            if any(w in key for w in ("PASSWORD", "SECRET", "TOKEN")):
                assert key.endswith("_FILE"), line


def test_database_is_not_reachable_from_the_host(compose):
    db = compose.inspect(compose.containers("db")[0])
    assert not any(db["NetworkSettings"]["Ports"].values())
    networks = db["NetworkSettings"]["Networks"]
    assert list(networks) == [compose.project + "_data"]
    net = json.loads(compose.docker("network", "inspect",
                                    compose.project + "_data"))[0]
    assert net["Internal"] is True
    # The host sits on the network's gateway: even with the right
    # password, the database refuses it.
    import psycopg2
    with open(os.path.join(compose.env["CH_SECRETS_DIR"],
                           "db_app_password")) as f:
        password = f.read().strip()
    for n in networks.values():
        with pytest.raises(psycopg2.OperationalError) as refused:
            psycopg2.connect(host=n["IPAddress"], port=5432, dbname="ch",
                             user="ch_app", password=password,
                             connect_timeout=5)
        assert "rejects connection" in str(refused.value) or \
            "no pg_hba.conf entry" in str(refused.value), refused.value
    # Only the proxy publishes ports.
    for cid in compose.containers():
        info = compose.inspect(cid)
        service = info["Config"]["Labels"]["com.docker.compose.service"]
        published = [p for p in info["NetworkSettings"]["Ports"].values()
                     if p]
        assert bool(published) == (service == "proxy"), service


def test_http_redirects_to_https(compose):
    import requests
    r = requests.get(compose.http + "/v1/districts", allow_redirects=False,
                     timeout=10)
    assert r.status_code in (301, 308)
    assert r.headers["Location"].startswith("https://localhost")


def test_tls_is_verified_and_headers_are_set(https, compose):
    import requests
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(compose.https + "/healthz", timeout=10)
    r = https.get(compose.https + "/v1/districts", timeout=10)
    assert r.status_code == 200
    assert len(r.json()["items"]) == 6
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "Server" not in r.headers or "Caddy" not in r.headers["Server"]
    assert r.headers.get("X-Request-Id")


def test_request_size_is_limited_at_the_edge(https, compose, who, spec):
    def post(size):
        body = b'{"x":"' + b"a" * (size - 8) + b'"}'
        assert len(body) == size
        return https.post(compose.https + "/v1/participants", data=body,
                          headers=hdr(who["assist"].token, **{
                              "Content-Type": "application/json"}),
                          timeout=10)
    # One byte over 64 KiB: the proxy answers, with a problem document.
    r = post(65537)
    assert r.status_code == 413
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.json()["type"] == "urn:ch:problem:payload-too-large"
    # Not an answer of the operation (the contract's general limits
    # describe it), but a problem document of the contract's kind.
    spec.check_schema(r.json(), {"$ref": "#/components/schemas/Problem"})
    # 64 KiB exactly reaches the API, which judges the body itself.
    r = post(65536)
    assert r.status_code == 422, r.text


def test_metrics_are_refused_from_outside(https, compose):
    r = https.get(compose.https + "/metrics", timeout=10)
    assert r.status_code == 404
    assert "ch_http_requests_total" not in r.text
    def status(service, *headers):
        args = []
        for h in headers:
            args += ["-H", h]
        return compose.docker(
            "exec", compose.containers(service)[0], "curl", "-sS", "-o",
            "/dev/null", "-w", "%{http_code}", *args,
            "http://api:8080/metrics")

    # Reachable on the internal network, where a scraper runs: here from
    # a pool container, which has curl.
    assert status("matcher") == "200"
    # The proxy's own address is not the internal network (what it
    # forwards comes from outside): the API refuses it without the token.
    assert status("proxy") == "403"
    assert status("proxy", "Authorization: Bearer wrong") == "403"
    token = open(os.path.join(compose.env["CH_SECRETS_DIR"],
                              "metrics_token")).read().strip()
    assert status("proxy", "Authorization: Bearer " + token) == "200"


def test_a_participant_is_registered_through_the_proxy(api, who):
    p = new_participant(api, who["assist"].token,
                        home_place_id=place_of(api, "99084")["id"])
    r = api.get("/v1/participants/" + p["id"],
                headers=hdr(who["assist"].token))
    assert r.status_code == 200 and r.json()["id"] == p["id"]


def test_logs_are_json_without_tokens_or_personal_data(compose, who, api):
    # A person's id in a path and a name in a query string: the API logs
    # the route, the proxy drops ids and queries from the URI it logs.
    p = new_participant(api, who["assist"].token)
    r = api.get("/v1/participants/%s/export?limit=5" % p["id"],
                headers=hdr(who["assist"].token))
    assert r.status_code == 200
    r = api.get("/v1/participants?q=" + p["display_name"],
                headers=hdr(who["assist"].token), validate=False)
    assert r.status_code in (200, 400)
    for _ in range(50):
        out = compose.run("logs", "--no-color", "--no-log-prefix").stdout
        if "/v1/participants//export?" in out:
            break
        time.sleep(0.1)
    assert "/v1/participants//export?" in out
    assert p["id"] not in out and p["display_name"] not in out
    # docker-compose's own first line is not a service's.
    lines = [l for l in out.splitlines()
             if l.strip() and not l.startswith("Attaching to ")]
    assert len(lines) > 50
    bad = []
    for line in lines:
        try:
            assert isinstance(json.loads(line), dict)
        except (ValueError, AssertionError):
            bad.append(line)
    assert not bad, bad[:10]
    for caller in who.values():
        assert caller.token not in out
    assert "@demo.example" not in out
    assert "connecting-humans-demo" not in out
    for v in secret_values(compose):
        assert v not in out
