"""Who may do what in Connecting Partners: every route of the feature,
called by every role (the Erfurt demo accounts), against an object that
is the caller's own (or of its district), one of its district that is not
its own, and one of another district (Gotha); and a crawl of everything a
caller outside Erfurt can read, which must not show any Erfurt
participant.

The expected statuses follow api/router.c (the roles of each route: any
other role is 403 before anything else) and the rules of the SQL
functions in db/migrations/0004_partners.sql (the staff of a district,
the organisation's own representative, the person themself; a person or
placement the caller may not see is 404, never 403)."""

import json
import uuid
from urllib.parse import urlsplit

import pytest

from partners_util import (DEMO_ORG, DEMO_PARTICIPANT, ERFURT, GOTHA,
                           PURPOSES, ROLES, Caller, grant, hdr, new_offer,
                           new_org, new_participant, place, unique)

OWN, PEER, OTHER, NONE = "own", "peer", "other", "-"

# own:   Erfurt, and the caller's own record where it has one (the demo
#        organisation b...01 of the organization account, the demo
#        participant c...01 of the participant account)
# peer:  Erfurt, but not the caller's own (another organisation, another
#        person)
# other: Gotha


def S(own, peer, other):
    return {OWN: own, PEER: peer, OTHER: other}


STAFF_ONLY = S(200, 200, 404)     # a person's data: staff and the person
SELF_ONLY = S(200, 404, 404)

# Expected status per route and role, in the order of ROLES:
#   state_admin, coordinator, assistant, organization, mentor, participant
# A plain number holds for every scope; S() gives own, peer, other.
MATRIX = {
    "GET /v1/taxonomies":
        (200, 200, 200, 200, 200, 200),
    "GET /v1/taxonomies/{name}":
        (200, 200, 200, 200, 200, 200),
    "GET /v1/organizations":
        (200, 200, 200, 200, 200, 200),
    "POST /v1/organizations":
        (403, S(201, 201, 403), S(201, 201, 403), 403, 403, 403),
    "GET /v1/organizations/{id}":
        (200, 200, 200, 200, 200, 200),
    "PATCH /v1/organizations/{id}":
        (403, S(200, 200, 403), S(200, 200, 403), S(200, 403, 403), 403,
         403),
    "DELETE /v1/organizations/{id}":
        (403, S(204, 204, 403), S(204, 204, 403), 403, 403, 403),
    "GET /v1/offers":
        (200, 200, 200, 200, 200, 200),
    "POST /v1/offers":
        (403, S(201, 201, 403), S(201, 201, 403), S(201, 403, 403), 403,
         403),
    "GET /v1/offers/{id}":
        (200, 200, 200, 200, 200, 200),
    "GET /v1/offers/{id} (draft)":
        (404, S(200, 200, 404), S(200, 200, 404), S(200, 404, 404), 404,
         404),
    "PATCH /v1/offers/{id}":
        (403, S(200, 200, 403), S(200, 200, 403), S(200, 403, 403), 403,
         403),
    "DELETE /v1/offers/{id}":
        (403, S(204, 204, 403), S(204, 204, 403), S(204, 403, 403), 403,
         403),
    "GET /v1/participants":
        (403, 200, 200, 403, 403, 403),
    "POST /v1/participants":
        (403, 201, 201, 403, 403, 403),
    "GET /v1/participants/{id}":
        (403, STAFF_ONLY, STAFF_ONLY, 403, 403, SELF_ONLY),
    "PATCH /v1/participants/{id}":
        (403, STAFF_ONLY, STAFF_ONLY, 403, 403, SELF_ONLY),
    "GET /v1/participants/{id}/contact":
        (403, STAFF_ONLY, STAFF_ONLY, 403, 403, SELF_ONLY),
    "PATCH /v1/participants/{id}/contact":
        (403, STAFF_ONLY, STAFF_ONLY, 403, 403, SELF_ONLY),
    "GET /v1/participants/{id}/consents":
        (403, STAFF_ONLY, STAFF_ONLY, 403, 403, SELF_ONLY),
    "POST /v1/participants/{id}/consents":
        (403, S(201, 201, 404), S(201, 201, 404), 403, 403,
         S(201, 404, 404)),
    "GET /v1/participants/{id}/consents/{purpose}":
        (403, STAFF_ONLY, STAFF_ONLY, 403, 403, SELF_ONLY),
    "DELETE /v1/participants/{id}/consents/{purpose}":
        (403, STAFF_ONLY, STAFF_ONLY, 403, 403, SELF_ONLY),
    "GET /v1/placements":
        (403, 200, 200, 200, 403, 200),
    # Another district's person in the body is "unknown" (422), exactly
    # as a person that does not exist (test_placing_someone_invisible).
    "POST /v1/placements":
        (403, S(201, 201, 422), S(201, 201, 422), 403, 403, 403),
    "GET /v1/placements/{id}":
        (403, STAFF_ONLY, STAFF_ONLY, SELF_ONLY, 403, SELF_ONLY),
    "PATCH /v1/placements/{id}":
        (403, STAFF_ONLY, STAFF_ONLY, SELF_ONLY, 403, 403),
}

