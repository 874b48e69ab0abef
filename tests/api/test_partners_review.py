"""Rules added after the review of the Connecting Partners change: an
organisation sees contact details only during an active placement, a
page's look-ahead row is not audited as read, and radius_km needs near."""

from authutil import ERFURT, bearer, token_for
from partners_util import (grant, new_offer, new_org, new_participant,
                           patch, place, read)


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


def test_radius_without_near_is_refused(api):
    token = token_for(api, "assistant", ERFURT)
    r = api.get("/v1/offers?radius_km=5", headers=bearer(token))
    assert r.status_code == 400
    assert [e["field"] for e in r.json()["errors"]] == ["radius_km"]
