"""Who may do what in Connecting Women: every route of the feature, called
by every role (Erfurt accounts), against an object that is the caller's
own (or of its district), one of its district that is not its own, and one
of another district (Gotha); and a crawl of everything each Gotha role can
read, which must show no Erfurt mentee and no meeting note it is not a
party to.

The expected statuses follow api/router.c (the roles of each route: any
other role is 403 before anything else) and the rules of the SQL
functions in db/migrations/0005_women.sql: mentors are visible to all once
active, applications only to the mentor and her district's staff; mentee
profiles, tandems and meetings to the mentee's district's staff, the
mentee herself and (tandems, meetings) the mentor; meeting notes only to
the two members; events to all, registrations to the person and the
organising coordinator. Whatever the caller may not see is 404.

The callers: the demo state admin, coordinator, assistant and
organisation of Erfurt; a mentor and a participant (a mentee) made for the
test, so that nothing depends on the women's demo data."""

import datetime
import json
import uuid
from urllib.parse import urlsplit

import pytest

from partners_util import ROLES, new_org
from women_util import (ERFURT, GOTHA, Caller, active_mentor,
                        applied_mentor, form_tandem, grant, hdr, meet,
                        mentee_body, mentor_account, mentor_body, new_event,
                        new_mentee, register, unique)

OWN, PEER, OTHER, NONE = "own", "peer", "other", "-"
DISTRICT = {OWN: ERFURT, PEER: ERFURT, OTHER: GOTHA}


def S(own, peer, other):
    return {OWN: own, PEER: peer, OTHER: other}


STAFF = S(200, 200, 404)           # about a person: her district's staff
SELF = S(200, 404, 404)            # ... and she herself (or her mentor)

# Expected status per route and role, in the order of ROLES:
#   state_admin, coordinator, assistant, organization, mentor, participant
MATRIX = {
    "GET /v1/mentors":
        (200, 200, 200, 200, 200, 200),
    # A coordinator enters accounts of her district (another's: 422); a
    # mentor applies for herself only (403), once (409).
    "POST /v1/mentors":
        (403, S(201, 201, 422), 403, 403, S(409, 403, 403), 403),
    "GET /v1/mentors/{id}":
        (200, 200, 200, 200, 200, 200),
    "GET /v1/mentors/{id} (applied)":
        (404, STAFF, STAFF, 404, 404, 404),
    "PATCH /v1/mentors/{id}":
        (403, S(200, 200, 403), 403, 403, S(200, 403, 403), 403),
    "PATCH /v1/mentors/{id} (approve)":
        (403, STAFF, 403, 403, 404, 403),
    "GET /v1/participants/{id}/mentee-profile":
        (403, STAFF, STAFF, 403, 403, SELF),
    "PUT /v1/participants/{id}/mentee-profile":
        (403, STAFF, STAFF, 403, 403, SELF),
    "PATCH /v1/participants/{id}/mentee-profile":
        (403, STAFF, STAFF, 403, 403, SELF),
    "GET /v1/tandems":
        (403, 200, 200, 403, 200, 200),
    # Another district's mentee in the body is "unknown" (422), as one
    # that does not exist.
    "POST /v1/tandems":
        (403, S(201, 201, 422), S(201, 201, 422), 403, 403, 403),
    "GET /v1/tandems/{id}":
        (403, STAFF, STAFF, 403, SELF, SELF),
    "PATCH /v1/tandems/{id}":
        (403, STAFF, STAFF, 403, SELF, 403),
    "GET /v1/tandems/{id}/meetings":
        (403, STAFF, STAFF, 403, SELF, SELF),
    "POST /v1/tandems/{id}/meetings":
        (403, 403, 403, 403, S(201, 404, 404), S(201, 404, 404)),
    "GET /v1/tandems/{id}/meetings/{meeting_id}":
        (403, STAFF, STAFF, 403, SELF, SELF),
    "GET /v1/events":
        (200, 200, 200, 200, 200, 200),
    "POST /v1/events":
        (403, 201, 403, 403, 403, 403),
    "GET /v1/events/{id}":
        (200, 200, 200, 200, 200, 200),
    "PATCH /v1/events/{id}":
        (403, S(200, 200, 403), 403, 403, 403, 403),
    "GET /v1/events/{id}/registrations":
        (200, 200, 200, 200, 200, 200),
    "POST /v1/events/{id}/registrations":
        (403, 403, 403, 403, 201, 201),
    "GET /v1/events/{id}/registrations/{registration_id}":
        (404, STAFF, 404, 404, SELF, SELF),
    "DELETE /v1/events/{id}/registrations/{registration_id}":
        (404, S(204, 204, 404), 404, 404, S(204, 404, 404),
         S(204, 404, 404)),
    "GET /v1/reports/women":
        (200, 200, 403, 403, 403, 403),
}

