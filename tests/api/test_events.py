"""Events (/v1/events) and their registrations through HTTP: the rules
of a registration, the waiting list under concurrency, and a registration
cancelled once under concurrency.

Every answer is also validated against openapi/openapi.yaml by the `api`
client (conftest.py); the races validate theirs with `spec`."""

import threading
import time

import pytest

from partners_util import DEMO_PARTICIPANT, place_of, walk
from women_util import (ERFURT, GOTHA, bearer, errors_of, mentor_account,
                        merge_patch, new_event, problem, race, read,
                        register, women_callers)


@pytest.fixture(scope="module")
def who(api):
    return women_callers(api)


def registrations(api, token, event_id):
    items, _ = walk(api, token, "/v1/events/%s/registrations" % event_id,
                    limit=100)
    return items


def test_event_registration_rules(api, stack, who):
    admin, coord = who["state_admin"], who["coordinator"]
    event = new_event(api, coord.token, capacity=1)
    eid = event["id"]
    a, b = (mentor_account(api, admin, ERFURT) for _ in range(2))
    ra = register(api, a.token, eid)
    assert ra["status"] == "registered"
    problem(api.request("POST", "/v1/events/%s/registrations" % eid,
                        headers=bearer(a.token), json={}), 409)
    rb = register(api, b.token, eid)
    assert (rb["status"], rb["position"]) == ("waiting", 1)
    # Others see only their own registrations; the organiser all.
    assert [r["id"] for r in registrations(api, b.token, eid)] == [rb["id"]]
    assert [r["id"] for r in registrations(api, coord.token, eid)] == \
        [ra["id"], rb["id"]]
    read(api, b.token, "/v1/events/%s/registrations/%s" % (eid, ra["id"]),
         expect=404)
    # More capacity moves the waiting list up at once.
    got = merge_patch(api, coord.token, "/v1/events/" + eid,
                      {"capacity": 2}).json()
    assert (got["registered"], got["waiting"]) == (2, 0)
    rb = read(api, b.token, "/v1/events/%s/registrations/%s"
              % (eid, rb["id"])).json()
    assert (rb["status"], rb["position"]) == ("registered", None)
    assert rb["promoted_at"] is not None
    # Capacity below the registered count is 422.
    b_ = problem(merge_patch(api, coord.token, "/v1/events/" + eid,
                             {"capacity": 1}, expect=422), 422)
    assert ("/capacity", "below_registered") in errors_of(b_)
    # The organiser cancels a registration; twice is 409.
    path = "/v1/events/%s/registrations/%s" % (eid, ra["id"])
    r = api.request("DELETE", path, headers=bearer(coord.token))
    assert r.status_code == 204, r.text
    problem(api.request("DELETE", path, headers=bearer(a.token)), 409)
    # A cancelled event takes nobody.
    merge_patch(api, coord.token, "/v1/events/" + eid,
                {"status": "cancelled"})
    c = mentor_account(api, admin, GOTHA)
    problem(api.request("POST", "/v1/events/%s/registrations" % eid,
                        headers=bearer(c.token), json={}), 409)
    # A participant registers herself for another district's event, one
    # at a place.
    seat = place_of(api, "99867")
    other = new_event(api, who["gotha_coordinator"].token, capacity=5,
                      online=False, place_id=seat["id"], kind="workshop")
    assert (other["district_id"], other["place_id"], other["online"]) == \
        (GOTHA, seat["id"], False)
    assert other["place"]["postal_code"] == "99867"
    mine = register(api, who["participant"].token, other["id"])
    assert (mine["user_id"], mine["status"]) == \
        (who["participant"].id, "registered")
    assert DEMO_PARTICIPANT not in str(mine)


# ------------------------------------------------------------ races

