"""Connecting Partners through HTTP, end to end: registering a person,
consents, contact details, offers, placements and their capacity under
concurrency, Idempotency-Key, ETag/If-Match, offer search, taxonomies,
self-service, what an organisation sees, and the audit trail.

Every answer is also validated against openapi/openapi.yaml by the `api`
client (conftest.py)."""

import datetime
import json
import threading
import uuid

import pytest
import requests

from partners_util import (DEMO_ORG, DEMO_PARTICIPANT, ERFURT, GOTHA,
                           Caller, grant, haversine, hdr, new_offer,
                           new_org, new_participant, patch, place, place_of,
                           read, unique, walk, withdraw)

ALL_FALSE = {"matching": False, "cross_district": False,
             "share_contact_with_partner": False, "statistics": False}


@pytest.fixture(scope="module")
def who(api):
    """The demo accounts of Erfurt (and Gotha's staff)."""
    w = {role: Caller.demo(api, role) for role in (
        "state_admin", "coordinator", "assistant", "organization", "mentor",
        "participant")}
    w["gotha_coordinator"] = Caller.demo(api, "coordinator", GOTHA)
    w["gotha_assistant"] = Caller.demo(api, "assistant", GOTHA)
    return w


def today_dates():
    """current_date of the database may be UTC or local time."""
    return {datetime.date.today().isoformat(),
            datetime.datetime.now(datetime.timezone.utc).date().isoformat()}


def free_places(api, token, offer_id):
    return read(api, token, "/v1/offers/" + offer_id).json()["free_places"]


def audit_rows(stack, request_id):
    return stack.sql(
        "SELECT actor, actor_role, action, entity, entity_id, district_id,"
        " detail FROM ch.audit_log WHERE request_id = %s ORDER BY id",
        (request_id,))


# ------------------------------------------------------------ the main flow