SCOPELESS = {"GET /v1/mentors", "GET /v1/tandems", "GET /v1/events",
             "POST /v1/events", "GET /v1/reports/women"}

PROBLEM_TYPE = {403: "forbidden", 404: "not-found", 409: "conflict",
                422: "validation-failed"}


def expected(route, role, scope):
    want = MATRIX[route][ROLES.index(role)]
    return want[scope] if isinstance(want, dict) else want


def cases():
    for route in MATRIX:
        for role in ROLES:
            for scope in ((NONE,) if route in SCOPELESS
                          else (OWN, PEER, OTHER)):
                yield pytest.param(route, role, scope,
                                   id="%s-%s-%s" % (route, role, scope))


@pytest.fixture(scope="module")
def world(api):
    """The callers and the standing objects of each scope."""
    admin = Caller.demo(api, "state_admin")
    ce, ae = (Caller.demo(api, r, ERFURT) for r in ("coordinator",
                                                    "assistant"))
    cg, ag = (Caller.demo(api, r, GOTHA) for r in ("coordinator",
                                                   "assistant"))
    w = {"admin": admin, "coord": {ERFURT: ce, GOTHA: cg},
         "asst": {ERFURT: ae, GOTHA: ag}}

    mentor_acct, mentor = active_mentor(api, admin, ce, ERFURT, capacity=3)
    own_mentee = new_mentee(api, ae.token)
    herself = Caller.new(api, admin, "participant", ERFURT,
                         participant_id=own_mentee["id"])
    w["callers"] = {"state_admin": admin, "coordinator": ce,
                    "assistant": ae,
                    "organization": Caller.demo(api, "organization"),
                    "mentor": mentor_acct, "participant": herself}

    peer_acct, peer_mentor = active_mentor(api, admin, ce, ERFURT)
    other_acct, other_mentor = active_mentor(api, admin, cg, GOTHA)
    w["mentor_acct"] = {OWN: mentor_acct, PEER: peer_acct,
                        OTHER: other_acct}
    w["mentor"] = {OWN: mentor, PEER: peer_mentor, OTHER: other_mentor}
    w["mentee"] = {OWN: own_mentee, PEER: new_mentee(api, ae.token),
                   OTHER: new_mentee(api, ag.token)}
    asst = {OWN: ae, PEER: ae, OTHER: ag}
    w["tandem"] = {s: form_tandem(api, asst[s].token, w["mentor"][s]["id"],
                                  w["mentee"][s]["id"]) for s in asst}
    w["meeting"] = {s: meet(api, w["mentor_acct"][s].token, w["tandem"][s],
                            notes=unique("Notiz-" + s)) for s in asst}
    applied_e = applied_mentor(api, admin, ce, ERFURT)[1]
    w["applied"] = {OWN: applied_e, PEER: applied_e,
                    OTHER: applied_mentor(api, admin, cg, GOTHA)[1]}
    # Accounts without a profile, for refused POST /v1/mentors.
    w["spare"] = {ERFURT: mentor_account(api, admin, ERFURT),
                  GOTHA: mentor_account(api, admin, GOTHA)}

    event_e, event_g = new_event(api, ce.token), new_event(api, cg.token)
    w["event"] = {OWN: event_e, PEER: event_e, OTHER: event_g}
    w["reg"] = {
        ("mentor", OWN): register(api, mentor_acct.token, event_e["id"]),
        ("participant", OWN): register(api, herself.token, event_e["id"]),
        PEER: register(api, peer_acct.token, event_e["id"]),
        OTHER: register(api, other_acct.token, event_g["id"])}
    return w


def row_state(stack, table, where, value):
    rows = stack.sql("SELECT to_jsonb(t) - 'updated_at' FROM ch.%s t WHERE"
                     " %s = %%s" % (table, where), (value,))
    return json.dumps(rows, sort_keys=True, default=str)


def count(stack, query, *args):
    return lambda: stack.sql(query, args)


def walk_ids(api, token, path, **params):
    params["limit"] = 100
    ids = []
    while True:
        r = api.get(path, headers=hdr(token), params=params)
        assert r.status_code == 200, r.text
        ids += [x["id"] for x in r.json()["items"]]
        if r.json()["next_cursor"] is None:
            return ids
        params["cursor"] = r.json()["next_cursor"]


