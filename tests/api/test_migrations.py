"""scripts/migrate.sh on databases of their own, next to the stack's: the
upgrade from the last release equals a fresh install, a function file is
the one source of its functions, and an applied migration stays frozen."""

import os
import re
import shutil
import subprocess
import tempfile
import uuid

import psycopg2
import pytest

from conftest import TOP

MIGRATE = os.path.join(TOP, "scripts", "migrate.sh")


def run(*args, check=True, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if check:
        assert r.returncode == 0, "%s failed:\n%s%s" % (args[0], r.stdout,
                                                         r.stderr)
    return r


def last_release():
    """(version, commit) of the newest release CHANGELOG.md names."""
    with open(os.path.join(TOP, "CHANGELOG.md")) as f:
        m = re.search(r"^## (\d+\.\d+\.\d+), commit ([0-9a-f]{40})$",
                      f.read(), re.M)
    assert m, "CHANGELOG.md names no release with its commit"
    return m.group(1), m.group(2)


class Scratch:
    """Empty databases in the stack's cluster, set up the way
    scripts/stack.sh sets up its own, dropped at the end."""

    def __init__(self, stack):
        self.admin = stack.admin_url()
        self.owner = stack.url()
        self.names = []

    def _with_db(self, url, name):
        return re.sub(r"^(postgresql://[^/?]*/)[^?]*", r"\g<1>" + name, url)

    def create(self):
        name = "scratch_" + uuid.uuid4().hex[:12]
        conn = psycopg2.connect(self.admin)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE DATABASE %s OWNER ch_owner" % name)
        conn.close()
        self.names.append(name)
        conn = psycopg2.connect(self._with_db(self.admin, name))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC; "
                        "ALTER SCHEMA public OWNER TO ch_owner")
        conn.close()
        return self._with_db(self.owner, name)

    def drop(self):
        conn = psycopg2.connect(self.admin)
        conn.autocommit = True
        with conn.cursor() as cur:
            for name in self.names:
                cur.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        conn.close()


@pytest.fixture
def scratch(stack):
    s = Scratch(stack)
    yield s
    s.drop()


def schema_dump(url):
    """pg_dump --schema-only without the random \\restrict key that newer
    pg_dump writes."""
    out = run("pg_dump", "--schema-only", url).stdout
    return "\n".join(line for line in out.splitlines()
                     if not re.match(r"^\\(un)?restrict ", line))


def records(url):
    """What migrate.sh recorded: migrations and code files with their
    checksums."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT version, name, checksum FROM "
                        "public.schema_migrations ORDER BY version")
            migrations = cur.fetchall()
            cur.execute("SELECT file, checksum FROM public.schema_code "
                        "ORDER BY file")
            return migrations, cur.fetchall()
    finally:
        conn.close()


def db_copy(tmp_path):
    """A copy of db/ to change, as a later or earlier checkout would."""
    db = tmp_path / "db"
    shutil.copytree(os.path.join(TOP, "db"), db)
    return db


def migrate(url, db_dir=None):
    args = [MIGRATE, url] + ([db_dir] if db_dir else [])
    return run(*args)


@pytest.fixture(scope="module")
def release_tree():
    """The last release's files, checked out from git."""
    version, commit = last_release()
    tmp = tempfile.mkdtemp(prefix="ch-release-")
    tree = os.path.join(tmp, version)
    have = ["git", "-C", TOP, "cat-file", "-e", commit + "^{commit}"]
    if run(*have, check=False).returncode != 0:
        # A shallow clone: fetch the history it left out, if it can.
        run("git", "-C", TOP, "fetch", "--quiet", "--unshallow", check=False)
    r = run(*have, check=False)
    assert r.returncode == 0, (
        "release %s (commit %s) is not in this clone's history: the "
        "upgrade test needs it (git fetch --unshallow)" % (version, commit))
    run("git", "-C", TOP, "worktree", "add", "--detach", tree, commit)
    yield tree
    run("git", "-C", TOP, "worktree", "remove", "--force", tree,
        check=False)
    shutil.rmtree(tmp, ignore_errors=True)


def release_install(tree, url):
    """A database as the release left it, with the release's own script."""
    r = run(os.path.join(tree, "scripts", "migrate.sh"), url,
            os.path.join(tree, "db", "migrations"))
    assert "applied 0001_" in r.stdout


def test_upgrade_from_the_last_release_equals_a_fresh_install(
        scratch, release_tree):
    upgraded, fresh = scratch.create(), scratch.create()
    release_install(release_tree, upgraded)
    released = schema_dump(upgraded)

    r = migrate(upgraded)
    assert "REBASED" in r.stdout, r.stdout
    migrate(fresh)
    assert schema_dump(upgraded) == schema_dump(fresh)
    # The upgrade did something: the release's schema was not already it.
    assert released != schema_dump(fresh)
    # Both record the same migrations and code files, and a second run
    # finds nothing to do on either.
    for url in (upgraded, fresh):
        r = migrate(url)
        assert r.stdout.strip() == "migrate: schema is up to date"
    assert records(upgraded) == records(fresh)


