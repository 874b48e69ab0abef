"""api/token.c and api/auth.c through GET /v1/me: a matrix of crafted
access tokens (ours re-signed with the stack's secret, forged, malformed,
with each claim missing or wrongly typed) and tokens of the trusted
external issuer. Every refusal is a 401 with a Bearer challenge and a
problem+json body; nothing is ever a 5xx."""

import base64
import copy
import hashlib
import hmac
import json
import os
import socket
import time
import uuid

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from authutil import (AUDIENCE, GOTHA, ISSUER, b64url, claims_of,
                      header_of, login, demo_email, segments, sign_es256,
                      sign_hs256, sign_rs256)
from conftest import EXT_ISSUER

HS = {"alg": "HS256", "typ": "JWT"}
ES = {"alg": "ES256", "typ": "JWT"}
DROP = object()         # a claim or header member to leave out

INVALID = "urn:ch:problem:invalid-token"
NO_CREDENTIALS = "urn:ch:problem:unauthenticated"


# ------------------------------------------------------------ material

@pytest.fixture(scope="module")
def local_login(api):
    """A real sign-in of the Erfurt coordinator: its sub and sid are an
    account and a live token family, so re-signed variants can pass."""
    body = login(api, demo_email("coordinator", "16051"))
    return body["access_token"]


@pytest.fixture(scope="module")
def other_keys():
    return {"ec": ec.generate_private_key(ec.SECP256R1()),
            "rsa": rsa.generate_private_key(public_exponent=65537,
                                            key_size=2048)}


class Forge:
    """Builds tokens for one test at one moment."""

    def __init__(self, real_token, secret, ext_key, ext_pub_file, keys):
        self.now = int(time.time())
        self.real = real_token
        self.base = claims_of(real_token)
        self.secret = secret
        self.ext_key = ext_key
        self.ext_pub_file = ext_pub_file
        self.keys = keys

    def claims(self, **changes):
        c = copy.deepcopy(self.base)
        c.update({"iat": self.now, "exp": self.now + 600,
                  "jti": b64url(os.urandom(16))})
        for name, value in changes.items():
            if value is DROP:
                c.pop(name, None)
            else:
                c[name] = value
        return c

    def ext_claims(self, **changes):
        c = {"iss": EXT_ISSUER, "aud": AUDIENCE, "sub": "gotha-sso-4711",
             "ch_role": "Koordination", "ags": GOTHA, "iat": self.now,
             "exp": self.now + 600, "jti": b64url(os.urandom(16))}
        for name, value in changes.items():
            if value is DROP:
                c.pop(name, None)
            else:
                c[name] = value
        return c

    @staticmethod
    def header(base, **changes):
        h = dict(base)
        for name, value in changes.items():
            if value is DROP:
                h.pop(name, None)
            else:
                h[name] = value
        return h

    def hs(self, header=None, key=None, **changes):
        return sign_hs256(header or HS, self.claims(**changes),
                          self.secret if key is None else key)

    def ext(self, header=None, key=None, **changes):
        return sign_es256(header or ES, self.ext_claims(**changes),
                          key or self.ext_key)

    def ext_pem(self):
        """The external issuer's public key, byte for byte the file the
        server reads (CH_JWT_EXTERNAL_KEY_FILE)."""
        with open(self.ext_pub_file, "rb") as f:
            pem = f.read()
        assert pem == self.ext_key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo)
        return pem


@pytest.fixture
def forge(stack, local_login, other_keys):
    return Forge(local_login, stack.jwt_secret, stack.ext_key,
                 stack.ext_pub_file, other_keys)


# ------------------------------------------------- malformed encodings

def std_b64(data, pad=True):
    s = base64.b64encode(data).decode()
    return s if pad else s.rstrip("=")


