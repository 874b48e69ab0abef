"""Connecting Women through HTTP, end to end: a mentor applies and is
approved, mentee profiles (women only), tandems with their meetings and
private notes, the end of a tandem with its outcome, the counts report,
and the database rules under concurrency (a mentor's capacity, one active
tandem per mentee, an event's waiting list).

Every answer is also validated against openapi/openapi.yaml by the `api`
client (conftest.py); the races validate theirs with `spec`."""

import datetime
import re
import threading
import time
import uuid

import pytest

from partners_util import (DEMO_PARTICIPANT, new_offer, new_org, place,
                           place_of, walk)
from women_util import (ERFURT, GOTHA, Caller, active_mentor, bearer,
                        end_tandem, errors_of, form_tandem, grant, hdr,
                        meet, mentee_body, mentor_account, mentor_of,
                        merge_patch, new_event, new_mentee, new_participant,
                        problem, put_profile, race, read, register, report,
                        report_of, today_dates, unique)

SIX = ["16051", "16062", "16064", "16065", "16067", "16073"]
SHARED_MENTEE_FIELDS = {"id", "display_name", "languages",
                        "target_occupational_field", "german_level", "goals"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                  r"[0-9a-f]{12}", re.I)


@pytest.fixture(scope="module")
def who(api):
    w = {role: Caller.demo(api, role) for role in (
        "state_admin", "coordinator", "assistant", "organization",
        "participant")}
    w["gotha_coordinator"] = Caller.demo(api, "coordinator", GOTHA)
    w["gotha_assistant"] = Caller.demo(api, "assistant", GOTHA)
    return w


def audit_rows(stack, request_id):
    return stack.sql(
        "SELECT actor, actor_role, action, entity, entity_id, district_id"
        " FROM ch.audit_log WHERE request_id = %s ORDER BY id",
        (request_id,))


def listed(api, token, path, params=None):
    items, _ = walk(api, token, path, params, limit=100)
    return [x["id"] for x in items]


# ------------------------------------------------------------ mentors

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


# ------------------------------------------------------------ mentee profiles

def test_mentee_profile_put_patch_and_women_only(api, stack, who):
    asst = who["assistant"]
    p = new_participant(api, asst.token, display_name=unique("Oksana"))
    pid = p["id"]
    path = "/v1/participants/%s/mentee-profile" % pid
    grant(api, asst.token, pid, "matching", expect=201)
    assert read(api, asst.token, "/v1/participants/" + pid).json()[
        "consents"]["matching"] is True
    read(api, asst.token, path, expect=404)

    body = mentee_body()
    rid = unique("put")
    r = api.request("PUT", path, headers=hdr(asst.token, X_Request_Id=rid),
                    json=body)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == path
    assert r.headers["ETag"] == '"1"'
    mp = r.json()
    assert {k: mp[k] for k in body} == body
    assert (mp["participant_id"], mp["district_id"], mp["version"]) == \
        (pid, ERFURT, 1)
    assert read(api, asst.token, path).json() == mp
    assert audit_rows(stack, rid) == [
        (asst.id, "assistant", "mentee_profile.created", "participant", pid,
         ERFURT)]

    # A second PUT replaces (200, no Location); a stale If-Match is 412.
    r = put_profile(api, asst.token, pid, expect=200, german_level="b2",
                    goals=["studies"], qualification_level=None)
    assert "Location" not in r.headers
    assert r.headers["ETag"] == '"2"'
    mp = r.json()
    assert (mp["version"], mp["german_level"], mp["goals"],
            mp["qualification_level"]) == (2, "b2", ["studies"], None)
    problem(put_profile(api, asst.token, pid, expect=412, etag='"1"'), 412)
    put_profile(api, asst.token, pid, expect=200, etag='"2"',
                german_level="b2", goals=["studies"],
                qualification_level=None)
    assert stack.sql("SELECT version FROM ch.mentee_profile WHERE"
                     " participant_id = %s", (pid,)) == [(3,)]

    # PATCH: If-Match required, merge patch.
    problem(merge_patch(api, asst.token, path, {"german_level": "c1"},
                        etag=None, expect=428), 428)
    problem(merge_patch(api, asst.token, path, {"german_level": "c1"},
                        etag='"2"', expect=412), 412)
    r = merge_patch(api, asst.token, path,
                    {"german_level": "c1", "highest_qualification": None,
                     "availability": {"fri": ["afternoon"]}}, etag='"3"')
    mp = r.json()
    assert r.headers["ETag"] == '"4"'
    assert (mp["version"], mp["german_level"], mp["highest_qualification"],
            mp["availability"], mp["goals"], mp["work_permit"],
            mp["target_occupational_field"]) == \
        (4, "c1", None, {"tue": ["morning"], "fri": ["afternoon"]},
         ["studies"], "allowed", "8311")
    assert stack.sql("SELECT german_level, highest_qualification FROM"
                     " ch.mentee_profile WHERE participant_id = %s",
                     (pid,)) == [("c1", None)]
    # An unknown occupational field is 422 and changes nothing.
    b = problem(merge_patch(api, asst.token, path,
                            {"target_occupational_field": "99999"},
                            expect=422), 422)
    assert ("/target_occupational_field", "unknown") in errors_of(b)

    # The woman herself reads and changes her profile.
    herself = Caller.new(api, who["state_admin"], "participant", ERFURT,
                         participant_id=pid)
    assert read(api, herself.token, path).json()["version"] == 4
    assert merge_patch(api, herself.token, path, {"goals": [
        "job_search", "networking"]}).json()["goals"] == \
        ["job_search", "networking"]


@pytest.mark.parametrize("tag", ['"1"', "*"])
def test_a_put_with_if_match_does_not_create(api, stack, who, tag):
    """RFC 9110 13.1.1: If-Match is false when there is no current
    representation (for "*" and for any entity tag), and the server must
    not perform the method: 412, no profile."""
    asst = who["assistant"]
    pid = new_participant(api, asst.token)["id"]
    problem(put_profile(api, asst.token, pid, expect=412, etag=tag), 412,
            "precondition-failed")
    assert stack.sql("SELECT count(*) FROM ch.mentee_profile WHERE"
                     " participant_id = %s", (pid,)) == [(0,)]


