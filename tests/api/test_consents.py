"""Consents (/v1/participants/{id}/consents) through HTTP: the
cross_district consent a placement in another district's offer needs.
Granting, withdrawing, the history and a new text version superseding a
grant are walked in the main flow of test_placements.py; a person's own
consents in test_participants.py.

Every answer is also validated against openapi/openapi.yaml by the `api`
client (conftest.py)."""

import pytest

from partners_util import (ERFURT, GOTHA, demo_callers, free_places, grant,
                           new_offer, new_org, new_participant, place)


@pytest.fixture(scope="module")
def who(api):
    """The demo accounts of Erfurt (and Gotha's staff)."""
    return demo_callers(api)


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