def build(api, stack, w, route, role, scope, want):
    """What to send for one case: method, path, body, headers, a probe of
    the data the call may change, and a check of a successful answer."""
    method = route.split(" ")[0]
    caller = w["callers"][role]
    district = DISTRICT.get(scope)
    coord = w["coord"].get(district)
    asst = w["asst"].get(district)
    mentor = w["mentor"].get(scope)
    mentee = w["mentee"].get(scope)
    tandem = w["tandem"].get(scope)
    meeting = w["meeting"].get(scope)
    event = w["event"].get(scope)
    member = role in ("mentor", "participant")
    c = {"method": method, "body": None, "headers": {},
         "probe": lambda: None,
         "ok": lambda r: r.status_code == 204 and not r.content}

    def patching(table, where, value):
        c["headers"] = {"If-Match": "*",
                        "Content-Type": "application/merge-patch+json"}
        c["probe"] = lambda: row_state(stack, table, where, value)

    if route == "GET /v1/mentors":
        c["path"] = "/v1/mentors?limit=100"

        def ok(r):
            items = r.json()["items"]
            staff = role in ("coordinator", "assistant")
            applied = walk_ids(api, caller.token, "/v1/mentors",
                               status="applied", district_id=ERFURT)
            return items and all(
                m["status"] == "active" or m["user_id"] == caller.id or
                (staff and m["district_id"] == ERFURT) for m in items) and \
                (w["applied"][PEER]["id"] in applied) == staff
        c["ok"] = ok
    elif route == "POST /v1/mentors":
        c["path"] = "/v1/mentors"
        if role == "mentor" and scope == OWN:
            account = caller
            c["body"] = mentor_body()
        else:
            account = (mentor_account(api, w["admin"], district)
                       if want == 201 else w["spare"][district])
            c["body"] = mentor_body(user_id=account.id)
        c["probe"] = count(stack, "SELECT count(*) FROM ch.mentor WHERE"
                           " user_id = %s", account.id)
        c["ok"] = lambda r: (r.json()["user_id"], r.json()["district_id"],
                             r.json()["status"]) == \
            (account.id, district, "applied")
    elif route == "GET /v1/mentors/{id}":
        c["path"] = "/v1/mentors/" + mentor["id"]
        c["ok"] = lambda r: (r.json()["id"], r.json()["status"]) == \
            (mentor["id"], "active")
    elif route == "GET /v1/mentors/{id} (applied)":
        applied = w["applied"][scope]
        c["path"] = "/v1/mentors/" + applied["id"]
        c["ok"] = lambda r: (r.json()["id"], r.json()["status"]) == \
            (applied["id"], "applied")
    elif route == "PATCH /v1/mentors/{id}":
        name = unique("Name")
        c["path"] = "/v1/mentors/" + mentor["id"]
        c["body"] = {"display_name": name}
        patching("mentor", "id", mentor["id"])
        c["ok"] = lambda r: (r.json()["id"], r.json()["display_name"]) == \
            (mentor["id"], name)
    elif route == "PATCH /v1/mentors/{id} (approve)":
        applied = (applied_mentor(api, w["admin"], coord, district)[1]
                   if want == 200 else w["applied"][scope])
        c["path"] = "/v1/mentors/" + applied["id"]
        c["body"] = {"status": "active"}
        patching("mentor", "id", applied["id"])
        c["ok"] = lambda r: (r.json()["status"], r.json()["approved_at"]
                             is not None) == ("active", True)
    elif route.endswith("/mentee-profile"):
        pid = mentee["id"]
        c["path"] = "/v1/participants/%s/mentee-profile" % pid
        if method == "GET":
            c["ok"] = lambda r: (r.json()["participant_id"],
                                 r.json()["district_id"]) == (pid, district)
        else:
            text = unique("Abschluss")
            if method == "PUT":
                c["body"] = mentee_body(highest_qualification=text)
                c["probe"] = lambda: row_state(stack, "mentee_profile",
                                               "participant_id", pid)
            else:
                c["body"] = {"highest_qualification": text}
                patching("mentee_profile", "participant_id", pid)
            c["ok"] = lambda r: (r.json()["participant_id"],
                                 r.json()["highest_qualification"]) == \
                (pid, text)
    elif route == "GET /v1/tandems":
        c["path"] = "/v1/tandems?limit=100"

        def ok(r):
            ids = walk_ids(api, caller.token, "/v1/tandems")
            if role in ("coordinator", "assistant"):
                return all(t["district_id"] == ERFURT
                           for t in r.json()["items"]) and \
                    {w["tandem"][OWN]["id"], w["tandem"][PEER]["id"]} <= \
                    set(ids) and w["tandem"][OTHER]["id"] not in ids
            return ids == [w["tandem"][OWN]["id"]]
        c["ok"] = ok
    elif route == "POST /v1/tandems":
        if want == 201:
            fresh_mentor = active_mentor(api, w["admin"], coord,
                                         district)[1]["id"]
            fresh_mentee = new_mentee(api, asst.token)["id"]
        else:
            fresh_mentor = w["mentor"][PEER if district == ERFURT
                                       else OTHER]["id"]
            fresh_mentee = new_mentee(api, asst.token)["id"]
        c["path"] = "/v1/tandems"
        c["body"] = {"mentor_id": fresh_mentor,
                     "participant_id": fresh_mentee}
        c["probe"] = count(stack, "SELECT count(*) FROM ch.tandem WHERE"
                           " participant_id = %s", fresh_mentee)
        c["ok"] = lambda r: (r.json()["mentor_id"],
                             r.json()["participant_id"],
                             r.json()["status"]) == \
            (fresh_mentor, fresh_mentee, "active")
    elif route == "GET /v1/tandems/{id}":
        c["path"] = "/v1/tandems/" + tandem["id"]
        c["ok"] = lambda r: (r.json()["id"], r.json()["mentee"]["id"]) == \
            (tandem["id"], mentee["id"])
    elif route == "PATCH /v1/tandems/{id}":
        months = 6 + uuid.uuid4().int % 7
        c["path"] = "/v1/tandems/" + tandem["id"]
        c["body"] = {"planned_months": months}
        patching("tandem", "id", tandem["id"])
        c["ok"] = lambda r: (r.json()["planned_months"],
                             r.json()["status"]) == (months, "active")
    elif route == "GET /v1/tandems/{id}/meetings":
        c["path"] = "/v1/tandems/%s/meetings" % tandem["id"]

        def ok(r):
            items = r.json()["items"]
            return meeting["id"] in [x["id"] for x in items] and all(
                (x.get("notes") is not None) == member for x in items) and \
                all(("notes" in x) == member for x in items)
        c["ok"] = ok
    elif route == "POST /v1/tandems/{id}/meetings":
        note = unique("Notiz")
        c["path"] = "/v1/tandems/%s/meetings" % tandem["id"]
        c["body"] = {"held_on": tandem["started_on"], "duration_minutes": 30,
                     "format": "phone", "notes": note}
        c["probe"] = count(stack, "SELECT count(*) FROM ch.tandem_meeting"
                           " WHERE tandem_id = %s", tandem["id"])
        c["ok"] = lambda r: (r.json()["tandem_id"], r.json()["notes"]) == \
            (tandem["id"], note)
    elif route == "GET /v1/tandems/{id}/meetings/{meeting_id}":
        c["path"] = "/v1/tandems/%s/meetings/%s" % (tandem["id"],
                                                     meeting["id"])
        c["ok"] = lambda r: r.json()["id"] == meeting["id"] and \
            (r.json().get("notes") == meeting["notes"]) == member and \
            ("notes" in r.json()) == member
    elif route == "GET /v1/events":
        c["path"] = "/v1/events?limit=100"
        c["ok"] = lambda r: r.json()["items"] is not None and \
            {w["event"][OWN]["id"], w["event"][OTHER]["id"]} <= \
            set(walk_ids(api, caller.token, "/v1/events"))
    elif route == "POST /v1/events":
        title = unique("Workshop")
        c["path"] = "/v1/events"
        c["body"] = {"kind": "workshop", "title": title, "online": True,
                     "starts_at": event_time(40), "ends_at": event_time(41),
                     "capacity": 12}
        c["probe"] = count(stack, "SELECT count(*) FROM ch.event WHERE"
                           " title = %s", title)
        c["ok"] = lambda r: (r.json()["title"], r.json()["district_id"],
                             r.json()["registered"]) == (title, ERFURT, 0)
    elif route == "GET /v1/events/{id}":
        c["path"] = "/v1/events/" + event["id"]
        c["ok"] = lambda r: r.json()["id"] == event["id"]
    elif route == "PATCH /v1/events/{id}":
        text = unique("Beschreibung")
        c["path"] = "/v1/events/" + event["id"]
        c["body"] = {"description": text}
        patching("event", "id", event["id"])
        c["ok"] = lambda r: r.json()["description"] == text
    elif route == "GET /v1/events/{id}/registrations":
        c["path"] = "/v1/events/%s/registrations?limit=100" % event["id"]

        def ok(r):
            got = sorted(x["id"] for x in r.json()["items"])
            if role == "coordinator" and district == ERFURT:
                return got == sorted(x[0] for x in stack.sql(
                    "SELECT id::text FROM ch.event_registration WHERE"
                    " event_id = %s", (event["id"],))) and len(got) >= 3
            own = w["reg"].get((role, OWN))
            return got == ([own["id"]] if own and district == ERFURT
                           else [])
        c["ok"] = ok
    elif route == "POST /v1/events/{id}/registrations":
        fresh = new_event(api, coord.token)["id"]
        c["path"] = "/v1/events/%s/registrations" % fresh
        c["body"] = {}
        c["probe"] = count(stack, "SELECT count(*) FROM"
                           " ch.event_registration WHERE event_id = %s",
                           fresh)
        c["ok"] = lambda r: (r.json()["user_id"], r.json()["status"]) == \
            (caller.id, "registered")
    elif route == "GET /v1/events/{id}/registrations/{registration_id}":
        reg = w["reg"][(role, OWN)] if member and scope == OWN else \
            w["reg"][OTHER if scope == OTHER else PEER]
        c["path"] = "/v1/events/%s/registrations/%s" % (reg["event_id"],
                                                         reg["id"])
        c["ok"] = lambda r: (r.json()["id"], r.json()["user_id"]) == \
            (reg["id"], reg["user_id"])
    elif route == "DELETE /v1/events/{id}/registrations/{registration_id}":
        fresh = new_event(api, coord.token)["id"]
        who = caller if member and scope == OWN else \
            w["mentor_acct"][OTHER if scope == OTHER else PEER]
        reg = register(api, who.token, fresh)
        c["path"] = "/v1/events/%s/registrations/%s" % (fresh, reg["id"])
        c["probe"] = lambda: row_state(stack, "event_registration", "id",
                                       reg["id"])
    elif route == "GET /v1/reports/women":
        c["path"] = "/v1/reports/women"
        c["ok"] = lambda r: [d["district_id"] for d in
                             r.json()["districts"]] == (
            ["16051", "16062", "16064", "16065", "16067", "16073"]
            if role == "state_admin" else [ERFURT])
    else:
        raise AssertionError(route)
    return c


