"""Matching settings (/v1/matching/settings/{district}/{programme})
through HTTP: who reads and writes a district's weights, what is
refused, and the next job scoring with the new weights."""

import pytest

from matching_util import callers, suggest
from partners_util import GOTHA, grant, hdr, new_participant, place_of, read
from women_util import problem


@pytest.fixture(scope="module")
def who(api):
    return callers(api)


def test_settings(api, who, stack):
    path = "/v1/matching/settings/%s/partners" % GOTHA
    s = read(api, who["gotha_assist"].token, path)
    assert s.json()["weights"] == {"interest": 30, "language": 20,
                                   "distance": 20, "availability": 20,
                                   "waiting_time": 10}
    read(api, who["coord"].token, path, expect=404)
    # 50.0 is an integer in JSON: it is stored (and scored) as 50.
    body = {"weights": {"interest": 50.0, "language": 20, "distance": 10,
                        "availability": 10, "waiting_time": 10},
            "min_score": 10, "proposal_ttl_hours": 48}
    r = api.request("PUT", path, headers=hdr(who["gotha_assist"].token),
                    json=body)
    problem(r, 403)
    r = api.request("PUT", path, headers=hdr(who["coord"].token), json=body)
    problem(r, 404)
    bad = dict(body, weights=dict(body["weights"], interest=40))
    r = api.request("PUT", path, headers=hdr(who["gotha_coord"].token),
                    json=bad)
    assert ("/weights", "sum") in {(e["field"], e["code"])
                                   for e in problem(r, 422)["errors"]}
    bad = dict(body, weights=dict(body["weights"], goals=0))
    r = api.request("PUT", path, headers=hdr(who["gotha_coord"].token),
                    json=bad)
    assert ("/weights/goals", "unknown") in {
        (e["field"], e["code"]) for e in problem(r, 422)["errors"]}
    r = api.request("PUT", path, headers=hdr(who["gotha_coord"].token,
                                             If_Match='"999"'), json=body)
    problem(r, 412)
    r = api.request("PUT", path, headers=hdr(who["gotha_coord"].token,
                                             If_Match=s.headers["ETag"]),
                    json=body)
    assert r.status_code == 200, r.text
    assert r.json()["weights"] == body["weights"]
    assert '"interest": 50,' in r.text
    assert r.json()["version"] == s.json()["version"] + 1
    assert stack.sql("SELECT count(*) FROM ch.audit_log WHERE action ="
                     " 'matching_settings.updated' AND district_id = %s",
                     (GOTHA,))[0][0] >= 1
    # The next job of the district scores with the new weights.
    gp = new_participant(api, who["gotha_assist"].token,
                         home_place_id=place_of(api, "99867")["id"])
    grant(api, who["gotha_assist"].token, gp["id"], "matching")
    _, props = suggest(api, who["gotha_assist"], gp["id"])
    assert props
    for x in props:
        weights = {f["feature"]: f["weight"]
                   for f in x["explanation"]["features"]}
        assert weights == body["weights"]
        assert x["score"] >= 10
