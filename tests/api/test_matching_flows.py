"""Matching end to end: jobs through the API, computed by the real
ch-matcher pool on the real database, proposals reviewed and answered
until they become placements and tandems."""

import json
import os
import subprocess
import threading

import pytest

from matching_util import (act, await_job, callers, job_proposals, offer_for,
                           person, run_job, submit, suggest)
from partners_util import (ERFURT, GOTHA, grant, hdr, new_participant,
                           place, place_of, read, unique, withdraw)
from women_util import active_mentor, merge_patch, new_mentee, problem

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PARTNERS_FEATURES = ["interest", "language", "distance", "availability",
                     "waiting_time"]
WOMEN_FEATURES = ["occupation", "goals", "language", "distance",
                  "availability", "waiting_time"]


@pytest.fixture(scope="module")
def who(api):
    return callers(api)


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


# ------------------------------------------------------------ review

def pending_for(api, who, pid, offer_id):
    _, props = suggest(api, who["assist"], pid)
    mine = [x for x in props if x["offer_id"] == offer_id]
    assert mine, "the offer was not proposed"
    return mine[0]


def test_review_workflow_creates_a_placement(api, who):
    p = person(api, who, "ps")
    f = offer_for(api, who, "ps", capacity=3)
    x = pending_for(api, who, p["id"], f["id"])
    # The organisation sees nothing before staff approved it.
    read(api, who["org"].token, "/v1/proposals/" + x["id"], expect=404)
    problem(act(api, who["org"], x["id"], "approve", expect=403), 403)
    problem(act(api, who["assist"], x["id"], "accept", expect=409), 409,
            "proposal-pending")
    x = act(api, who["assist"], x["id"], "approve",
            {"note": "passt gut"}).json()
    assert x["status"] == "approved" and x["review_note"] == "passt gut"
    seen = read(api, who["org"].token, "/v1/proposals/" + x["id"]).json()
    assert seen["review_note"] is None and seen["reviewed_by"] is None
    assert seen["participant"]["display_name"] == p["display_name"]
    # The participant's side, by the assistant on her behalf.
    x = act(api, who["assist"], x["id"], "accept").json()
    assert (x["subject_answer"], x["status"]) == ("accepted", "approved")
    problem(act(api, who["assist"], x["id"], "accept", expect=409), 409,
            "proposal-answered")
    x = act(api, who["org"], x["id"], "accept").json()
    assert x["status"] == "accepted" and x["placement_id"]
    pl = read(api, who["assist"].token,
              "/v1/placements/" + x["placement_id"]).json()
    assert (pl["participant_id"], pl["offer_id"], pl["status"]) == \
        (p["id"], f["id"], "active")
    # An accepted pair is not proposed again.
    _, again = suggest(api, who["assist"], p["id"])
    assert f["id"] not in [y["offer_id"] for y in again]


def test_declined_and_rejected_pairs_never_come_back(api, who):
    p = person(api, who, "om")
    f1 = offer_for(api, who, "om")
    f2 = offer_for(api, who, "om")
    x1 = pending_for(api, who, p["id"], f1["id"])
    x2 = [y for y in job_proposals(api, who["assist"], x1["job_id"])
          if y["offer_id"] == f2["id"]][0]
    act(api, who["assist"], x1["id"], "reject", {"reason": "schedule"})
    act(api, who["assist"], x2["id"], "approve")
    x2 = act(api, who["org"], x2["id"], "decline",
             {"reason": "no_capacity"}).json()
    assert (x2["status"], x2["candidate_answer"]) == ("declined", "declined")
    # Rejected proposals stay hidden from the organisation.
    read(api, who["org"].token, "/v1/proposals/" + x1["id"], expect=404)
    _, again = suggest(api, who["assist"], p["id"])
    offers = [y["offer_id"] for y in again]
    assert f1["id"] not in offers and f2["id"] not in offers