def test_event_waiting_list_under_concurrency(api, stack, spec, who):
    admin, coord = who["state_admin"], who["coordinator"]
    event = new_event(api, coord.token, capacity=3)
    eid = event["id"]
    people = [mentor_account(api, admin, ERFURT) for _ in range(11)]
    tokens = [p.token for p in people]          # signed in before the race
    by_user = {p.id: p for p in people}

    answers = race(api, spec, [
        ("POST", "/v1/events/%s/registrations" % eid, tok, {})
        for tok in tokens[:10]])
    assert [a.status_code for a in answers] == [201] * 10, \
        [(a.status_code, a.text) for a in answers]
    mine = [a.json() for a in answers]
    assert sorted(x["status"] for x in mine) == \
        ["registered"] * 3 + ["waiting"] * 7
    assert sorted(x["position"] for x in mine if x["status"] == "waiting") \
        == list(range(1, 8))
    assert all(x["position"] is None for x in mine
               if x["status"] == "registered")

    def check(registered, waiting):
        """The event and the rows agree; the organiser's list is in queue
        order; waiting positions are 1..n in that order."""
        got = read(api, coord.token, "/v1/events/" + eid).json()
        assert (got["registered"], got["free_places"], got["waiting"]) == \
            (registered, 3 - registered, waiting)
        assert stack.sql("SELECT registered, (SELECT count(*) FROM"
                         " ch.event_registration r WHERE r.event_id = v.id"
                         " AND r.status = 'registered') FROM ch.event v"
                         " WHERE id = %s", (eid,)) == \
            [(registered, registered)]
        rows = registrations(api, coord.token, eid)
        assert [r["queued_at"] for r in rows] == \
            sorted(r["queued_at"] for r in rows)
        queue = [r for r in rows if r["status"] == "waiting"]
        assert [r["position"] for r in queue] == \
            list(range(1, waiting + 1))
        return rows

    rows = check(3, 7)
    assert [r["status"] for r in rows] == ["registered"] * 3 + \
        ["waiting"] * 7
    assert {r["id"] for r in rows} == {x["id"] for x in mine}
    # Each sees her own position.
    for r in rows[3:]:
        own = read(api, by_user[r["user_id"]].token,
                   "/v1/events/%s/registrations/%s" % (eid, r["id"])).json()
        assert own["position"] == r["position"]

    # Two registered cancel while a newcomer registers, with a watcher on
    # the committed state all along.
    first_two = [r["id"] for r in rows[3:5]]
    samples, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            samples.append(stack.sql(
                "SELECT v.registered, (SELECT count(*) FROM"
                " ch.event_registration r WHERE r.event_id = v.id AND"
                " r.status = 'registered') FROM ch.event v WHERE id = %s",
                (eid,))[0])
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        leaving = rows[:2]
        answers = race(api, spec, [
            ("DELETE", "/v1/events/%s/registrations/%s" % (eid, r["id"]),
             by_user[r["user_id"]].token, None) for r in leaving] + [
            ("POST", "/v1/events/%s/registrations" % eid, tokens[10], {})])
    finally:
        stop.set()
        watcher.join(10)
    assert [a.status_code for a in answers] == [204, 204, 201], \
        [(a.status_code, a.text) for a in answers]
    assert not answers[0].content and not answers[1].content
    newcomer = answers[2].json()
    assert newcomer["status"] == "waiting", newcomer
    assert samples and all(n == c <= 3 for n, c in samples), samples

    rows = check(3, 6)
    by_id = {r["id"]: r for r in rows}
    for r in leaving:
        assert by_id[r["id"]]["status"] == "cancelled"
        assert by_id[r["id"]]["cancelled_at"] is not None
    promoted = [by_id[i] for i in first_two]
    assert [p["status"] for p in promoted] == ["registered"] * 2
    assert all(p["promoted_at"] is not None for p in promoted)
    assert promoted[0]["promoted_at"] <= promoted[1]["promoted_at"]
    assert all(r["promoted_at"] is None for r in rows
               if r["id"] not in first_two)
    queue = [r for r in rows if r["status"] == "waiting"]
    assert [r["id"] for r in queue] == [r["id"] for r in rows[5:10]] + \
        [newcomer["id"]]
    assert queue[-1]["position"] == 6
    assert stack.sql("SELECT status, count(*) FROM ch.event_registration"
                     " WHERE event_id = %s GROUP BY 1 ORDER BY 1",
                     (eid,)) == [("cancelled", 2), ("registered", 3),
                                 ("waiting", 6)]


def test_a_registration_is_cancelled_once_under_concurrency(api, stack,
                                                            spec, who):
    admin, coord = who["state_admin"], who["coordinator"]
    event = new_event(api, coord.token, capacity=2)
    eid = event["id"]
    people = [mentor_account(api, admin, ERFURT) for _ in range(3)]
    regs = [register(api, p.token, eid) for p in people]
    assert [r["status"] for r in regs] == ["registered", "registered",
                                          "waiting"]
    path = "/v1/events/%s/registrations/%s" % (eid, regs[0]["id"])
    answers = race(api, spec, [("DELETE", path, tok, None) for tok in (
        people[0].token, coord.token) * 3])
    assert sorted(a.status_code for a in answers) == [204] + [409] * 5, \
        [(a.status_code, a.text) for a in answers]
    got = read(api, coord.token, "/v1/events/" + eid).json()
    assert (got["registered"], got["waiting"]) == (2, 0)
    assert stack.sql("SELECT status FROM ch.event_registration WHERE"
                     " event_id = %s ORDER BY queued_at", (eid,)) == \
        [("cancelled",), ("registered",), ("registered",)]
