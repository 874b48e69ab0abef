"""Matching routes under hostile input: every request below must get a
4xx problem answer and leave the matching tables exactly as they were;
and row-level security on proposals, checked as the API's own role."""

import json

import psycopg2
import psycopg2.extras
import pytest

from matching_util import act, suggest, wait_for
from partners_util import (DEMO_ORG, ERFURT, GOTHA, Caller, grant, hdr,
                           new_offer, new_participant, place_of)

TABLES = ("ch.matching_job", "ch.matching_run", "ch.proposal",
          "ch.matching_settings", "ch.idempotency", "ch.placement",
          "ch.tandem")


def fingerprint(stack):
    return [stack.sql("SELECT count(*), md5(coalesce(string_agg(t::text, '|'"
                      " ORDER BY t::text), '')) FROM %s t" % table)[0]
            for table in TABLES]


def idle(stack):
    return stack.sql("SELECT count(*) FROM ch.matching_job WHERE status IN"
                     " ('queued', 'running')")[0][0] == 0


@pytest.fixture(scope="module")
def world(api, stack):
    w = {"assist": Caller.demo(api, "assistant"),
         "coord": Caller.demo(api, "coordinator"),
         "org": Caller.demo(api, "organization"),
         "gotha": Caller.demo(api, "assistant", GOTHA),
         "self": Caller.demo(api, "participant")}
    p = new_participant(api, w["assist"].token,
                        languages=[{"code": "sq", "level": "native"}],
                        interests=["sport"],
                        home_place_id=place_of(api, "99084")["id"])
    grant(api, w["assist"].token, p["id"], "matching")
    new_offer(api, w["org"].token, org=DEMO_ORG, languages=["sq"])
    _, props = suggest(api, w["assist"], p["id"])
    w["pid"], w["proposal"] = p["id"], props[0]["id"]
    w["job"] = props[0]["job_id"]
    assert wait_for(lambda: idle(stack))
    return w


def cases(w):
    job = "/v1/matching/jobs"
    sugg = {"kind": "suggest", "programme": "partners",
            "participant_id": w["pid"]}
    pr = "/v1/proposals/" + w["proposal"]
    return [
        ("assist", "POST", job, {**sugg, "kind": "match"}, 422),
        ("assist", "POST", job, {**sugg, "programme": "men"}, 422),
        ("assist", "POST", job, {**sugg, "participant_id": "nope"}, 422),
        ("assist", "POST", job, {**sugg, "k": 0}, 422),
        ("assist", "POST", job, {**sugg, "k": 2.5}, 422),
        ("assist", "POST", job, {**sugg, "min_score": 101}, 422),
        ("assist", "POST", job, {**sugg, "priority": 1}, 422),
        ("assist", "POST", job, {**sugg, "district_ids": [ERFURT]}, 422),
        ("assist", "POST", job, {"kind": "suggest", "programme": "partners"},
         422),
        ("assist", "POST", job, {**sugg, "participant_id":
                                 "c0000000-0000-4000-8000-00000000ffff"}, 422),
        ("gotha", "POST", job, sugg, 422),
        ("coord", "POST", job, {"kind": "batch", "programme": "partners",
                                "district_ids": ["99999"]}, 422),
        ("coord", "POST", job, {"kind": "batch", "programme": "partners",
                                "district_ids": []}, 422),
        ("coord", "POST", job, {"kind": "batch", "programme": "partners",
                                "district_ids": [ERFURT, ERFURT]}, 422),
        ("coord", "POST", job, {"kind": "batch", "programme": "partners",
                                "district_ids": [ERFURT, GOTHA]}, 403),
        ("coord", "POST", job, {"kind": "batch", "programme": "partners",
                                "district_ids": "16051"}, 422),
        ("self", "POST", job, sugg, 403),
        ("org", "POST", job, sugg, 403),
        ("assist", "POST", job, "[]", 400),
        ("assist", "POST", job, '{"kind": "suggest",', 400),
        ("assist", "POST", job, json.dumps(sugg)[:-1] + ', "k": 1, "k": 2}',
         422),
        ("assist", "GET", job + "/not-a-uuid", None, 400),
        ("assist", "GET", job + "/" + w["job"] + "?verbose=1", None, 400),
        ("gotha", "GET", job + "/" + w["job"], None, 404),
        ("gotha", "DELETE", job + "/" + w["job"], None, 404),
        ("assist", "DELETE", job + "/" + w["job"], None, 409),
        ("assist", "GET", job + "/" + w["job"] + "/proposals?cursor=abc",
         None, 400),
        ("assist", "GET", job + "/" + w["job"] + "/proposals?status=odd",
         None, 400),
        ("self", "GET", job + "/" + w["job"], None, 403),
        ("assist", "GET", "/v1/matching/settings/16051/other", None, 400),
        ("assist", "GET", "/v1/matching/settings/1605/partners", None, 400),
        ("coord", "PUT", "/v1/matching/settings/16051/partners",
         {"weights": {"interest": 100}, "min_score": 0,
          "proposal_ttl_hours": 1}, 422),
        ("coord", "PUT", "/v1/matching/settings/16051/partners",
         {"weights": {"interest": 30, "language": 20, "distance": 20,
                      "availability": 20, "waiting_time": 10},
          "min_score": 0}, 422),
        ("coord", "PUT", "/v1/matching/settings/16051/partners",
         {"weights": {"interest": -30, "language": 20, "distance": 20,
                      "availability": 80, "waiting_time": 10},
          "min_score": 0, "proposal_ttl_hours": 1}, 422),
        ("coord", "PUT", "/v1/matching/settings/16051/women",
         {"weights": {"interest": 30, "language": 20, "distance": 20,
                      "availability": 20, "waiting_time": 10},
          "min_score": 0, "proposal_ttl_hours": 1}, 422),
        ("assist", "PUT", "/v1/matching/settings/16051/partners",
         {"weights": {}, "min_score": 0, "proposal_ttl_hours": 1}, 403),
        ("assist", "POST", pr + "/accept", {}, 409),
        ("assist", "POST", pr + "/accept", {"side": "candidate"}, 422),
        ("assist", "POST", pr + "/reject", {}, 422),
        ("assist", "POST", pr + "/reject", {"reason": "dislike"}, 422),
        ("assist", "POST", pr + "/decline", {"reason": "no_capacity"}, 409),
        ("assist", "POST", pr + "/approve", {"note": "x" * 501}, 422),
        ("org", "POST", pr + "/approve", {}, 403),
        ("org", "POST", pr + "/accept", {}, 404),
        ("gotha", "POST", pr + "/approve", {}, 404),
        ("self", "GET", pr, None, 404),
        ("org", "GET", pr, None, 404),
        ("assist", "GET", "/v1/proposals?job_id=zzz", None, 400),
        ("assist", "GET", "/v1/proposals?limit=0", None, 400),
        ("assist", "POST", "/v1/proposals/" + w["proposal"] + "/undo", {},
         404),
    ]


