"""The Connecting Women report (/v1/reports/women) through HTTP: numbers
per district only, each the database's count. What a tandem's life adds
to it is checked in test_tandems.py.

Every answer is also validated against openapi/openapi.yaml by the `api`
client (conftest.py)."""

import re

import pytest

from women_util import (ERFURT, GOTHA, bearer, problem, report, report_of,
                        women_callers)

SIX = ["16051", "16062", "16064", "16065", "16067", "16073"]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                  r"[0-9a-f]{12}", re.I)


@pytest.fixture(scope="module")
def who(api):
    return women_callers(api)


def test_report_is_numbers_per_district_only(api, stack, who):
    admin = report(api, who["state_admin"].token)
    assert [d["district_id"] for d in admin["districts"]] == SIX
    mine = report(api, who["coordinator"].token)
    assert [d["district_id"] for d in mine["districts"]] == [ERFURT]
    theirs = report(api, who["gotha_coordinator"].token)
    assert [d["district_id"] for d in theirs["districts"]] == [GOTHA]
    assert mine["districts"][0] == report_of(admin, ERFURT)
    assert theirs["districts"][0] == report_of(admin, GOTHA)
    for role in ("assistant", "organization", "participant"):
        problem(api.get("/v1/reports/women",
                        headers=bearer(who[role].token)), 403, "forbidden")

    # The counts are the database's.
    for d in admin["districts"]:
        district = d["district_id"]
        mentors = dict(stack.sql("SELECT status, count(*) FROM ch.mentor"
                                 " WHERE district_id = %s GROUP BY 1",
                                 (district,)))
        assert d["mentors"] == {s: mentors.get(s, 0) for s in (
            "applied", "active", "paused", "retired")}
        # People count only while they consent to statistics.
        consented = (" AND EXISTS (SELECT 1 FROM ch.consent c WHERE"
                     " c.participant_id = x.participant_id AND c.purpose"
                     " = 'statistics' AND c.withdrawn_at IS NULL)")
        tandems = dict(stack.sql("SELECT status, count(*) FROM ch.tandem x"
                                 " WHERE district_id = %s" + consented +
                                 " GROUP BY 1", (district,)))
        assert d["tandems"] == {s: tandems.get(s, 0) for s in (
            "active", "completed", "ended_early")}
        outcomes = dict(stack.sql("SELECT outcome, count(*) FROM ch.tandem"
                                  " x WHERE district_id = %s AND outcome IS"
                                  " NOT NULL" + consented + " GROUP BY 1",
                                  (district,)))
        assert d["outcomes"] == {o: outcomes.get(o, 0) for o in (
            "job", "vocational_training", "internship", "studies",
            "language_course", "none")}
        assert d["mentees"] == stack.sql(
            "SELECT count(*) FROM ch.mentee_profile x WHERE district_id ="
            " %s" + consented, (district,))[0][0]
        assert d["meetings"] == stack.sql(
            "SELECT count(*) FROM ch.tandem_meeting x WHERE district_id ="
            " %s" + consented, (district,))[0][0]
        assert d["planned_events"] == stack.sql(
            "SELECT count(*) FROM ch.event WHERE district_id = %s AND"
            " status = 'planned'", (district,))[0][0]

    # Nothing in it names anybody: only district keys, field names and
    # numbers.
    def scan(node):
        if isinstance(node, dict):
            for k, v in node.items():
                assert re.fullmatch(r"[a-z_]+", k), k
                scan(v)
        elif isinstance(node, list):
            for v in node:
                scan(v)
        elif isinstance(node, str):
            assert node in SIX, node
        else:
            assert isinstance(node, int) and not isinstance(node, bool), node
    for body in (admin, mine, theirs):
        scan(body)
        assert not UUID.search(str(body))
