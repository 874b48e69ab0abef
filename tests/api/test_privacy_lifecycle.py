"""Erasure carried out and retention executed, on a stack of their own.

Both move the privacy clock (ch.retention_schedule.clock_offset, which only
the schema's owner can set) and let the worker pool act on it, which would
erase or expire other tests' data on the shared stack. So this module
starts a private stack (its own PostgreSQL cluster, Kore and ch-matcher,
sweeping every second) and reads that stack's database and log files.

- The canary test: a person whose every free-text and contact field holds
  a unique canary goes through every flow (consents, contact details, an
  account with a failed sign-in, proposals from suggest, batch and stable
  jobs, a placement, a mentee profile, a tandem with meetings and notes, an
  event registration, problem reports with a comment, exports), asks for her erasure herself, and the
  worker pool carries it out once the clock passed the grace period. Then
  pg_dump of the whole database and every log file of the stack hold
  neither the canary nor her ids, and the women's report still adds up.
- A mentor's account erased: her active tandem is ended first (the
  mentee's side saw when) and counted, her profile leaves the candidate
  cache.
- Retention: the first run of a changed schedule stops at its dry run;
  once confirmed, each run removes exactly what its dry run counted, only
  from rules whose age the clock passed, at most batch_limit per rule.

Every answer is validated against openapi/openapi.yaml by the client."""

import datetime
import glob
import json
import os
import subprocess
import time
import uuid

import pytest

from conftest import Client, running_stack
from matching_util import act, run_job
from partners_util import (DEMO_ORG, DEMO_PASSWORD, ERFURT, Caller, grant,
                           hdr, new_offer, place, place_of, read, unique)
from women_util import (active_mentor, end_tandem, form_tandem, meet,
                        new_event, put_profile, register, report, report_of)


@pytest.fixture(scope="module")
def private(spec):
    with running_stack({"CH_MATCHER_SWEEP_SECONDS": "1"}) as s:
        yield s, Client(s.base, spec)


def set_clock(stack, days):
    stack.sql("UPDATE ch.retention_schedule SET clock_offset = %s",
              ("%d days" % days,))


def walk_export(api, token, path, limit=100):
    """Every record of an export, following next_cursor."""
    items, cursor = [], None
    while True:
        params = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        r = read(api, token, path + "?" + "&".join(
            "%s=%s" % kv for kv in params.items()))
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return items


def wait_until(what, predicate, seconds=30):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def database_dump(stack):
    """pg_dump of the whole database: schema and data of every schema."""
    out = subprocess.run(["pg_dump", "--no-owner", stack.admin_url()],
                         capture_output=True, check=True)
    return out.stdout.decode("utf-8", "replace")


def stack_logs(stack):
    """Every file the stack wrote under its run directory except the
    cluster's data files: Kore's and ch-matcher's logs, PostgreSQL's,
    initdb's, the rendered configuration."""
    text = []
    for path in glob.glob(os.path.join(stack.run_dir, "**"), recursive=True):
        real = os.path.realpath(path)
        if os.path.isfile(real) and "/data/" not in real + "/":
            with open(real, "rb") as f:
                text.append(f.read().decode("utf-8", "replace"))
    pg = os.path.realpath(os.path.join(stack.run_dir, "pg"))
    for path in glob.glob(os.path.join(pg, "**", "*.log"), recursive=True):
        with open(path, "rb") as f:
            text.append(f.read().decode("utf-8", "replace"))
    data_logs = os.path.join(pg, "data", "log")
    for path in glob.glob(os.path.join(data_logs, "*")):
        with open(path, "rb") as f:
            text.append(f.read().decode("utf-8", "replace"))
    return "\n".join(text)


