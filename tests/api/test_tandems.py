"""Tandems (/v1/tandems) and their meetings through HTTP: a tandem's
life with its meetings and private notes, its end with an outcome and what
the report counts of it; the rules of a tandem and of a meeting; an
idempotent tandem; under concurrency a mentor's capacity, one active
tandem per mentee and a tandem that ends once; and lists (meetings,
tandems, an event's registrations) that page without gaps or repeats.

Every answer is also validated against openapi/openapi.yaml by the `api`
client (conftest.py); the races validate theirs with `spec`."""

import datetime
import uuid

import pytest

from partners_util import walk
from women_util import (ERFURT, GOTHA, Caller, active_mentor, audit_rows,
                        bearer, end_tandem, errors_of, form_tandem, grant,
                        hdr, listed, meet, mentor_account, mentor_of,
                        merge_patch, new_event, new_mentee, new_participant,
                        problem, race, read, register, report, report_of,
                        today_dates, unique, women_callers)

SHARED_MENTEE_FIELDS = {"id", "display_name", "languages",
                        "target_occupational_field", "german_level", "goals"}


@pytest.fixture(scope="module")
def who(api):
    return women_callers(api)


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


# ------------------------------------------------------------ lists

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
