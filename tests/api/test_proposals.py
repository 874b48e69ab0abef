"""Proposals (/v1/proposals) end to end, made by matching jobs on the
real ch-matcher pool: the review workflow until a placement or a tandem,
declined and rejected pairs that never come back, concurrent
acceptances, invalidation (a consent withdrawn, an offer closed, a mentor
paused, the person checked again at acceptance) and expiry."""

import threading

import pytest

from matching_util import (WOMEN_FEATURES, act, callers, check_explained,
                           job_proposals, offer_for, person, suggest)
from partners_util import ERFURT, hdr, place, place_of, read, withdraw
from women_util import active_mentor, merge_patch, new_mentee, problem


@pytest.fixture(scope="module")
def who(api):
    return callers(api)


# ------------------------------------------------------------ review

def pending_for(api, who, pid, offer_id):
    _, props = suggest(api, who["assist"], pid)
    mine = [x for x in props if x["offer_id"] == offer_id]
    assert mine, "the offer was not proposed"
    return mine[0]


def test_review_workflow_creates_a_placement(api, who):
    p = person(api, who, "ps")
    f = offer_for(api, who, "ps", capacity=3)
    x = pending_for(api, who, p["id"], f["id"])
    # The organisation sees nothing before staff approved it.
    read(api, who["org"].token, "/v1/proposals/" + x["id"], expect=404)
    problem(act(api, who["org"], x["id"], "approve", expect=403), 403)
    problem(act(api, who["assist"], x["id"], "accept", expect=409), 409,
            "proposal-pending")
    x = act(api, who["assist"], x["id"], "approve",
            {"note": "passt gut"}).json()
    assert x["status"] == "approved" and x["review_note"] == "passt gut"
    seen = read(api, who["org"].token, "/v1/proposals/" + x["id"]).json()
    assert seen["review_note"] is None and seen["reviewed_by"] is None
    assert seen["participant"]["display_name"] == p["display_name"]
    # The participant's side, by the assistant on her behalf.
    x = act(api, who["assist"], x["id"], "accept").json()
    assert (x["subject_answer"], x["status"]) == ("accepted", "approved")
    problem(act(api, who["assist"], x["id"], "accept", expect=409), 409,
            "proposal-answered")
    x = act(api, who["org"], x["id"], "accept").json()
    assert x["status"] == "accepted" and x["placement_id"]
    pl = read(api, who["assist"].token,
              "/v1/placements/" + x["placement_id"]).json()
    assert (pl["participant_id"], pl["offer_id"], pl["status"]) == \
        (p["id"], f["id"], "active")
    # An accepted pair is not proposed again.
    _, again = suggest(api, who["assist"], p["id"])
    assert f["id"] not in [y["offer_id"] for y in again]


def test_declined_and_rejected_pairs_never_come_back(api, who):
    p = person(api, who, "om")
    f1 = offer_for(api, who, "om")
    f2 = offer_for(api, who, "om")
    x1 = pending_for(api, who, p["id"], f1["id"])
    x2 = [y for y in job_proposals(api, who["assist"], x1["job_id"])
          if y["offer_id"] == f2["id"]][0]
    act(api, who["assist"], x1["id"], "reject", {"reason": "schedule"})
    act(api, who["assist"], x2["id"], "approve")
    x2 = act(api, who["org"], x2["id"], "decline",
             {"reason": "no_capacity"}).json()
    assert (x2["status"], x2["candidate_answer"]) == ("declined", "declined")
    # Rejected proposals stay hidden from the organisation.
    read(api, who["org"].token, "/v1/proposals/" + x1["id"], expect=404)
    _, again = suggest(api, who["assist"], p["id"])
    offers = [y["offer_id"] for y in again]
    assert f1["id"] not in offers and f2["id"] not in offers


