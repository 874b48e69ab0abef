"""The compose stack of docker/, built and run for real, the way ops run it.

One stack for the whole session (project "chtest"), with two API and two
matcher replicas, demo data, and its own secrets, ports and networks. The
tests reach it only through the proxy, over HTTPS verified against the
stack's own CA, and through `docker` and `docker-compose` commands.

If no Docker engine answers, the session starts dockerd and stops it at
the end. Images are built from this checkout; the base image is made with
debootstrap once and kept.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import requests

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "api"))

from spec import Spec  # noqa: E402


def _api_client_class():
    """tests/api's Client (its conftest cannot be imported by name from
    here: this file is a conftest too)."""
    import importlib.util
    path = os.path.join(TOP, "tests", "api", "conftest.py")
    mod_spec = importlib.util.spec_from_file_location("api_conftest", path)
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)
    return mod.Client


Client = _api_client_class()

DOCKER = "/usr/bin/docker"
COMPOSE_FILE = os.path.join(TOP, "docker", "docker-compose.yml")
PROJECT = "chtest"
SCALE = {"api": 2, "matcher": 2}
SHARED_DATA = os.environ.get("CH_SHARED_DATA",
                             os.path.join(TOP, "..", "shared", "data"))
# Figures for the report at the end of the session.
FIGURES = {}


def log(msg):
    sys.stderr.write("compose: %s\n" % msg)
    sys.stderr.flush()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def docker_answers():
    return subprocess.run([DOCKER, "info"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


@pytest.fixture(scope="session")
def dockerd():
    """A Docker engine: the one that answers, or one started here."""
    if docker_answers():
        yield None
        return
    state = tempfile.mkdtemp(prefix="ch-dockerd.")
    logf = open(os.path.join(state, "dockerd.log"), "w")
    proc = subprocess.Popen(
        ["/usr/sbin/dockerd", "--pidfile", os.path.join(state, "pid")],
        stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(300):
        if docker_answers():
            break
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    else:
        proc.kill()
    if not docker_answers():
        logf.close()
        with open(os.path.join(state, "dockerd.log")) as f:
            pytest.fail("dockerd did not start:\n" + f.read()[-3000:])
    log("started dockerd (pid %d)" % proc.pid)
    yield proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    logf.close()
    shutil.rmtree(state, ignore_errors=True)
    log("stopped dockerd")


class Compose:
    """docker-compose for the test project, plus docker inspections."""

    def __init__(self, env):
        self.env = env

    def run(self, *args, check=True, timeout=900, env=None, input=None):
        cmd = ["docker-compose", "-f", COMPOSE_FILE, "-p", PROJECT] + \
            list(args)
        r = subprocess.run(cmd, env=dict(self.env, **(env or {})),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise AssertionError("%s failed (%d):\n%s\n%s" % (
                " ".join(args), r.returncode, r.stdout[-3000:],
                r.stderr[-3000:]))
        return r

    def up(self, *services, env=None):
        scale = []
        for name, n in SCALE.items():
            scale += ["--scale", "%s=%d" % (name, n)]
        return self.run("up", "-d", "--no-build", *scale, *services, env=env)

    def docker(self, *args, check=True, timeout=300):
        r = subprocess.run([DOCKER] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("docker %s failed: %s" % (
                " ".join(args), r.stderr[-2000:]))
        return r.stdout

    def containers(self, service=None, all=False):
        args = ["ps", "-q", "--no-trunc",
                "--filter", "label=com.docker.compose.project=" + PROJECT]
        if service:
            args += ["--filter", "label=com.docker.compose.service=" +
                     service]
        if all:
            args.append("-a")
        return sorted(self.docker(*args).split())

    def inspect(self, cid):
        return json.loads(self.docker("inspect", cid))[0]

    def health(self, cid):
        state = self.inspect(cid)["State"]
        return state.get("Health", {}).get("Status", state["Status"])

    def wait_healthy(self, seconds=180):
        """Every running container of the project is healthy."""
        end = time.monotonic() + seconds
        while True:
            states = {cid[:12]: self.health(cid)
                      for cid in self.containers()}
            if states and all(s == "healthy" for s in states.values()):
                return
            if time.monotonic() > end:
                raise AssertionError("not healthy: %s\n%s" % (
                    states, self.run("logs", "--tail=40",
                                     check=False).stdout[-6000:]))
            time.sleep(1)

    def sql(self, query):
        """Rows of a query run as the superuser inside the db container
        (peer authentication: the database is not reachable from here)."""
        r = self.run("exec", "-T", "db", "psql", "-X", "-At", "-F", "|",
                     "-U", "postgres", "-d", "ch", "-v", "ON_ERROR_STOP=1",
                     "-c", query)
        return [line.split("|") for line in r.stdout.splitlines() if line]

    def ca(self, path):
        """The root certificate of the proxy's internal CA."""
        proxy = self.containers("proxy")[0]
        self.docker("cp", proxy + ":/data/caddy/pki/authorities/local/"
                    "root.crt", path)
        return path


