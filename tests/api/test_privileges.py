"""Who may run what, read from PostgreSQL's catalog and compared with the
intent of db/privileges.sql; and the start-up refusals of the API and
ch-matcher for a login role that could read past row-level security."""

import os
import shutil
import subprocess
import tempfile

import psycopg2
import pytest

from conftest import TOP, free_port

STACK_SH = os.path.join(TOP, "scripts", "stack.sh")

# What the worker pool calls, and nothing more.
MATCHER = {"job_claim", "job_input", "job_complete", "job_fail",
           "job_heartbeat", "proposals_expire", "privacy_run",
           "login_role_problem"}
# The functions that read past row-level security which the API may call;
# each checks its caller or re-reads what it is given, except
# metrics_jobs, which takes no input and answers counts only (GET
# /metrics). The privacy requests are the only writers of the erasure
# requests and the retention schedule (db/functions/privacy.sql).
APP_DEFINER = {"proposal_free_places", "proposal_fulfil", "proposal_person",
               "women_report", "metrics_jobs",
               "participant_erasure_create", "user_erasure_create",
               "me_erasure_create", "erasure_cancel", "retention_get",
               "retention_put", "retention_confirm", "retention_request"}
# Everyone: a role's check of itself, so a misconfigured role learns why.
PUBLIC = {"login_role_problem"}


def executable(stack, role, definer_only=False):
    return {r[0] for r in stack.sql(
        "SELECT p.proname FROM pg_proc p WHERE p.pronamespace ="
        " 'ch'::regnamespace AND has_function_privilege(%s, p.oid,"
        " 'EXECUTE')" + (" AND p.prosecdef" if definer_only else ""),
        (role,))}


def test_public_executes_nothing_but_the_role_check(stack):
    granted = {r[0] for r in stack.sql(
        "SELECT p.proname FROM pg_proc p, aclexplode(coalesce(p.proacl,"
        " acldefault('f', p.proowner))) a WHERE p.pronamespace ="
        " 'ch'::regnamespace AND a.grantee = 0"
        " AND a.privilege_type = 'EXECUTE'")}
    assert granted == PUBLIC


def test_the_pool_executes_exactly_its_job_functions(stack):
    assert executable(stack, "ch_matcher") == MATCHER


def test_the_api_reads_past_row_level_security_only_where_intended(stack):
    assert executable(stack, "ch_app", definer_only=True) == APP_DEFINER
    assert not executable(stack, "ch_app") & (MATCHER - PUBLIC)
    # Everything else of the API's side stays callable.
    assert {"placement_create", "proposal_accept", "mentee_get",
            "enter", "setting"} <= executable(stack, "ch_app")


def test_the_pool_touches_no_table(stack):
    tables = stack.sql(
        "SELECT c.relname FROM pg_class c WHERE c.relnamespace ="
        " 'ch'::regnamespace AND c.relkind IN ('r', 'v', 'S') AND"
        " (has_table_privilege('ch_matcher', c.oid, 'SELECT, INSERT,"
        " UPDATE, DELETE, TRUNCATE') OR has_table_privilege('public',"
        " c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE'))")
    assert tables == []


def test_a_new_function_starts_closed(stack):
    """Default privileges: a function a later migration adds is
    executable by nobody until db/privileges.sql runs; then ch_app gets
    an ordinary one, but not one that reads past row-level security."""
    owner = psycopg2.connect(stack.url())
    try:
        cur = owner.cursor()
        cur.execute("CREATE FUNCTION ch.probe_plain() RETURNS integer"
                    " LANGUAGE sql AS 'SELECT 1'")
        cur.execute("CREATE FUNCTION ch.probe_definer() RETURNS integer"
                    " LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'")

        def may(role, f):
            cur.execute("SELECT has_function_privilege(%s, %s,"
                        " 'EXECUTE')", (role, f))
            return cur.fetchone()[0]
        for role in ("ch_app", "ch_matcher", "public"):
            for f in ("ch.probe_plain()", "ch.probe_definer()"):
                assert may(role, f) is False, (role, f)
        with open(os.path.join(TOP, "db", "privileges.sql")) as sql:
            cur.execute(sql.read())
        assert may("ch_app", "ch.probe_plain()") is True
        for role in ("ch_app", "ch_matcher", "public"):
            assert may(role, "ch.probe_definer()") is False, role
    finally:
        owner.rollback()
        owner.close()


@pytest.mark.parametrize("call", [
    "SELECT ch.proposal_person('{\"role\": \"coordinator\","
    " \"district\": \"16051\"}', x) FROM (SELECT NULL::ch.proposal) s(x)",
    "SELECT ch.women_report('{\"role\": \"state_admin\"}')",
    "SELECT ch.participant_json(NULL::ch.participant)",
])
def test_the_pool_cannot_forge_a_caller(stack, call):
    pool = psycopg2.connect(stack.matcher_url())
    try:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            pool.cursor().execute(call)
    finally:
        pool.close()


