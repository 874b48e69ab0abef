"""Row-level security, the second wall around personal data
(db/policies.sql), tested directly in PostgreSQL as the API's own role: what
the API's SQL could see if one of its checks were wrong."""

import psycopg2
import psycopg2.extras
import pytest

from matching_util import act, callers, offer_for, person, suggest
from partners_util import hdr

ERFURT, GOTHA = "16051", "16067"
DEMO_ORG = "b0000000-0000-4000-8000-000000000001"
DEMO_PARTICIPANT = "c0000000-0000-4000-8000-000000000001"
GUARDED = ("participant", "participant_contact", "consent", "placement")


@pytest.fixture(scope="module")
def app(stack):
    """A connection as ch_app, the role Kore uses."""
    conn = psycopg2.connect(stack.url(owner=False))
    yield conn
    conn.rollback()
    conn.close()


def as_caller(conn, role, district=None, organization=None,
              participant=None, user=None):
    """Starts a transaction acting as a caller, like ch.enter()."""
    conn.rollback()
    cur = conn.cursor()
    cur.execute("SELECT ch.enter(%s::jsonb)", (psycopg2.extras.Json({
        "role": role, "district": district, "organization": organization,
        "participant": participant, "user": user, "actor": "rls-test",
        "request": "rls-test"}),))
    return cur


def count(cur, table, where="true"):
    cur.execute("SELECT count(*) FROM ch.%s WHERE %s" % (table, where))
    return cur.fetchone()[0]



def test_app_role_cannot_bypass(stack):
    rows = stack.sql("SELECT rolbypassrls, rolsuper FROM pg_roles "
                     "WHERE rolname = 'ch_app'")
    assert rows == [(False, False)]
    for table in GUARDED:
        rows = stack.sql("SELECT relrowsecurity FROM pg_class "
                         "WHERE oid = %s::regclass", ("ch." + table,))
        assert rows == [(True,)], table


@pytest.mark.parametrize("table", GUARDED)
def test_nothing_visible_without_a_caller(stack, app, table):
    assert stack.sql("SELECT count(*) FROM ch.%s" % table)[0][0] > 0
    app.rollback()
    cur = app.cursor()
    assert count(cur, table) == 0


@pytest.mark.parametrize("table", GUARDED)
@pytest.mark.parametrize("role", ["coordinator", "assistant"])
def test_staff_see_exactly_their_district(stack, app, table, role):
    total = stack.sql("SELECT count(*) FROM ch.%s WHERE district_id = %%s"
                      % table, (GOTHA,))[0][0]
    assert total > 0
    cur = as_caller(app, role, GOTHA)
    assert count(cur, table) == total
    assert count(cur, table, "district_id <> '%s'" % GOTHA) == 0


@pytest.mark.parametrize("role", ["state_admin", "mentor"])
def test_other_roles_see_no_personal_data(app, role):
    cur = as_caller(app, role, None if role == "state_admin" else ERFURT)
    for table in GUARDED:
        assert count(cur, table) == 0, table


def test_participant_sees_only_themself(stack, app):
    cur = as_caller(app, "participant", ERFURT,
                    participant=DEMO_PARTICIPANT)
    cur.execute("SELECT id::text FROM ch.participant")
    assert cur.fetchall() == [(DEMO_PARTICIPANT,)]
    assert count(cur, "participant_contact") == 1
    own = stack.sql("SELECT count(*) FROM ch.consent WHERE participant_id "
                    "= %s", (DEMO_PARTICIPANT,))[0][0]
    assert count(cur, "consent") == own
    assert count(cur, "placement",
                 "participant_id <> '%s'" % DEMO_PARTICIPANT) == 0


def test_organisation_sees_only_people_placed_with_it(stack, app):
    # Only while a placement is active: access ends with it.
    placed = {r[0] for r in stack.sql(
        "SELECT DISTINCT participant_id::text FROM ch.placement "
        "WHERE organization_id = %s AND status = 'active'", (DEMO_ORG,))}
    assert DEMO_PARTICIPANT in placed
    sharing = {r[0] for r in stack.sql(
        "SELECT DISTINCT participant_id::text FROM ch.consent "
        "WHERE purpose = 'share_contact_with_partner' "
        "AND withdrawn_at IS NULL")}
    cur = as_caller(app, "organization", ERFURT, organization=DEMO_ORG)
    cur.execute("SELECT id::text FROM ch.participant")
    assert {r[0] for r in cur.fetchall()} == placed
    cur.execute("SELECT participant_id::text FROM ch.participant_contact")
    assert {r[0] for r in cur.fetchall()} == placed & sharing
    assert count(cur, "placement",
                 "organization_id <> '%s'" % DEMO_ORG) == 0


