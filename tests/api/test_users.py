"""The accounts (/v1/users) and the caller's own (/v1/me), served by the
generic handlers over db/functions/identity.sql, and the role rules of
every identity route: each role, against an object of its own district
and of another one."""

import os
import uuid

import pytest

from authutil import DEMO_PASSWORD, ERFURT, GOTHA, bearer, login, token_for

DEMO_ORGANIZATION = "b0000000-0000-4000-8000-000000000001"

ROLES = ["state_admin", "coordinator", "assistant", "organization", "mentor",
         "participant"]
STAFF_ADMINS = {"state_admin", "coordinator"}


@pytest.fixture(scope="module")
def tokens(api):
    return {role: token_for(api, role, ERFURT) for role in ROLES}


@pytest.fixture(scope="module")
def admin(tokens):
    return tokens["state_admin"]


def new_email(tag="u"):
    return "%s-%s@test.example" % (tag, uuid.uuid4().hex[:12])


def create(api, token, expect=201, **fields):
    body = {"email": new_email(), "password": DEMO_PASSWORD,
            "role": "assistant", **fields}
    r = api.request("POST", "/v1/users", headers=bearer(token), json=body)
    assert r.status_code == expect, r.text
    return r


def patch(api, token, user_id, body, etag=None, **kw):
    headers = bearer(token)
    if etag is None:
        etag = api.get("/v1/users/" + user_id,
                       headers=bearer(kw.pop("reader", token))) \
            .headers.get("ETag", '"0"')
    if etag is not False:
        headers["If-Match"] = etag
    return api.request("PATCH", "/v1/users/" + user_id, headers=headers,
                       json=body)


@pytest.fixture(scope="module")
def targets(api, admin):
    """One assistant in Erfurt (the callers' district), one in Gotha."""
    return {d: create(api, admin, district_id=d).json()["id"]
            for d in (ERFURT, GOTHA)}


# ------------------------------------------------------------ role matrix

@pytest.mark.parametrize("role", ROLES)
def test_matrix_me(api, tokens, role):
    assert api.get("/v1/me", headers=bearer(tokens[role])).status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_matrix_me_password(api, tokens, role):
    # A too-short new password: every role reaches validation (422).
    r = api.request("POST", "/v1/me/password", headers=bearer(tokens[role]),
                    json={"current_password": DEMO_PASSWORD,
                          "new_password": "short"})
    assert r.status_code == 422


@pytest.mark.parametrize("role", ROLES)
def test_matrix_list(api, tokens, role):
    r = api.get("/v1/users", headers=bearer(tokens[role]))
    assert r.status_code == (200 if role in STAFF_ADMINS else 403)


@pytest.mark.parametrize("district", [ERFURT, GOTHA])
@pytest.mark.parametrize("role", ROLES)
def test_matrix_get(api, tokens, targets, role, district):
    r = api.get("/v1/users/" + targets[district],
                headers=bearer(tokens[role]))
    want = {"state_admin": 200,
            "coordinator": 200 if district == ERFURT else 404}
    assert r.status_code == want.get(role, 403)


@pytest.mark.parametrize("district", [ERFURT, GOTHA])
@pytest.mark.parametrize("role", ROLES)
def test_matrix_create(api, tokens, role, district):
    r = api.request("POST", "/v1/users", headers=bearer(tokens[role]),
                    json={"email": new_email(), "password": DEMO_PASSWORD,
                          "role": "assistant", "district_id": district})
    want = {"state_admin": 201,
            "coordinator": 201 if district == ERFURT else 403}
    assert r.status_code == want.get(role, 403), r.text


@pytest.mark.parametrize("district", [ERFURT, GOTHA])
@pytest.mark.parametrize("role", ROLES)
def test_matrix_patch(api, tokens, admin, targets, role, district):
    r = patch(api, tokens[role], targets[district], {"locale": "en"},
              reader=admin)
    want = {"state_admin": 200,
            "coordinator": 200 if district == ERFURT else 404}
    assert r.status_code == want.get(role, 403), r.text


