"""Hostile and malformed requests: each gets a 4xx problem+json answer,
never a 5xx and never a dropped connection, and changes nothing."""

import json
import re
import socket

import jsonschema
import pytest

from authutil import DEMO_PASSWORD, ERFURT, bearer, demo_email, token_for

BAD_GETS = [
    # (path and query, status, field named in errors[] or None)
    ("/v1/places?cursor=notacursor", 400, "cursor"),
    ("/v1/places?cursor=", 400, "cursor"),
    ("/v1/places?cursor=%00", 400, None),
    ("/v1/places?cursor=WyJwbGFjZSJd", 400, "cursor"),      # ["place"]
    ("/v1/places?cursor=eyJhIjoxfQ", 400, "cursor"),        # {"a":1}
    ("/v1/places?cursor=WyJwbGFjZSIsMSwyLDNd", 400, "cursor"),  # numbers
    ("/v1/places?cursor=WyJwbGFjZSIsImEiLCJiIiwibm90LWEtdXVpZCJd", 400,
     "cursor"),                                             # bad uuid key
    ("/v1/places?cursor=" + "A" * 600, 400, "cursor"),
    ("/v1/places?limit=0", 400, "limit"),
    ("/v1/places?limit=101", 400, "limit"),
    ("/v1/places?limit=-1", 400, "limit"),
    ("/v1/places?limit=abc", 400, "limit"),
    ("/v1/places?limit=1e3", 400, "limit"),
    ("/v1/places?limit=%2B5", 400, "limit"),
    ("/v1/places?limit=99999999999999999999999", 400, "limit"),
    ("/v1/places?limit=", 400, "limit"),
    ("/v1/places?limit=5&limit=6", 400, "limit"),
    ("/v1/places?district=99999", 400, "district"),
    ("/v1/places?district=1605", 400, "district"),
    ("/v1/places?district=16051%27%20OR%201=1", 400, "district"),
    ("/v1/places?postal_code=abcde", 400, "postal_code"),
    ("/v1/places?postal_code=123456", 400, "postal_code"),
    ("/v1/places?q=", 400, "q"),
    ("/v1/places?q=" + "x" * 101, 400, "q"),
    ("/v1/places?q=" + "%C3%BC" * 101, 400, "q"),
    ("/v1/places?q=%ff%fe", 400, "q"),
    ("/v1/places?q=%C0%AF", 400, "q"),
    ("/v1/places?q=%ED%A0%80", 400, "q"),
    ("/v1/places?q=a%00b", 400, "q"),
    ("/v1/places?%00=1", 400, None),
    ("/v1/places?=1", 400, None),
    ("/v1/places?dsitrict=16051", 400, "dsitrict"),
    ("/v1/places?" + "&".join("a%d=1" % i for i in range(40)), 400, None),
    ("/v1/districts?cursor=bad", 400, "cursor"),
    ("/v1/districts?limit=0", 400, "limit"),
    ("/v1/districts?foo=bar", 400, "foo"),
    ("/v1/districts/abc", 400, "id"),
    ("/v1/districts/160510", 400, "id"),
    ("/v1/districts/16%2051", 400, "id"),
    ("/v1/districts/99999", 404, None),
    ("/v1/places/not-a-uuid", 400, "id"),
    ("/v1/places/00000000-0000-0000-0000-00000000000g", 400, "id"),
    ("/v1/places/" + "a" * 1500, 400, "id"),
    ("/v1/nothing", 404, None),
    ("/v2/districts", 404, None),
    ("/v1/districts/", 404, None),
    ("//v1/districts", 404, None),
    ("/v1/districts/16051/extra", 404, None),
    ("/" + "x/" * 40, 404, None),
]