def test_canary_is_gone_after_erasure(private):
    stack, api = private
    set_clock(stack, 0)
    canary = "Kanarie" + uuid.uuid4().hex[:12]
    phone = "+49 361 %08d" % (uuid.uuid4().int % 10**8)
    admin = Caller.demo(api, "state_admin")
    coord = Caller.demo(api, "coordinator")
    asst = Caller.demo(api, "assistant")
    org = Caller.demo(api, "organization")

    # The person, created with an Idempotency-Key (its stored reply holds
    # her name), with contact details and consents.
    r = api.request("POST", "/v1/participants", headers=hdr(
        asst.token, Idempotency_Key=unique("key")), json={
        "display_name": canary + " A", "gender": "female",
        "birth_year": 1991, "languages": [{"code": "uk", "level": "native"},
                                          {"code": "de", "level": "b1"}],
        "interests": ["interreligious", "sport"],
        "home_place_id": place_of(api, "99084")["id"],
        "mobility_radius_km": 30})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    path = "/v1/participants/" + pid
    etag = read(api, asst.token, path + "/contact").headers["ETag"]
    r = api.request("PATCH", path + "/contact", headers=hdr(
        asst.token, If_Match=etag,
        Content_Type="application/merge-patch+json"),
        data=json.dumps({"email": canary + "@mail.example",
                         "phone": phone, "street": canary + " Weg 1",
                         "postal_code": "99084", "city": canary + "stadt",
                         "note": "Notiz " + canary}))
    assert r.status_code == 200, r.text
    for purpose in ("matching", "statistics", "share_contact_with_partner"):
        grant(api, asst.token, pid, purpose)

    # Her account, and a failed sign-in with its address (a throttle row).
    email = canary.lower() + "@app.example"
    r = api.request("POST", "/v1/users", headers=hdr(admin.token), json={
        "email": email, "password": DEMO_PASSWORD, "role": "participant",
        "district_id": ERFURT, "participant_id": pid})
    assert r.status_code == 201, r.text
    me = Caller(api, email, "participant", ERFURT, r.json()["id"])
    r = api.request("POST", "/v1/auth/token",
                    json={"email": email, "password": "not-her-password"})
    assert r.status_code == 401

    # Proposals of every kind: suggest for both programmes (one rejected
    # with a note, one approved), batch and stable.
    offers = [new_offer(api, org.token, org=DEMO_ORG, category="interreligious",
                        languages=["uk"]) for _ in range(3)]
    _, props = run_job(api, coord, {"kind": "suggest",
                                    "programme": "partners",
                                    "participant_id": pid, "k": 3})
    assert len(props) == 3
    act(api, asst, props[0]["id"], "reject",
        {"reason": "other", "note": "Grund " + canary})
    act(api, asst, props[1]["id"], "approve")
    run_job(api, coord, {"kind": "batch", "programme": "partners",
                         "district_ids": [ERFURT]})
    put_profile(api, asst.token, pid,
                highest_qualification="Diplom " + canary)
    mentor, profile = active_mentor(api, admin, coord, ERFURT)
    _, women = run_job(api, coord, {"kind": "suggest", "programme": "women",
                                    "participant_id": pid, "k": 3})
    assert women
    # The cohort jobs: she may or may not be among their pairs.
    run_job(api, coord, {"kind": "stable", "programme": "women",
                         "district_ids": [ERFURT]})

    # A placement with a note, read by the organisation (her contact
    # details travel with it: she consented to sharing them).
    pl = place(api, asst.token, pid, offers[2]["id"],
               note="Platz " + canary).json()
    free_before = read(api, org.token, "/v1/offers/" + offers[2]["id"]) \
        .json()["free_places"]
    assert canary in read(api, org.token, "/v1/placements/" + pl["id"]).text

    # A tandem with meetings and notes from both sides, the mentor reading
    # them, then completed with a job.
    tandem = form_tandem(api, coord.token, profile["id"], pid,
                         planned_months=6)
    meet(api, mentor.token, tandem, notes="Mentorin " + canary)
    meet(api, me.token, tandem, notes="Mentee " + canary)
    read(api, mentor.token, "/v1/tandems/%s/meetings" % tandem["id"])
    end_tandem(api, coord.token, tandem["id"],
               {"status": "completed", "outcome": "job",
                "contract_type": "permanent"})

    # An event registration of her account.
    event = new_event(api, coord.token, capacity=1)
    register(api, me.token, event["id"])
    waiting = Caller.new(api, admin, "mentor", ERFURT)
    assert register(api, waiting.token, event["id"])["status"] == "waiting"

    # Problem reports about her: one recorded by staff, with a comment,
    # one from her app.
    r = api.request("POST", "/v1/problem-reports", headers=hdr(asst.token),
                    json={"participant_id": pid, "category": "housing",
                          "topic": "housing_wbs",
                          "description": "Wohnung " + canary})
    assert r.status_code == 201, r.text
    reports = [r.json()["id"]]
    r = api.request("POST", "/v1/problem-reports/%s/comments" % reports[0],
                    headers=hdr(asst.token), json={"body": "Amt " + canary})
    assert r.status_code == 201, r.text
    r = api.request("POST", "/v1/problem-reports", headers=hdr(me.token),
                    json={"category": "health",
                          "description": "Arzt " + canary})
    assert r.status_code == 201, r.text
    reports.append(r.json()["id"])

    # The export holds every canary: staff's without meeting notes, hers
    # with them; both name the mentor who read the notes.
    staff_export = walk_export(api, asst.token, path + "/export", limit=7)
    own_export = walk_export(api, me.token, "/v1/me/export")
    types = {x["type"] for x in own_export}
    assert {"account", "session", "participant", "contact", "consent",
            "mentee_profile", "placement", "tandem", "meeting", "proposal",
            "registration", "recipient"} <= types, types
    own_text = json.dumps(own_export)
    for text in ("Diplom " + canary, "Mentee " + canary,
                 "Mentorin " + canary, canary + "stadt", email, phone,
                 "Wohnung " + canary, "Amt " + canary, "Arzt " + canary):
        assert text in own_text, text
    staff_text = json.dumps(staff_export)
    assert "Grund " + canary in staff_text and "Platz " + canary in staff_text
    assert "Mentee " + canary not in staff_text
    readers = {x["data"].get("account_id") for x in own_export
               if x["type"] == "recipient"}
    assert {mentor.id, org.id, asst.id} <= readers, readers

    counts = report_of(report(api, coord.token), ERFURT)

    # She asks herself; the organisation sees when the placement ends.
    r = api.request("POST", "/v1/me/erasure", headers=hdr(me.token),
                    json={"reason": "subject_request"})
    assert r.status_code == 202, r.text
    request = r.json()
    due = datetime.datetime.fromisoformat(request["due_at"])
    asked = datetime.datetime.fromisoformat(request["requested_at"])
    assert due - asked == datetime.timedelta(days=14)
    assert read(api, org.token, "/v1/placements/" + pl["id"]).json()[
        "erasure_due_at"] == request["due_at"]
    # Nothing happens before the grace period is over.
    set_clock(stack, 13)
    time.sleep(2.5)
    assert read(api, coord.token, "/v1/erasure-requests/" + request["id"]) \
        .json()["status"] == "pending"
    read(api, asst.token, path)

    set_clock(stack, 15)

    def carried_out():
        x = read(api, coord.token, "/v1/erasure-requests/"
                 + request["id"]).json()
        return x if x["status"] == "done" else None
    try:
        done = wait_until("the erasure", carried_out)
    except AssertionError:
        pytest.fail("the erasure was not carried out; the logs end:\n"
                    + stack_logs(stack)[-3000:])
    assert (done["participant_id"], done["user_id"]) == (None, None)
    assert (done["requested_by"], done["requested_by_role"]) == \
        ("subject", "participant")
    assert done["erased"]["placements"] == 1
    assert done["erased"]["tandems"] == 1
    assert done["erased"]["meetings"] == 2
    assert done["erased"]["proposals"] >= 4

    # Gone from the API; her token no longer works; the place is free
    # again, the waiting list moved up.
    read(api, asst.token, path, expect=404)
    read(api, asst.token, path + "/export", expect=404)
    read(api, org.token, "/v1/placements/" + pl["id"], expect=404)
    r = api.get("/v1/me", headers=hdr(me._token))
    assert r.status_code == 401
    assert read(api, org.token, "/v1/offers/" + offers[2]["id"]).json()[
        "free_places"] == free_before + 1
    regs = read(api, coord.token, "/v1/events/%s/registrations"
                % event["id"]).json()["items"]
    assert [x["status"] for x in regs] == ["registered"]
    assert read(api, coord.token, "/v1/audit?person=" + pid).json()[
        "items"] == []

    # Her problem reports stay for the figures: no text, no link to her.
    assert stack.sql("SELECT participant_id, description, resolution_note,"
                     " (SELECT count(*) FROM ch.problem_report_comment c"
                     "  WHERE c.report_id = r.id)"
                     " FROM ch.problem_report r WHERE id = ANY (%s::uuid[])",
                     (reports,)) == [(None, None, None, 0)] * 2

    # The counts of her tandem and meetings stay; she is no mentee now.
    after = report_of(report(api, coord.token), ERFURT)
    for key in ("tandems", "outcomes", "meetings"):
        assert after[key] == counts[key], key
    assert after["mentees"] == counts["mentees"] - 1

    # Nowhere in the database or the stack's logs: not the canary, not
    # her phone number, not her ids.
    dump = database_dump(stack)
    assert "ch.erased_count" in dump and "ch.audit_log" in dump
    logs = stack_logs(stack)
    assert "Kore" in logs or "kore" in logs
    for secret in (canary, canary.lower(), phone, pid, me.id, pl["id"],
                   tandem["id"]):
        assert secret not in dump, secret
        assert secret not in logs, secret


