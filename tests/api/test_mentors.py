"""Mentors (/v1/mentors) through HTTP: a mentor applies and her
coordinator approves her, one profile per account, a coordinator enters
mentor accounts of her district only, and a retired mentor comes back
only through her coordinator.

Every answer is also validated against openapi/openapi.yaml by the `api`
client (conftest.py)."""

import pytest

from women_util import (ERFURT, GOTHA, Caller, active_mentor, audit_rows,
                        bearer, errors_of, hdr, listed, mentor_account,
                        mentor_of, merge_patch, problem, unique,
                        women_callers)


@pytest.fixture(scope="module")
def who(api):
    return women_callers(api)


def test_mentor_applies_and_the_coordinator_approves(api, stack, who):
    admin, coord = who["state_admin"], who["coordinator"]
    acct = mentor_account(api, admin, ERFURT)
    body = {"display_name": unique("Katrin"),
            "employer_sector": "public_administration",
            "occupational_field": "7321",
            "support_areas": ["job_search", "recognition"],
            "languages": [{"code": "de", "level": "native"}],
            "capacity": 2, "availability": {"wed": ["evening"]},
            "online_ok": True}
    r = api.request("POST", "/v1/mentors", headers=bearer(acct.token),
                    json=body)
    assert r.status_code == 201, r.text
    m = r.json()
    mid = m["id"]
    assert r.headers["Location"] == "/v1/mentors/" + mid
    assert r.headers["ETag"] == '"1"'
    assert (m["user_id"], m["district_id"], m["status"], m["approved_at"],
            m["capacity"], m["free_places"], m["version"]) == \
        (acct.id, ERFURT, "applied", None, 2, 2, 1)
    assert {k: m[k] for k in body} == body
    # One profile per account.
    problem(api.request("POST", "/v1/mentors", headers=bearer(acct.token),
                        json=dict(body, display_name=unique("Zweite"))),
            409)
    assert stack.sql("SELECT count(*) FROM ch.mentor WHERE user_id = %s",
                     (acct.id,)) == [(1,)]

    # An application is seen by her and her district's staff only.
    gc, ga = who["gotha_coordinator"], who["gotha_assistant"]
    for caller in (gc, ga, who["organization"], who["participant"], admin):
        mentor_of(api, caller.token, mid, expect=404)
        assert mid not in listed(api, caller.token, "/v1/mentors")
        assert mid not in listed(api, caller.token, "/v1/mentors",
                                 {"district_id": ERFURT})
    for caller in (coord, who["assistant"], acct):
        assert mentor_of(api, caller.token, mid).json()["status"] == "applied"
        assert mid in listed(api, caller.token, "/v1/mentors",
                             {"status": "applied"})

    # She cannot approve herself; Gotha's coordinator cannot either.
    path = "/v1/mentors/" + mid
    b = problem(merge_patch(api, acct.token, path, {"status": "active"},
                            expect=403), 403)
    assert ("/status", "not_allowed") in errors_of(b)
    problem(merge_patch(api, gc.token, path, {"status": "active"},
                        expect=404), 404)
    # The coordinator approves, with the ETag she read.
    problem(merge_patch(api, coord.token, path, {"status": "active"},
                        etag=None, expect=428), 428)
    problem(merge_patch(api, coord.token, path, {"status": "active"},
                        etag='"7"', expect=412), 412)
    assert stack.sql("SELECT status, approved_at FROM ch.mentor WHERE id ="
                     " %s", (mid,)) == [("applied", None)]
    rid = unique("approve")
    etag = mentor_of(api, coord.token, mid).headers["ETag"]
    h = hdr(coord.token, If_Match=etag, X_Request_Id=rid)
    r = api.request("PATCH", path, headers=h, json={"status": "active"})
    assert r.status_code == 200, r.text
    m = r.json()
    assert (m["status"], m["version"]) == ("active", 2)
    assert m["approved_at"] is not None
    assert r.headers["ETag"] == '"2"'
    assert audit_rows(stack, rid) == [
        (coord.id, "coordinator", "mentor.approved", "mentor", mid, ERFURT)]
    assert stack.sql("SELECT approved_by FROM ch.mentor WHERE id = %s",
                     (mid,)) == [(coord.id,)]

    # Active: the whole network sees her.
    for caller in (gc, ga, who["organization"], who["participant"], admin):
        assert mentor_of(api, caller.token, mid).json()["status"] == "active"
        assert mid in listed(api, caller.token, "/v1/mentors",
                             {"district_id": ERFURT, "free": "true"})
    # Once approved she pauses and resumes herself.
    assert merge_patch(api, acct.token, path, {"status": "paused"}).json()[
        "status"] == "paused"
    mentor_of(api, gc.token, mid, expect=404)
    again = merge_patch(api, acct.token, path, {"status": "active"}).json()
    assert (again["status"], again["approved_at"]) == \
        ("active", m["approved_at"])
    mentor_of(api, gc.token, mid)


def test_the_demo_mentor_account_has_at_most_one_profile(api, stack, who):
    demo = Caller.demo(api, "mentor")
    had = stack.sql("SELECT id::text FROM ch.mentor WHERE user_id = %s",
                    (demo.id,))
    r = api.request("POST", "/v1/mentors", headers=bearer(demo.token),
                    json={"display_name": unique("Demo"),
                          "employer_sector": "association",
                          "occupational_field": "8311",
                          "support_areas": ["networking"]})
    if had:
        # The demo data gave her a profile already.
        problem(r, 409)
    else:
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "applied"
        problem(api.request("POST", "/v1/mentors", headers=bearer(demo.token),
                            json={"display_name": unique("Demo"),
                                  "employer_sector": "association",
                                  "occupational_field": "8311",
                                  "support_areas": ["networking"]}), 409)
    assert stack.sql("SELECT count(*) FROM ch.mentor WHERE user_id = %s",
                     (demo.id,)) == [(1,)]


def test_a_coordinator_enters_only_mentor_accounts_of_her_district(api, who):
    admin, coord = who["state_admin"], who["coordinator"]
    gotha_acct = mentor_account(api, admin, GOTHA)
    b = problem(api.request("POST", "/v1/mentors", headers=bearer(coord.token),
                            json={"display_name": "X Y",
                                  "employer_sector": "business",
                                  "occupational_field": "7321",
                                  "support_areas": ["leadership"],
                                  "user_id": gotha_acct.id}), 422)
    assert ("/user_id", "unknown") in errors_of(b)
    b = problem(api.request("POST", "/v1/mentors", headers=bearer(coord.token),
                            json={"display_name": "X Y",
                                  "employer_sector": "business",
                                  "occupational_field": "7321",
                                  "support_areas": ["leadership"],
                                  "user_id": who["assistant"].id}), 422)
    assert ("/user_id", "unknown") in errors_of(b)


def test_retired_mentor_is_brought_back_by_her_coordinator(api):
    admin = Caller.demo(api, "state_admin")
    coord = Caller.demo(api, "coordinator")
    acct, m = active_mentor(api, admin, coord, ERFURT)
    path = "/v1/mentors/" + m["id"]
    merge_patch(api, acct.token, path, {"status": "retired"})
    r = merge_patch(api, acct.token, path, {"status": "active"},
                    expect=403)
    assert [e["field"] for e in r.json()["errors"]] == ["/status"]
    assert mentor_of(api, acct.token, m["id"]).json()["status"] == "retired"
    merge_patch(api, coord.token, path, {"status": "active"})
    assert mentor_of(api, acct.token, m["id"]).json()["status"] == "active"
    # Back in service, she pauses herself as before.
    merge_patch(api, acct.token, path, {"status": "paused"})
