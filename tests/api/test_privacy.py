"""Privacy (the `privacy` tag of openapi/openapi.yaml) on the shared test
stack: who may call each route, the export of a person and of one's own
account, erasure requests filed and cancelled within their grace period,
hostile requests, the retention schedule's refusals, and the audit log.

What this module must not do on the shared stack, and never does: let an
erasure be carried out (every request it files is cancelled again, and a
finalizer cancels any that a failing test left pending), confirm a
retention schedule (the shared worker pool would then delete other tests'
data), or move the privacy clock. Carrying out erasures and retention runs
is test_privacy_lifecycle.py's, on a private stack.

Every answer is also validated against the contract by the `api` client
(conftest.py)."""

import datetime
import json
import os
import time
from urllib.parse import urlencode

import pytest
import requests

from authutil import AUDIENCE, b64url, bearer, sign_es256
from conftest import EXT_ISSUER
from matching_util import suggest
from partners_util import (DEMO_ORG, ERFURT, GOTHA, Caller, demo_callers,
                           grant, hdr, new_offer, new_participant, patch,
                           place, read, unique, walk)
from women_util import (active_mentor, form_tandem, meet, new_event,
                        new_mentee, problem, register)

NOWHERE = "0b6f3c1e-5d7a-4b8e-9f0a-2c4d6e8f1a3b"   # a uuid nothing has
ROLE_REFUSED = "Your role does not allow this."
GRACE_DAYS = 14                                     # the default
# The export's records, in the order the contract gives.
EXPORT_ORDER = ["account", "session", "participant", "contact", "consent",
                "mentee_profile", "mentor", "placement", "tandem", "meeting",
                "proposal", "registration", "erasure_request", "recipient"]
RULES = ["closed_participants", "meeting_notes", "unanswered_proposals",
         "matching_jobs", "sessions", "signin_throttles",
         "idempotency_replays", "erasure_requests", "audit_entries"]


def at(s):
    return datetime.datetime.fromisoformat(s)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


# ------------------------------------------------------------ the world

# Every participant and account this module files erasures about: the
# finalizer cancels whatever of theirs is still pending.
SUBJECTS = set()


@pytest.fixture(scope="module", autouse=True)
def nothing_left_pending(api, stack):
    yield
    admin = Caller.demo(api, "state_admin")
    left = stack.sql("SELECT id::text, coalesce(participant_id::text, ''),"
                     " coalesce(user_id::text, '') FROM ch.erasure_request"
                     " WHERE status = 'pending'")
    mine = [r[0] for r in left if r[1] in SUBJECTS or r[2] in SUBJECTS]
    for rid in mine:
        api.request("POST", "/v1/erasure-requests/%s/cancel" % rid,
                    headers=bearer(admin.token), json={})
    assert not mine, "erasure requests left pending: %s" % mine


class Person:
    """A participant of Erfurt with everything a person can have here."""


def equipped(api, w, proposals=False):
    """A woman registered by the assistant, with contact details, three
    consents, a mentee profile, her own account, an active placement with
    the demo organisation (which read her contact details through it), an
    active tandem with a new mentor and a meeting with notes, and an event
    registration; proposals of a suggest job if asked."""
    admin, coord, asst, org = (w["state_admin"], w["coordinator"],
                               w["assistant"], w["organization"])
    p = Person()
    p.body = new_mentee(api, asst.token)           # matching, profile
    p.id = p.body["id"]
    p.consents = [c["id"] for c in walk(
        api, asst.token, "/v1/participants/%s/consents" % p.id)[0]]
    for purpose in ("share_contact_with_partner", "statistics"):
        p.consents.append(grant(api, asst.token, p.id, purpose).json()["id"])
    p.email = unique("mail") + "@mail.example"
    r = patch(api, asst.token, "/v1/participants/%s/contact" % p.id,
              {"email": p.email, "phone": "+49 361 555123"})
    assert r.status_code == 200, r.text
    p.offer = new_offer(api, org.token)
    p.placement = place(api, asst.token, p.id, p.offer["id"]).json()
    # The organisation reads her contact details through the placement.
    seen = read(api, org.token, "/v1/placements/" + p.placement["id"]).json()
    assert seen["participant"]["contact"]["email"] == p.email
    p.me = Caller.new(api, admin, "participant", ERFURT, participant_id=p.id)
    p.mentor, p.profile = active_mentor(api, admin, coord, ERFURT)
    p.tandem = form_tandem(api, coord.token, p.profile["id"], p.id)
    p.meeting = meet(api, p.mentor.token, p.tandem)
    p.event = new_event(api, coord.token)
    p.registration = register(api, p.me.token, p.event["id"])
    p.proposals = []
    if proposals:
        _, props = suggest(api, coord, p.id)
        p.proposals = [x["id"] for x in props]
    SUBJECTS.update({p.id, p.me.id, p.mentor.id})
    return p


@pytest.fixture(scope="module")
def w(api):
    """The demo accounts of Erfurt, Gotha's staff."""
    return demo_callers(api)


@pytest.fixture(scope="module")
def her(api, w):
    return equipped(api, w, proposals=True)


def erase(api, caller, path, body=None, expect=202, **headers):
    r = api.request("POST", path, headers=hdr(caller.token, **headers),
                    json={} if body is None else body)
    assert r.status_code == expect, (path, r.status_code, r.text)
    if expect == 202:
        e = r.json()
        assert r.headers["Location"] == "/v1/erasure-requests/" + e["id"]
        assert r.headers["ETag"] == '"%d"' % e["version"]
        SUBJECTS.update(x for x in (e["participant_id"], e["user_id"]) if x)
    return r


def cancel(api, caller, rid, expect=200, **headers):
    r = api.request("POST", "/v1/erasure-requests/%s/cancel" % rid,
                    headers=hdr(caller.token, **headers), json={})
    assert r.status_code == expect, (rid, r.status_code, r.text)
    return r


def grace(api, w):
    return read(api, w["state_admin"].token,
                "/v1/admin/retention").json()["erasure_grace_days"]


def check_filed(e, grace_days, **fields):
    """A pending request as filed just now, due after the grace period."""
    for k, v in fields.items():
        assert e[k] == v, (k, e)
    assert e["status"] == "pending"
    assert (e["cancelled_at"], e["cancelled_by"], e["cancelled_by_role"],
            e["done_at"], e["erased"]) == (None, None, None, None, None)
    requested = at(e["requested_at"])
    assert abs(requested - now()) < datetime.timedelta(minutes=5), e
    assert at(e["due_at"]) - requested == \
        datetime.timedelta(days=grace_days), e


def export(api, token, path, limit=100):
    """Every record of an export and the number of pages."""
    return walk(api, token, path, limit=limit)


def key(item):
    """What identifies an export record across pages."""
    d = item["data"]
    if item["type"] == "recipient":
        return ("recipient", d["kind"], d.get("account_id"),
                d.get("organization_id"))
    return (item["type"], d.get("id") or d.get("participant_id"))


def of_type(items, kind):
    return [x["data"] for x in items if x["type"] == kind]


def audit(api, token, **params):
    items, _ = walk(api, token, "/v1/audit", params, limit=100)
    return items


# ------------------------------------------------------------ who may call