def encoded_with(obj, char):
    """The JSON of obj, with a filler member chosen so that its standard
    base64 contains char ('+', '/' or '=' padding): the segment is then
    valid base64 but not base64url without padding."""
    # ASCII text gives '+' and '/' only from a '~' or '?' that ends a
    # three-byte group; three in a row always place one there.
    filler = {"+": "~~~", "/": "???", "=": "x"}[char]
    for i in range(100):
        data = json.dumps(dict(obj, f=filler + "x" * i)).encode()
        enc = std_b64(data)
        if char in enc:
            return enc if char == "=" else enc.rstrip("=")
    raise AssertionError("no filler gives %r" % char)


def bad_header_segment(f, char):
    return sign_hs256(encoded_with(HS, char), f.claims(), f.secret)


def bad_payload_segment(f, char):
    return sign_hs256(HS, encoded_with(f.claims(), char), f.secret)


def bad_signature_segment(f, char):
    """A correct HMAC, encoded in standard base64 (with '+', '/' or the
    '=' padding a 32-byte MAC always has)."""
    for _ in range(1000):
        msg = segments(HS, f.claims())
        mac = hmac.new(f.secret.encode(), msg.encode(),
                       hashlib.sha256).digest()
        enc = std_b64(mac)
        if char == "=":
            return msg + "." + enc
        if char in enc:
            return msg + "." + enc.rstrip("=")
    raise AssertionError("no signature with %r" % char)