@pytest.mark.parametrize("path,method", [
    ("/v1/me", "GET"), ("/v1/me/password", "POST"), ("/v1/users", "GET"),
    ("/v1/users", "POST"), ("/v1/users/%s" % uuid.uuid4(), "GET"),
    ("/v1/users/%s" % uuid.uuid4(), "PATCH"),
])
def test_every_identity_route_needs_a_token(api, path, method):
    r = api.request(method, path,
                    json={} if method in ("POST", "PATCH") else None)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="connecting-humans"'


# ------------------------------------------------------------ rules

@pytest.mark.parametrize("role", ["coordinator", "state_admin"])
def test_coordinator_cannot_create_privileged_roles(api, tokens, role):
    body = {"role": role}
    if role == "state_admin":
        body["district_id"] = None
    r = create(api, tokens["coordinator"], expect=403, **body)
    assert r.json()["type"] == "urn:ch:problem:forbidden"


def test_coordinator_creates_in_own_district_by_default(api, tokens):
    r = create(api, tokens["coordinator"], role="mentor")
    assert r.json()["district_id"] == ERFURT
    assert r.headers["Location"] == "/v1/users/" + r.json()["id"]
    assert r.headers["ETag"] == '"1"'


def test_coordinator_cannot_promote_or_move(api, tokens, admin):
    uid = create(api, admin, district_id=ERFURT).json()["id"]
    coord = tokens["coordinator"]
    assert patch(api, coord, uid, {"role": "coordinator"}).status_code == 403
    assert patch(api, coord, uid,
                 {"district_id": GOTHA}).status_code == 403
    assert patch(api, coord, uid, {"role": "mentor"}).status_code == 200


def test_coordinator_cannot_touch_other_coordinators(api, tokens, admin):
    other = create(api, admin, role="coordinator",
                   district_id=ERFURT).json()["id"]
    r = patch(api, tokens["coordinator"], other, {"disabled": True})
    assert r.status_code == 403


@pytest.mark.parametrize("change", [
    {"role": "assistant"}, {"district_id": GOTHA}, {"disabled": True}])
def test_nobody_changes_their_own_role_district_or_access(api, change):
    # Its own admin and coordinator, so the shared demo accounts stay.
    boss = token_for(api, "state_admin")
    for role, district in (("state_admin", None), ("coordinator", ERFURT)):
        email = new_email(role)
        create(api, boss, email=email, role=role, district_id=district)
        mine = login(api, email)["access_token"]
        my_id = api.get("/v1/me", headers=bearer(mine)).json()["subject"]
        r = patch(api, mine, my_id, change,
                  reader=boss if role == "coordinator" else mine)
        assert r.status_code == 403, (role, change, r.text)
        assert api.get("/v1/me", headers=bearer(mine)).status_code == 200


def test_admin_may_change_own_locale(api):
    boss = token_for(api, "state_admin")
    email = new_email("admin")
    create(api, boss, email=email, role="state_admin", district_id=None)
    mine = login(api, email)["access_token"]
    my_id = api.get("/v1/me", headers=bearer(mine)).json()["subject"]
    r = patch(api, mine, my_id, {"locale": "uk"})
    assert r.status_code == 200 and r.json()["locale"] == "uk"


# ------------------------------------------------------------ PATCH

def test_patch_needs_if_match_and_checks_it(api, admin):
    uid = create(api, admin, district_id=ERFURT).json()["id"]
    r = patch(api, admin, uid, {"locale": "ar"}, etag=False)
    assert r.status_code == 428
    r = patch(api, admin, uid, {"locale": "ar"}, etag='"99"')
    assert r.status_code == 412
    r = patch(api, admin, uid, {"locale": "ar"}, etag='W/"1"')
    assert r.status_code == 412
    r = patch(api, admin, uid, {"locale": "ar"}, etag='"1"')
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'
    assert r.json()["version"] == 2
    # The old tag is stale now.
    assert patch(api, admin, uid, {"locale": "fa"},
                 etag='"1"').status_code == 412
    assert patch(api, admin, uid, {"locale": "fa"},
                 etag='"7", "2"').status_code == 200


