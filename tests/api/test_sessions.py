"""Sign-in, refresh rotation with reuse detection and sign-out
(api/sessions.c), the password change (POST /v1/me/password), throttling
and disabled accounts."""

import concurrent.futures
import uuid

import pytest
import requests

from authutil import (AUDIENCE, DEMO_PASSWORD, ERFURT, ISSUER, bearer,
                      claims_of, demo_email, header_of, login, token_for)

NEW_PASSWORD = "a-brand-new-password-2026"


@pytest.fixture
def account(api, stack):
    """A fresh assistant in Erfurt, so tests may lock, disable or re-key
    it without touching the shared demo accounts."""
    admin = token_for(api, "state_admin")
    email = "t-%s@test.example" % uuid.uuid4().hex[:12]
    r = api.request("POST", "/v1/users", headers=bearer(admin), json={
        "email": email, "password": DEMO_PASSWORD, "role": "assistant",
        "district_id": ERFURT})
    assert r.status_code == 201, r.text
    return {"email": email, "id": r.json()["id"], "admin": admin}


def audit(stack, action, entity_id):
    return stack.sql("SELECT actor, request_id, detail FROM ch.audit_log "
                     "WHERE action = %s AND entity_id = %s ORDER BY id",
                     (action, entity_id))


def me(api, token):
    return api.get("/v1/me", headers=bearer(token))


def test_sign_in_answers_a_token_pair(api):
    body = login(api, demo_email("coordinator", ERFURT))
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["refresh_expires_in"] == 14 * 24 * 3600
    h, c = header_of(body["access_token"]), claims_of(body["access_token"])
    assert h == {"alg": "HS256", "typ": "JWT"}
    assert (c["iss"], c["aud"], c["role"], c["district"]) == \
        (ISSUER, AUDIENCE, "coordinator", ERFURT)
    assert c["exp"] - c["iat"] == 900
    uuid.UUID(c["sub"]), uuid.UUID(c["sid"])
    # No personal data in the token.
    assert set(c) == {"iss", "aud", "sub", "role", "district", "sid", "jti",
                      "iat", "exp"}
    assert "demo.example" not in str(c)


def test_state_admin_token_has_null_district(api):
    c = claims_of(token_for(api, "state_admin"))
    assert c["role"] == "state_admin" and c["district"] is None


def test_me_describes_the_caller(api):
    r = me(api, token_for(api, "assistant", ERFURT))
    assert r.status_code == 200
    body = r.json()
    assert (body["source"], body["role"], body["district_id"]) == \
        ("local", "assistant", ERFURT)
    assert body["user"]["email"] == demo_email("assistant", ERFURT)
    assert body["subject"] == body["user"]["id"]


def test_email_is_case_insensitive(api):
    login(api, demo_email("mentor", ERFURT).upper())


def test_wrong_password_and_unknown_email_look_the_same(api, account):
    a = api.request("POST", "/v1/auth/token", json={
        "email": account["email"], "password": "wrong-password-1"})
    b = api.request("POST", "/v1/auth/token", json={
        "email": "nobody-%s@test.example" % uuid.uuid4().hex,
        "password": "wrong-password-1"})
    assert a.status_code == b.status_code == 401
    strip = lambda r: {k: v for k, v in r.json().items()
                       if k != "request_id"}
    assert strip(a) == strip(b)
    assert a.headers["WWW-Authenticate"] == b.headers["WWW-Authenticate"]
    assert a.json()["type"] == "urn:ch:problem:invalid-credentials"


@pytest.mark.parametrize("body,status,field", [
    ({}, 422, "/email"),
    ({"email": "x@y.example"}, 422, "/password"),
    ({"password": "p"}, 422, "/email"),
    ({"email": 5, "password": "p"}, 422, "/email"),
    ({"email": "x@y.example", "password": ""}, 422, "/password"),
    ({"email": "x@y.example", "password": "p", "remember": True}, 422,
     "/remember"),
    ({"email": "x" * 300 + "@y.example", "password": "p"}, 422, "/email"),
    ({"email": "x@y.example", "password": "p" * 257}, 422, "/password"),
    ({"email": "x\u0000@y.example", "password": "p"}, 422, "/email"),
])
def test_sign_in_validation(api, body, status, field):
    r = api.request("POST", "/v1/auth/token", json=body)
    assert r.status_code == status
    assert field in [e["field"] for e in r.json()["errors"]]