def padded(f, size):
    """A correctly signed token of our shape, grown to size bytes (or a
    few more) with a filler claim."""
    n = 0
    while True:
        t = f.hs(pad="p" * n)
        if len(t) >= size:
            assert len(t) < size + 4
            return t
        n += max(1, (size - len(t)) * 3 // 4)


def other_signature(f):
    a = f.hs().split(".")
    b = f.hs(jti="another").split(".")
    return ".".join(a[:2] + b[2:])


# --------------------------------------------------------- the matrix

def T(build):
    """The token build makes, sent with the Bearer scheme."""
    return lambda f: "Bearer " + build(f)


OK, BAD = 200, 401

CASES = [
    # (id, Authorization value or None for no header, status, problem)
    ("real-token", T(lambda f: f.real), OK, None),
    ("re-signed", T(lambda f: f.hs()), OK, None),

    # alg "none" in its spellings, without and with a signature
    *[("alg-%s-empty-sig" % a,
       T(lambda f, a=a: segments({"alg": a, "typ": "JWT"}, f.claims())
         + "."), BAD, INVALID) for a in ("none", "None", "NONE", "nOnE")],
    *[("alg-%s-with-sig" % a,
       T(lambda f, a=a: sign_hs256({"alg": a, "typ": "JWT"}, f.claims(),
                                   f.secret)), BAD, INVALID)
      for a in ("none", "None", "NONE", "nOnE")],
    ("alg-missing", T(lambda f: sign_hs256({"typ": "JWT"}, f.claims(),
                                           f.secret)), BAD, INVALID),
    ("alg-hs256-lower", T(lambda f: f.hs(header={"alg": "hs256",
                                                 "typ": "JWT"})),
     BAD, INVALID),
    ("alg-hs512", T(lambda f: f.hs(header={"alg": "HS512", "typ": "JWT"})),
     BAD, INVALID),

    # algorithm confusion and foreign keys
    ("hs256-ext-pubkey-as-secret",
     T(lambda f: sign_hs256(HS, f.ext_claims(), f.ext_pem())),
     BAD, INVALID),
    ("hs256-ext-pubkey-as-secret-alg-es256-header",
     T(lambda f: sign_hs256(ES, f.ext_claims(), f.ext_pem())),
     BAD, INVALID),
    ("local-claims-es256", T(lambda f: sign_es256(ES, f.claims(),
                                                   f.ext_key)),
     BAD, INVALID),
    ("local-claims-rs256",
     T(lambda f: sign_rs256({"alg": "RS256", "typ": "JWT"}, f.claims(),
                            f.keys["rsa"])), BAD, INVALID),
    ("wrong-secret", T(lambda f: f.hs(key=f.secret + "x")), BAD, INVALID),
    ("empty-secret", T(lambda f: f.hs(key=b"")), BAD, INVALID),
    ("signature-of-another-token", T(other_signature), BAD, INVALID),
    ("signature-truncated", T(lambda f: f.hs()[:-1]), BAD, INVALID),
    ("signature-flipped",
     T(lambda f: (lambda t: t[:-2] + ("A" if t[-2] != "A" else "B")
                  + t[-1])(f.hs())), BAD, INVALID),

    # shape
    ("empty-signature", T(lambda f: segments(HS, f.claims()) + "."),
     BAD, INVALID),
    ("one-segment", T(lambda f: b64url(json.dumps(f.claims()))),
     BAD, INVALID),
    ("two-segments", T(lambda f: segments(HS, f.claims())), BAD, INVALID),
    ("four-segments", T(lambda f: f.hs() + "." + f.hs().split(".")[2]),
     BAD, INVALID),
    ("dots-only", T(lambda f: ".."), BAD, INVALID),
    ("empty-header-segment",
     T(lambda f: "." + f.hs().split(".", 1)[1]), BAD, INVALID),
    ("header-not-json",
     T(lambda f: sign_hs256(b64url("not json"), f.claims(), f.secret)),
     BAD, INVALID),
    ("header-json-array",
     T(lambda f: sign_hs256(b64url('["HS256"]'), f.claims(), f.secret)),
     BAD, INVALID),
    ("payload-json-array",
     T(lambda f: sign_hs256(HS, b64url(json.dumps([f.claims()])),
                            f.secret)), BAD, INVALID),
    ("payload-with-nul",
     T(lambda f: sign_hs256(HS, b64url(json.dumps(f.claims()) + "\0"),
                            f.secret)), BAD, INVALID),
    *[("bad-b64-header-%s" % n, T(lambda f, c=c: bad_header_segment(f, c)),
       BAD, INVALID) for n, c in (("plus", "+"), ("slash", "/"),
                                  ("padding", "="))],
    *[("bad-b64-payload-%s" % n,
       T(lambda f, c=c: bad_payload_segment(f, c)), BAD, INVALID)
      for n, c in (("plus", "+"), ("slash", "/"), ("padding", "="))],
    *[("bad-b64-signature-%s" % n,
       T(lambda f, c=c: bad_signature_segment(f, c)), BAD, INVALID)
      for n, c in (("plus", "+"), ("slash", "/"), ("padding", "="))],
    ("trailing-dot", T(lambda f: f.hs() + "."), BAD, INVALID),
    # Still base64url, but a MAC one byte too long: a bad signature.
    ("trailing-x", T(lambda f: f.hs() + "x"), BAD, INVALID),
    ("trailing-dot-x", T(lambda f: f.hs() + ".x"), BAD, INVALID),
    ("trailing-space-garbage", T(lambda f: f.hs() + " x"), BAD, INVALID),
    # Kore keeps trailing spaces in a header value; the token's character
    # check then refuses them.
    ("trailing-space", T(lambda f: f.hs() + " "), BAD, INVALID),
    ("trailing-spaces", T(lambda f: f.hs() + "   "), BAD, INVALID),

    # time
    ("expired", T(lambda f: f.hs(iat=f.now - 1000, exp=f.now - 120)),
     BAD, INVALID),
    ("expired-at-leeway-edge",
     T(lambda f: f.hs(iat=f.now - 600, exp=f.now - 30)), BAD, INVALID),
    ("expired-inside-leeway",
     T(lambda f: f.hs(iat=f.now - 600, exp=f.now - 15)), OK, None),
    ("nbf-future", T(lambda f: f.hs(nbf=f.now + 600)), BAD, INVALID),
    ("nbf-now", T(lambda f: f.hs(nbf=f.now)), OK, None),
    ("nbf-inside-leeway", T(lambda f: f.hs(nbf=f.now + 15)), OK, None),
    ("nbf-string", T(lambda f: f.hs(nbf=str(f.now))), BAD, INVALID),
    ("iat-future", T(lambda f: f.hs(iat=f.now + 600, exp=f.now + 900)),
     BAD, INVALID),
    ("iat-inside-leeway",
     T(lambda f: f.hs(iat=f.now + 15, exp=f.now + 600)), OK, None),
    ("lifetime-901", T(lambda f: f.hs(iat=f.now - 1, exp=f.now + 900)),
     BAD, INVALID),
    ("lifetime-900", T(lambda f: f.hs(iat=f.now, exp=f.now + 900)),
     OK, None),
    ("exp-equals-iat", T(lambda f: f.hs(iat=f.now, exp=f.now)),
     BAD, INVALID),
    ("exp-before-iat", T(lambda f: f.hs(iat=f.now, exp=f.now - 1)),
     BAD, INVALID),

    # issuer and audience
    ("wrong-iss", T(lambda f: f.hs(iss="someone-else")), BAD, INVALID),
    ("iss-other-case", T(lambda f: f.hs(iss="Connecting-Humans")),
     BAD, INVALID),
    ("wrong-aud", T(lambda f: f.hs(aud="other-api")), BAD, INVALID),
    ("aud-array-with-ours", T(lambda f: f.hs(aud=["other-api", AUDIENCE])),
     OK, None),
    ("aud-array-without-ours",
     T(lambda f: f.hs(aud=["other-api", "ch-api2"])), BAD, INVALID),
    ("aud-empty-array", T(lambda f: f.hs(aud=[])), BAD, INVALID),
    ("aud-array-with-number",
     T(lambda f: f.hs(aud=[AUDIENCE, 7])), BAD, INVALID),
    ("aud-number", T(lambda f: f.hs(aud=1)), BAD, INVALID),

    # every required claim, left out
    *[("missing-%s" % claim,
       T(lambda f, claim=claim: f.hs(**{claim: DROP})), BAD, INVALID)
      for claim in ("sub", "role", "district", "sid", "jti", "iat", "exp",
                    "iss", "aud")],

    # wrongly typed claims
    ("exp-string", T(lambda f: f.hs(exp=str(f.now + 600))), BAD, INVALID),
    ("exp-float", T(lambda f: f.hs(exp=f.now + 600.5)), BAD, INVALID),
    ("iat-float", T(lambda f: f.hs(iat=1.5)), BAD, INVALID),
    ("iat-negative", T(lambda f: f.hs(iat=-1)), BAD, INVALID),
    ("role-number", T(lambda f: f.hs(role=1)), BAD, INVALID),
    ("district-number", T(lambda f: f.hs(district=16051)), BAD, INVALID),
    ("sub-number", T(lambda f: f.hs(sub=2)), BAD, INVALID),
    ("sub-not-uuid", T(lambda f: f.hs(sub="coordinator.16051")),
     BAD, INVALID),
    ("sid-not-uuid", T(lambda f: f.hs(sid="session-1")), BAD, INVALID),
    ("jti-number", T(lambda f: f.hs(jti=5)), BAD, INVALID),
    ("jti-empty", T(lambda f: f.hs(jti="")), BAD, INVALID),
    ("iss-array", T(lambda f: f.hs(iss=[ISSUER])), BAD, INVALID),

    # roles and districts against the account
    ("role-unknown", T(lambda f: f.hs(role="superuser")), BAD, INVALID),
    ("role-other-case", T(lambda f: f.hs(role="Coordinator")),
     BAD, INVALID),
    ("role-state-admin-db-says-coordinator",
     T(lambda f: f.hs(role="state_admin", district=None)), BAD, INVALID),
    ("role-assistant-db-says-coordinator",
     T(lambda f: f.hs(role="assistant")), BAD, INVALID),
    ("state-admin-role-with-district",
     T(lambda f: f.hs(role="state_admin")), BAD, INVALID),
    ("district-unknown-16099", T(lambda f: f.hs(district="16099")),
     BAD, INVALID),
    ("district-other-real-16067", T(lambda f: f.hs(district="16067")),
     BAD, INVALID),
    ("district-four-digits", T(lambda f: f.hs(district="1605")),
     BAD, INVALID),
    ("district-letters", T(lambda f: f.hs(district="1605a")), BAD, INVALID),
    ("district-null-for-coordinator", T(lambda f: f.hs(district=None)),
     BAD, INVALID),

    # header members
    ("typ-JWS", T(lambda f: f.hs(header={"alg": "HS256", "typ": "JWS"})),
     BAD, INVALID),
    ("typ-missing", T(lambda f: f.hs(header={"alg": "HS256"})),
     BAD, INVALID),
    ("typ-lower-case", T(lambda f: f.hs(header={"alg": "HS256",
                                                "typ": "jwt"})),
     BAD, INVALID),
    ("typ-at+jwt-local", T(lambda f: f.hs(header={"alg": "HS256",
                                                  "typ": "at+jwt"})),
     BAD, INVALID),
    ("crit", T(lambda f: f.hs(header=dict(HS, crit=["exp"], exp=1))),
     BAD, INVALID),
    ("crit-empty", T(lambda f: f.hs(header=dict(HS, crit=[]))),
     BAD, INVALID),
    ("kid-unknown", T(lambda f: f.hs(header=dict(HS, kid="k1"))),
     BAD, INVALID),
    ("kid-empty", T(lambda f: f.hs(header=dict(HS, kid=""))), BAD, INVALID),
    ("kid-number", T(lambda f: f.hs(header=dict(HS, kid=1))), BAD, INVALID),

    # the account and the session
    ("sub-nonexistent-user", T(lambda f: f.hs(sub=str(uuid.uuid4()))),
     BAD, INVALID),
    ("sid-nonexistent-family", T(lambda f: f.hs(sid=str(uuid.uuid4()))),
     BAD, INVALID),
    ("sub-of-another-account",
     T(lambda f: f.hs(sub="a0000000-0000-4000-8000-000000000004",
                      district="16067")), BAD, INVALID),

    # size
    ("token-8k", T(lambda f: padded(f, 8192)), BAD, INVALID),
    ("token-5k-valid-shape", T(lambda f: padded(f, 5120)), BAD, INVALID),

    # the scheme
    ("scheme-lower-case", lambda f: "bearer " + f.hs(), OK, None),
    ("scheme-upper-case", lambda f: "BEARER " + f.hs(), OK, None),
    # auth.c skips any number of spaces after the scheme.
    ("two-spaces-after-scheme", lambda f: "Bearer  " + f.hs(), OK, None),
    ("no-scheme", lambda f: f.hs(), BAD, INVALID),
    ("scheme-basic", lambda f: "Basic " + base64.b64encode(
        b"coordinator.16051@demo.example:connecting-humans-demo").decode(),
     BAD, INVALID),
    ("scheme-basic-with-token", lambda f: "Basic " + f.hs(), BAD, INVALID),
    ("scheme-bearer-without-space", lambda f: "Bearer" + f.hs(),
     BAD, INVALID),
    ("scheme-only", lambda f: "Bearer", BAD, INVALID),
    ("scheme-and-space-only", lambda f: "Bearer ", BAD, INVALID),
    ("no-authorization-header", lambda f: None, BAD, NO_CREDENTIALS),
]


# Which rule refused a token shows in the detail (auth.c), so the matrix
# checks that the intended rule fired, not merely some rule. Cases not
# named here are refused as "not valid" (issuer, header, signature or
# claims).
MALFORMED = "is malformed"
REASONS = {
    **{"alg-%s-empty-sig" % a: MALFORMED
       for a in ("none", "None", "NONE", "nOnE")},
    **{"bad-b64-%s-%s" % (seg, c): MALFORMED
       for seg in ("header", "payload", "signature")
       for c in ("plus", "slash", "padding")},
    **{name: MALFORMED for name in (
        "empty-signature", "one-segment", "two-segments", "four-segments",
        "dots-only", "empty-header-segment", "header-not-json",
        "header-json-array", "payload-json-array", "payload-with-nul",
        "trailing-dot", "trailing-dot-x",
        "trailing-space-garbage", "trailing-space", "trailing-spaces",
        "token-8k", "token-5k-valid-shape", "scheme-and-space-only")},
    **{name: "has expired" for name in ("expired",
                                        "expired-at-leeway-edge")},
    "nbf-future": "not valid yet",
    **{name: "revoked or is out of date" for name in (
        "role-state-admin-db-says-coordinator",
        "role-assistant-db-says-coordinator", "district-unknown-16099",
        "district-other-real-16067", "sub-nonexistent-user",
        "sid-nonexistent-family", "sub-of-another-account")},
    **{name: "Bearer scheme" for name in (
        "no-scheme", "scheme-basic", "scheme-basic-with-token",
        "scheme-bearer-without-space", "scheme-only")},
    "no-authorization-header": "needs an access token",
    "ext-ags-unknown-16099": "unknown district",
    "ext-expired": "has expired",
    "ext-alg-none": MALFORMED,
}


def check_refusal(r, problem, case=None):
    assert r.status_code == 401, (r.status_code, r.text)
    challenge = r.headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Bearer"), challenge
    assert r.headers["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == problem, body
    assert body["status"] == 401
    if case is not None:
        reason = REASONS.get(case, "is not valid.")
        assert reason in body["detail"], (case, body["detail"])
    if problem == INVALID:
        assert 'error="invalid_token"' in challenge, challenge
    else:
        assert "error=" not in challenge, challenge


def check_local_me(r, sub):
    assert r.status_code == 200, (r.status_code, r.text)
    me = r.json()
    assert me["source"] == "local"
    assert me["issuer"] == ISSUER
    assert me["subject"] == sub
    assert me["role"] == "coordinator"
    assert me["district_id"] == "16051"
    assert me["user"]["id"] == sub


def test_matrix_is_large_enough():
    assert len(CASES) >= 45
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case,build,status,problem", CASES,
                         ids=[c[0] for c in CASES])
def test_token_matrix(api, forge, case, build, status, problem):
    value = build(forge)
    headers = {} if value is None else {"Authorization": value}
    r = api.get("/v1/me", headers=headers)
    if status == OK:
        check_local_me(r, forge.base["sub"])
    else:
        check_refusal(r, problem, case)


def test_real_token_has_the_documented_shape(forge):
    assert header_of(forge.real) == HS
    c = claims_of(forge.real)
    assert set(c) == {"iss", "aud", "sub", "role", "district", "sid", "jti",
                      "iat", "exp"}
    assert (c["iss"], c["aud"], c["role"], c["district"]) == \
        (ISSUER, AUDIENCE, "coordinator", "16051")
    assert 0 < c["exp"] - c["iat"] <= 900


# Header values Kore's own parser refuses before the API sees them: a
# tab, an empty value, bytes outside ASCII. Kore answers a bare 400 (no
# body, no X-Request-Id), so these go around the contract-checking client.
KORE_REFUSES = [
    ("leading-tab", lambda t: "Bearer \t" + t),
    ("trailing-tab-garbage", lambda t: "Bearer " + t + "\tx"),
    ("scheme-tab-separated", lambda t: "Bearer\t" + t),
    ("empty-value", lambda t: ""),
    # requests sends str header values as latin-1 bytes.
    ("latin1-inside", lambda t: "Bearer " + t[:20] + "\u00e9" + t[20:]),
    ("latin1-trailing", lambda t: "Bearer " + t + "\u00fc"),
    ("latin1-leading", lambda t: "Bearer \u00ff" + t),
]


@pytest.mark.parametrize("build", [c[1] for c in KORE_REFUSES],
                         ids=[c[0] for c in KORE_REFUSES])
def test_header_values_kore_refuses(api, forge, build):
    r = api.http.get(api.base + "/v1/me", timeout=30,
                     headers={"Authorization": build(forge.hs())})
    assert r.status_code in (400, 401), (r.status_code, r.text)
    if r.status_code == 401:
        api.spec.validate("GET", r)
        check_refusal(r, INVALID)
    else:
        # What Kore 4.1 does: its parser answers before the API runs.
        assert not r.content
        assert "X-Request-Id" not in r.headers


def raw_get_me(stack, header_line):
    """GET /v1/me with a header line exactly as given (requests refuses
    leading whitespace in values). Returns the status and the headers."""
    with socket.create_connection(("127.0.0.1", stack.port),
                                  timeout=30) as s:
        s.sendall(b"GET /v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Connection: close\r\n" + header_line + b"\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in
               (line.split(":", 1) for line in head[1:])}
    return status, headers


@pytest.mark.parametrize("line,status", [
    # Whitespace between the colon and the value is not part of the
    # value (RFC 9110): Kore drops spaces and tabs there.
    (b"Authorization:   Bearer %s", 200),
    (b"Authorization:\tBearer %s", 200),
    (b"Authorization:Bearer %s", 200),
    (b"Authorization: Bearer %s   ", 401),
    (b"Authorization: Bearer \t%s", 400),
], ids=["spaces-after-colon", "tab-after-colon", "nothing-after-colon",
        "trailing-spaces", "tab-before-token"])
def test_whitespace_around_the_value(stack, forge, line, status):
    got, headers = raw_get_me(stack, line % forge.hs().encode())
    assert got == status, got
    if status == 401:
        assert headers["www-authenticate"].startswith("Bearer")
    if status != 400:
        assert headers.get("x-request-id")


def test_a_token_keeps_working_after_refusals(api, forge):
    """The refusals above change nothing: the real token still works."""
    check_local_me(api.get("/v1/me", headers={
        "Authorization": "Bearer " + forge.real}), forge.base["sub"])


# ------------------------------------------------- the external issuer

def ext_me(api, token):
    return api.get("/v1/me", headers={"Authorization": "Bearer " + token})


def test_external_coordinator(api, forge):
    r = ext_me(api, forge.ext())
    assert r.status_code == 200, r.text
    assert r.json() == {"source": "external", "issuer": EXT_ISSUER,
                        "subject": "gotha-sso-4711", "role": "coordinator",
                        "district_id": GOTHA, "user": None}


def test_external_assistant(api, forge):
    r = ext_me(api, forge.ext(ch_role="Integrationsassistenz",
                              sub="assist-1"))
    assert r.status_code == 200, r.text
    me = r.json()
    assert (me["source"], me["role"], me["district_id"], me["subject"]) == \
        ("external", "assistant", GOTHA, "assist-1")
    assert me["user"] is None


def test_external_state_admin_without_district(api, forge):
    r = ext_me(api, forge.ext(ch_role="Landesverwaltung", ags=DROP))
    assert r.status_code == 200, r.text
    me = r.json()
    assert (me["source"], me["role"], me["district_id"], me["user"]) == \
        ("external", "state_admin", None, None)


def test_external_caller_has_no_password_here(api, stack, forge):
    """ch.me_password_begin refuses a caller without an account of ours
    before anything is counted or checked."""
    before = stack.sql("SELECT count(*) FROM ch.login_throttle")
    r = api.request("POST", "/v1/me/password",
                    headers={"Authorization": "Bearer " + forge.ext()},
                    json={"current_password": "whatever-it-was",
                          "new_password": "a-brand-new-password-1"})
    assert r.status_code == 403, r.text
    assert r.json()["type"] == "urn:ch:problem:forbidden"
    assert "organisation's sign-in" in r.json()["detail"]
    assert stack.sql("SELECT count(*) FROM ch.login_throttle") == before


def der_signed(f):
    """ES256 with the signature in DER, as OpenSSL makes it, instead of
    JOSE's fixed-size r || s."""
    msg = segments(ES, f.ext_claims())
    der = f.ext_key.sign(msg.encode(), ec.ECDSA(hashes.SHA256()))
    return msg + "." + b64url(der)


EXT_CASES = [
    ("valid", lambda f: f.ext(), OK),
    # RFC 9068's at+jwt is refused: libjwt 1.10.2 cannot verify it, and a
    # typ we cannot verify must not half-work (README, known limits).
    ("typ-at+jwt", lambda f: f.ext(header={"alg": "ES256",
                                           "typ": "at+jwt"}), BAD),
    ("typ-AT+JWT", lambda f: f.ext(header={"alg": "ES256",
                                           "typ": "AT+JWT"}), BAD),
    ("typ-missing", lambda f: f.ext(header={"alg": "ES256"}), OK),
    ("lifetime-3600", lambda f: f.ext(exp=f.now + 3600), OK),
    ("aud-array", lambda f: f.ext(aud=["x", AUDIENCE]), OK),
    ("role-unmapped", lambda f: f.ext(ch_role="Hausmeister"), BAD),
    ("role-ours-not-theirs", lambda f: f.ext(ch_role="coordinator"), BAD),
    ("role-claim-missing", lambda f: f.ext(ch_role=DROP), BAD),
    ("role-in-our-claim-name", lambda f: f.ext(ch_role=DROP,
                                               role="Koordination"), BAD),
    ("ags-unknown-16099", lambda f: f.ext(ags="16099"), BAD),
    ("ags-missing-for-coordinator", lambda f: f.ext(ags=DROP), BAD),
    ("ags-number", lambda f: f.ext(ags=16067), BAD),
    ("ags-long", lambda f: f.ext(ags="160670"), BAD),
    ("sub-missing", lambda f: f.ext(sub=DROP), BAD),
    ("sub-number", lambda f: f.ext(sub=4711), BAD),
    ("jti-missing", lambda f: f.ext(jti=DROP), BAD),
    ("wrong-aud", lambda f: f.ext(aud="other-api"), BAD),
    ("lifetime-7200", lambda f: f.ext(exp=f.now + 7200), BAD),
    ("lifetime-3601", lambda f: f.ext(exp=f.now + 3601), BAD),
    ("expired", lambda f: f.ext(iat=f.now - 3000, exp=f.now - 120), BAD),
    ("typ-JWS", lambda f: f.ext(header={"alg": "ES256", "typ": "JWS"}),
     BAD),
    ("crit", lambda f: f.ext(header=dict(ES, crit=["exp"])), BAD),
    # The external issuer's one key is pinned (CH_JWT_EXTERNAL_KEY_FILE):
    # its kid decides nothing.
    ("kid-any", lambda f: f.ext(header=dict(ES, kid="k1")), OK),
    ("other-ec-key", lambda f: f.ext(key=f.keys["ec"]), BAD),
    ("alg-rs256", lambda f: sign_rs256({"alg": "RS256", "typ": "JWT"},
                                       f.ext_claims(), f.keys["rsa"]), BAD),
    ("alg-hs256-our-secret",
     lambda f: sign_hs256(HS, f.ext_claims(), f.secret), BAD),
    ("alg-hs256-their-public-key",
     lambda f: sign_hs256(HS, f.ext_claims(), f.ext_pem()), BAD),
    ("alg-none", lambda f: segments({"alg": "none", "typ": "JWT"},
                                    f.ext_claims()) + ".", BAD),
    ("alg-es384-header", lambda f: f.ext(header={"alg": "ES384",
                                                 "typ": "JWT"}), BAD),
    ("signature-der-encoded", lambda f: der_signed(f), BAD),
    # Our claim set signed by them: still their issuer's rules, and the
    # iss names ours, so their key must not do.
    ("our-iss-their-key", lambda f: sign_es256(ES, f.claims(), f.ext_key),
     BAD),
]


@pytest.mark.parametrize("case,build,status", EXT_CASES,
                         ids=[c[0] for c in EXT_CASES])
def test_external_matrix(api, forge, case, build, status):
    r = ext_me(api, build(forge))
    if status == OK:
        assert r.status_code == 200, r.text
        me = r.json()
        assert (me["source"], me["role"], me["district_id"],
                me["user"]) == ("external", "coordinator", GOTHA, None)
    else:
        check_refusal(r, INVALID, "ext-" + case)