# Routes whose object does not depend on a scope.
SCOPELESS = {"GET /v1/taxonomies", "GET /v1/taxonomies/{name}",
             "GET /v1/organizations", "GET /v1/offers",
             "GET /v1/participants", "POST /v1/participants",
             "GET /v1/placements"}


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
def callers(api):
    return {role: Caller.demo(api, role) for role in ROLES}


@pytest.fixture(scope="module")
def staff(api):
    return {ERFURT: Caller.demo(api, "assistant", ERFURT),
            GOTHA: Caller.demo(api, "assistant", GOTHA),
            "coord " + ERFURT: Caller.demo(api, "coordinator", ERFURT),
            "coord " + GOTHA: Caller.demo(api, "coordinator", GOTHA)}


DISTRICT = {OWN: ERFURT, PEER: ERFURT, OTHER: GOTHA}


@pytest.fixture(scope="module")
def targets(api, staff):
    """The standing objects of each scope."""
    ce, cg = staff["coord " + ERFURT].token, staff["coord " + GOTHA].token
    ae, ag = staff[ERFURT].token, staff[GOTHA].token
    t = {"org": {OWN: DEMO_ORG, PEER: new_org(api, ce)["id"],
                 OTHER: new_org(api, cg)["id"]}}
    coord = {OWN: ce, PEER: ce, OTHER: cg}
    t["offer"] = {s: new_offer(api, coord[s], org=t["org"][s],
                               district=DISTRICT[s])["id"] for s in t["org"]}
    t["draft"] = {s: new_offer(api, coord[s], org=t["org"][s],
                               district=DISTRICT[s], status="draft")["id"]
                  for s in t["org"]}
    t["participant"] = {OWN: DEMO_PARTICIPANT,
                        PEER: new_participant(api, ae)["id"],
                        OTHER: new_participant(api, ag)["id"]}
    asst = {OWN: ae, PEER: ae, OTHER: ag}
    for s, pid in t["participant"].items():
        grant(api, asst[s], pid, "matching")
    t["placement"] = {s: place(api, asst[s], t["participant"][s],
                               t["offer"][s]).json()["id"]
                      for s in t["org"]}
    t["coord"], t["asst"] = coord, asst
    return t


def row_state(stack, table, key, value):
    rows = stack.sql("SELECT to_jsonb(t) - 'updated_at' FROM ch.%s t WHERE"
                     " %s = %%s" % (table, key), (value,))
    return json.dumps(rows, sort_keys=True, default=str)


