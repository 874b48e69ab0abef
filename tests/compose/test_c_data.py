"""The data of a deployment: it survives down and up, a backup restored
into a fresh database volume equals what was backed up, and the upgrade
to a release with a new migration brings it forward with nothing lost."""

import os
import shutil
import time

import pytest

from matching_util import callers
from partners_util import hdr

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TABLES = ["ch.app_user", "ch.organization", "ch.offer", "ch.participant",
          "ch.consent", "ch.placement", "ch.matching_job", "ch.proposal",
          "ch.mentor", "ch.tandem", "ch.audit_log", "public.schema_migrations"]

# A sample of rows, as text, from tables holding personal data.
SAMPLE = ("SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM "
          "(SELECT * FROM {table} ORDER BY id LIMIT 200) t")


def snapshot(compose):
    counts = {t: compose.sql("SELECT count(*) FROM %s" % t)[0][0]
              for t in TABLES}
    samples = {t: compose.sql(SAMPLE.format(table=t))[0][0]
               for t in ("ch.participant", "ch.placement", "ch.proposal",
                         "ch.app_user", "ch.consent")}
    return counts, samples


@pytest.fixture(scope="module")
def who(api):
    return callers(api)


def test_data_persists_across_down_and_up(api, compose, who):
    before = snapshot(compose)
    assert int(before[0]["ch.participant"]) > 0
    compose.run("down")
    assert compose.containers(all=True) == []
    compose.up()
    compose.wait_healthy()
    assert snapshot(compose) == before
    r = api.get("/v1/me", headers=hdr(who["assist"].token))
    assert r.status_code == 200


def test_backup_restores_into_a_fresh_volume(api, compose, who, figures):
    # Nothing writes between the dump and the snapshot.
    compose.run("stop", "api", "matcher")
    backup = compose.containers("backup")[0]
    compose.docker("exec", backup, "/usr/lib/ch/backup.sh", "now")
    listed = compose.docker("exec", backup, "/usr/lib/ch/backup.sh",
                            "list").split()
    assert listed and listed[0].startswith("ch-")
    compose.run("stop", "backup")
    before = snapshot(compose)

    # The database volume is lost; a new one is made.
    compose.run("rm", "-sf", "db")
    compose.docker("volume", "rm", compose.project + "_db-data")
    compose.run("up", "-d", "--no-build", "db")
    deadline = time.monotonic() + 120
    while compose.health(compose.containers("db")[0]) != "healthy":
        assert time.monotonic() < deadline, "db did not come back"
        time.sleep(1)
    assert compose.sql("SELECT count(*) FROM pg_database "
                       "WHERE datname = 'ch'")[0][0] == "1"
    assert compose.sql("SELECT to_regclass('ch.participant') IS NULL")[0][0] \
        == "t", "a fresh volume has no schema"

    t0 = time.monotonic()
    compose.run("run", "--rm", "restore", "latest")
    figures["restore (s)"] = round(time.monotonic() - t0, 1)
    assert snapshot(compose) == before
    # The database it replaced (the new volume's empty one) is kept.
    assert compose.sql("SELECT count(*) FROM pg_database "
                       "WHERE datname = 'ch_previous'")[0][0] == "1"

    compose.up()
    compose.wait_healthy()
    r = api.get("/v1/me", headers=hdr(who["assist"].token))
    assert r.status_code == 200


def copy_with_a_new_migration(dest):
    """This checkout's sources plus one migration: the next release."""
    for name in ("Makefile", ".dockerignore"):
        shutil.copy2(os.path.join(TOP, name), dest)
    for name in ("api", "common", "conf", "db", "docker", "matcher",
                 "openapi", "scripts"):
        src = os.path.join(TOP, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest, name), ignore=
                            shutil.ignore_patterns("node_modules", "secrets",
                                                   "places", "__pycache__"))
    os.makedirs(os.path.join(dest, "tests", "fuzz"))
    shutil.copy2(os.path.join(TOP, "tests", "fuzz", "fuzz.mk"),
                 os.path.join(dest, "tests", "fuzz"))
    migrations = sorted(f for f in os.listdir(os.path.join(dest, "db",
                                                           "migrations"))
                        if f[:4].isdigit())
    number = int(migrations[-1][:4]) + 1
    name = "%04d_upgrade_probe.sql" % number
    with open(os.path.join(dest, "db", "migrations", name), "w") as f:
        f.write("-- A release's migration: a new table filled from the "
                "existing data, and a new column.\n"
                "CREATE TABLE ch.upgrade_probe (district_id text PRIMARY KEY "
                "REFERENCES ch.district (id), offers integer NOT NULL);\n"
                "INSERT INTO ch.upgrade_probe SELECT district_id, count(*) "
                "FROM ch.offer GROUP BY district_id;\n"
                "ALTER TABLE ch.offer ADD COLUMN upgrade_note text;\n")
    return name[:4]


