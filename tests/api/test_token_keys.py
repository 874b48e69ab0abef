"""Signing with a key pair (CH_JWT_ALG=RS256 or ES256): a second and a
third Kore instance on the session stack's database publish their public
key as a JWK set, sign sign-ins with it and refuse HS256 in any form. And
the start-up guard: ch-config-check and stack.sh refuse weak secrets and
unusable keys with a message naming the variable, before Kore runs."""

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import \
    encode_dss_signature

from authutil import (b64url, b64url_decode, bearer, claims_of, demo_email,
                      header_of, login, sign_es256, sign_hs256, sign_rs256)
from conftest import TOP, Client, alive, free_port

CONFIG_CHECK = os.path.join(TOP, "build", "ch-config-check")
STACK_SH = os.path.join(TOP, "scripts", "stack.sh")
RS_KID = "test-rs"
COORDINATOR = demo_email("coordinator", "16051")


def private_pem(key):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_pem(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo)


def write_key(directory, key, name="signing.pem"):
    path = os.path.join(directory, name)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
              "wb") as f:
        f.write(private_pem(key))
    return path


def uint_b64(n):
    """An unsigned integer as JWK wants it: big-endian, no leading zero
    bytes, base64url without padding."""
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def ec_thumbprint(key):
    """RFC 7638: SHA-256 over the required members in lexical order,
    without whitespace."""
    nums = key.public_key().public_numbers()
    canon = json.dumps({"crv": "P-256", "kty": "EC",
                        "x": b64url(nums.x.to_bytes(32, "big")),
                        "y": b64url(nums.y.to_bytes(32, "big"))},
                       separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canon.encode()).digest())


def rotten_log_lines(log):
    return [line for line in log.splitlines()
            if re.search(r"sandbox violation|\) gone|exited with status "
                         r"[1-9]|ERROR: AddressSanitizer|runtime error:",
                         line)]


def pids_of(run_dir):
    out = []
    for name in ("kore.pid", "kore.launcher.pid"):
        try:
            with open(os.path.join(run_dir, name)) as f:
                out += f.read().split()[:1]
        except FileNotFoundError:
            pass
    return out


def processes_using(run_dir):
    """Processes whose command line names run_dir (Kore is started with
    -c RUN_DIR/api.conf)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if run_dir in cmd and alive(pid):
            found.append((pid, cmd))
    return found


def second_env(stack, run_dir, port):
    """The session stack's environment, pointed at its database as an
    outside one (no private cluster, no demo data, migrations a no-op)."""
    env = dict(stack.env)
    env.update({
        "CH_RUN_DIR": run_dir,
        "CH_PORT": str(port),
        "CH_DATABASE_URL": stack.url(owner=False),
        "CH_DATABASE_OWNER_URL": stack.url(),
        "CH_MATCHER_DATABASE_URL": stack.matcher_url(),
        "CH_DEMO_DATA": "0",
    })
    return env


class Instance:
    def __init__(self, alg, key, kid, run_dir, port, env, spec):
        self.alg = alg
        self.key = key
        self.kid = kid
        self.run_dir = run_dir
        self.port = port
        self.env = env
        self.base = "http://127.0.0.1:%d" % port
        self.api = Client(self.base, spec)

    def log(self):
        try:
            with open(os.path.join(self.run_dir, "kore.log"),
                      encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


def run_instance(stack, spec, alg, key, kid):
    run_dir = tempfile.mkdtemp(prefix="ch-test-%s-" % alg.lower())
    port = free_port()
    env = second_env(stack, run_dir, port)
    env["CH_JWT_ALG"] = alg
    env["CH_JWT_KEY_FILE"] = write_key(run_dir, key)
    env.pop("CH_JWT_KID", None)
    if kid is not None:
        env["CH_JWT_KID"] = kid
    inst = Instance(alg, key, kid, run_dir, port, env, spec)
    try:
        up = subprocess.run([STACK_SH, "up"], env=env, capture_output=True,
                            text=True)
        assert up.returncode == 0, up.stdout + up.stderr + inst.log()
        pids = pids_of(run_dir)
        assert pids and all(alive(p) for p in pids), pids
        yield inst
    finally:
        pids = pids_of(run_dir)
        down = subprocess.run([STACK_SH, "down"], env=env,
                              capture_output=True, text=True)
        log = inst.log()
        left = [p for p in pids if alive(p)]
        shutil.rmtree(run_dir, ignore_errors=True)
    assert down.returncode == 0, down.stderr
    assert not left, "kore still running after down: %s" % left
    assert not rotten_log_lines(log), "\n".join(rotten_log_lines(log))
    # The shared database is still there for the rest of the session.
    assert stack.sql("SELECT 1") == [(1,)]


@pytest.fixture(scope="module")
def rs_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def es_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def rs_instance(stack, spec, rs_key):
    yield from run_instance(stack, spec, "RS256", rs_key, RS_KID)


@pytest.fixture(scope="module")
def es_instance(stack, spec, es_key):
    # No CH_JWT_KID: the kid is the key's RFC 7638 thumbprint.
    yield from run_instance(stack, spec, "ES256", es_key, None)


@pytest.fixture(params=["RS256", "ES256"])
def inst(request):
    return request.getfixturevalue(
        {"RS256": "rs_instance", "ES256": "es_instance"}[request.param])


def expected_kid(inst):
    return inst.kid if inst.kid is not None else ec_thumbprint(inst.key)


def jwk_public_key(jwk):
    if jwk["kty"] == "RSA":
        return rsa.RSAPublicNumbers(
            int.from_bytes(b64url_decode(jwk["e"]), "big"),
            int.from_bytes(b64url_decode(jwk["n"]), "big")).public_key()
    return ec.EllipticCurvePublicNumbers(
        int.from_bytes(b64url_decode(jwk["x"]), "big"),
        int.from_bytes(b64url_decode(jwk["y"]), "big"),
        ec.SECP256R1()).public_key()


def verify_with_jwk(jwk, token):
    """Raises InvalidSignature unless the JWK's key signed token."""
    head, payload, sig = token.split(".")
    msg = (head + "." + payload).encode()
    raw = b64url_decode(sig)
    key = jwk_public_key(jwk)
    if jwk["kty"] == "RSA":
        key.verify(raw, msg, padding.PKCS1v15(), hashes.SHA256())
    else:
        assert len(raw) == 64
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                   int.from_bytes(raw[32:], "big"))
        key.verify(der, msg, ec.ECDSA(hashes.SHA256()))


