"""api/places.c: search, filters and cursor pagination over real places."""

import unicodedata

import pytest


def walk(api, query, limit):
    items, cursor, pages = [], None, 0
    while True:
        sep = "&" if query else ""
        q = "/v1/places?%s%slimit=%d" % (query, sep, limit)
        if cursor:
            q += "&cursor=" + cursor
        body = api.get(q).json()
        assert len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


def fold(text):
    return "".join(c for c in unicodedata.normalize("NFD", text)
                   if not unicodedata.combining(c)).lower()


@pytest.mark.parametrize("query,where,params", [
    ("", "true", ()),
    ("district=16067", "district_id = %s", ("16067",)),
    ("q=bad", "search_name LIKE %s", ("%bad%",)),
    ("postal_code=99", "postal_code LIKE %s", ("99%",)),
    ("district=16064&q=a", "district_id = %s AND search_name LIKE %s",
     ("16064", "%a%")),
])
@pytest.mark.parametrize("limit", [7, 100])
def test_walking_all_pages_matches_sql(api, stack, query, where, params,
                                       limit):
    items, pages = walk(api, query, limit)
    ids = [p["id"] for p in items]
    assert len(ids) == len(set(ids)), "a place came twice"
    rows = stack.sql("SELECT id::text FROM ch.place WHERE " + where +
                     " ORDER BY search_name, postal_code, id", params)
    assert ids == [r[0] for r in rows], "gap, duplicate or wrong order"
    assert pages == max(1, -(-len(rows) // limit))


def test_search_ignores_case_and_accents(api):
    for q in ("muhl", "MÜHL", "Mühl", "m%C3%BChlhausen"):
        names = [p["name"] for p in api.get("/v1/places?q=" + q).json()
                 ["items"]]
        assert "Mühlhausen" in names, (q, names)
        assert all("muhl" in fold(n) for n in names)


def test_like_metacharacters_match_themselves(api):
    for q in ("%25", "_", "%5C"):
        assert api.get("/v1/places?q=" + q).json()["items"] == []


def test_filters_combine(api):
    body = api.get("/v1/places?district=16051&postal_code=9908&limit=100")
    items = body.json()["items"]
    assert items
    assert all(p["district_id"] == "16051" and
               p["postal_code"].startswith("9908") for p in items)


def test_one_place_and_unknown_place(api):
    first = api.get("/v1/places?q=gotha&limit=1").json()["items"][0]
    r = api.get("/v1/places/" + first["id"])
    assert r.status_code == 200
    assert r.json() == first
    r = api.get("/v1/places/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404


def test_cursor_of_one_list_is_refused_by_another(api):
    cursor = api.get("/v1/districts?limit=1").json()["next_cursor"]
    r = api.get("/v1/places?cursor=" + cursor)
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "cursor"