def test_register_consent_contact_place_end_and_withdraw(api, who, stack):
    asst, org = who["assistant"], who["organization"]
    home = place_of(api, "99084")
    name = unique("Olena")

    # An assistant registers a person.
    r = api.request("POST", "/v1/participants", headers=hdr(asst.token),
                    json={"display_name": name, "gender": "female",
                          "birth_year": 1988,
                          "languages": [{"code": "uk", "level": "native"},
                                        {"code": "de", "level": "a2"}],
                          "interests": ["sport", "culture_music"],
                          "availability": {"mon": ["evening"],
                                           "sat": ["morning", "afternoon"]},
                          "home_place_id": home["id"],
                          "mobility_radius_km": 10, "needs": ["childcare"]})
    assert r.status_code == 201, r.text
    p = r.json()
    pid = p["id"]
    assert r.headers["Location"] == "/v1/participants/" + pid
    assert r.headers["ETag"] == '"1"' and p["version"] == 1
    assert p["district_id"] == ERFURT
    assert p["display_name"] == name
    assert p["assistant_id"] == asst.id, "the registering assistant"
    assert p["status"] == "waiting" and p["waiting_since"] is not None
    assert p["consents"] == ALL_FALSE
    assert p["home_place"]["id"] == home["id"]
    assert p["home_place"]["postal_code"] == "99084"
    assert p["availability"] == {"mon": ["evening"],
                                 "sat": ["morning", "afternoon"]}
    assert p["needs"] == ["childcare"]
    assert read(api, asst.token, "/v1/participants/" + pid).json() == p

    # Consents: matching and cross_district.
    grants = {}
    for purpose in ("matching", "cross_district"):
        r = grant(api, asst.token, pid, purpose, expect=201)
        c = r.json()
        assert r.headers["Location"] == \
            "/v1/participants/%s/consents/%s" % (pid, purpose)
        assert (c["participant_id"], c["purpose"], c["status"],
                c["text_version"], c["granted_by"], c["granted_by_role"]) == \
            (pid, purpose, "granted", "2026-01", asst.id, "assistant")
        assert c["withdrawn_at"] is None and c["withdrawal_reason"] is None
        grants[purpose] = c["id"]
    # The same grant again changes nothing.
    r = grant(api, asst.token, pid, "matching", expect=200)
    assert r.json()["id"] == grants["matching"]
    assert "Location" not in r.headers
    p = read(api, asst.token, "/v1/participants/" + pid).json()
    assert p["consents"] == dict(ALL_FALSE, matching=True,
                                 cross_district=True)

    # Contact details, kept apart, changed with If-Match.
    path = "/v1/participants/%s/contact" % pid
    r = read(api, asst.token, path)
    assert r.headers["ETag"] == '"1"'
    c = r.json()
    assert c["participant_id"] == pid
    assert [c[k] for k in ("email", "phone", "street", "postal_code", "city",
                           "preferred_channel", "note")] == [None] * 7
    r = patch(api, asst.token, path,
              {"email": "olena@mail.example", "phone": "+49 151 2345678",
               "street": "Anger 1", "postal_code": "99084",
               "preferred_channel": "messenger"}, etag='"1"')
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"2"' and r.json()["version"] == 2
    assert r.json()["email"] == "olena@mail.example"
    # Merge patch: null clears a member, the others stay.
    r = patch(api, asst.token, path, {"phone": None, "city": "Erfurt"},
              etag='"2"')
    assert r.status_code == 200, r.text
    c = r.json()
    assert (c["email"], c["phone"], c["street"], c["city"],
            c["preferred_channel"]) == ("olena@mail.example", None,
                                        "Anger 1", "Erfurt", "messenger")
    assert read(api, asst.token, path).json() == c

    # The organisation's representative publishes an offer; the
    # organisation is its own.
    title = unique("Fussball")
    r = api.request("POST", "/v1/offers", headers=hdr(org.token),
                    json={"title": title, "category": "sport",
                          "languages": ["de", "uk"], "place_id": home["id"],
                          "schedule": {"tue": ["evening"]}, "capacity": 2,
                          "status": "open"})
    assert r.status_code == 201, r.text
    f = r.json()
    assert r.headers["Location"] == "/v1/offers/" + f["id"]
    assert r.headers["ETag"] == '"1"'
    assert f["organization_id"] == DEMO_ORG
    assert f["district_id"] == ERFURT
    assert (f["capacity"], f["free_places"], f["status"]) == (2, 2, "open")
    assert f["schedule"] == {"tue": ["evening"]}
    assert f["place"]["postal_code"] == "99084"
    org_name = read(api, org.token,
                    "/v1/organizations/" + DEMO_ORG).json()["name"]
    assert f["organization_name"] == org_name

    # The assistant places the person.
    r = place(api, asst.token, pid, f["id"], note="Erstgespräch Montag")
    pl = r.json()
    assert r.headers["Location"] == "/v1/placements/" + pl["id"]
    assert r.headers["ETag"] == '"1"'
    assert (pl["participant_id"], pl["offer_id"], pl["organization_id"],
            pl["district_id"], pl["status"]) == \
        (pid, f["id"], DEMO_ORG, ERFURT, "active")
    assert pl["started_on"] in today_dates()
    assert pl["ended_on"] is None and pl["end_reason"] is None
    assert pl["note"] == "Erstgespräch Montag"
    assert pl["participant"] == {
        "id": pid, "display_name": name,
        "languages": [{"code": "uk", "level": "native"},
                      {"code": "de", "level": "a2"}]}
    assert pl["offer"] == {"id": f["id"], "title": title,
                           "organization_name": org_name,
                           "district_id": ERFURT}
    assert free_places(api, asst.token, f["id"]) == 1
    # Placed in this offer already: 409, and nothing changes.
    r = place(api, asst.token, pid, f["id"], expect=409)
    assert free_places(api, asst.token, f["id"]) == 1
    listed, _ = walk(api, asst.token, "/v1/placements",
                     {"participant_id": pid})
    assert [x["id"] for x in listed] == [pl["id"]]

    # Ending it frees the place.
    ppath = "/v1/placements/" + pl["id"]
    r = patch(api, asst.token, ppath,
              {"status": "ended", "end_reason": "completed"}, etag='"1"')
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"2"'
    e = r.json()
    assert (e["status"], e["end_reason"]) == ("ended", "completed")
    assert e["ended_on"] in today_dates()
    assert free_places(api, asst.token, f["id"]) == 2
    # An ended placement does not change any more.
    r = patch(api, asst.token, ppath, {"note": "später"}, etag='"2"')
    assert r.status_code == 409, r.text
    assert read(api, asst.token, ppath).json()["note"] == \
        "Erstgespräch Montag"
    # Placed again after the end; ending needs a reason.
    again = place(api, asst.token, pid, f["id"]).json()
    assert free_places(api, asst.token, f["id"]) == 1
    r = patch(api, asst.token, "/v1/placements/" + again["id"],
              {"status": "ended"}, etag='"1"')
    assert r.status_code == 422, r.text
    assert [x["field"] for x in r.json()["errors"]] == ["/end_reason"]
    assert read(api, asst.token, "/v1/placements/" + again["id"]) \
        .json()["status"] == "active"
    assert free_places(api, asst.token, f["id"]) == 1

    # Withdrawing a consent takes effect at once.
    r = withdraw(api, asst.token, pid, "matching")
    c = r.json()
    assert c["id"] == grants["matching"]
    assert (c["status"], c["withdrawal_reason"], c["withdrawn_by"],
            c["withdrawn_by_role"]) == ("withdrawn", "withdrawn", asst.id,
                                        "assistant")
    assert c["withdrawn_at"] is not None
    p = read(api, asst.token, "/v1/participants/" + pid).json()
    assert p["consents"] == dict(ALL_FALSE, cross_district=True)
    assert read(api, asst.token, "/v1/participants/%s/consents/matching"
                % pid).json()["status"] == "withdrawn"
    # Nothing stands any more: withdrawing again is 404.
    withdraw(api, asst.token, pid, "matching", expect=404)

    # Granted again: the history keeps both records, newest first.
    new = grant(api, asst.token, pid, "matching", expect=201).json()
    assert new["id"] != grants["matching"]
    hist, _ = walk(api, asst.token, "/v1/participants/%s/consents" % pid,
                   {"purpose": "matching"})
    assert [(h["id"], h["status"]) for h in hist] == \
        [(new["id"], "granted"), (grants["matching"], "withdrawn")]
    everything, _ = walk(api, asst.token,
                         "/v1/participants/%s/consents" % pid)
    assert sorted(h["id"] for h in everything) == \
        sorted([new["id"], grants["matching"], grants["cross_district"]])
    standing, _ = walk(api, asst.token, "/v1/participants/%s/consents" % pid,
                       {"status": "granted"})
    assert sorted(h["purpose"] for h in standing) == \
        ["cross_district", "matching"]
    # A new text version supersedes the standing grant.
    newer = grant(api, asst.token, pid, "matching", version="2026-02",
                  expect=201).json()
    hist, _ = walk(api, asst.token, "/v1/participants/%s/consents" % pid,
                   {"purpose": "matching"})
    assert [(h["id"], h["status"], h["withdrawal_reason"])
            for h in hist] == [(newer["id"], "granted", None),
                               (new["id"], "withdrawn", "superseded"),
                               (grants["matching"], "withdrawn",
                                "withdrawn")]
    rows = stack.sql("SELECT count(*) FROM ch.consent WHERE participant_id"
                     " = %s AND purpose = 'matching'", (pid,))
    assert rows == [(3,)]


def test_cross_district_offer_needs_consent(api, who):
    asst, gcoord = who["assistant"], who["gotha_coordinator"]
    gorg = new_org(api, gcoord.token)
    offer = new_offer(api, gcoord.token, org=gorg["id"], district=GOTHA)
    assert offer["district_id"] == GOTHA
    pid = new_participant(api, asst.token)["id"]
    r = place(api, asst.token, pid, offer["id"], expect=409)
    assert "/offer_id" in [e["field"] for e in r.json()["errors"]]
    grant(api, asst.token, pid, "cross_district", expect=201)
    pl = place(api, asst.token, pid, offer["id"]).json()
    assert (pl["district_id"], pl["offer"]["district_id"]) == (ERFURT, GOTHA)
    assert free_places(api, asst.token, offer["id"]) == 9