def test_if_match_refusals_come_from_sql_and_change_nothing(api, stack,
                                                         admin):
    uid = create(api, admin, district_id=ERFURT).json()["id"]
    row = "SELECT version, locale FROM ch.app_user WHERE id = %s"
    before = stack.sql(row, (uid,))
    r = patch(api, admin, uid, {"locale": "ar"}, etag=False)
    assert r.status_code == 428
    assert r.json()["type"] == "urn:ch:problem:precondition-required"
    # Another version, a weak tag, a leading zero, not a tag at all.
    for stale in ('"2"', 'W/"1"', '"01"', "1", "garbage"):
        r = patch(api, admin, uid, {"locale": "ar"}, etag=stale)
        assert r.status_code == 412, (stale, r.text)
        assert r.json()["type"] == "urn:ch:problem:precondition-failed"
    assert stack.sql(row, (uid,)) == before
    assert stack.sql("SELECT count(*) FROM ch.audit_log WHERE action = "
                     "'user.updated' AND entity_id = %s", (uid,)) == [(0,)]
    # "*": whatever the version is now.
    r = patch(api, admin, uid, {"locale": "ar"}, etag="*")
    assert r.status_code == 200 and r.json()["version"] == 2


def test_rights_are_checked_before_the_version(api, tokens, admin):
    """A caller who may not change an account learns nothing of its
    version: 403 whatever If-Match says."""
    other = create(api, admin, role="coordinator",
                   district_id=ERFURT).json()["id"]
    for etag in ('"1"', '"99"'):
        r = patch(api, tokens["coordinator"], other, {"locale": "en"},
                  etag=etag)
        assert r.status_code == 403, (etag, r.text)


def test_coordinator_cannot_create_a_state_admin(api, stack, tokens):
    email = new_email("sa")
    r = api.request("POST", "/v1/users", headers=bearer(tokens["coordinator"]),
                    json={"email": email, "password": DEMO_PASSWORD,
                          "role": "state_admin", "district_id": None})
    assert r.status_code == 403, r.text
    assert r.json()["type"] == "urn:ch:problem:forbidden"
    assert "assistants, organisation representatives and mentors" in \
        r.json()["detail"]
    assert stack.sql("SELECT count(*) FROM ch.app_user WHERE "
                     "lower(email) = lower(%s)", (email,)) == [(0,)]
    # Left out, district_id is the coordinator's, which a state admin
    # cannot have.
    r = create(api, tokens["coordinator"], expect=422, email=email,
               role="state_admin")
    assert [e["code"] for e in r.json()["errors"]] == ["must_be_null"]


def kore_cpu_seconds(stack):
    """CPU time Kore's workers (their task threads included) have used
    so far: the children of the parent in kore.pid."""
    with open(os.path.join(stack.run_dir, "kore.pid")) as f:
        parent = f.read().split()[0]
    ticks = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        if fields[1] == parent:                         # ppid
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def test_a_refused_account_costs_no_password_hash(api, stack, tokens, admin):
    """The rights and the fields are checked before the password is
    hashed: six refused creations cost less CPU than three accepted
    ones, each of which hashes a password (Argon2id)."""
    before = kore_cpu_seconds(stack)
    for _ in range(3):
        create(api, admin, district_id=ERFURT)
    accepted = kore_cpu_seconds(stack) - before

    before = kore_cpu_seconds(stack)
    for _ in range(3):
        create(api, tokens["coordinator"], expect=403, role="state_admin",
               district_id=None)
        create(api, tokens["coordinator"], expect=403, role="coordinator")
    refused = kore_cpu_seconds(stack) - before
    assert refused < accepted, (refused, accepted)


