"""Every rule on every path: who fits an offer or a mentor holds for the
direct create, through the review workflow and for the worker's results;
a change to either side of an open proposal that breaks a rule closes it;
access ends with the relationship or consent it rested on; reports read
the statistics consent; and the database itself refuses a reader that
could see past row-level security."""

import contextlib
import json
import threading

import psycopg2
import pytest

from authutil import bearer
from matching_util import (act, await_job, callers, offer_for, person,
                           submit, suggest, wait_for)
from partners_util import (DEMO_ORG, ERFURT, GOTHA, Caller, grant, new_org,
                           new_offer, new_participant, place,
                           place_of, read, withdraw)
from women_util import (active_mentor, applied_mentor, end_tandem,
                        form_tandem, meet, merge_patch, new_mentee, problem,
                        report, report_of)


@pytest.fixture(scope="module")
def who(api):
    return callers(api)


def proposed(api, who, pid, offer_id=None, mentor_id=None):
    """The pending proposal of a fresh suggest job for this pair."""
    _, props = suggest(api, who["assist"], pid,
                       programme="women" if mentor_id else "partners")
    mine = [x for x in props if x["offer_id"] == offer_id
            and x["mentor_id"] == mentor_id]
    assert mine, "the pair was not proposed: %s" % props
    return mine[0]


def proposal(api, who, x):
    return read(api, who["assist"].token, "/v1/proposals/" + x["id"]).json()


def reopen(stack, x):
    """What a race could leave behind: the proposal approved again, as if
    the change had come in after the invalidation looked at it."""
    stack.sql("UPDATE ch.proposal SET status = 'approved',"
              " invalidated_reason = NULL WHERE id = %s", (x["id"],))


def refused_at_last_acceptance(api, stack, who, x, second):
    """The proposal was invalidated by a change that broke a rule; had
    the invalidation missed it (a race), the last acceptance, by
    `second`, still refuses. Returns that refusal."""
    x = proposal(api, who, x)
    assert (x["status"], x["invalidated_reason"]) == \
        ("invalidated", "no_longer_fits")
    reopen(stack, x)
    r = act(api, second, x["id"], "accept", expect=409)
    problem(r, 409, "proposal-impossible")
    return r


def codes(r):
    return {e["code"] for e in r.json().get("errors", [])}


def count(stack, sql, *args):
    return stack.sql(sql, args)[0][0]


# ------------------------------------------------------------ partners

def test_offer_changed_after_approval_is_never_placed(api, who, stack):
    p = person(api, who, "yo", gender="male", birth_year=1990)
    f = offer_for(api, who, "yo")
    x = proposed(api, who, p["id"], offer_id=f["id"])
    act(api, who["assist"], x["id"], "approve")
    act(api, who["assist"], x["id"], "accept")
    merge_patch(api, who["org"].token, "/v1/offers/" + f["id"],
                {"audience": "women", "age_min": 60})
    # The last acceptance refuses with the rules the direct route names.
    r = refused_at_last_acceptance(api, stack, who, x, who["org"])
    assert {"audience", "age"} <= codes(r)
    direct = place(api, who["assist"].token, p["id"], f["id"], expect=409)
    assert codes(direct) == codes(r)
    assert count(stack, "SELECT count(*) FROM ch.placement WHERE offer_id"
                 " = %s", f["id"]) == 0


def test_approval_checks_the_rules(api, who, stack):
    p = person(api, who, "sw")
    f = offer_for(api, who, "sw")
    x = proposed(api, who, p["id"], offer_id=f["id"])
    # The offer moves out of her reach; a race keeps the proposal open.
    stack.sql("UPDATE ch.offer SET place_id = %s WHERE id = %s",
              (place_of(api, "99867")["id"], f["id"]))
    assert proposal(api, who, x)["status"] == "invalidated"
    stack.sql("UPDATE ch.proposal SET status = 'pending',"
              " invalidated_reason = NULL WHERE id = %s", (x["id"],))
    r = act(api, who["assist"], x["id"], "approve", expect=409)
    problem(r, 409, "proposal-impossible")
    assert codes(r) == {"distance"}


@pytest.mark.parametrize("field,value", [
    ("languages", ["en"]),
    ("age_max", 20),
    ("place_id", "99867"),
    ("status", "paused"),
])
def test_any_broken_rule_invalidates_open_proposals(api, who, field, value):
    p = person(api, who, "hy", birth_year=1980)
    f = offer_for(api, who, "hy")
    x = proposed(api, who, p["id"], offer_id=f["id"])
    if field == "place_id":
        value = place_of(api, value)["id"]
    merge_patch(api, who["org"].token, "/v1/offers/" + f["id"],
                {field: value})
    x = proposal(api, who, x)
    assert x["status"] == "invalidated"
    assert x["invalidated_reason"] == ("offer_not_open"
                                       if field == "status"
                                       else "no_longer_fits")


