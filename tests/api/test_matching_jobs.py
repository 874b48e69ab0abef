"""Matching jobs (/v1/matching/jobs) end to end, computed by the real
ch-matcher pool on the real database: suggest jobs with explained
proposals, idempotent and cancellable; who may submit and read which
job; a batch job equal to the engine's own optimum; a stable job for
Connecting Women."""

import json
import os
import subprocess

import pytest

from matching_util import (PARTNERS_FEATURES, WOMEN_FEATURES, await_job,
                           callers, check_explained, job_proposals,
                           offer_for, person, run_job, submit, suggest)
from partners_util import ERFURT, hdr, read, unique
from women_util import problem

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.fixture(scope="module")
def who(api):
    return callers(api)


# ------------------------------------------------------------ suggest

def test_suggest_returns_explained_proposals(api, who):
    p = person(api, who, "ti")
    mine = offer_for(api, who, "ti")
    job, props = suggest(api, who["assist"], p["id"])
    assert job["kind"] == "suggest" and job["participant_id"] == p["id"]
    assert job["statistics"]["candidates"] >= 1
    assert job["proposals"] == len(props) >= 1
    assert job["timings"]["total_ms"] >= job["timings"]["run_ms"] >= 0
    assert mine["id"] in [x["offer_id"] for x in props]
    assert [x["rank"] for x in props] == sorted(x["rank"] for x in props)
    scores = [x["score"] for x in props]
    assert scores == sorted(scores, reverse=True)
    for x in props:
        assert x["status"] == "pending" and x["participant_id"] == p["id"]
        check_explained(x, PARTNERS_FEATURES)
        # A shared language is a hard constraint: she speaks only ti.
        offer = read(api, who["assist"].token,
                     "/v1/offers/" + x["offer_id"]).json()
        assert "ti" in offer["languages"], offer
        assert offer["status"] == "open"
    # The same proposals through the proposal routes.
    one = read(api, who["assist"].token, "/v1/proposals/" + props[0]["id"])
    assert one.json()["id"] == props[0]["id"]
    assert one.headers["ETag"] == '"%d"' % one.json()["version"]


def test_suggest_is_idempotent_and_cancellable(api, who, stack):
    p = person(api, who, "so")
    key = unique("k")
    body = {"kind": "suggest", "programme": "partners",
            "participant_id": p["id"]}
    a = submit(api, who["assist"], body, Idempotency_Key=key)
    b = submit(api, who["assist"], body, Idempotency_Key=key)
    assert b.headers.get("Idempotent-Replayed") == "true"
    assert a.json()["id"] == b.json()["id"]
    # A queued job can be cancelled; a finished one cannot.
    stack.stack("matcher-stop")
    try:
        q = submit(api, who["assist"], body).json()
        r = api.request("DELETE", "/v1/matching/jobs/" + q["id"],
                        headers=hdr(who["assist"].token))
        assert r.status_code == 204, r.text
        assert read(api, who["assist"].token, "/v1/matching/jobs/"
                    + q["id"]).json()["status"] == "cancelled"
    finally:
        stack.stack("matcher-start")
    done = await_job(api, who["assist"], a.json()["id"])
    assert done["status"] == "succeeded"
    r = api.request("DELETE", "/v1/matching/jobs/" + done["id"],
                    headers=hdr(who["assist"].token))
    problem(r, 409, "job-not-queued")


def test_job_rights(api, who):
    p = person(api, who, "am")
    body = {"kind": "suggest", "programme": "partners",
            "participant_id": p["id"]}
    # Another district's staff: no such participant for them.
    r = submit(api, who["gotha_assist"], body, expect=422)
    assert r.json()["errors"][0]["field"] == "/participant_id"
    submit(api, who["admin"], body, expect=403)
    submit(api, who["org"], body, expect=403)
    batch = {"kind": "batch", "programme": "partners",
             "district_ids": [ERFURT]}
    submit(api, who["assist"], batch, expect=403)
    submit(api, who["gotha_coord"], batch, expect=403)
    r = submit(api, who["coord"], {**batch, "kind": "stable"}, expect=422)
    assert r.json()["errors"][0]["field"] == "/programme"
    submit(api, who["coord"], {**body, "k": 21}, expect=422)
    submit(api, who["coord"], {**batch, "participant_id": p["id"]},
           expect=422)
    # Jobs of another district are not there for Gotha.
    job = submit(api, who["assist"], body).json()
    read(api, who["gotha_assist"].token, "/v1/matching/jobs/" + job["id"],
         expect=404)
    read(api, who["gotha_coord"].token,
         "/v1/matching/jobs/%s/proposals" % job["id"], expect=404)


# ------------------------------------------------------------ batch

def engine_solve(doc):
    """The engine's own answer for a job input (ch-matcher --solve)."""
    binary = os.environ.get("CH_MATCHER_BIN",
                            os.path.join(TOP, "build", "ch-matcher"))
    out = subprocess.run([binary, "--solve"], input=doc, text=True,
                         capture_output=True, check=True)
    return json.loads(out.stdout)


def test_batch_is_optimal_and_respects_capacity(api, who, stack):
    # The input is read while no worker runs, so the engine below sees
    # exactly what the pool will see.
    stack.stack("matcher-stop")
    try:
        job = submit(api, who["coord"], {"kind": "batch",
                                         "programme": "partners",
                                         "district_ids": [ERFURT],
                                         "min_score": 30}).json()
        doc = stack.sql("SELECT ch.job_input(%s)", (job["id"],))[0][0]
    finally:
        stack.stack("matcher-start")
    job = await_job(api, who["coord"], job["id"])
    assert job["status"] == "succeeded", job
    props = job_proposals(api, who["coord"], job["id"])
    expected = engine_solve(doc)
    want = {(x["subject"], x["candidate"]): x["score"]
            for x in expected["proposals"]}
    got = {(x["participant_id"], x["offer_id"]): round(x["score"] * 100)
           for x in props}
    assert got == want
    assert job["statistics"]["total_score"] == sum(want.values())
    assert job["proposals"] == len(props) > 0
    # At most one per person, never more than an offer's free places,
    # never below the minimum score.
    people = [x["participant_id"] for x in props]
    assert len(people) == len(set(people))
    free = {c["id"]: c["capacity"] for c in json.loads(doc)["candidates"]}
    for oid in {x["offer_id"] for x in props}:
        assert sum(x["offer_id"] == oid for x in props) <= free[oid]
    assert min(x["score"] for x in props) >= 30


def test_stable_for_women(api, who):
    job, props = run_job(api, who["coord"], {"kind": "stable",
                                             "programme": "women",
                                             "district_ids": [ERFURT]})
    mentees = [x["participant_id"] for x in props]
    assert len(mentees) == len(set(mentees))
    for x in props:
        assert x["programme"] == "women" and x["mentor_id"]
        check_explained(x, WOMEN_FEATURES)
    assert job["proposals"] == len(props)