def test_coordinator_cannot_move_an_account_out_of_reach(api, stack, tokens,
                                                        admin):
    uid = create(api, admin, district_id=ERFURT).json()["id"]
    row = "SELECT role, district_id, version FROM ch.app_user WHERE id = %s"
    before = stack.sql(row, (uid,))
    for change in ({"role": "state_admin", "district_id": None},
                   {"district_id": GOTHA}, {"role": "participant"}):
        r = patch(api, tokens["coordinator"], uid, change)
        assert r.status_code in (403, 422), (change, r.text)
    assert stack.sql(row, (uid,)) == before


def test_the_password_reaches_sql_only_as_its_hash(api, stack, admin):
    """The prepare step hashes it on a task thread; POST /v1/users takes
    no Idempotency-Key (the contract names none), so no fast hash of a
    body holding the password is stored either."""
    email, key = new_email(), "users-%s" % uuid.uuid4().hex
    body = {"email": email, "password": DEMO_PASSWORD, "role": "mentor",
            "district_id": GOTHA}
    r = api.request("POST", "/v1/users",
                    headers={**bearer(admin), "Idempotency-Key": key},
                    json=body)
    assert r.status_code == 201, r.text
    [(stored,)] = stack.sql("SELECT password_hash FROM ch.app_user WHERE "
                            "id = %s", (r.json()["id"],))
    assert stored.startswith("$argon2id$") and DEMO_PASSWORD not in stored
    assert stack.sql("SELECT count(*) FROM ch.idempotency WHERE key = %s",
                     (key,)) == [(0,)]
    r = api.request("POST", "/v1/users",
                    headers={**bearer(admin), "Idempotency-Key": key},
                    json=body)
    assert r.status_code == 409
    login(api, email)


def test_a_hash_cannot_be_sent_for_a_password(api, stack, admin):
    """password_hash is what the prepare step gives SQL; the contract
    refuses it from a client."""
    email = new_email()
    r = api.request("POST", "/v1/users", headers=bearer(admin), json={
        "email": email, "password": DEMO_PASSWORD, "role": "mentor",
        "district_id": GOTHA, "password_hash": "$argon2id$v=19$forged"})
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == \
        [("/password_hash", "unknown_field")]
    r = api.request("POST", "/v1/me/password", headers=bearer(
        token_for(api, "mentor")), json={
        "current_password": DEMO_PASSWORD, "new_password": "x" * 12,
        "password_hash": "$argon2id$v=19$forged"})
    assert r.status_code == 422
    assert stack.sql("SELECT count(*) FROM ch.app_user WHERE "
                     "lower(email) = lower(%s)", (email,)) == [(0,)]


@pytest.mark.parametrize("field,value", [
    ("password", "twelve chars\x01"), ("email", "a\x7fb@x.example"),
    ("email", "a]b@x.example"), ("email", "a\\b@x.example")])
def test_control_characters_and_specials_are_refused(api, admin, field,
                                                     value):
    body = {"email": new_email(), "password": DEMO_PASSWORD,
            "role": "mentor", "district_id": GOTHA}
    body[field] = value
    r = api.request("POST", "/v1/users", headers=bearer(admin), json=body)
    assert r.status_code == 422, r.text
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == \
        [("/" + field, "pattern")]


