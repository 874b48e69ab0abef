"""Offers (/v1/offers) through HTTP: an offer with placements is closed,
not deleted; the search with its filters, near a postal code or place,
updated_since, drafts only for their organisation and district staff, and
pages that cover everything once.

Every answer is also validated against openapi/openapi.yaml by the `api`
client (conftest.py)."""

import datetime

import pytest

from partners_util import (DEMO_ORG, ERFURT, GOTHA, bearer, demo_callers,
                           haversine, hdr, new_offer, new_org,
                           new_participant, patch, place, place_of, read,
                           token_for, unique, walk)


@pytest.fixture(scope="module")
def who(api):
    """The demo accounts of Erfurt (and Gotha's staff)."""
    return demo_callers(api)


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


def test_radius_without_near_is_refused(api):
    token = token_for(api, "assistant", ERFURT)
    r = api.get("/v1/offers?radius_km=5", headers=bearer(token))
    assert r.status_code == 400
    assert [e["field"] for e in r.json()["errors"]] == ["radius_km"]


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