def build(api, stack, t, route, scope):
    """What to send for one case: method, path, body, headers, a probe of
    the data the call may change, and a check of a successful answer."""
    method, template = route.split(" ")[:2]
    org, offer = t["org"].get(scope), t["offer"].get(scope)
    pid, plid = t["participant"].get(scope), t["placement"].get(scope)
    coord, asst = t["coord"].get(scope), t["asst"].get(scope)
    c = {"method": method, "body": None, "headers": {},
         "probe": lambda: None, "ok": lambda r: r.status_code == 204 and
         not r.content}

    def patching(table, key, value):
        c["headers"] = {"If-Match": "*",
                        "Content-Type": "application/merge-patch+json"}
        c["probe"] = lambda: row_state(stack, table, key, value)

    if route == "GET /v1/taxonomies":
        c["path"] = "/v1/taxonomies"
        c["ok"] = lambda r: len(r.json()["items"]) == 6
    elif route == "GET /v1/taxonomies/{name}":
        c["path"] = "/v1/taxonomies/activity_categories"
        c["ok"] = lambda r: r.json()["name"] == "activity_categories"
    elif route == "GET /v1/organizations":
        c["path"] = "/v1/organizations?limit=100"
        c["ok"] = lambda r: r.json()["items"]
    elif route == "POST /v1/organizations":
        name = unique("Matrix-Verein")
        c["path"] = "/v1/organizations"
        c["body"] = {"name": name, "kind": "culture",
                     "district_id": DISTRICT[scope]}
        c["probe"] = lambda: stack.sql("SELECT count(*) FROM ch.organization"
                                       " WHERE name = %s", (name,))
        c["ok"] = lambda r: (r.json()["name"], r.json()["district_id"]) == \
            (name, DISTRICT[scope])
    elif route == "GET /v1/organizations/{id}":
        c["path"] = "/v1/organizations/" + org
        c["ok"] = lambda r: r.json()["id"] == org
    elif route == "PATCH /v1/organizations/{id}":
        c["path"] = "/v1/organizations/" + org
        text = unique("Beschreibung")
        c["body"] = {"description": text}
        patching("organization", "id", org)
        c["ok"] = lambda r: r.json()["description"] == text
    elif route == "DELETE /v1/organizations/{id}":
        fresh = new_org(api, coord, DISTRICT[scope])["id"]
        c["path"] = "/v1/organizations/" + fresh
        c["probe"] = lambda: row_state(stack, "organization", "id", fresh)
    elif route == "GET /v1/offers":
        c["path"] = "/v1/offers?limit=100"
        c["ok"] = lambda r: r.json()["items"]
    elif route == "POST /v1/offers":
        title = unique("Matrix-Angebot")
        c["path"] = "/v1/offers"
        c["body"] = {"organization_id": org, "title": title,
                     "category": "sport", "languages": ["de"],
                     "capacity": 5, "online": True}
        c["probe"] = lambda: stack.sql("SELECT count(*) FROM ch.offer"
                                       " WHERE title = %s", (title,))
        c["ok"] = lambda r: (r.json()["organization_id"],
                             r.json()["status"]) == (org, "draft")
    elif route == "GET /v1/offers/{id}":
        c["path"] = "/v1/offers/" + offer
        c["ok"] = lambda r: r.json()["id"] == offer
    elif route == "GET /v1/offers/{id} (draft)":
        draft = t["draft"][scope]
        c["path"] = "/v1/offers/" + draft
        c["ok"] = lambda r: (r.json()["id"], r.json()["status"]) == \
            (draft, "draft")
    elif route == "PATCH /v1/offers/{id}":
        c["path"] = "/v1/offers/" + offer
        text = unique("Beschreibung")
        c["body"] = {"description": text}
        patching("offer", "id", offer)
        c["ok"] = lambda r: r.json()["description"] == text
    elif route == "DELETE /v1/offers/{id}":
        fresh = new_offer(api, coord, org=org, district=DISTRICT[scope])["id"]
        c["path"] = "/v1/offers/" + fresh
        c["probe"] = lambda: row_state(stack, "offer", "id", fresh)
    elif route == "GET /v1/participants":
        c["path"] = "/v1/participants?limit=100"
        c["ok"] = lambda r: r.json()["items"] and all(
            p["district_id"] == ERFURT for p in r.json()["items"])
    elif route == "POST /v1/participants":
        name = unique("Matrix-Person")
        c["path"] = "/v1/participants"
        c["body"] = {"display_name": name, "gender": "undisclosed"}
        c["probe"] = lambda: stack.sql("SELECT count(*) FROM ch.participant"
                                       " WHERE display_name = %s", (name,))
        c["ok"] = lambda r: (r.json()["display_name"],
                             r.json()["district_id"]) == (name, ERFURT)
    elif route == "GET /v1/participants/{id}":
        c["path"] = "/v1/participants/" + pid
        c["ok"] = lambda r: r.json()["id"] == pid
    elif route == "PATCH /v1/participants/{id}":
        c["path"] = "/v1/participants/" + pid
        radius = 11 + uuid.uuid4().int % 50
        c["body"] = {"mobility_radius_km": radius}
        patching("participant", "id", pid)
        c["ok"] = lambda r: r.json()["mobility_radius_km"] == radius
    elif route == "GET /v1/participants/{id}/contact":
        c["path"] = "/v1/participants/%s/contact" % pid
        c["ok"] = lambda r: r.json()["participant_id"] == pid
    elif route == "PATCH /v1/participants/{id}/contact":
        c["path"] = "/v1/participants/%s/contact" % pid
        city = unique("Ort")
        c["body"] = {"city": city}
        patching("participant_contact", "participant_id", pid)
        c["ok"] = lambda r: r.json()["city"] == city
    elif route == "GET /v1/participants/{id}/consents":
        c["path"] = "/v1/participants/%s/consents" % pid
        c["ok"] = lambda r: r.json()["items"] and all(
            x["participant_id"] == pid for x in r.json()["items"])
    elif route == "POST /v1/participants/{id}/consents":
        version = unique("v")
        c["path"] = "/v1/participants/%s/consents" % pid
        c["body"] = {"purpose": "statistics", "text_version": version}
        c["probe"] = lambda: stack.sql("SELECT count(*) FROM ch.consent"
                                       " WHERE text_version = %s", (version,))
        c["ok"] = lambda r: (r.json()["participant_id"], r.json()["status"],
                             r.json()["text_version"]) == \
            (pid, "granted", version)
    elif route == "GET /v1/participants/{id}/consents/{purpose}":
        c["path"] = "/v1/participants/%s/consents/matching" % pid
        c["ok"] = lambda r: (r.json()["participant_id"],
                             r.json()["purpose"]) == (pid, "matching")
    elif route == "DELETE /v1/participants/{id}/consents/{purpose}":
        grant(api, asst, pid, "statistics", version=unique("v"))
        c["path"] = "/v1/participants/%s/consents/statistics" % pid
        c["probe"] = lambda: stack.sql(
            "SELECT count(*) FROM ch.consent WHERE participant_id = %s AND"
            " purpose = 'statistics' AND withdrawn_at IS NULL", (pid,))
        c["ok"] = lambda r: (r.json()["participant_id"], r.json()["status"],
                             r.json()["withdrawal_reason"]) == \
            (pid, "withdrawn", "withdrawn")
    elif route == "GET /v1/placements":
        c["path"] = "/v1/placements?limit=100"
        c["ok"] = lambda r: r.json()["items"] is not None
    elif route == "POST /v1/placements":
        who = new_participant(api, asst)["id"]
        c["path"] = "/v1/placements"
        c["body"] = {"participant_id": who, "offer_id": offer}
        c["probe"] = lambda: stack.sql("SELECT count(*) FROM ch.placement"
                                       " WHERE participant_id = %s", (who,))
        c["ok"] = lambda r: (r.json()["participant_id"],
                             r.json()["offer_id"], r.json()["status"]) == \
            (who, offer, "active")
    elif route == "GET /v1/placements/{id}":
        c["path"] = "/v1/placements/" + plid
        c["ok"] = lambda r: (r.json()["id"], r.json()["participant_id"]) == \
            (plid, pid)
    elif route == "PATCH /v1/placements/{id}":
        fresh_offer = new_offer(api, coord, org=org,
                                district=DISTRICT[scope])["id"]
        fresh = place(api, asst, pid, fresh_offer).json()["id"]
        c["path"] = "/v1/placements/" + fresh
        c["body"] = {"status": "ended", "end_reason": "other"}
        patching("placement", "id", fresh)
        c["ok"] = lambda r: (r.json()["id"], r.json()["status"],
                             r.json()["end_reason"]) == \
            (fresh, "ended", "other")
    else:
        raise AssertionError(route)
    return c