def test_patch_is_a_merge_patch(api, admin):
    org = DEMO_ORGANIZATION
    uid = create(api, admin, role="organization", district_id=ERFURT,
                 organization_id=org).json()["id"]
    # Leaving the organization role needs the link cleared too.
    r = patch(api, admin, uid, {"role": "assistant"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "/organization_id"
    r = patch(api, admin, uid, {"role": "assistant",
                                "organization_id": None})
    assert r.status_code == 200
    body = r.json()
    assert (body["role"], body["organization_id"], body["district_id"]) == \
        ("assistant", None, ERFURT)


@pytest.mark.parametrize("body,field", [
    ({"nickname": "x"}, "/nickname"),
    ({"email": None}, "/email"),
    ({"email": "not-an-address"}, "/email"),
    ({"role": "king"}, "/role"),
    ({"role": None}, "/role"),
    ({"locale": "xx"}, "/locale"),
    ({"disabled": "yes"}, "/disabled"),
    ({"district_id": "1605"}, "/district_id"),
    ({"organization_id": "nope"}, "/organization_id"),
    ({"district_id": None}, "/district_id"),
    ({"district_id": "16099"}, "/district_id"),
])
def test_patch_validation(api, admin, targets, body, field):
    r = patch(api, admin, targets[ERFURT], body)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]


def test_patch_unknown_and_malformed_ids(api, admin):
    assert patch(api, admin, str(uuid.uuid4()), {"locale": "de"},
                 etag='"1"').status_code == 404
    r = api.request("PATCH", "/v1/users/not-a-uuid",
                    headers={**bearer(admin), "If-Match": '"1"'},
                    json={"locale": "de"})
    assert r.status_code == 400


def test_patch_to_a_taken_email_conflicts(api, admin):
    taken = new_email()
    create(api, admin, email=taken, district_id=ERFURT)
    uid = create(api, admin, district_id=ERFURT).json()["id"]
    r = patch(api, admin, uid, {"email": taken.upper()})
    assert r.status_code == 409


# ------------------------------------------------------------ POST

@pytest.mark.parametrize("body,field", [
    ({"email": None}, "/email"),
    ({"password": "short"}, "/password"),
    ({"password": None}, "/password"),
    ({"role": "root"}, "/role"),
    ({"district_id": "16099"}, "/district_id"),
    ({"district_id": None}, "/district_id"),
    ({"role": "state_admin", "district_id": ERFURT}, "/district_id"),
    ({"role": "organization"}, "/organization_id"),
    ({"role": "participant"}, "/participant_id"),
    ({"organization_id": str(uuid.uuid4())}, "/organization_id"),
    # An organisation that does not exist, or of another district.
    ({"role": "organization", "organization_id": str(uuid.uuid4())},
     "/organization_id"),
    ({"role": "organization", "district_id": "16067",
      "organization_id": "b0000000-0000-4000-8000-000000000001"},
     "/organization_id"),
    ({"role": "participant", "participant_id": str(uuid.uuid4())},
     "/participant_id"),
    ({"locale": "klingon"}, "/locale"),
    ({"admin": True}, "/admin"),
    ({"email": "a@b"}, "/email"),
    ({"email": "two@@at.example"}, "/email"),
    ({"email": "sp ace@x.example"}, "/email"),
])
def test_create_validation(api, admin, stack, body, field):
    before = stack.sql("SELECT count(*) FROM ch.app_user")
    full = {"email": new_email(), "password": DEMO_PASSWORD,
            "role": "assistant", "district_id": ERFURT}
    full.update(body)
    r = api.request("POST", "/v1/users", headers=bearer(admin), json=full)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert stack.sql("SELECT count(*) FROM ch.app_user") == before


def test_create_duplicate_email_conflicts(api, admin):
    email = new_email()
    create(api, admin, email=email, district_id=ERFURT)
    r = create(api, admin, expect=409, email=email.upper(),
               district_id=GOTHA)
    assert r.json()["type"] == "urn:ch:problem:conflict"


def test_created_account_can_sign_in(api, admin):
    email = new_email()
    create(api, admin, email=email, role="mentor", district_id=GOTHA,
           locale="ar")
    body = api.get("/v1/me", headers=bearer(
        login(api, email)["access_token"])).json()
    assert (body["role"], body["district_id"], body["user"]["locale"]) == \
        ("mentor", GOTHA, "ar")


# ------------------------------------------------------------ GET

def test_list_filters_and_pages(api, admin):
    tag = uuid.uuid4().hex[:6]
    made = [create(api, admin, email="p%d-%s@test.example" % (i, tag),
                   district_id=GOTHA, role="mentor").json()["id"]
            for i in range(5)]
    seen, cursor = [], None
    while True:
        q = "/v1/users?role=mentor&district_id=%s&limit=2" % GOTHA
        body = api.get(q + ("&cursor=" + cursor if cursor else ""),
                       headers=bearer(admin)).json()
        assert len(body["items"]) <= 2
        assert all(u["role"] == "mentor" and u["district_id"] == GOTHA
                   for u in body["items"])
        seen += [u["id"] for u in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert set(made) <= set(seen) and len(seen) == len(set(seen))
    emails = [u["email"] for u in api.get(
        "/v1/users?email=P0-%s@TEST.example" % tag,
        headers=bearer(admin)).json()["items"]]
    assert emails == ["p0-%s@test.example" % tag]


def test_coordinator_lists_own_district_only(api, tokens):
    coord = tokens["coordinator"]
    items = api.get("/v1/users?limit=100", headers=bearer(coord)) \
        .json()["items"]
    assert items and all(u["district_id"] == ERFURT for u in items)
    assert api.get("/v1/users?district_id=" + GOTHA,
                   headers=bearer(coord)).json()["items"] == []


@pytest.mark.parametrize("query", [
    "role=king", "district_id=1", "disabled=maybe", "email=a", "limit=0",
    "cursor=zzz", "sort=email", "role=mentor&role=assistant"])
def test_list_refuses_bad_parameters(api, admin, query):
    r = api.get("/v1/users?" + query, headers=bearer(admin))
    assert r.status_code == 400


def test_user_changes_are_audited(api, stack, admin):
    rid = "users-%s" % uuid.uuid4().hex[:8]
    r = api.request("POST", "/v1/users",
                    headers={**bearer(admin), "X-Request-Id": rid},
                    json={"email": new_email(), "password": DEMO_PASSWORD,
                          "role": "assistant", "district_id": GOTHA})
    uid = r.json()["id"]
    r = api.request("PATCH", "/v1/users/" + uid,
                    headers={**bearer(admin), "X-Request-Id": rid,
                             "If-Match": r.headers["ETag"]},
                    json={"role": "mentor"})
    assert r.status_code == 200
    rows = stack.sql("SELECT action, actor_role, district_id, detail "
                     "FROM ch.audit_log WHERE request_id = %s ORDER BY id",
                     (rid,))
    assert [r[:3] for r in rows] == [
        ("user.created", "state_admin", GOTHA),
        ("user.updated", "state_admin", GOTHA)]
    assert rows[1][3]["changed"] == ["role"]
    assert rows[1][3]["previous_role"] == "assistant"
    # Append-only, even for the table's owner.
    with pytest.raises(Exception):
        stack.sql("DELETE FROM ch.audit_log WHERE request_id = %s", (rid,))


def test_nul_in_a_string_is_refused_not_cut(api, admin, stack, targets):
    """cJSON would end "de\\u0000xx" at the NUL and store "de"."""
    uid = targets[ERFURT]
    before = stack.sql("SELECT version, locale FROM ch.app_user "
                       "WHERE id = %s", (uid,))
    for body, field in (('{"locale": "de\\u0000xx"}', "/locale"),
                        ('{"locale": "de", "x": {"y": ["\\u0000"]}}', "/x")):
        etag = api.get("/v1/users/" + uid, headers=bearer(admin)) \
            .headers["ETag"]
        r = api.request("PATCH", "/v1/users/" + uid, data=body.encode(),
                        headers={**bearer(admin), "If-Match": etag,
                                 "Content-Type": "application/json"})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == field
        assert r.json()["errors"][0]["code"] == "control_character"
    assert stack.sql("SELECT version, locale FROM ch.app_user "
                     "WHERE id = %s", (uid,)) == before


def test_an_escaped_backslash_u0000_is_text(api):
    # The JSON text "ab\\u0000cd" is a backslash followed by "u0000cd".
    r = api.request("POST", "/v1/auth/token",
                    data=b'{"email": "x@y.example", '
                         b'"password": "ab\\\\u0000cd"}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 401