def build(compose):
    """The base image (once) and the stack's images; returns seconds."""
    t0 = time.monotonic()
    r = subprocess.run([os.path.join(TOP, "docker", "build-base.sh")],
                       env=compose.env)
    assert r.returncode == 0, "build-base.sh failed"
    t1 = time.monotonic()
    compose.run("build", timeout=1800)
    t2 = time.monotonic()
    return t1 - t0, t2 - t1


@pytest.fixture(scope="session")
def compose(dockerd):
    work = tempfile.mkdtemp(prefix="ch-compose.")
    secrets = os.path.join(work, "secrets")
    env = dict(os.environ)
    env.update({
        "DOCKER": DOCKER,
        "CH_SECRETS_DIR": secrets,
        "CH_HTTP_BIND": "127.0.0.1:%d" % free_port(),
        "CH_HTTPS_BIND": "127.0.0.1:%d" % free_port(),
        "CH_ENV": "test",
        "CH_DEMO_DATA": "1",
        "CH_PLACES_DIR": os.path.abspath(SHARED_DATA),
        "CH_MATCHER_LEASE_SECONDS": "5",
        # A network of its own, so that a stack of ops or a developer on
        # the same machine is not disturbed.
        "CH_APP_SUBNET": "172.28.231.0/24",
        "CH_APP_IP_RANGE": "172.28.231.128/25",
        "CH_PROXY_ADDRESS": "172.28.231.2",
        "CH_DATA_SUBNET": "172.28.232.0/24",
        "CH_DATA_GATEWAY": "172.28.232.1",
        "CH_API_CPUS": "1", "CH_MATCHER_CPUS": "1",
        "COMPOSE_HTTP_TIMEOUT": "300",
    })
    env.pop("CH_DATABASE_URL", None)
    c = Compose(env)
    c.work = work
    subprocess.run([os.path.join(TOP, "docker", "gen-secrets.sh"), secrets],
                   check=True, stdout=subprocess.DEVNULL)
    c.run("down", "-v", "--remove-orphans", check=False)
    base_s, build_s = build(c)
    FIGURES["base image (s)"] = round(base_s, 1)
    FIGURES["compose build (s)"] = round(build_s, 1)
    t0 = time.monotonic()
    c.up()
    c.wait_healthy()
    FIGURES["up from nothing to healthy (s)"] = round(
        time.monotonic() - t0, 1)
    c.https = "https://localhost:%s" % env["CH_HTTPS_BIND"].split(":")[1]
    c.http = "http://localhost:%s" % env["CH_HTTP_BIND"].split(":")[1]
    c.cafile = c.ca(os.path.join(work, "root.crt"))
    yield c
    if os.environ.get("CH_COMPOSE_KEEP") != "1":
        c.run("--profile", "tools", "--profile", "replica", "down", "-v",
              "--remove-orphans", check=False)
        # The upgrade test's images; this checkout's stay, as a cache.
        for name in ("api", "matcher", "migrate", "db", "proxy", "backup"):
            c.docker("image", "rm", "ch-%s:next" % name, check=False)
    shutil.rmtree(work, ignore_errors=True)
    log("figures: %s" % json.dumps(FIGURES))


@pytest.fixture(scope="session")
def figures():
    """Measurements printed at the end of the session."""
    return FIGURES


@pytest.fixture(scope="session")
def spec():
    return Spec(os.path.join(TOP, "openapi", "openapi.yaml"))


@pytest.fixture(scope="session")
def api(compose, spec):
    """tests/api's client, pointed at the proxy, TLS verified."""
    client = Client(compose.https, spec)
    client.http.verify = compose.cafile
    return client


@pytest.fixture(scope="session")
def https(compose):
    """A plain session to the proxy (for answers outside the contract)."""
    s = requests.Session()
    s.verify = compose.cafile
    return s