PROBLEM_TYPE = {401: "invalid-token", 403: "forbidden", 404: "not-found",
                422: "validation-failed"}


@pytest.mark.parametrize("route,role,scope", list(cases()))
def test_matrix(api, stack, callers, targets, route, role, scope):
    want = expected(route, role, scope)
    c = build(api, stack, targets, route, scope)
    before = c["probe"]()
    headers = hdr(callers[role].token)
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
        assert "/participant_id" in [e["field"] for e in problem["errors"]]
    if route == "GET /v1/placements" and want == 200:
        # Each sees its own share: the district's, the organisation's
        # offers', the person's own.
        mine = {"coordinator": ("district_id", ERFURT),
                "assistant": ("district_id", ERFURT),
                "organization": ("organization_id", DEMO_ORG),
                "participant": ("participant_id", DEMO_PARTICIPANT)}[role]
        items = r.json()["items"]
        assert items and all(x[mine[0]] == mine[1] for x in items)


ROUTE_PATHS = sorted({(r.split(" ")[0], r.split(" ")[1]) for r in MATRIX})


@pytest.mark.parametrize("method,template", ROUTE_PATHS)
def test_without_a_token(api, targets, method, template):
    path = (template.replace("{name}", "activity_categories")
            .replace("{purpose}", "matching")
            .replace("{id}", targets["participant"][OWN]
                     if "participants" in template else
                     targets["placement"][OWN] if "placements" in template
                     else targets["offer"][OWN] if "offers" in template
                     else targets["org"][OWN]))
    kw = {}
    if method in ("POST", "PATCH"):
        kw["json"] = {}
    r = api.request(method, path, **kw)
    if template.startswith("/v1/taxonomies"):
        assert r.status_code == 200
        return
    assert r.status_code == 401, r.text
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert r.json()["type"] == "urn:ch:problem:unauthenticated"
    # A token that is not one is refused the same way.
    r = api.request(method, path, headers={"Authorization": "Bearer x.y.z"},
                    **kw)
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_every_partners_route_is_in_the_matrix(spec):
    documented = {(m.upper(), p) for p, item in spec.doc["paths"].items()
                  if p.startswith(("/v1/taxonomies", "/v1/organizations",
                                   "/v1/offers", "/v1/participants",
                                   "/v1/placements"))
                  and not p.endswith("/mentee-profile")  # Connecting Women
                  # privacy: test_privacy.py has their matrix
                  and not p.endswith(("/export", "/erasure"))
                  for m in item if m in ("get", "post", "patch", "delete")}
    assert documented == set(ROUTE_PATHS)


