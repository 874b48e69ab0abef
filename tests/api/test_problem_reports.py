"""Problem reports (the `problem-reports` tag of openapi/openapi.yaml) on
the shared test stack: what people report to the staff of their district
or in the app, its review, referral and resolution, and the comments on
it.

What is checked here, through HTTP (the database is read only for what
HTTP does not show: who recorded a report or a comment, and that refused
requests changed nothing):
- the workflow per role: staff record a report on behalf of a person of
  their district (with place, languages and topic) or anonymously, a
  participant records her own from the app; in_review -> referred ->
  resolved with a resolution note, opened again, not_resolvable; every
  move of ch.problem_next and the refused ones; comments by the staff and
  by the person, their order and pages, and the 409 on a closed report;
  the list filters and updated_since; ETag / If-Match; Idempotency-Key;
- who may call each route (role x own/other district x her own report or
  not): the contract's x-roles are 403, a report one may not see is 404;
- that an organisation, a mentor and the state admin read not a word of a
  report's text on any GET route of the contract;
- the audit log: a staff read of the text (single report, comment list)
  is one `problem_report.read`, her own read none, and every write is
  recorded;
- hostile requests: each a documented 4xx problem+json naming the
  offending member or parameter, with nothing changed.

Every answer is also validated against the contract by the `api` client
(conftest.py)."""

import datetime
import json
import re

import psycopg2
import pytest

from partners_util import (ERFURT, GOTHA, Caller, demo_callers, hdr,
                           new_participant, place_of, read, unique, walk)
from women_util import errors_of, problem

BASE = "/v1/problem-reports"
NOWHERE = "0b6f3c1e-5d7a-4b8e-9f0a-2c4d6e8f1a3b"   # a uuid nothing has
ROLE_REFUSED = "Your role does not allow this."

STATES = ["new", "in_review", "referred", "resolved", "not_resolvable"]
CLOSED = ("resolved", "not_resolvable")
# What the contract lets each status become (ch.problem_next).
NEXT = {
    "new": {"in_review", "referred", "resolved", "not_resolvable"},
    "in_review": {"referred", "resolved", "not_resolvable"},
    "referred": {"in_review", "resolved", "not_resolvable"},
    "resolved": {"in_review"},
    "not_resolvable": {"in_review"},
}
# Members only single reads carry.
TEXT = ("description", "resolution_note")

CATEGORIES = {"housing", "work_recognition", "language_courses",
              "residence_authorities", "childcare_school", "health",
              "discrimination_racism", "transport_mobility",
              "money_benefits", "digital_access", "other"}


# ------------------------------------------------------------ the world

class Person:
    """A participant of Erfurt with her own account."""


@pytest.fixture(scope="module")
def w(api):
    """The demo accounts of Erfurt, Gotha's staff."""
    return demo_callers(api)


@pytest.fixture(scope="module")
def her(api, w):
    p = Person()
    p.body = new_participant(api, w["assistant"].token)
    p.id = p.body["id"]
    p.me = Caller.new(api, w["state_admin"], "participant", ERFURT,
                      participant_id=p.id)
    return p


@pytest.fixture(scope="module")
def gotha_person(api, w):
    return new_participant(api, w["gotha_coordinator"].token)["id"]


@pytest.fixture(scope="module")
def db(stack):
    """A superuser's connection: it sees every row (no row-level
    security)."""
    conn = psycopg2.connect(stack.admin_url())
    conn.autocommit = True
    yield conn
    conn.close()