def test_german_counts_from_the_offers_minimum_level(api, who):
    p = new_participant(api, who["assist"].token,
                        languages=[{"code": "de", "level": "a2"}])
    strict = new_offer(api, who["org"].token, org=DEMO_ORG,
                       languages=["de"], min_german_level="b2")
    r = place(api, who["assist"].token, p["id"], strict["id"], expect=409)
    assert codes(r) == {"language"}
    fits = new_offer(api, who["org"].token, org=DEMO_ORG,
                     languages=["de"], min_german_level="a2")
    place(api, who["assist"].token, p["id"], fits["id"])


def test_a_change_that_keeps_the_rules_keeps_the_proposal(api, who):
    p = person(api, who, "kk")
    f = offer_for(api, who, "kk")
    x = proposed(api, who, p["id"], offer_id=f["id"])
    merge_patch(api, who["org"].token, "/v1/offers/" + f["id"],
                {"title": "Neuer Titel", "languages": ["kk", "de"],
                 "age_max": 99})
    assert proposal(api, who, x)["status"] == "pending"
    merge_patch(api, who["assist"].token, "/v1/participants/" + p["id"],
                {"mobility_radius_km": 25})
    assert proposal(api, who, x)["status"] == "pending"


def test_participant_change_invalidates(api, who):
    p = person(api, who, "uz")
    f = offer_for(api, who, "uz", audience="women")
    x = proposed(api, who, p["id"], offer_id=f["id"])
    merge_patch(api, who["assist"].token, "/v1/participants/" + p["id"],
                {"gender": "male"})
    x = proposal(api, who, x)
    assert (x["status"], x["invalidated_reason"]) == \
        ("invalidated", "no_longer_fits")


def test_reduced_capacity_frees_the_places_held(api, who):
    f = offer_for(api, who, "el", capacity=3)
    people = [person(api, who, "el") for _ in range(3)]
    xs = [proposed(api, who, p["id"], offer_id=f["id"]) for p in people]
    for x in xs:
        act(api, who["assist"], x["id"], "approve")
    merge_patch(api, who["org"].token, "/v1/offers/" + f["id"],
                {"capacity": 1})
    states = [proposal(api, who, x) for x in xs]
    # The first approved keeps its place; the later two give theirs up.
    assert [s["status"] for s in states] == \
        ["approved", "invalidated", "invalidated"]
    assert {s["invalidated_reason"] for s in states[1:]} == \
        {"capacity_reduced"}


@contextlib.contextmanager
def running_job(api, who, stack, language):
    """A suggest job for a person of Erfurt who consented to another
    district, and an online offer of Gotha in her language; the job is
    claimed and its input read by the test itself, acting as the worker
    pool's role (the pool is stopped meanwhile). Yields (person, offer,
    job, attempt, cursor); the pool runs again afterwards."""
    gotha_org = new_org(api, who["gotha_coord"].token)
    f = new_offer(api, who["gotha_coord"].token, org=gotha_org["id"],
                  district=GOTHA, category="interreligious",
                  languages=[language], online=True)
    p = person(api, who, language)
    grant(api, who["assist"].token, p["id"], "cross_district")
    stack.stack("matcher-stop")
    try:
        job = submit(api, who["assist"], {
            "kind": "suggest", "programme": "partners",
            "participant_id": p["id"], "k": 5}).json()
        pool = psycopg2.connect(stack.matcher_url())
        pool.autocommit = True
        try:
            cur = pool.cursor()
            # Older queued jobs come first; they run once the pool is
            # back (their leases run out).
            claimed = []
            for _ in range(20):
                cur.execute("SELECT id::text, attempt"
                            " FROM ch.job_claim('test', 30)")
                claimed = cur.fetchall()
                if not claimed or claimed[0][0] == job["id"]:
                    break
            assert claimed and claimed[0][0] == job["id"]
            cur.execute("SELECT ch.job_input(%s)", (job["id"],))
            subject = json.loads(cur.fetchone()[0])["subjects"][0]
            assert subject["consent_cross_district"] is True
            yield p, f, job, claimed[0][1], cur
        finally:
            pool.close()
    finally:
        stack.stack("matcher-start")


