"""api/health.c: liveness, readiness, and recovery after a database outage."""

import time


def test_liveness(api):
    r = api.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readiness_reports_schema_version(api, stack):
    r = api.get("/readyz")
    assert r.status_code == 200
    newest = stack.sql("SELECT max(version) FROM public.schema_migrations")
    assert r.json() == {"status": "ready", "schema_version": newest[0][0]}


def wait_for(api, path, status, seconds=30):
    deadline = time.monotonic() + seconds
    while True:
        r = api.get(path)
        if r.status_code == status or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


def test_readiness_follows_the_database_without_restarting_kore(api, stack):
    pid_before = open(stack.run_dir + "/kore.pid").read().strip()
    assert api.get("/readyz").status_code == 200

    stack.pg_stop()
    try:
        r = wait_for(api, "/readyz", 503)
        assert r.status_code == 503
        assert r.headers["Content-Type"] == "application/problem+json"
        assert r.headers["Retry-After"] == "1"
        assert r.json()["type"] == "urn:ch:problem:database-unavailable"
        # Liveness does not depend on the database.
        assert api.get("/healthz").status_code == 200
        # Data routes answer 503 too, never 500 or a dropped connection.
        for path in ("/v1/districts", "/v1/districts/16051",
                     "/v1/places?q=gotha"):
            assert api.get(path).status_code == 503
    finally:
        stack.pg_start()

    r = wait_for(api, "/readyz", 200)
    assert r.status_code == 200
    # Every pooled connection recovers, not just one: repeat on all.
    for _ in range(20):
        assert api.get("/v1/districts/16051").status_code == 200
    assert open(stack.run_dir + "/kore.pid").read().strip() == pid_before


def test_readiness_refuses_an_outdated_schema(api, stack):
    stack.sql("INSERT INTO public.schema_migrations (version, name, checksum)"
              " VALUES (9999, '9999_future', 'x')")
    try:
        r = api.get("/readyz")
        assert r.status_code == 503
        assert r.json()["type"] == "urn:ch:problem:not-ready"
        assert "9999" in r.json()["detail"]
    finally:
        stack.sql("DELETE FROM public.schema_migrations WHERE version = 9999")
    assert api.get("/readyz").status_code == 200