@pytest.mark.parametrize("data,ctype,status", [
    (b'{"email": "a@b.example", "password": "x"}', "text/plain", 415),
    (b'{"email": "a@b.example", "password": "x"}', None, 415),
    (b"", "application/json", 400),
    (b"{", "application/json", 400),
    (b"[]", "application/json", 400),
    (b'"x"', "application/json", 400),
    (b"\xff\xfe{}", "application/json", 400),
    (b"[" * 40 + b"]" * 40, "application/json", 400),
    (b'{"a":' * 33 + b"1" + b"}" * 33, "application/json", 400),
])
def test_sign_in_refuses_bad_bodies(api, data, ctype, status):
    headers = {"Content-Type": ctype} if ctype else {}
    r = api.request("POST", "/v1/auth/token", data=data, headers=headers)
    assert r.status_code == status


def test_refresh_rotates_and_reuse_revokes_the_family(api, stack, account):
    first = login(api, account["email"])
    r = api.request("POST", "/v1/auth/refresh",
                    json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert claims_of(second["access_token"])["sid"] == \
        claims_of(first["access_token"])["sid"]
    assert me(api, second["access_token"]).status_code == 200

    # The used token again: someone copied it. The whole family ends.
    r = api.request("POST", "/v1/auth/refresh",
                    json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 401
    assert "already used" in r.json()["detail"]
    r = api.request("POST", "/v1/auth/refresh",
                    json={"refresh_token": second["refresh_token"]})
    assert r.status_code == 401
    assert me(api, second["access_token"]).status_code == 401
    assert me(api, first["access_token"]).status_code == 401

    rows = audit(stack, "token_family.revoked", account["id"])
    assert [row[2]["reason"] for row in rows] == ["reuse"]
    # Another sign-in of the same account is unaffected.
    assert me(api, login(api, account["email"])["access_token"]) \
        .status_code == 200


def test_refresh_token_is_stored_only_as_hash(api, stack, account):
    pair = login(api, account["email"])
    rows = stack.sql("SELECT encode(token_hash, 'hex') FROM "
                     "ch.refresh_token r JOIN ch.token_family f "
                     "ON f.id = r.family_id WHERE f.user_id = %s",
                     (account["id"],))
    assert rows and all(len(h) == 64 for (h,) in rows)
    assert pair["refresh_token"] not in str(rows)


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 256])
def test_refresh_with_unknown_token_is_401(api, token):
    r = api.request("POST", "/v1/auth/refresh",
                    json={"refresh_token": token})
    assert r.status_code == (422 if token == "" else 401)