@pytest.mark.parametrize("gender", ["male", "diverse", "undisclosed"])
def test_a_mentee_profile_is_for_women_only(api, stack, who, gender):
    asst = who["assistant"]
    pid = new_participant(api, asst.token, gender=gender)["id"]
    grant(api, asst.token, pid, "matching")
    b = problem(put_profile(api, asst.token, pid, expect=422), 422,
                "women-only")
    assert ("/participant_id", "women_only") in errors_of(b)
    assert stack.sql("SELECT count(*) FROM ch.mentee_profile WHERE"
                     " participant_id = %s", (pid,)) == [(0,)]
    read(api, asst.token, "/v1/participants/%s/mentee-profile" % pid,
         expect=404)


# ------------------------------------------------------------ tandems

def test_tandem_lifecycle_meetings_outcome_and_report(api, stack, who):
    admin, coord, asst = (who["state_admin"], who["coordinator"],
                          who["assistant"])
    before = report_of(report(api, coord.token), ERFURT)
    gotha_before = report_of(report(api, who["gotha_coordinator"].token),
                             GOTHA)
    acct, m = active_mentor(api, admin, coord, ERFURT, capacity=2)
    a = new_mentee(api, asst.token)
    b = new_mentee(api, asst.token)
    # The report counts a woman only with her consent to statistics.
    for x in (a, b):
        grant(api, asst.token, x["id"], "statistics")
    herself = Caller.new(api, admin, "participant", ERFURT,
                         participant_id=a["id"])

    rid = unique("tandem")
    r = api.request("POST", "/v1/tandems",
                    headers=hdr(asst.token, X_Request_Id=rid),
                    json={"mentor_id": m["id"], "participant_id": a["id"],
                          "planned_months": 9})
    assert r.status_code == 201, r.text
    t = r.json()
    tid = t["id"]
    assert r.headers["Location"] == "/v1/tandems/" + tid
    assert r.headers["ETag"] == '"1"'
    assert (t["mentor_id"], t["participant_id"], t["district_id"],
            t["status"], t["planned_months"], t["meetings"]) == \
        (m["id"], a["id"], ERFURT, "active", 9, 0)
    assert t["started_on"] in today_dates()
    assert [t[k] for k in ("ended_on", "end_reason", "outcome",
                           "contract_type", "outcome_date")] == [None] * 5
    assert t["mentor"] == {k: m[k] for k in (
        "id", "display_name", "employer_sector", "occupational_field")}
    assert t["mentee"] == {"id": a["id"], "display_name": a["display_name"],
                           "languages": a["languages"],
                           "target_occupational_field": "8311",
                           "german_level": "b1",
                           "goals": ["recognition", "job_search"]}
    assert audit_rows(stack, rid) == [
        (asst.id, "assistant", "tandem.created", "tandem", tid, ERFURT)]
    assert mentor_of(api, coord.token, m["id"]).json()["free_places"] == 1

    # The mentor sees her tandem with the mentee's shared fields only.
    assert listed(api, acct.token, "/v1/tandems") == [tid]
    r = read(api, acct.token, "/v1/tandems/" + tid)
    seen = r.json()
    assert set(seen["mentee"]) == SHARED_MENTEE_FIELDS
    assert seen["mentee"] == t["mentee"]
    for secret in ("Bachelor P", "dqr6", "pending", "allowed", "female",
                   "birth_year", "gender", "work_permit"):
        assert secret not in r.text, secret
    for sub in ("", "/contact", "/consents", "/mentee-profile"):
        problem(api.get("/v1/participants/%s%s" % (a["id"], sub),
                        headers=bearer(acct.token)), 403, "forbidden")
    # The mentee sees hers.
    assert listed(api, herself.token, "/v1/tandems") == [tid]
    assert read(api, herself.token, "/v1/tandems/" + tid).json() == seen

    # Both record meetings; the notes are theirs alone.
    n1, n2 = unique("Lebenslauf"), unique("Bewerbungsgespraech")
    x1 = meet(api, acct.token, t, notes=n1, format="online")
    x2 = meet(api, herself.token, t, notes=n2, duration_minutes=45,
              topics=["interview_practice", "language"])
    assert (x1["tandem_id"], x1["notes"], x1["format"]) == \
        (tid, n1, "online")
    assert (x2["notes"], x2["duration_minutes"], x2["topics"]) == \
        (n2, 45, ["interview_practice", "language"])
    for member in (acct, herself):
        items, _ = walk(api, member.token, "/v1/tandems/%s/meetings" % tid)
        assert {(x["id"], x["notes"]) for x in items} == \
            {(x1["id"], n1), (x2["id"], n2)}
        one = read(api, member.token, "/v1/tandems/%s/meetings/%s"
                   % (tid, x2["id"])).json()
        assert one["notes"] == n2
    for staff in (coord, asst):
        r = read(api, staff.token, "/v1/tandems/%s/meetings" % tid)
        items = r.json()["items"]
        assert {x["id"] for x in items} == {x1["id"], x2["id"]}
        assert all("notes" not in x for x in items)
        assert n1 not in r.text and n2 not in r.text
        r = read(api, staff.token, "/v1/tandems/%s/meetings/%s"
                 % (tid, x1["id"]))
        assert "notes" not in r.json() and n1 not in r.text
        assert r.json()["duration_minutes"] == 60
    assert read(api, coord.token, "/v1/tandems/" + tid).json()[
        "meetings"] == 2
    # Staff do not write meetings; the mentee does not end the tandem.
    problem(api.request("POST", "/v1/tandems/%s/meetings" % tid,
                        headers=bearer(asst.token),
                        json={"held_on": t["started_on"],
                              "duration_minutes": 30, "format": "phone"}),
            403)
    problem(merge_patch(api, herself.token, "/v1/tandems/" + tid,
                        {"status": "completed", "outcome": "job"},
                        expect=403), 403)

    # Ending needs an outcome, and what goes with it.
    path = "/v1/tandems/" + tid
    body = problem(merge_patch(api, acct.token, path, {"status": "completed"},
                               expect=422), 422)
    assert ("/outcome", "required") in errors_of(body)
    body = problem(merge_patch(api, acct.token, path,
                               {"status": "completed", "outcome": "job",
                                "end_reason": "other"}, expect=422), 422)
    assert ("/end_reason", "must_be_null") in errors_of(body)
    body = problem(merge_patch(api, acct.token, path,
                               {"status": "completed", "outcome": "none",
                                "contract_type": "permanent"}, expect=422),
                   422)
    assert ("/contract_type", "must_be_null") in errors_of(body)
    assert stack.sql("SELECT status, version FROM ch.tandem WHERE id = %s",
                     (tid,)) == [("active", 1)]

    # The mentor ends it with a job; her place is free again.
    day = t["started_on"]
    done = end_tandem(api, acct.token, tid, {
        "status": "completed", "outcome": "job",
        "contract_type": "permanent", "outcome_date": day})
    assert (done["status"], done["outcome"], done["contract_type"],
            done["outcome_date"], done["end_reason"], done["version"]) == \
        ("completed", "job", "permanent", day, None, 2)
    assert done["ended_on"] in today_dates()
    assert mentor_of(api, coord.token, m["id"]).json()["free_places"] == 2
    assert stack.sql("SELECT active_tandems FROM ch.mentor WHERE id = %s",
                     (m["id"],)) == [(0,)]
    # Ended is ended.
    problem(merge_patch(api, acct.token, path, {"status": "ended_early",
                                                "end_reason": "other",
                                                "outcome": "none"},
                        expect=409), 409)
    problem(merge_patch(api, coord.token, path, {"planned_months": 12},
                        expect=409), 409)
    meet(api, acct.token, t, expect=409)

    # A second tandem ends early, with its reason.
    t2 = form_tandem(api, coord.token, m["id"], b["id"], planned_months=6)
    assert mentor_of(api, coord.token, m["id"]).json()["free_places"] == 1
    path2 = "/v1/tandems/" + t2["id"]
    body = problem(merge_patch(api, asst.token, path2,
                               {"status": "ended_early", "outcome": "none"},
                               expect=422), 422)
    assert ("/end_reason", "required") in errors_of(body)
    early = end_tandem(api, asst.token, t2["id"], {
        "status": "ended_early", "end_reason": "moved_away",
        "outcome": "language_course"})
    assert (early["status"], early["end_reason"], early["outcome"],
            early["contract_type"]) == \
        ("ended_early", "moved_away", "language_course", None)
    assert early["ended_on"] in today_dates()
    assert mentor_of(api, coord.token, m["id"]).json()["free_places"] == 2
    # The mentee may start a new tandem now.
    t3 = form_tandem(api, asst.token, m["id"], a["id"])
    assert t3["status"] == "active"

    # The report counts it all.
    after = report_of(report(api, coord.token), ERFURT)
    assert after["mentors"] == dict(before["mentors"],
                                    active=before["mentors"]["active"] + 1)
    assert after["mentees"] == before["mentees"] + 2
    assert after["tandems"] == {
        "active": before["tandems"]["active"] + 1,
        "completed": before["tandems"]["completed"] + 1,
        "ended_early": before["tandems"]["ended_early"] + 1}
    assert after["outcomes"] == dict(
        before["outcomes"], job=before["outcomes"]["job"] + 1,
        language_course=before["outcomes"]["language_course"] + 1)
    assert after["meetings"] == before["meetings"] + 2
    assert after["planned_events"] == before["planned_events"]
    assert report_of(report(api, admin.token), ERFURT) == after
    assert report_of(report(api, who["gotha_coordinator"].token), GOTHA) == \
        gotha_before


