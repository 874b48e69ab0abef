"""Rules added after the Connecting Women tests: retiring is for good
unless the coordinator brings a mentor back."""

from partners_util import Caller
from women_util import active_mentor, merge_patch, mentor_of

ERFURT = "16051"


def test_retired_mentor_is_brought_back_by_her_coordinator(api):
    admin = Caller.demo(api, "state_admin")
    coord = Caller.demo(api, "coordinator")
    acct, m = active_mentor(api, admin, coord, ERFURT)
    path = "/v1/mentors/" + m["id"]
    merge_patch(api, acct.token, path, {"status": "retired"})
    r = merge_patch(api, acct.token, path, {"status": "active"},
                    expect=403)
    assert [e["field"] for e in r.json()["errors"]] == ["/status"]
    assert mentor_of(api, acct.token, m["id"]).json()["status"] == "retired"
    merge_patch(api, coord.token, path, {"status": "active"})
    assert mentor_of(api, acct.token, m["id"]).json()["status"] == "active"
    # Back in service, she pauses herself as before.
    merge_patch(api, acct.token, path, {"status": "paused"})