def fresh(claims, **changes):
    now = int(time.time())
    c = dict(claims, iat=now, exp=now + 600, jti=b64url(os.urandom(16)))
    c.update(changes)
    return c


def sign_own(inst, header, claims):
    """Signs with the instance's own private key, as the server would."""
    if inst.alg == "RS256":
        return sign_rs256(header, claims, inst.key)
    return sign_es256(header, claims, inst.key)


@pytest.fixture
def signed_in(inst):
    return login(inst.api, COORDINATOR)["access_token"]


# ---------------------------------------------------------------- JWKS

def test_jwks_has_the_one_public_key(inst):
    r = inst.api.get("/.well-known/jwks.json")
    assert r.status_code == 200
    keys = r.json()["keys"]
    assert len(keys) == 1
    jwk = keys[0]
    nums = inst.key.public_key().public_numbers()
    assert (jwk["alg"], jwk["use"], jwk["kid"]) == \
        (inst.alg, "sig", expected_kid(inst))
    if inst.alg == "RS256":
        assert set(jwk) == {"kty", "alg", "kid", "use", "n", "e"}
        assert jwk["kty"] == "RSA"
        assert jwk["n"] == uint_b64(nums.n)
        assert jwk["e"] == uint_b64(nums.e) == "AQAB"
    else:
        assert set(jwk) == {"kty", "alg", "kid", "use", "crv", "x", "y"}
        assert (jwk["kty"], jwk["crv"]) == ("EC", "P-256")
        assert jwk["x"] == b64url(nums.x.to_bytes(32, "big"))
        assert jwk["y"] == b64url(nums.y.to_bytes(32, "big"))


def test_es256_kid_defaults_to_the_rfc7638_thumbprint(es_instance):
    jwk = es_instance.api.get("/.well-known/jwks.json").json()["keys"][0]
    assert jwk["kid"] == ec_thumbprint(es_instance.key)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", jwk["kid"])


def test_hs256_stack_publishes_no_key(api):
    r = api.get("/.well-known/jwks.json")
    assert r.status_code == 200
    assert r.json() == {"keys": []}


# ------------------------------------------------------------- signing

def test_sign_in_token_is_signed_with_the_published_key(inst, signed_in):
    assert header_of(signed_in) == {"alg": inst.alg, "typ": "JWT",
                                    "kid": expected_kid(inst)}
    jwk = inst.api.get("/.well-known/jwks.json").json()["keys"][0]
    verify_with_jwk(jwk, signed_in)
    c = claims_of(signed_in)
    assert (c["iss"], c["aud"], c["role"], c["district"]) == \
        ("connecting-humans", "ch-api", "coordinator", "16051")
    assert 0 < c["exp"] - c["iat"] <= 900