def event_time(days):
    t = datetime.datetime.now(datetime.timezone.utc).replace(
        microsecond=0, second=0, minute=0) + datetime.timedelta(days=days)
    return t.isoformat()


@pytest.mark.parametrize("route,role,scope", list(cases()))
def test_matrix(api, stack, world, route, role, scope):
    want = expected(route, role, scope)
    c = build(api, stack, world, route, role, scope, want)
    before = c["probe"]()
    headers = hdr(world["callers"][role].token)
    headers.update(c["headers"])
    kw = {}
    if c["body"] is not None:
        kw["data"] = json.dumps(c["body"])
        headers.setdefault("Content-Type", "application/json")
    r = api.request(c["method"], c["path"], headers=headers, **kw)
    assert r.status_code == want, (route, role, scope, r.status_code, r.text)
    after = c["probe"]()
    if want < 300:
        assert c["ok"](r), r.text
        if c["method"] != "GET":
            assert after != before, "the write left no trace"
    else:
        problem = r.json()
        assert problem["status"] == want
        assert problem["type"] == "urn:ch:problem:" + PROBLEM_TYPE[want]
        assert after == before, "a refused request changed data"
    if want == 422:
        assert {"/participant_id", "/user_id"} & \
            {e["field"] for e in problem["errors"]}


