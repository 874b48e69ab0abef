"""`make run` in the foreground stops everything it started when a
terminal's Ctrl-C (SIGINT to the whole foreground process group) or a
SIGTERM to that group ends it: Kore and its workers, ch-matcher and the
private PostgreSQL cluster, once it serves and while it is still starting
(migrations, demo data).

Each case runs `make run` in a process group of its own on a scratch run
directory and a free port. Processes are found by the pid files of that
run directory and by their environment naming it, and only those are
stopped when a case fails."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import TOP, alive, free_port, processes_of

STACK_SH = os.path.join(TOP, "scripts", "stack.sh")


def read_pid(path):
    try:
        with open(path) as f:
            first = f.readline().strip()
    except FileNotFoundError:
        return None
    return first if first.isdigit() else None


class MakeRun:
    def __init__(self):
        self.run_dir = tempfile.mkdtemp(prefix="ch-test-run-")
        self.port = free_port()
        # The caller's CH_* settings (a test stack's) are not make run's.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CH_", "MAKE", "MFLAGS"))}
        env.update({"CH_RUN_DIR": self.run_dir, "CH_PORT": str(self.port),
                    "CH_PG_FAST": "1"})
        if "CH_SHARED_DATA" in os.environ:
            env["CH_SHARED_DATA"] = os.environ["CH_SHARED_DATA"]
        self.env = env
        self.out = open(os.path.join(self.run_dir, "make.out"), "w+")
        self.proc = subprocess.Popen(
            ["make", "-s", "--no-print-directory", "run"], cwd=TOP, env=env,
            stdin=subprocess.DEVNULL, stdout=self.out,
            stderr=subprocess.STDOUT, start_new_session=True)
        self.pgid = self.proc.pid

    def output(self):
        self.out.flush()
        with open(self.out.name, errors="replace") as f:
            return f.read()

    def pg_pid(self):
        return read_pid(os.path.join(self.run_dir, "pg", "data",
                                     "postmaster.pid"))

    def pids(self):
        """What runs for this run directory now: Kore (its pid file),
        ch-matcher (its pid file), the postmaster (its lock file), and
        every process whose environment names the run directory (Kore's
        workers, PostgreSQL's backends, a stray child)."""
        found = {}
        for name, path in (("kore", "kore.pid"),
                           ("ch-matcher", "matcher.pid")):
            pid = read_pid(os.path.join(self.run_dir, path))
            if pid and alive(pid):
                found[pid] = name
        pid = self.pg_pid()
        if pid and alive(pid):
            found[pid] = "postgres"
        for pid in processes_of(self.run_dir):
            found.setdefault(pid, "other")
        return found

    def wait_ready(self, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.proc.poll() is None, \
                "make run ended:\n" + self.output()
            try:
                if requests.get("http://127.0.0.1:%d/readyz" % self.port,
                                timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        pytest.fail("make run did not become ready:\n" + self.output())

    def wait_output(self, text, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.output():
                return
            assert self.proc.poll() is None, \
                "make run ended:\n" + self.output()
            time.sleep(0.02)
        pytest.fail("no %r from make run:\n%s" % (text, self.output()))

    def signal_group(self, sig):
        os.killpg(self.pgid, sig)

    def wait_end(self, timeout=90):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail("make run still running %d s after the signal:\n%s"
                        % (timeout, self.output()))

    def left(self):
        """What still runs a moment after make ended (Kore's workers
        leave shortly after their parent)."""
        for _ in range(30):
            found = self.pids()
            if not found:
                return found
            time.sleep(0.1)
        return found

    def cleanup(self):
        """Stops what is left of this run directory only, by its pid
        files (stack.sh down), and removes it."""
        if self.proc.poll() is None:
            os.killpg(self.pgid, signal.SIGKILL)
            self.proc.wait()
        if self.pids():
            subprocess.run([STACK_SH, "down"], env=self.env,
                           capture_output=True, timeout=120)
            for pid in self.pids():
                os.kill(int(pid), signal.SIGKILL)
        self.out.close()
        pg = os.path.join(self.run_dir, "pg")
        if os.path.islink(pg):
            shutil.rmtree(os.path.realpath(pg), ignore_errors=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)


@pytest.fixture
def make_run():
    runs = []

    def start():
        runs.append(MakeRun())
        return runs[-1]
    yield start
    for r in runs:
        r.cleanup()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM],
                         ids=["ctrl-c", "sigterm"])
def test_a_signal_to_a_serving_make_run_stops_everything(make_run, sig):
    """Before the fix the cluster survived: the exit trap's pg_stop saw
    CH_DATABASE_URL, which the script itself had exported for Kore, and
    took it for a database of the caller's."""
    run = make_run()
    run.wait_ready()
    started = run.pids()
    assert set(started.values()) >= {"kore", "ch-matcher", "postgres"}, \
        started
    run.signal_group(sig)
    run.wait_end()
    left = run.left()
    assert not left, "left running: %s\n%s" % (left, run.output())


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM],
                         ids=["ctrl-c", "sigterm"])
def test_a_signal_while_make_run_starts_stops_everything(make_run, sig):
    """The signal comes while the migrations run, with the cluster up
    and Kore not yet: before the fix no trap was set until the database
    was ready, and the cluster survived."""
    run = make_run()
    run.wait_output("migrate: applied")
    assert run.pg_pid() and alive(run.pg_pid()), run.output()
    run.signal_group(sig)
    run.wait_end()
    left = run.left()
    assert not left, "left running: %s\n%s" % (left, run.output())
    assert read_pid(os.path.join(run.run_dir, "kore.pid")) is None