def test_tandem_rules(api, stack, who):
    admin, coord, asst = (who["state_admin"], who["coordinator"],
                          who["assistant"])
    gcoord = who["gotha_coordinator"]
    _, m = active_mentor(api, admin, coord, ERFURT, capacity=3)
    _, applied = active_mentor(api, admin, coord, ERFURT)
    merge_patch(api, coord.token, "/v1/mentors/" + applied["id"],
                {"status": "paused"})
    _, gotha_m = active_mentor(api, admin, gcoord, GOTHA)

    # No profile; a man; a mentor who is not active.
    plain = new_participant(api, asst.token)
    man = new_participant(api, asst.token, gender="male")
    mentee = new_mentee(api, asst.token)
    r = api.request("POST", "/v1/tandems", headers=bearer(asst.token),
                    json={"mentor_id": m["id"], "participant_id": plain["id"]})
    assert ("/participant_id", "no_mentee_profile") in errors_of(
        problem(r, 409))
    r = api.request("POST", "/v1/tandems", headers=bearer(asst.token),
                    json={"mentor_id": m["id"], "participant_id": man["id"]})
    assert ("/participant_id", "women_only") in errors_of(problem(r, 409))
    r = api.request("POST", "/v1/tandems", headers=bearer(asst.token),
                    json={"mentor_id": applied["id"],
                          "participant_id": mentee["id"]})
    assert ("/mentor_id", "not_active") in errors_of(problem(r, 409))
    # A mentor of another district needs the cross_district consent.
    r = api.request("POST", "/v1/tandems", headers=bearer(asst.token),
                    json={"mentor_id": gotha_m["id"],
                          "participant_id": mentee["id"]})
    assert ("/mentor_id", "consent") in errors_of(problem(r, 409))
    # Unknown mentor or another district's person: 422.
    r = api.request("POST", "/v1/tandems", headers=bearer(asst.token),
                    json={"mentor_id": str(uuid.uuid4()),
                          "participant_id": mentee["id"]})
    assert ("/mentor_id", "unknown") in errors_of(problem(r, 422))
    gotha_mentee = new_mentee(api, who["gotha_assistant"].token)
    r = api.request("POST", "/v1/tandems", headers=bearer(asst.token),
                    json={"mentor_id": m["id"],
                          "participant_id": gotha_mentee["id"]})
    assert ("/participant_id", "unknown") in errors_of(problem(r, 422))
    assert stack.sql("SELECT count(*) FROM ch.tandem WHERE participant_id ="
                     " ANY(%s::uuid[])", ([plain["id"], man["id"],
                                           mentee["id"],
                                           gotha_mentee["id"]],)) == [(0,)]

    grant(api, asst.token, mentee["id"], "cross_district")
    t = form_tandem(api, asst.token, gotha_m["id"], mentee["id"])
    assert (t["district_id"], t["mentor_id"]) == (ERFURT, gotha_m["id"])
    # One active tandem per mentee.
    r = api.request("POST", "/v1/tandems", headers=bearer(asst.token),
                    json={"mentor_id": m["id"],
                          "participant_id": mentee["id"]})
    problem(r, 409, "mentee-has-tandem")
    assert stack.sql("SELECT mentor_id::text FROM ch.tandem WHERE"
                     " participant_id = %s", (mentee["id"],)) == \
        [(gotha_m["id"],)]