# ------------------------------------------------------------ start-up

@pytest.fixture(scope="module")
def bypass_url(stack):
    """A login role with BYPASSRLS, made for this test and dropped after."""
    stack.sql("DROP ROLE IF EXISTS ch_test_bypass")
    stack.sql("CREATE ROLE ch_test_bypass LOGIN BYPASSRLS")
    stack.sql("GRANT USAGE ON SCHEMA ch TO ch_test_bypass")
    url = stack.url(owner=False).replace("user=ch_app",
                                         "user=ch_test_bypass")
    yield url
    stack.sql("REVOKE USAGE ON SCHEMA ch FROM ch_test_bypass")
    stack.sql("DROP ROLE ch_test_bypass")


def stack_env(stack, run_dir, **env):
    e = dict(stack.env)
    e.update({"CH_RUN_DIR": run_dir, "CH_PORT": str(free_port()),
              "CH_DEMO_DATA": "0",
              "CH_DATABASE_OWNER_URL": stack.url(),
              "CH_MATCHER_DATABASE_URL": stack.matcher_url()})
    e.update(env)
    return e


def start(stack, **env):
    """stack.sh up against the session's database; returns (exit code,
    output and logs). Whatever it started is stopped again."""
    run_dir = tempfile.mkdtemp(prefix="ch-test-role-")
    e = stack_env(stack, run_dir, **env)
    try:
        up = subprocess.run([STACK_SH, "up"], env=e, capture_output=True,
                            text=True, timeout=120)
        logs = ""
        for name in ("kore.log", "matcher.log"):
            path = os.path.join(run_dir, name)
            if os.path.exists(path):
                logs += open(path, encoding="utf-8",
                             errors="replace").read()
        return up.returncode, up.stdout + up.stderr + logs
    finally:
        subprocess.run([STACK_SH, "down"], env=e, capture_output=True)
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.mark.parametrize("which,problem", [
    ("superuser", "is a superuser"),
    ("owner", "owns schema ch"),
    ("bypass", "has BYPASSRLS"),
])
def test_the_api_refuses_a_role_past_row_level_security(stack, bypass_url,
                                                        which, problem):
    url = {"superuser": stack.admin_url(), "owner": stack.url(),
           "bypass": bypass_url}[which]
    # The owner URL must differ from the API's: for the owner case the
    # migrations run as the superuser instead.
    extra = {"CH_DATABASE_OWNER_URL": stack.admin_url()} \
        if which == "owner" else {}
    code, out = start(stack, CH_DATABASE_URL=url, **extra)
    assert code != 0, out
    assert "unsafe CH_DATABASE_URL" in out and problem in out, out


@pytest.fixture(scope="module")
def member_url(stack):
    """A login without powers of its own that may become a superuser."""
    stack.sql("DROP ROLE IF EXISTS ch_test_member")
    stack.sql("CREATE ROLE ch_test_member LOGIN IN ROLE postgres")
    stack.sql("GRANT USAGE ON SCHEMA ch TO ch_test_member")
    yield stack.url(owner=False).replace("user=ch_app", "user=ch_test_member")
    stack.sql("REVOKE USAGE ON SCHEMA ch FROM ch_test_member")
    stack.sql("DROP ROLE ch_test_member")


@pytest.mark.parametrize("which,problem", [
    ("owner", "owns schema ch"),
    ("bypass", "has BYPASSRLS"),
    ("member", "may become one"),
    ("superuser_as_app", "is a superuser"),
])
def test_the_pool_refuses_a_role_past_row_level_security(
        stack, bypass_url, member_url, which, problem):
    url = {"owner": stack.url(), "bypass": bypass_url, "member": member_url,
           # A superuser's login that acts as ch_app.
           "superuser_as_app": stack.admin_url()
           + "&options=-c%20role%3Dch_app"}[which]
    env = dict(stack.env, CH_DATABASE_URL=url)
    binary = os.environ.get("CH_MATCHER_BIN",
                            os.path.join(TOP, "build", "ch-matcher"))
    r = subprocess.run([binary], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    out = r.stdout + r.stderr
    assert "unsafe_database_role" in out and problem in out, out


def test_an_outside_database_needs_a_distinct_owner(stack):
    code, out = start(stack, CH_DATABASE_URL=stack.url(owner=False),
                      CH_DATABASE_OWNER_URL="")
    assert code != 0 and "CH_DATABASE_OWNER_URL" in out, out
    code, out = start(stack, CH_DATABASE_URL=stack.url(owner=False),
                      CH_DATABASE_OWNER_URL=stack.url(owner=False))
    assert code != 0 and "another role" in out, out
