"""Placements (/v1/placements) through HTTP: the main flow of Connecting
Partners (a person registered, her consents granted, her contact details
kept, an offer published, the person placed, the placement ended, a
consent withdrawn and granted again), the rules of a placement, an
offer's capacity under concurrent placements, an idempotent placement,
and what an organisation sees of the placements in its offers: the
person's contact details with her consent and only while the placement
is active, and a page's look-ahead row not audited as read.

Every answer is also validated against openapi/openapi.yaml by the `api`
client (conftest.py)."""

import json
import threading

import pytest
import requests

from partners_util import (DEMO_ORG, ERFURT, bearer, demo_callers,
                           free_places, grant, hdr, new_offer, new_org,
                           new_participant, patch, place, place_of, read,
                           today_dates, token_for, unique, walk, withdraw)

ALL_FALSE = {"matching": False, "cross_district": False,
             "share_contact_with_partner": False, "statistics": False}


@pytest.fixture(scope="module")
def who(api):
    """The demo accounts of Erfurt (and Gotha's staff)."""
    return demo_callers(api)


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


# ------------------------------------------------------------ rules

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


def contact_reads(stack, pid):
    return stack.sql("SELECT count(*) FROM ch.audit_log WHERE action = "
                     "'contact.read' AND entity_id = %s", (pid,))[0][0]


def organisation_with_rep(api, stack, staff):
    """A new organisation of Erfurt and a signed-in representative."""
    org = new_org(api, staff)
    rep = stack.sql(
        "INSERT INTO ch.app_user (email, password_hash, role, district_id,"
        " organization_id) SELECT 'rep-' || gen_random_uuid() || "
        "'@test.example', password_hash, 'organization', %s, %s "
        "FROM ch.app_user WHERE email = 'organization.16051@demo.example' "
        "RETURNING email", (ERFURT, org["id"]))[0][0]
    r = api.request("POST", "/v1/auth/token", json={
        "email": rep, "password": "connecting-humans-demo"})
    assert r.status_code == 200, r.text
    return org, r.json()["access_token"]


def sharing_placement(api, staff, offer_id):
    person = new_participant(api, staff)
    patch(api, staff, "/v1/participants/%s/contact" % person["id"],
          {"phone": "+49 151 2222333"})
    grant(api, staff, person["id"], "share_contact_with_partner")
    return person, place(api, staff, person["id"], offer_id).json()


def test_contact_only_while_the_placement_is_active(api, stack):
    staff = token_for(api, "coordinator", ERFURT)
    org, rep_token = organisation_with_rep(api, stack, staff)
    offer = new_offer(api, staff, org=org["id"])
    person, pl = sharing_placement(api, staff, offer["id"])

    path = "/v1/placements/%s" % pl["id"]
    seen = read(api, rep_token, path).json()["participant"]
    assert seen["contact"]["phone"] == "+49 151 2222333"
    r = patch(api, staff, path, {"status": "ended",
                                 "end_reason": "completed"})
    assert r.status_code == 200, r.text
    before = contact_reads(stack, person["id"])
    # The organisation's access to the person ends with the placement.
    ended = read(api, rep_token, path).json()
    assert ended["status"] == "ended" and ended["participant"] is None
    assert contact_reads(stack, person["id"]) == before


def test_look_ahead_row_is_not_audited(api, stack):
    staff = token_for(api, "coordinator", ERFURT)
    org, rep_token = organisation_with_rep(api, stack, staff)
    offer = new_offer(api, staff, org=org["id"])
    people = [sharing_placement(api, staff, offer["id"])[0]
              for _ in range(2)]
    before = sum(contact_reads(stack, p["id"]) for p in people)
    r = api.get("/v1/placements?limit=1", headers=bearer(rep_token))
    assert r.status_code == 200
    page = r.json()
    assert len(page["items"]) == 1 and page["next_cursor"] is not None
    assert "contact" in page["items"][0]["participant"]
    # One row was shown, so one read is audited, not the look-ahead row.
    assert sum(contact_reads(stack, p["id"]) for p in people) == before + 1