def test_idempotent_tandem_counts_once(api, stack, who):
    admin, coord, asst = (who["state_admin"], who["coordinator"],
                          who["assistant"])
    _, m = active_mentor(api, admin, coord, ERFURT, capacity=2)
    pid = new_mentee(api, asst.token)["id"]
    key = unique("key")
    answers = [api.request("POST", "/v1/tandems",
                           headers=hdr(asst.token, Idempotency_Key=key),
                           json={"mentor_id": m["id"], "participant_id": pid})
               for _ in range(3)]
    assert [a.status_code for a in answers] == [201] * 3
    assert [a.headers.get("Idempotent-Replayed") for a in answers] == \
        [None, "true", "true"]
    assert len({a.json()["id"] for a in answers}) == 1
    assert mentor_of(api, coord.token, m["id"]).json()["free_places"] == 1
    assert stack.sql("SELECT count(*) FROM ch.tandem WHERE mentor_id = %s",
                     (m["id"],)) == [(1,)]


def test_meeting_rules(api, stack, who):
    admin, coord, asst = (who["state_admin"], who["coordinator"],
                          who["assistant"])
    acct, m = active_mentor(api, admin, coord, ERFURT)
    pid = new_mentee(api, asst.token)["id"]
    start = datetime.date.today() - datetime.timedelta(days=30)
    t = form_tandem(api, asst.token, m["id"], pid,
                    started_on=start.isoformat())
    assert t["started_on"] == start.isoformat()
    for day in (start - datetime.timedelta(days=1),
                datetime.date.today() + datetime.timedelta(days=400)):
        b = problem(api.request("POST", "/v1/tandems/%s/meetings" % t["id"],
                                headers=bearer(acct.token),
                                json={"held_on": day.isoformat(),
                                      "duration_minutes": 60,
                                      "format": "phone"}), 422)
        assert ("/held_on", "range") in errors_of(b)
    x = meet(api, acct.token, t, held_on=start.isoformat())
    assert x["held_on"] == start.isoformat()
    assert stack.sql("SELECT count(*) FROM ch.tandem_meeting WHERE"
                     " tandem_id = %s", (t["id"],)) == [(1,)]


# ------------------------------------------------------------ report

def test_report_is_numbers_per_district_only(api, stack, who):
    admin = report(api, who["state_admin"].token)
    assert [d["district_id"] for d in admin["districts"]] == SIX
    mine = report(api, who["coordinator"].token)
    assert [d["district_id"] for d in mine["districts"]] == [ERFURT]
    theirs = report(api, who["gotha_coordinator"].token)
    assert [d["district_id"] for d in theirs["districts"]] == [GOTHA]
    assert mine["districts"][0] == report_of(admin, ERFURT)
    assert theirs["districts"][0] == report_of(admin, GOTHA)
    for role in ("assistant", "organization", "participant"):
        problem(api.get("/v1/reports/women",
                        headers=bearer(who[role].token)), 403, "forbidden")

    # The counts are the database's.
    for d in admin["districts"]:
        district = d["district_id"]
        mentors = dict(stack.sql("SELECT status, count(*) FROM ch.mentor"
                                 " WHERE district_id = %s GROUP BY 1",
                                 (district,)))
        assert d["mentors"] == {s: mentors.get(s, 0) for s in (
            "applied", "active", "paused", "retired")}
        # People count only while they consent to statistics.
        consented = (" AND EXISTS (SELECT 1 FROM ch.consent c WHERE"
                     " c.participant_id = x.participant_id AND c.purpose"
                     " = 'statistics' AND c.withdrawn_at IS NULL)")
        tandems = dict(stack.sql("SELECT status, count(*) FROM ch.tandem x"
                                 " WHERE district_id = %s" + consented +
                                 " GROUP BY 1", (district,)))
        assert d["tandems"] == {s: tandems.get(s, 0) for s in (
            "active", "completed", "ended_early")}
        outcomes = dict(stack.sql("SELECT outcome, count(*) FROM ch.tandem"
                                  " x WHERE district_id = %s AND outcome IS"
                                  " NOT NULL" + consented + " GROUP BY 1",
                                  (district,)))
        assert d["outcomes"] == {o: outcomes.get(o, 0) for o in (
            "job", "vocational_training", "internship", "studies",
            "language_course", "none")}
        assert d["mentees"] == stack.sql(
            "SELECT count(*) FROM ch.mentee_profile x WHERE district_id ="
            " %s" + consented, (district,))[0][0]
        assert d["meetings"] == stack.sql(
            "SELECT count(*) FROM ch.tandem_meeting x WHERE district_id ="
            " %s" + consented, (district,))[0][0]
        assert d["planned_events"] == stack.sql(
            "SELECT count(*) FROM ch.event WHERE district_id = %s AND"
            " status = 'planned'", (district,))[0][0]

    # Nothing in it names anybody: only district keys, field names and
    # numbers.
    def scan(node):
        if isinstance(node, dict):
            for k, v in node.items():
                assert re.fullmatch(r"[a-z_]+", k), k
                scan(v)
        elif isinstance(node, list):
            for v in node:
                scan(v)
        elif isinstance(node, str):
            assert node in SIX, node
        else:
            assert isinstance(node, int) and not isinstance(node, bool), node
    for body in (admin, mine, theirs):
        scan(body)
        assert not UUID.search(str(body))


