"""Shared helpers of the Connecting Women tests (test_mentors.py,
test_mentee_profiles.py, test_tandems.py, test_events.py,
test_reports.py, test_women_*.py, ...): mentor accounts and profiles,
mentees (female participants with a mentee profile), tandems, meetings,
events and registrations, all made through the API the way a client
would. Nothing here depends on demo data for Connecting Women
(db/demo/0004_women.sql may or may not exist)."""

import datetime
import json
import threading

import requests

from partners_util import (DEMO_PASSWORD, ERFURT, GOTHA, Caller, bearer,
                           demo_callers, grant, hdr, new_participant, read,
                           today_dates, unique, walk)

__all__ = ["ERFURT", "GOTHA", "SEAT", "Caller", "mentor_body",
           "mentor_account", "apply_mentor", "active_mentor",
           "applied_mentor", "mentee_body", "new_mentee", "put_profile",
           "form_tandem", "end_tandem", "meet", "new_event", "register",
           "mentor_of", "report", "report_of", "merge_patch", "problem",
           "errors_of", "today_dates", "DEMO_PASSWORD", "hdr", "read",
           "bearer", "unique", "grant", "new_participant", "race",
           "women_callers", "audit_rows", "listed"]

SEAT = {ERFURT: "99084", GOTHA: "99867"}


def women_callers(api):
    """The demo accounts of Erfurt but its mentor (and Gotha's staff)."""
    return demo_callers(api, ("state_admin", "coordinator", "assistant",
                              "organization", "participant"))


def audit_rows(stack, request_id):
    return stack.sql(
        "SELECT actor, actor_role, action, entity, entity_id, district_id"
        " FROM ch.audit_log WHERE request_id = %s ORDER BY id",
        (request_id,))


def listed(api, token, path, params=None):
    items, _ = walk(api, token, path, params, limit=100)
    return [x["id"] for x in items]


