"""Secrets as files (docker secrets), never environment values: the API,
ch-config-check and ch-matcher read every CH_* variable X from the file
that X_FILE names (common/envfile.c), and CH_DATABASE_PASSWORD(_FILE)
joins connection strings that carry no password (common/conninfo.c).

The session cluster trusts local connections. To show that a password
from a file is really sent, two login roles of this module (members of
ch_app and ch_matcher, with their rights) must authenticate with
scram-sha-256: pg_hba.conf gets a rule for them alone while the module
runs, and the rest of the session is untouched."""

import base64
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time

import psycopg2
import pytest

from authutil import bearer, claims_of, demo_email, header_of, login, \
    sign_hs256
from conftest import TOP, Client, alive, free_port, processes_of
from matching_util import await_job, submit
from partners_util import Caller
from test_token_keys import fresh, pids_of, rotten_log_lines, second_env

STACK_SH = os.path.join(TOP, "scripts", "stack.sh")
RENDER_CONF = os.path.join(TOP, "scripts", "render-conf.sh")
MATCHER_BIN = os.environ.get("CH_MATCHER_BIN",
                             os.path.join(TOP, "build", "ch-matcher"))
APP_ROLE = "ch_test_pw_app"
POOL_ROLE = "ch_test_pw_matcher"
COORDINATOR = demo_email("coordinator", "16051")
DEMO_PARTICIPANT = "c0000000-0000-4000-8000-000000000004"


def write_secret(directory, name, text):
    path = os.path.join(directory, name)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
              "w") as f:
        f.write(text)
    return path


def as_role(url, role, base):
    """The session stack's URL of role base, for login role."""
    assert url.endswith("user=" + base), url
    return url[:-len(base)] + role


def environ_of(pid):
    try:
        with open("/proc/%s/environ" % pid, "rb") as f:
            return f.read()
    except OSError:
        return b""


def backends(stack, role):
    return stack.sql("SELECT count(*) FROM pg_stat_activity WHERE "
                     "usename = %s", (role,))[0][0]


@pytest.fixture(scope="module")
def pw(stack):
    """Two login roles that must give their passwords, and those."""
    app_pw = "app " + secrets.token_urlsafe(24) + " 'q\\"
    pool_pw = secrets.token_urlsafe(24)
    hba = os.path.join(os.path.realpath(os.path.join(stack.run_dir, "pg")),
                       "data", "pg_hba.conf")
    with open(hba) as f:
        original = f.read()
    for role, password, member_of in ((APP_ROLE, app_pw, "ch_app"),
                                      (POOL_ROLE, pool_pw, "ch_matcher")):
        stack.sql("DROP ROLE IF EXISTS " + role)
        stack.sql("CREATE ROLE %s LOGIN PASSWORD %%s IN ROLE %s"
                  % (role, member_of), (password,))
    # The first matching line counts: these two come before "trust".
    with open(hba, "r+") as f:
        f.truncate(0)
        f.write("local all %s,%s scram-sha-256\n%s"
                % (APP_ROLE, POOL_ROLE, original))
    stack.sql("SELECT pg_reload_conf()")
    time.sleep(0.5)
    try:
        yield {"app": app_pw, "pool": pool_pw}
    finally:
        with open(hba, "r+") as f:
            f.truncate(0)
            f.write(original)
        stack.sql("SELECT pg_reload_conf()")
        for role in (APP_ROLE, POOL_ROLE):
            stack.sql("SELECT pg_terminate_backend(pid) FROM "
                      "pg_stat_activity WHERE usename = %s", (role,))
            stack.sql("DROP ROLE IF EXISTS " + role)


def test_the_roles_need_their_passwords(stack, pw):
    """Without this the tests below would prove nothing: trust would let
    the roles in whatever password the processes sent."""
    app_url = as_role(stack.url(owner=False), APP_ROLE, "ch_app")
    with pytest.raises(psycopg2.OperationalError) as e:
        psycopg2.connect(app_url).close()
    assert "password" in str(e.value)
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(app_url, password="not-it").close()
    psycopg2.connect(app_url, password=pw["app"]).close()


class Instance:
    pass