def test_a_mentor_account_is_erased_and_her_tandem_ended_first(private):
    stack, api = private
    set_clock(stack, 0)
    admin = Caller.demo(api, "state_admin")
    coord = Caller.demo(api, "coordinator")
    asst = Caller.demo(api, "assistant")
    canary = "Mentorin" + uuid.uuid4().hex[:12]
    mentor, profile = active_mentor(api, admin, coord, ERFURT,
                                    display_name=canary)
    r = api.request("POST", "/v1/participants", headers=hdr(asst.token),
                    json={"display_name": unique("Mentee"),
                          "gender": "female",
                          "languages": [{"code": "de", "level": "b2"}]})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    grant(api, asst.token, pid, "statistics")
    put_profile(api, asst.token, pid)
    tandem = form_tandem(api, coord.token, profile["id"], pid,
                         planned_months=6)
    meet(api, mentor.token, tandem, notes="Notiz " + canary)
    # The candidate cache of the women's programme holds her profile.
    run_job(api, coord, {"kind": "stable", "programme": "women",
                         "district_ids": [ERFURT]})
    assert canary in database_dump(stack)
    counts = report_of(report(api, coord.token), ERFURT)

    # Filed with an Idempotency-Key: the stored reply names her account.
    r = api.request("POST", "/v1/users/%s/erasure" % mentor.id,
                    headers=hdr(coord.token, Idempotency_Key=unique("key")),
                    json={})
    assert r.status_code == 202, r.text
    request = r.json()
    assert (request["subject"], request["subject_role"]) == \
        ("account", "mentor")
    # The mentee's side is told when the tandem ends.
    assert read(api, asst.token, "/v1/tandems/" + tandem["id"]).json()[
        "erasure_due_at"] == request["due_at"]
    set_clock(stack, 15)
    wait_until("the erasure", lambda: read(
        api, coord.token, "/v1/erasure-requests/" + request["id"]).json()[
        "status"] == "done")
    read(api, asst.token, "/v1/tandems/" + tandem["id"], expect=404)
    read(api, coord.token, "/v1/mentors/" + profile["id"], expect=404)
    read(api, coord.token, "/v1/users/" + mentor.id, expect=404)
    dump = database_dump(stack)
    for secret in (canary, mentor.email, mentor.id, profile["id"]):
        assert secret not in dump, secret
    # (A sign-in attempt writes the address it tried into the throttle,
    # for a day: so only after the dump.)
    r = api.request("POST", "/v1/auth/token",
                    json={"email": mentor.email, "password": DEMO_PASSWORD})
    assert r.status_code == 401
    # The mentee stays; her tandem was ended (early, by the erasure)
    # before it went, and is counted so.
    read(api, asst.token, "/v1/participants/" + pid)
    after = report_of(report(api, coord.token), ERFURT)
    assert after["tandems"]["active"] == counts["tandems"]["active"] - 1
    assert after["tandems"]["ended_early"] == \
        counts["tandems"]["ended_early"] + 1
    assert after["outcomes"]["none"] == counts["outcomes"]["none"] + 1
    assert after["meetings"] == counts["meetings"]
    set_clock(stack, 0)


