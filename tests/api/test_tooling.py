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