ROUTE_PATHS = sorted({tuple(r.split(" ")[:2]) for r in MATRIX})


@pytest.mark.parametrize("method,template", ROUTE_PATHS)
def test_without_a_token(api, world, method, template):
    reg = world["reg"][PEER]
    path = (template
            .replace("/v1/participants/{id}",
                     "/v1/participants/" + world["mentee"][OWN]["id"])
            .replace("/v1/mentors/{id}",
                     "/v1/mentors/" + world["mentor"][OWN]["id"])
            .replace("/v1/tandems/{id}",
                     "/v1/tandems/" + world["tandem"][OWN]["id"])
            .replace("{meeting_id}", world["meeting"][OWN]["id"])
            .replace("/v1/events/{id}", "/v1/events/" + reg["event_id"])
            .replace("{registration_id}", reg["id"]))
    kw = {}
    if method in ("POST", "PATCH", "PUT"):
        kw["json"] = {}
    r = api.request(method, path, **kw)
    assert r.status_code == 401, r.text
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert r.json()["type"] == "urn:ch:problem:unauthenticated"
    r = api.request(method, path, headers={"Authorization": "Bearer x.y.z"},
                    **kw)
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_every_women_route_is_in_the_matrix(spec):
    documented = {(m.upper(), p) for p, item in spec.doc["paths"].items()
                  if p.startswith(("/v1/mentors", "/v1/tandems",
                                   "/v1/events", "/v1/reports/women"))
                  or p.endswith("/mentee-profile")
                  for m in item if m in ("get", "post", "put", "patch",
                                         "delete")}
    assert documented == set(ROUTE_PATHS)