def test_concurrent_acceptances_hold_capacity(api, who, stack):
    f = offer_for(api, who, "ka", capacity=2)
    people = [person(api, who, "ka") for _ in range(3)]
    props = [pending_for(api, who, p["id"], f["id"]) for p in people]
    act(api, who["assist"], props[0]["id"], "approve")
    act(api, who["assist"], props[1]["id"], "approve")
    # Approval holds a place: the third finds none.
    problem(act(api, who["assist"], props[2]["id"], "approve", expect=409),
            409, "capacity-exhausted")
    for x in props[:2]:
        act(api, who["assist"], x["id"], "accept")
    # Meanwhile staff place someone by hand: one place is left for two.
    other = person(api, who, "ka")
    place(api, who["assist"].token, other["id"], f["id"])
    results = [None, None]

    def accept(i):
        r = api.request("POST", "/v1/proposals/%s/accept" % props[i]["id"],
                        headers=hdr(who["org"].token), json={})
        results[i] = r
    threads = [threading.Thread(target=accept, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409], [r.text for r in results]
    loser = [r for r in results if r.status_code == 409][0]
    problem(loser, 409, "capacity-exhausted")
    active = stack.sql("SELECT count(*) FROM ch.placement WHERE offer_id = %s"
                       " AND status = 'active'", (f["id"],))[0][0]
    assert active == 2


def test_review_workflow_creates_a_tandem(api, who):
    acct, m = active_mentor(api, who["admin"], who["coord"], ERFURT,
                            occupational_field="93112", capacity=1,
                            languages=[{"code": "de", "level": "native"},
                                       {"code": "ti", "level": "c1"}])
    mentee = new_mentee(api, who["assist"].token,
                        languages=[{"code": "ti", "level": "native"}],
                        home_place_id=place_of(api, "99084")["id"])
    _, props = suggest(api, who["assist"], mentee["id"], programme="women")
    mine = [x for x in props if x["mentor_id"] == m["id"]]
    assert mine, props
    x = mine[0]
    check_explained(x, WOMEN_FEATURES)
    act(api, who["assist"], x["id"], "approve")
    x = act(api, acct, x["id"], "accept").json()
    assert (x["candidate_answer"], x["status"]) == ("accepted", "approved")
    x = act(api, who["assist"], x["id"], "accept").json()
    assert x["status"] == "accepted" and x["tandem_id"]
    t = read(api, acct.token, "/v1/tandems/" + x["tandem_id"]).json()
    assert (t["mentor_id"], t["participant_id"], t["status"]) == \
        (m["id"], mentee["id"], "active")


# ------------------------------------------------------------ invalidation

def test_consent_withdrawal_invalidates_and_takes_effect(api, who):
    p = person(api, who, "ln")
    f = offer_for(api, who, "ln")
    x = pending_for(api, who, p["id"], f["id"])
    withdraw(api, who["assist"].token, p["id"], "matching")
    x = read(api, who["assist"].token, "/v1/proposals/" + x["id"]).json()
    assert (x["status"], x["invalidated_reason"]) == \
        ("invalidated", "consent_withdrawn")
    job, props = suggest(api, who["assist"], p["id"])
    assert props == [] and job["proposals"] == 0


def test_acceptance_checks_the_person_again(api, who, stack):
    """A proposal a job stored just before her consent was withdrawn
    (the trigger could not see it yet) never becomes a placement."""
    p = person(api, who, "ig")
    f = offer_for(api, who, "ig")
    x = pending_for(api, who, p["id"], f["id"])
    act(api, who["assist"], x["id"], "approve")
    act(api, who["assist"], x["id"], "accept")
    withdraw(api, who["assist"].token, p["id"], "matching")
    stack.sql("UPDATE ch.proposal SET status = 'approved',"
              " invalidated_reason = NULL WHERE id = %s", (x["id"],))
    problem(act(api, who["org"], x["id"], "accept", expect=409), 409,
            "proposal-impossible")
    assert stack.sql("SELECT count(*) FROM ch.placement WHERE offer_id = %s",
                     (f["id"],))[0][0] == 0


def test_closed_offer_invalidates(api, who):
    p = person(api, who, "wo")
    f = offer_for(api, who, "wo")
    x = pending_for(api, who, p["id"], f["id"])
    act(api, who["assist"], x["id"], "approve")
    merge_patch(api, who["org"].token, "/v1/offers/" + f["id"],
                {"status": "closed"})
    x = read(api, who["assist"].token, "/v1/proposals/" + x["id"]).json()
    assert (x["status"], x["invalidated_reason"]) == \
        ("invalidated", "offer_not_open")
    problem(act(api, who["assist"], x["id"], "accept", expect=409), 409,
            "proposal-invalidated")


def test_paused_mentor_invalidates(api, who):
    acct, m = active_mentor(api, who["admin"], who["coord"], ERFURT,
                            occupational_field="93113",
                            languages=[{"code": "de", "level": "native"},
                                       {"code": "wo", "level": "b2"}])
    mentee = new_mentee(api, who["assist"].token,
                        languages=[{"code": "wo", "level": "native"}],
                        home_place_id=place_of(api, "99084")["id"])
    _, props = suggest(api, who["assist"], mentee["id"], programme="women")
    x = [y for y in props if y["mentor_id"] == m["id"]][0]
    merge_patch(api, acct.token, "/v1/mentors/" + m["id"],
                {"status": "paused"})
    x = read(api, who["assist"].token, "/v1/proposals/" + x["id"]).json()
    assert (x["status"], x["invalidated_reason"]) == \
        ("invalidated", "mentor_not_active")
    _, again = suggest(api, who["assist"], mentee["id"], programme="women")
    assert m["id"] not in [y["mentor_id"] for y in again]


def test_expired_proposals(api, who, stack):
    p = person(api, who, "ha")
    f = offer_for(api, who, "ha")
    x = pending_for(api, who, p["id"], f["id"])
    stack.sql("UPDATE ch.proposal SET expires_at = now() - interval '1 s'"
              " WHERE id = %s", (x["id"],))
    assert read(api, who["assist"].token, "/v1/proposals/"
                + x["id"]).json()["status"] == "expired"
    problem(act(api, who["assist"], x["id"], "approve", expect=409), 409,
            "proposal-expired")
    assert stack.sql("SELECT ch.proposals_expire()")[0][0] >= 1
    assert stack.sql("SELECT status FROM ch.proposal WHERE id = %s",
                     (x["id"],))[0][0] == "expired"
    # An expired pair may be proposed again.
    _, again = suggest(api, who["assist"], p["id"])
    assert f["id"] in [y["offer_id"] for y in again]