def complete(cur, job, attempt, p, f):
    """What the worker stores: the engine proposed the pair."""
    result = {"proposals": [{
        "subject": p["id"], "candidate": f["id"], "score": 5000,
        "explanation": {"score": 50, "features": []}}], "stats": {}}
    cur.execute("SELECT ch.job_complete(%s, %s, 'test', %s)",
                (job["id"], attempt, json.dumps(result)))
    assert cur.fetchone()[0] is True


def no_proposal_stored(api, who, stack, job, p):
    job = await_job(api, who["assist"], job["id"])
    assert job["status"] == "succeeded" and job["proposals"] == 0
    assert count(stack, "SELECT count(*) FROM ch.proposal WHERE"
                 " participant_id = %s", p["id"]) == 0


def test_results_of_a_running_job_follow_the_consent(api, who, stack):
    """A consent withdrawn while the engine runs: the worker's results
    for the other district's offer are not stored."""
    with running_job(api, who, stack, "bn") as (p, f, job, attempt, cur):
        withdraw(api, who["assist"].token, p["id"], "cross_district")
        complete(cur, job, attempt, p, f)
    no_proposal_stored(api, who, stack, job, p)


def test_results_wait_for_a_withdrawal_in_progress(api, who, stack):
    """The results come in while the withdrawal's transaction is still
    open: they wait for it (ch.person_hold) and then see it. Without the
    wait they would read the consent as granted and store a proposal the
    withdrawal never saw."""
    with running_job(api, who, stack, "ur") as (p, f, job, attempt, cur):
        admin = psycopg2.connect(stack.admin_url())
        try:
            a = admin.cursor()
            a.execute("UPDATE ch.consent SET withdrawn_at = now(),"
                      " withdrawn_by = 'test', withdrawn_by_role ="
                      " 'assistant', withdrawal_reason = 'withdrawn'"
                      " WHERE participant_id = %s AND purpose ="
                      " 'cross_district' AND withdrawn_at IS NULL",
                      (p["id"],))
            assert a.rowcount == 1
            done = []
            worker = threading.Thread(target=lambda: done.append(
                complete(cur, job, attempt, p, f)))
            worker.start()
            pid = cur.connection.get_backend_pid()
            assert wait_for(lambda: count(
                stack, "SELECT count(*) FROM pg_locks WHERE pid = %s"
                " AND locktype = 'advisory' AND NOT granted", pid) == 1)
            admin.commit()
            worker.join(30)
            assert done == [None]
        finally:
            admin.close()
    no_proposal_stored(api, who, stack, job, p)


# ------------------------------------------------------------ women

def mentee_for(api, who, language, **fields):
    return new_mentee(api, who["assist"].token,
                      languages=[{"code": language, "level": "native"}],
                      home_place_id=place_of(api, "99084")["id"], **fields)


def test_tandem_from_a_proposal_checks_the_rules(api, who, stack):
    acct, m = active_mentor(api, who["admin"], who["coord"], ERFURT,
                            occupational_field="8311",
                            languages=[{"code": "ta", "level": "c1"}])
    mentee = mentee_for(api, who, "ta")
    x = proposed(api, who, mentee["id"], mentor_id=m["id"])
    act(api, who["assist"], x["id"], "approve")
    act(api, acct, x["id"], "accept")
    merge_patch(api, who["assist"].token, "/v1/participants/" + mentee["id"],
                {"gender": "diverse"})
    r = refused_at_last_acceptance(api, stack, who, x, who["assist"])
    assert "women_only" in codes(r)
    direct = api.request("POST", "/v1/tandems",
                         headers=bearer(who["assist"].token),
                         json={"mentor_id": m["id"],
                               "participant_id": mentee["id"]})
    assert direct.status_code == 409 and codes(direct) == codes(r)
    assert count(stack, "SELECT count(*) FROM ch.tandem WHERE mentor_id"
                 " = %s", m["id"]) == 0


def test_mentor_change_invalidates(api, who):
    acct, m = active_mentor(api, who["admin"], who["coord"], ERFURT,
                            occupational_field="8312",
                            languages=[{"code": "nl", "level": "c1"}])
    mentee = mentee_for(api, who, "nl")
    x = proposed(api, who, mentee["id"], mentor_id=m["id"])
    merge_patch(api, acct.token, "/v1/mentors/" + m["id"],
                {"languages": [{"code": "cs", "level": "c1"}]})
    x = proposal(api, who, x)
    assert (x["status"], x["invalidated_reason"]) == \
        ("invalidated", "no_longer_fits")


# ------------------------------------------------------------ access ends

