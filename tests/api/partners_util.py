"""Shared helpers of the Connecting Partners tests (test_offers.py,
test_placements.py, test_participants.py, test_consents.py,
test_conventions.py, test_partners_*.py, ...): accounts, organisations,
offers, participants, consents and placements made through the API the way
a client would, and list walking."""

import datetime
import json
import math
import time
import uuid

from authutil import (DEMO_PASSWORD, ERFURT, GOTHA, bearer, demo_email,
                      login, token_for)

ROLES = ["state_admin", "coordinator", "assistant", "organization", "mentor",
         "participant"]

# The Connecting Partners demo records the demo accounts act for
# (db/demo/0002_users.sql).
DEMO_ORG = "b0000000-0000-4000-8000-000000000001"
DEMO_PARTICIPANT = "c0000000-0000-4000-8000-000000000001"

PURPOSES = ["matching", "cross_district", "share_contact_with_partner",
            "statistics"]

EARTH_KM = 6371.0088

__all__ = ["ROLES", "DEMO_ORG", "DEMO_PARTICIPANT", "PURPOSES", "ERFURT",
           "GOTHA", "bearer", "token_for", "login", "hdr", "unique",
           "user_id", "place_of", "new_org", "new_offer",
           "new_participant", "grant", "withdraw", "place", "read",
           "patch", "walk", "haversine", "Caller", "DEMO_PASSWORD",
           "demo_callers", "today_dates", "free_places"]


def unique(tag):
    return "%s-%s" % (tag, uuid.uuid4().hex[:10])


def hdr(token, **extra):
    """Authorization plus further headers (If_Match -> If-Match)."""
    h = bearer(token) if token else {}
    for k, v in extra.items():
        h[k.replace("_", "-")] = v
    return h


def today_dates():
    """current_date of the database may be UTC or local time."""
    return {datetime.date.today().isoformat(),
            datetime.datetime.now(datetime.timezone.utc).date().isoformat()}


def user_id(api, token):
    r = api.get("/v1/me", headers=bearer(token))
    assert r.status_code == 200, r.text
    return r.json()["subject"]


_places = {}


def place_of(api, postal_code, name=None):
    """The place (as GET /v1/places shows it) with exactly this postal
    code, and this name if given. Cached per stack: place ids differ
    between stacks (test_privacy_lifecycle.py runs one of its own)."""
    key = (api.base, postal_code, name)
    if key not in _places:
        r = api.get("/v1/places", params={"postal_code": postal_code,
                                          "limit": 100})
        assert r.status_code == 200, r.text
        items = [p for p in r.json()["items"]
                 if p["postal_code"] == postal_code and
                 (name is None or p["name"] == name)]
        assert items, "no place %s %s" % (postal_code, name)
        _places[key] = items[0]
    return _places[key]


def new_org(api, token, district=None, expect=201, **fields):
    body = {"name": unique("Verein"), "kind": "sport_club", **fields}
    if district:
        body["district_id"] = district
    r = api.request("POST", "/v1/organizations", headers=bearer(token),
                    json=body)
    assert r.status_code == expect, r.text
    return r.json()


SEAT = {ERFURT: "99084", GOTHA: "99867"}


def new_offer(api, token, org=None, district=ERFURT, expect=201, **fields):
    """An open offer at the district seat unless fields say otherwise."""
    body = {"title": unique("Angebot"), "category": "sport",
            "languages": ["de", "uk"], "capacity": 10, "status": "open"}
    if "place_id" not in fields and not fields.get("online"):
        body["place_id"] = place_of(api, SEAT[district])["id"]
    if org:
        body["organization_id"] = org
    body.update(fields)
    r = api.request("POST", "/v1/offers", headers=bearer(token), json=body)
    assert r.status_code == expect, r.text
    return r.json()


def new_participant(api, token, expect=201, **fields):
    body = {"display_name": unique("P"), "gender": "female",
            "birth_year": 1990,
            "languages": [{"code": "uk", "level": "native"},
                          {"code": "de", "level": "a2"}],
            "interests": ["sport"], **fields}
    r = api.request("POST", "/v1/participants", headers=bearer(token),
                    json=body)
    assert r.status_code == expect, r.text
    return r.json()


