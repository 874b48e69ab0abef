"""Shared helpers of the matching tests: jobs submitted and awaited
through the API the way a client would, and proposals read back."""

import time

import pytest

from partners_util import (DEMO_ORG, GOTHA, Caller, grant, hdr, new_offer,
                           new_participant, place_of, unique)

__all__ = ["submit", "await_job", "run_job", "job_proposals", "act",
           "suggest", "callers", "person", "offer_for", "check_explained",
           "PARTNERS_FEATURES", "WOMEN_FEATURES"]

PARTNERS_FEATURES = ["interest", "language", "distance", "availability",
                     "waiting_time"]
WOMEN_FEATURES = ["occupation", "goals", "language", "distance",
                  "availability", "waiting_time"]


def callers(api):
    """The demo accounts the matching tests act as."""
    return {
        "admin": Caller.demo(api, "state_admin"),
        "coord": Caller.demo(api, "coordinator"),
        "assist": Caller.demo(api, "assistant"),
        "org": Caller.demo(api, "organization"),
        "gotha_coord": Caller.demo(api, "coordinator", GOTHA),
        "gotha_assist": Caller.demo(api, "assistant", GOTHA),
    }


def person(api, who, language, **fields):
    """An Erfurt participant who speaks only this language, lives at the
    seat and consented to matching."""
    p = new_participant(api, who["assist"].token,
                        languages=[{"code": language, "level": "native"}],
                        interests=["interreligious"],
                        home_place_id=place_of(api, "99084")["id"],
                        mobility_radius_km=20, **fields)
    grant(api, who["assist"].token, p["id"], "matching")
    return p


def offer_for(api, who, language, **fields):
    """An open offer of the demo organisation at the Erfurt seat."""
    return new_offer(api, who["org"].token, org=DEMO_ORG,
                     category="interreligious", languages=[language],
                     **fields)


def check_explained(p, features):
    x = p["explanation"]
    assert [f["feature"] for f in x["features"]] == features
    assert sum(f["weight"] for f in x["features"]) == 100
    for f in x["features"]:
        assert 0 <= f["value"] <= 1
        assert f["points"] == pytest.approx(f["weight"] * f["value"],
                                            abs=0.01)
        assert f["reason"]
    assert x["score"] == pytest.approx(
        sum(f["points"] for f in x["features"]), abs=0.001)
    assert p["score"] == pytest.approx(x["score"], abs=0.001)


def submit(api, caller, body, expect=202, **headers):
    r = api.request("POST", "/v1/matching/jobs",
                    headers=hdr(caller.token, **headers), json=body)
    assert r.status_code == expect, (r.status_code, r.text)
    if expect == 202:
        job = r.json()
        assert r.headers["Location"] == "/v1/matching/jobs/" + job["id"]
        assert job["status"] in ("queued", "running", "succeeded")
    return r


def await_job(api, caller, job_id, rounds=12):
    """The job once it finished, waiting with Prefer: wait (bounded)."""
    for _ in range(rounds):
        r = api.get("/v1/matching/jobs/" + job_id,
                    headers=hdr(caller.token, Prefer="wait=10"))
        assert r.status_code == 200, r.text
        job = r.json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
    raise AssertionError("job %s did not finish: %s" % (job_id, job))


def job_proposals(api, caller, job_id):
    items, cursor = [], None
    while True:
        params = {"limit": 50}
        if cursor:
            params["cursor"] = cursor
        r = api.get("/v1/matching/jobs/%s/proposals" % job_id,
                    headers=hdr(caller.token), params=params)
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return items


def run_job(api, caller, body):
    """Submits, awaits success and returns (job, proposals)."""
    job = submit(api, caller, body).json()
    job = await_job(api, caller, job["id"])
    assert job["status"] == "succeeded", job
    return job, job_proposals(api, caller, job["id"])


def suggest(api, caller, pid, programme="partners", k=20, **fields):
    return run_job(api, caller, {"kind": "suggest", "programme": programme,
                                 "participant_id": pid, "k": k, **fields})


def act(api, caller, proposal_id, action, body=None, expect=200, **headers):
    r = api.request("POST", "/v1/proposals/%s/%s" % (proposal_id, action),
                    headers=hdr(caller.token, **headers),
                    json=body if body is not None else {})
    assert r.status_code == expect, (action, r.status_code, r.text)
    return r


def unique_key():
    return unique("key")


def wait_for(predicate, seconds=20):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False