def test_upgrade_with_the_migrate_service(api, compose, who, figures):
    before = snapshot(compose)
    offers = dict(compose.sql("SELECT district_id, count(*)::text FROM "
                              "ch.offer GROUP BY 1"))
    context = os.path.join(compose.work, "next")
    os.makedirs(context)
    number = copy_with_a_new_migration(context)
    env = {"CH_BUILD_CONTEXT": context, "CH_IMAGE_TAG": "next"}
    t0 = time.monotonic()
    compose.run("build", env=env, timeout=1800)
    figures["upgrade build (s)"] = round(time.monotonic() - t0, 1)
    try:
        t0 = time.monotonic()
        compose.up(env=env)
        compose.env.update(env)   # from now on the stack is "next"
        compose.wait_healthy()
        figures["upgrade up (s)"] = round(time.monotonic() - t0, 1)
        for cid in compose.containers():
            assert compose.inspect(cid)["Config"]["Image"].endswith(":next")
        applied = compose.sql("SELECT version FROM public.schema_migrations "
                              "ORDER BY version DESC LIMIT 1")[0][0]
        assert int(applied) == int(number)
        assert dict(compose.sql("SELECT district_id, offers::text FROM "
                                "ch.upgrade_probe")) == offers
        after = snapshot(compose)
        counts = dict(after[0])
        counts["public.schema_migrations"] = str(
            int(counts["public.schema_migrations"]) - 1)
        assert counts == before[0]
        assert after[1] == before[1]
        r = api.get("/readyz")
        assert r.status_code == 200
        r = api.get("/v1/me", headers=hdr(who["assist"].token))
        assert r.status_code == 200
    finally:
        compose.env.pop("CH_BUILD_CONTEXT", None)


def test_hot_standby_follows_the_primary(compose):
    compose.run("--profile", "replica", "up", "-d", "--no-build",
                "db-replica")
    replica = compose.containers("db-replica")
    assert len(replica) == 1
    deadline = time.monotonic() + 120
    while compose.health(replica[0]) != "healthy":
        assert time.monotonic() < deadline, compose.run(
            "--profile", "replica", "logs", "--tail=30", "db-replica").stdout
        time.sleep(1)

    def on_replica(query, check=True):
        return compose.run("--profile", "replica", "exec", "-T",
                           "db-replica", "psql", "-X", "-At", "-U",
                           "postgres", "-d", "ch", "-c", query, check=check)

    deadline = time.monotonic() + 30
    while compose.sql("SELECT state FROM pg_stat_replication") != \
            [["streaming"]]:
        assert time.monotonic() < deadline, "the standby does not stream"
        time.sleep(0.5)
    # It streams with the password from its secret file, which is not
    # stored in its volume.
    conf = compose.run("--profile", "replica", "exec", "-T", "db-replica",
                       "cat", "/var/lib/postgresql/data/"
                       "postgresql.auto.conf").stdout
    assert "passfile=" in conf and "password" not in conf, conf
    # A change on the primary reaches the standby.
    marker = "standby-%d" % time.time_ns()
    compose.sql("CREATE TABLE public.standby_probe (note text); "
                "INSERT INTO public.standby_probe VALUES ('%s')" % marker)
    deadline = time.monotonic() + 30
    while on_replica("SELECT note FROM public.standby_probe",
                     check=False).stdout.strip() != marker:
        assert time.monotonic() < deadline, "the standby did not follow"
        time.sleep(0.5)
    assert on_replica("SELECT pg_is_in_recovery()").stdout.strip() == "t"
    refused = on_replica("INSERT INTO public.standby_probe VALUES ('x')",
                         check=False)
    assert refused.returncode != 0
    assert "read-only transaction" in refused.stderr
    compose.sql("DROP TABLE public.standby_probe")
