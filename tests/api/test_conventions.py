"""The conventions every resource of the API follows, tested through
HTTP on a few of them: Idempotency-Key on POST (a replay, another body
under the same key, concurrent duplicates), and ETag/If-Match on PATCH
(participant, contact, organisation, offer, placement) and DELETE (offer,
organisation). What idempotency means for one resource is tested with it
(test_placements.py, test_tandems.py), as is If-Match on PUT
(test_mentee_profiles.py).

Every answer is also validated against openapi/openapi.yaml by the `api`
client (conftest.py)."""

import json
import threading

import pytest
import requests

from partners_util import (DEMO_ORG, demo_callers, hdr, new_offer, new_org,
                           new_participant, patch, place, read, unique)


@pytest.fixture(scope="module")
def who(api):
    """The demo accounts of Erfurt (and Gotha's staff)."""
    return demo_callers(api)


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