def test_a_participant_with_two_accounts_is_erased_with_both(private):
    stack, api = private
    set_clock(stack, 0)
    admin = Caller.demo(api, "state_admin")
    coord = Caller.demo(api, "coordinator")
    asst = Caller.demo(api, "assistant")
    r = api.request("POST", "/v1/participants", headers=hdr(asst.token),
                    json={"display_name": unique("Zwei"), "gender": "female",
                          "languages": [{"code": "ar", "level": "native"}]})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    accounts = []
    for _ in range(2):
        email = unique("zwei") + "@app.example"
        r = api.request("POST", "/v1/users", headers=hdr(admin.token), json={
            "email": email, "password": DEMO_PASSWORD,
            "role": "participant", "district_id": ERFURT,
            "participant_id": pid})
        assert r.status_code == 201, r.text
        accounts.append(Caller(api, email, "participant", ERFURT,
                               r.json()["id"]))
    # Her export has both accounts and the sessions of both.
    for a in accounts:
        read(api, a.token, "/v1/me")
    items = walk_export(api, asst.token, "/v1/participants/%s/export" % pid)
    assert sorted(x["data"]["id"] for x in items if x["type"] == "account") \
        == sorted(a.id for a in accounts)
    assert len([x for x in items if x["type"] == "session"]) == 2
    r = api.request("POST", "/v1/me/erasure",
                    headers=hdr(accounts[1].token), json={})
    assert r.status_code == 202, r.text
    request = r.json()
    set_clock(stack, 15)
    done = wait_until("the erasure", lambda: (lambda x: x if x["status"]
                      == "done" else None)(read(
                          api, coord.token, "/v1/erasure-requests/"
                          + request["id"]).json()))
    assert done["erased"]["account"] == 2
    assert done["requested_by"] == "subject"
    dump = database_dump(stack)
    for secret in [pid] + [a.id for a in accounts] + \
            [a.email for a in accounts]:
        assert secret not in dump, secret
    set_clock(stack, 0)