def test_editing_a_function_file_replaces_that_function_and_nothing_else(
        scratch, tmp_path):
    url = scratch.create()
    db = db_copy(tmp_path)
    migrate(url, str(db))
    before = schema_dump(url)

    core = db / "functions" / "core.sql"
    text = core.read_text()
    old = ("CREATE OR REPLACE FUNCTION ch.distance_km(")
    assert old in text
    # The same function, computing the same, written differently.
    body_start = text.index("$$", text.index(old)) + 2
    core.write_text(text[:body_start] + "\n\t-- edited in place" +
                    text[body_start:])
    r = migrate(url, str(db))
    applied = re.findall(r"^migrate: applied (\S+)$", r.stdout, re.M)
    assert applied == ["functions/core.sql", "privileges.sql"], r.stdout

    after = schema_dump(url)
    changed = [line for line in after.splitlines()
               if line not in before.splitlines()]
    assert changed == ["\t-- edited in place"], changed
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT prosrc FROM pg_proc "
                        "WHERE oid = 'ch.distance_km'::regproc")
            assert "-- edited in place" in cur.fetchone()[0]
    finally:
        conn.close()


def test_a_broken_function_file_applies_nothing(scratch, tmp_path):
    url = scratch.create()
    db = db_copy(tmp_path)
    migrate(url, str(db))
    before = schema_dump(url)
    women = db / "functions" / "women.sql"
    women.write_text(women.read_text() + """
CREATE OR REPLACE FUNCTION ch.broken() RETURNS integer
LANGUAGE sql AS $$ SELECT no_such_column FROM ch.mentor $$;
""")
    r = run(MIGRATE, url, str(db), check=False)
    assert r.returncode != 0
    assert "no_such_column" in r.stderr
    # Bodies are checked after every file is in, inside the transaction.
    assert schema_dump(url) == before


def test_an_edited_migration_of_the_release_is_refused_after_the_upgrade(
        scratch, release_tree, tmp_path):
    url = scratch.create()
    release_install(release_tree, url)
    migrate(url)
    db = db_copy(tmp_path)
    partners = db / "migrations" / "0004_partners.sql"
    partners.write_text(partners.read_text() + "\n-- edited\n")
    r = run(MIGRATE, url, str(db), check=False)
    assert r.returncode != 0
    assert "0004_partners.sql was changed after it was applied" in r.stderr


def test_rebased_only_accepts_the_released_text(scratch, release_tree,
                                                tmp_path):
    """A release database meets a migration that differs from both the
    released and the current text: refused, and nothing applied."""
    url = scratch.create()
    release_install(release_tree, url)
    before = schema_dump(url)
    db = db_copy(tmp_path)
    women = db / "migrations" / "0005_women.sql"
    women.write_text(women.read_text() + "\n-- edited\n")
    r = run(MIGRATE, url, str(db), check=False)
    assert r.returncode != 0
    assert "0005_women.sql was changed after it was applied" in r.stderr
    assert schema_dump(url) == before


def test_a_database_newer_than_the_checkout_is_refused(scratch, tmp_path):
    """An older checkout would put its older functions over a newer
    schema: a database with a migration the checkout lacks is refused,
    and nothing changes."""
    url = scratch.create()
    migrate(url)
    before = schema_dump(url)
    db = db_copy(tmp_path)
    newest = sorted((db / "migrations").glob("[0-9][0-9][0-9][0-9]_*.sql"))[-1]
    newest.unlink()
    # The older checkout's code differs too, as an older release's would.
    core = db / "functions" / "core.sql"
    core.write_text(core.read_text() + "\n-- older\n")
    r = run(MIGRATE, url, str(db), check=False)
    assert r.returncode != 0
    version = int(newest.name[:4])
    assert "has migration %d, which this checkout does not" % version \
        in r.stderr, r.stderr
    assert schema_dump(url) == before


def test_every_function_has_one_source_file():
    """migrate.sh applies only the files that changed: a function defined
    in two files would take whichever text ran last, and an edit of the
    other file would bring the other text back."""
    where = {}
    functions = os.path.join(TOP, "db", "functions")
    for name in sorted(os.listdir(functions)):
        with open(os.path.join(functions, name)) as f:
            for fn in re.findall(r"CREATE OR REPLACE FUNCTION (ch\.\w+)\(",
                                 f.read()):
                where.setdefault(fn, set()).add(name)
    assert len(where) > 100
    twice = {fn: sorted(files) for fn, files in where.items()
             if len(files) > 1}
    assert twice == {}
