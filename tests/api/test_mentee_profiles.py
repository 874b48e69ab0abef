"""Mentee profiles (/v1/participants/{id}/mentee-profile) through HTTP:
PUT and PATCH with If-Match, a PUT with If-Match that does not create,
women only, and concurrent first PUTs that create one profile.

Every answer is also validated against openapi/openapi.yaml by the `api`
client (conftest.py); the race validates its answers with `spec`."""

import pytest

from women_util import (ERFURT, Caller, audit_rows, errors_of, grant, hdr,
                        mentee_body, merge_patch, new_participant, problem,
                        put_profile, race, read, unique, women_callers)


@pytest.fixture(scope="module")
def who(api):
    return women_callers(api)


def test_mentee_profile_put_patch_and_women_only(api, stack, who):
    asst = who["assistant"]
    p = new_participant(api, asst.token, display_name=unique("Oksana"))
    pid = p["id"]
    path = "/v1/participants/%s/mentee-profile" % pid
    grant(api, asst.token, pid, "matching", expect=201)
    assert read(api, asst.token, "/v1/participants/" + pid).json()[
        "consents"]["matching"] is True
    read(api, asst.token, path, expect=404)

    body = mentee_body()
    rid = unique("put")
    r = api.request("PUT", path, headers=hdr(asst.token, X_Request_Id=rid),
                    json=body)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == path
    assert r.headers["ETag"] == '"1"'
    mp = r.json()
    assert {k: mp[k] for k in body} == body
    assert (mp["participant_id"], mp["district_id"], mp["version"]) == \
        (pid, ERFURT, 1)
    assert read(api, asst.token, path).json() == mp
    assert audit_rows(stack, rid) == [
        (asst.id, "assistant", "mentee_profile.created", "participant", pid,
         ERFURT)]

    # A second PUT replaces (200, no Location); a stale If-Match is 412.
    r = put_profile(api, asst.token, pid, expect=200, german_level="b2",
                    goals=["studies"], qualification_level=None)
    assert "Location" not in r.headers
    assert r.headers["ETag"] == '"2"'
    mp = r.json()
    assert (mp["version"], mp["german_level"], mp["goals"],
            mp["qualification_level"]) == (2, "b2", ["studies"], None)
    problem(put_profile(api, asst.token, pid, expect=412, etag='"1"'), 412)
    put_profile(api, asst.token, pid, expect=200, etag='"2"',
                german_level="b2", goals=["studies"],
                qualification_level=None)
    assert stack.sql("SELECT version FROM ch.mentee_profile WHERE"
                     " participant_id = %s", (pid,)) == [(3,)]

    # PATCH: If-Match required, merge patch.
    problem(merge_patch(api, asst.token, path, {"german_level": "c1"},
                        etag=None, expect=428), 428)
    problem(merge_patch(api, asst.token, path, {"german_level": "c1"},
                        etag='"2"', expect=412), 412)
    r = merge_patch(api, asst.token, path,
                    {"german_level": "c1", "highest_qualification": None,
                     "availability": {"fri": ["afternoon"]}}, etag='"3"')
    mp = r.json()
    assert r.headers["ETag"] == '"4"'
    assert (mp["version"], mp["german_level"], mp["highest_qualification"],
            mp["availability"], mp["goals"], mp["work_permit"],
            mp["target_occupational_field"]) == \
        (4, "c1", None, {"tue": ["morning"], "fri": ["afternoon"]},
         ["studies"], "allowed", "8311")
    assert stack.sql("SELECT german_level, highest_qualification FROM"
                     " ch.mentee_profile WHERE participant_id = %s",
                     (pid,)) == [("c1", None)]
    # An unknown occupational field is 422 and changes nothing.
    b = problem(merge_patch(api, asst.token, path,
                            {"target_occupational_field": "99999"},
                            expect=422), 422)
    assert ("/target_occupational_field", "unknown") in errors_of(b)

    # The woman herself reads and changes her profile.
    herself = Caller.new(api, who["state_admin"], "participant", ERFURT,
                         participant_id=pid)
    assert read(api, herself.token, path).json()["version"] == 4
    assert merge_patch(api, herself.token, path, {"goals": [
        "job_search", "networking"]}).json()["goals"] == \
        ["job_search", "networking"]


@pytest.mark.parametrize("tag", ['"1"', "*"])
def test_a_put_with_if_match_does_not_create(api, stack, who, tag):
    """RFC 9110 13.1.1: If-Match is false when there is no current
    representation (for "*" and for any entity tag), and the server must
    not perform the method: 412, no profile."""
    asst = who["assistant"]
    pid = new_participant(api, asst.token)["id"]
    problem(put_profile(api, asst.token, pid, expect=412, etag=tag), 412,
            "precondition-failed")
    assert stack.sql("SELECT count(*) FROM ch.mentee_profile WHERE"
                     " participant_id = %s", (pid,)) == [(0,)]


@pytest.mark.parametrize("gender", ["male", "diverse", "undisclosed"])
def test_a_mentee_profile_is_for_women_only(api, stack, who, gender):
    asst = who["assistant"]
    pid = new_participant(api, asst.token, gender=gender)["id"]
    grant(api, asst.token, pid, "matching")
    b = problem(put_profile(api, asst.token, pid, expect=422), 422,
                "women-only")
    assert ("/participant_id", "women_only") in errors_of(b)
    assert stack.sql("SELECT count(*) FROM ch.mentee_profile WHERE"
                     " participant_id = %s", (pid,)) == [(0,)]
    read(api, asst.token, "/v1/participants/%s/mentee-profile" % pid,
         expect=404)


# ------------------------------------------------------------ races

def test_concurrent_first_puts_create_one_profile(api, stack, spec, who):
    asst = who["assistant"]
    pid = new_participant(api, asst.token)["id"]
    path = "/v1/participants/%s/mentee-profile" % pid
    answers = race(api, spec, [
        ("PUT", path, asst.token, mentee_body(german_level=level))
        for level in ("a1", "a2", "b1", "b2", "c1")])
    assert sorted(a.status_code for a in answers) == [200] * 4 + [201], \
        [(a.status_code, a.text) for a in answers]
    assert sorted(a.json()["version"] for a in answers) == [1, 2, 3, 4, 5]
    last = max(answers, key=lambda a: a.json()["version"]).json()
    assert stack.sql("SELECT version, german_level FROM ch.mentee_profile"
                     " WHERE participant_id = %s", (pid,)) == \
        [(5, last["german_level"])]