def test_another_district_cannot_approve_or_read_erfurt(api, stack, world):
    """Gotha's coordinator and assistant against Erfurt's mentor
    application and mentee profile: the same answer as for nothing."""
    admin, ce = world["admin"], world["coord"][ERFURT]
    applied = applied_mentor(api, admin, ce, ERFURT)[1]
    pid = world["mentee"][PEER]["id"]
    for caller in (world["coord"][GOTHA], world["asst"][GOTHA]):
        h = hdr(caller.token, If_Match="*")
        answers = []
        for mid in (applied["id"], str(uuid.uuid4())):
            r = api.request("PATCH", "/v1/mentors/" + mid, headers=h,
                            json={"status": "active"})
            assert r.status_code == (404 if caller.role == "coordinator"
                                     else 403), r.text
            answers.append((r.status_code, r.json()["detail"]))
        assert answers[0] == answers[1]
        answers = []
        for p in (pid, str(uuid.uuid4())):
            r = api.get("/v1/participants/%s/mentee-profile" % p,
                        headers=hdr(caller.token))
            assert r.status_code == 404, r.text
            answers.append(r.json()["detail"])
        assert answers[0] == answers[1]
    assert stack.sql("SELECT status, approved_at FROM ch.mentor WHERE"
                     " id = %s", (applied["id"],)) == [("applied", None)]


@pytest.mark.parametrize("what", ["meetings", "registrations"])
def test_a_list_under_something_invisible_is_a_documented_404(api, world,
                                                              what):
    """GET /v1/tandems/{id}/meetings and /v1/events/{id}/registrations
    answer 404 for a tandem the caller may not see or an event that does
    not exist; the contract must list that answer (the `api` client
    validates it)."""
    coord = world["coord"][ERFURT]
    if what == "meetings":
        paths = ["/v1/tandems/%s/meetings" % world["tandem"][OTHER]["id"],
                 "/v1/tandems/%s/meetings" % uuid.uuid4()]
    else:
        paths = ["/v1/events/%s/registrations" % uuid.uuid4()]
    for path in paths:
        r = api.get(path, headers=hdr(coord.token))
        assert r.status_code == 404, r.text
        assert r.json()["type"] == "urn:ch:problem:not-found"


# ------------------------------------------------------------ no leak

@pytest.fixture(scope="module")
def gotha(api, world):
    """Every Gotha role (the demo coordinator and assistant; an
    organisation's representative, a mentor with her tandem and the mentee
    in it, made for the test) and the state admin. The traps: an Erfurt
    mentee in a tandem with a Gotha mentor none of them is, with notes by
    both, and registered for a Gotha event; Erfurt's own tandems with
    notes (world)."""
    admin = world["admin"]
    ae = world["asst"][ERFURT]
    cg, ag = world["coord"][GOTHA], world["asst"][GOTHA]
    gorg = new_org(api, cg.token)["id"]
    g_mentor, g_profile = active_mentor(api, admin, cg, GOTHA)
    g_mentee = new_mentee(api, ag.token)
    g_self = Caller.new(api, admin, "participant", GOTHA,
                        participant_id=g_mentee["id"])
    g_tandem = form_tandem(api, ag.token, g_profile["id"], g_mentee["id"])
    meet(api, g_mentor.token, g_tandem, notes=unique("Gotha-Notiz"))
    meet(api, g_self.token, g_tandem, notes=unique("Gotha-Notiz"))

    trap_mentor, trap_profile = active_mentor(api, admin, cg, GOTHA)
    secret = new_mentee(api, ae.token, display_name=unique("Erfurt-Geheim"))
    grant(api, ae.token, secret["id"], "cross_district")
    trap = form_tandem(api, ae.token, trap_profile["id"], secret["id"])
    secret_self = Caller.new(api, admin, "participant", ERFURT,
                             participant_id=secret["id"])
    notes = [unique("Geheimnotiz"), unique("Geheimnotiz")]
    meet(api, trap_mentor.token, trap, notes=notes[0])
    meet(api, secret_self.token, trap, notes=notes[1])
    g_event = new_event(api, cg.token)
    for who in (secret_self, g_self, g_mentor):
        register(api, who.token, g_event["id"])
    # An Erfurt mentee without a tandem, and her profile.
    lonely = new_mentee(api, ae.token, display_name=unique("Erfurt-Allein"))

    callers = [cg, ag,
               Caller.new(api, admin, "organization", GOTHA,
                          organization_id=gorg),
               g_mentor, g_self, admin]
    return {"callers": callers, "secret": secret, "trap": trap,
            "notes": notes, "lonely": lonely, "g_tandem": g_tandem,
            "g_mentee": g_mentee, "g_self": g_self, "g_mentor": g_mentor}