def test_placing_someone_invisible_reveals_nothing(api, callers, targets):
    """Another district's person and a person that does not exist get the
    same answer."""
    asst = callers["assistant"].token
    answers = []
    for pid in (targets["participant"][OTHER], str(uuid.uuid4())):
        r = place(api, asst, pid, targets["offer"][OWN], expect=422)
        body = r.json()
        answers.append((body["title"], body["detail"], body["errors"]))
    assert answers[0] == answers[1]


@pytest.mark.parametrize("sub", ["", "/contact", "/consents",
                                 "/consents/matching"])
def test_another_districts_person_is_like_nobody(api, callers, targets, sub):
    asst = callers["assistant"].token
    answers = []
    for pid in (targets["participant"][OTHER], str(uuid.uuid4())):
        r = api.get("/v1/participants/%s%s" % (pid, sub),
                    headers=hdr(asst))
        assert r.status_code == 404
        body = r.json()
        answers.append((body["title"], body["detail"]))
    assert answers[0] == answers[1]


# ------------------------------------------------------------ no leak

@pytest.fixture(scope="module")
def outsiders(api, staff):
    """Every role outside Erfurt: Gotha's demo staff and Gotha accounts
    made for the test (an organisation's representative, a mentor, a
    participant), and the state admin. Also the traps: an Erfurt person
    placed in a Gotha offer (of an organisation none of them
    represents), with every consent; and a Gotha person placed in the
    Gotha representative's offer, sharing contact details."""
    admin = Caller.demo(api, "state_admin")
    ce, cg = staff["coord " + ERFURT].token, staff["coord " + GOTHA].token
    ae, ag = staff[ERFURT].token, staff[GOTHA].token
    gorg = new_org(api, cg)["id"]
    trap_org = new_org(api, cg)["id"]
    gperson = new_participant(api, ag)["id"]
    for purpose in PURPOSES:
        grant(api, ag, gperson, purpose)
    assert api.request("PATCH", "/v1/participants/%s/contact" % gperson,
                       headers=hdr(ag, If_Match="*"),
                       json={"email": "gotha@mail.example"}).status_code == 200
    place(api, ag, gperson, new_offer(api, cg, org=gorg,
                                      district=GOTHA)["id"])

    secret = new_participant(api, ae, display_name=unique("Erfurt-Geheim"))
    contact = {"email": unique("geheim") + "@mail.example",
               "phone": "+49 151 %07d" % (uuid.uuid4().int % 10 ** 7),
               "street": unique("Geheimweg"), "city": "Erfurt"}
    assert api.request("PATCH", "/v1/participants/%s/contact" % secret["id"],
                       headers=hdr(ae, If_Match="*"),
                       json=contact).status_code == 200
    for purpose in PURPOSES:
        grant(api, ae, secret["id"], purpose)
    trap_offer = new_offer(api, cg, org=trap_org, district=GOTHA)["id"]
    trap = place(api, ae, secret["id"], trap_offer).json()["id"]
    place(api, ae, secret["id"], new_offer(api, ce, org=DEMO_ORG)["id"])

    who = [Caller.demo(api, "coordinator", GOTHA),
           Caller.demo(api, "assistant", GOTHA),
           Caller.new(api, admin, "organization", GOTHA,
                      organization_id=gorg),
           Caller.new(api, admin, "mentor", GOTHA),
           Caller.new(api, admin, "participant", GOTHA,
                      participant_id=gperson),
           admin]
    return {"callers": who, "secret": secret["id"], "trap": trap,
            "secret_email": contact["email"],
            "secret_name": secret["display_name"],
            "trap_offer": trap_offer, "gperson": gperson, "gorg": gorg}