def test_logout_ends_the_session_at_once(api, account):
    pair = login(api, account["email"])
    other = login(api, account["email"])
    assert me(api, pair["access_token"]).status_code == 200
    r = api.request("POST", "/v1/auth/logout",
                    json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 204
    assert me(api, pair["access_token"]).status_code == 401
    r = api.request("POST", "/v1/auth/refresh",
                    json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 401
    # Idempotent, and quiet about tokens it does not know.
    for token in (pair["refresh_token"], "not-a-token"):
        r = api.request("POST", "/v1/auth/logout",
                        json={"refresh_token": token})
        assert r.status_code == 204
    assert me(api, other["access_token"]).status_code == 200


def test_password_change_ends_other_sessions(api, stack, account):
    mine = login(api, account["email"])
    other = login(api, account["email"])
    r = api.request("POST", "/v1/me/password",
                    headers=bearer(mine["access_token"]),
                    json={"current_password": DEMO_PASSWORD,
                          "new_password": NEW_PASSWORD})
    assert r.status_code == 204
    assert me(api, mine["access_token"]).status_code == 200
    assert me(api, other["access_token"]).status_code == 401
    r = api.request("POST", "/v1/auth/refresh",
                    json={"refresh_token": other["refresh_token"]})
    assert r.status_code == 401
    login(api, account["email"], expect=401)
    login(api, account["email"], NEW_PASSWORD)
    assert audit(stack, "user.password_changed", account["id"])


@pytest.mark.parametrize("body,field,code", [
    ({"current_password": "wrong-password-0", "new_password": NEW_PASSWORD},
     "/current_password", "mismatch"),
    ({"current_password": DEMO_PASSWORD, "new_password": "short"},
     "/new_password", "min_length"),
    ({"current_password": DEMO_PASSWORD, "new_password": DEMO_PASSWORD},
     "/new_password", "unchanged"),
    ({"current_password": DEMO_PASSWORD}, "/new_password", "required"),
    ({"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
      "x": 1}, "/x", "unknown_field"),
])
def test_password_change_validation(api, account, body, field, code):
    token = login(api, account["email"])["access_token"]
    r = api.request("POST", "/v1/me/password", headers=bearer(token),
                    json=body)
    assert r.status_code == 422
    assert {"field": field, "code": code} == \
        {k: r.json()["errors"][0][k] for k in ("field", "code")}
    login(api, account["email"])  # unchanged


def test_repeated_failures_are_throttled(api, stack, account):
    for _ in range(5):
        login(api, account["email"], "wrong-password-x", expect=401)
    r = api.request("POST", "/v1/auth/token", json={
        "email": account["email"], "password": DEMO_PASSWORD})
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 30
    assert r.json()["type"] == "urn:ch:problem:too-many-attempts"
    assert len(audit(stack, "login.failed", account["id"])) == 5
    # Other accounts are not affected.
    login(api, demo_email("assistant", ERFURT))


def test_unknown_addresses_are_throttled_alike(api):
    email = "ghost-%s@test.example" % uuid.uuid4().hex[:8]
    for _ in range(5):
        login(api, email, "wrong-password-x", expect=401)
    r = api.request("POST", "/v1/auth/token",
                    json={"email": email, "password": "x"})
    assert r.status_code == 429


def test_lock_expires(api, stack, account):
    for _ in range(5):
        login(api, account["email"], "wrong-password-x", expect=401)
    login(api, account["email"], expect=429)
    # Let the lock run out without waiting for it.
    stack.sql("UPDATE ch.login_throttle SET locked_until = now() "
              "WHERE email_key = lower(%s)", (account["email"],))
    login(api, account["email"])
    assert stack.sql("SELECT count(*) FROM ch.login_throttle WHERE "
                     "email_key = lower(%s)", (account["email"],)) == [(0,)]


def test_disabled_account_stops_at_once(api, stack, account):
    pair = login(api, account["email"])
    assert me(api, pair["access_token"]).status_code == 200
    etag = api.get("/v1/users/" + account["id"],
                   headers=bearer(account["admin"])).headers["ETag"]
    r = api.request("PATCH", "/v1/users/" + account["id"],
                    headers={**bearer(account["admin"]), "If-Match": etag},
                    json={"disabled": True})
    assert r.status_code == 200 and r.json()["disabled"] is True
    r = me(api, pair["access_token"])
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer ")
    r = api.request("POST", "/v1/auth/refresh",
                    json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 401
    login(api, account["email"], expect=401)
    reasons = [row[2]["reason"] for row in
               audit(stack, "token_family.revoked", account["id"])]
    assert reasons == ["disabled"]


def test_sign_in_is_audited(api, stack, account):
    rid = "audit-%s" % uuid.uuid4().hex[:8]
    r = api.request("POST", "/v1/auth/token", headers={"X-Request-Id": rid},
                    json={"email": account["email"],
                          "password": DEMO_PASSWORD})
    assert r.status_code == 200
    rows = stack.sql("SELECT actor, actor_role FROM ch.audit_log WHERE "
                     "action = 'login.succeeded' AND request_id = %s",
                     (rid,))
    assert rows == [(account["id"], "assistant")]


def test_signing_in_does_not_stall_other_requests(api, stack):
    """Hashing runs on task threads: health answers while sign-ins run."""
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        logins = [pool.submit(requests.post, stack.base + "/v1/auth/token",
                              json={"email": "nobody-%d@test.example" % i,
                                    "password": "x"}, timeout=30)
                  for i in range(6)]
        health = [api.get("/healthz").status_code for _ in range(20)]
        codes = sorted(f.result().status_code for f in logins)
    assert health == [200] * 20
    assert codes == [401] * 6
