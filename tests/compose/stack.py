"""The compose stack of docker/, driven from Python: a Docker engine (the
one that answers, or dockerd started and stopped here), the images built
from this checkout, and one project of the stack with its own secrets,
ports and networks. Used by the compose tests (conftest.py) and the
stack benchmark (bench/compose.py)."""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCKER = "/usr/bin/docker"
COMPOSE_FILE = os.path.join(TOP, "docker", "docker-compose.yml")
SHARED_DATA = os.environ.get("CH_SHARED_DATA",
                             os.path.join(TOP, "..", "shared", "data"))


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


@contextlib.contextmanager
def docker_engine():
    """A Docker engine for the block: the one that answers, or dockerd
    started here and stopped again at the end."""
    if docker_answers():
        yield None
        return
    state = tempfile.mkdtemp(prefix="ch-dockerd.")
    logf = open(os.path.join(state, "dockerd.log"), "w")
    proc = subprocess.Popen(
        ["/usr/sbin/dockerd", "--pidfile", os.path.join(state, "pid")],
        stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(300):
            if docker_answers() or proc.poll() is not None:
                break
            time.sleep(0.1)
        if not docker_answers():
            logf.flush()
            with open(os.path.join(state, "dockerd.log")) as f:
                raise RuntimeError("dockerd did not start:\n" +
                                   f.read()[-3000:])
        log("started dockerd (pid %d)" % proc.pid)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log("stopped dockerd")
        logf.close()
        shutil.rmtree(state, ignore_errors=True)


class Compose:
    """docker-compose for one project of the stack, plus docker's own
    inspections. scale: {"api": 2, ...}, passed to every `up`."""

    def __init__(self, project, env, scale=None):
        self.project = project
        self.env = env
        self.scale = dict(scale or {})
        self.work = None
        self.https = self.http = self.cafile = None

    def run(self, *args, check=True, timeout=900, env=None):
        cmd = ["docker-compose", "-f", COMPOSE_FILE, "-p", self.project] + \
            list(args)
        r = subprocess.run(cmd, env=dict(self.env, **(env or {})),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("%s failed (%d):\n%s\n%s" % (
                " ".join(args), r.returncode, r.stdout[-3000:],
                r.stderr[-3000:]))
        return r

    def up(self, *services, env=None):
        scale = []
        for name, n in sorted(self.scale.items()):
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
                "--filter", "label=com.docker.compose.project=" +
                self.project]
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
        (peer authentication: the database refuses the host)."""
        out = self.docker("exec", self.containers("db")[0], "psql", "-X",
                          "-At", "-F", "|", "-U", "postgres", "-d", "ch",
                          "-v", "ON_ERROR_STOP=1", "-c", query)
        return [line.split("|") for line in out.splitlines() if line]

    def ca(self, path):
        """The root certificate of the proxy's internal CA."""
        proxy = self.containers("proxy")[0]
        self.docker("cp", proxy + ":/data/caddy/pki/authorities/local/"
                    "root.crt", path)
        return path


def make(project, subnet, scale, **settings):
    """A Compose for a new project: its own secrets in a scratch folder,
    ports on 127.0.0.1, networks 172.28.<subnet>.0/24 (app) and
    172.28.<subnet + 1>.0/24 (data), demo data, and settings (CH_*
    variables) on top. Nothing of the caller's CH_* variables leaks in."""
    work = tempfile.mkdtemp(prefix="ch-%s." % project)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CH_")}
    env.update({
        "DOCKER": DOCKER,
        "CH_SECRETS_DIR": os.path.join(work, "secrets"),
        "CH_HTTP_BIND": "127.0.0.1:%d" % free_port(),
        "CH_HTTPS_BIND": "127.0.0.1:%d" % free_port(),
        "CH_ENV": "test",
        "CH_DEMO_DATA": "1",
        "CH_PLACES_DIR": os.path.abspath(SHARED_DATA),
        "CH_APP_SUBNET": "172.28.%d.0/24" % subnet,
        "CH_APP_IP_RANGE": "172.28.%d.128/25" % subnet,
        "CH_PROXY_ADDRESS": "172.28.%d.2" % subnet,
        "CH_DATA_SUBNET": "172.28.%d.0/24" % (subnet + 1),
        "CH_DATA_GATEWAY": "172.28.%d.1" % (subnet + 1),
        "COMPOSE_HTTP_TIMEOUT": "300",
    })
    env.update(settings)
    c = Compose(project, env, scale)
    c.work = work
    subprocess.run([os.path.join(TOP, "docker", "gen-secrets.sh"),
                    env["CH_SECRETS_DIR"]], check=True,
                   stdout=subprocess.DEVNULL)
    c.https = "https://localhost:%s" % env["CH_HTTPS_BIND"].split(":")[1]
    c.http = "http://localhost:%s" % env["CH_HTTP_BIND"].split(":")[1]
    return c


def build(compose):
    """The base image (made once, then kept) and the stack's images.
    Returns the seconds of each."""
    t0 = time.monotonic()
    r = subprocess.run([os.path.join(TOP, "docker", "build-base.sh")],
                       env=compose.env)
    if r.returncode != 0:
        raise AssertionError("build-base.sh failed")
    t1 = time.monotonic()
    compose.run("build", timeout=1800)
    return t1 - t0, time.monotonic() - t1


def start(compose):
    """The project from nothing to healthy; returns the seconds."""
    compose.run("down", "-v", "--remove-orphans", check=False)
    t0 = time.monotonic()
    compose.up()
    compose.wait_healthy()
    seconds = time.monotonic() - t0
    compose.cafile = compose.ca(os.path.join(compose.work, "root.crt"))
    return seconds


def remove(compose):
    """The project with its volumes, and its scratch folder."""
    compose.run("--profile", "tools", "--profile", "replica", "down", "-v",
                "--remove-orphans", check=False)
    shutil.rmtree(compose.work, ignore_errors=True)