def mentee_rows_seen_by(stack, acct, mentee_id):
    """What row-level security shows the API's role for a mentor."""
    app = psycopg2.connect(stack.url(owner=False))
    try:
        cur = app.cursor()
        cur.execute("SELECT ch.enter(%s::jsonb)", (json.dumps(
            {"role": "mentor", "user": acct.id, "district": ERFURT}),))
        cur.execute("SELECT (SELECT count(*) FROM ch.mentee_profile"
                    " WHERE participant_id = %s), (SELECT count(*)"
                    " FROM ch.participant WHERE id = %s)",
                    (mentee_id, mentee_id))
        return cur.fetchone()
    finally:
        app.close()


def test_mentor_reads_her_mentee_only_while_the_tandem_lasts(api, who,
                                                             stack):
    acct, m = active_mentor(api, who["admin"], who["coord"], ERFURT,
                            occupational_field="8313",
                            languages=[{"code": "sk", "level": "c1"}])
    mentee = mentee_for(api, who, "sk")
    t = form_tandem(api, who["assist"].token, m["id"], mentee["id"])
    note = meet(api, acct.token, t)["notes"]
    meetings = "/v1/tandems/%s/meetings" % t["id"]
    assert [x["notes"] for x in read(api, acct.token, meetings).json()[
        "items"]] == [note]
    assert mentee_rows_seen_by(stack, acct, mentee["id"]) == (1, 1)
    assert read(api, acct.token, "/v1/tandems/" + t["id"]).json()[
        "mentee"]["display_name"] == mentee["display_name"]
    end_tandem(api, acct.token, t["id"], {"status": "completed",
                                          "outcome": "none"})
    assert mentee_rows_seen_by(stack, acct, mentee["id"]) == (0, 0)
    ended = read(api, acct.token, "/v1/tandems/" + t["id"]).json()
    assert ended["status"] == "completed" and ended["mentee"] is None
    # Nor their meetings and notes; the meeting itself stays on record.
    assert read(api, acct.token, meetings).json()["items"] == []
    assert len(read(api, who["assist"].token, meetings).json()[
        "items"]) == 1


def gotha_partner(api, who):
    """A Gotha organisation, its signed-in representative and an online
    offer in a language of its own."""
    org = new_org(api, who["gotha_coord"].token)
    rep = Caller.new(api, who["admin"], "organization", GOTHA,
                     organization_id=org["id"])
    return org, rep


def test_withdrawn_cross_district_ends_placements_there(api, who, stack):
    org, rep = gotha_partner(api, who)
    there = new_offer(api, who["gotha_coord"].token, org=org["id"],
                      district=GOTHA, languages=["hu"], online=True)
    here = offer_for(api, who, "hu")
    p = person(api, who, "hu")
    place(api, who["assist"].token, p["id"], there["id"], expect=409)
    grant(api, who["assist"].token, p["id"], "cross_district")
    pl = place(api, who["assist"].token, p["id"], there["id"]).json()
    at_home = place(api, who["assist"].token, p["id"], here["id"]).json()
    path = "/v1/placements/" + pl["id"]
    assert read(api, rep.token, path).json()["participant"][
        "display_name"] == p["display_name"]

    withdraw(api, who["assist"].token, p["id"], "cross_district")
    ended = read(api, who["assist"].token, path).json()
    assert (ended["status"], ended["end_reason"]) == \
        ("ended", "consent_withdrawn")
    seen = read(api, rep.token, path).json()
    assert seen["status"] == "ended" and seen["participant"] is None
    # What rested on other consents goes on.
    assert read(api, who["assist"].token, "/v1/placements/"
                + at_home["id"]).json()["status"] == "active"
    assert count(stack, "SELECT count(*) FROM ch.audit_log WHERE action ="
                 " 'placement.ended' AND entity_id = %s AND"
                 " detail->>'reason' = 'consent_withdrawn'", pl["id"]) == 1


def test_withdrawn_cross_district_ends_tandems_there(api, who):
    acct, m = active_mentor(api, who["admin"], who["gotha_coord"], GOTHA,
                            occupational_field="8314", online_ok=True,
                            languages=[{"code": "ro", "level": "c1"}])
    mentee = mentee_for(api, who, "ro")
    grant(api, who["assist"].token, mentee["id"], "cross_district")
    t = form_tandem(api, who["assist"].token, m["id"], mentee["id"])
    assert read(api, acct.token, "/v1/tandems/" + t["id"]).json()[
        "mentee"]["id"] == mentee["id"]
    withdraw(api, who["assist"].token, mentee["id"], "cross_district")
    ended = read(api, acct.token, "/v1/tandems/" + t["id"]).json()
    assert (ended["status"], ended["end_reason"], ended["outcome"]) == \
        ("ended_early", "consent_withdrawn", "none")
    assert ended["mentee"] is None