def problem(r, status, kind=None):
    """Asserts a problem answer of this status (and type) and returns it."""
    assert r.status_code == status, (r.request.method, r.request.url,
                                     r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status
    if kind:
        assert body["type"] == "urn:ch:problem:" + kind, body
    return body


def errors_of(body):
    return {(e["field"], e["code"]) for e in body.get("errors") or []}


def merge_patch(api, token, path, body, etag="*", expect=200):
    h = hdr(token)
    if etag is not None:
        h["If-Match"] = etag
    h["Content-Type"] = "application/merge-patch+json"
    r = api.request("PATCH", path, headers=h, data=json.dumps(body))
    assert r.status_code == expect, (path, r.status_code, r.text)
    return r


# ------------------------------------------------------------ mentors

def mentor_body(**fields):
    body = {"display_name": unique("Mentorin"),
            "employer_sector": "public_administration",
            "occupational_field": "7321",
            "support_areas": ["job_search", "recognition"],
            "languages": [{"code": "de", "level": "native"},
                          {"code": "en", "level": "b2"}],
            "capacity": 2, "availability": {"wed": ["evening"]},
            "online_ok": True}
    body.update(fields)
    return body


def mentor_account(api, creator, district):
    """A new mentor account (POST /v1/users by the state admin or a
    coordinator, a Caller); it signs in only when its token is used."""
    email = unique("mentor") + "@women.example"
    body = {"email": email, "password": DEMO_PASSWORD, "role": "mentor",
            "district_id": district}
    r = api.request("POST", "/v1/users", headers=bearer(creator.token),
                    json=body)
    assert r.status_code == 201, r.text
    return Caller(api, email, "mentor", district, r.json()["id"])


def apply_mentor(api, mentor, expect=201, **fields):
    """The mentor applies for herself."""
    r = api.request("POST", "/v1/mentors", headers=bearer(mentor.token),
                    json=mentor_body(**fields))
    assert r.status_code == expect, r.text
    return r.json()


def active_mentor(api, admin, coordinator, district, **fields):
    """A mentor account and an approved profile entered by the district's
    coordinator at once: (Caller, profile)."""
    acct = mentor_account(api, admin, district)
    r = api.request("POST", "/v1/mentors", headers=bearer(coordinator.token),
                    json=mentor_body(user_id=acct.id, status="active",
                                     **fields))
    assert r.status_code == 201, r.text
    m = r.json()
    assert (m["status"], m["district_id"], m["user_id"]) == \
        ("active", district, acct.id)
    assert m["approved_at"] is not None
    return acct, m


def applied_mentor(api, admin, coordinator, district, **fields):
    """A profile the coordinator entered without approving it."""
    acct = mentor_account(api, admin, district)
    r = api.request("POST", "/v1/mentors", headers=bearer(coordinator.token),
                    json=mentor_body(user_id=acct.id, **fields))
    assert r.status_code == 201, r.text
    m = r.json()
    assert (m["status"], m["approved_at"]) == ("applied", None)
    return acct, m


def mentor_of(api, token, mentor_id, expect=200):
    return read(api, token, "/v1/mentors/" + mentor_id, expect=expect)


# ------------------------------------------------------------ mentees

def mentee_body(**fields):
    body = {"target_occupational_field": "8311",
            "highest_qualification": "Bachelor Pädagogik (Ukraine)",
            "qualification_level": "dqr6", "recognition_status": "pending",
            "german_level": "b1", "goals": ["recognition", "job_search"],
            "work_permit": "allowed", "availability": {"tue": ["morning"]}}
    body.update(fields)
    return body


def put_profile(api, token, pid, expect=201, etag=None, **fields):
    h = hdr(token)
    if etag is not None:
        h["If-Match"] = etag
    r = api.request("PUT", "/v1/participants/%s/mentee-profile" % pid,
                    headers=h, json=mentee_body(**fields))
    assert r.status_code == expect, (pid, r.status_code, r.text)
    return r


def new_mentee(api, assistant_token, consent=True, **fields):
    """A woman registered by an assistant, with consent to matching and a
    mentee profile."""
    fields.setdefault("display_name", unique("Mentee"))
    p = new_participant(api, assistant_token, **fields)
    if consent:
        grant(api, assistant_token, p["id"], "matching")
    put_profile(api, assistant_token, p["id"])
    return p


# ------------------------------------------------------------ tandems

def form_tandem(api, token, mentor_id, pid, expect=201, **fields):
    r = api.request("POST", "/v1/tandems", headers=bearer(token),
                    json={"mentor_id": mentor_id, "participant_id": pid,
                          **fields})
    assert r.status_code == expect, r.text
    return r.json()


def end_tandem(api, token, tid, body, expect=200):
    return merge_patch(api, token, "/v1/tandems/" + tid, body,
                       expect=expect).json()


def meet(api, token, tandem, expect=201, **fields):
    body = {"held_on": tandem["started_on"], "duration_minutes": 60,
            "format": "in_person", "topics": ["application_documents"],
            "notes": unique("Notiz")}
    body.update(fields)
    r = api.request("POST", "/v1/tandems/%s/meetings" % tandem["id"],
                    headers=bearer(token), json=body)
    assert r.status_code == expect, r.text
    return r.json()


# ------------------------------------------------------------ events

def new_event(api, coordinator_token, capacity=25, expect=201, **fields):
    start = datetime.datetime.now(datetime.timezone.utc).replace(
        microsecond=0) + datetime.timedelta(days=30)
    body = {"kind": "network_meeting", "title": unique("Frauennetzwerk"),
            "online": True, "starts_at": start.isoformat(),
            "ends_at": (start + datetime.timedelta(hours=2)).isoformat(),
            "capacity": capacity}
    body.update(fields)
    r = api.request("POST", "/v1/events", headers=bearer(coordinator_token),
                    json=body)
    assert r.status_code == expect, r.text
    return r.json()


def register(api, token, event_id, expect=201):
    r = api.request("POST", "/v1/events/%s/registrations" % event_id,
                    headers=bearer(token), json={})
    assert r.status_code == expect, r.text
    return r.json()


# ------------------------------------------------------------ reports

def report(api, token, expect=200):
    return read(api, token, "/v1/reports/women", expect=expect).json()


def report_of(body, district):
    rows = [d for d in body["districts"] if d["district_id"] == district]
    assert len(rows) == 1, body
    return rows[0]


# ------------------------------------------------------------ races

def race(api, spec, calls, timeout=90, if_match=None):
    """Sends every call (method, path, token, json body or None) at once,
    each on its own connection, released together by a barrier; returns
    the answers in the order of calls, each validated against the
    contract."""
    start = threading.Barrier(len(calls))
    answers = [None] * len(calls)

    def attempt(i):
        method, path, token, body = calls[i]
        with requests.Session() as http:
            kw = {"headers": bearer(token), "timeout": 60}
            if if_match is not None:
                kw["headers"]["If-Match"] = if_match
            if body is not None:
                kw["json"] = body
            start.wait(timeout=60)
            answers[i] = http.request(method, api.base + path, **kw)

    threads = [threading.Thread(target=attempt, args=(i,))
               for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert all(a is not None for a in answers), "a request did not finish"
    for a in answers:
        assert a.status_code < 500, (a.status_code, a.text)
        spec.validate(a.request.method, a)
    return answers