@pytest.fixture(scope="module")
def inst(stack, spec, pw):
    """A second stack on the session's database (test_token_keys.py does
    the same), configured the way a container is: URLs without
    passwords, the passwords and the signing secret in files."""
    run_dir = tempfile.mkdtemp(prefix="ch-test-secrets-")
    port = free_port()
    env = second_env(stack, run_dir, port)
    i = Instance()
    i.run_dir, i.env, i.port = run_dir, env, port
    i.secret = base64.b64encode(os.urandom(48)).decode()
    i.secret_file = write_secret(run_dir, "jwt_secret", i.secret + "\n")
    i.pw_file = write_secret(run_dir, "db_app_password", pw["app"] + "\r\n")
    i.pool_pw_file = write_secret(run_dir, "db_matcher_password",
                                  pw["pool"])
    env.pop("CH_JWT_SECRET")
    env.update({
        "CH_DATABASE_URL": as_role(env["CH_DATABASE_URL"], APP_ROLE,
                                   "ch_app"),
        "CH_MATCHER_DATABASE_URL": as_role(env["CH_MATCHER_DATABASE_URL"],
                                           POOL_ROLE, "ch_matcher"),
        "CH_JWT_SECRET_FILE": i.secret_file,
        "CH_DATABASE_PASSWORD_FILE": i.pw_file,
        "CH_MATCHER_DATABASE_PASSWORD_FILE": i.pool_pw_file,
    })
    i.api = Client("http://127.0.0.1:%d" % port, spec)

    def log(name):
        try:
            with open(os.path.join(run_dir, name), encoding="utf-8",
                      errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""
    i.log = log
    try:
        up = subprocess.run([STACK_SH, "up"], env=env, capture_output=True,
                            text=True)
        i.up_output = up.stdout + up.stderr
        assert up.returncode == 0, i.up_output + log("kore.log") + \
            log("matcher.log")
        with open(os.path.join(run_dir, "matcher.pid")) as f:
            i.matcher_pid = f.read().strip()
        yield i
    finally:
        pids = pids_of(run_dir)
        down = subprocess.run([STACK_SH, "down"], env=env,
                              capture_output=True, text=True)
        kore_log = log("kore.log")
        for _ in range(50):
            left = [p for p in pids if alive(p)] + processes_of(run_dir)
            if not left:
                break
            time.sleep(0.1)
        shutil.rmtree(run_dir, ignore_errors=True)
    assert down.returncode == 0, down.stderr
    assert not left, "still running after down: %s" % left
    assert not rotten_log_lines(kore_log), \
        "\n".join(rotten_log_lines(kore_log))


def test_no_stack_secret_is_generated_with_a_secret_file(inst):
    assert not os.path.exists(os.path.join(inst.run_dir, "jwt-secret"))


def test_tokens_are_signed_with_the_secret_of_the_file(inst, stack):
    token = login(inst.api, COORDINATOR)["access_token"]
    assert header_of(token)["alg"] == "HS256"
    # The signature is the file's secret's (its newline removed).
    head, payload, _ = token.split(".")
    assert sign_hs256(head, payload, inst.secret) == token
    assert inst.api.get("/v1/me", headers=bearer(token)).status_code == 200

    # A token of the same session signed here with the file's secret is
    # accepted; the same signed with the newline, or with the session
    # stack's secret, is not.
    claims = fresh(claims_of(token))
    header = header_of(token)
    ok = sign_hs256(header, claims, inst.secret)
    assert inst.api.get("/v1/me", headers=bearer(ok)).status_code == 200
    for key in (inst.secret + "\n", stack.jwt_secret):
        r = inst.api.get("/v1/me", headers=bearer(
            sign_hs256(header, claims, key)))
        assert r.status_code == 401, r.text


def test_the_passwords_of_the_files_are_used(inst, stack):
    """The roles can log in only with their passwords, so their sessions
    show that the API (its query connections and the one that LISTENs
    for finished jobs, opened by a wait on a job) and the pool sent the
    ones of the files."""
    assistant = Caller.demo(inst.api, "assistant")
    job = submit(inst.api, assistant, {
        "kind": "suggest", "programme": "partners", "k": 3,
        "participant_id": DEMO_PARTICIPANT}).json()
    await_job(inst.api, assistant, job["id"])
    assert backends(stack, APP_ROLE) >= 1
    assert backends(stack, POOL_ROLE) >= 1
    assert stack.sql("SELECT count(*) FROM pg_stat_activity WHERE "
                     "usename = %s AND application_name = 'ch-api-listen'",
                     (APP_ROLE,))[0][0] >= 1


def children_of(pid):
    found = []
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % p) as f:
                if f.read().rsplit(")", 1)[1].split()[1] == str(pid):
                    found.append(p)
        except OSError:
            continue
    return found