def test_me_with_the_signed_token(inst, signed_in):
    r = inst.api.get("/v1/me", headers=bearer(signed_in))
    assert r.status_code == 200, r.text
    me = r.json()
    assert (me["source"], me["role"], me["district_id"]) == \
        ("local", "coordinator", "16051")
    assert me["user"]["email"] == COORDINATOR


def test_refresh_gives_a_token_signed_the_same_way(inst):
    body = login(inst.api, COORDINATOR)
    r = inst.api.request("POST", "/v1/auth/refresh",
                         json={"refresh_token": body["refresh_token"]})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert header_of(token)["alg"] == inst.alg
    assert inst.api.get("/v1/me", headers=bearer(token)).status_code == 200


def refused(inst, token):
    r = inst.api.get("/v1/me", headers=bearer(token))
    assert r.status_code == 401, (r.status_code, r.text)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert r.json()["type"] == "urn:ch:problem:invalid-token"


def test_resigned_with_the_same_key_is_accepted(inst, signed_in):
    """The variants below fail for what they change, not for the claims."""
    header = header_of(signed_in)
    token = sign_own(inst, header, fresh(claims_of(signed_in)))
    r = inst.api.get("/v1/me", headers=bearer(token))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("pem_form", ["pem", "pem-stripped", "der"])
@pytest.mark.parametrize("with_kid", [True, False],
                         ids=["with-kid", "without-kid"])
def test_hs256_keyed_with_the_public_key_is_refused(inst, signed_in,
                                                   pem_form, with_kid):
    """The classic confusion: the published public key as HMAC secret."""
    pem = public_pem(inst.key)
    secret = {"pem": pem, "pem-stripped": pem.strip(),
              "der": inst.key.public_key().public_bytes(
                  serialization.Encoding.DER,
                  serialization.PublicFormat.SubjectPublicKeyInfo)}[pem_form]
    header = {"alg": "HS256", "typ": "JWT"}
    if with_kid:
        header["kid"] = expected_kid(inst)
    refused(inst, sign_hs256(header, fresh(claims_of(signed_in)), secret))


def test_hs256_with_the_session_secret_is_refused(inst, api, stack):
    """A token valid on the HS256 stack (same database, same account and
    session) is worth nothing where the key pair signs."""
    real = login(api, COORDINATOR)["access_token"]
    token = sign_hs256({"alg": "HS256", "typ": "JWT"},
                       fresh(claims_of(real)), stack.jwt_secret)
    assert api.get("/v1/me", headers=bearer(token)).status_code == 200
    refused(inst, token)
    refused(inst, real)


def test_key_pair_token_is_refused_by_the_hs256_stack(api, signed_in):
    r = api.get("/v1/me", headers=bearer(signed_in))
    assert r.status_code == 401
    assert r.json()["type"] == "urn:ch:problem:invalid-token"


def test_tokens_do_not_cross_between_key_pairs(rs_instance, es_instance):
    rs = login(rs_instance.api, COORDINATOR)["access_token"]
    es = login(es_instance.api, COORDINATOR)["access_token"]
    refused(es_instance, rs)
    refused(rs_instance, es)


@pytest.mark.parametrize("change", ["no-kid", "other-kid", "alg-none",
                                    "other-alg", "typ-missing"])
def test_header_variants_are_refused(inst, signed_in, change):
    header = header_of(signed_in)
    claims = fresh(claims_of(signed_in))
    if change == "no-kid":
        del header["kid"]
    elif change == "other-kid":
        header["kid"] = "someone-else"
    elif change == "typ-missing":
        del header["typ"]
    elif change == "alg-none":
        header["alg"] = "none"
        token = sign_own(inst, header, claims)
        refused(inst, token.rsplit(".", 1)[0] + ".")
        refused(inst, token)
        return
    else:
        header["alg"] = "ES256" if inst.alg == "RS256" else "RS256"
    refused(inst, sign_own(inst, header, claims))


def test_other_key_of_the_same_kind_is_refused(inst, signed_in):
    other = (rsa.generate_private_key(public_exponent=65537, key_size=2048)
             if inst.alg == "RS256" else ec.generate_private_key(
                 ec.SECP256R1()))
    header = header_of(signed_in)
    claims = fresh(claims_of(signed_in))
    if inst.alg == "RS256":
        refused(inst, sign_rs256(header, claims, other))
    else:
        refused(inst, sign_es256(header, claims, other))


# ------------------------------------------------------ start-up guard

def check_env(**extra):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "CH_DATABASE_URL": "postgresql:///ch?host=/nonexistent"}
    env.update(extra)
    return subprocess.run([CONFIG_CHECK], env=env, capture_output=True,
                          text=True, timeout=30)