@pytest.mark.parametrize("path,status,field", BAD_GETS)
def test_bad_get_is_a_clear_problem(api, path, status, field):
    r = api.get(path)
    assert r.status_code == status
    assert r.headers["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status
    assert body["request_id"] == r.headers["X-Request-Id"]
    if field is not None:
        assert [e["field"] for e in body["errors"]] == [field]


@pytest.mark.parametrize("method,path", [
    ("POST", "/v1/districts"), ("PUT", "/v1/districts/16051"),
    ("DELETE", "/v1/districts/16051"), ("PATCH", "/v1/places"),
    ("POST", "/healthz"), ("DELETE", "/readyz"), ("PUT", "/v1"),
    ("POST", "/openapi.json"),
])
def test_wrong_method_is_405_with_allow(api, method, path):
    r = api.request(method, path, data=b"{}" if method != "DELETE" else None)
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert r.json()["type"] == "urn:ch:problem:method-not-allowed"


def test_options_lists_the_methods(api):
    r = api.request("OPTIONS", "/v1/places")
    assert r.status_code == 204
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS"


def raw(stack, data, timeout=10):
    """Sends bytes as they are and returns everything the server answers
    until it closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", stack.port), timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                chunks.append(c)
                if b"\r\n\r\n" in b"".join(chunks) and \
                        b"connection: close" not in b"".join(chunks).lower():
                    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            if len(body) >= int(line.split(b":")[1]):
                                return b"".join(chunks)
        except (socket.timeout, ConnectionResetError):
            pass
    return b"".join(chunks)


def status_of(answer):
    return int(answer.split(b" ", 2)[1])


def test_delete_with_a_body_is_refused_and_the_connection_closed(stack):
    smuggled = b"GET /v1/districts/16051 HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = raw(stack, b"DELETE /v1/districts/16051 HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(smuggled) + smuggled)
    assert status_of(answer) == 400
    assert b"connection: close" in answer.lower()
    # The smuggled request was never answered.
    assert answer.count(b"HTTP/1.1 ") == 1


def test_invalid_utf8_and_nul_in_the_raw_path(stack):
    for path in (b"/v1/districts/\xff\xfe", b"/v1/places?q=\xc3(",
                 b"/v1/places?q=a\x01b", b"/v1/places?q=%zz",
                 b"/v1/places?q=%4", b"/v1/places?q=a%7Fb"):
        answer = raw(stack, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert 400 <= status_of(answer) < 500, answer[:200]


def test_the_server_limits_are_4xx_not_crashes(stack, api):
    # Longer than Kore's request-line limit (2000 bytes): Kore answers 414
    # itself, without a body (documented in the contract's description).
    answer = raw(stack, b"GET /v1/places?q=" + b"a" * 3000 +
                 b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_of(answer) == 414
    # Headers beyond http_header_max: 4xx (or a closed connection), and the
    # server keeps serving.
    answer = raw(stack, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " +
                 b"a" * 20000 + b"\r\n\r\n")
    assert answer == b"" or 400 <= status_of(answer) < 500
    assert api.get("/healthz").status_code == 200


def test_request_id_is_kept_when_sane_and_replaced_otherwise(api):
    r = api.get("/healthz", headers={"X-Request-Id": "portal-42.a:b"})
    assert r.headers["X-Request-Id"] == "portal-42.a:b"
    for bad in ("x" * 65, "two words", "<script>", "a;b", "{}"):
        r = api.get("/v1/districts/0", headers={
            "X-Request-Id": bad.encode("utf-8")})
        assert r.headers["X-Request-Id"] != bad
        assert r.json()["request_id"] == r.headers["X-Request-Id"]


def test_bad_requests_change_nothing(api, stack):
    before = stack.sql("SELECT count(*), max(updated_at) FROM ch.place")
    for path, _, _ in BAD_GETS:
        api.get(path)
    assert stack.sql("SELECT count(*), max(updated_at) FROM ch.place") == \
        before


def test_access_log_has_one_json_line_per_request(api, stack):
    rid = "log-check-1"
    api.get("/v1/places?q=secret-name", headers={"X-Request-Id": rid})
    lines = [json.loads(l) for l in stack.kore_log().splitlines()
             if l.startswith("{") and rid in l]
    assert len(lines) == 1
    line = lines[0]
    assert (line["method"], line["route"], line["status"]) == \
        ("GET", "/v1/places", 200)
    assert line["duration_ms"] >= 0
    assert "secret-name" not in json.dumps(line)


def test_access_log_names_the_route_not_the_path(api, stack):
    """A path holds ids of people; the log keeps the route's pattern, and
    a request no route took is "unmatched", whatever its path said."""
    place = api.get("/v1/places?limit=1").json()["items"][0]["id"]
    api.get("/v1/places/" + place, headers={"X-Request-Id": "log-check-2"})
    api.get("/v1/no-such-thing/Maria-Muster",
            headers={"X-Request-Id": "log-check-3"})
    log = stack.kore_log()
    lines = {json.loads(l)["request_id"]: json.loads(l)
             for l in log.splitlines() if '"log-check-' in l}
    assert lines["log-check-2"]["route"] == "/v1/places/{id}"
    assert (lines["log-check-3"]["route"], lines["log-check-3"]["status"]) \
        == ("unmatched", 404)
    assert place not in log and "Maria-Muster" not in log


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "DELETE"])
def test_body_on_a_bodiless_method_is_refused_and_closes(stack, method):
    """Kore reads no body for these methods; its bytes must not be parsed
    as the next request on a kept-alive connection (smuggling)."""
    smuggled = b"GET /v1/places/x HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", stack.port), 10) as s:
        s.sendall(b"%s /v1/districts HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: %d\r\n\r\n%s"
                  % (method.encode(), len(smuggled), smuggled))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 400")
    assert data.count(b"HTTP/1.1") == 1, data



def exchange(stack, parts, quiet=3):
    """Sends each part as it is, reading what comes back in between (as
    a proxy forwards a body after the headers); returns everything the
    server answered and whether it closed the connection (rather than
    going quiet for `quiet` seconds with the connection kept alive)."""
    got = b""
    with socket.create_connection(("127.0.0.1", stack.port), 10) as s:
        for i, part in enumerate(parts):
            try:
                s.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                return got, True
            s.settimeout(quiet if i == len(parts) - 1 else 0.5)
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        return got, True
                    got += chunk
            except socket.timeout:
                pass
            except ConnectionResetError:
                return got, True
    return got, False


# A request that a proxy honouring Transfer-Encoding forwards as the
# chunked body, and that a server not reading it takes for the next one.
SMUGGLED = b"GET /v1/districts/16051 HTTP/1.1\r\nHost: x\r\n\r\n"
CHUNK_SIZE = b"%x\r\n" % len(SMUGGLED)
CHUNK_REST = SMUGGLED + b"\r\n0\r\n\r\n"


@pytest.mark.parametrize("method,path,length", [
    ("GET", "/v1/districts", False),
    ("HEAD", "/v1/districts", False),
    ("OPTIONS", "/v1/districts", False),
    ("DELETE", "/v1/districts/16051", False),
    # Kore frames these by Content-Length alone: the chunk-size line is
    # the whole body, and the chunk itself would be the next request.
    ("POST", "/v1/auth/token", True),
    ("PUT", "/v1/districts/16051", True),
    ("PATCH", "/v1/users/00000000-0000-0000-0000-000000000000", True),
])
def test_transfer_encoding_is_refused_and_closes(stack, method, path, length):
    """Kore 4.1 does not read chunked bodies: behind a proxy that does,
    the chunk would be parsed as the next request (smuggling)."""
    head = b"%s %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" \
        % (method.encode(), path.encode())
    if length:
        head += b"Content-Length: %d\r\n" % len(CHUNK_SIZE)
    answer, closed = exchange(stack, [head + b"\r\n" + CHUNK_SIZE,
                                      CHUNK_REST])
    # One answer: the smuggled request was never answered.
    assert answer.count(b"HTTP/1.1 ") == 1, answer
    assert closed, answer
    assert status_of(answer) == 400, answer
    head, _, body = answer.partition(b"\r\n\r\n")
    head = head.lower()
    assert b"\r\nconnection: close\r\n" in head
    assert b"\r\ncontent-type: application/problem+json\r\n" in head
    assert b"\r\nx-request-id: " in head
    if method != "HEAD":
        problem = json.loads(body)
        assert problem["status"] == 400
        assert problem["type"] == "urn:ch:problem:bad-request"
        assert "Transfer-Encoding" in problem["detail"]


@pytest.mark.parametrize("coding", [b"chunked", b"CHUNKED", b"gzip, chunked",
                                    b"identity"])
def test_any_transfer_coding_is_refused(stack, coding):
    answer, closed = exchange(stack, [
        b"GET /healthz HTTP/1.1\r\nHost: x\r\ntransfer-encoding: %s\r\n"
        b"\r\n" % coding, b"0\r\n\r\n"])
    assert answer.count(b"HTTP/1.1 ") == 1 and closed, answer
    assert status_of(answer) == 400, answer


def test_chunked_body_without_content_length_is_refused_by_kore(stack):
    """A POST, PUT or PATCH without Content-Length never reaches the API:
    Kore answers 411 itself, without a body, and closes. Nothing of the
    chunked body is read as a request."""
    for method in (b"POST", b"PUT", b"PATCH"):
        answer, closed = exchange(stack, [
            b"%s /v1/auth/token HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" % method + CHUNK_SIZE,
            CHUNK_REST])
        assert answer.count(b"HTTP/1.1 ") == 1 and closed, answer
        assert status_of(answer) == 411, answer
        assert b"\r\nconnection: close\r\n" in answer.lower()


# ------------------------------------------------ one error vocabulary
#
# The same mistake gets the same problem type and field code on every
# route, whichever handler serves it: hand-written (districts, places,
# sign-in), contract-driven with C before its SQL (users, me) or without.

def field_errors(r, status):
    assert r.status_code == status, r.text
    return [(e["field"], e["code"]) for e in r.json()["errors"]]


@pytest.fixture(scope="module")
def callers(api):
    return {role: token_for(api, role, ERFURT)
            for role in ("state_admin", "coordinator", "mentor")}


@pytest.mark.parametrize("path", [
    "/v1/districts", "/v1/districts/16051", "/v1/places", "/v1/taxonomies",
    "/v1/users", "/v1/users/00000000-0000-4000-8000-000000000000",
    "/v1/me", "/v1/offers", "/v1/matching/jobs/"
    "00000000-0000-4000-8000-000000000000"])
def test_an_unknown_query_parameter_is_unknown_parameter(api, callers, path):
    r = api.get(path + "?bogus=1", headers=bearer(callers["state_admin"]))
    assert field_errors(r, 400) == [("bogus", "unknown_parameter")]
    assert r.json()["type"] == "urn:ch:problem:invalid-parameter"


@pytest.mark.parametrize("path,body", [
    ("/v1/auth/token", {"email": "x@y.example", "password": "p"}),
    ("/v1/auth/refresh", {"refresh_token": "x"}),
    ("/v1/auth/logout", {"refresh_token": "x"}),
])
def test_sign_in_routes_take_no_query_parameters(api, path, body):
    r = api.request("POST", path + "?remember=1", json=body)
    assert field_errors(r, 400) == [("remember", "unknown_parameter")]


@pytest.mark.parametrize("path,who,body", [
    ("/v1/auth/token", None, {"email": "x@y.example", "password": "p"}),
    ("/v1/auth/refresh", None, {"refresh_token": "x"}),
    ("/v1/auth/logout", None, {"refresh_token": "x"}),
    ("/v1/me/password", "mentor", {"current_password": DEMO_PASSWORD,
                                   "new_password": "a-new-password-12"}),
    ("/v1/users", "state_admin", {"email": "n@x.example",
                                  "password": DEMO_PASSWORD,
                                  "role": "mentor", "district_id": ERFURT}),
    ("/v1/organizations", "coordinator", {"name": "Verein",
                                          "kind": "sport_club"}),
])
def test_an_unknown_body_member_is_unknown_field(api, callers, path, who,
                                                 body):
    headers = bearer(callers[who]) if who else {}
    r = api.request("POST", path, headers=headers, json={**body, "x": 1})
    assert field_errors(r, 422) == [("/x", "unknown_field")]
    assert r.json()["type"] == "urn:ch:problem:validation-failed"


@pytest.mark.parametrize("path", [
    "/v1/districts", "/v1/places", "/v1/users", "/v1/offers"])
@pytest.mark.parametrize("limit,code", [
    ("0", "minimum"), ("101", "maximum"), ("abc", "type"), ("%2B5", "type"),
    ("0x10", "type")])
def test_a_bad_limit_is_named_alike(api, callers, path, limit, code):
    r = api.get(path + "?limit=" + limit,
                headers=bearer(callers["state_admin"]))
    assert field_errors(r, 400) == [("limit", code)]


@pytest.mark.parametrize("path,body,field", [
    ("/v1/auth/token", {"email": "x@y.example", "password": ""},
     "/password"),
    ("/v1/auth/refresh", {"refresh_token": ""}, "/refresh_token"),
    ("/v1/me/password", {"current_password": "",
                         "new_password": "a-new-password-12"},
     "/current_password"),
])
def test_an_empty_string_is_required(api, callers, path, body, field):
    r = api.request("POST", path, headers=bearer(callers["mentor"]),
                    json=body)
    assert field_errors(r, 422) == [(field, "required")]


def test_every_field_code_is_documented(spec):
    """FieldError.code is an enum, so the contract check of every
    response in this suite refuses a code it does not list; each listed
    code is explained in its description."""
    code = spec.doc["components"]["schemas"]["FieldError"]["properties"][
        "code"]
    explained = set(re.findall(r"`([a-z_]+)`", code["description"]))
    assert set(code["enum"]) <= explained, set(code["enum"]) - explained
    for old in ("length", "unknown_member", "format_error"):
        with pytest.raises(jsonschema.ValidationError):
            spec.check_schema({"type": "urn:ch:problem:validation-failed",
                               "title": "x", "status": 422,
                               "request_id": "r", "errors": [
                                   {"field": "/a", "code": old,
                                    "message": "m"}]},
                              {"$ref": "#/components/schemas/Problem"})