# ------------------------------------------------------------ races

def test_mentor_capacity_holds_under_concurrent_tandems(api, stack, spec,
                                                        who):
    admin, coord, asst = (who["state_admin"], who["coordinator"],
                          who["assistant"])
    _, m = active_mentor(api, admin, coord, ERFURT, capacity=2)
    pids = [new_mentee(api, asst.token)["id"] for _ in range(10)]
    answers = race(api, spec, [
        ("POST", "/v1/tandems", asst.token,
         {"mentor_id": m["id"], "participant_id": pid}) for pid in pids])
    statuses = [a.status_code for a in answers]
    assert sorted(statuses) == [201] * 2 + [409] * 8, \
        [(a.status_code, a.text) for a in answers]
    for a in answers:
        if a.status_code == 409:
            assert a.json()["type"] == "urn:ch:problem:capacity-exhausted"
    winners = sorted(pids[i] for i, a in enumerate(answers)
                     if a.status_code == 201)

    got = mentor_of(api, coord.token, m["id"]).json()
    assert (got["capacity"], got["free_places"]) == (2, 0)
    assert stack.sql("SELECT active_tandems, (SELECT count(*) FROM"
                     " ch.tandem t WHERE t.mentor_id = m.id AND t.status ="
                     " 'active') FROM ch.mentor m WHERE id = %s",
                     (m["id"],)) == [(2, 2)]
    rows = stack.sql("SELECT participant_id::text FROM ch.tandem WHERE"
                     " mentor_id = %s ORDER BY 1", (m["id"],))
    assert [r[0] for r in rows] == winners
    assert m["id"] not in listed(api, coord.token, "/v1/mentors",
                                 {"free": "true"})
    # Still full afterwards.
    problem(api.request("POST", "/v1/tandems", headers=bearer(asst.token),
                        json={"mentor_id": m["id"],
                              "participant_id": pids[statuses.index(409)]}),
            409, "capacity-exhausted")


def test_one_active_tandem_per_mentee_under_concurrency(api, stack, spec,
                                                         who):
    admin, coord, asst = (who["state_admin"], who["coordinator"],
                          who["assistant"])
    mentors = [active_mentor(api, admin, coord, ERFURT)[1] for _ in range(5)]
    pid = new_mentee(api, asst.token)["id"]
    answers = race(api, spec, [
        ("POST", "/v1/tandems", asst.token,
         {"mentor_id": m["id"], "participant_id": pid}) for m in mentors])
    statuses = [a.status_code for a in answers]
    assert sorted(statuses) == [201] + [409] * 4, \
        [(a.status_code, a.text) for a in answers]
    for a in answers:
        if a.status_code == 409:
            assert a.json()["type"] == "urn:ch:problem:mentee-has-tandem"
    winner = mentors[statuses.index(201)]["id"]
    assert stack.sql("SELECT mentor_id::text, status FROM ch.tandem WHERE"
                     " participant_id = %s", (pid,)) == [(winner, "active")]
    for m in mentors:
        want = 1 if m["id"] == winner else 0
        assert stack.sql("SELECT active_tandems FROM ch.mentor WHERE id ="
                         " %s", (m["id"],)) == [(want,)]
        assert mentor_of(api, coord.token, m["id"]).json()[
            "free_places"] == m["capacity"] - want


def registrations(api, token, event_id):
    items, _ = walk(api, token, "/v1/events/%s/registrations" % event_id,
                    limit=100)
    return items