@pytest.fixture(scope="module")
def key_dir():
    d = tempfile.mkdtemp(prefix="ch-test-keys-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def good_secret():
    return base64.b64encode(os.urandom(48)).decode()


MISSING, RSA_1024 = "<missing key file>", "<RSA 1024 key file>"
BAD_CONFIG = [
    # (id, environment beyond CH_DATABASE_URL, variable the message names)
    ("no-secret", {}, "CH_JWT_SECRET"),
    ("secret-31-bytes", {"CH_JWT_SECRET": "q8Zr2LkVx7mPw4Ns9TbYc3Hd6Jf1Ga5"},
     "CH_JWT_SECRET"),
    ("secret-changeme",
     {"CH_JWT_SECRET": "changeme-changeme-changeme-changeme"},
     "CH_JWT_SECRET"),
    ("secret-48-a", {"CH_JWT_SECRET": "a" * 48}, "CH_JWT_SECRET"),
    ("secret-alphabet",
     {"CH_JWT_SECRET": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"},
     "CH_JWT_SECRET"),
    ("rs256-without-key-file", {"CH_JWT_ALG": "RS256"}, "CH_JWT_KEY_FILE"),
    ("rs256-missing-key-file",
     {"CH_JWT_ALG": "RS256", "CH_JWT_KEY_FILE": MISSING},
     "CH_JWT_KEY_FILE"),
    ("rs256-rsa-1024", {"CH_JWT_ALG": "RS256", "CH_JWT_KEY_FILE": RSA_1024},
     "CH_JWT_KEY_FILE"),
    ("alg-unknown", {"CH_JWT_ALG": "HS512",
                     "CH_JWT_SECRET": "q8Zr2LkVx7mPw4Ns9TbYc3Hd6Jf1Ga5e"},
     "CH_JWT_ALG"),
]


@pytest.fixture(scope="module")
def key_files(key_dir):
    return {MISSING: os.path.join(key_dir, "missing.pem"),
            RSA_1024: write_key(key_dir, rsa.generate_private_key(
                public_exponent=65537, key_size=1024), "rsa1024.pem")}


@pytest.mark.parametrize("extra,variable", [c[1:] for c in BAD_CONFIG],
                         ids=[c[0] for c in BAD_CONFIG])
def test_config_check_refuses(key_files, extra, variable):
    extra = {k: key_files.get(v, v) for k, v in extra.items()}
    r = check_env(**extra)
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = [line for line in r.stderr.splitlines()
             if line.startswith("ch-api: configuration error:")]
    assert lines, r.stderr
    assert any(variable in line for line in lines), \
        "no stderr line names %s: %r" % (variable, r.stderr)
    secret = extra.get("CH_JWT_SECRET")
    if secret:
        assert secret not in r.stderr, "the secret is echoed"


@pytest.mark.parametrize("alg", ["HS256", "RS256", "ES256"])
def test_config_check_accepts_a_good_configuration(key_dir, alg):
    if alg == "HS256":
        extra = {"CH_JWT_SECRET": good_secret()}
    elif alg == "RS256":
        extra = {"CH_JWT_ALG": alg, "CH_JWT_KEY_FILE": write_key(
            key_dir, rsa.generate_private_key(public_exponent=65537,
                                              key_size=2048), "rs.pem")}
    else:
        extra = {"CH_JWT_ALG": alg, "CH_JWT_KEY_FILE": write_key(
            key_dir, ec.generate_private_key(ec.SECP256R1()), "es.pem")}
    r = check_env(**extra)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""


def test_config_check_refuses_an_es256_key_off_p256(key_dir):
    path = write_key(key_dir, ec.generate_private_key(ec.SECP384R1()),
                     "p384.pem")
    r = check_env(CH_JWT_ALG="ES256", CH_JWT_KEY_FILE=path)
    assert r.returncode == 1
    assert "P-256" in r.stderr


def test_stack_up_refuses_a_placeholder_secret(stack):
    run_dir = tempfile.mkdtemp(prefix="ch-test-guard-")
    port = free_port()
    env = second_env(stack, run_dir, port)
    env["CH_JWT_SECRET"] = "changeme-changeme-changeme-changeme"
    try:
        up = subprocess.run([STACK_SH, "up"], env=env, capture_output=True,
                            text=True, timeout=120)
        running = processes_using(run_dir)
        pids = pids_of(run_dir)
    finally:
        subprocess.run([STACK_SH, "down"], env=env, capture_output=True)
        shutil.rmtree(run_dir, ignore_errors=True)
    assert up.returncode != 0, up.stdout + up.stderr
    assert any("CH_JWT_SECRET" in line and "placeholder" in line
               for line in up.stderr.splitlines()), up.stderr
    assert "changeme-changeme" not in up.stderr
    assert not running, running
    assert not pids, pids