def sensitive(stack):
    """What of Erfurt's people no outsider may see: ids (anywhere in the
    text), and names and contact values (as whole JSON strings) that no
    person of another district and no public record shares."""
    ids = {r[0] for r in stack.sql(
        "SELECT id::text FROM ch.participant WHERE district_id = '16051'")}
    values = set()
    for row in stack.sql(
            "SELECT p.display_name, c.email, c.phone, c.street, c.note"
            " FROM ch.participant p LEFT JOIN ch.participant_contact c"
            " ON c.participant_id = p.id WHERE p.district_id = '16051'"):
        values |= {v for v in row if v}
    public = set()
    for row in stack.sql(
            "SELECT p.display_name, c.email, c.phone, c.street, c.note"
            " FROM ch.participant p LEFT JOIN ch.participant_contact c"
            " ON c.participant_id = p.id WHERE p.district_id <> '16051'"
            " UNION ALL SELECT name, email, phone, description, website"
            " FROM ch.organization UNION ALL SELECT title, description,"
            " NULL, NULL, NULL FROM ch.offer"
            " UNION ALL SELECT unnest(tags), NULL, NULL, NULL, NULL"
            " FROM ch.offer UNION ALL SELECT code, NULL, NULL, NULL, NULL"
            " FROM ch.taxonomy_term"
            " UNION ALL SELECT name, NULL, NULL, NULL, NULL FROM ch.place"
            " UNION ALL SELECT name, seat, NULL, NULL, NULL"
            " FROM ch.district"):
        public |= {v for v in row if v}
    for (labels,) in stack.sql("SELECT labels FROM ch.taxonomy_term"):
        public |= set(labels.values())
    # Short values (codes, initials) say nothing and match too easily.
    return ids, {v for v in values - public if len(v) >= 4}


def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)


class Crawl:
    def __init__(self, api, caller, ids, values):
        self.api, self.caller = api, caller
        self.ids, self.values = ids, values
        self.seen = 0

    def check(self, r, what):
        """No Erfurt id anywhere, no Erfurt value as a string. A problem
        names the path the caller asked for (instance): that is not
        told, it was asked."""
        self.seen += 1
        body = r.json() if r.content else None
        if isinstance(body, dict) and \
                body.get("instance") == urlsplit(r.request.url).path:
            del body["instance"]
        text = json.dumps(body, ensure_ascii=False)
        for i in self.ids:
            assert i not in text, (self.caller.role, what, "Erfurt id", i)
        for s in strings(body):
            assert s not in self.values, \
                (self.caller.role, what, "Erfurt value", s)

    def get(self, path, **params):
        r = self.api.get(path, headers=hdr(self.caller.token),
                         params=params or None)
        assert r.status_code in (200, 403, 404), (path, r.status_code)
        self.check(r, path)
        return r

    def walk(self, path, **params):
        """Every page of a list; [] when the role may not list it."""
        items, params = [], dict(params, limit=100)
        while True:
            r = self.get(path, **params)
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