def test_no_secret_in_any_environment_or_log(inst, pw):
    """The values are read from the files and kept in memory: not in the
    environment of Kore (parent and workers; Kore writes its process
    titles over its environment, so this says little there) or
    ch-matcher, nor in a log or the start-up output."""
    with open(os.path.join(inst.run_dir, "kore.pid")) as f:
        kore = f.read().strip()
    pids = [kore, inst.matcher_pid] + children_of(kore)
    assert len(pids) >= 3 and all(alive(p) for p in pids), pids
    for pid in pids:
        env = environ_of(pid)
        for secret in (inst.secret, pw["app"], pw["pool"]):
            assert secret.encode() not in env, pid
    # The pool got its own password file, and neither value.
    env = environ_of(inst.matcher_pid).split(b"\0")
    assert ("CH_DATABASE_PASSWORD_FILE=" + inst.pool_pw_file).encode() in env
    assert not any(v.startswith((b"CH_DATABASE_PASSWORD=",
                                 b"CH_JWT_SECRET=")) for v in env)
    out = inst.up_output + inst.log("kore.log") + inst.log("matcher.log")
    for secret in (inst.secret, pw["app"], pw["pool"]):
        assert secret not in out


def up_fails(env):
    """stack.sh up with env; its output. Nothing may be left running."""
    run_dir = env["CH_RUN_DIR"]
    try:
        r = subprocess.run([STACK_SH, "up"], env=env, capture_output=True,
                           text=True, timeout=120)
        out = r.stdout + r.stderr
        for name in ("kore.log", "matcher.log"):
            path = os.path.join(run_dir, name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    out += f.read()
        assert r.returncode != 0, out
        for _ in range(50):
            if not processes_of(run_dir):
                break
            time.sleep(0.1)
        assert not processes_of(run_dir), out
        return out
    finally:
        subprocess.run([STACK_SH, "down"], env=env, capture_output=True)
        shutil.rmtree(run_dir, ignore_errors=True)


def refused_env(inst, **changes):
    run_dir = tempfile.mkdtemp(prefix="ch-test-secrets-")
    env = dict(inst.env, CH_RUN_DIR=run_dir, CH_PORT=str(free_port()))
    for k, v in changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


@pytest.mark.parametrize("name", ["CH_JWT_SECRET", "CH_DATABASE_PASSWORD"])
def test_a_value_and_its_file_are_refused_at_start(inst, pw, name):
    value = {"CH_JWT_SECRET": inst.secret,
             "CH_DATABASE_PASSWORD": pw["app"]}[name]
    out = up_fails(refused_env(inst, **{name: value}))
    assert "%s and %s_FILE are both set" % (name, name) in out, out
    assert value not in out


@pytest.mark.parametrize("content,want", [
    ("", "{path} is empty"),
    ("\n", "{path} is empty"),
    ("\r\n", "{path} is empty"),
    (None, "cannot open {path}"),
])
def test_a_bad_secret_file_is_refused_at_start(inst, content, want):
    directory = tempfile.mkdtemp(prefix="ch-test-secret-")
    path = os.path.join(directory, "s")
    if content is not None:
        write_secret(directory, "s", content)
    try:
        out = up_fails(refused_env(inst, CH_JWT_SECRET_FILE=path))
    finally:
        shutil.rmtree(directory)
    assert "CH_JWT_SECRET_FILE: " + want.format(path=path) in out, out


def test_a_password_in_the_url_and_a_file_are_refused(inst, pw):
    url = inst.env["CH_DATABASE_URL"].replace(
        "postgresql:///", "postgresql://%s:Url-Password@/" % APP_ROLE)
    out = up_fails(refused_env(inst, CH_DATABASE_URL=url))
    assert "CH_DATABASE_URL carries a password and CH_DATABASE_PASSWORD " \
        "is set" in out, out
    assert "Url-Password" not in out and pw["app"] not in out


def test_a_wrong_password_stops_the_start_without_showing_it(inst, pw):
    wrong = "wrong-" + secrets.token_urlsafe(16)
    directory = tempfile.mkdtemp(prefix="ch-test-secret-")
    try:
        path = write_secret(directory, "pw", wrong + "\n")
        out = up_fails(refused_env(
            inst, CH_DATABASE_PASSWORD_FILE=path))
    finally:
        shutil.rmtree(directory)
    assert "CH_DATABASE_URL: cannot check the database role" in out, out
    assert "password authentication failed" in out, out
    assert wrong not in out and pw["app"] not in out


def test_the_module_refuses_a_value_and_its_file(inst):
    """Kore itself, without stack.sh and its configuration check: the
    module's own start-up check refuses too."""
    run_dir = tempfile.mkdtemp(prefix="ch-test-secrets-")
    env = dict(inst.env, CH_RUN_DIR=run_dir, CH_PORT=str(free_port()))
    conf = os.path.join(run_dir, "api.conf")
    try:
        # Rendered (and checked) without the conflict, then started with
        # both.
        r = subprocess.run([RENDER_CONF, conf], env=dict(
            env, CH_KORE_PIDFILE=os.path.join(run_dir, "kore.pid")),
            capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        kore = subprocess.Popen(
            ["kore", "-f", "-n", "-r", "-c", conf],
            env=dict(env, CH_JWT_SECRET=inst.secret,
                     LD_PRELOAD=env.get("CH_PRELOAD", "")),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        try:
            out, _ = kore.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(kore.pid, signal.SIGKILL)
            out, _ = kore.communicate()
            pytest.fail("Kore started with both set:\n" + out)
        assert kore.returncode != 0, out
        assert "CH_JWT_SECRET and CH_JWT_SECRET_FILE are both set" in out
        assert inst.secret not in out
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


# ------------------------------------------------------------- ch-matcher

def matcher_env(stack, **extra):
    env = {"PATH": os.environ["PATH"], "CH_MATCHER_WORKERS": "1",
           "CH_LOG_LEVEL": "debug", "CH_MATCHER_NAME": "secret-files-test"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    env.update(extra)
    return env


def pool_url(stack):
    return as_role(stack.matcher_url(), POOL_ROLE, "ch_matcher")


def test_the_pool_reads_its_url_and_password_from_files(stack, pw):
    directory = tempfile.mkdtemp(prefix="ch-test-secret-")
    try:
        url_file = write_secret(directory, "url", pool_url(stack) + "\n")
        pw_file = write_secret(directory, "pw", pw["pool"] + "\r\n")
        before = backends(stack, POOL_ROLE)
        p = subprocess.Popen([MATCHER_BIN], env=matcher_env(
            stack, CH_DATABASE_URL_FILE=url_file,
            CH_DATABASE_PASSWORD_FILE=pw_file), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 30
            while time.time() < deadline and p.poll() is None and \
                    backends(stack, POOL_ROLE) < before + 2:
                time.sleep(0.1)
            connected = backends(stack, POOL_ROLE) - before
        finally:
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=30)
        # A worker and the heartbeat, both as the role of the file's URL.
        assert connected >= 2, out + err
        assert p.returncode == 0, out + err
        assert '"event":"connected"' in out, out
        assert pw["pool"] not in out + err
    finally:
        shutil.rmtree(directory)


@pytest.mark.parametrize("case", ["url twice", "password twice",
                                  "password in the url", "empty file"])
def test_the_pool_refuses(stack, pw, case):
    directory = tempfile.mkdtemp(prefix="ch-test-secret-")
    try:
        url = pool_url(stack)
        url_file = write_secret(directory, "url", url)
        pw_file = write_secret(directory, "pw", pw["pool"])
        empty = write_secret(directory, "empty", "\n")
        with_pw = url.replace("postgresql:///",
                              "postgresql://%s:%s@/" % (POOL_ROLE,
                                                        pw["pool"]))
        env, want = {
            "url twice": ({"CH_DATABASE_URL": url,
                           "CH_DATABASE_URL_FILE": url_file},
                          "CH_DATABASE_URL and CH_DATABASE_URL_FILE are "
                          "both set"),
            "password twice": ({"CH_DATABASE_URL": url,
                                "CH_DATABASE_PASSWORD": pw["pool"],
                                "CH_DATABASE_PASSWORD_FILE": pw_file},
                               "CH_DATABASE_PASSWORD and "
                               "CH_DATABASE_PASSWORD_FILE are both set"),
            "password in the url": ({"CH_DATABASE_URL": with_pw,
                                     "CH_DATABASE_PASSWORD_FILE": pw_file},
                                    "CH_DATABASE_URL carries a password"),
            "empty file": ({"CH_DATABASE_URL": url,
                            "CH_DATABASE_PASSWORD_FILE": empty},
                           "CH_DATABASE_PASSWORD_FILE: %s is empty" % empty),
        }[case]
        r = subprocess.run([MATCHER_BIN], env=matcher_env(stack, **env),
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
        assert want in r.stderr, r.stderr
        assert pw["pool"] not in r.stdout + r.stderr
    finally:
        shutil.rmtree(directory)


def test_the_pool_never_shows_a_wrong_password(stack, pw):
    """A refused password is an outage to the pool (it keeps trying);
    its log says why, without the password."""
    directory = tempfile.mkdtemp(prefix="ch-test-secret-")
    wrong = "wrong-" + secrets.token_urlsafe(16)
    try:
        pw_file = write_secret(directory, "pw", wrong)
        p = subprocess.Popen([MATCHER_BIN], env=matcher_env(
            stack, CH_DATABASE_URL=pool_url(stack),
            CH_DATABASE_PASSWORD_FILE=pw_file), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        assert '"event":"connect_failed"' in out, out + err
        assert "password authentication failed" in out, out
        assert wrong not in out + err
    finally:
        shutil.rmtree(directory)