ROUTES = [
    ("GET", "/v1/participants/{P}/export"),
    ("POST", "/v1/participants/{P}/erasure"),
    ("GET", "/v1/me/export"),
    ("POST", "/v1/me/erasure"),
    ("POST", "/v1/users/{M}/erasure"),
    ("GET", "/v1/erasure-requests"),
    ("GET", "/v1/erasure-requests/{R}"),
    ("POST", "/v1/erasure-requests/{R}/cancel"),
    ("GET", "/v1/admin/retention"),
    ("PUT", "/v1/admin/retention"),
    ("POST", "/v1/admin/retention/confirm"),
    ("POST", "/v1/admin/retention/runs"),
    ("GET", "/v1/audit"),
]

# The callers: the demo staff and organisation user of Erfurt, the
# person's own tandem mentor and the person herself, another participant
# (the demo one), and Gotha's staff.
CALLERS = ["admin", "coord", "asst", "org", "mentor", "self", "other",
           "gcoord", "gasst"]

# Expected status per route and caller, in the order of CALLERS; None:
# not called in the matrix (the allowed write is walked by the erasure and
# retention tests below). Route-level refusals (a role outside x-roles)
# are 403; an allowed role that may not see the person or the request is
# 404. The contract's x-roles of GET /v1/participants/{id}/export leave
# out the state admin, organisations and mentors: 403, not 404.
MATRIX = {
    "GET /v1/participants/{P}/export":
        (403, 200, 200, 403, 403, 200, 404, 404, 404),
    "POST /v1/participants/{P}/erasure":
        (403, None, 403, 403, 403, None, 404, 404, 403),
    "GET /v1/me/export":
        (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "POST /v1/me/erasure":
        (403, 403, 403, None, None, None, None, 403, 403),
    "POST /v1/users/{M}/erasure":
        (None, None, 403, 403, 403, 403, 403, 404, 403),
    "GET /v1/erasure-requests":
        (200, 200, 403, 403, 403, 403, 403, 200, 403),
    "GET /v1/erasure-requests/{R}":
        (200, 200, 200, 404, 404, 200, 404, 404, 404),
    # The state admin cancels it last, below.
    "POST /v1/erasure-requests/{R}/cancel":
        (None, None, 403, 404, 404, None, 404, 404, 403),
    "GET /v1/admin/retention":
        (200, 403, 403, 403, 403, 403, 403, 403, 403),
    "PUT /v1/admin/retention":
        (None, 403, 403, 403, 403, 403, 403, 403, 403),
    "POST /v1/admin/retention/confirm":
        (None, 403, 403, 403, 403, 403, 403, 403, 403),
    "POST /v1/admin/retention/runs":
        (None, 403, 403, 403, 403, 403, 403, 403, 403),
    "GET /v1/audit":
        (200, 200, 403, 403, 403, 403, 403, 200, 403),
}

PROBLEM_TYPE = {403: "forbidden", 404: "not-found"}


def fill(path, person, mentor, request):
    return path.replace("{P}", person).replace("{M}", mentor) \
        .replace("{R}", request)


def body_for(method, path):
    if method == "GET":
        return None
    if path.endswith("/confirm"):
        return {"schedule_version": 999999}
    return {}


@pytest.mark.parametrize("method,path", ROUTES,
                         ids=["%s %s" % r for r in ROUTES])
def test_no_token_is_401(api, method, path):
    r = api.request(method, fill(path, NOWHERE, NOWHERE, NOWHERE),
                    json=body_for(method, path))
    problem(r, 401, "unauthenticated")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_role_gets_what_the_contract_promises(api, stack, w, her):
    callers = {"admin": w["state_admin"], "coord": w["coordinator"],
               "asst": w["assistant"], "org": w["organization"],
               "mentor": her.mentor, "self": her.me,
               "other": w["participant"], "gcoord": w["gotha_coordinator"],
               "gasst": w["gotha_assistant"]}
    assert set(callers) == set(CALLERS)
    assert set(MATRIX) == {"%s %s" % r for r in ROUTES}
    # A pending request about her, for the routes of one request.
    e = erase(api, callers["coord"], "/v1/participants/%s/erasure"
              % her.id).json()
    before = stack.sql("SELECT id, status, version FROM ch.erasure_request"
                       " ORDER BY id")
    schedule = stack.sql("SELECT row(s.*)::text FROM ch.retention_schedule"
                         " s")
    wrong = []
    try:
        for route, statuses in MATRIX.items():
            method, path = route.split(" ", 1)
            for name, want in zip(CALLERS, statuses):
                if want is None:
                    continue
                r = api.request(method, fill(path, her.id, her.mentor.id,
                                             e["id"]),
                                headers=bearer(callers[name].token),
                                json=body_for(method, path))
                if r.status_code != want:
                    wrong.append((route, name, want, r.status_code, r.text))
                    continue
                if want in PROBLEM_TYPE:
                    problem(r, want, PROBLEM_TYPE[want])
                # Every refusal here is the route table's.
                if want == 403:
                    assert r.json()["detail"] == ROLE_REFUSED, (route, name)
        assert not wrong, "\n".join(map(str, wrong))
        # Nothing was filed, cancelled or changed by the refusals.
        assert stack.sql("SELECT id, status, version FROM ch.erasure_request"
                         " ORDER BY id") == before
        assert stack.sql("SELECT row(s.*)::text FROM ch.retention_schedule"
                         " s") == schedule
    finally:
        c = cancel(api, callers["admin"], e["id"]).json()
    assert (c["status"], c["cancelled_by"], c["cancelled_by_role"]) == \
        ("cancelled", callers["admin"].id, "state_admin")


# ------------------------------------------------------------ export

def test_staff_export_has_every_record_without_notes(api, w, her):
    coord = w["coordinator"]
    items, _ = export(api, coord.token, "/v1/participants/%s/export"
                      % her.id)
    types = [x["type"] for x in items]
    # The fixed order, each type in one run.
    assert types == sorted(types, key=EXPORT_ORDER.index), types
    assert {"account", "session", "participant", "contact", "consent",
            "mentee_profile", "placement", "tandem", "meeting", "proposal",
            "registration", "recipient"} <= set(types), types
    assert "mentor" not in types
    assert [a["id"] for a in of_type(items, "account")] == [her.me.id]
    assert all(s["revoked_at"] is None for s in of_type(items, "session"))
    assert [p["id"] for p in of_type(items, "participant")] == [her.id]
    (contact,) = of_type(items, "contact")
    assert (contact["participant_id"], contact["email"]) == (her.id,
                                                             her.email)
    assert sorted(c["id"] for c in of_type(items, "consent")) == \
        sorted(her.consents)
    assert {c["participant_id"] for c in of_type(items, "consent")} == \
        {her.id}
    assert [m["participant_id"] for m in of_type(items, "mentee_profile")] \
        == [her.id]
    assert [p["id"] for p in of_type(items, "placement")] == \
        [her.placement["id"]]
    assert [t["id"] for t in of_type(items, "tandem")] == [her.tandem["id"]]
    (meeting,) = of_type(items, "meeting")
    assert meeting["id"] == her.meeting["id"]
    assert "notes" not in meeting, "staff got the meeting notes"
    assert her.proposals, "the suggest job proposed nothing"
    assert sorted(x["id"] for x in of_type(items, "proposal")) == \
        sorted(her.proposals)
    assert [x["id"] for x in of_type(items, "registration")] == \
        [her.registration["id"]]

    # The records are what the API's own routes answer the same caller.
    for path, kind in (("/v1/participants/" + her.id, "participant"),
                       ("/v1/tandems/" + her.tandem["id"], "tandem"),
                       ("/v1/tandems/%s/meetings/%s" % (
                           her.tandem["id"], her.meeting["id"]), "meeting"),
                       ("/v1/placements/" + her.placement["id"],
                        "placement")):
        assert read(api, coord.token, path).json() == \
            of_type(items, kind)[0], kind

    # Who received her data: the assistant and the organisation's user
    # read her contact details, the organisation got her placement.
    accounts = {r["account_id"]: r for r in of_type(items, "recipient")
                if r["kind"] == "account"}
    asst, org = w["assistant"], w["organization"]
    assert "contact.read" in accounts[asst.id]["actions"]
    assert accounts[asst.id]["role"] == "assistant"
    assert "contact.read" in accounts[org.id]["actions"]
    assert (accounts[org.id]["role"], accounts[org.id]["organization_id"]) \
        == ("organization", DEMO_ORG)
    assert her.me.id not in accounts, "she is no recipient of her data"
    orgs = [r for r in of_type(items, "recipient")
            if r["kind"] == "organization"]
    assert [(r["organization_id"], r["via"]) for r in orgs] == \
        [(DEMO_ORG, ["placement"])]
    for r in of_type(items, "recipient"):
        assert r["count"] >= 1 and r["first_at"] <= r["last_at"]

    # The assistant of her district gets her export too, also without
    # notes.
    items, _ = export(api, asst.token, "/v1/participants/%s/export" % her.id)
    assert [m for m in of_type(items, "meeting") if "notes" in m] == []
    assert [p["id"] for p in of_type(items, "participant")] == [her.id]


def test_her_own_export_has_her_meeting_notes(api, w, her):
    for path in ("/v1/participants/%s/export" % her.id, "/v1/me/export"):
        items, _ = export(api, her.me.token, path)
        (meeting,) = of_type(items, "meeting")
        assert (meeting["id"], meeting["notes"]) == \
            (her.meeting["id"], her.meeting["notes"]), path
        assert [p["id"] for p in of_type(items, "participant")] == [her.id]
        assert [a["id"] for a in of_type(items, "account")] == [her.me.id]
        (contact,) = of_type(items, "contact")
        assert contact["email"] == her.email
        assert [x["id"] for x in of_type(items, "registration")] == \
            [her.registration["id"]]
        assert [t["id"] for t in of_type(items, "tandem")] == \
            [her.tandem["id"]]


def test_export_pages_walk_the_same_records_and_each_is_audited(api, w, her):
    coord = w["coordinator"]
    path = "/v1/participants/%s/export" % her.id
    whole, pages = export(api, coord.token, path, limit=100)
    assert pages == 1
    seen = audit(api, coord.token, person=her.id,
                 action="participant.exported", account=coord.id)
    paged, pages = export(api, coord.token, path, limit=2)
    assert pages == (len(paged) + 1) // 2 >= 8
    keys = [key(x) for x in paged]
    assert len(set(keys)) == len(keys), "a record came twice"
    assert keys == [key(x) for x in whole]
    # The order again, and once more unchanged.
    again, _ = export(api, coord.token, path, limit=7)
    assert [key(x) for x in again] == keys

    after = audit(api, coord.token, person=her.id,
                  action="participant.exported", account=coord.id)
    new = [a for a in after if a["id"] not in {b["id"] for b in seen}]
    assert len(new) == pages + (len(again) + 6) // 7
    for a in new:
        assert (a["actor"], a["actor_role"], a["entity"], a["entity_id"],
                a["district_id"]) == (coord.id, "coordinator", "participant",
                                      her.id, ERFURT)
    # Oldest first: the first page of each walk, then its next pages.
    flags = [a["detail"]["page"] for a in sorted(new, key=lambda a: a["id"])]
    assert flags == [False] + [True] * (pages - 1) + \
        [False] + [True] * ((len(again) + 6) // 7 - 1)


def test_own_export_of_staff_mentor_and_organisation(api, w, her):
    coord, org, mentor = w["coordinator"], w["organization"], her.mentor
    items, _ = export(api, coord.token, "/v1/me/export")
    assert [a["id"] for a in of_type(items, "account")] == [coord.id]
    assert of_type(items, "session")
    assert not {"participant", "contact", "meeting"} & \
        {x["type"] for x in items}

    items, _ = export(api, org.token, "/v1/me/export")
    assert [(a["id"], a["organization_id"])
            for a in of_type(items, "account")] == [(org.id, DEMO_ORG)]
    assert not {"participant", "contact", "placement"} & \
        {x["type"] for x in items}

    items, _ = export(api, mentor.token, "/v1/me/export")
    types = [x["type"] for x in items]
    assert types == sorted(types, key=EXPORT_ORDER.index), types
    assert [a["id"] for a in of_type(items, "account")] == [mentor.id]
    assert [m["id"] for m in of_type(items, "mentor")] == [her.profile["id"]]
    assert [t["id"] for t in of_type(items, "tandem")] == [her.tandem["id"]]
    (meeting,) = of_type(items, "meeting")
    assert meeting["notes"] == her.meeting["notes"]
    assert "participant" not in types and "contact" not in types

    # Each page of one's own export is recorded.
    mine = audit(api, coord.token, account=mentor.id,
                 action="account.exported")
    assert mine and all((a["entity"], a["entity_id"], a["district_id"]) ==
                        ("app_user", mentor.id, ERFURT) for a in mine)


def test_mentor_reading_notes_through_her_export_is_audited(api, w):
    """The contract's audit records every read of meeting notes
    (`meetings.read`), and reading them through GET /v1/tandems/{id}/
    meetings is one; the mentor's own export hands her the same notes of
    her mentee, so it must be recorded alike (and name her among the
    mentee's recipients)."""
    p = equipped(api, w)
    coord = w["coordinator"]
    assert audit(api, coord.token, person=p.id, action="meetings.read") == []
    items, _ = export(api, p.mentor.token, "/v1/me/export")
    assert [m["notes"] for m in of_type(items, "meeting")] == \
        [p.meeting["notes"]]
    reads = audit(api, coord.token, person=p.id, action="meetings.read")
    assert [(a["actor"], a["actor_role"]) for a in reads] == \
        [(p.mentor.id, "mentor")], \
        "the mentor's export read the notes unrecorded"
    items, _ = export(api, p.me.token, "/v1/me/export")
    # Her recipients name the mentor once, with the read (and what the
    # mentor did to her tandem: the meeting she recorded).
    mine = [r["actions"] for r in of_type(items, "recipient")
            if r.get("account_id") == p.mentor.id]
    assert len(mine) == 1 and "meetings.read" in mine[0], mine
    assert "meeting.created" in mine[0], mine


def external(stack, district, sub):
    """A coordinator signed in by the district's single sign-on: no
    account here."""
    t = int(time.time())
    return sign_es256({"alg": "ES256", "typ": "JWT"}, {
        "iss": EXT_ISSUER, "aud": AUDIENCE, "sub": sub,
        "ch_role": "Koordination", "ags": district, "iat": t,
        "exp": t + 600, "jti": b64url(os.urandom(16))}, stack.ext_key)


def test_external_sign_in_exports_people_but_has_no_own_export(api, stack,
                                                               her):
    sub = unique("sso")
    erfurt = external(stack, ERFURT, sub)
    problem(api.get("/v1/me/export", headers=bearer(erfurt)), 404,
            "not-found")
    problem(api.get("/v1/participants/%s/export" % her.id,
                    headers=bearer(external(stack, GOTHA, sub))), 404,
            "not-found")
    items, _ = export(api, erfurt, "/v1/participants/%s/export" % her.id)
    assert [p["id"] for p in of_type(items, "participant")] == [her.id]
    # She sees the sign-on's coordinator among the recipients, by the name
    # the audit gives it.
    mine, _ = export(api, her.me.token, "/v1/me/export")
    (rec,) = [r for r in of_type(mine, "recipient")
              if r["kind"] == "account" and sub in r["account_id"]]
    assert (rec["role"], rec["organization_id"], rec["actions"]) == \
        ("coordinator", None, ["participant.exported"])


# ------------------------------------------------------------ erasure

def snapshot(api, token, p):
    """What an erasure request must leave as it was."""
    base = "/v1/participants/" + p.id

    def unversioned(path):
        body = read(api, token, path).json()
        return {k: v for k, v in body.items()
                if k not in ("version", "updated_at", "erasure_due_at")}

    return {
        "participant": read(api, token, base).json(),
        "contact": read(api, token, base + "/contact").json(),
        "consents": walk(api, token, base + "/consents")[0],
        "mentee_profile": read(api, token, base + "/mentee-profile").json(),
        "placement": unversioned("/v1/placements/" + p.placement["id"]),
        "tandem": unversioned("/v1/tandems/" + p.tandem["id"]),
    }


def due_shown(api, p, who):
    """erasure_due_at of her placement and tandem, as each caller sees
    them: {(kind, caller role): value}."""
    shown = {}
    for c in who:
        if c.role in ("coordinator", "assistant", "organization",
                      "participant"):
            shown[("placement", c.role)] = read(
                api, c.token, "/v1/placements/" + p.placement["id"]).json()[
                    "erasure_due_at"]
        if c.role != "organization":
            shown[("tandem", c.role)] = read(
                api, c.token, "/v1/tandems/" + p.tandem["id"]).json()[
                    "erasure_due_at"]
    return shown


def test_erasure_request_and_cancel_by_her_coordinator(api, w):
    coord, asst, org = w["coordinator"], w["assistant"], w["organization"]
    p = equipped(api, w)
    days = grace(api, w)
    assert days == GRACE_DAYS
    before = snapshot(api, coord.token, p)
    path = "/v1/participants/%s/erasure" % p.id
    key_ = unique("erase")

    r = erase(api, coord, path, {"reason": "consent_withdrawn"},
              Idempotency_Key=key_)
    e = r.json()
    check_filed(e, days, subject="participant", participant_id=p.id,
                user_id=p.me.id, subject_role="participant",
                district_id=ERFURT, reason="consent_withdrawn",
                requested_by=coord.id, requested_by_role="coordinator")
    # A retry with the key replays; a second request is refused.
    again = erase(api, coord, path, {"reason": "consent_withdrawn"},
                  Idempotency_Key=key_)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == e
    problem(erase(api, coord, path, expect=409), 409)
    problem(erase(api, p.me, "/v1/me/erasure", expect=409), 409)
    # An assistant can neither file nor cancel.
    problem(erase(api, asst, path, expect=403), 403, "forbidden")
    problem(cancel(api, asst, e["id"], expect=403), 403, "forbidden")

    # Meanwhile her placement and tandem show the due time to staff and
    # to their other side.
    viewers = [coord, asst, org, p.mentor, p.me]
    assert set(due_shown(api, p, viewers).values()) == {e["due_at"]}
    # The request: her district's staff, the state admin and she.
    for c in (coord, asst, w["state_admin"], p.me):
        assert read(api, c.token, "/v1/erasure-requests/" + e["id"]).json() \
            == e
    listed = walk(api, coord.token, "/v1/erasure-requests")[0]
    assert e["id"] in [x["id"] for x in listed]
    assert {x["district_id"] for x in listed} == {ERFURT}
    assert e["id"] in [x["id"] for x in walk(
        api, coord.token, "/v1/erasure-requests", {"status": "pending"})[0]]
    assert walk(api, coord.token, "/v1/erasure-requests",
                {"district_id": GOTHA})[0] == []
    assert e["id"] not in [x["id"] for x in walk(
        api, w["gotha_coordinator"].token, "/v1/erasure-requests")[0]]
    assert e["id"] not in [x["id"] for x in walk(
        api, w["state_admin"].token, "/v1/erasure-requests",
        {"district_id": GOTHA})[0]]
    assert e["id"] not in [x["id"] for x in walk(
        api, coord.token, "/v1/erasure-requests", {"status": "cancelled"})[0]]

    ckey = unique("cancel")
    r = cancel(api, coord, e["id"], Idempotency_Key=ckey)
    assert r.headers["ETag"] == '"%d"' % r.json()["version"]
    c = r.json()
    assert (c["id"], c["status"], c["cancelled_by"],
            c["cancelled_by_role"], c["due_at"], c["done_at"]) == \
        (e["id"], "cancelled", coord.id, "coordinator", e["due_at"], None)
    assert at(c["cancelled_at"]) < at(c["due_at"])
    replay = cancel(api, coord, e["id"], Idempotency_Key=ckey)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == c
    problem(cancel(api, coord, e["id"], expect=409), 409)
    problem(cancel(api, w["state_admin"], e["id"], expect=409), 409)
    assert read(api, coord.token, "/v1/erasure-requests/" + e["id"]).json() \
        == c

    # Nothing was lost, and the due time is gone again.
    assert set(due_shown(api, p, viewers).values()) == {None}
    assert snapshot(api, coord.token, p) == before
    # The request stays in her export, cancelled.
    items, _ = export(api, coord.token, "/v1/participants/%s/export" % p.id)
    assert [(x["id"], x["status"]) for x in of_type(items,
                                                    "erasure_request")] == \
        [(e["id"], "cancelled")]
    # Both steps are in the audit of her district.
    acts = {(a["action"], a["entity_id"]) for a in audit(
        api, coord.token, account=coord.id, since=e["requested_at"])}
    assert {("erasure.requested", e["id"]),
            ("erasure.cancelled", e["id"])} <= acts


def test_she_requests_and_cancels_her_own_erasure(api, w):
    coord = w["coordinator"]
    p = equipped(api, w)
    days = grace(api, w)
    before = snapshot(api, coord.token, p)
    for path, canceller in (("/v1/participants/%s/erasure" % p.id, p.me),
                            ("/v1/me/erasure", coord)):
        e = erase(api, p.me, path).json()
        check_filed(e, days, subject="participant", participant_id=p.id,
                    user_id=p.me.id, reason="subject_request",
                    requested_by=p.me.id, requested_by_role="participant")
        problem(erase(api, p.me, "/v1/me/erasure", expect=409), 409)
        problem(erase(api, coord, "/v1/participants/%s/erasure" % p.id,
                      expect=409), 409)
        assert read(api, p.me.token, "/v1/erasure-requests/" + e["id"]) \
            .json() == e
        assert read(api, p.me.token, "/v1/tandems/" + p.tandem["id"]) \
            .json()["erasure_due_at"] == e["due_at"]
        # Someone else's request is not hers to see or cancel.
        other = w["participant"]
        problem(read(api, other.token, "/v1/erasure-requests/" + e["id"],
                     expect=404), 404)
        problem(cancel(api, other, e["id"], expect=404), 404)
        c = cancel(api, canceller, e["id"]).json()
        assert (c["status"], c["cancelled_by"], c["cancelled_by_role"]) == \
            ("cancelled", canceller.id, canceller.role)
    assert snapshot(api, coord.token, p) == before
    assert read(api, p.mentor.token, "/v1/tandems/" + p.tandem["id"]) \
        .json()["erasure_due_at"] is None


def test_account_erasure_requests(api, w):
    admin, coord, gcoord = (w["state_admin"], w["coordinator"],
                            w["gotha_coordinator"])
    p = equipped(api, w)
    days = grace(api, w)

    # A mentor's account, by her coordinator: her active tandem shows it
    # to the mentee; the mentor cancels it herself.
    e = erase(api, coord, "/v1/users/%s/erasure" % p.mentor.id,
              {"reason": "no_longer_needed"}).json()
    check_filed(e, days, subject="account", participant_id=None,
                user_id=p.mentor.id, subject_role="mentor",
                district_id=ERFURT, reason="no_longer_needed",
                requested_by=coord.id, requested_by_role="coordinator")
    problem(erase(api, coord, "/v1/users/%s/erasure" % p.mentor.id,
                  expect=409), 409)
    problem(erase(api, p.mentor, "/v1/me/erasure", expect=409), 409)
    for c in (p.me, coord, p.mentor):
        assert read(api, c.token, "/v1/tandems/" + p.tandem["id"]).json()[
            "erasure_due_at"] == e["due_at"]
    # Her placement is not the mentor's.
    assert read(api, coord.token, "/v1/placements/" + p.placement["id"]) \
        .json()["erasure_due_at"] is None
    assert read(api, p.mentor.token, "/v1/erasure-requests/" + e["id"]) \
        .json() == e
    problem(read(api, p.me.token, "/v1/erasure-requests/" + e["id"],
                 expect=404), 404)
    c = cancel(api, p.mentor, e["id"]).json()
    assert (c["status"], c["cancelled_by"], c["cancelled_by_role"]) == \
        ("cancelled", p.mentor.id, "mentor")
    assert read(api, p.me.token, "/v1/tandems/" + p.tandem["id"]).json()[
        "erasure_due_at"] is None

    # Staff accounts are disabled, not erased; a participant's account
    # goes with her record.
    for uid in (w["assistant"].id, coord.id):
        problem(erase(api, coord, "/v1/users/%s/erasure" % uid,
                      expect=409), 409)
    problem(erase(api, admin, "/v1/users/%s/erasure" % admin.id,
                  expect=409), 409)
    problem(erase(api, admin, "/v1/users/%s/erasure" % gcoord.id,
                  expect=409), 409)
    problem(erase(api, coord, "/v1/users/%s/erasure" % p.me.id,
                  expect=409), 409)
    # Another district's coordinator does not see these accounts.
    for uid in (p.mentor.id, w["organization"].id, w["assistant"].id,
                NOWHERE):
        problem(erase(api, gcoord, "/v1/users/%s/erasure" % uid,
                      expect=404), 404)

    # An organisation's user, by the state admin, who cancels it.
    user = Caller.new(api, admin, "organization", ERFURT,
                      organization_id=DEMO_ORG)
    SUBJECTS.add(user.id)
    e = erase(api, admin, "/v1/users/%s/erasure" % user.id).json()
    check_filed(e, days, subject="account", user_id=user.id,
                subject_role="organization", district_id=ERFURT,
                requested_by=admin.id, requested_by_role="state_admin",
                reason="subject_request")
    assert read(api, user.token, "/v1/erasure-requests/" + e["id"]) \
        .json()["status"] == "pending"
    assert cancel(api, admin, e["id"]).json()["status"] == "cancelled"


def test_own_account_erasure_of_mentor_and_organisation_user(api, w):
    admin, coord = w["state_admin"], w["coordinator"]
    days = grace(api, w)
    mentor, _ = active_mentor(api, admin, coord, ERFURT)
    user = Caller.new(api, admin, "organization", ERFURT,
                      organization_id=DEMO_ORG)
    SUBJECTS.update({mentor.id, user.id})
    for who, role, canceller in ((mentor, "mentor", mentor),
                                 (user, "organization", coord)):
        e = erase(api, who, "/v1/me/erasure",
                  {"reason": "subject_request"}).json()
        check_filed(e, days, subject="account", participant_id=None,
                    user_id=who.id, subject_role=role, district_id=ERFURT,
                    requested_by=who.id, requested_by_role=role)
        problem(erase(api, who, "/v1/me/erasure", expect=409), 409)
        assert e["id"] in [x["id"] for x in walk(
            api, coord.token, "/v1/erasure-requests", {"status": "pending"})[0]]
        # It shows in the account's own export.
        items, _ = export(api, who.token, "/v1/me/export")
        assert [x["id"] for x in of_type(items, "erasure_request")] == \
            [e["id"]]
        c = cancel(api, canceller, e["id"]).json()
        assert (c["status"], c["cancelled_by"]) == ("cancelled",
                                                   canceller.id)
        problem(cancel(api, who, e["id"], expect=409), 409)


def test_a_tandem_keeps_the_due_time_of_the_other_pending_erasure(api, w):
    """Mentee and mentor both asked for their erasure: the tandem ends
    with whichever comes first. Cancelling one of the two must leave the
    other's due time on the tandem (POST /v1/erasure-requests/{id}/cancel
    clears `erasure_due_at` of every tandem of the request's subject)."""
    coord = w["coordinator"]
    p = equipped(api, w)
    mentee = erase(api, p.me, "/v1/me/erasure").json()
    mentor = erase(api, p.mentor, "/v1/me/erasure").json()
    try:
        shown = read(api, coord.token, "/v1/tandems/" + p.tandem["id"]) \
            .json()["erasure_due_at"]
        assert shown in (mentee["due_at"], mentor["due_at"])
        cancel(api, p.me, mentee["id"])
        shown = read(api, coord.token, "/v1/tandems/" + p.tandem["id"]) \
            .json()["erasure_due_at"]
        assert shown == mentor["due_at"], \
            "the mentor's pending erasure vanished from the tandem"
    finally:
        for e in (mentee, mentor):
            r = api.request("POST", "/v1/erasure-requests/%s/cancel"
                            % e["id"], headers=bearer(coord.token), json={})
            assert r.status_code in (200, 409), r.text


# ------------------------------------------------------------ hostile

def fingerprint(stack):
    """The privacy tables and what an erasure request touches."""
    q = ("SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text),"
         " '')) FROM %s t")
    return {t: stack.sql(q % t)[0][0] for t in (
        "ch.erasure_request", "ch.retention_schedule", "ch.retention_run",
        "ch.placement", "ch.tandem", "ch.participant",
        "ch.participant_contact", "ch.consent")}


BIG = b'{"reason": "other", "x": "' + b"a" * 70000 + b'"}'

# (id, method, path, caller, body: dict, bytes or None, extra headers,
#  status, the field named in errors[] (or the fields) or None)
HOSTILE = [
    ("erasure unknown member", "POST", "/v1/participants/{P}/erasure",
     "coord", {"reason": "other", "x": 1}, {}, 422, "/x"),
    ("erasure reason not in the enum", "POST",
     "/v1/participants/{P}/erasure", "coord", {"reason": "because"}, {},
     422, "/reason"),
    ("erasure reason null", "POST", "/v1/participants/{P}/erasure", "coord",
     {"reason": None}, {}, 422, "/reason"),
    ("erasure reason a number", "POST", "/v1/participants/{P}/erasure",
     "coord", {"reason": 1}, {}, 422, "/reason"),
    ("erasure body an array", "POST", "/v1/participants/{P}/erasure",
     "coord", b"[]", {}, 400, None),
    ("erasure body not JSON", "POST", "/v1/participants/{P}/erasure",
     "coord", b"reason=other", {}, 400, None),
    ("erasure body empty", "POST", "/v1/participants/{P}/erasure", "coord",
     b"", {}, 400, None),
    ("erasure body text/plain", "POST", "/v1/participants/{P}/erasure",
     "coord", b"{}", {"Content-Type": "text/plain"}, 415, None),
    ("erasure duplicate member", "POST", "/v1/participants/{P}/erasure",
     "coord", b'{"reason": "other", "reason": "unlawful"}', {}, 422, None),
    ("erasure id not a uuid", "POST", "/v1/participants/nope/erasure",
     "coord", {}, {}, 400, "id"),
    ("erasure id nobody has", "POST", "/v1/participants/%s/erasure"
     % NOWHERE, "coord", {}, {}, 404, None),
    ("erasure unknown parameter", "POST",
     "/v1/participants/{P}/erasure?now=1", "coord", {}, {}, 400, "now"),
    ("erasure bad Idempotency-Key", "POST", "/v1/participants/{P}/erasure",
     "coord", {}, {"Idempotency-Key": "k" * 256}, 400, "Idempotency-Key"),
    ("account erasure unknown member", "POST", "/v1/users/{M}/erasure",
     "coord", {"reason": "other", "due_at": "2020-01-01T00:00:00Z"}, {},
     422, "/due_at"),
    ("account erasure id not a uuid", "POST", "/v1/users/x/erasure",
     "coord", {}, {}, 400, "id"),
    ("account erasure id nobody has", "POST", "/v1/users/%s/erasure"
     % NOWHERE, "admin", {}, {}, 404, None),
    ("own erasure unknown member", "POST", "/v1/me/erasure", "mentor",
     {"subject": "participant"}, {}, 422, "/subject"),
    ("own erasure wrong reason", "POST", "/v1/me/erasure", "mentor",
     {"reason": "SUBJECT_REQUEST"}, {}, 422, "/reason"),
    ("cancel with a member", "POST", "/v1/erasure-requests/{R}/cancel",
     "coord", {"reason": "other"}, {}, 422, ["", "/reason"]),
    ("cancel id not a uuid", "POST", "/v1/erasure-requests/1/cancel",
     "coord", {}, {}, 400, "id"),
    ("cancel id nobody has", "POST", "/v1/erasure-requests/%s/cancel"
     % NOWHERE, "admin", {}, {}, 404, None),
    ("request id not a uuid", "GET", "/v1/erasure-requests/x' OR 1=1",
     "admin", None, {}, 400, "id"),
    ("request id nobody has", "GET", "/v1/erasure-requests/" + NOWHERE,
     "admin", None, {}, 404, None),
    ("export id not a uuid", "GET", "/v1/participants/%7B%7D/export",
     "coord", None, {}, 400, "id"),
    ("export id nobody has", "GET", "/v1/participants/%s/export" % NOWHERE,
     "coord", None, {}, 404, None),
    ("export limit 0", "GET", "/v1/participants/{P}/export?limit=0",
     "coord", None, {}, 400, "limit"),
    ("export limit 101", "GET", "/v1/participants/{P}/export?limit=101",
     "coord", None, {}, 400, "limit"),
    ("export bad cursor", "GET", "/v1/participants/{P}/export?cursor=abc",
     "coord", None, {}, 400, "cursor"),
    ("export cursor with padding", "GET",
     "/v1/participants/{P}/export?cursor=WyJ4Il0%3D", "coord", None, {},
     400, "cursor"),
    ("export unknown parameter", "GET",
     "/v1/participants/{P}/export?type=meeting", "coord", None, {}, 400,
     "type"),
    ("own export limit -1", "GET", "/v1/me/export?limit=-1", "mentor", None,
     {}, 400, "limit"),
    ("own export cursor of another list", "GET",
     "/v1/me/export?cursor={AUDIT_CURSOR}", "mentor", None, {}, 400,
     "cursor"),
    ("requests bad status", "GET", "/v1/erasure-requests?status=done%20",
     "admin", None, {}, 400, "status"),
    ("requests bad district", "GET", "/v1/erasure-requests?district_id=1605",
     "admin", None, {}, 400, "district_id"),
    ("requests limit 101", "GET", "/v1/erasure-requests?limit=101", "coord",
     None, {}, 400, "limit"),
    ("requests cursor of another list", "GET",
     "/v1/erasure-requests?cursor={AUDIT_CURSOR}", "admin", None, {}, 400,
     "cursor"),
    ("audit limit 0", "GET", "/v1/audit?limit=0", "coord", None, {}, 400,
     "limit"),
    ("audit limit 101", "GET", "/v1/audit?limit=101", "coord", None, {},
     400, "limit"),
    ("audit bad cursor", "GET", "/v1/audit?cursor=bm90LWEtY3Vyc29y",
     "coord", None, {}, 400, "cursor"),
    ("audit cursor too long", "GET", "/v1/audit?cursor=" + "A" * 513,
     "coord", None, {}, 400, "cursor"),
    ("audit since a date", "GET", "/v1/audit?since=2026-01-01", "coord",
     None, {}, 400, "since"),
    ("audit since a word", "GET", "/v1/audit?since=yesterday", "coord",
     None, {}, 400, "since"),
    ("audit since no offset", "GET", "/v1/audit?since=2026-01-01T10:00:00",
     "coord", None, {}, 400, "since"),
    ("audit since a space", "GET",
     "/v1/audit?since=2026-01-01%2010:00:00Z", "coord", None, {}, 400,
     "since"),
    ("audit since no such day", "GET",
     "/v1/audit?since=2026-02-29T10:00:00Z", "coord", None, {}, 400,
     "since"),
    ("audit since hour 24", "GET", "/v1/audit?since=2026-01-01T24:00:00Z",
     "coord", None, {}, 400, "since"),
    ("audit until an epoch", "GET", "/v1/audit?until=1767225600", "coord",
     None, {}, 400, "until"),
    ("audit action without a dot", "GET", "/v1/audit?action=contact",
     "coord", None, {}, 400, "action"),
    ("audit action in capitals", "GET", "/v1/audit?action=Contact.read",
     "coord", None, {}, 400, "action"),
    ("audit action with two dots", "GET",
     "/v1/audit?action=contact.read.x", "coord", None, {}, 400, "action"),
    ("audit action with a quote", "GET",
     "/v1/audit?action=contact.read'--", "coord", None, {}, 400, "action"),
    ("audit action too long", "GET", "/v1/audit?action=" + "a" * 59 + ".b",
     "coord", None, {}, 400, "action"),
    ("audit action empty", "GET", "/v1/audit?action=", "coord", None, {},
     400, "action"),
    ("audit person not a uuid", "GET", "/v1/audit?person=her", "coord",
     None, {}, 400, "person"),
    ("audit account not a uuid", "GET", "/v1/audit?account=1", "coord",
     None, {}, 400, "account"),
    ("audit district not a key", "GET", "/v1/audit?district_id=erfurt",
     "admin", None, {}, 400, "district_id"),
    ("audit person twice", "GET",
     "/v1/audit?person={P}&person=" + NOWHERE, "coord", None, {}, 400,
     None),
    ("audit unknown parameter", "GET", "/v1/audit?entity=participant",
     "coord", None, {}, 400, "entity"),
    ("confirm version 0", "POST", "/v1/admin/retention/confirm", "admin",
     {"schedule_version": 0}, {}, 422, "/schedule_version"),
    ("confirm version a string", "POST", "/v1/admin/retention/confirm",
     "admin", {"schedule_version": "999999"}, {}, 422, "/schedule_version"),
    ("confirm without version", "POST", "/v1/admin/retention/confirm",
     "admin", {}, {}, 422, "/schedule_version"),
    ("confirm unknown member", "POST", "/v1/admin/retention/confirm",
     "admin", {"schedule_version": 999999, "force": True}, {}, 422,
     "/force"),
    ("confirm not JSON", "POST", "/v1/admin/retention/confirm", "admin",
     b"schedule_version=999999", {}, 400, None),
    ("run request with a member", "POST", "/v1/admin/retention/runs",
     "admin", {"now": True}, {}, 422, ["", "/now"]),
]


@pytest.fixture(scope="module")
def hostile_world(api, w, her):
    """A cancelled request about her, and a real cursor of the audit."""
    coord = w["coordinator"]
    e = erase(api, coord, "/v1/participants/%s/erasure" % her.id).json()
    cancel(api, coord, e["id"])
    r = read(api, coord.token, "/v1/audit?limit=1")
    assert r.json()["next_cursor"]
    return {"{P}": her.id, "{M}": her.mentor.id, "{R}": e["id"],
            "{AUDIT_CURSOR}": r.json()["next_cursor"],
            "callers": {"coord": coord, "admin": w["state_admin"],
                        "mentor": her.mentor}}


@pytest.mark.parametrize("case", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_request_is_refused_and_changes_nothing(api, stack,
                                                        hostile_world, case):
    _, method, path, who, body, headers, status, field = case
    for k, v in hostile_world.items():
        if k.startswith("{"):
            path = path.replace(k, v)
    h = dict(bearer(hostile_world["callers"][who].token))
    if body is not None:
        h["Content-Type"] = "application/json"
    h.update(headers)
    data = body if isinstance(body, (bytes, type(None))) else \
        json.dumps(body).encode()
    before = fingerprint(stack)
    r = api.request(method, path, headers=h, data=data)
    assert fingerprint(stack) == before, "the refused request changed data"
    body_ = problem(r, status)
    assert body_["request_id"] == r.headers["X-Request-Id"]
    if field is not None:
        assert sorted(e["field"] for e in body_["errors"]) == \
            (field if isinstance(field, list) else [field]), r.text


def test_an_oversized_body_is_refused(stack, w, her):
    """Over 64 KiB: Kore answers 413 itself, without a body or a request
    id (the contract's info), so plain requests, not the `api` client."""
    before = fingerprint(stack)
    for who, method, path in (
            ("coordinator", "POST", "/v1/participants/%s/erasure" % her.id),
            ("mentor", "POST", "/v1/me/erasure"),
            ("coordinator", "POST", "/v1/erasure-requests/%s/cancel"
             % NOWHERE),
            ("state_admin", "PUT", "/v1/admin/retention")):
        r = requests.request(method, stack.base + path, data=BIG, timeout=30,
                             headers=dict(bearer(w[who].token), **{
                                 "Content-Type": "application/json"}))
        assert r.status_code == 413, (path, r.status_code)
    assert fingerprint(stack) == before


# ------------------------------------------------------------ retention

def schedule_of(body):
    return {k: body[k] for k in ("rules", "batch_limit", "run_every_hours",
                                 "erasure_grace_days", "schedule_version",
                                 "confirmed_version", "confirmed",
                                 "confirmed_at", "version")}


def writable(body):
    return {k: body[k] for k in ("rules", "batch_limit", "run_every_hours",
                                 "erasure_grace_days")}


def put(api, admin, body, expect=200, **headers):
    h = hdr(admin.token, **headers)
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    h.setdefault("Content-Type", "application/json")
    r = api.request("PUT", "/v1/admin/retention", headers=h, data=data)
    assert r.status_code == expect, (body, r.status_code, r.text)
    return r


def refused_puts(orig):
    def with_rules(**rules):
        return dict(orig, rules=dict(orig["rules"], **rules))

    rules_without = dict(orig["rules"])
    del rules_without["sessions"]
    yield "missing rules", {k: v for k, v in orig.items() if k != "rules"}, \
        422, ["/rules"]
    yield "a rule missing", dict(orig, rules=rules_without), 422, \
        ["/rules/sessions"]
    yield "unknown rule", with_rules(everything=1), 422, ["/rules/everything"]
    yield "days 0", with_rules(sessions=0), 422, ["/rules/sessions"]
    yield "days 3651", with_rules(audit_entries=3651), 422, \
        ["/rules/audit_entries"]
    yield "days negative", with_rules(meeting_notes=-1), 422, \
        ["/rules/meeting_notes"]
    yield "days a fraction", with_rules(meeting_notes=1.5), 422, \
        ["/rules/meeting_notes"]
    yield "days a string", with_rules(sessions="30"), 422, \
        ["/rules/sessions"]
    yield "rules an array", dict(orig, rules=[]), 422, ["/rules"]
    yield "batch_limit 0", dict(orig, batch_limit=0), 422, ["/batch_limit"]
    yield "batch_limit 100001", dict(orig, batch_limit=100001), 422, \
        ["/batch_limit"]
    yield "run_every_hours 0", dict(orig, run_every_hours=0), 422, \
        ["/run_every_hours"]
    yield "grace 91 days", dict(orig, erasure_grace_days=91), 422, \
        ["/erasure_grace_days"]
    # No grace at all would make a request impossible to cancel.
    yield "grace 0 days", dict(orig, erasure_grace_days=0), 422, \
        ["/erasure_grace_days"]
    yield "grace missing", {k: v for k, v in orig.items()
                            if k != "erasure_grace_days"}, 422, \
        ["/erasure_grace_days"]
    yield "unknown member", dict(orig, confirmed_version=1), 422, \
        ["/confirmed_version"]
    yield "not JSON", b"rules=none", 400, None
    yield "an empty body", b"", 400, None


def test_retention_refuses_bad_schedules_and_confirmations(api, stack, w):
    admin = w["state_admin"]
    r = read(api, admin.token, "/v1/admin/retention")
    first = r.json()
    orig = writable(first)
    assert r.headers["ETag"] == '"%d"' % first["version"]
    assert sorted(orig["rules"]) == sorted(RULES)
    assert orig["erasure_grace_days"] == GRACE_DAYS
    assert not first["confirmed"], "the shared schedule was confirmed"

    def unchanged():
        now_ = read(api, admin.token, "/v1/admin/retention").json()
        assert schedule_of(now_) == schedule_of(first)

    for name, body, status, fields in refused_puts(orig):
        r = put(api, admin, body, expect=status,
                If_Match='"%d"' % first["version"])
        p = problem(r, status)
        if fields is not None:
            assert sorted(e["field"] for e in p["errors"]) == fields, \
                (name, r.text)
        unchanged()
    problem(put(api, admin, orig, expect=415,
                Content_Type="text/plain"), 415)
    unchanged()
    # A stale or foreign ETag.
    for tag in ('"%d"' % (first["version"] + 1), '"0"', 'W/"%d"'
                % first["version"], "nonsense"):
        problem(put(api, admin, orig, expect=412, If_Match=tag), 412)
        unchanged()
    # Confirming a version that is not the schedule's.
    # (Never the current one: a run recorded its dry run at the start.)
    current = first["schedule_version"]
    for v in [current + 1, current + 7] + ([current - 1] if current > 1
                                           else []):
        r = api.request("POST", "/v1/admin/retention/confirm",
                        headers=bearer(admin.token),
                        json={"schedule_version": v})
        problem(r, 409)
        unchanged()


def test_retention_new_version_is_not_confirmed_before_a_dry_run(api, w):
    """A changed schedule is a new version that no run has seen yet:
    confirming it is refused. The version tried here has every rule off,
    so even a confirmation let through by mistake would delete nothing;
    the original rules are put back at the end (a further version, not
    confirmed either)."""
    admin, coord = w["state_admin"], w["coordinator"]
    first = read(api, admin.token, "/v1/admin/retention").json()
    orig = writable(first)
    assert not first["confirmed"]
    assert first["run_requested_at"] is None, \
        "a requested run could record a dry run of the new version"
    try:
        # The same schedule again: no new version.
        r = put(api, admin, orig, If_Match='"%d"' % first["version"])
        same = r.json()
        assert r.headers["ETag"] == '"%d"' % same["version"]
        assert writable(same) == orig
        assert same["schedule_version"] == first["schedule_version"]
        assert same["confirmed_version"] == first["confirmed_version"]
        # Every rule off and another batch limit: a new version.
        off = dict(orig, rules={k: None for k in RULES},
                   batch_limit=orig["batch_limit"] % 1000 + 1)
        new = put(api, admin, off).json()
        assert writable(new) == off
        assert new["schedule_version"] == first["schedule_version"] + 1
        assert (new["confirmed"], new["dry_run"]) == (False, [])
        r = api.request("POST", "/v1/admin/retention/confirm",
                        headers=bearer(admin.token),
                        json={"schedule_version": new["schedule_version"]})
        problem(r, 409)
        assert read(api, admin.token, "/v1/admin/retention").json()[
            "confirmed_version"] == first["confirmed_version"]
    finally:
        back = put(api, admin, orig).json()
    assert writable(back) == orig
    assert back["confirmed"] is False
    assert back["confirmed_version"] == first["confirmed_version"]
    # The changes are in the audit (no district: the state admin's).
    acts = [a for a in audit(api, admin.token, account=admin.id,
                             action="retention.schedule_changed",
                             since=same["updated_at"])]
    assert len(acts) >= 3
    assert audit(api, coord.token, action="retention.schedule_changed") \
        == []

    # A run may be requested: the worker pool records a dry run of this
    # unconfirmed version at its next sweep, and deletes nothing.
    r = api.request("POST", "/v1/admin/retention/runs",
                    headers=bearer(admin.token), json={})
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == "/v1/admin/retention"
    assert r.json()["run_requested_at"] is not None
    assert r.json()["confirmed"] is False


# ------------------------------------------------------------ audit

def first_pages(api, token, params=None, pages=3):
    """The newest entries of the audit (a few pages of 100: the log of a
    whole test run is long)."""
    params = {"limit": 100, **(params or {})}
    items = []
    for _ in range(pages):
        body = read(api, token, "/v1/audit?" + urlencode(params)).json()
        items += body["items"]
        if not body["next_cursor"]:
            break
        params["cursor"] = body["next_cursor"]
    return items


def test_audit_is_per_district_and_filters(api, w, her):
    admin, coord, gcoord = (w["state_admin"], w["coordinator"],
                            w["gotha_coordinator"])
    gotha = new_participant(api, gcoord.token)["id"]
    # A coordinator sees her district's entries only.
    items = first_pages(api, coord.token)
    assert items and {a["district_id"] for a in items} == {ERFURT}
    assert read(api, coord.token, "/v1/audit?district_id=" + GOTHA).json()[
        "items"] == []
    assert audit(api, coord.token, person=gotha) == []
    gitems = first_pages(api, gcoord.token)
    assert gotha in {a["entity_id"] for a in gitems}
    assert {a["district_id"] for a in gitems} == {GOTHA}
    assert audit(api, gcoord.token, person=her.id) == []
    # The state admin sees all, and filters by district.
    for d, person in ((ERFURT, her.id), (GOTHA, gotha)):
        got = first_pages(api, admin.token, {"district_id": d}, pages=1)
        assert {a["district_id"] for a in got} == {d}
        assert [a["id"] for a in audit(api, admin.token, person=person,
                                       district_id=d)] == \
            [a["id"] for a in audit(api, admin.token, person=person)]
    assert audit(api, admin.token, person=gotha, district_id=ERFURT) == []

    # person, account, action
    about = audit(api, coord.token, person=her.id)
    assert about and all((a["entity"], a["entity_id"]) ==
                         ("participant", her.id) for a in about)
    assert {"participant.created", "contact.read", "consent.granted",
            "contact.updated"} <= {a["action"] for a in about}
    asst = w["assistant"]
    by = audit(api, coord.token, account=asst.id, person=her.id)
    assert by and all(a["actor"] == asst.id for a in by)
    assert {a["id"] for a in by} < {a["id"] for a in about}
    reads = audit(api, coord.token, person=her.id, action="contact.read")
    assert {a["actor"] for a in reads} >= {asst.id, w["organization"].id}
    assert all(a["action"] == "contact.read" for a in reads)
    assert audit(api, coord.token, person=NOWHERE) == []
    # Newest first, by time and id.
    order = [(at(a["at"]), a["id"]) for a in about]
    assert order == sorted(order, reverse=True)

    # since (inclusive) and until (exclusive), in any offset.
    pivot = about[len(about) // 2]
    t = at(pivot["at"])
    cet = t.astimezone(datetime.timezone(datetime.timedelta(hours=1)))
    for since in (t, cet):
        got = audit(api, coord.token, person=her.id,
                    since=since.isoformat())
        assert pivot["id"] in {a["id"] for a in got}
        assert all(at(a["at"]) >= t for a in got)
    for until in (t, cet):
        got = audit(api, coord.token, person=her.id,
                    until=until.isoformat())
        assert pivot["id"] not in {a["id"] for a in got}
        assert all(at(a["at"]) < t for a in got)
    window = audit(api, coord.token, person=her.id, since=pivot["at"],
                   until=(t + datetime.timedelta(microseconds=1)).isoformat())
    assert pivot["id"] in {a["id"] for a in window}
    assert audit(api, coord.token, person=her.id, since=pivot["at"],
                 until=pivot["at"]) == []


def test_audit_pages_have_no_gaps_or_repeats(api, w, her):
    coord = w["coordinator"]
    whole = audit(api, coord.token, person=her.id)
    assert len(whole) >= 6
    paged, pages = walk(api, coord.token, "/v1/audit", {"person": her.id},
                        limit=2)
    ids = [a["id"] for a in paged]
    assert len(set(ids)) == len(ids), "an entry came twice"
    assert pages >= 3
    assert ids == [a["id"] for a in whole]
    # The district-wide log too, a few pages deep.
    seen = [(at(a["at"]), a["id"]) for a in first_pages(
        api, coord.token, {"limit": 3}, pages=4)]
    assert len(seen) == 12
    assert len(set(seen)) == len(seen)
    assert seen == sorted(seen, reverse=True)


def test_a_forged_audit_cursor_is_refused(api, w):
    """The audit's cursor carries an entry's number where other lists
    carry a UUID; any other id in it is a 400, not a failed cast."""
    coord = w["coordinator"]
    forged = b64url(json.dumps(["/v1/audit", "2026-01-01T00:00:00.000000Z",
                                "ffffffff-ffff-ffff-ffff-ffffffffffff"]))
    r = api.get("/v1/audit?cursor=" + forged, headers=bearer(coord.token))
    assert r.status_code == 400, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["cursor"]