def test_event_waiting_list_under_concurrency(api, stack, spec, who):
    admin, coord = who["state_admin"], who["coordinator"]
    event = new_event(api, coord.token, capacity=3)
    eid = event["id"]
    people = [mentor_account(api, admin, ERFURT) for _ in range(11)]
    tokens = [p.token for p in people]          # signed in before the race
    by_user = {p.id: p for p in people}

    answers = race(api, spec, [
        ("POST", "/v1/events/%s/registrations" % eid, tok, {})
        for tok in tokens[:10]])
    assert [a.status_code for a in answers] == [201] * 10, \
        [(a.status_code, a.text) for a in answers]
    mine = [a.json() for a in answers]
    assert sorted(x["status"] for x in mine) == \
        ["registered"] * 3 + ["waiting"] * 7
    assert sorted(x["position"] for x in mine if x["status"] == "waiting") \
        == list(range(1, 8))
    assert all(x["position"] is None for x in mine
               if x["status"] == "registered")

    def check(registered, waiting):
        """The event and the rows agree; the organiser's list is in queue
        order; waiting positions are 1..n in that order."""
        got = read(api, coord.token, "/v1/events/" + eid).json()
        assert (got["registered"], got["free_places"], got["waiting"]) == \
            (registered, 3 - registered, waiting)
        assert stack.sql("SELECT registered, (SELECT count(*) FROM"
                         " ch.event_registration r WHERE r.event_id = v.id"
                         " AND r.status = 'registered') FROM ch.event v"
                         " WHERE id = %s", (eid,)) == \
            [(registered, registered)]
        rows = registrations(api, coord.token, eid)
        assert [r["queued_at"] for r in rows] == \
            sorted(r["queued_at"] for r in rows)
        queue = [r for r in rows if r["status"] == "waiting"]
        assert [r["position"] for r in queue] == \
            list(range(1, waiting + 1))
        return rows

    rows = check(3, 7)
    assert [r["status"] for r in rows] == ["registered"] * 3 + \
        ["waiting"] * 7
    assert {r["id"] for r in rows} == {x["id"] for x in mine}
    # Each sees her own position.
    for r in rows[3:]:
        own = read(api, by_user[r["user_id"]].token,
                   "/v1/events/%s/registrations/%s" % (eid, r["id"])).json()
        assert own["position"] == r["position"]

    # Two registered cancel while a newcomer registers, with a watcher on
    # the committed state all along.
    first_two = [r["id"] for r in rows[3:5]]
    samples, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            samples.append(stack.sql(
                "SELECT v.registered, (SELECT count(*) FROM"
                " ch.event_registration r WHERE r.event_id = v.id AND"
                " r.status = 'registered') FROM ch.event v WHERE id = %s",
                (eid,))[0])
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        leaving = rows[:2]
        answers = race(api, spec, [
            ("DELETE", "/v1/events/%s/registrations/%s" % (eid, r["id"]),
             by_user[r["user_id"]].token, None) for r in leaving] + [
            ("POST", "/v1/events/%s/registrations" % eid, tokens[10], {})])
    finally:
        stop.set()
        watcher.join(10)
    assert [a.status_code for a in answers] == [204, 204, 201], \
        [(a.status_code, a.text) for a in answers]
    assert not answers[0].content and not answers[1].content
    newcomer = answers[2].json()
    assert newcomer["status"] == "waiting", newcomer
    assert samples and all(n == c <= 3 for n, c in samples), samples

    rows = check(3, 6)
    by_id = {r["id"]: r for r in rows}
    for r in leaving:
        assert by_id[r["id"]]["status"] == "cancelled"
        assert by_id[r["id"]]["cancelled_at"] is not None
    promoted = [by_id[i] for i in first_two]
    assert [p["status"] for p in promoted] == ["registered"] * 2
    assert all(p["promoted_at"] is not None for p in promoted)
    assert promoted[0]["promoted_at"] <= promoted[1]["promoted_at"]
    assert all(r["promoted_at"] is None for r in rows
               if r["id"] not in first_two)
    queue = [r for r in rows if r["status"] == "waiting"]
    assert [r["id"] for r in queue] == [r["id"] for r in rows[5:10]] + \
        [newcomer["id"]]
    assert queue[-1]["position"] == 6
    assert stack.sql("SELECT status, count(*) FROM ch.event_registration"
                     " WHERE event_id = %s GROUP BY 1 ORDER BY 1",
                     (eid,)) == [("cancelled", 2), ("registered", 3),
                                 ("waiting", 6)]


def test_event_registration_rules(api, stack, who):
    admin, coord = who["state_admin"], who["coordinator"]
    event = new_event(api, coord.token, capacity=1)
    eid = event["id"]
    a, b = (mentor_account(api, admin, ERFURT) for _ in range(2))
    ra = register(api, a.token, eid)
    assert ra["status"] == "registered"
    problem(api.request("POST", "/v1/events/%s/registrations" % eid,
                        headers=bearer(a.token), json={}), 409)
    rb = register(api, b.token, eid)
    assert (rb["status"], rb["position"]) == ("waiting", 1)
    # Others see only their own registrations; the organiser all.
    assert [r["id"] for r in registrations(api, b.token, eid)] == [rb["id"]]
    assert [r["id"] for r in registrations(api, coord.token, eid)] == \
        [ra["id"], rb["id"]]
    read(api, b.token, "/v1/events/%s/registrations/%s" % (eid, ra["id"]),
         expect=404)
    # More capacity moves the waiting list up at once.
    got = merge_patch(api, coord.token, "/v1/events/" + eid,
                      {"capacity": 2}).json()
    assert (got["registered"], got["waiting"]) == (2, 0)
    rb = read(api, b.token, "/v1/events/%s/registrations/%s"
              % (eid, rb["id"])).json()
    assert (rb["status"], rb["position"]) == ("registered", None)
    assert rb["promoted_at"] is not None
    # Capacity below the registered count is 422.
    b_ = problem(merge_patch(api, coord.token, "/v1/events/" + eid,
                             {"capacity": 1}, expect=422), 422)
    assert ("/capacity", "below_registered") in errors_of(b_)
    # The organiser cancels a registration; twice is 409.
    path = "/v1/events/%s/registrations/%s" % (eid, ra["id"])
    r = api.request("DELETE", path, headers=bearer(coord.token))
    assert r.status_code == 204, r.text
    problem(api.request("DELETE", path, headers=bearer(a.token)), 409)
    # A cancelled event takes nobody.
    merge_patch(api, coord.token, "/v1/events/" + eid,
                {"status": "cancelled"})
    c = mentor_account(api, admin, GOTHA)
    problem(api.request("POST", "/v1/events/%s/registrations" % eid,
                        headers=bearer(c.token), json={}), 409)
    # A participant registers herself for another district's event, one
    # at a place.
    seat = place_of(api, "99867")
    other = new_event(api, who["gotha_coordinator"].token, capacity=5,
                      online=False, place_id=seat["id"], kind="workshop")
    assert (other["district_id"], other["place_id"], other["online"]) == \
        (GOTHA, seat["id"], False)
    assert other["place"]["postal_code"] == "99867"
    mine = register(api, who["participant"].token, other["id"])
    assert (mine["user_id"], mine["status"]) == \
        (who["participant"].id, "registered")
    assert DEMO_PARTICIPANT not in str(mine)


def test_concurrent_first_puts_create_one_profile(api, stack, spec, who):
    asst = who["assistant"]
    pid = new_participant(api, asst.token)["id"]
    path = "/v1/participants/%s/mentee-profile" % pid
    answers = race(api, spec, [
        ("PUT", path, asst.token, mentee_body(german_level=level))
        for level in ("a1", "a2", "b1", "b2", "c1")])
    assert sorted(a.status_code for a in answers) == [200] * 4 + [201], \
        [(a.status_code, a.text) for a in answers]
    assert sorted(a.json()["version"] for a in answers) == [1, 2, 3, 4, 5]
    last = max(answers, key=lambda a: a.json()["version"]).json()
    assert stack.sql("SELECT version, german_level FROM ch.mentee_profile"
                     " WHERE participant_id = %s", (pid,)) == \
        [(5, last["german_level"])]