def test_concurrent_acceptances_hold_capacity(api, who, stack):
    f = offer_for(api, who, "ka", capacity=2)
    people = [person(api, who, "ka") for _ in range(3)]
    props = [pending_for(api, who, p["id"], f["id"]) for p in people]
    act(api, who["assist"], props[0]["id"], "approve")
    act(api, who["assist"], props[1]["id"], "approve")
    # Approval holds a place: the third finds none.
    problem(act(api, who["assist"], props[2]["id"], "approve", expect=409),
            409, "capacity-exhausted")
    for x in props[:2]:
        act(api, who["assist"], x["id"], "accept")
    # Meanwhile staff place someone by hand: one place is left for two.
    other = person(api, who, "ka")
    place(api, who["assist"].token, other["id"], f["id"])
    results = [None, None]

    def accept(i):
        r = api.request("POST", "/v1/proposals/%s/accept" % props[i]["id"],
                        headers=hdr(who["org"].token), json={})
        results[i] = r
    threads = [threading.Thread(target=accept, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409], [r.text for r in results]
    loser = [r for r in results if r.status_code == 409][0]
    problem(loser, 409, "capacity-exhausted")
    active = stack.sql("SELECT count(*) FROM ch.placement WHERE offer_id = %s"
                       " AND status = 'active'", (f["id"],))[0][0]
    assert active == 2


def test_review_workflow_creates_a_tandem(api, who):
    acct, m = active_mentor(api, who["admin"], who["coord"], ERFURT,
                            occupational_field="93112", capacity=1,
                            languages=[{"code": "de", "level": "native"},
                                       {"code": "ti", "level": "c1"}])
    mentee = new_mentee(api, who["assist"].token,
                        languages=[{"code": "ti", "level": "native"}],
                        home_place_id=place_of(api, "99084")["id"])
    _, props = suggest(api, who["assist"], mentee["id"], programme="women")
    mine = [x for x in props if x["mentor_id"] == m["id"]]
    assert mine, props
    x = mine[0]
    check_explained(x, WOMEN_FEATURES)
    act(api, who["assist"], x["id"], "approve")
    x = act(api, acct, x["id"], "accept").json()
    assert (x["candidate_answer"], x["status"]) == ("accepted", "approved")
    x = act(api, who["assist"], x["id"], "accept").json()
    assert x["status"] == "accepted" and x["tandem_id"]
    t = read(api, acct.token, "/v1/tandems/" + x["tandem_id"]).json()
    assert (t["mentor_id"], t["participant_id"], t["status"]) == \
        (m["id"], mentee["id"], "active")


# ------------------------------------------------------------ invalidation

def test_consent_withdrawal_invalidates_and_takes_effect(api, who):
    p = person(api, who, "ln")
    f = offer_for(api, who, "ln")
    x = pending_for(api, who, p["id"], f["id"])
    withdraw(api, who["assist"].token, p["id"], "matching")
    x = read(api, who["assist"].token, "/v1/proposals/" + x["id"]).json()
    assert (x["status"], x["invalidated_reason"]) == \
        ("invalidated", "consent_withdrawn")
    job, props = suggest(api, who["assist"], p["id"])
    assert props == [] and job["proposals"] == 0


def test_acceptance_checks_the_person_again(api, who, stack):
    """A proposal a job stored just before her consent was withdrawn
    (the trigger could not see it yet) never becomes a placement."""
    p = person(api, who, "ig")
    f = offer_for(api, who, "ig")
    x = pending_for(api, who, p["id"], f["id"])
    act(api, who["assist"], x["id"], "approve")
    act(api, who["assist"], x["id"], "accept")
    withdraw(api, who["assist"].token, p["id"], "matching")
    stack.sql("UPDATE ch.proposal SET status = 'approved',"
              " invalidated_reason = NULL WHERE id = %s", (x["id"],))
    problem(act(api, who["org"], x["id"], "accept", expect=409), 409,
            "proposal-impossible")
    assert stack.sql("SELECT count(*) FROM ch.placement WHERE offer_id = %s",
                     (f["id"],))[0][0] == 0


def test_closed_offer_invalidates(api, who):
    p = person(api, who, "wo")
    f = offer_for(api, who, "wo")
    x = pending_for(api, who, p["id"], f["id"])
    act(api, who["assist"], x["id"], "approve")
    merge_patch(api, who["org"].token, "/v1/offers/" + f["id"],
                {"status": "closed"})
    x = read(api, who["assist"].token, "/v1/proposals/" + x["id"]).json()
    assert (x["status"], x["invalidated_reason"]) == \
        ("invalidated", "offer_not_open")
    problem(act(api, who["assist"], x["id"], "accept", expect=409), 409,
            "proposal-invalidated")


def test_paused_mentor_invalidates(api, who):
    acct, m = active_mentor(api, who["admin"], who["coord"], ERFURT,
                            occupational_field="93113",
                            languages=[{"code": "de", "level": "native"},
                                       {"code": "wo", "level": "b2"}])
    mentee = new_mentee(api, who["assist"].token,
                        languages=[{"code": "wo", "level": "native"}],
                        home_place_id=place_of(api, "99084")["id"])
    _, props = suggest(api, who["assist"], mentee["id"], programme="women")
    x = [y for y in props if y["mentor_id"] == m["id"]][0]
    merge_patch(api, acct.token, "/v1/mentors/" + m["id"],
                {"status": "paused"})
    x = read(api, who["assist"].token, "/v1/proposals/" + x["id"]).json()
    assert (x["status"], x["invalidated_reason"]) == \
        ("invalidated", "mentor_not_active")
    _, again = suggest(api, who["assist"], mentee["id"], programme="women")
    assert m["id"] not in [y["mentor_id"] for y in again]


def test_expired_proposals(api, who, stack):
    p = person(api, who, "ha")
    f = offer_for(api, who, "ha")
    x = pending_for(api, who, p["id"], f["id"])
    stack.sql("UPDATE ch.proposal SET expires_at = now() - interval '1 s'"
              " WHERE id = %s", (x["id"],))
    assert read(api, who["assist"].token, "/v1/proposals/"
                + x["id"]).json()["status"] == "expired"
    problem(act(api, who["assist"], x["id"], "approve", expect=409), 409,
            "proposal-expired")
    assert stack.sql("SELECT ch.proposals_expire()")[0][0] >= 1
    assert stack.sql("SELECT status FROM ch.proposal WHERE id = %s",
                     (x["id"],))[0][0] == "expired"
    # An expired pair may be proposed again.
    _, again = suggest(api, who["assist"], p["id"])
    assert f["id"] in [y["offer_id"] for y in again]


# ------------------------------------------------------------ settings

def test_settings(api, who, stack):
    path = "/v1/matching/settings/%s/partners" % GOTHA
    s = read(api, who["gotha_assist"].token, path)
    assert s.json()["weights"] == {"interest": 30, "language": 20,
                                   "distance": 20, "availability": 20,
                                   "waiting_time": 10}
    read(api, who["coord"].token, path, expect=404)
    # 50.0 is an integer in JSON: it is stored (and scored) as 50.
    body = {"weights": {"interest": 50.0, "language": 20, "distance": 10,
                        "availability": 10, "waiting_time": 10},
            "min_score": 10, "proposal_ttl_hours": 48}
    r = api.request("PUT", path, headers=hdr(who["gotha_assist"].token),
                    json=body)
    problem(r, 403)
    r = api.request("PUT", path, headers=hdr(who["coord"].token), json=body)
    problem(r, 404)
    bad = dict(body, weights=dict(body["weights"], interest=40))
    r = api.request("PUT", path, headers=hdr(who["gotha_coord"].token),
                    json=bad)
    assert ("/weights", "sum") in {(e["field"], e["code"])
                                   for e in problem(r, 422)["errors"]}
    bad = dict(body, weights=dict(body["weights"], goals=0))
    r = api.request("PUT", path, headers=hdr(who["gotha_coord"].token),
                    json=bad)
    assert ("/weights/goals", "unknown") in {
        (e["field"], e["code"]) for e in problem(r, 422)["errors"]}
    r = api.request("PUT", path, headers=hdr(who["gotha_coord"].token,
                                             If_Match='"999"'), json=body)
    problem(r, 412)
    r = api.request("PUT", path, headers=hdr(who["gotha_coord"].token,
                                             If_Match=s.headers["ETag"]),
                    json=body)
    assert r.status_code == 200, r.text
    assert r.json()["weights"] == body["weights"]
    assert '"interest": 50,' in r.text
    assert r.json()["version"] == s.json()["version"] + 1
    assert stack.sql("SELECT count(*) FROM ch.audit_log WHERE action ="
                     " 'matching_settings.updated' AND district_id = %s",
                     (GOTHA,))[0][0] >= 1
    # The next job of the district scores with the new weights.
    gp = new_participant(api, who["gotha_assist"].token,
                         home_place_id=place_of(api, "99867")["id"])
    grant(api, who["gotha_assist"].token, gp["id"], "matching")
    _, props = suggest(api, who["gotha_assist"], gp["id"])
    assert props
    for x in props:
        weights = {f["feature"]: f["weight"]
                   for f in x["explanation"]["features"]}
        assert weights == body["weights"]
        assert x["score"] >= 10