def test_nothing_of_erfurts_people_reaches_other_districts(api, stack,
                                                          outsiders):
    ids, values = sensitive(stack)
    assert outsiders["secret"] in ids
    assert outsiders["secret_email"] in values
    assert outsiders["secret_name"] in values
    assert len(values) > 3 * len(ids) / 2, "hardly anything to look for"
    erfurt_placements = [r[0] for r in stack.sql(
        "SELECT id::text FROM ch.placement WHERE district_id = '16051'")]
    assert outsiders["trap"] in erfurt_placements
    some_people = sorted(ids)[:10] + [outsiders["secret"]]
    some_placements = erfurt_placements[:10] + [outsiders["trap"]]
    version = unique("x")

    def state():
        return [stack.sql(
            "SELECT to_jsonb(t)::text FROM ch.%s t WHERE %s = ANY(%%s::uuid[])"
            " ORDER BY 1" % (table, key), (ids_,))
            for table, key, ids_ in (
                ("participant", "id", some_people),
                ("participant_contact", "participant_id", some_people),
                ("consent", "participant_id", some_people),
                ("placement", "participant_id", some_people),
                ("placement", "id", some_placements))]

    before = state()

    for caller in outsiders["callers"]:
        crawl = Crawl(api, caller, ids, values)
        crawl.get("/v1/me")
        crawl.get("/v1/taxonomies")
        for org in crawl.walk("/v1/organizations"):
            crawl.get("/v1/organizations/" + org["id"])
        for offer in crawl.walk("/v1/offers"):
            crawl.get("/v1/offers/" + offer["id"])
        crawl.walk("/v1/offers", near="99084", radius_km=100)
        people = crawl.walk("/v1/participants")
        for p in people:
            base = "/v1/participants/" + p["id"]
            crawl.get(base)
            crawl.get(base + "/contact")
            crawl.walk(base + "/consents")
            for purpose in PURPOSES:
                crawl.get(base + "/consents/" + purpose)
        placements = crawl.walk("/v1/placements")
        for pl in placements:
            crawl.get("/v1/placements/" + pl["id"])
        assert outsiders["trap"] not in [pl["id"] for pl in placements]
        assert crawl.walk("/v1/placements",
                          participant_id=outsiders["secret"]) == []
        crawl.walk("/v1/placements", offer_id=outsiders["trap_offer"])

        # Asking for Erfurt's people and placements by id.
        for pid in some_people:
            base = "/v1/participants/" + pid
            for sub in ("", "/contact", "/consents", "/consents/matching"):
                assert crawl.get(base + sub).status_code in (403, 404)
            crawl.write("PATCH", base, {"mobility_radius_km": 99}, True)
            crawl.write("PATCH", base + "/contact", {"city": "Gotha"}, True)
            crawl.write("POST", base + "/consents",
                        {"purpose": "statistics", "text_version": version})
            crawl.write("DELETE", base + "/consents/matching", None)
        for plid in some_placements:
            assert crawl.get("/v1/placements/" + plid).status_code in \
                (403, 404)
            crawl.write("PATCH", "/v1/placements/" + plid,
                        {"status": "ended", "end_reason": "other"}, True)
        crawl.write("POST", "/v1/placements",
                    {"participant_id": outsiders["secret"],
                     "offer_id": outsiders["trap_offer"]})

        # What each could see of its own side.
        if caller.role in ("coordinator", "assistant"):
            assert people and all(p["district_id"] == GOTHA for p in people)
            assert outsiders["gperson"] in [p["id"] for p in people]
            assert placements and all(pl["district_id"] == GOTHA
                                      for pl in placements)
        elif caller.role == "organization":
            assert [pl["participant_id"] for pl in placements] == \
                [outsiders["gperson"]]
            assert placements[0]["participant"]["contact"]["email"] == \
                "gotha@mail.example"
        elif caller.role == "participant":
            assert [pl["participant_id"] for pl in placements] == \
                [outsiders["gperson"]]
        assert crawl.seen > 50, crawl.seen

    # Nothing of the refused writes happened.
    assert state() == before
    assert stack.sql("SELECT count(*) FROM ch.consent WHERE"
                     " text_version = %s", (version,)) == [(0,)]