def test_an_account_whose_role_changed_is_not_erased(private):
    """Only mentors' and organisation users' accounts are erased as
    accounts: the role cannot change while the erasure waits, and if it
    changed anyway (by hand in the database) the pool refuses it."""
    stack, api = private
    set_clock(stack, 0)
    admin = Caller.demo(api, "state_admin")
    coord = Caller.demo(api, "coordinator")
    mentor, _ = active_mentor(api, admin, coord, ERFURT)
    read(api, mentor.token, "/v1/me")       # she signed in: audited
    r = api.request("POST", "/v1/users/%s/erasure" % mentor.id,
                    headers=hdr(coord.token), json={})
    assert r.status_code == 202, r.text
    request = r.json()
    r = api.request("PATCH", "/v1/users/" + mentor.id, headers=hdr(
        admin.token, If_Match="*",
        Content_Type="application/merge-patch+json"),
        data=json.dumps({"role": "assistant"}))
    assert r.status_code == 409, r.text
    stack.sql("DELETE FROM ch.mentor WHERE user_id = %s;"
              " UPDATE ch.app_user SET role = 'assistant' WHERE id = %s",
              (mentor.id, mentor.id))
    set_clock(stack, 15)
    done = wait_until("the refusal", lambda: (lambda x: x if x["status"]
                      != "pending" else None)(read(
                          api, coord.token, "/v1/erasure-requests/"
                          + request["id"]).json()))
    assert (done["status"], done["cancelled_by"]) == ("cancelled", "system")
    assert read(api, coord.token, "/v1/users/" + mentor.id).json()[
        "role"] == "assistant"
    assert stack.sql("SELECT count(*) FROM ch.audit_log WHERE actor = %s",
                     (mentor.id,))[0][0] > 0
    set_clock(stack, 0)


def retention(api, admin):
    """The schedule; signs in again when a run removed the session."""
    r = api.get("/v1/admin/retention", headers=hdr(admin.token))
    if r.status_code == 401:
        admin._token = None
        r = api.get("/v1/admin/retention", headers=hdr(admin.token))
    assert r.status_code == 200, r.text
    return r.json()


def request_run(api, admin):
    """Asks for a run and returns it once the worker pool recorded it."""
    before = {x["id"] for x in retention(api, admin)["runs"]}
    r = api.request("POST", "/v1/admin/retention/runs",
                    headers=hdr(admin.token), json={})
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == "/v1/admin/retention"

    def recorded():
        doc = retention(api, admin)
        new = [x for x in doc["runs"] if x["id"] not in before]
        return new[0] if new and doc["run_requested_at"] is None else None
    return wait_until("a retention run", recorded)


def counts_of(rows):
    out = {}
    for x in rows:
        out[x["rule"]] = out.get(x["rule"], 0) + x["count"]
    return out