@pytest.mark.parametrize("change,field", [
    ({"status": "paused"}, "/offer_id"),
    ({"audience": "women"}, "/participant_id"),
    ({"age_min": 50, "age_max": 60}, "/participant_id"),
])
def test_placement_rules(api, who, change, field):
    """Only an open offer that fits the person (a man born 1990 here)."""
    asst = who["assistant"]
    offer = new_offer(api, asst.token, org=DEMO_ORG, **change)
    pid = new_participant(api, asst.token, gender="male")["id"]
    r = place(api, asst.token, pid, offer["id"], expect=409)
    assert field in [e["field"] for e in r.json()["errors"]]
    assert free_places(api, asst.token, offer["id"]) == 10


# ------------------------------------------------------------ capacity race

def test_capacity_holds_under_concurrent_placements(api, who, stack, spec):
    asst = who["assistant"]
    offer = new_offer(api, asst.token, org=DEMO_ORG, capacity=3)
    pids = [new_participant(api, asst.token)["id"] for _ in range(20)]
    token = asst.token
    start = threading.Barrier(len(pids))
    answers = [None] * len(pids)

    def attempt(i):
        with requests.Session() as http:
            start.wait(timeout=60)
            answers[i] = http.post(
                api.base + "/v1/placements", headers=hdr(token),
                json={"participant_id": pids[i], "offer_id": offer["id"]},
                timeout=60)

    threads = [threading.Thread(target=attempt, args=(i,))
               for i in range(len(pids))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert all(a is not None for a in answers), "a request did not finish"
    for a in answers:
        spec.validate("POST", a)
    statuses = [a.status_code for a in answers]
    assert sorted(statuses) == [201] * 3 + [409] * 17, statuses
    for a in answers:
        if a.status_code == 409:
            assert a.json()["type"] == "urn:ch:problem:capacity-exhausted"
    winners = sorted(pids[i] for i, a in enumerate(answers)
                     if a.status_code == 201)

    assert free_places(api, asst.token, offer["id"]) == 0
    rows = stack.sql("SELECT participant_id::text FROM ch.placement WHERE"
                     " offer_id = %s AND status = 'active'"
                     " ORDER BY participant_id", (offer["id"],))
    assert [r[0] for r in rows] == winners
    assert stack.sql("SELECT count(*) FROM ch.placement WHERE offer_id = %s",
                     (offer["id"],)) == [(3,)]
    assert stack.sql("SELECT active_placements FROM ch.offer WHERE id = %s",
                     (offer["id"],)) == [(3,)]
    # The offer is full for everyone else, also later.
    place(api, asst.token, new_participant(api, asst.token)["id"],
          offer["id"], expect=409)


# ------------------------------------------------------------ Idempotency-Key

def post_raw(http, base, token, path, body, key=None):
    h = hdr(token)
    h["Content-Type"] = "application/json"
    if key:
        h["Idempotency-Key"] = key
    return http.post(base + path, headers=h, data=body, timeout=60)


def count_named(stack, name):
    return stack.sql("SELECT count(*) FROM ch.participant"
                     " WHERE display_name = %s", (name,))[0][0]


def test_idempotency_key_replays_and_refuses_another_body(api, who, stack):
    asst, coord = who["assistant"], who["coordinator"]
    name = unique("Idem")
    body = json.dumps({"display_name": name, "gender": "diverse"})
    key = unique("key")
    first = api.request("POST", "/v1/participants", headers=dict(
        hdr(asst.token, Idempotency_Key=key),
        **{"Content-Type": "application/json"}), data=body)
    second = api.request("POST", "/v1/participants", headers=dict(
        hdr(asst.token, Idempotency_Key=key),
        **{"Content-Type": "application/json"}), data=body)
    assert first.status_code == second.status_code == 201, second.text
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["ETag"] == first.headers["ETag"]
    assert count_named(stack, name) == 1

    # The same key with another body: 422, nothing created.
    other = json.dumps({"display_name": name + "-x", "gender": "diverse"})
    r = api.request("POST", "/v1/participants", headers=dict(
        hdr(asst.token, Idempotency_Key=key),
        **{"Content-Type": "application/json"}), data=other)
    assert r.status_code == 422, r.text
    assert r.json()["type"] == "urn:ch:problem:idempotency-key-reused"
    assert count_named(stack, name + "-x") == 0
    # The first answer is still the one replayed.
    r = api.request("POST", "/v1/participants", headers=dict(
        hdr(asst.token, Idempotency_Key=key),
        **{"Content-Type": "application/json"}), data=body)
    assert r.headers["Idempotent-Replayed"] == "true"
    assert r.json()["id"] == first.json()["id"]

    # Keys belong to their caller: the coordinator's same key is new.
    r = api.request("POST", "/v1/participants", headers=dict(
        hdr(coord.token, Idempotency_Key=key),
        **{"Content-Type": "application/json"}), data=body)
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    assert r.json()["id"] != first.json()["id"]
    # Without a key every POST creates.
    r = api.request("POST", "/v1/participants", headers=hdr(asst.token),
                    json={"display_name": name, "gender": "diverse"})
    assert r.status_code == 201
    assert count_named(stack, name) == 3


def test_idempotency_key_concurrent_duplicates_create_one(api, who, stack,
                                                          spec):
    asst = who["assistant"]
    name = unique("Race")
    body = json.dumps({"display_name": name, "gender": "female"})
    key = unique("key")
    token = asst.token
    n = 10
    start = threading.Barrier(n)
    answers = [None] * n

    def attempt(i):
        with requests.Session() as http:
            start.wait(timeout=60)
            answers[i] = post_raw(http, api.base, token, "/v1/participants",
                                  body, key)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert all(a is not None for a in answers)
    for a in answers:
        spec.validate("POST", a)
    assert [a.status_code for a in answers] == [201] * n, \
        [(a.status_code, a.text) for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum("Idempotent-Replayed" not in a.headers for a in answers) == 1
    assert count_named(stack, name) == 1


def test_idempotent_placement_counts_once(api, who, stack):
    asst = who["assistant"]
    offer = new_offer(api, asst.token, org=DEMO_ORG, capacity=2)
    pid = new_participant(api, asst.token)["id"]
    body = json.dumps({"participant_id": pid, "offer_id": offer["id"]})
    key = unique("key")
    answers = [api.request("POST", "/v1/placements", headers=dict(
        hdr(asst.token, Idempotency_Key=key),
        **{"Content-Type": "application/json"}), data=body)
        for _ in range(3)]
    assert [a.status_code for a in answers] == [201] * 3
    assert [a.headers.get("Idempotent-Replayed") for a in answers] == \
        [None, "true", "true"]
    assert len({a.json()["id"] for a in answers}) == 1
    assert free_places(api, asst.token, offer["id"]) == 1
    assert stack.sql("SELECT count(*) FROM ch.placement WHERE offer_id = %s",
                     (offer["id"],)) == [(1,)]


# ------------------------------------------------------------ ETag / If-Match

def etag_target(api, who, kind):
    """(path, writer token, patch for step n)"""
    asst, coord = who["assistant"], who["coordinator"]
    if kind == "participant":
        pid = new_participant(api, asst.token)["id"]
        return ("/v1/participants/" + pid, asst.token,
                lambda n: {"mobility_radius_km": 10 + n})
    if kind == "contact":
        pid = new_participant(api, asst.token)["id"]
        return ("/v1/participants/%s/contact" % pid, asst.token,
                lambda n: {"city": "Ort %d" % n})
    if kind == "organization":
        o = new_org(api, coord.token)
        return ("/v1/organizations/" + o["id"], coord.token,
                lambda n: {"description": "Beschreibung %d" % n})
    if kind == "offer":
        f = new_offer(api, asst.token, org=DEMO_ORG)
        return ("/v1/offers/" + f["id"], asst.token,
                lambda n: {"description": "Beschreibung %d" % n})
    if kind == "placement":
        f = new_offer(api, asst.token, org=DEMO_ORG)
        pid = new_participant(api, asst.token)["id"]
        pl = place(api, asst.token, pid, f["id"]).json()
        return ("/v1/placements/" + pl["id"], asst.token,
                lambda n: {"note": "Notiz %d" % n})
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["participant", "contact", "organization",
                                  "offer", "placement"])
def test_if_match_is_required_and_checked(api, who, kind):
    path, token, change = etag_target(api, who, kind)
    key = next(iter(change(0)))

    def value():
        return read(api, token, path).json()[key]

    r = read(api, token, path)
    assert r.headers["ETag"] == '"1"' and r.json()["version"] == 1
    before = r.json()[key]

    r = patch(api, token, path, change(1), etag=False)
    assert r.status_code == 428, r.text
    assert r.json()["type"] == "urn:ch:problem:precondition-required"
    assert value() == before

    r = patch(api, token, path, change(1), etag='"1"')
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"2"' and r.json()["version"] == 2
    assert r.json()[key] == change(1)[key]

    for stale in ('"1"', 'W/"2"', '"2x"', '"99"'):
        r = patch(api, token, path, change(2), etag=stale)
        assert r.status_code == 412, (stale, r.text)
        assert r.json()["type"] == "urn:ch:problem:precondition-failed"
    assert value() == change(1)[key], "a refused patch changed the data"
    assert read(api, token, path).headers["ETag"] == '"2"'

    r = patch(api, token, path, change(3), etag="*")
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"3"' and r.json()[key] == change(3)[key]

    r = patch(api, token, path, change(4), etag='"7", "3"')
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"4"'


@pytest.mark.parametrize("kind", ["offer", "organization"])
def test_delete_honours_if_match(api, who, kind):
    coord = who["coordinator"]
    if kind == "offer":
        path = "/v1/offers/" + new_offer(api, coord.token, org=DEMO_ORG)["id"]
    else:
        path = "/v1/organizations/" + new_org(api, coord.token)["id"]
    r = api.request("DELETE", path, headers=hdr(coord.token, If_Match='"2"'))
    assert r.status_code == 412, r.text
    read(api, coord.token, path)
    r = api.request("DELETE", path, headers=hdr(coord.token, If_Match='"1"'))
    assert r.status_code == 204, r.text
    read(api, coord.token, path, expect=404)


def test_offer_with_placements_is_closed_not_deleted(api, who):
    asst = who["assistant"]
    f = new_offer(api, asst.token, org=DEMO_ORG)
    for _ in range(2):
        place(api, asst.token, new_participant(api, asst.token)["id"],
              f["id"])
    r = api.request("DELETE", "/v1/offers/" + f["id"], headers=hdr(asst.token))
    assert r.status_code == 409, r.text
    # Capacity cannot fall below the active placements.
    r = patch(api, asst.token, "/v1/offers/" + f["id"], {"capacity": 1})
    assert r.status_code == 422, r.text
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == \
        [("/capacity", "below_placements")]
    assert patch(api, asst.token, "/v1/offers/" + f["id"],
                 {"capacity": 2}).status_code == 200
    r = patch(api, asst.token, "/v1/offers/" + f["id"], {"status": "closed"})
    assert r.status_code == 200 and r.json()["status"] == "closed"


# ------------------------------------------------------------ offer search

@pytest.fixture(scope="module")
def offers(api, who):
    """Offers with known properties: an Erfurt organisation's and a Gotha
    organisation's, near, far, online, draft, paused, women, full."""
    coord, gcoord, asst = (who["coordinator"], who["gotha_coordinator"],
                           who["assistant"])
    eorg = new_org(api, coord.token)["id"]
    gorg = new_org(api, gcoord.token)["id"]
    erfurt = place_of(api, "99084")
    f = {
        "full": new_offer(api, coord.token, org=eorg, capacity=1,
                          category="sport", languages=["de", "uk"]),
        "women": new_offer(api, coord.token, org=eorg, audience="women",
                           category="women_network", languages=["de", "ar"],
                           place_id=place_of(api, "99085")["id"]),
        "paused": new_offer(api, coord.token, org=eorg, status="paused",
                            category="social", languages=["fa", "prs"]),
        "draft": new_offer(api, coord.token, org=eorg, status="draft",
                           category="sport"),
        "online": new_offer(api, coord.token, org=eorg, online=True,
                            place_id=None, category="culture_music"),
        "gotha": new_offer(api, gcoord.token, org=gorg, district=GOTHA,
                           category="sport", languages=["de", "uk"]),
        "saalfeld": new_offer(api, coord.token, org=eorg,
                              place_id=place_of(api, "07318")["id"]),
    }
    place(api, asst.token, new_participant(api, asst.token)["id"],
          f["full"]["id"])
    f["erfurt_org"], f["gotha_org"], f["erfurt_place"] = eorg, gorg, erfurt
    return f


VISIBLE = "status <> 'draft'"


def sql_ids(stack, where, params=()):
    return [r[0] for r in stack.sql(
        "SELECT id::text FROM ch.offer WHERE " + where +
        " ORDER BY updated_at, id", params)]


@pytest.mark.parametrize("params,where,check", [
    ({"category": "sport"}, "category = 'sport'",
     lambda o: o["category"] == "sport"),
    ({"language": "uk"}, "languages @> ARRAY['uk']",
     lambda o: "uk" in o["languages"]),
    ({"language": "prs"}, "languages @> ARRAY['prs']",
     lambda o: "prs" in o["languages"]),
    ({"audience": "women"}, "audience = 'women'",
     lambda o: o["audience"] == "women"),
    ({"status": "paused"}, "status = 'paused'",
     lambda o: o["status"] == "paused"),
    ({"status": "open"}, "status = 'open'",
     lambda o: o["status"] == "open"),
    ({"free": "true"}, "active_placements < capacity",
     lambda o: o["free_places"] > 0),
    ({"district_id": GOTHA}, "district_id = '16067'",
     lambda o: o["district_id"] == GOTHA),
    ({"district_id": ERFURT, "category": "sport", "language": "uk"},
     "district_id = '16051' AND category = 'sport'"
     " AND languages @> ARRAY['uk']",
     lambda o: (o["district_id"], o["category"]) == (ERFURT, "sport") and
     "uk" in o["languages"]),
])
def test_offer_filters_match_the_data(api, who, stack, offers, params, where,
                                      check):
    items, _ = walk(api, who["mentor"].token, "/v1/offers", params, limit=7)
    assert all(check(o) for o in items)
    assert [o["id"] for o in items] == sql_ids(stack, VISIBLE + " AND " +
                                               where)
    assert items, "the filter should find something"


def test_offer_filters_on_known_offers(api, who, offers):
    mentor = who["mentor"].token

    def ids(**params):
        return {o["id"] for o in walk(api, mentor, "/v1/offers", params,
                                      limit=100)[0]}

    mine = ids(organization_id=offers["erfurt_org"])
    assert mine == {offers[k]["id"] for k in ("full", "women", "paused",
                                              "online", "saalfeld")}
    assert offers["draft"]["id"] not in mine
    free = ids(organization_id=offers["erfurt_org"], free="true")
    assert offers["full"]["id"] not in free
    assert offers["women"]["id"] in free
    assert ids(organization_id=offers["erfurt_org"], audience="women") == \
        {offers["women"]["id"]}
    assert ids(organization_id=offers["erfurt_org"], status="paused") == \
        {offers["paused"]["id"]}
    assert ids(organization_id=offers["gotha_org"]) == \
        {offers["gotha"]["id"]}
    assert offers["gotha"]["id"] in ids(district_id=GOTHA)
    assert offers["gotha"]["id"] not in ids(district_id=ERFURT)
    assert ids(status="draft") == set(), "drafts are not the mentor's"


def test_drafts_only_for_their_organisation_and_district_staff(
        api, who, stack, offers):
    draft = offers["draft"]["id"]
    for role in ("mentor", "participant", "state_admin", "organization"):
        read(api, who[role].token, "/v1/offers/" + draft, expect=404)
    read(api, who["gotha_coordinator"].token, "/v1/offers/" + draft,
         expect=404)
    for role in ("coordinator", "assistant"):
        assert read(api, who[role].token, "/v1/offers/" + draft) \
            .json()["status"] == "draft"
    items, _ = walk(api, who["coordinator"].token, "/v1/offers",
                    {"status": "draft"}, limit=50)
    assert [o["id"] for o in items] == sql_ids(
        stack, "status = 'draft' AND district_id = '16051'")
    items, _ = walk(api, who["organization"].token, "/v1/offers",
                    {"status": "draft"}, limit=50)
    assert [o["id"] for o in items] == sql_ids(
        stack, "status = 'draft' AND organization_id = %s", (DEMO_ORG,))


def near_center(stack, postal_code):
    (lat, lon), = stack.sql("SELECT avg(lat), avg(lon) FROM ch.place"
                            " WHERE postal_code = %s", (postal_code,))
    return float(lat), float(lon)


@pytest.mark.parametrize("radius", [5, 15, 40])
def test_offers_near_a_postal_code(api, who, stack, offers, radius):
    mentor = who["mentor"].token
    lat, lon = near_center(stack, "99084")
    items, _ = walk(api, mentor, "/v1/offers",
                    {"near": "99084", "radius_km": radius}, limit=100)
    got = [o["id"] for o in items]
    assert len(got) == len(set(got)), "an offer came twice"
    dists = [o["distance_km"] for o in items]
    assert dists == sorted(dists), "not nearest first"
    for o in items:
        assert o["place"] is not None and not o["status"] == "draft"
        mine = haversine(lat, lon, o["place"]["lat"], o["place"]["lon"])
        assert abs(o["distance_km"] - mine) <= 0.05, (o["id"], mine)
        assert o["distance_km"] <= radius
    # Exactly the visible offers with a place within the radius.
    rows = stack.sql("SELECT f.id::text, pl.lat, pl.lon FROM ch.offer f"
                     " JOIN ch.place pl ON pl.id = f.place_id"
                     " WHERE f.status <> 'draft'")
    want = {i for i, a, b in rows
            if haversine(lat, lon, a, b) <= radius - 0.01}
    border = {i for i, a, b in rows
              if abs(haversine(lat, lon, a, b) - radius) < 0.01}
    assert want <= set(got) <= want | border
    assert offers["online"]["id"] not in got, "online offers have no place"
    assert offers["draft"]["id"] not in got
    assert offers["full"]["id"] in got
    d_gotha = haversine(lat, lon, offers["gotha"]["place"]["lat"],
                        offers["gotha"]["place"]["lon"])
    d_saalfeld = haversine(lat, lon, offers["saalfeld"]["place"]["lat"],
                           offers["saalfeld"]["place"]["lon"])
    assert 15 < d_gotha < 40 and d_saalfeld > 40
    assert (offers["gotha"]["id"] in got) == (radius >= 40)
    assert offers["saalfeld"]["id"] not in got, "a far place"

    # Walking in small pages gives the same order, no gaps.
    paged, pages = walk(api, mentor, "/v1/offers",
                        {"near": "99084", "radius_km": radius}, limit=3)
    assert [o["id"] for o in paged] == got
    assert pages == max(1, -(-len(got) // 3))


def test_offers_near_combine_with_filters_and_place_ids(api, who, stack,
                                                        offers):
    mentor = who["mentor"].token
    items, _ = walk(api, mentor, "/v1/offers",
                    {"near": "99084", "radius_km": 40, "category": "sport",
                     "free": "true"}, limit=100)
    assert items
    assert all(o["category"] == "sport" and o["free_places"] > 0
               for o in items)
    assert offers["full"]["id"] not in [o["id"] for o in items]
    assert offers["gotha"]["id"] in [o["id"] for o in items]
    # A place id works as well as a postal code.
    gplace = offers["gotha"]["place"]
    items, _ = walk(api, mentor, "/v1/offers",
                    {"near": gplace["id"], "radius_km": 1}, limit=100)
    mine = [o for o in items if o["id"] == offers["gotha"]["id"]]
    assert mine and mine[0]["distance_km"] == 0
    for bad in ({"near": "00000"}, {"near": "99084", "radius_km": 0},
                {"near": "99084", "radius_km": 201}, {"near": "Erfurt"}):
        r = api.get("/v1/offers", headers=hdr(mentor), params=bad)
        assert r.status_code == 400, (bad, r.text)


def test_offers_updated_since(api, who, stack, offers):
    coord, mentor = who["coordinator"], who["mentor"].token
    mark = new_offer(api, coord.token, org=offers["erfurt_org"])
    since = mark["updated_at"]
    # An older offer changed after the mark appears too.
    r = patch(api, coord.token, "/v1/offers/" + offers["women"]["id"],
              {"description": unique("neu")})
    assert r.status_code == 200
    items, _ = walk(api, mentor, "/v1/offers", {"updated_since": since},
                    limit=5)
    got = [o["id"] for o in items]
    assert got == sql_ids(stack, VISIBLE + " AND updated_at >= %s",
                          (since,))
    assert got[0] == mark["id"] and offers["women"]["id"] in got
    assert offers["full"]["id"] not in got
    t0 = datetime.datetime.fromisoformat(since)
    assert all(datetime.datetime.fromisoformat(o["updated_at"]) >= t0
               for o in items)


@pytest.mark.parametrize("role", ["mentor", "coordinator"])
@pytest.mark.parametrize("limit", [7, 100])
def test_offer_pages_cover_everything_once(api, who, stack, offers, role,
                                           limit):
    items, pages = walk(api, who[role].token, "/v1/offers", limit=limit)
    ids = [o["id"] for o in items]
    assert len(ids) == len(set(ids)), "an offer came twice"
    where = VISIBLE if role == "mentor" else \
        "(status <> 'draft' OR district_id = '16051')"
    assert ids == sql_ids(stack, where), "gap, duplicate or wrong order"
    assert pages == max(1, -(-len(ids) // limit))


def test_offer_list_refuses_bad_parameters(api, who):
    mentor = who["mentor"].token
    for bad in ({"cursor": "bm90LWEtY3Vyc29y"}, {"category": "Sport!"},
                {"language": "german"}, {"free": "yes"},
                {"status": "gone"}, {"district_id": "1605"},
                {"updated_since": "yesterday"}, {"colour": "blue"}):
        r = api.get("/v1/offers", headers=hdr(mentor), params=bad)
        assert r.status_code == 400, (bad, r.text)


# ------------------------------------------------------------ taxonomies

def db_labels(stack, name, locale):
    return dict(stack.sql("SELECT code, labels->>%s FROM ch.taxonomy_term"
                          " WHERE taxonomy = %s", (locale, name)))


@pytest.mark.parametrize("name", ["activity_categories", "language_levels"])
@pytest.mark.parametrize("accept,locale", [
    ("uk", "uk"), ("uk-UA, en;q=0.5", "uk"), ("sw, uk;q=0.8", "uk"),
    ("de;q=0.4, uk;q=0.9", "uk"), ("sw", "de"), ("xx-YY, zz", "de"),
    (None, "de"), ("en", "en"),
])
def test_taxonomy_labels_follow_accept_language(api, stack, name, accept,
                                                locale):
    headers = {"Accept-Language": accept} if accept else {}
    r = api.get("/v1/taxonomies/" + name, headers=headers)
    assert r.status_code == 200
    assert r.headers["Content-Language"] == locale
    body = r.json()
    assert body["name"] == name and body["locale"] == locale
    labels = db_labels(stack, name, locale)
    assert {i["code"]: i["label"] for i in body["items"]} == labels
    assert all(labels.values()), "a label is missing"


def test_ukrainian_labels(api):
    r = api.get("/v1/taxonomies/activity_categories",
                headers={"Accept-Language": "uk"})
    labels = {i["code"]: i["label"] for i in r.json()["items"]}
    assert labels["sport"] == "Спорт і фізична активність"
    assert labels["culture_music"] == "Культура і музика"
    r = api.get("/v1/taxonomies/activity_categories",
                headers={"Accept-Language": "sw"})
    assert {i["code"]: i["label"] for i in r.json()["items"]}["sport"] == \
        "Sport und Bewegung"


def test_taxonomy_list(api, stack):
    items = api.get("/v1/taxonomies").json()["items"]
    by_name = {t["name"]: t for t in items}
    assert set(by_name) == {"activity_categories", "languages",
                            "language_levels", "occupational_fields",
                            "qualification_levels"}
    for t in items:
        assert t["terms"] == stack.sql(
            "SELECT count(*) FROM ch.taxonomy_term WHERE taxonomy = %s",
            (t["name"],))[0][0]
        assert {"de", "en"} <= set(t["locales"])
    assert "uk" in by_name["activity_categories"]["locales"]


def taxonomy_codes(api, name):
    return {i["code"] for i in api.get("/v1/taxonomies/" + name)
            .json()["items"]}


def test_every_code_of_the_demo_data_exists(api, who, stack):
    categories = taxonomy_codes(api, "activity_categories")
    languages = taxonomy_codes(api, "languages")
    levels = taxonomy_codes(api, "language_levels")
    demo = stack.sql("SELECT category, languages, min_german_level"
                     " FROM ch.offer WHERE id::text LIKE 'd0000000-%'")
    assert demo, "no demo offers"
    for category, langs, level in demo:
        assert category in categories
        assert set(langs) <= languages, langs
        assert level is None or level in levels
    # As clients see them, too.
    items, _ = walk(api, who["mentor"].token, "/v1/offers", limit=100)
    for o in items:
        assert o["category"] in categories
        assert set(o["languages"]) <= languages
    people = stack.sql("SELECT languages, interests FROM ch.participant"
                       " WHERE id::text LIKE 'c0000000-%'")
    assert people, "no demo participants"
    for langs, interests in people:
        assert {x["code"] for x in langs} <= languages, langs
        assert {x["level"] for x in langs} <= levels, langs
        assert set(interests) <= categories, interests


# ------------------------------------------------------------ self-service

def test_participant_self_service(api, who, stack):
    me, asst = who["participant"], who["assistant"]
    path = "/v1/participants/" + DEMO_PARTICIPANT
    r = read(api, me.token, path)
    mine = r.json()
    assert mine["id"] == DEMO_PARTICIPANT and mine["district_id"] == ERFURT
    assert r.headers["ETag"] == '"%d"' % mine["version"]

    change = {"display_name": unique("Ich"),
              "languages": [{"code": "uk", "level": "native"},
                            {"code": "de", "level": "b1"}],
              "interests": ["sport", "social"],
              "availability": {"wed": ["afternoon"], "sat": []},
              "mobility_radius_km": 7, "needs": ["public_transport"]}
    r = patch(api, me.token, path, change, etag=r.headers["ETag"])
    assert r.status_code == 200, r.text
    after = r.json()
    for k, v in change.items():
        if k != "availability":
            assert after[k] == v, k
    # A merge patch merges the week: wed is set, sat cleared, the rest
    # stays.
    week = dict(mine["availability"], wed=["afternoon"])
    week.pop("sat", None)
    assert after["availability"] == week
    assert after["version"] == mine["version"] + 1
    assert (after["status"], after["assistant_id"], after["gender"]) == \
        (mine["status"], mine["assistant_id"], mine["gender"])

    # Staff-only fields: 403 naming each, nothing changes.
    for body, fields in (({"status": "paused"}, ["/status"]),
                         ({"mobility_radius_km": 3, "assistant_id": None},
                          ["/assistant_id"]),
                         ({"gender": "male", "birth_year": 1950},
                          ["/gender", "/birth_year"])):
        r = patch(api, me.token, path, body)
        assert r.status_code == 403, (body, r.text)
        assert sorted(e["field"] for e in r.json()["errors"]) == \
            sorted(fields)
        assert all(e["code"] == "not_allowed" for e in r.json()["errors"])
    assert read(api, me.token, path).json() == after

    # Own contact details and consents.
    r = patch(api, me.token, path + "/contact",
              {"preferred_channel": "sms"})
    assert r.status_code == 200 and r.json()["preferred_channel"] == "sms"
    c = grant(api, me.token, DEMO_PARTICIPANT, "statistics",
              version=unique("v"), expect=201).json()
    assert (c["granted_by"], c["granted_by_role"]) == (me.id, "participant")
    c = withdraw(api, me.token, DEMO_PARTICIPANT, "statistics").json()
    assert (c["withdrawn_by"], c["withdrawn_by_role"]) == \
        (me.id, "participant")
    # Own placements only, without the staff note.
    items, _ = walk(api, me.token, "/v1/placements")
    assert all(p["participant_id"] == DEMO_PARTICIPANT for p in items)
    assert all(p["note"] is None for p in items)

    # Somebody else: 404, whether in Erfurt or in Gotha.
    other = new_participant(api, asst.token)["id"]
    gotha = new_participant(api, who["gotha_assistant"].token)["id"]
    for pid in (other, gotha):
        for sub in ("", "/contact", "/consents", "/consents/matching"):
            read(api, me.token, "/v1/participants/" + pid + sub,
                 expect=404)
        r = patch(api, me.token, "/v1/participants/" + pid,
                  {"mobility_radius_km": 4}, etag="*")
        assert r.status_code == 404, r.text
    assert read(api, asst.token, "/v1/participants/" + other) \
        .json()["mobility_radius_km"] == 10
    # Lists of people and registering them are staff work.
    read(api, me.token, "/v1/participants", expect=403)
    new_participant(api, me.token, expect=403)

    # Put the demo record back as it was.
    restore = {k: mine[k] for k in change}
    restore["availability"] = {
        d: mine["availability"].get(d, [])
        for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    r = patch(api, me.token, path, restore)
    assert r.status_code == 200
    assert {k: r.json()[k] for k in change} == {k: mine[k] for k in change}


# ------------------------------------------------------------ organisation

def test_organisation_sees_its_placements_and_consented_contact(api, who):
    asst, org = who["assistant"], who["organization"]
    name = unique("Amir")
    pid = new_participant(api, asst.token, display_name=name, gender="male",
                          languages=[{"code": "fa", "level": "native"}])["id"]
    contact = {"email": "amir@mail.example", "phone": "+49 160 9876543",
               "street": "Domplatz 3", "postal_code": "99084",
               "city": "Erfurt", "preferred_channel": "phone",
               "note": "nur vormittags"}
    assert patch(api, asst.token, "/v1/participants/%s/contact" % pid,
                 contact).status_code == 200
    # An offer in his language: a placement needs one they share.
    offer = new_offer(api, org.token, languages=["de", "fa"])
    assert offer["organization_id"] == DEMO_ORG
    pl = place(api, asst.token, pid, offer["id"], note="intern").json()
    path = "/v1/placements/" + pl["id"]

    def seen():
        one = read(api, org.token, path).json()
        listed, _ = walk(api, org.token, "/v1/placements",
                         {"offer_id": offer["id"]})
        assert [x["id"] for x in listed] == [pl["id"]]
        assert listed[0] == one
        return one

    one = seen()
    assert one["note"] is None, "the note is staff only"
    assert one["participant"] == {
        "id": pid, "display_name": name,
        "languages": [{"code": "fa", "level": "native"}]}

    grant(api, asst.token, pid, "share_contact_with_partner", expect=201)
    one = seen()
    shared = {k: v for k, v in contact.items() if k != "note"}
    assert one["participant"]["contact"] == shared
    assert "nur vormittags" not in json.dumps(one)

    withdraw(api, asst.token, pid, "share_contact_with_partner")
    one = seen()
    assert "contact" not in one["participant"]
    assert one["participant"]["display_name"] == name
    for value in ("amir@mail.example", "9876543", "Domplatz"):
        assert value not in json.dumps(one)

    # The organisation sees only its own offers' placements, and never
    # the person's record itself.
    items, _ = walk(api, org.token, "/v1/placements", limit=100)
    assert items and all(x["organization_id"] == DEMO_ORG for x in items)
    read(api, org.token, "/v1/participants/" + pid, expect=403)
    read(api, org.token, "/v1/participants/%s/contact" % pid, expect=403)
    # A placement in another organisation's offer is not there for it.
    other_org = new_org(api, who["coordinator"].token)["id"]
    other = new_offer(api, who["coordinator"].token, org=other_org,
                      languages=["fa"])
    opl = place(api, asst.token, pid, other["id"]).json()
    read(api, org.token, "/v1/placements/" + opl["id"], expect=404)
    r = patch(api, org.token, "/v1/placements/" + opl["id"],
              {"status": "ended", "end_reason": "other"}, etag="*")
    assert r.status_code == 404

    # The organisation may end a placement in its offer, not write notes.
    r = patch(api, org.token, path, {"note": "von uns"})
    assert r.status_code == 403, r.text
    r = patch(api, org.token, path,
              {"status": "ended", "end_reason": "not_a_fit"})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["note"]) == ("ended", None)
    assert read(api, asst.token, path).json()["note"] == "intern"


# ------------------------------------------------------------ audit

def test_contact_reads_and_participant_writes_are_audited(api, who, stack):
    asst, org = who["assistant"], who["organization"]

    def rid(tag):
        return "%s-%s" % (tag, uuid.uuid4().hex)

    created = rid("create")
    r = api.request("POST", "/v1/participants", json={
        "display_name": unique("Audit"), "gender": "female",
        "languages": [{"code": "de", "level": "b1"}]},
        headers=hdr(asst.token, X_Request_Id=created))
    assert r.status_code == 201 and r.headers["X-Request-Id"] == created
    pid = r.json()["id"]
    assert [x[:6] for x in audit_rows(stack, created)] == [
        (asst.id, "assistant", "participant.created", "participant", pid,
         ERFURT)]

    contact_read = rid("contact")
    r = read(api, asst.token, "/v1/participants/%s/contact" % pid,
             X_Request_Id=contact_read)
    assert r.headers["X-Request-Id"] == contact_read
    assert [x[:6] for x in audit_rows(stack, contact_read)] == [
        (asst.id, "assistant", "contact.read", "participant", pid, ERFURT)]

    updated = rid("update")
    r = patch(api, asst.token, "/v1/participants/" + pid,
              {"mobility_radius_km": 25, "interests": ["social"]},
              X_Request_Id=updated)
    assert r.status_code == 200
    rows = audit_rows(stack, updated)
    assert [x[:6] for x in rows] == [
        (asst.id, "assistant", "participant.updated", "participant", pid,
         ERFURT)]
    assert sorted(rows[0][6]["fields"]) == ["interests",
                                            "mobility_radius_km"]

    contact_write = rid("contactw")
    r = patch(api, asst.token, "/v1/participants/%s/contact" % pid,
              {"email": "audit@mail.example"}, X_Request_Id=contact_write,
              reader=asst.token)
    assert r.status_code == 200
    # The read for the ETag had its own request id.
    assert [x[2] for x in audit_rows(stack, contact_write)] == \
        ["contact.updated"]

    granted = rid("grant")
    grant(api, asst.token, pid, "share_contact_with_partner", expect=201,
          X_Request_Id=granted)
    rows = audit_rows(stack, granted)
    assert [x[:6] for x in rows] == [
        (asst.id, "assistant", "consent.granted", "participant", pid,
         ERFURT)]
    assert rows[0][6]["purpose"] == "share_contact_with_partner"

    # The organisation reading shared contact details through a placement
    # is a contact read too.
    offer = new_offer(api, org.token)
    pl = place(api, asst.token, pid, offer["id"]).json()
    via = rid("org")
    r = read(api, org.token, "/v1/placements/" + pl["id"], X_Request_Id=via)
    assert r.json()["participant"]["contact"]["email"] == "audit@mail.example"
    rows = audit_rows(stack, via)
    assert [x[:6] for x in rows] == [
        (org.id, "organization", "contact.read", "participant", pid,
         ERFURT)]
    assert rows[0][6]["placement"] == pl["id"]

    self_write = rid("self")
    me = who["participant"]
    needs = read(api, me.token, "/v1/participants/" + DEMO_PARTICIPANT) \
        .json()["needs"]
    r = patch(api, me.token, "/v1/participants/" + DEMO_PARTICIPANT,
              {"needs": ["low_cost"]}, X_Request_Id=self_write)
    assert r.status_code == 200
    assert [x[:6] for x in audit_rows(stack, self_write)] == [
        (me.id, "participant", "participant.updated", "participant",
         DEMO_PARTICIPANT, ERFURT)]
    assert patch(api, me.token, "/v1/participants/" + DEMO_PARTICIPANT,
                 {"needs": needs}).status_code == 200

    # A refused write leaves no trace but the refusal.
    refused = rid("refused")
    r = patch(api, asst.token, "/v1/participants/" + pid,
              {"mobility_radius_km": 30}, etag='"99"',
              X_Request_Id=refused)
    assert r.status_code == 412
    assert audit_rows(stack, refused) == []