def test_a_tandem_ends_once_under_concurrency(api, stack, spec, who):
    admin, coord, asst = (who["state_admin"], who["coordinator"],
                          who["assistant"])
    acct, m = active_mentor(api, admin, coord, ERFURT, capacity=2)
    t = form_tandem(api, asst.token, m["id"],
                    new_mentee(api, asst.token)["id"])
    other = form_tandem(api, asst.token, m["id"],
                        new_mentee(api, asst.token)["id"])
    # Capacity cannot fall below her active tandems.
    body = problem(merge_patch(api, coord.token, "/v1/mentors/" + m["id"],
                               {"capacity": 1}, expect=422), 422)
    assert ("/capacity", "below_tandems") in errors_of(body)

    ending = {"status": "completed", "outcome": "internship"}
    answers = race(api, spec, [
        ("PATCH", "/v1/tandems/" + t["id"], tok, ending)
        for tok in (acct.token, coord.token, asst.token) * 2],
        if_match="*")
    assert sorted(a.status_code for a in answers) == [200] + [409] * 5, \
        [(a.status_code, a.text) for a in answers]
    assert stack.sql("SELECT active_tandems FROM ch.mentor WHERE id = %s",
                     (m["id"],)) == [(1,)]
    assert stack.sql("SELECT status, outcome, version FROM ch.tandem WHERE"
                     " id = %s", (t["id"],)) == \
        [("completed", "internship", 2)]
    assert read(api, coord.token, "/v1/tandems/" + other["id"]).json()[
        "status"] == "active"
    assert mentor_of(api, coord.token, m["id"]).json()["free_places"] == 1
    # Now the capacity may fall to one, and she is full.
    merge_patch(api, coord.token, "/v1/mentors/" + m["id"], {"capacity": 1})
    r = api.request("POST", "/v1/tandems", headers=bearer(asst.token),
                    json={"mentor_id": m["id"],
                          "participant_id": new_mentee(api,
                                                       asst.token)["id"]})
    problem(r, 409, "capacity-exhausted")


def test_a_registration_is_cancelled_once_under_concurrency(api, stack,
                                                            spec, who):
    admin, coord = who["state_admin"], who["coordinator"]
    event = new_event(api, coord.token, capacity=2)
    eid = event["id"]
    people = [mentor_account(api, admin, ERFURT) for _ in range(3)]
    regs = [register(api, p.token, eid) for p in people]
    assert [r["status"] for r in regs] == ["registered", "registered",
                                          "waiting"]
    path = "/v1/events/%s/registrations/%s" % (eid, regs[0]["id"])
    answers = race(api, spec, [("DELETE", path, tok, None) for tok in (
        people[0].token, coord.token) * 3])
    assert sorted(a.status_code for a in answers) == [204] + [409] * 5, \
        [(a.status_code, a.text) for a in answers]
    got = read(api, coord.token, "/v1/events/" + eid).json()
    assert (got["registered"], got["waiting"]) == (2, 0)
    assert stack.sql("SELECT status FROM ch.event_registration WHERE"
                     " event_id = %s ORDER BY queued_at", (eid,)) == \
        [("cancelled",), ("registered",), ("registered",)]


def test_lists_page_without_gaps_or_repeats(api, who):
    admin, coord, asst = (who["state_admin"], who["coordinator"],
                          who["assistant"])
    acct, m = active_mentor(api, admin, coord, ERFURT, capacity=3)
    tandems = [form_tandem(api, asst.token, m["id"],
                           new_mentee(api, asst.token)["id"])
               for _ in range(3)]
    first = tandems[0]
    start = datetime.date.fromisoformat(first["started_on"])
    days = [start, start, start + datetime.timedelta(days=3), start,
            start + datetime.timedelta(days=1)]
    made = [meet(api, acct.token, first, held_on=d.isoformat())["id"]
            for d in days]
    items, pages = walk(api, acct.token,
                        "/v1/tandems/%s/meetings" % first["id"], limit=2)
    assert pages == 3
    assert sorted(x["id"] for x in items) == sorted(made)
    assert [x["held_on"] for x in items] == \
        sorted(d.isoformat() for d in days)
    items, pages = walk(api, acct.token, "/v1/tandems", limit=1)
    assert (sorted(x["id"] for x in items), pages) == \
        (sorted(t["id"] for t in tandems), 3)
    event = new_event(api, coord.token, capacity=2)
    people = [mentor_account(api, admin, ERFURT) for _ in range(5)]
    regs = [register(api, p.token, event["id"])["id"] for p in people]
    items, pages = walk(api, coord.token, "/v1/events/%s/registrations"
                        % event["id"], limit=2)
    assert ([x["id"] for x in items], pages) == (regs, 3)
    items, _ = walk(api, coord.token, "/v1/events/%s/registrations"
                    % event["id"], {"status": "waiting"}, limit=1)
    assert [(x["id"], x["position"]) for x in items] == \
        [(regs[2], 1), (regs[3], 2), (regs[4], 3)]


# ------------------------------------------------------------ one worker

