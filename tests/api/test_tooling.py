"""scripts/migrate.sh, scripts/import_places.py and the configuration
check that runs before Kore starts."""

import os
import shutil
import subprocess
import tempfile

from conftest import PLACES_FILE, TOP


def run(*args, env=None):
    return subprocess.run(args, capture_output=True, text=True, env=env)


def test_migrate_twice_is_a_no_op(stack):
    before = stack.sql("SELECT version, checksum, applied_at "
                       "FROM public.schema_migrations ORDER BY version")
    r = run(os.path.join(TOP, "scripts/migrate.sh"), stack.url())
    assert r.returncode == 0, r.stderr
    assert "up to date" in r.stdout
    assert stack.sql("SELECT version, checksum, applied_at FROM "
                     "public.schema_migrations ORDER BY version") == before


def test_a_changed_applied_migration_is_refused(stack):
    tmp = tempfile.mkdtemp()
    try:
        shutil.copytree(os.path.join(TOP, "db"), os.path.join(tmp, "db"))
        first = sorted(os.listdir(os.path.join(tmp, "db/migrations")))[0]
        with open(os.path.join(tmp, "db/migrations", first), "a") as f:
            f.write("\n-- edited after it was applied\n")
        r = run(os.path.join(TOP, "scripts/migrate.sh"), stack.url(),
                os.path.join(tmp, "db"))
        assert r.returncode != 0
        assert first in r.stderr and "changed after it was applied" in \
            r.stderr
    finally:
        shutil.rmtree(tmp)


def test_reimport_updates_and_never_duplicates(stack):
    count = stack.sql("SELECT count(*) FROM ch.place")[0][0]
    r = run("/usr/bin/python3", os.path.join(TOP, "scripts/import_places.py"),
            stack.url(), PLACES_FILE)
    assert r.returncode == 0, r.stderr
    assert "0 places new" in r.stdout
    assert stack.sql("SELECT count(*) FROM ch.place")[0][0] == count
    assert stack.sql("SELECT count(*) FROM (SELECT postal_code, name FROM "
                     "ch.place GROUP BY 1, 2 HAVING count(*) > 1) d")[0][0] \
        == 0


