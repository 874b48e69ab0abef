"""The compose stack of docker/, built and run for real, the way ops run it.

One stack for the whole session (project "chtest"), with two API and two
matcher replicas, demo data, and its own secrets, ports and networks. The
tests reach it only through the proxy, over HTTPS verified against the
stack's own CA, and through `docker` and `docker-compose` commands.

If no Docker engine answers, the session starts dockerd and stops it at
the end. Images are built from this checkout; the base image is made with
debootstrap once and kept. CH_COMPOSE_KEEP=1 leaves the stack running
after the session, for a look at it.
"""

import importlib.util
import json
import os
import sys

import pytest
import requests

import stack
from stack import TOP, log

# TLS is verified against the stack's own CA and nothing else: requests
# would let these variables replace a session's CA file.
for _name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(_name, None)

sys.path.insert(0, os.path.join(TOP, "tests", "api"))
from spec import Spec  # noqa: E402

PROJECT = "chtest"
# Figures for the report at the end of the session.
FIGURES = {}


def _api_client_class():
    """tests/api's Client (its conftest cannot be imported by name from
    here: this file is a conftest too)."""
    path = os.path.join(TOP, "tests", "api", "conftest.py")
    mod_spec = importlib.util.spec_from_file_location("api_conftest", path)
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)
    return mod.Client


Client = _api_client_class()


@pytest.fixture(scope="session")
def dockerd():
    """A Docker engine: the one that answers, or one started here."""
    with stack.docker_engine() as proc:
        yield proc


@pytest.fixture(scope="session")
def compose(dockerd):
    c = stack.make(PROJECT, 231, {"api": 2, "matcher": 2},
                   CH_MATCHER_LEASE_SECONDS="5",
                   CH_API_CPUS="1", CH_MATCHER_CPUS="1")
    base_s, build_s = stack.build(c)
    FIGURES["base image (s)"] = round(base_s, 1)
    FIGURES["compose build (s)"] = round(build_s, 1)
    FIGURES["up from nothing to healthy (s)"] = round(stack.start(c), 1)
    yield c
    if os.environ.get("CH_COMPOSE_KEEP") != "1":
        stack.remove(c)
        # The upgrade test's images; this checkout's stay, as a cache.
        for name in ("api", "matcher", "migrate", "db", "proxy", "backup"):
            c.docker("image", "rm", "ch-%s:next" % name, check=False)
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


def pytest_terminal_summary(terminalreporter):
    """The figures of the session, for the record."""
    if FIGURES:
        terminalreporter.write_line("compose figures: " +
                                    json.dumps(FIGURES))