def test_a_worker_serves_every_kind_of_request_and_stays_alive(api, stack,
                                                                who):
    """One Kore worker (the test stack runs one) answers a request of
    every route of the API, each with its own SQL statement, one after
    the other: every request is answered, and no worker dies on the way
    (the API prepares each statement once per connection)."""
    admin, coord, asst = (who["state_admin"], who["coordinator"],
                          who["assistant"])
    deaths = stack.kore_log().count("exited with status")
    ct, at = coord.token, asst.token
    calls = []

    def call(method, path, token=None, expect=None, **kw):
        h = bearer(token) if token else {}
        h.update(kw.pop("headers", {}))
        r = api.request(method, path, headers=h, **kw)
        calls.append((method, path, r.status_code))
        if expect is not None:
            assert r.status_code == expect, (method, path, r.text)
        return r

    # Public routes, sign-in and the account.
    call("GET", "/readyz", expect=200)
    call("GET", "/v1/districts", expect=200)
    call("GET", "/v1/districts/16051", expect=200)
    seat = place_of(api, "99084")
    call("GET", "/v1/places", params={"district": ERFURT}, expect=200)
    call("GET", "/v1/places/" + seat["id"], expect=200)
    call("GET", "/v1/taxonomies", expect=200)
    call("GET", "/v1/taxonomies/languages", expect=200)
    acct = mentor_account(api, admin, ERFURT)
    call("POST", "/v1/auth/token", expect=401,
         json={"email": acct.email, "password": "not-the-password"})
    pair = call("POST", "/v1/auth/token", expect=200,
                json={"email": acct.email,
                      "password": "connecting-humans-demo"}).json()
    pair = call("POST", "/v1/auth/refresh", expect=200,
                json={"refresh_token": pair["refresh_token"]}).json()
    call("GET", "/v1/me", pair["access_token"], expect=200)
    call("POST", "/v1/me/password", pair["access_token"], expect=204,
         json={"current_password": "connecting-humans-demo",
               "new_password": "a-new-long-password-1"})
    pair = call("POST", "/v1/auth/token", expect=200,
                json={"email": acct.email,
                      "password": "a-new-long-password-1"}).json()
    call("POST", "/v1/auth/logout", expect=204,
         json={"refresh_token": pair["refresh_token"]})
    call("GET", "/v1/users", ct, expect=200)
    uid = call("POST", "/v1/users", ct, expect=201,
               json={"email": unique("u") + "@women.example",
                     "password": "connecting-humans-demo",
                     "role": "assistant"}).json()["id"]
    call("GET", "/v1/users/" + uid, ct, expect=200)
    call("PATCH", "/v1/users/" + uid, ct, expect=200,
         headers={"If-Match": "*"}, json={"locale": "en"})

    # Connecting Partners.
    call("GET", "/v1/organizations", ct, expect=200)
    org = new_org(api, ct)["id"]
    call("GET", "/v1/organizations/" + org, ct, expect=200)
    call("PATCH", "/v1/organizations/" + org, ct, expect=200,
         headers={"If-Match": "*"}, json={"description": "x"})
    call("GET", "/v1/offers", ct, expect=200)
    offer = new_offer(api, ct, org=org)["id"]
    call("GET", "/v1/offers/" + offer, ct, expect=200)
    call("PATCH", "/v1/offers/" + offer, ct, expect=200,
         headers={"If-Match": "*"}, json={"description": "x"})
    call("GET", "/v1/participants", at, expect=200)
    pid = new_participant(api, at)["id"]
    base = "/v1/participants/" + pid
    call("GET", base, at, expect=200)
    call("PATCH", base, at, expect=200, headers={"If-Match": "*"},
         json={"mobility_radius_km": 12})
    call("GET", base + "/contact", at, expect=200)
    call("PATCH", base + "/contact", at, expect=200,
         headers={"If-Match": "*"}, json={"city": "Erfurt"})
    grant(api, at, pid, "matching")
    call("GET", base + "/consents", at, expect=200)
    call("GET", base + "/consents/matching", at, expect=200)
    call("GET", "/v1/placements", at, expect=200)
    pl = place(api, at, pid, offer).json()["id"]
    call("GET", "/v1/placements/" + pl, at, expect=200)
    call("PATCH", "/v1/placements/" + pl, at, expect=200,
         headers={"If-Match": "*"},
         json={"status": "ended", "end_reason": "other"})
    call("DELETE", base + "/consents/matching", at, expect=200)
    spare_org = new_org(api, ct)["id"]
    spare = new_offer(api, ct, org=spare_org)["id"]
    call("DELETE", "/v1/offers/" + spare, ct, expect=204)
    call("DELETE", "/v1/organizations/" + spare_org, ct, expect=204)

    # Connecting Women.
    mentor, m = active_mentor(api, admin, coord, ERFURT)
    call("GET", "/v1/mentors", ct, expect=200)
    call("GET", "/v1/mentors/" + m["id"], ct, expect=200)
    call("PATCH", "/v1/mentors/" + m["id"], ct, expect=200,
         headers={"If-Match": "*"}, json={"capacity": 3})
    mentee = new_mentee(api, at)["id"]
    mp = "/v1/participants/%s/mentee-profile" % mentee
    call("GET", mp, at, expect=200)
    call("PATCH", mp, at, expect=200, headers={"If-Match": "*"},
         json={"german_level": "b2"})
    call("GET", "/v1/tandems", at, expect=200)
    t = form_tandem(api, at, m["id"], mentee)
    call("GET", "/v1/tandems/" + t["id"], at, expect=200)
    x = meet(api, mentor.token, t)
    call("GET", "/v1/tandems/%s/meetings" % t["id"], at, expect=200)
    call("GET", "/v1/tandems/%s/meetings/%s" % (t["id"], x["id"]), at,
         expect=200)
    call("PATCH", "/v1/tandems/" + t["id"], at, expect=200,
         headers={"If-Match": "*"}, json={"planned_months": 7})
    call("GET", "/v1/events", ct, expect=200)
    e = new_event(api, ct)["id"]
    call("GET", "/v1/events/" + e, ct, expect=200)
    call("PATCH", "/v1/events/" + e, ct, expect=200,
         headers={"If-Match": "*"}, json={"capacity": 30})
    reg = register(api, mentor.token, e)["id"]
    call("GET", "/v1/events/%s/registrations" % e, ct, expect=200)
    call("GET", "/v1/events/%s/registrations/%s" % (e, reg), ct, expect=200)
    call("DELETE", "/v1/events/%s/registrations/%s" % (e, reg), ct,
         expect=204)
    call("GET", "/v1/reports/women", ct, expect=200)

    # Still alive: the same worker answers, and none died.
    call("GET", "/readyz", expect=200)
    log = stack.kore_log()
    assert "distinct queries" not in log, [
        l for l in log.splitlines() if "distinct queries" in l]
    assert log.count("exited with status") == deaths, \
        [l for l in log.splitlines() if "exited with status" in l]