def test_bad_rows_are_reported_with_line_numbers_and_skipped(stack):
    rows = [
        "postal_code,place,district_key,district,latitude,longitude",
        "99099,Testdorf Gut,16051,Erfurt,50.9,11.0",         # line 2: good
        "9909,Kurz,16051,Erfurt,50.9,11.0",                  # 3: postal code
        "99098,Weit,16051,Erfurt,95.0,11.0",                 # 4: latitude
        "99097,Fremd,09162,München,48.1,11.5",               # 5: other district
        "99096,Kaputt,16051",                                # 6: columns
        "99095,,16051,Erfurt,50.9,11.0",                     # 7: empty name
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write("\n".join(rows) + "\n")
    try:
        r = run("/usr/bin/python3",
                os.path.join(TOP, "scripts/import_places.py"),
                stack.url(), f.name)
    finally:
        os.unlink(f.name)
    assert r.returncode == 0, r.stderr
    for line in (3, 4, 6, 7):
        assert "line %d skipped" % line in r.stderr, r.stderr
    assert "line 2 " not in r.stderr and "line 5 " not in r.stderr
    assert "1 rows of other districts skipped" in r.stdout
    names = {n for (n,) in stack.sql(
        "SELECT name FROM ch.place WHERE name IN "
        "('Testdorf Gut', 'Kurz', 'Weit', 'Fremd', 'Kaputt')")}
    assert names == {"Testdorf Gut"}
    stack.sql("DELETE FROM ch.place WHERE name = 'Testdorf Gut'")


def test_configuration_check_refuses_bad_values():
    check = os.path.join(TOP, "build/ch-config-check")
    base = {"PATH": os.environ["PATH"],
            "CH_DATABASE_URL": "postgresql:///ch",
            "CH_JWT_SECRET": "Zq3v8L0pT2xWm9Rk4Yb7Nc1Hd6Fs5Ja0Ue3Gi8Oo2Qw"}
    assert run(check, env=base).returncode == 0
    for extra, word in (({"CH_DATABASE_URL": ""}, "CH_DATABASE_URL"),
                        ({"CH_DATABASE_LISTEN_URL": "db-host"},
                         "CH_DATABASE_LISTEN_URL"),
                        ({"CH_PORT": "0"}, "CH_PORT"),
                        ({"CH_PORT": "80a"}, "CH_PORT"),
                        ({"CH_WORKERS": "0"}, "CH_WORKERS"),
                        ({"CH_ENV": "prod"}, "CH_ENV"),
                        ({"CH_LOG_LEVEL": "loud"}, "CH_LOG_LEVEL"),
                        ({"CH_TRUSTED_PROXIES": "proxy.example"},
                         "CH_TRUSTED_PROXIES"),
                        ({"CH_TRUSTED_PROXIES": "10.0.0.1/8"},
                         "CH_TRUSTED_PROXIES"),
                        ({"CH_TRUSTED_PROXIES": "0.0.0.0/0"},
                         "CH_TRUSTED_PROXIES")):
        r = run(check, env={**base, **extra})
        assert r.returncode == 1, extra
        assert word in r.stderr, (extra, r.stderr)


# ---------------------------------------------------- scripts/render-conf.sh

RENDER_CONF = os.path.join(TOP, "scripts/render-conf.sh")
CONF_BASE = {"CH_DATABASE_URL": "postgresql:///ch",
             "CH_JWT_SECRET": "Zq3v8L0pT2xWm9Rk4Yb7Nc1Hd6Fs5Ja0Ue3Gi8Oo2Qw"}


def render(out, **env):
    e = {"PATH": os.environ["PATH"], **CONF_BASE}
    e.update({k: v for k, v in env.items() if v is not None})
    for k in [k for k, v in env.items() if v is None]:
        e.pop(k, None)
    return run(RENDER_CONF, out, env=e)


def test_render_conf_fills_the_template():
    tmp = tempfile.mkdtemp()
    try:
        out = os.path.join(tmp, "api.conf")
        module = os.path.join(tmp, "api.so")
        open(module, "w").close()
        r = render(out, CH_KORE_PIDFILE="/run/ch/kore.pid", CH_HOST="::1",
                   CH_PORT="8443", CH_WORKERS="4", CH_PG_CONN_MAX="3",
                   CH_SECCOMP_TRACING="1", CH_API_MODULE=module)
        assert r.returncode == 0, r.stderr
        conf = open(out).read()
        for line in ("bind ::1 8443", "load %s api_init" % module,
                     "workers\t\t\t4", "pidfile\t\t\t/run/ch/kore.pid",
                     "pgsql_conn_max\t\t3", "seccomp_tracing\t\tyes"):
            assert line in conf, (line, conf)
        assert "@" not in conf.replace("@demo", "")

        # The defaults: 127.0.0.1:8080, 2 workers, 2 connections, the
        # sandbox killing; the module of the build.
        r = render(out, CH_KORE_PIDFILE="/tmp/k.pid",
                   CH_API_MODULE=module)
        assert r.returncode == 0, r.stderr
        conf = open(out).read()
        for line in ("bind 127.0.0.1 8080", "workers\t\t\t2",
                     "pgsql_conn_max\t\t2", "seccomp_tracing\t\tno"):
            assert line in conf, (line, conf)

        # Another template.
        tpl = os.path.join(tmp, "t.in")
        with open(tpl, "w") as f:
            f.write("bind @HOST@ @PORT@\n")
        r = render(out, CH_KORE_PIDFILE="/tmp/k.pid", CH_API_MODULE=module,
                   CH_KORE_CONF_TEMPLATE=tpl)
        assert r.returncode == 0, r.stderr
        assert open(out).read() == "bind 127.0.0.1 8080\n"
        with open(tpl, "w") as f:
            f.write("bind @HOST@ @PORT@ @NEW_THING@\n")
        r = render(out, CH_KORE_PIDFILE="/tmp/k.pid", CH_API_MODULE=module,
                   CH_KORE_CONF_TEMPLATE=tpl)
        assert r.returncode == 1 and "@NEW_THING@" in r.stderr, r.stderr
        assert open(out).read() == "bind 127.0.0.1 8080\n"
    finally:
        shutil.rmtree(tmp)


def test_render_conf_refuses_bad_values():
    tmp = tempfile.mkdtemp()
    try:
        out = os.path.join(tmp, "api.conf")
        module = os.path.join(tmp, "api.so")
        open(module, "w").close()
        good = {"CH_KORE_PIDFILE": "/tmp/k.pid", "CH_API_MODULE": module}
        for extra, word in (({"CH_KORE_PIDFILE": None}, "CH_KORE_PIDFILE"),
                            ({"CH_PORT": "0"}, "CH_PORT"),
                            ({"CH_PORT": "65536"}, "CH_PORT"),
                            ({"CH_PORT": "80a"}, "CH_PORT"),
                            ({"CH_PORT": "080"}, "CH_PORT"),
                            ({"CH_PORT": "99999999999999999999"}, "CH_PORT"),
                            ({"CH_WORKERS": "0"}, "CH_WORKERS"),
                            ({"CH_WORKERS": "65"}, "CH_WORKERS"),
                            ({"CH_WORKERS": "-1"}, "CH_WORKERS"),
                            ({"CH_PG_CONN_MAX": "0"}, "CH_PG_CONN_MAX"),
                            ({"CH_PG_CONN_MAX": "x"}, "CH_PG_CONN_MAX"),
                            ({"CH_SECCOMP_TRACING": "yes"},
                             "CH_SECCOMP_TRACING"),
                            ({"CH_HOST": "a b"}, "CH_HOST"),
                            ({"CH_HOST": "a|b"}, "CH_HOST"),
                            ({"CH_KORE_PIDFILE": "/tmp/a&b"},
                             "CH_KORE_PIDFILE"),
                            ({"CH_API_MODULE": os.path.join(tmp, "no.so")},
                             "missing"),
                            ({"CH_PORT_FILE": "/tmp/port"}, "CH_PORT_FILE"),
                            ({"CH_CONFIG_CHECK": "/nonexistent/check"},
                             "missing"),
                            # The configuration check runs first.
                            ({"CH_PORT": "8080", "CH_JWT_SECRET": "short"},
                             "CH_JWT_SECRET")):
            r = render(out, **{**good, **extra})
            assert r.returncode == 1, (extra, r.stderr)
            assert word in r.stderr, (extra, r.stderr)
            assert not os.path.exists(out), extra
    finally:
        shutil.rmtree(tmp)