def test_staff_cannot_write_another_district(stack, app):
    target = stack.sql("SELECT id::text, version FROM ch.participant "
                       "WHERE district_id = %s LIMIT 1", (ERFURT,))[0]
    cur = as_caller(app, "assistant", GOTHA)
    cur.execute("UPDATE ch.participant SET display_name = 'x' "
                "WHERE id = %s", (target[0],))
    assert cur.rowcount == 0
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        cur.execute("INSERT INTO ch.participant (district_id, "
                    "display_name, gender) VALUES (%s, 'x', 'female')",
                    (ERFURT,))
    app.rollback()
    assert stack.sql("SELECT version FROM ch.participant WHERE id = %s",
                     (target[0],))[0][0] == target[1]


def test_the_caller_ends_with_the_transaction(app):
    cur = as_caller(app, "assistant", GOTHA)
    assert count(cur, "participant") > 0
    app.commit()
    cur = app.cursor()
    assert count(cur, "participant") == 0
    app.rollback()


def test_audit_log_is_append_only_for_the_app(app):
    app.rollback()
    cur = app.cursor()
    with pytest.raises(psycopg2.Error):
        cur.execute("UPDATE ch.audit_log SET actor = 'x'")
    app.rollback()
    with pytest.raises(psycopg2.Error):
        cur.execute("DELETE FROM ch.audit_log")
    app.rollback()


# Connecting Women: mentee profiles, tandems and meetings.
WOMEN = ("mentee_profile", "tandem", "tandem_meeting")
DEMO_MENTOR_USER = "a0000000-0000-4000-8000-000000000007"


@pytest.mark.parametrize("table", WOMEN)
def test_women_tables_hidden_without_a_caller(stack, app, table):
    assert stack.sql("SELECT count(*) FROM ch.%s" % table)[0][0] > 0
    app.rollback()
    assert count(app.cursor(), table) == 0


@pytest.mark.parametrize("table", WOMEN)
def test_women_tables_staff_see_their_district(stack, app, table):
    total = stack.sql("SELECT count(*) FROM ch.%s WHERE district_id = %%s"
                      % table, (GOTHA,))[0][0]
    assert total > 0
    cur = as_caller(app, "coordinator", GOTHA)
    assert count(cur, table) == total
    assert count(cur, table, "district_id <> '%s'" % GOTHA) == 0


def test_mentor_sees_her_tandems_and_mentees_only(stack, app):
    mine = {r[0] for r in stack.sql(
        "SELECT participant_id::text FROM ch.tandem WHERE mentor_user_id "
        "= %s", (DEMO_MENTOR_USER,))}
    assert DEMO_PARTICIPANT in mine
    cur = as_caller(app, "mentor", ERFURT)
    cur.execute("SELECT ch.enter(%s::jsonb)", (psycopg2.extras.Json({
        "role": "mentor", "district": ERFURT, "user": DEMO_MENTOR_USER}),))
    cur.execute("SELECT DISTINCT participant_id::text FROM ch.tandem")
    assert {r[0] for r in cur.fetchall()} == mine
    cur.execute("SELECT id::text FROM ch.participant")
    assert {r[0] for r in cur.fetchall()} == mine
    cur.execute("SELECT participant_id::text FROM ch.mentee_profile")
    assert {r[0] for r in cur.fetchall()} <= mine
    assert count(cur, "tandem_meeting",
                 "mentor_user_id::text <> '%s'" % DEMO_MENTOR_USER) == 0
    assert count(cur, "participant_contact") == 0
    assert count(cur, "consent") == 0


# Every table under row-level security and the function that says who
# sees its rows: the entity's list and single read ask it, and so does its
# one read policy.
VISIBILITY = {
    "participant": "participant_visible",
    "participant_contact": "contact_visible",
    "consent": "consent_visible",
    "placement": "placement_visible",
    "mentee_profile": "mentee_visible",
    "tandem": "tandem_visible",
    "tandem_meeting": "meeting_visible",
    "proposal": "proposal_visible",
    "erasure_request": "erasure_visible",
    "problem_report": "problem_report_visible",
    "problem_report_comment": "problem_comment_visible",
}