def erfurt_people(stack):
    """Erfurt's participants' ids, and their names that no public record
    and no person of another district shares."""
    ids = {r[0] for r in stack.sql(
        "SELECT id::text FROM ch.participant WHERE district_id = '16051'")}
    names = {r[0] for r in stack.sql(
        "SELECT display_name FROM ch.participant WHERE"
        " district_id = '16051'")}
    public = {r[0] for r in stack.sql(
        "SELECT display_name FROM ch.participant WHERE district_id <>"
        " '16051' UNION SELECT display_name FROM ch.mentor UNION SELECT"
        " title FROM ch.event UNION SELECT description FROM ch.event UNION"
        " SELECT name FROM ch.organization UNION SELECT name FROM"
        " ch.district UNION SELECT seat FROM ch.district UNION SELECT"
        " code FROM ch.taxonomy_term")}
    return ids, {n for n in names - public if n and len(n) >= 4}


def notes_hidden_from(stack, caller):
    """Every meeting note of a tandem the caller is not a member of."""
    return {r[0] for r in stack.sql(
        "SELECT x.notes FROM ch.tandem_meeting x JOIN ch.tandem t ON"
        " t.id = x.tandem_id WHERE x.notes IS NOT NULL AND"
        " t.mentor_user_id::text <> %s AND t.participant_id::text <>"
        " coalesce((SELECT participant_id::text FROM ch.app_user WHERE"
        " id::text = %s), '-')", (caller.id, caller.id))}


def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)


def meetings_in(node):
    """Every object that looks like a meeting (has held_on)."""
    if isinstance(node, dict):
        if "held_on" in node:
            yield node
        for v in node.values():
            yield from meetings_in(v)
    elif isinstance(node, list):
        for v in node:
            yield from meetings_in(v)


class Crawl:
    def __init__(self, api, caller, ids, names, notes, member):
        self.api, self.caller = api, caller
        self.ids, self.names, self.notes = ids, names, notes
        self.member = member        # may read notes of her own tandem
        self.seen = 0

    def check(self, r, what):
        """No Erfurt person's id anywhere, no Erfurt name as a string, no
        note of somebody else's tandem; staff see no notes at all. A
        problem names the path the caller asked for (instance): that is
        not told, it was asked."""
        self.seen += 1
        body = r.json() if r.content else None
        if isinstance(body, dict) and \
                body.get("instance") == urlsplit(r.request.url).path:
            del body["instance"]
        text = json.dumps(body, ensure_ascii=False)
        for i in self.ids:
            assert i not in text, (self.caller.role, what, "Erfurt id", i)
        for s in strings(body):
            assert s not in self.names, \
                (self.caller.role, what, "Erfurt name", s)
        for n in self.notes:
            assert n not in text, (self.caller.role, what, "a note", n)
        if not self.member:
            for x in meetings_in(body):
                assert "notes" not in x, (self.caller.role, what, x)

    def get(self, path, validate=True, **params):
        r = self.api.get(path, headers=hdr(self.caller.token),
                         params=params or None, validate=validate)
        assert r.status_code in (200, 403, 404), (path, r.status_code)
        self.check(r, path)
        return r

    def walk(self, path, validate=True, **params):
        """Every page of a list; [] when the role may not list it."""
        items, params = [], dict(params, limit=100)
        while True:
            r = self.get(path, validate=validate, **params)
            if r.status_code != 200:
                return []
            items += r.json()["items"]
            if r.json()["next_cursor"] is None:
                return items
            params["cursor"] = r.json()["next_cursor"]

    def write(self, method, path, body, if_match=False):
        h = hdr(self.caller.token)
        if if_match:
            h["If-Match"] = "*"
        r = self.api.request(method, path, headers=h, json=body)
        assert r.status_code in (403, 404, 409, 422), \
            (self.caller.role, method, path, r.status_code, r.text)
        self.check(r, method + " " + path)
        return r