def test_organisation_sees_a_proposal_person_only_while_it_is_open(
        api, who):
    p = person(api, who, "bg")
    f = offer_for(api, who, "bg")
    x = proposed(api, who, p["id"], offer_id=f["id"])
    act(api, who["assist"], x["id"], "approve")
    path = "/v1/proposals/" + x["id"]
    assert read(api, who["org"].token, path).json()["participant"][
        "display_name"] == p["display_name"]
    act(api, who["org"], x["id"], "decline", {"reason": "schedule"})
    seen = read(api, who["org"].token, path).json()
    assert seen["status"] == "declined" and seen["participant"] is None
    # Staff keep seeing their district's person.
    assert proposal(api, who, x)["participant"]["id"] == p["id"]


# ------------------------------------------------------------ statistics

def test_reports_count_only_who_consented_to_statistics(api, who):
    coord = who["coord"]
    before = report_of(report(api, coord.token), ERFURT)
    mentee = mentee_for(api, who, "pl")
    after = report_of(report(api, coord.token), ERFURT)
    assert after["mentees"] == before["mentees"]
    grant(api, who["assist"].token, mentee["id"], "statistics")
    counted = report_of(report(api, coord.token), ERFURT)
    assert counted["mentees"] == before["mentees"] + 1
    withdraw(api, who["assist"].token, mentee["id"], "statistics")
    again = report_of(report(api, coord.token), ERFURT)
    assert again["mentees"] == before["mentees"]


# ------------------------------------------------------------ the owner

@pytest.fixture
def operator_url(stack):
    """A personal login that may act as the owner (SET ROLE)."""
    stack.sql("DROP ROLE IF EXISTS ch_test_operator")
    stack.sql("CREATE ROLE ch_test_operator LOGIN IN ROLE ch_owner")
    yield stack.url(owner=False).replace("user=ch_app",
                                         "user=ch_test_operator")
    stack.sql("DROP ROLE ch_test_operator")


@pytest.mark.parametrize("how", ["owner", "set_role"])
def test_the_owner_reads_no_person(stack, operator_url, how):
    """Row-level security binds the tables' owner too (FORCE): only the
    functions that run on behalf of the API's or the pool's login see
    past it, not a session of the owner, nor one that became it."""
    conn = psycopg2.connect(stack.url() if how == "owner" else operator_url)
    try:
        cur = conn.cursor()
        if how == "set_role":
            cur.execute("SET ROLE ch_owner")
        for table in ("participant", "participant_contact", "consent",
                      "placement", "mentee_profile", "tandem",
                      "tandem_meeting", "proposal"):
            cur.execute("SELECT count(*) FROM ch.%s" % table)
            assert cur.fetchone()[0] == 0, table
        # A superuser sees the people the owner does not.
        assert count(stack, "SELECT count(*) FROM ch.participant") > 0
    finally:
        conn.rollback()
        conn.close()


def test_a_mentor_the_caller_may_not_see_is_unknown(api, who):
    """Forming a tandem tells nothing about a mentor of another district
    who is not active (her status, languages or home)."""
    _, m = applied_mentor(api, who["admin"], who["gotha_coord"], GOTHA)
    mentee = mentee_for(api, who, "be")
    r = api.request("POST", "/v1/tandems",
                    headers=bearer(who["assist"].token),
                    json={"mentor_id": m["id"],
                          "participant_id": mentee["id"]})
    assert r.status_code == 422, r.text
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == \
        [("/mentor_id", "unknown")]


def test_mentee_profile_checks_its_caller(api, who, stack):
    """ch.mentee_get decides itself who reads a profile: a participant of
    Erfurt asking for a Gotha mentee gets 404, whatever role runs it."""
    gotha = new_mentee(api, Caller.demo(api, "assistant", GOTHA).token)
    erfurt = new_participant(api, who["assist"].token)
    caller = json.dumps({"role": "participant", "district": ERFURT,
                         "participant": erfurt["id"]})
    for url in (stack.url(owner=False), stack.url()):
        conn = psycopg2.connect(url)
        try:
            with pytest.raises(psycopg2.Error) as e:
                conn.cursor().execute("SELECT ch.mentee_get(%s, %s)",
                                      (caller, gotha["id"]))
            assert e.value.pgcode == "CH404"
        finally:
            conn.close()