def test_every_guarded_table_reads_through_its_visibility_function(stack):
    guarded = {t for (t,) in stack.sql(
        "SELECT relname FROM pg_class WHERE relnamespace = 'ch'::regnamespace"
        " AND relkind = 'r' AND relrowsecurity AND relforcerowsecurity")}
    assert guarded == set(VISIBILITY)
    for table, function in VISIBILITY.items():
        reads = stack.sql(
            "SELECT policyname, qual FROM pg_policies WHERE schemaname = 'ch'"
            " AND tablename = %s AND cmd = 'SELECT'", (table,))
        assert reads == [("read", "ch.%s(%s.*)" % (function, table))], \
            (table, reads)
        # The only other policies let rows be written; none is a second
        # description of who reads.
        others = stack.sql(
            "SELECT policyname, cmd FROM pg_policies WHERE schemaname = 'ch'"
            " AND tablename = %s AND policyname <> 'read'", (table,))
        assert all(cmd in ("ALL", "UPDATE") for _, cmd in others), others


KEYS = {"participant_contact": "participant_id",
        "mentee_profile": "participant_id"}


@pytest.fixture(scope="module")
def a_reviewed_proposal(api):
    """Demo data has no proposals: one suggest job, its best proposal
    approved, so that staff and the offer's side both see one. Nor
    erasure requests: one filed for the person and cancelled again; nor
    problem reports: one about her, with a comment."""
    who = callers(api)
    offer_for(api, who, "de")
    p = person(api, who, "de")
    _, proposals = suggest(api, who["assist"], p["id"])
    assert proposals, "no proposal for a German speaker"
    act(api, who["assist"], proposals[0]["id"], "approve")
    r = api.request("POST", "/v1/participants/%s/erasure" % p["id"],
                    headers=hdr(who["coord"].token), json={})
    assert r.status_code == 202, r.text
    r = api.request("POST", r.headers["Location"] + "/cancel",
                    headers=hdr(who["coord"].token), json={})
    assert r.status_code == 200, r.text
    # A problem report about the person, with a comment.
    r = api.request("POST", "/v1/problem-reports",
                    headers=hdr(who["assist"].token),
                    json={"participant_id": p["id"], "category": "health",
                          "description": "Kein Dolmetscher beim Arzt."})
    assert r.status_code == 201, r.text
    r = api.request("POST", r.headers["Location"] + "/comments",
                    headers=hdr(who["assist"].token),
                    json={"body": "Sprachmittlerpool angefragt."})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("table,function", sorted(VISIBILITY.items()))
def test_the_visibility_function_is_what_the_policy_lets_through(
        stack, app, a_reviewed_proposal, table, function):
    """For a caller of every kind, the rows the policies let through are
    exactly the rows the visibility function admits, read past the
    policies (as a superuser) with the same caller."""
    callers = [
        ("coordinator", dict(district=ERFURT)),
        ("assistant", dict(district=GOTHA)),
        ("organization", dict(organization=DEMO_ORG)),
        ("participant", dict(participant=DEMO_PARTICIPANT)),
        ("state_admin", {}),
    ]
    callers += [("mentor", dict(user=u)) for (u,) in stack.sql(
        "SELECT mentor_user_id::text FROM ch.tandem ORDER BY status, id"
        " LIMIT 2")]
    admin = psycopg2.connect(stack.admin_url())
    total = stack.sql("SELECT count(*) FROM ch.%s" % table)[0][0]
    sizes = []
    try:
        for role, who in callers:
            cur = as_caller(app, role, **who)
            key = KEYS.get(table, "id")
            cur.execute("SELECT %s::text FROM ch.%s" % (key, table))
            seen = sorted(r[0] for r in cur.fetchall())
            admin.rollback()
            acur = as_caller(admin, role, **who)
            acur.execute("SELECT %s::text FROM ch.%s x WHERE ch.%s(x)"
                         % (key, table, function))
            admitted = sorted(r[0] for r in acur.fetchall())
            assert seen == admitted, (table, role)
            sizes.append(len(seen))
    finally:
        admin.close()
    # Not vacuous: rows exist, and some caller sees some of them.
    assert total > 0 and max(sizes) > 0, (table, sizes, total)