def test_nothing_of_erfurts_mentees_reaches_other_districts(api, stack,
                                                           world, gotha):
    ids, names = erfurt_people(stack)
    secret, lonely = gotha["secret"], gotha["lonely"]
    assert {secret["id"], lonely["id"], world["mentee"][OWN]["id"]} <= ids
    assert {secret["display_name"], lonely["display_name"]} <= names
    erfurt_tandems = [r[0] for r in stack.sql(
        "SELECT id::text FROM ch.tandem WHERE district_id = '16051'")]
    assert gotha["trap"]["id"] in erfurt_tandems
    erfurt_meetings = stack.sql(
        "SELECT tandem_id::text, id::text FROM ch.tandem_meeting WHERE"
        " district_id = '16051'")
    mentees = [r[0] for r in stack.sql(
        "SELECT participant_id::text FROM ch.mentee_profile WHERE"
        " district_id = '16051' ORDER BY created_at DESC LIMIT 10")]
    some_mentees = sorted(set(mentees) | {secret["id"], lonely["id"]})
    some_tandems = sorted(set(erfurt_tandems[-10:]) | {gotha["trap"]["id"]})

    def state():
        return [stack.sql("SELECT to_jsonb(t)::text FROM ch.%s t WHERE"
                          " district_id = '16051' ORDER BY 1" % table)
                for table in ("mentee_profile", "tandem", "tandem_meeting")]

    before = state()
    for caller in gotha["callers"]:
        member = caller.role in ("mentor", "participant")
        notes = notes_hidden_from(stack, caller)
        assert set(gotha["notes"]) <= notes
        crawl = Crawl(api, caller, ids, names, notes, member)
        crawl.get("/v1/me")
        for m in crawl.walk("/v1/mentors"):
            crawl.get("/v1/mentors/" + m["id"])
        tandems = crawl.walk("/v1/tandems")
        for t in tandems:
            base = "/v1/tandems/" + t["id"]
            crawl.get(base)
            for x in crawl.walk(base + "/meetings"):
                crawl.get(base + "/meetings/" + x["id"])
        assert crawl.walk("/v1/tandems", participant_id=secret["id"]) == []
        for e in crawl.walk("/v1/events"):
            base = "/v1/events/" + e["id"]
            crawl.get(base)
            for reg in crawl.walk(base + "/registrations"):
                crawl.get(base + "/registrations/" + reg["id"])
        crawl.get("/v1/reports/women")
        people = crawl.walk("/v1/participants")
        for p in people:
            crawl.get("/v1/participants/%s/mentee-profile" % p["id"])

        # Asking for Erfurt's mentees and tandems by id.
        for pid in some_mentees:
            path = "/v1/participants/%s/mentee-profile" % pid
            assert crawl.get(path).status_code in (403, 404)
            crawl.write("PUT", path, mentee_body(german_level="a1"))
            crawl.write("PATCH", path, {"german_level": "a1"}, True)
        for tid in some_tandems:
            base = "/v1/tandems/" + tid
            assert crawl.get(base).status_code in (403, 404)
            # The contract lacks this 404 (see the test above); here only
            # what is said matters.
            assert crawl.get(base + "/meetings", validate=False) \
                .status_code in (403, 404)
            for t_id, x_id in erfurt_meetings:
                if t_id == tid:
                    assert crawl.get(base + "/meetings/" + x_id) \
                        .status_code in (403, 404)
            crawl.write("PATCH", base, {"planned_months": 12}, True)
            crawl.write("PATCH", base, {"status": "ended_early",
                                        "end_reason": "other",
                                        "outcome": "none"}, True)
            crawl.write("POST", base + "/meetings",
                        {"held_on": "2026-01-01", "duration_minutes": 30,
                         "format": "phone", "notes": "x"})
        crawl.write("POST", "/v1/tandems",
                    {"mentor_id": gotha["trap"]["mentor_id"],
                     "participant_id": lonely["id"]})

        # What each sees of its own side.
        ids_seen = [t["id"] for t in tandems]
        if caller.role in ("coordinator", "assistant"):
            assert gotha["g_tandem"]["id"] in ids_seen
            assert all(t["district_id"] == GOTHA for t in tandems)
            assert people and all(p["district_id"] == GOTHA for p in people)
        elif member:
            assert ids_seen == [gotha["g_tandem"]["id"]]
            got = crawl.walk("/v1/tandems/%s/meetings"
                             % gotha["g_tandem"]["id"])
            assert len(got) == 2 and all(x["notes"] for x in got)
        else:
            assert tandems == []
        assert crawl.seen > 50, crawl.seen

    # Nothing of the refused writes happened.
    assert state() == before