def grant(api, token, pid, purpose, version="2026-01", expect=(200, 201),
          **headers):
    r = api.request("POST", "/v1/participants/%s/consents" % pid,
                    headers=hdr(token, **headers),
                    json={"purpose": purpose, "text_version": version})
    assert r.status_code in ((expect,) if isinstance(expect, int)
                             else expect), r.text
    return r


def withdraw(api, token, pid, purpose, expect=200, **headers):
    r = api.request("DELETE", "/v1/participants/%s/consents/%s"
                    % (pid, purpose), headers=hdr(token, **headers))
    assert r.status_code == expect, r.text
    return r


def place(api, token, pid, offer_id, expect=201, **fields):
    r = api.request("POST", "/v1/placements", headers=bearer(token),
                    json={"participant_id": pid, "offer_id": offer_id,
                          **fields})
    assert r.status_code == expect, r.text
    return r


def read(api, token, path, expect=200, **headers):
    r = api.get(path, headers=hdr(token, **headers))
    assert r.status_code == expect, (path, r.status_code, r.text)
    return r


def free_places(api, token, offer_id):
    return read(api, token, "/v1/offers/" + offer_id).json()["free_places"]


def patch(api, token, path, body, etag=None, reader=None, **headers):
    """A merge patch; etag None: read the current one first (as reader),
    False: send no If-Match."""
    h = hdr(token, **headers)
    if etag is None:
        etag = read(api, reader or token, path).headers["ETag"]
    if etag is not False:
        h["If-Match"] = etag
    h["Content-Type"] = "application/merge-patch+json"
    return api.request("PATCH", path, headers=h, data=json.dumps(body))


def walk(api, token, path, params=None, limit=20, http=None):
    """Every item of a list, following next_cursor; returns (items,
    pages). Asserts the page size and that no cursor is empty."""
    params = dict(params or {}, limit=limit)
    items, pages = [], 0
    while True:
        r = (http or api).get(path, headers=hdr(token), params=params)
        assert r.status_code == 200, (path, params, r.text)
        body = r.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        if body["next_cursor"] is None:
            return items, pages
        assert body["next_cursor"], "empty cursor"
        assert body["items"], "a cursor after an empty page"
        params["cursor"] = body["next_cursor"]
        assert pages < 1000, "endless pagination"


def haversine(lat1, lon1, lat2, lon2):
    """Great-circle distance in km (mean Earth radius, IUGG)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + \
        math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


class Caller:
    """A signed-in account. Access tokens live 15 minutes, so the token
    is fetched again when it is older than ten."""

    def __init__(self, api, email, role, district, uid=None):
        self.api = api
        self.email = email
        self.role = role
        self.district = district
        self._token, self._at = None, 0.0
        self.id = uid or user_id(api, self.token)

    @property
    def token(self):
        if self._token is None or time.monotonic() - self._at > 600:
            self._token = login(self.api, self.email)["access_token"]
            self._at = time.monotonic()
        return self._token

    @classmethod
    def demo(cls, api, role, district=ERFURT):
        return cls(api, demo_email(role, district), role,
                   None if role == "state_admin" else district)

    @classmethod
    def new(cls, api, admin, role, district, **links):
        """An account made by the state admin (a Caller)."""
        email = unique(role) + "@partners.example"
        body = {"email": email, "password": DEMO_PASSWORD, "role": role,
                "district_id": district, **links}
        r = api.request("POST", "/v1/users", headers=bearer(admin.token),
                        json=body)
        assert r.status_code == 201, r.text
        return cls(api, email, role, district, r.json()["id"])


def demo_callers(api, roles=ROLES):
    """The demo accounts of Erfurt in these roles (and Gotha's staff):
    {role: Caller, "gotha_coordinator": ..., "gotha_assistant": ...}."""
    w = {role: Caller.demo(api, role) for role in roles}
    w["gotha_coordinator"] = Caller.demo(api, "coordinator", GOTHA)
    w["gotha_assistant"] = Caller.demo(api, "assistant", GOTHA)
    return w
