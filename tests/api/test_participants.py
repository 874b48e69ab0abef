"""Participants (/v1/participants, with their contact details and
consents) through HTTP: a person's self-service, and the audit trail of
participant writes and contact reads. Registering a person and her
contact details are also walked in the main flow of test_placements.py.

Every answer is also validated against openapi/openapi.yaml by the `api`
client (conftest.py)."""

import uuid

import pytest

from partners_util import (DEMO_PARTICIPANT, ERFURT, demo_callers, grant,
                           hdr, new_offer, new_participant, patch, place,
                           read, unique, walk, withdraw)


@pytest.fixture(scope="module")
def who(api):
    """The demo accounts of Erfurt (and Gotha's staff)."""
    return demo_callers(api)


def audit_rows(stack, request_id):
    return stack.sql(
        "SELECT actor, actor_role, action, entity, entity_id, district_id,"
        " detail FROM ch.audit_log WHERE request_id = %s ORDER BY id",
        (request_id,))


# ------------------------------------------------------------ self-service

def test_participant_self_service(api, who, stack):
    me, asst = who["participant"], who["assistant"]
    path = "/v1/participants/" + DEMO_PARTICIPANT
    r = read(api, me.token, path)
    mine = r.json()
    assert mine["id"] == DEMO_PARTICIPANT and mine["district_id"] == ERFURT
    assert r.headers["ETag"] == '"%d"' % mine["version"]

    change = {"display_name": unique("Ich"),
              "languages": [{"code": "uk", "level": "native"},
                            {"code": "de", "level": "b1"}],
              "interests": ["sport", "social"],
              "availability": {"wed": ["afternoon"], "sat": []},
              "mobility_radius_km": 7, "needs": ["public_transport"]}
    r = patch(api, me.token, path, change, etag=r.headers["ETag"])
    assert r.status_code == 200, r.text
    after = r.json()
    for k, v in change.items():
        if k != "availability":
            assert after[k] == v, k
    # A merge patch merges the week: wed is set, sat cleared, the rest
    # stays.
    week = dict(mine["availability"], wed=["afternoon"])
    week.pop("sat", None)
    assert after["availability"] == week
    assert after["version"] == mine["version"] + 1
    assert (after["status"], after["assistant_id"], after["gender"]) == \
        (mine["status"], mine["assistant_id"], mine["gender"])

    # Staff-only fields: 403 naming each, nothing changes.
    for body, fields in (({"status": "paused"}, ["/status"]),
                         ({"mobility_radius_km": 3, "assistant_id": None},
                          ["/assistant_id"]),
                         ({"gender": "male", "birth_year": 1950},
                          ["/gender", "/birth_year"])):
        r = patch(api, me.token, path, body)
        assert r.status_code == 403, (body, r.text)
        assert sorted(e["field"] for e in r.json()["errors"]) == \
            sorted(fields)
        assert all(e["code"] == "not_allowed" for e in r.json()["errors"])
    assert read(api, me.token, path).json() == after

    # Own contact details and consents.
    r = patch(api, me.token, path + "/contact",
              {"preferred_channel": "sms"})
    assert r.status_code == 200 and r.json()["preferred_channel"] == "sms"
    c = grant(api, me.token, DEMO_PARTICIPANT, "statistics",
              version=unique("v"), expect=201).json()
    assert (c["granted_by"], c["granted_by_role"]) == (me.id, "participant")
    c = withdraw(api, me.token, DEMO_PARTICIPANT, "statistics").json()
    assert (c["withdrawn_by"], c["withdrawn_by_role"]) == \
        (me.id, "participant")
    # Own placements only, without the staff note.
    items, _ = walk(api, me.token, "/v1/placements")
    assert all(p["participant_id"] == DEMO_PARTICIPANT for p in items)
    assert all(p["note"] is None for p in items)

    # Somebody else: 404, whether in Erfurt or in Gotha.
    other = new_participant(api, asst.token)["id"]
    gotha = new_participant(api, who["gotha_assistant"].token)["id"]
    for pid in (other, gotha):
        for sub in ("", "/contact", "/consents", "/consents/matching"):
            read(api, me.token, "/v1/participants/" + pid + sub,
                 expect=404)
        r = patch(api, me.token, "/v1/participants/" + pid,
                  {"mobility_radius_km": 4}, etag="*")
        assert r.status_code == 404, r.text
    assert read(api, asst.token, "/v1/participants/" + other) \
        .json()["mobility_radius_km"] == 10
    # Lists of people and registering them are staff work.
    read(api, me.token, "/v1/participants", expect=403)
    new_participant(api, me.token, expect=403)

    # Put the demo record back as it was.
    restore = {k: mine[k] for k in change}
    restore["availability"] = {
        d: mine["availability"].get(d, [])
        for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    r = patch(api, me.token, path, restore)
    assert r.status_code == 200
    assert {k: r.json()[k] for k in change} == {k: mine[k] for k in change}


# ------------------------------------------------------------ audit

def test_contact_reads_and_participant_writes_are_audited(api, who, stack):
    asst, org = who["assistant"], who["organization"]

    def rid(tag):
        return "%s-%s" % (tag, uuid.uuid4().hex)

    created = rid("create")
    r = api.request("POST", "/v1/participants", json={
        "display_name": unique("Audit"), "gender": "female",
        "languages": [{"code": "de", "level": "b1"}]},
        headers=hdr(asst.token, X_Request_Id=created))
    assert r.status_code == 201 and r.headers["X-Request-Id"] == created
    pid = r.json()["id"]
    assert [x[:6] for x in audit_rows(stack, created)] == [
        (asst.id, "assistant", "participant.created", "participant", pid,
         ERFURT)]

    contact_read = rid("contact")
    r = read(api, asst.token, "/v1/participants/%s/contact" % pid,
             X_Request_Id=contact_read)
    assert r.headers["X-Request-Id"] == contact_read
    assert [x[:6] for x in audit_rows(stack, contact_read)] == [
        (asst.id, "assistant", "contact.read", "participant", pid, ERFURT)]

    updated = rid("update")
    r = patch(api, asst.token, "/v1/participants/" + pid,
              {"mobility_radius_km": 25, "interests": ["social"]},
              X_Request_Id=updated)
    assert r.status_code == 200
    rows = audit_rows(stack, updated)
    assert [x[:6] for x in rows] == [
        (asst.id, "assistant", "participant.updated", "participant", pid,
         ERFURT)]
    assert sorted(rows[0][6]["fields"]) == ["interests",
                                            "mobility_radius_km"]

    contact_write = rid("contactw")
    r = patch(api, asst.token, "/v1/participants/%s/contact" % pid,
              {"email": "audit@mail.example"}, X_Request_Id=contact_write,
              reader=asst.token)
    assert r.status_code == 200
    # The read for the ETag had its own request id.
    assert [x[2] for x in audit_rows(stack, contact_write)] == \
        ["contact.updated"]

    granted = rid("grant")
    grant(api, asst.token, pid, "share_contact_with_partner", expect=201,
          X_Request_Id=granted)
    rows = audit_rows(stack, granted)
    assert [x[:6] for x in rows] == [
        (asst.id, "assistant", "consent.granted", "participant", pid,
         ERFURT)]
    assert rows[0][6]["purpose"] == "share_contact_with_partner"

    # The organisation reading shared contact details through a placement
    # is a contact read too.
    offer = new_offer(api, org.token)
    pl = place(api, asst.token, pid, offer["id"]).json()
    via = rid("org")
    r = read(api, org.token, "/v1/placements/" + pl["id"], X_Request_Id=via)
    assert r.json()["participant"]["contact"]["email"] == "audit@mail.example"
    rows = audit_rows(stack, via)
    assert [x[:6] for x in rows] == [
        (org.id, "organization", "contact.read", "participant", pid,
         ERFURT)]
    assert rows[0][6]["placement"] == pl["id"]

    self_write = rid("self")
    me = who["participant"]
    needs = read(api, me.token, "/v1/participants/" + DEMO_PARTICIPANT) \
        .json()["needs"]
    r = patch(api, me.token, "/v1/participants/" + DEMO_PARTICIPANT,
              {"needs": ["low_cost"]}, X_Request_Id=self_write)
    assert r.status_code == 200
    assert [x[:6] for x in audit_rows(stack, self_write)] == [
        (me.id, "participant", "participant.updated", "participant",
         DEMO_PARTICIPANT, ERFURT)]
    assert patch(api, me.token, "/v1/participants/" + DEMO_PARTICIPANT,
                 {"needs": needs}).status_code == 200

    # A refused write leaves no trace but the refusal.
    refused = rid("refused")
    r = patch(api, asst.token, "/v1/participants/" + pid,
              {"mobility_radius_km": 30}, etag='"99"',
              X_Request_Id=refused)
    assert r.status_code == 412
    assert audit_rows(stack, refused) == []