def fingerprint(db):
    """Every report, comment and stored idempotent answer, and how many
    writes of reports the audit log holds."""
    with db.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) || ' ' || md5(coalesce(string_agg("
            "t::text, '|' ORDER BY t.id), '')) FROM ch.problem_report t),"
            " (SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text,"
            " '|' ORDER BY t.id), '')) FROM ch.problem_report_comment t),"
            " (SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text,"
            " '|' ORDER BY t.actor, t.key), '')) FROM ch.idempotency t),"
            " (SELECT count(*) FROM ch.audit_log WHERE action IN"
            " ('problem_report.created', 'problem_report.updated',"
            " 'problem_report.commented'))")
        return cur.fetchone()


def db_now(db):
    with db.cursor() as cur:
        cur.execute("SELECT now()")
        return cur.fetchone()[0].isoformat()


def row(db, rid):
    with db.cursor() as cur:
        cur.execute("SELECT to_jsonb(r) FROM ch.problem_report r"
                    " WHERE id = %s", (rid,))
        got = cur.fetchone()
    return got and got[0]


def at(s):
    return datetime.datetime.fromisoformat(s)


# ------------------------------------------------------------ requests

def create(api, caller, body, expect=201, **headers):
    r = api.request("POST", BASE, headers=hdr(caller.token, **headers),
                    json=body)
    assert r.status_code == expect, (body, r.status_code, r.text)
    if expect == 201:
        rep = r.json()
        assert r.headers["Location"] == BASE + "/" + rep["id"]
        assert r.headers["ETag"] == '"%d"' % rep["version"]
    return r


def new_report(api, caller, **fields):
    body = {"category": "housing", "topic": "housing_search",
            "description": unique("Beschreibung"), **fields}
    body = {k: v for k, v in body.items() if v is not None}
    return create(api, caller, body).json()


def change(api, caller, rid, body, version, expect=200, validate=True):
    """A merge patch; version: the If-Match (an int is quoted as our
    ETags are, a str is sent as it is, None sends none). expect None:
    any status."""
    h = hdr(caller.token)
    h["Content-Type"] = "application/merge-patch+json"
    if version is not None:
        h["If-Match"] = '"%d"' % version if isinstance(version, int) \
            else version
    r = api.request("PATCH", "%s/%s" % (BASE, rid), headers=h,
                    data=json.dumps(body), validate=validate)
    assert expect is None or r.status_code == expect, \
        (body, r.status_code, r.text)
    if r.status_code == 200:
        assert r.headers["ETag"] == '"%d"' % r.json()["version"]
    return r


def move(api, caller, rep, status, **fields):
    """Moves a report (as last seen) on to status; returns it."""
    body = {"status": status, **fields}
    if status == "referred" and "referred_to" not in body and \
            not rep["referred_to"]:
        body["referred_to"] = "Ausländerbehörde Erfurt"
    return change(api, caller, rep["id"], body, rep["version"]).json()


def comment(api, caller, rid, text=None, expect=201, **headers):
    r = api.request("POST", "%s/%s/comments" % (BASE, rid),
                    headers=hdr(caller.token, **headers),
                    json={"body": text or unique("Kommentar")})
    assert r.status_code == expect, (rid, r.status_code, r.text)
    if expect == 201:
        c = r.json()
        assert r.headers["Location"] == "%s/%s/comments/%s" % (
            BASE, rid, c["id"])
    return r


def listed(api, caller, path=BASE, limit=100, **params):
    items, _ = walk(api, caller.token, path, params, limit=limit)
    return items


def ids(items):
    return [x["id"] for x in items]


def audit(api, coord, since, action):
    """The audit entries of Erfurt with this action since then, oldest
    first."""
    items, _ = walk(api, coord.token, "/v1/audit",
                    {"action": action, "since": since}, limit=100)
    return sorted(items, key=lambda a: a["id"])


def without_text(rep):
    return {k: v for k, v in rep.items() if k not in TEXT}


# ------------------------------------------------------------ taxonomy

def test_the_taxonomy_has_eleven_categories_with_their_topics(api):
    items = api.get("/v1/taxonomies/problem_categories",
                    headers={"Accept-Language": "en"}).json()["items"]
    top = [i["code"] for i in items if i["parent"] is None]
    assert set(top) == CATEGORIES and len(top) == 11
    topics = {}
    for i in items:
        if i["parent"] is not None:
            topics.setdefault(i["parent"], set()).add(i["code"])
    assert "other" not in topics
    assert set(topics) == CATEGORIES - {"other"}
    assert all(3 <= len(t) <= 4 for t in topics.values()), topics
    assert {"housing_search", "housing_wbs", "housing_rent_deposit",
            "housing_landlord"} == topics["housing"]
    assert {i["code"]: i["label"] for i in items}["housing"] == "Housing"


# ------------------------------------------------------------ recording

def test_staff_record_a_report_on_behalf_of_a_person(api, db, w, her):
    coord, asst = w["coordinator"], w["assistant"]
    place = place_of(api, "99084")
    text = unique("Wartet seit vier Monaten auf den WBS, Mieterin ä ß")
    r = create(api, coord, {
        "participant_id": her.id, "category": "housing",
        "topic": "housing_wbs", "description": text, "urgency": "high",
        "place_id": place["id"], "languages": ["uk", "de"],
        "channel": "event", "assignee_id": asst.id})
    rep = r.json()
    assert rep["version"] == 1 and r.headers["ETag"] == '"1"'
    expect = {"district_id": ERFURT, "participant_id": her.id,
              "category": "housing", "topic": "housing_wbs",
              "urgency": "high", "languages": ["uk", "de"],
              "channel": "event", "status": "new", "referred_to": None,
              "referred_at": None, "closed_at": None,
              "assignee_id": asst.id, "reported_by_role": "coordinator",
              "description": text, "resolution_note": None}
    assert {k: rep[k] for k in expect} == expect
    assert (rep["place"]["id"], rep["place"]["postal_code"],
            rep["place"]["district_id"]) == (place["id"], "99084", ERFURT)
    assert rep["created_at"] == rep["updated_at"]
    assert abs(at(rep["reported_at"]) - at(db_now(db))) < \
        datetime.timedelta(minutes=5)
    stored = row(db, rep["id"])
    assert (stored["reported_by"], stored["description"]) == (coord.id, text)

    # The single read is the same, with the same ETag; the assistant of
    # the district reads it too.
    for caller in (coord, asst):
        got = read(api, caller.token, BASE + "/" + rep["id"])
        assert got.json() == rep and got.headers["ETag"] == '"1"'
    # The list carries it without its text.
    (listed_rep,) = [x for x in listed(api, coord, participant_id=her.id)
                     if x["id"] == rep["id"]]
    assert listed_rep == without_text(rep)


def test_staff_record_an_anonymous_report(api, db, w):
    asst = w["assistant"]
    text = unique("Anonym: Bus fährt abends nicht")
    rep = create(api, asst, {"category": "transport_mobility",
                             "description": text}).json()
    expect = {"district_id": ERFURT, "participant_id": None,
              "category": "transport_mobility", "topic": None,
              "urgency": "normal", "place": None, "languages": [],
              "channel": "consultation", "status": "new",
              "assignee_id": None, "reported_by_role": "assistant",
              "description": text, "resolution_note": None}
    assert {k: rep[k] for k in expect} == expect
    assert row(db, rep["id"])["reported_by"] == asst.id
    # Without any text at all too.
    bare = create(api, asst, {"category": "other"}).json()
    assert (bare["description"], bare["topic"], bare["participant_id"]) \
        == (None, None, None)


def test_gotha_staff_record_in_gotha(api, w, gotha_person):
    rep = new_report(api, w["gotha_assistant"], participant_id=gotha_person)
    assert (rep["district_id"], rep["participant_id"]) == \
        (GOTHA, gotha_person)


def test_a_participant_records_her_own_from_the_app(api, db, w, her):
    place = place_of(api, "99084")
    text = unique("Ich brauche eine Dolmetscherin beim Arzt")
    rep = create(api, her.me, {
        "category": "health", "topic": "health_interpreting",
        "description": text, "urgency": "urgent", "languages": ["uk"],
        "place_id": place["id"]}).json()
    expect = {"district_id": ERFURT, "participant_id": her.id,
              "category": "health", "topic": "health_interpreting",
              "urgency": "urgent", "languages": ["uk"], "channel": "app",
              "status": "new", "assignee_id": None,
              "reported_by_role": "participant", "description": text}
    assert {k: rep[k] for k in expect} == expect
    assert rep["place"]["id"] == place["id"]
    assert row(db, rep["id"])["reported_by"] == her.me.id
    assert read(api, her.me.token, BASE + "/" + rep["id"]).json() == rep
    # Her staff see it.
    assert read(api, w["coordinator"].token,
                BASE + "/" + rep["id"]).json() == rep

    # What staff set she may not: 403 naming the member, nothing stored.
    before = fingerprint(db)
    for member, value in (("participant_id", her.id),
                          ("participant_id", NOWHERE),
                          ("assignee_id", w["assistant"].id),
                          ("channel", "consultation"),
                          ("channel", "event")):
        r = create(api, her.me, {"category": "health", member: value},
                   expect=403)
        body = problem(r, 403, "forbidden")
        assert ("/" + member, "not_allowed") in errors_of(body), body
    # "app" is no channel anyone sets (the contract's enum).
    r = create(api, her.me, {"category": "health", "channel": "app"},
               expect=422)
    assert "/channel" in {f for f, _ in errors_of(r.json())}
    assert fingerprint(db) == before


# ------------------------------------------------------------ the workflow

def test_review_referral_resolution_and_opening_again(api, db, w, her):
    coord, asst = w["coordinator"], w["assistant"]
    rep = new_report(api, coord, participant_id=her.id,
                     category="work_recognition",
                     topic="work_recognition_qualifications")
    rid = rep["id"]

    rep = move(api, asst, rep, "in_review")
    assert (rep["status"], rep["version"], rep["closed_at"]) == \
        ("in_review", 2, None)
    assert at(rep["updated_at"]) > at(rep["created_at"])

    # Referred needs where to (422), then records who and when.
    r = change(api, coord, rid, {"status": "referred"}, rep["version"],
               expect=422)
    assert ("/referred_to", "required") in \
        errors_of(problem(r, 422, "validation-failed"))
    assert row(db, rid)["status"] == "in_review"
    rep = move(api, coord, rep, "referred",
               referred_to="Anerkennungsstelle Thüringen")
    assert (rep["status"], rep["referred_to"], rep["version"]) == \
        ("referred", "Anerkennungsstelle Thüringen", 3)
    assert rep["referred_at"] and rep["closed_at"] is None
    assert row(db, rid)["referred_by"] == coord.id
    referred_at = rep["referred_at"]

    # Resolved with a note: closed_at; the note comes with single reads.
    note = unique("Anerkennung erteilt, Bescheid liegt vor")
    rep = move(api, asst, rep, "resolved", resolution_note=note)
    assert (rep["status"], rep["resolution_note"]) == ("resolved", note)
    assert rep["closed_at"] and rep["referred_at"] == referred_at
    assert at(rep["closed_at"]) >= at(referred_at)
    assert read(api, coord.token, BASE + "/" + rid).json() == rep
    (item,) = [x for x in listed(api, coord, status="resolved")
               if x["id"] == rid]
    assert item == without_text(rep)

    # A closed report takes no comment; opened again it does.
    before = fingerprint(db)
    for caller in (coord, her.me):
        problem(comment(api, caller, rid, expect=409), 409, "conflict")
    assert fingerprint(db) == before
    rep = move(api, coord, rep, "in_review")
    assert (rep["status"], rep["closed_at"]) == ("in_review", None)
    assert rep["resolution_note"] == note      # kept until changed
    comment(api, coord, rid)

    # Not resolvable, with the note replaced; closed again.
    rep = move(api, coord, rep, "not_resolvable",
               resolution_note="Abschluss wird nicht anerkannt.")
    assert rep["status"] == "not_resolvable" and rep["closed_at"]
    assert rep["version"] == 6
    problem(comment(api, asst, rid, expect=409), 409, "conflict")


def test_every_move_of_the_status(api, db, w):
    """From each status to each other: what ch.problem_next allows is 200,
    the rest a 409 naming the allowed moves, the report unchanged. (That
    the 409 is as the contract documents it is the next test's: here its
    body is not validated, so that every move is looked at.)"""
    coord = w["coordinator"]
    wrong = []
    for src in STATES:
        for dst in STATES:
            if dst == src:
                continue
            rep = new_report(api, coord, category="other", topic=None)
            if src != "new":
                rep = move(api, coord, rep, src)
            body = {"status": dst}
            if dst == "referred":
                body["referred_to"] = "Jobcenter Erfurt"
            allowed = dst in NEXT[src]
            r = change(api, coord, rep["id"], body, rep["version"],
                       expect=None)
            if r.status_code != (200 if allowed else 409):
                wrong.append((src, dst, r.status_code, r.text))
            elif allowed:
                got = r.json()
                if (got["status"], bool(got["closed_at"])) != \
                        (dst, dst in CLOSED):
                    wrong.append((src, dst, got))
            else:
                body = problem(r, 409, "conflict")
                errs = body.get("errors") or []
                if [e["field"] for e in errs] != ["/status"] or \
                        not all(s in errs[0]["message"]
                                for s in NEXT[src]):
                    wrong.append((src, dst, body))
                if row(db, rep["id"])["status"] != src:
                    wrong.append((src, dst, "changed"))
    assert not wrong, "\n".join(map(str, wrong))


def test_a_refused_move_is_as_the_contract_documents(api, spec, w):
    """The 409 of a move ch.problem_next does not allow names /status with
    an error code of the contract's FieldError list ("Every route uses
    these codes and no others")."""
    coord = w["coordinator"]
    rep = move(api, coord, new_report(api, coord), "resolved")
    r = change(api, coord, rep["id"], {"status": "not_resolvable"},
               rep["version"], expect=409, validate=False)
    body = problem(r, 409, "conflict")
    assert [e["field"] for e in body["errors"]] == ["/status"], body
    codes = spec.deref(spec.doc["components"]["schemas"]["FieldError"])[
        "properties"]["code"]["enum"]
    assert body["errors"][0]["code"] in codes, \
        "undocumented error code %r" % body["errors"][0]["code"]
    spec.validate("PATCH", r)


def test_a_referred_report_goes_back_to_review_and_keeps_where(api, w):
    coord = w["coordinator"]
    rep = move(api, coord, new_report(api, coord), "referred",
               referred_to="Wohnungsamt")
    first = rep["referred_at"]
    rep = move(api, coord, rep, "in_review")
    assert (rep["referred_to"], rep["referred_at"]) == ("Wohnungsamt", first)
    # Referred again elsewhere: a new time.
    rep = move(api, coord, rep, "referred", referred_to="Mieterverein")
    assert rep["referred_to"] == "Mieterverein"
    assert at(rep["referred_at"]) > at(first)
    # Straight from new to resolved (steps may be skipped).
    rep = move(api, coord, new_report(api, coord), "resolved")
    assert rep["status"] == "resolved" and rep["closed_at"]


def test_staff_change_and_reassign_a_report(api, w, her):
    coord, asst = w["coordinator"], w["assistant"]
    rep = new_report(api, coord, participant_id=her.id)
    rep = change(api, asst, rep["id"], {
        "category": "health", "topic": "health_mental", "urgency": "urgent",
        "languages": ["ar"], "assignee_id": coord.id,
        "description": "Neu gefasst"}, rep["version"]).json()
    assert (rep["category"], rep["topic"], rep["urgency"], rep["languages"],
            rep["assignee_id"], rep["description"]) == \
        ("health", "health_mental", "urgent", ["ar"], coord.id,
         "Neu gefasst")
    # null clears what may be empty.
    rep = change(api, coord, rep["id"], {"topic": None, "assignee_id": None,
                                         "description": None},
                 rep["version"]).json()
    assert (rep["topic"], rep["assignee_id"], rep["description"]) == \
        (None, None, None)
    assert (rep["category"], rep["participant_id"], rep["channel"]) == \
        ("health", her.id, "consultation")


def test_etag_and_if_match(api, db, w):
    coord = w["coordinator"]
    rep = new_report(api, coord)
    rid = rep["id"]
    assert read(api, coord.token, BASE + "/" + rid).headers["ETag"] == '"1"'
    stored = row(db, rid)

    r = change(api, coord, rid, {"urgency": "low"}, None, expect=428)
    problem(r, 428, "precondition-required")
    for stale in ('"2"', 'W/"1"', '"01"', '"abc"'):
        problem(change(api, coord, rid, {"urgency": "low"}, stale,
                       expect=412), 412, "precondition-failed")
    assert row(db, rid) == stored

    r = change(api, coord, rid, {"urgency": "low"}, 1)
    assert r.headers["ETag"] == '"2"' and r.json()["urgency"] == "low"
    # The old tag is stale now; one of several matches.
    problem(change(api, coord, rid, {"urgency": "high"}, 1, expect=412),
            412, "precondition-failed")
    r = change(api, coord, rid, {"urgency": "high"}, '"1", "2"')
    assert r.headers["ETag"] == '"3"'
    r = change(api, coord, rid, {"urgency": "normal"}, "*")
    assert r.headers["ETag"] == '"4"'
    assert read(api, coord.token, BASE + "/" + rid).headers["ETag"] == '"4"'


def test_idempotency_key_replays_a_create(api, db, w, her):
    coord, asst = w["coordinator"], w["assistant"]
    key = unique("key")
    text = unique("Einmal")
    body = {"category": "money_benefits", "topic": "money_benefits_family",
            "description": text, "participant_id": her.id}
    r1 = create(api, coord, body, Idempotency_Key=key)
    r2 = create(api, coord, body, Idempotency_Key=key)
    assert r2.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in r1.headers
    assert r2.json() == r1.json()
    assert r2.headers["Location"] == r1.headers["Location"]
    count = "SELECT count(*) FROM ch.problem_report WHERE description = %s"
    with db.cursor() as cur:
        cur.execute(count, (text,))
        assert cur.fetchone()[0] == 1
    # The same key with another body: 422, nothing new.
    r = create(api, coord, dict(body, urgency="high"), expect=422,
               Idempotency_Key=key)
    problem(r, 422, "idempotency-key-reused")
    # Keys are the caller's own: the assistant's is a new report.
    r3 = create(api, asst, body, Idempotency_Key=key)
    assert "Idempotent-Replayed" not in r3.headers
    assert r3.json()["id"] != r1.json()["id"]
    # Her own from the app, twice.
    mine = {"category": "other", "description": unique("App")}
    a = create(api, her.me, mine, Idempotency_Key=key)
    b = create(api, her.me, mine, Idempotency_Key=key)
    assert b.headers.get("Idempotent-Replayed") == "true"
    assert a.json() == b.json()

    # A comment too.
    rid = r1.json()["id"]
    ckey = unique("ckey")
    c1 = comment(api, coord, rid, "Einmal kommentiert", Idempotency_Key=ckey)
    c2 = comment(api, coord, rid, "Einmal kommentiert", Idempotency_Key=ckey)
    assert c2.headers.get("Idempotent-Replayed") == "true"
    assert c2.json() == c1.json()
    assert ids(listed(api, coord, "%s/%s/comments" % (BASE, rid))) == \
        [c1.json()["id"]]
    problem(comment(api, coord, rid, "Anders", expect=422,
                    Idempotency_Key=ckey), 422, "idempotency-key-reused")


# ------------------------------------------------------------ comments

def test_comments_by_staff_and_the_person(api, db, w, her):
    coord, asst = w["coordinator"], w["assistant"]
    rep = new_report(api, coord, participant_id=her.id)
    rid = rep["id"]
    path = "%s/%s/comments" % (BASE, rid)
    assert listed(api, coord, path) == []
    assert listed(api, her.me, path) == []

    authors = [coord, her.me, asst, her.me, coord]
    made = []
    for caller in authors:
        text = unique("Kommentar von " + caller.role)
        c = comment(api, caller, rid, text).json()
        assert (c["report_id"], c["author_role"], c["body"]) == \
            (rid, caller.role, text)
        made.append(c)

    # Oldest first, for the staff and for her alike; pages in order.
    for caller in (coord, asst, her.me):
        assert listed(api, caller, path) == made
    items, pages = walk(api, coord.token, path, limit=2)
    assert (items, pages) == (made, 3)
    times = [at(c["created_at"]) for c in made]
    assert times == sorted(times)
    # One by one.
    for c in made:
        for caller in (coord, her.me):
            assert read(api, caller.token, path + "/" + c["id"]).json() == c
    # Commenting changes the report's status and text not at all.
    got = read(api, coord.token, BASE + "/" + rid).json()
    assert (got["status"], got["description"]) == ("new",
                                                   rep["description"])
    # Authors are stored, not shown.
    with db.cursor() as cur:
        cur.execute("SELECT author FROM ch.problem_report_comment"
                    " WHERE report_id = %s ORDER BY created_at, id", (rid,))
        assert [a for (a,) in cur.fetchall()] == [c.id for c in authors]


def test_a_comment_belongs_to_its_report(api, w, her):
    coord = w["coordinator"]
    one = new_report(api, coord, participant_id=her.id)
    two = new_report(api, coord, participant_id=her.id)
    c = comment(api, coord, one["id"]).json()
    for caller in (coord, her.me):
        problem(read(api, caller.token, "%s/%s/comments/%s" % (
            BASE, two["id"], c["id"]), expect=404), 404, "not-found")
    assert listed(api, coord, "%s/%s/comments" % (BASE, two["id"])) == []


# ------------------------------------------------------------ lists

def test_list_filters_and_updated_since(api, w, her):
    coord, asst = w["coordinator"], w["assistant"]
    r1 = new_report(api, coord, participant_id=her.id, category="health",
                    topic="health_insurance", urgency="urgent",
                    assignee_id=asst.id)
    r2 = new_report(api, asst, category="transport_mobility",
                    topic="transport_mobility_rural", urgency="low")
    r3 = new_report(api, coord, category="health", topic="health_mental",
                    urgency="low")
    r3 = move(api, coord, r3, "in_review")
    mine = {r1["id"], r2["id"], r3["id"]}

    def check(params, want, member=None):
        items = listed(api, coord, **params)
        got = set(ids(items)) & mine
        assert got == want, (params, got, want)
        for x in items:
            assert x["district_id"] == ERFURT
            assert not set(TEXT) & set(x), x
            for k, v in (member or {}).items():
                assert x[k] == v, (params, x)

    check({}, mine)
    check({"status": "in_review"}, {r3["id"]}, {"status": "in_review"})
    check({"status": "new"}, {r1["id"], r2["id"]}, {"status": "new"})
    check({"category": "health"}, {r1["id"], r3["id"]},
          {"category": "health"})
    check({"urgency": "urgent"}, {r1["id"]}, {"urgency": "urgent"})
    check({"urgency": "low", "category": "health"}, {r3["id"]},
          {"urgency": "low", "category": "health"})
    check({"participant_id": her.id}, {r1["id"]}, {"participant_id": her.id})
    check({"assignee_id": asst.id}, {r1["id"]}, {"assignee_id": asst.id})
    check({"assignee_id": NOWHERE}, set())
    # Changed at or after: r3's change is the newest of the three.
    since = r3["updated_at"]
    check({"updated_since": since}, {r3["id"]})
    later = (at(since) + datetime.timedelta(microseconds=1)).isoformat()
    check({"updated_since": later}, set())
    # The same instant in another offset.
    two = at(since).astimezone(datetime.timezone(
        datetime.timedelta(hours=2))).isoformat()
    check({"updated_since": two}, {r3["id"]})
    check({"updated_since": r1["updated_at"]}, mine)
    assert listed(api, coord, updated_since="2999-01-01T00:00:00Z") == []
    # Ordered by time of change, and a change moves a report to the end.
    items = listed(api, coord, updated_since=r1["updated_at"])
    assert ids(items)[-1] == r3["id"]
    keys = [(x["updated_at"], x["id"]) for x in items]
    assert [(at(a), b) for a, b in keys] == sorted((at(a), b)
                                                   for a, b in keys)
    r1 = change(api, asst, r1["id"], {"urgency": "high"},
                r1["version"]).json()
    assert ids(listed(api, coord, updated_since=since)) == \
        [r3["id"], r1["id"]]


def test_list_pages_walk_every_report_once(api, w):
    coord = w["coordinator"]
    for _ in range(3):
        new_report(api, coord)
    whole = listed(api, coord, limit=100)
    paged, pages = walk(api, coord.token, BASE, limit=2)
    assert len(whole) >= 3 and pages == (len(whole) + 1) // 2
    assert ids(paged) == ids(whole)


def test_a_participant_lists_only_her_own(api, w, her):
    coord, other = w["coordinator"], w["participant"]
    about_her = new_report(api, coord, participant_id=her.id)
    from_app = create(api, her.me, {"category": "digital_access"}).json()
    anonymous = new_report(api, coord)
    theirs = create(api, other, {"category": "other"}).json()

    items = listed(api, her.me)
    assert {about_her["id"], from_app["id"]} <= set(ids(items))
    assert anonymous["id"] not in ids(items)
    assert theirs["id"] not in ids(items)
    assert all(x["participant_id"] == her.id for x in items), items
    assert all(not set(TEXT) & set(x) for x in items)
    # Filters do not widen what she sees.
    assert listed(api, her.me,
                  participant_id=theirs["participant_id"]) == []
    assert set(ids(listed(api, her.me, participant_id=her.id))) == \
        set(ids(items))
    # The other person sees hers only.
    items = listed(api, other)
    assert theirs["id"] in ids(items)
    assert all(x["participant_id"] == theirs["participant_id"]
               for x in items)
    # Staff of Gotha see Erfurt's none.
    gotha = listed(api, w["gotha_coordinator"])
    assert all(x["district_id"] == GOTHA for x in gotha)
    assert not {about_her["id"], from_app["id"], anonymous["id"],
                theirs["id"]} & set(ids(gotha))
    # Erfurt's staff see all four.
    assert {about_her["id"], from_app["id"], anonymous["id"],
            theirs["id"]} <= set(ids(listed(api, coord)))


# ------------------------------------------------------------ who may call

CALLERS = ["admin", "coord", "asst", "org", "mentor", "self", "other",
           "gcoord", "gasst"]

# Expected status per route and caller, in the order of CALLERS, on a
# report of Erfurt about her ("self"). On an anonymous report of Erfurt
# she gets 404 where she got 200/201. The contract's x-roles leave out the
# state admin, organisations and mentors (and participants on PATCH):
# 403; a report one may not see is 404.
MATRIX = {
    "GET /v1/problem-reports":
        (403, 200, 200, 403, 403, 200, 200, 200, 200),
    "POST /v1/problem-reports":
        (403, 201, 201, 403, 403, 201, 201, 201, 201),
    "GET /v1/problem-reports/{R}":
        (403, 200, 200, 403, 403, 200, 404, 404, 404),
    "PATCH /v1/problem-reports/{R}":
        (403, 200, 200, 403, 403, 403, 403, 404, 404),
    "GET /v1/problem-reports/{R}/comments":
        (403, 200, 200, 403, 403, 200, 404, 404, 404),
    "POST /v1/problem-reports/{R}/comments":
        (403, 201, 201, 403, 403, 201, 404, 404, 404),
    "GET /v1/problem-reports/{R}/comments/{C}":
        (403, 200, 200, 403, 403, 200, 404, 404, 404),
}
CASES = [(route, who, target) for route in MATRIX for who in CALLERS
         for target in (("her", "anon") if "{R}" in route else ("her",))]


@pytest.fixture(scope="module")
def callers(w, her):
    return {"admin": w["state_admin"], "coord": w["coordinator"],
            "asst": w["assistant"], "org": w["organization"],
            "mentor": w["mentor"], "self": her.me,
            "other": w["participant"], "gcoord": w["gotha_coordinator"],
            "gasst": w["gotha_assistant"]}


@pytest.fixture(scope="module")
def targets(api, w, her):
    """A report of Erfurt about her and an anonymous one, each with a
    comment of the coordinator, and a report of Gotha."""
    coord = w["coordinator"]
    about = new_report(api, coord, participant_id=her.id)
    anon = new_report(api, w["assistant"])
    gotha = new_report(api, w["gotha_coordinator"])
    return {"her": (about["id"],
                    comment(api, coord, about["id"]).json()["id"]),
            "anon": (anon["id"],
                     comment(api, coord, anon["id"]).json()["id"]),
            "gotha": gotha["id"]}


def test_the_matrix_covers_every_route(spec):
    documented = {"%s %s" % (m.upper(), re.sub(
        r"\{comment_id\}", "{C}", re.sub(r"\{id\}", "{R}", p)))
        for p, item in spec.doc["paths"].items()
        if p.startswith(BASE) for m in item
        if m in ("get", "post", "patch", "put", "delete")}
    assert documented == set(MATRIX)
    for route in MATRIX:
        method, path = route.split(" ", 1)
        p = path.replace("{R}", "{id}").replace("{C}", "{comment_id}")
        roles = spec.doc["paths"][p][method.lower()]["x-roles"]
        role_of = {"admin": "state_admin", "coord": "coordinator",
                   "asst": "assistant", "org": "organization",
                   "mentor": "mentor", "self": "participant",
                   "other": "participant", "gcoord": "coordinator",
                   "gasst": "assistant"}
        # Every 403 here is a role outside x-roles, and back.
        for who, want in zip(CALLERS, MATRIX[route]):
            assert (want == 403) == (role_of[who] not in roles), \
                (route, who)


@pytest.mark.parametrize("route,who,target", CASES,
                         ids=["%s-%s-%s" % c for c in CASES])
def test_matrix(api, db, callers, targets, route, who, target):
    method, path = route.split(" ", 1)
    want = MATRIX[route][CALLERS.index(who)]
    if target == "anon" and who == "self" and want in (200, 201):
        want = 404
    rid, cid = targets[target]
    url = path.replace("{R}", rid).replace("{C}", cid)
    caller = callers[who]
    h = hdr(caller.token)
    body = None
    if method == "PATCH":
        h["If-Match"] = "*"
        h["Content-Type"] = "application/merge-patch+json"
        body = {"urgency": "high"}
    elif method == "POST":
        h["Content-Type"] = "application/json"
        body = {"body": unique("Matrix")} if url.endswith("/comments") \
            else {"category": "other", "description": unique("Matrix")}
    before = fingerprint(db)
    r = api.request(method, url, headers=h,
                    data=None if body is None else json.dumps(body))
    assert r.status_code == want, (route, who, target, r.status_code,
                                   r.text)
    if want >= 400:
        kind = {403: "forbidden", 404: "not-found"}[want]
        body_ = problem(r, want, kind)
        if want == 403:
            assert body_["detail"] == ROLE_REFUSED, (route, who)
        assert fingerprint(db) == before, "a refused request changed data"
        return
    got = r.json()
    if url == BASE and method == "GET":
        seen = set(ids(listed(api, caller)))
        her_r, anon_r = targets["her"][0], targets["anon"][0]
        assert (her_r in seen) == (who in ("coord", "asst", "self"))
        assert (anon_r in seen) == (who in ("coord", "asst"))
        assert (targets["gotha"] in seen) == (who in ("gcoord", "gasst"))
    elif url == BASE:
        assert got["district_id"] == (GOTHA if who.startswith("g")
                                      else ERFURT)
        assert got["channel"] == ("app" if who in ("self", "other")
                                  else "consultation")
    elif method == "PATCH":
        assert (got["id"], got["urgency"]) == (rid, "high")
    elif url.endswith("/comments") and method == "POST":
        assert (got["report_id"], got["author_role"]) == (rid, caller.role)
    elif url.endswith("/comments"):
        assert cid in ids(got["items"])
    elif "/comments/" in url:
        assert (got["id"], got["report_id"]) == (cid, rid)
    else:
        assert got["id"] == rid and "description" in got


@pytest.mark.parametrize("route", list(MATRIX))
def test_without_a_token(api, targets, route):
    method, path = route.split(" ", 1)
    rid, cid = targets["her"]
    r = api.request(method, path.replace("{R}", rid).replace("{C}", cid),
                    json={} if method != "GET" else None)
    problem(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_gotha_staff_cannot_record_for_erfurt(api, db, w, her):
    before = fingerprint(db)
    r = create(api, w["gotha_coordinator"], {
        "category": "other", "participant_id": her.id}, expect=422)
    assert ("/participant_id", "unknown") in \
        errors_of(problem(r, 422, "validation-failed"))
    assert fingerprint(db) == before


# ------------------------------------------------------------ the crawl

def strings_of(template):
    return re.findall(r"\{([a-z_]+)\}", template)


def test_nobody_else_reads_a_word_of_them(api, spec, w, her):
    """An organisation, a mentor and the state admin call every GET route
    of the contract that takes no path parameter (lists walked to their
    end) and every route with a path parameter filled with ids of reports,
    comments and the person: no answer holds a description, a resolution
    note or a comment."""
    coord, asst = w["coordinator"], w["assistant"]
    marks = {k: unique("CRAWL%s" % k.upper()) for k in
             ("desc", "note", "comment", "anondesc", "anoncomment",
              "appdesc", "appcomment")}
    about = new_report(api, coord, participant_id=her.id,
                       description="Text " + marks["desc"])
    comment(api, asst, about["id"], "Kommentar " + marks["comment"])
    about = move(api, coord, about, "resolved",
                 resolution_note="Notiz " + marks["note"])
    anon = new_report(api, asst, description=marks["anondesc"])
    anon_c = comment(api, coord, anon["id"], marks["anoncomment"]).json()
    app = create(api, her.me, {"category": "other",
                               "description": marks["appdesc"]}).json()
    app_c = comment(api, coord, app["id"], marks["appcomment"]).json()
    about_c = listed(api, coord, "%s/%s/comments" % (BASE, about["id"]))[0]
    # The marks are there to be found by those who may.
    assert marks["note"] in read(api, coord.token,
                                 BASE + "/" + about["id"]).text
    assert marks["appdesc"] in read(api, her.me.token,
                                    BASE + "/" + app["id"]).text
    assert marks["comment"] in read(api, her.me.token, "%s/%s/comments"
                                    % (BASE, about["id"])).text

    pairs = [(about["id"], about_c["id"]), (anon["id"], anon_c["id"]),
             (app["id"], app_c["id"])]
    known = [her.id, her.me.id, about["id"], anon["id"], app["id"],
             about_c["id"], anon_c["id"]]
    paths = spec.doc["paths"]

    def limit_of(op):
        return any(p.get("$ref", "").endswith("/Limit")
                   for p in op.get("parameters", []))

    for caller in (w["organization"], w["mentor"], w["state_admin"]):
        seen = 0

        def get(url, params=None):
            nonlocal seen
            r = api.get(url, headers=hdr(caller.token), params=params)
            seen += 1
            leaked = [m for m in marks.values() if m in r.text]
            assert not leaked, (caller.role, url, params, r.status_code,
                                leaked)
            return r

        for template, item in paths.items():
            if "get" not in item:
                continue
            names = strings_of(template)
            if not names:
                params = {"limit": 100} if limit_of(item["get"]) else None
                r = get(template, params)
                pages = 0
                while r.status_code == 200 and params and \
                        r.json().get("next_cursor") and pages < 30:
                    params = dict(params, cursor=r.json()["next_cursor"])
                    r = get(template, params)
                    pages += 1
                continue
            if template.startswith(BASE):
                for rid, cid in pairs:
                    r = get(template.replace("{id}", rid)
                            .replace("{comment_id}", cid))
                    assert r.status_code == 403, (caller.role, template)
                    assert r.json()["detail"] == ROLE_REFUSED
                continue
            for x in known:
                url = template
                for n in names:
                    url = url.replace("{%s}" % n, x)
                get(url)
        # What the audit log says about them, to those who read it.
        if caller.role == "state_admin":
            for action in ("created", "updated", "commented", "read"):
                r = get("/v1/audit", {"action": "problem_report." + action,
                                      "limit": 100})
                assert r.status_code == 200 and r.json()["items"], action
        assert seen > 60, (caller.role, seen)


# ------------------------------------------------------------ audit

def test_reads_of_the_text_and_every_write_are_audited(api, db, w, her):
    coord, asst = w["coordinator"], w["assistant"]
    since = db_now(db)

    def entries(action, rid):
        return [a for a in audit(api, coord, since, "problem_report." + action)
                if a["entity_id"] == rid]

    rep = new_report(api, coord, participant_id=her.id)
    rid = rep["id"]
    (made,) = entries("created", rid)
    assert (made["actor"], made["actor_role"], made["entity"],
            made["district_id"]) == (coord.id, "coordinator",
                                     "problem_report", ERFURT)
    assert made["detail"] == {"participant": her.id, "category": "housing"}
    assert entries("read", rid) == []

    # Lists carry no text: no read.
    listed(api, coord, participant_id=her.id)
    listed(api, asst)
    assert entries("read", rid) == []

    # A staff single read: one entry.
    read(api, coord.token, BASE + "/" + rid)
    (one,) = entries("read", rid)
    assert (one["actor"], one["actor_role"], one["district_id"],
            one["detail"]) == (coord.id, "coordinator", ERFURT,
                               {"part": "report", "participant": her.id})
    # A staff comment list read: one more.
    read(api, asst.token, "%s/%s/comments" % (BASE, rid))
    reads = entries("read", rid)
    assert [(a["actor"], a["detail"].get("part")) for a in reads] == \
        [(coord.id, "report"), (asst.id, "comments")]
    # Her own reads: none.
    read(api, her.me.token, BASE + "/" + rid)
    read(api, her.me.token, "%s/%s/comments" % (BASE, rid))
    listed(api, her.me)
    # Refused reads: none.
    read(api, w["gotha_coordinator"].token, BASE + "/" + rid, expect=404)
    read(api, w["organization"].token, BASE + "/" + rid, expect=403)
    assert len(entries("read", rid)) == 2

    # Every write: the update names the fields and the new status.
    rep = move(api, asst, rep, "referred", referred_to="Jobcenter")
    (upd,) = entries("updated", rid)
    assert (upd["actor"], upd["actor_role"]) == (asst.id, "assistant")
    assert sorted(upd["detail"]["fields"]) == ["referred_to", "status"]
    assert upd["detail"]["status"] == "referred"
    assert "Jobcenter" not in json.dumps(upd)
    change(api, coord, rid, {"urgency": "low"}, rep["version"])
    second = entries("updated", rid)[1]
    # Writes name the person the report is about (GET /v1/audit?person=).
    assert second["detail"] == {"fields": ["urgency"],
                                "participant": her.id}

    c1 = comment(api, coord, rid).json()
    c2 = comment(api, her.me, rid).json()
    said = entries("commented", rid)
    assert [(a["actor"], a["actor_role"], a["detail"]) for a in said] == \
        [(coord.id, "coordinator", {"comment": c1["id"],
                                    "participant": her.id}),
         (her.me.id, "participant", {"comment": c2["id"],
                                     "participant": her.id})]
    assert c1["body"] not in json.dumps(said)
    # No write read anything.
    assert len(entries("read", rid)) == 2

    # Her own report from the app is recorded as hers.
    app = create(api, her.me, {"category": "other"}).json()
    (made,) = entries("created", app["id"])
    assert (made["actor"], made["actor_role"], made["detail"]) == \
        (her.me.id, "participant", {"participant": her.id,
                                    "category": "other"})
    # An anonymous one names no person.
    anon = new_report(api, asst, category="health", topic=None)
    (made,) = entries("created", anon["id"])
    assert made["detail"] == {"category": "health"}
    read(api, coord.token, BASE + "/" + anon["id"])
    assert [a["detail"] for a in entries("read", anon["id"])] == \
        [{"part": "report"}]


def test_reads_of_her_reports_are_found_by_her(api, db, w, her):
    """"Who read what about her": the audit's person filter ("Only entries
    about this participant") finds a staff read of her report's text as
    it finds reads of her contact details and meeting notes, and her
    export names the reader among the recipients of her data."""
    coord, asst = w["coordinator"], w["assistant"]
    since = db_now(db)
    rep = new_report(api, coord, participant_id=her.id)
    read(api, asst.token, BASE + "/" + rep["id"])
    # The entry is there, naming her.
    (entry,) = [a for a in audit(api, coord, since, "problem_report.read")
                if a["entity_id"] == rep["id"]]
    assert entry["detail"]["participant"] == her.id
    # Her export: the assistant read her data.
    items, _ = walk(api, her.me.token, "/v1/me/export", limit=100)
    recipients = {x["data"].get("account_id"): x["data"] for x in items
                  if x["type"] == "recipient"}
    assert "problem_report.read" in recipients[asst.id]["actions"]
    assert rep["id"] in [x["data"]["id"] for x in items
                         if x["type"] == "problem_report"]
    # The audit by person.
    about_her, _ = walk(api, coord.token, "/v1/audit",
                        {"person": her.id, "action": "problem_report.read",
                         "since": since}, limit=100)
    assert entry["id"] in [a["id"] for a in about_her], \
        "GET /v1/audit?person= misses the read of her report"


def test_a_disabled_account_is_no_assignee(api, w):
    admin, coord = w["state_admin"], w["coordinator"]
    gone = Caller.new(api, admin, "assistant", ERFURT)
    rep = new_report(api, coord, assignee_id=gone.id)
    assert rep["assignee_id"] == gone.id
    h = hdr(admin.token, If_Match="*")
    h["Content-Type"] = "application/merge-patch+json"
    r = api.request("PATCH", "/v1/users/" + gone.id, headers=h,
                    data=json.dumps({"disabled": True}))
    assert r.status_code == 200, r.text
    r = create(api, coord, {"category": "other", "assignee_id": gone.id},
               expect=422)
    assert ("/assignee_id", "unknown") in errors_of(r.json())
    # Reassigned, the report goes on.
    rep = change(api, coord, rep["id"], {"assignee_id": coord.id},
                 rep["version"]).json()
    assert rep["assignee_id"] == coord.id


# ------------------------------------------------------------ hostile

def test_description_counts_characters(api, w):
    coord = w["coordinator"]
    rep = create(api, coord, {"category": "other",
                              "description": "ü" * 4000}).json()
    assert len(rep["description"]) == 4000
    r = create(api, coord, {"category": "other", "description": "ü" * 4001},
               expect=422)
    assert "/description" in {f for f, _ in errors_of(r.json())}
    # Ten languages are allowed.
    ten = ["de", "en", "uk", "ru", "ar", "fa", "tr", "pl", "ro", "es"]
    assert create(api, coord, {"category": "other",
                               "languages": ten}).json()["languages"] == ten


@pytest.fixture(scope="module")
def hostile(api, w, her, gotha_person):
    """An open report ($T, new, topic housing_wbs, two comments), a
    referred one ($F), a closed one ($K, with a comment $KC), and cursors
    of the report list ($LCUR) and of a comment list ($CCUR)."""
    coord = w["coordinator"]
    t = new_report(api, coord, participant_id=her.id, topic="housing_wbs")
    comment(api, coord, t["id"])
    comment(api, coord, t["id"])
    f = move(api, coord, new_report(api, coord), "referred")
    k = new_report(api, coord)
    kc = comment(api, coord, k["id"]).json()
    k = move(api, coord, k, "resolved")
    ccur = read(api, coord.token, "%s/%s/comments?limit=1"
                % (BASE, t["id"])).json()["next_cursor"]
    lcur = read(api, coord.token, BASE + "?limit=1").json()["next_cursor"]
    assert ccur and lcur
    return {"$T": t["id"], "$F": f["id"], "$K": k["id"], "$KC": kc["id"],
            "$CCUR": ccur, "$LCUR": lcur, "$GPART": gotha_person,
            "$HER": her.id, "$HERACC": her.me.id,
            "$GCOORD": w["gotha_coordinator"].id,
            "$ORGUSER": w["organization"].id, "$MENTOR": w["mentor"].id,
            "$EASST": w["assistant"].id,
            "$ADMIN": w["state_admin"].id}


ELEVEN = ["de", "en", "uk", "ru", "ar", "fa", "tr", "pl", "ro", "es", "fr"]
T = BASE + "/$T"


def post(body, field, status=422, who="coord", path=BASE, **headers):
    return (who, "POST", path, body, status, field, headers)


def patch_(body, field, status=422, who="coord", path=T):
    return (who, "PATCH", path, body, status, field, {})


def get(path, field, status=400, who="coord"):
    return (who, "GET", path, None, status, field, {})


# name: (caller, method, path, body, status, errors[].field or None,
# headers). Bodies given as bytes are sent as they are.
HOSTILE = {
    "unknown field": post({"category": "housing", "colour": "red"},
                          "/colour"),
    "unknown category": post({"category": "flying"}, "/category"),
    "category not a code": post({"category": "Housing!"}, "/category"),
    "a topic as category": post({"category": "housing_wbs"}, "/category"),
    "no category": post({"description": "ohne"}, "/category"),
    "null category": post({"category": None}, "/category"),
    "unknown topic": post({"category": "housing", "topic": "housing_castle"},
                          "/topic"),
    "topic of another category": post(
        {"category": "housing", "topic": "health_mental"}, "/topic"),
    "category as its own topic": post(
        {"category": "housing", "topic": "housing"}, "/topic"),
    "topic without category": post({"topic": "housing_wbs"}, "/category"),
    "description over 4000": post(
        {"category": "other", "description": "x" * 4001}, "/description"),
    "empty description": post({"category": "other", "description": ""},
                              "/description"),
    "description not text": post({"category": "other", "description": 7},
                                 "/description"),
    "language no code": post({"category": "other", "languages": ["xx"]},
                             "/languages/0"),
    "language upper case": post({"category": "other", "languages": ["UK"]},
                                "/languages/0"),
    "language a name": post({"category": "other",
                             "languages": ["Ukrainian"]}, "/languages/0"),
    "language a number": post({"category": "other", "languages": [7]},
                              "/languages/0"),
    "language twice": post({"category": "other",
                            "languages": ["de", "uk", "de"]},
                           "/languages/2"),
    "eleven languages": post({"category": "other", "languages": ELEVEN},
                             "/languages"),
    "languages a string": post({"category": "other", "languages": "de"},
                               "/languages"),
    "bad urgency": post({"category": "other", "urgency": "panic"},
                        "/urgency"),
    "null urgency": post({"category": "other", "urgency": None},
                         "/urgency"),
    "channel app from staff": post({"category": "other", "channel": "app"},
                                   "/channel"),
    "unknown channel": post({"category": "other", "channel": "phone"},
                            "/channel"),
    "participant of another district": post(
        {"category": "other", "participant_id": "$GPART"},
        "/participant_id"),
    "participant nobody": post({"category": "other", "participant_id":
                                NOWHERE}, "/participant_id"),
    "participant an account": post({"category": "other", "participant_id":
                                    "$HERACC"}, "/participant_id"),
    "participant id no uuid": post({"category": "other",
                                    "participant_id": "her"},
                                   "/participant_id"),
    "assignee of another district": post(
        {"category": "other", "assignee_id": "$GCOORD"}, "/assignee_id"),
    "assignee an organisation's user": post(
        {"category": "other", "assignee_id": "$ORGUSER"}, "/assignee_id"),
    "assignee a mentor": post({"category": "other", "assignee_id":
                               "$MENTOR"}, "/assignee_id"),
    "assignee the state admin": post(
        {"category": "other", "assignee_id": "$ADMIN"}, "/assignee_id"),
    "assignee a participant": post(
        {"category": "other", "assignee_id": "$HERACC"}, "/assignee_id"),
    "assignee nobody": post({"category": "other", "assignee_id": NOWHERE},
                            "/assignee_id"),
    "assignee of Erfurt for Gotha": post(
        {"category": "other", "assignee_id": "$EASST"}, "/assignee_id",
        who="gcoord"),
    "unknown place": post({"category": "other", "place_id": NOWHERE},
                          "/place_id"),
    "status on create": post({"category": "other", "status": "resolved"},
                             "/status"),
    "district on create": post({"category": "other", "district_id": GOTHA},
                               "/district_id"),
    "body an array": post([], None, status=400),
    "no body": post(b"", None, status=400),
    "body not JSON": post(b'{"category": "other"', None, status=400),
    "body not JSON media": post(b'{"category": "other"}', None, status=415,
                                Content_Type="text/plain"),
    "idempotency key too long": post({"category": "other"},
                                     "Idempotency-Key", status=400,
                                     Idempotency_Key="k" * 256),

    "empty patch": patch_({}, ""),
    "patch without a body": patch_(b"", None, status=400),
    "patch null": patch_(b"null", None, status=400),
    "patch unknown field": patch_({"colour": "red"}, "/colour"),
    "patch participant": patch_({"participant_id": "$HER"},
                                "/participant_id"),
    "patch channel": patch_({"channel": "event"}, "/channel"),
    "patch closed_at": patch_({"closed_at": "2025-01-01T00:00:00Z"},
                              "/closed_at"),
    "patch version": patch_({"version": 9}, "/version"),
    "patch district": patch_({"district_id": GOTHA}, "/district_id"),
    "patch category null": patch_({"category": None}, "/category"),
    "patch unknown category": patch_({"category": "flying"}, "/category"),
    "patch category leaves its topic": patch_({"category": "health"},
                                              "/topic"),
    "patch unknown topic": patch_({"topic": "housing_castle"}, "/topic"),
    "patch topic of another category": patch_({"topic": "health_mental"},
                                              "/topic"),
    "patch unknown status": patch_({"status": "done"}, "/status"),
    "patch status null": patch_({"status": None}, "/status"),
    "patch urgency null": patch_({"urgency": None}, "/urgency"),
    "referred without where": patch_({"status": "referred"},
                                     "/referred_to"),
    "referred to nothing": patch_({"status": "referred", "referred_to": ""},
                                  "/referred_to"),
    "referred report loses where": patch_({"referred_to": None},
                                          "/referred_to", path=BASE + "/$F"),
    "referred_to over 200": patch_({"referred_to": "x" * 201},
                                   "/referred_to"),
    "resolution note over 2000": patch_({"resolution_note": "x" * 2001},
                                        "/resolution_note"),
    "patch description over 4000": patch_({"description": "x" * 4001},
                                          "/description"),
    "patch assignee of another district": patch_({"assignee_id": "$GCOORD"},
                                                 "/assignee_id"),
    "patch assignee an organisation's user": patch_(
        {"assignee_id": "$ORGUSER"}, "/assignee_id"),
    "patch assignee a participant": patch_({"assignee_id": "$HERACC"},
                                           "/assignee_id"),
    "patch assignee no uuid": patch_({"assignee_id": "coord"},
                                     "/assignee_id"),
    "patch language no code": patch_({"languages": ["xx"]}, "/languages/0"),
    "patch language twice": patch_({"languages": ["uk", "uk"]},
                                   "/languages/1"),
    "patch eleven languages": patch_({"languages": ELEVEN}, "/languages"),
    "patch unknown place": patch_({"place_id": NOWHERE}, "/place_id"),
    "back to new": patch_({"status": "new"}, "/status", status=409,
                          path=BASE + "/$F"),
    "closed to referred": patch_({"status": "referred",
                                  "referred_to": "Jobcenter"}, "/status",
                                 status=409, path=BASE + "/$K"),
    "closed to not_resolvable": patch_({"status": "not_resolvable"},
                                       "/status", status=409,
                                       path=BASE + "/$K"),
    "closed to new": patch_({"status": "new"}, "/status", status=409,
                            path=BASE + "/$K"),
    "patch by Gotha staff": patch_({"urgency": "low"}, None, status=404,
                                   who="gcoord"),
    "patch by Gotha's assistant": patch_({"status": "resolved"}, None,
                                         status=404, who="gasst"),
    "patch no uuid": patch_({"urgency": "low"}, "id", status=400,
                            path=BASE + "/not-a-uuid"),
    "patch nobody": patch_({"urgency": "low"}, None, status=404,
                           path=BASE + "/" + NOWHERE),

    "comment without body": post({}, "/body", path=T + "/comments"),
    "empty comment": post({"body": ""}, "/body", path=T + "/comments"),
    "comment null": post({"body": None}, "/body", path=T + "/comments"),
    "comment over 2000": post({"body": "x" * 2001}, "/body",
                              path=T + "/comments"),
    "comment unknown field": post({"body": "x", "author_role": "mentor"},
                                  "/author_role", path=T + "/comments"),
    "comment on a closed report": post({"body": "x"}, None, status=409,
                                       path=BASE + "/$K/comments"),
    "comment by Gotha staff": post({"body": "x"}, None, status=404,
                                   who="gcoord", path=T + "/comments"),
    "comment on no uuid": post({"body": "x"}, "id", status=400,
                               path=BASE + "/not-a-uuid/comments"),
    "comment on nobody": post({"body": "x"}, None, status=404,
                              path=BASE + "/" + NOWHERE + "/comments"),

    "get no uuid": get(BASE + "/not-a-uuid", "id"),
    "get nobody": get(BASE + "/" + NOWHERE, None, status=404),
    "get Erfurt's as Gotha": get(T, None, status=404, who="gasst"),
    "comment list no uuid": get(BASE + "/1/comments", "id"),
    "comment list of nobody": get(BASE + "/" + NOWHERE + "/comments", None,
                                  status=404),
    "comment no uuid": get(T + "/comments/not-a-uuid", "comment_id"),
    "comment nobody": get(T + "/comments/" + NOWHERE, None, status=404),
    "comment of another report": get(T + "/comments/$KC", None, status=404),
    "limit 0": get(BASE + "?limit=0", "limit"),
    "limit 101": get(BASE + "?limit=101", "limit"),
    "limit -1": get(BASE + "?limit=-1", "limit"),
    "limit no number": get(BASE + "?limit=ten", "limit"),
    "comments limit 0": get(T + "/comments?limit=0", "limit"),
    "comments limit 101": get(T + "/comments?limit=101", "limit"),
    "bad cursor": get(BASE + "?cursor=garbage", "cursor"),
    "empty cursor": get(BASE + "?cursor=", "cursor"),
    "comment cursor on the list": get(BASE + "?cursor=$CCUR", "cursor"),
    "list cursor on comments": get(T + "/comments?cursor=$LCUR", "cursor"),
    "bad comment cursor": get(T + "/comments?cursor=AAAA", "cursor"),
    "unknown parameter": get(BASE + "?colour=red", "colour"),
    "comments unknown parameter": get(T + "/comments?status=new", "status"),
    "bad status filter": get(BASE + "?status=done", "status"),
    "bad urgency filter": get(BASE + "?urgency=panic", "urgency"),
    "bad category filter": get(BASE + "?category=Housing!", "category"),
    "bad participant filter": get(BASE + "?participant_id=her",
                                  "participant_id"),
    "bad assignee filter": get(BASE + "?assignee_id=1", "assignee_id"),
    "bad updated_since": get(BASE + "?updated_since=yesterday",
                             "updated_since"),
    "updated_since without zone": get(
        BASE + "?updated_since=2025-01-01T00:00:00", "updated_since"),
}


def fill(value, h):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        for k in sorted(h, key=len, reverse=True):
            value = value.replace(k, h[k])
        return value
    if isinstance(value, dict):
        return {k: fill(v, h) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, h) for v in value]
    return value


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile(api, db, w, hostile, name):
    who, method, path, body, status, field, headers = HOSTILE[name]
    caller = {"coord": w["coordinator"], "gcoord": w["gotha_coordinator"],
              "gasst": w["gotha_assistant"]}[who]
    h = hdr(caller.token, **headers)
    if method == "PATCH":
        h["If-Match"] = "*"
        h.setdefault("Content-Type", "application/merge-patch+json")
    elif method == "POST":
        h.setdefault("Content-Type", "application/json")
    data = None
    if body is not None:
        body = fill(body, hostile)
        data = body if isinstance(body, bytes) else json.dumps(body)
    before = fingerprint(db)
    r = api.request(method, fill(path, hostile), headers=h, data=data)
    got = problem(r, status)
    if field is not None:
        fields = {e["field"] for e in got.get("errors") or []}
        assert field in fields, (name, got)
    assert fingerprint(db) == before, "%s changed data" % name


