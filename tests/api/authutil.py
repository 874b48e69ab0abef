"""Logging in as the demo users, and crafting tokens by hand (the token
tests need malformed and foreign-signed ones no library would make)."""

import base64
import hashlib
import hmac
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

DEMO_PASSWORD = "connecting-humans-demo"
ISSUER = "connecting-humans"
AUDIENCE = "ch-api"

ERFURT, GOTHA = "16051", "16067"


def demo_email(role, district=None):
    """db/demo/0002_users.sql names its users <role>.<district>."""
    if role == "state_admin":
        return "state_admin@demo.example"
    return "%s.%s@demo.example" % (role, district)


def login(api, email, password=DEMO_PASSWORD, expect=200):
    r = api.request("POST", "/v1/auth/token",
                    json={"email": email, "password": password})
    assert r.status_code == expect, (r.status_code, r.text)
    return r.json()


def token_for(api, role, district=ERFURT):
    return login(api, demo_email(role, district))["access_token"]


def bearer(token):
    return {"Authorization": "Bearer " + token}


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def claims_of(token):
    return json.loads(b64url_decode(token.split(".")[1]))


def header_of(token):
    return json.loads(b64url_decode(token.split(".")[0]))


def segments(header, payload):
    h = header if isinstance(header, str) else b64url(json.dumps(header))
    p = payload if isinstance(payload, str) else b64url(json.dumps(payload))
    return h + "." + p


def sign_hs256(header, payload, key):
    if isinstance(key, str):
        key = key.encode()
    msg = segments(header, payload)
    sig = hmac.new(key, msg.encode(), hashlib.sha256).digest()
    return msg + "." + b64url(sig)


def sign_es256(header, payload, key):
    msg = segments(header, payload)
    der = key.sign(msg.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    return msg + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def sign_rs256(header, payload, key):
    msg = segments(header, payload)
    sig = key.sign(msg.encode(), padding.PKCS1v15(), hashes.SHA256())
    return msg + "." + b64url(sig)