TABLES = {
    # A run can end the session of the admin who polls; her next sign-in
    # (a session, a throttle row) is newer than the run.
    "sessions": "SELECT count(*) FROM ch.token_family"
                " WHERE created_at <= %(at)s",
    "signin_throttles": "SELECT (SELECT count(*) FROM ch.login_throttle"
                        " WHERE last_failure <= %(at)s)"
                        " + (SELECT count(*) FROM ch.login_client_throttle"
                        " WHERE window_start <= %(at)s)",
    "idempotency_replays": "SELECT count(*) FROM ch.idempotency",
    "unanswered_proposals": "SELECT count(*) FROM ch.proposal"
                            " WHERE status IN ('expired', 'invalidated')",
    "matching_jobs": "SELECT count(*) FROM ch.matching_job",
    "meeting_notes": "SELECT count(*) FROM ch.tandem_meeting"
                     " WHERE notes IS NOT NULL",
    "closed_participants": "SELECT count(*) FROM ch.participant",
    "erasure_requests": "SELECT count(*) FROM ch.erasure_request",
}


def mine(stack, people, tandem):
    """This test's closed person, its tandem's meeting notes, the expired
    proposals of its mentee."""
    return stack.sql(
        "SELECT (SELECT count(*) FROM ch.participant WHERE id = %s),"
        " (SELECT count(*) FROM ch.tandem_meeting WHERE tandem_id = %s"
        "  AND notes IS NOT NULL),"
        " (SELECT count(*) FROM ch.proposal WHERE participant_id = %s"
        "  AND status = 'expired')",
        (people[0], tandem["id"], people[1]))[0]


def table_counts(stack, at):
    """Rows per rule's table; of sessions and throttles only those
    written by `at`."""
    return {k: stack.sql(q, {"at": at})[0][0] for k, q in TABLES.items()}


def now(stack):
    return stack.sql("SELECT now()")[0][0]


