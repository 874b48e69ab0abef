"""One Kore worker answers a request of every route of the API, one
after the other, and stays alive.

Every answer is also validated against openapi/openapi.yaml by the `api`
client (conftest.py)."""

import pytest

from partners_util import new_offer, new_org, place, place_of
from women_util import (ERFURT, active_mentor, bearer, form_tandem, grant,
                        meet, mentor_account, new_event, new_mentee,
                        new_participant, register, unique, women_callers)


@pytest.fixture(scope="module")
def who(api):
    return women_callers(api)


def test_a_worker_serves_every_kind_of_request_and_stays_alive(api, stack,
                                                                who):
    """One Kore worker (the test stack runs one) answers a request of
    every route of the API, each with its own SQL statement, one after
    the other: every request is answered, and no worker dies on the way
    (the API prepares each statement once per connection)."""
    admin, coord, asst = (who["state_admin"], who["coordinator"],
                          who["assistant"])
    deaths = stack.kore_log().count("exited with status")
    ct, at = coord.token, asst.token
    calls = []

    def call(method, path, token=None, expect=None, **kw):
        h = bearer(token) if token else {}
        h.update(kw.pop("headers", {}))
        r = api.request(method, path, headers=h, **kw)
        calls.append((method, path, r.status_code))
        if expect is not None:
            assert r.status_code == expect, (method, path, r.text)
        return r

    # Public routes, sign-in and the account.
    call("GET", "/readyz", expect=200)
    call("GET", "/v1/districts", expect=200)
    call("GET", "/v1/districts/16051", expect=200)
    seat = place_of(api, "99084")
    call("GET", "/v1/places", params={"district": ERFURT}, expect=200)
    call("GET", "/v1/places/" + seat["id"], expect=200)
    call("GET", "/v1/taxonomies", expect=200)
    call("GET", "/v1/taxonomies/languages", expect=200)
    acct = mentor_account(api, admin, ERFURT)
    call("POST", "/v1/auth/token", expect=401,
         json={"email": acct.email, "password": "not-the-password"})
    pair = call("POST", "/v1/auth/token", expect=200,
                json={"email": acct.email,
                      "password": "connecting-humans-demo"}).json()
    pair = call("POST", "/v1/auth/refresh", expect=200,
                json={"refresh_token": pair["refresh_token"]}).json()
    call("GET", "/v1/me", pair["access_token"], expect=200)
    call("POST", "/v1/me/password", pair["access_token"], expect=204,
         json={"current_password": "connecting-humans-demo",
               "new_password": "a-new-long-password-1"})
    pair = call("POST", "/v1/auth/token", expect=200,
                json={"email": acct.email,
                      "password": "a-new-long-password-1"}).json()
    call("POST", "/v1/auth/logout", expect=204,
         json={"refresh_token": pair["refresh_token"]})
    call("GET", "/v1/users", ct, expect=200)
    uid = call("POST", "/v1/users", ct, expect=201,
               json={"email": unique("u") + "@women.example",
                     "password": "connecting-humans-demo",
                     "role": "assistant"}).json()["id"]
    call("GET", "/v1/users/" + uid, ct, expect=200)
    call("PATCH", "/v1/users/" + uid, ct, expect=200,
         headers={"If-Match": "*"}, json={"locale": "en"})

    # Connecting Partners.
    call("GET", "/v1/organizations", ct, expect=200)
    org = new_org(api, ct)["id"]
    call("GET", "/v1/organizations/" + org, ct, expect=200)
    call("PATCH", "/v1/organizations/" + org, ct, expect=200,
         headers={"If-Match": "*"}, json={"description": "x"})
    call("GET", "/v1/offers", ct, expect=200)
    offer = new_offer(api, ct, org=org)["id"]
    call("GET", "/v1/offers/" + offer, ct, expect=200)
    call("PATCH", "/v1/offers/" + offer, ct, expect=200,
         headers={"If-Match": "*"}, json={"description": "x"})
    call("GET", "/v1/participants", at, expect=200)
    pid = new_participant(api, at)["id"]
    base = "/v1/participants/" + pid
    call("GET", base, at, expect=200)
    call("PATCH", base, at, expect=200, headers={"If-Match": "*"},
         json={"mobility_radius_km": 12})
    call("GET", base + "/contact", at, expect=200)
    call("PATCH", base + "/contact", at, expect=200,
         headers={"If-Match": "*"}, json={"city": "Erfurt"})
    grant(api, at, pid, "matching")
    call("GET", base + "/consents", at, expect=200)
    call("GET", base + "/consents/matching", at, expect=200)
    call("GET", "/v1/placements", at, expect=200)
    pl = place(api, at, pid, offer).json()["id"]
    call("GET", "/v1/placements/" + pl, at, expect=200)
    call("PATCH", "/v1/placements/" + pl, at, expect=200,
         headers={"If-Match": "*"},
         json={"status": "ended", "end_reason": "other"})
    call("DELETE", base + "/consents/matching", at, expect=200)
    spare_org = new_org(api, ct)["id"]
    spare = new_offer(api, ct, org=spare_org)["id"]
    call("DELETE", "/v1/offers/" + spare, ct, expect=204)
    call("DELETE", "/v1/organizations/" + spare_org, ct, expect=204)

    # Connecting Women.
    mentor, m = active_mentor(api, admin, coord, ERFURT)
    call("GET", "/v1/mentors", ct, expect=200)
    call("GET", "/v1/mentors/" + m["id"], ct, expect=200)
    call("PATCH", "/v1/mentors/" + m["id"], ct, expect=200,
         headers={"If-Match": "*"}, json={"capacity": 3})
    mentee = new_mentee(api, at)["id"]
    mp = "/v1/participants/%s/mentee-profile" % mentee
    call("GET", mp, at, expect=200)
    call("PATCH", mp, at, expect=200, headers={"If-Match": "*"},
         json={"german_level": "b2"})
    call("GET", "/v1/tandems", at, expect=200)
    t = form_tandem(api, at, m["id"], mentee)
    call("GET", "/v1/tandems/" + t["id"], at, expect=200)
    x = meet(api, mentor.token, t)
    call("GET", "/v1/tandems/%s/meetings" % t["id"], at, expect=200)
    call("GET", "/v1/tandems/%s/meetings/%s" % (t["id"], x["id"]), at,
         expect=200)
    call("PATCH", "/v1/tandems/" + t["id"], at, expect=200,
         headers={"If-Match": "*"}, json={"planned_months": 7})
    call("GET", "/v1/events", ct, expect=200)
    e = new_event(api, ct)["id"]
    call("GET", "/v1/events/" + e, ct, expect=200)
    call("PATCH", "/v1/events/" + e, ct, expect=200,
         headers={"If-Match": "*"}, json={"capacity": 30})
    reg = register(api, mentor.token, e)["id"]
    call("GET", "/v1/events/%s/registrations" % e, ct, expect=200)
    call("GET", "/v1/events/%s/registrations/%s" % (e, reg), ct, expect=200)
    call("DELETE", "/v1/events/%s/registrations/%s" % (e, reg), ct,
         expect=204)
    call("GET", "/v1/reports/women", ct, expect=200)

    # Still alive: the same worker answers, and none died.
    call("GET", "/readyz", expect=200)
    log = stack.kore_log()
    assert "distinct queries" not in log, [
        l for l in log.splitlines() if "distinct queries" in l]
    assert log.count("exited with status") == deaths, \
        [l for l in log.splitlines() if "exited with status" in l]
