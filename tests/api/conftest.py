"""The real stack for the HTTP tests: a throwaway PostgreSQL cluster, the
migrations, demo data and reference places, and Kore with the API module
on a free port. Every response the `api` client receives is validated
against openapi/openapi.yaml."""

import base64
import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import psycopg2
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from spec import Spec

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED_DATA = os.environ.get("CH_SHARED_DATA",
                             os.path.join(TOP, "..", "shared", "data"))
PLACES_FILE = os.path.join(SHARED_DATA, "places-six-districts.csv")

# The trusted external issuer the test stack accepts (a district's single
# sign-on), with its claims mapped to our roles.
EXT_ISSUER = "https://sso.gotha.example"
EXT_ROLE_CLAIM = "ch_role"
EXT_DISTRICT_CLAIM = "ags"
EXT_ROLES = {"Koordination": "coordinator",
             "Integrationsassistenz": "assistant",
             "Landesverwaltung": "state_admin"}


def write_public_pem(key, path):
    with open(path, "wb") as f:
        f.write(key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_of(run_dir):
    """Pids of live processes started for this run directory (Kore's
    workers inherit CH_RUN_DIR), so a worker that outlived its parent is
    found too."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if ("CH_RUN_DIR=" + run_dir).encode() in env and alive(pid) and \
                int(pid) != os.getpid():
            found.append(pid)
    return found


def alive(pid):
    """True for a running process; a zombie waiting for its reaper has
    already exited."""
    try:
        with open("/proc/%s/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class Stack:
    def __init__(self, run_dir, port, env):
        self.run_dir = run_dir
        self.port = port
        self.env = env
        self.base = "http://127.0.0.1:%d" % port

    def stack(self, *args, check=True):
        return subprocess.run([os.path.join(TOP, "scripts", "stack.sh"),
                               *args], env=self.env, check=check,
                              capture_output=True, text=True)

    def url(self, owner=True):
        what = "db-owner-url" if owner else "db-url"
        return self.stack(what).stdout.strip()

    def admin_url(self):
        """A superuser: row-level security binds the owner too, so tests
        that inspect or prepare the tables use this one."""
        return self.stack("db-admin-url").stdout.strip()

    def matcher_url(self):
        """The worker pool's own role (ch_matcher)."""
        return self.stack("db-matcher-url").stdout.strip()

    def db(self):
        return psycopg2.connect(self.admin_url())

    def sql(self, query, params=()):
        with self.db() as conn, conn.cursor() as cur:
            cur.execute(query, params or None)
            rows = cur.fetchall() if cur.description else None
        conn.close()
        return rows

    def pg_stop(self):
        self.stack("db-down")

    def pg_start(self):
        self.stack("db-up")

    def kore_log(self):
        try:
            with open(os.path.join(self.run_dir, "kore.log"),
                      encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


@contextlib.contextmanager
def running_stack(extra_env=None):
    """A whole stack on a scratch run directory and a free port, stopped
    and removed again afterwards. extra_env adds or overrides CH_*
    settings (test_privacy_lifecycle.py runs a private one whose worker
    pool sweeps every second)."""
    run_dir = tempfile.mkdtemp(prefix="ch-test-")
    port = free_port()
    env = dict(os.environ)
    env.pop("CH_DATABASE_URL", None)
    env.update({
        "CH_RUN_DIR": run_dir,
        "CH_PORT": str(port),
        "CH_PG_FAST": "1",
        "CH_ENV": "test",
        # Requests from 127.0.0.1 may name their client in
        # X-Forwarded-For (test_signin_throttle.py); other loopback
        # addresses are untrusted peers.
        "CH_TRUSTED_PROXIES": "127.0.0.1",
        "CH_API_MODULE": os.environ.get(
            "CH_TEST_MODULE", os.path.join(TOP, "build/release/api.so")),
    })
    # A fresh random secret per run, and an ES256 key pair standing in
    # for the external issuer (tests sign its tokens with the private key).
    jwt_secret = base64.b64encode(os.urandom(48)).decode()
    # The bearer token that opens /metrics to scrapers outside the
    # internal network (test_metrics.py); hex never spells a placeholder.
    metrics_token = os.urandom(32).hex()
    ext_key = ec.generate_private_key(ec.SECP256R1())
    ext_pub = os.path.join(run_dir, "external-issuer.pub.pem")
    write_public_pem(ext_key, ext_pub)
    env.update({
        "CH_JWT_SECRET": jwt_secret,
        "CH_METRICS_TOKEN": metrics_token,
        "CH_JWT_EXTERNAL_ISSUER": EXT_ISSUER,
        "CH_JWT_EXTERNAL_KEY_FILE": ext_pub,
        "CH_JWT_EXTERNAL_ALG": "ES256",
        "CH_JWT_EXTERNAL_ROLE_CLAIM": EXT_ROLE_CLAIM,
        "CH_JWT_EXTERNAL_DISTRICT_CLAIM": EXT_DISTRICT_CLAIM,
        "CH_JWT_EXTERNAL_ROLES": ",".join(
            "%s=%s" % kv for kv in EXT_ROLES.items()),
    })
    env.update(extra_env or {})
    s = Stack(run_dir, port, env)
    s.jwt_secret = jwt_secret
    s.metrics_token = metrics_token
    s.ext_key = ext_key
    s.ext_pub_file = ext_pub
    try:
        up = s.stack("up", check=False)
        assert up.returncode == 0, up.stdout + up.stderr + s.kore_log()
        imp = subprocess.run(["/usr/bin/python3",
                              os.path.join(TOP, "scripts/import_places.py"),
                              s.url(), PLACES_FILE],
                             capture_output=True, text=True)
        assert imp.returncode == 0, imp.stderr
        yield s
    finally:
        pids = [p for f in ("kore.pid", "pg/data/postmaster.pid")
                if os.path.exists(os.path.join(run_dir, f))
                for p in open(os.path.join(run_dir, f)).read().split()[:1]]
        s.stack("down", check=False)
        left = [p for p in pids if alive(p)]
        # Workers exit shortly after their parent; give them a moment.
        for _ in range(50):
            strays = processes_of(run_dir)
            if not strays:
                break
            time.sleep(0.1)
        left += strays
        pg = os.path.join(run_dir, "pg")
        log = s.kore_log()
        if os.path.islink(pg):
            shutil.rmtree(os.path.realpath(pg), ignore_errors=True)
        shutil.rmtree(run_dir, ignore_errors=True)
    # A worker that died (crash, sandbox violation) is a bug even when
    # Kore restarted it and every test passed.
    died = [l for l in log.splitlines()
            if re.search(r"sandbox violation|\) gone|exited with status [1-9]"
                         r"|ERROR: AddressSanitizer|runtime error:", l)]
    if died:
        # The lines before the first death say why (fatal, sanitizer).
        lines = log.splitlines()
        first = lines.index(died[0])
        context = [l for l in lines[max(0, first - 60):first + 1]
                   if '"event":"request"' not in l]
        assert not died, "\n".join(died + ["--- log before it:"] + context)
    assert not left, "processes left running after down: %s" % left




@pytest.fixture(scope="session")
def stack():
    with running_stack() as s:
        yield s


class Client:
    """requests, plus: every answer is checked against the contract."""

    def __init__(self, base, spec):
        self.base = base
        self.spec = spec
        self.http = requests.Session()

    def request(self, method, path, validate=True, **kw):
        kw.setdefault("timeout", 30)
        r = self.http.request(method, self.base + path, **kw)
        # 503 is the documented answer while the database is away; any
        # other 5xx is a bug.
        assert r.status_code < 500 or r.status_code == 503, \
            (r.status_code, r.text)
        assert r.headers.get("X-Request-Id"), "missing X-Request-Id"
        if validate:
            self.spec.validate(method, r)
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)


@pytest.fixture(scope="session")
def spec():
    return Spec(os.path.join(TOP, "openapi", "openapi.yaml"))


@pytest.fixture(scope="session")
def api(stack, spec):
    return Client(stack.base, spec)