def test_retention_runs_what_its_dry_run_counted(private):
    stack, api = private
    admin = Caller.demo(api, "state_admin")
    coord = Caller.demo(api, "coordinator")
    asst = Caller.demo(api, "assistant")
    set_clock(stack, 0)

    # Records for every rule: failed sign-ins, replies kept for retries,
    # a closed person, expired proposals, a finished job, a tandem that
    # ended with a meeting note, sessions.
    for i in range(5):
        api.request("POST", "/v1/auth/token", json={
            "email": unique("nobody") + "@x.example", "password": "wrong"})
    people = []
    for i in range(3):
        r = api.request("POST", "/v1/participants", headers=hdr(
            asst.token, Idempotency_Key=unique("key")), json={
            "display_name": unique("Alt"), "gender": "female",
            "languages": [{"code": "uk", "level": "native"}],
            "interests": ["sport"]})
        assert r.status_code == 201
        people.append(r.json()["id"])
    r = api.request("PATCH", "/v1/participants/" + people[0], headers=hdr(
        asst.token, If_Match="*",
        Content_Type="application/merge-patch+json"),
        data=json.dumps({"status": "closed"}))
    assert r.status_code == 200, r.text
    mentor, profile = active_mentor(api, admin, coord, ERFURT)
    put_profile(api, asst.token, people[1])
    grant(api, asst.token, people[1], "matching")
    tandem = form_tandem(api, coord.token, profile["id"], people[1],
                         planned_months=6)
    meet(api, mentor.token, tandem)
    end_tandem(api, coord.token, tandem["id"],
               {"status": "ended_early", "end_reason": "no_contact",
                "outcome": "none"})
    _, props = run_job(api, coord, {"kind": "suggest", "programme": "women",
                                    "participant_id": people[1], "k": 3})
    assert props
    stack.sql("UPDATE ch.proposal SET status = 'expired' "
              "WHERE status IN ('pending', 'approved')")
    expired = len(props)
    assert mine(stack, people, tandem) == (1, 1, expired)

    # A changed schedule: its first run is a dry run and removes nothing,
    # however old the records are.
    doc = retention(api, admin)
    rules = {"closed_participants": 300, "meeting_notes": 200,
             "unanswered_proposals": 100, "matching_jobs": 100,
             "sessions": 30, "signin_throttles": 1,
             "idempotency_replays": 1, "erasure_requests": 300,
             "audit_entries": 1000}
    r = api.request("PUT", "/v1/admin/retention", headers=hdr(
        admin.token, If_Match='"%d"' % doc["version"]), json={
        "rules": rules, "batch_limit": 2, "run_every_hours": 720,
        "erasure_grace_days": 14})
    assert r.status_code == 200, r.text
    version = r.json()["schedule_version"]
    assert version == doc["schedule_version"] + 1
    assert r.json()["confirmed"] is False
    set_clock(stack, 1200)
    at = now(stack)
    before = table_counts(stack, at)
    audit_before = stack.sql("SELECT count(*) FROM ch.audit_log")[0][0]
    run = request_run(api, admin)
    assert run["outcome"] == "awaiting_confirmation"
    assert run["schedule_version"] == version and run["deleted"] == []
    assert counts_of(run["due"])["closed_participants"] >= 1
    assert table_counts(stack, at) == before
    assert stack.sql("SELECT count(*) FROM ch.audit_log")[0][0] \
        == audit_before + 2     # the request and the run

    # Confirmed, at a clock where only the short rules are due: each run
    # removes what its dry run counted, up to the batch limit per rule,
    # and nothing of the longer rules.
    set_clock(stack, 40)
    r = api.request("POST", "/v1/admin/retention/confirm",
                    headers=hdr(admin.token),
                    json={"schedule_version": version})
    assert r.status_code == 200, r.text
    assert r.json()["confirmed"] is True
    dry = counts_of(retention(api, admin)["dry_run"])
    assert dry["signin_throttles"] >= 5 and dry["idempotency_replays"] >= 3
    at = now(stack)
    before = table_counts(stack, at)
    run = request_run(api, admin)
    assert run["outcome"] == "executed"
    due, gone = counts_of(run["due"]), counts_of(run["deleted"])
    assert due == dry
    assert gone == {k: min(v, 2) for k, v in due.items()}
    after = table_counts(stack, at)
    for rule in TABLES:
        assert before[rule] - after[rule] == gone.get(rule, 0), rule
    left = counts_of(retention(api, admin)["dry_run"])
    assert left == {k: v - gone[k] for k, v in due.items() if v > gone[k]}
    # This test's records are younger than their longer rules: untouched.
    assert mine(stack, people, tandem) == (1, 1, expired)

    # A batch limit as large as the due records: the run removes exactly
    # its dry run, rule by rule, at a clock past every rule.
    admin = Caller.demo(api, "state_admin")
    doc = retention(api, admin)
    r = api.request("PUT", "/v1/admin/retention", headers=hdr(
        admin.token, If_Match='"%d"' % doc["version"]), json={
        "rules": rules, "batch_limit": 100000, "run_every_hours": 720,
        "erasure_grace_days": 14})
    assert r.status_code == 200, r.text
    version = r.json()["schedule_version"]
    set_clock(stack, 1200)
    assert request_run(api, admin)["outcome"] == "awaiting_confirmation"
    r = api.request("POST", "/v1/admin/retention/confirm",
                    headers=hdr(admin.token),
                    json={"schedule_version": version})
    assert r.status_code == 200, r.text
    seen = {}
    for _ in range(2):
        # The second run finds the jobs whose proposals the first removed.
        at = now(stack)
        before = table_counts(stack, at)
        audit_before = stack.sql("SELECT max(id) FROM ch.audit_log")[0][0]
        run = request_run(api, admin)
        due, gone = counts_of(run["due"]), counts_of(run["deleted"])
        assert run["outcome"] == "executed" and gone == due
        after = table_counts(stack, at)
        for rule in TABLES:
            assert before[rule] - after[rule] == gone.get(rule, 0), rule
        for k, v in gone.items():
            seen[k] = seen.get(k, 0) + v
        # Every audit entry older than the rule went; the run's own
        # record came after.
        left = stack.sql("SELECT action FROM ch.audit_log WHERE id <= %s",
                         (audit_before,))
        assert left == [], left
        assert stack.sql("SELECT action FROM ch.audit_log"
                         " WHERE entity = 'retention_run' AND entity_id = %s",
                         (run["id"],)) == [("retention.executed",)]
    assert mine(stack, people, tandem) == (0, 0, 0)
    for rule in ("closed_participants", "meeting_notes", "matching_jobs",
                 "unanswered_proposals", "erasure_requests", "sessions",
                 "audit_entries"):
        assert seen.get(rule, 0) >= 1, (rule, seen)
    set_clock(stack, 0)
