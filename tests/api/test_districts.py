"""api/districts.c: the six project districts."""

import pytest

SEATS = {
    "16051": "Erfurt", "16062": "Nordhausen", "16064": "Mühlhausen",
    "16065": "Sondershausen", "16067": "Gotha", "16073": "Saalfeld/Saale",
}


def test_list_has_the_six_districts_in_key_order(api):
    r = api.get("/v1/districts")
    assert r.status_code == 200
    body = r.json()
    assert [d["id"] for d in body["items"]] == sorted(SEATS)
    assert {d["id"]: d["seat"] for d in body["items"]} == SEATS
    assert body["next_cursor"] is None


@pytest.mark.parametrize("limit", [1, 2, 4, 5])
def test_pages_walk_every_district_once(api, limit):
    seen, cursor = [], None
    while True:
        q = "?limit=%d" % limit + ("&cursor=" + cursor if cursor else "")
        body = api.get("/v1/districts" + q).json()
        assert len(body["items"]) <= limit
        seen += [d["id"] for d in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(SEATS)


def test_one_district(api):
    r = api.get("/v1/districts/16067")
    assert r.status_code == 200
    d = r.json()
    assert (d["name"], d["seat"], d["kind"]) == \
        ("Landkreis Gotha", "Gotha", "county")
    assert d["location"] == {"lat": 50.9482, "lon": 10.7019}


def test_unknown_district_is_404(api):
    r = api.get("/v1/districts/16099")
    assert r.status_code == 404
    assert r.json()["instance"] == "/v1/districts/16099"


def test_head_answers_like_get_without_body(api):
    r = api.request("HEAD", "/v1/districts/16051")
    assert r.status_code == 200
    assert r.content == b""
    assert int(r.headers["Content-Length"]) > 0