def test_hostile_requests_change_nothing(api, stack, world):
    before = fingerprint(stack)
    for who, method, path, body, status in cases(world):
        h = hdr(world[who].token)
        if body is None:
            r = api.request(method, path, headers=h)
        elif isinstance(body, str):
            h["Content-Type"] = "application/json"
            r = api.request(method, path, headers=h, data=body.encode())
        else:
            r = api.request(method, path, headers=h, json=body)
        assert r.status_code == status, (who, method, path, body,
                                         r.status_code, r.text)
        assert r.headers["Content-Type"] == "application/problem+json"
    assert wait_for(lambda: idle(stack))
    assert fingerprint(stack) == before


# ------------------------------------------------------------ RLS

@pytest.fixture(scope="module")
def app(stack):
    conn = psycopg2.connect(stack.url(owner=False))
    yield conn
    conn.rollback()
    conn.close()


def count_as(conn, who, where="true"):
    conn.rollback()
    cur = conn.cursor()
    if who is not None:
        cur.execute("SELECT ch.enter(%s::jsonb)",
                    (psycopg2.extras.Json(who),))
    cur.execute("SELECT count(*) FROM ch.proposal WHERE " + where)
    return cur.fetchone()[0]


def test_proposals_behind_row_level_security(api, stack, app, world):
    total = stack.sql("SELECT count(*) FROM ch.proposal")[0][0]
    assert total > 0
    assert count_as(app, None) == 0
    erfurt = stack.sql("SELECT count(*) FROM ch.proposal WHERE district_id"
                       " = %s", (ERFURT,))[0][0]
    assert count_as(app, {"role": "assistant", "district": ERFURT}) == erfurt
    assert count_as(app, {"role": "coordinator", "district": GOTHA},
                    "district_id = '%s'" % ERFURT) == 0
    # The organisation sees its proposals only once staff approved them.
    org = {"role": "organization", "organization": DEMO_ORG}
    pending = count_as(app, org, "id = '%s'" % world["proposal"])
    assert pending == 0
    act(api, world["assist"], world["proposal"], "approve")
    assert count_as(app, org, "id = '%s'" % world["proposal"]) == 1
    assert count_as(app, {"role": "state_admin"}) == 0
    assert count_as(app, {"role": "mentor", "user":
                          "a0000000-0000-4000-8000-000000000099"}) == 0


def test_only_the_pool_reads_past_row_level_security(stack, world):
    """The job functions read people of every district: the API's role
    may not call them, the pool's role may; internal writers neither."""
    calls = ["SELECT ch.job_input(%s)", "SELECT ch.proposals_expire()",
             "SELECT * FROM ch.job_claim('x', 5)",
             "SELECT ch.proposals_invalidate('consent_withdrawn', %s,"
             " NULL, NULL)"]
    app = psycopg2.connect(stack.url(owner=False))
    try:
        for sql in calls:
            with app.cursor() as cur:
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(sql, (world["job"],) if "%s" in sql
                                else None)
            app.rollback()
    finally:
        app.close()
    pool = psycopg2.connect(stack.matcher_url())
    try:
        with pool.cursor() as cur:
            cur.execute("SELECT ch.job_input(%s)", (world["job"],))
            assert json.loads(cur.fetchone()[0])["kind"] == "suggest"
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("SELECT count(*) FROM ch.participant")
        pool.rollback()
    finally:
        pool.close()
