"""Limits that hold across servers (issue 16): two `oorkonde serve` processes on one PostgreSQL
database (two data folders with the same keys and configuration, as two machines would have).

- A client's rate limit is one limit for both: once its requests to the two servers together
  reach the limit for the minute, both refuse it (429 with Retry-After), though each server
  alone has let through fewer than the limit. The database keeps only keyed hashes of clients.
- Leak detection counts a key's reads on both servers together, and a key blocked through one
  server is refused by the other at once.
- A hung database does not hang the routes that need nothing from it.
"""
import os
import pathlib
import re
import shutil
import signal
import subprocess
import time

import pytest

from helpers.base import Oorkonde
from helpers.server import Server, problem
from pg import pg_cluster  # noqa: F401  (the fixture)

_dbs = iter(range(1, 1_000_000))


@pytest.fixture
def pg_db(pg_cluster):  # noqa: F811
    """A new, empty database on the test cluster; its connection string."""
    name = f"ok_scale_{next(_dbs)}"
    pg_cluster.psql(f"CREATE DATABASE {name}")
    yield re.sub(r"dbname=\S+", f"dbname={name}", pg_cluster.conninfo)
    pg_cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", check=False)


def psql_on(cluster, conninfo, sql):
    """psql against conninfo (the test's database, not the cluster's default)."""
    proc = subprocess.run([os.path.join(cluster.bindir, "psql"), "-X", "-q", "-A", "-t",
                           "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


class Two:
    """A depository on one database and two servers on it, with the given serve arguments."""

    def __init__(self, binary, tmp_path, url, *serve_args, setup=None):
        self.ok = Oorkonde(binary, tmp_path / "a")
        self.ok.run("init", "--store", url, check=True)
        if setup:
            setup(self.ok, tmp_path)
        shutil.copytree(tmp_path / "a", tmp_path / "b")
        self.other = Oorkonde(binary, tmp_path / "b")
        self.servers = []
        self.a = self._start(self.ok, serve_args, "scale-a")
        self.b = self._start(self.other, serve_args, "scale-b")

    def _start(self, ok, args, name):
        s = Server(ok, *args, name=name, env=ROUND).start()
        self.servers.append(s)
        return s

    def stop(self):
        errors = []
        for s in self.servers:
            try:
                s.stop()
            except AssertionError as e:
                errors.append(str(e))
        assert not errors, "\n".join(errors)


# The servers' flushes of the shared rate-limit counts: a round every second in a user's server,
# every ROUND_MS here (OORKONDE_TEST_RATELIMIT_ROUND_MS, read only by builds with
# -Dtest_hooks=true). FLUSH is more than a round takes, with the same half second of
# slack as before.
ROUND_MS = 250
ROUND = {"OORKONDE_TEST_RATELIMIT_ROUND_MS": str(ROUND_MS)}
FLUSH = ROUND_MS / 1000 + 0.5


def clear_of_a_minute_boundary():
    """The shared counts are per wall-clock minute: start where the next 15 s stay in one."""
    left = 60 - time.time() % 60
    if left < 15:
        time.sleep(left + 0.5)


def test_a_rate_limit_holds_across_two_servers(binary, tmp_path, pg_db, pg_cluster):  # noqa: F811
    # 10 a minute: each server's own bucket would let 10 through at once.
    two = Two(binary, tmp_path, pg_db, "--rate-limit", 10)
    try:
        clear_of_a_minute_boundary()
        for i in range(8):
            assert two.a.get("/healthz").status == 200, i
        # Each server adds its counts to the database in the background, once a second and
        # within a tenth of one for a client near its limit: a request never waits for it.
        time.sleep(FLUSH)
        # The other server lets in what is left of the 10, then refuses.
        for _ in range(2):
            assert two.b.get("/healthz").status == 200
            time.sleep(FLUSH)
        r = two.b.get("/healthz")
        doc = problem(r, 429, "rate-limited")
        assert "from this address" in doc["detail"]
        assert 1 <= int(r.headers["retry-after"]) <= 60
        # And so does the first, which has seen 8 of its own (it reads back the totals of
        # clients near the limit at every flush).
        time.sleep(FLUSH)
        problem(two.a.get("/healthz"), 429, "rate-limited")
        # The database holds keyed hashes of the client, no address, and the 10 requests let
        # in (those refused count for nothing).
        rows = psql_on(pg_cluster, pg_db,
                        "SELECT count(*), sum(count) FROM ratelimit_count "
                        "WHERE scope = 'address/10' AND length(client) = 32")
        n, total = (int(x) for x in rows.split("|"))
        assert n == 1 and total == 10, rows
        assert psql_on(pg_cluster, pg_db,
                        "SELECT count(*) FROM ratelimit_count WHERE "
                        "position('127.0.0.1' in encode(client, 'escape')) > 0 "
                        "OR position('\\x7f000001'::bytea in client) > 0") == "0"
        # No store error on either server's log (the counting went through).
        for s in (two.a, two.b):
            assert "error" not in s.log_text().lower(), s.log_text()
    finally:
        two.stop()


def one_row_csv(path, prefix, learners):
    lines = ["record_id,national_id,given_names,family_name,birth_date,kind,title,awarded_on\n"]
    for i in range(learners):
        lines.append(f"{prefix}-{i},{prefix}{i:07d},Given{i},Family{i},1990-01-01,course,"
                     f"Course {i},2014-06-15\n")
    pathlib.Path(path).write_text("".join(lines), encoding="utf-8")
    return path


def test_leak_detection_and_blocked_keys_hold_across_two_servers(binary, tmp_path, pg_db):
    keys = {}

    def setup(ok, base):
        keys["a"] = ok.add_institution(code="21XX", name="School XX")
        proc = ok.import_csv(one_row_csv(base / "xa.csv", "XA", 6), institution="21XX")
        assert proc.returncode == 0, proc.stderr
        ok.run("institution", "set-read-limit", "21XX", 3, check=True)

    two = Two(binary, tmp_path, pg_db, "--rate-limit", 0, setup=setup)
    try:
        def read(srv, i):
            return srv.get(f"/v1/achievements?national_id=XA{i:07d}", key=keys["a"])

        # Three learners read through two servers: the limit of 3, counted together.
        assert read(two.a, 0).status == 200
        assert read(two.b, 1).status == 200
        assert read(two.a, 2).status == 200
        assert read(two.b, 0).status == 200  # one already read costs nothing, on either
        # The fourth, through b: past the limit, and the key is blocked.
        doc = problem(read(two.b, 3), 429, "read-limit")
        assert "blocked" in doc["detail"]
        # Blocked through b: refused by a at once.
        problem(read(two.a, 0), 403, "key-blocked")
        problem(read(two.b, 0), 403, "key-blocked")
        listing = two.ok.run("institution", "blocked-keys", check=True).stdout
        assert re.search(r"^\S+\s+21XX\s+blocked ", listing, re.M), listing
    finally:
        two.stop()


def backends(cluster, db):
    """The pids of the backends connected to database db (the server's pool and its
    flusher)."""
    out = cluster.psql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{db}' "
                       "AND pid <> pg_backend_pid()")
    return [int(p) for p in out.split()]


def timed(fn):
    started = time.monotonic()
    r = fn()
    return r, time.monotonic() - started


def test_store_free_routes_answer_while_the_database_hangs(binary, tmp_path, pg_db,
                                                           pg_cluster):  # noqa: F811
    """Review N5: the rate limits' shared counts go to the database on a background thread of
    their own, so with every backend of the server's database stopped (`kill -STOP`, as a
    frozen machine or a network partition would leave them) /openapi.yaml, the static assets
    and the pages (/verify) keep answering at once under the default rate limit; once the
    database answers again the counts made meanwhile reach it. (Verifying an own credential
    reads its status from the database, and waits for it.)"""
    url = pg_db
    name = re.search(r"dbname=(\S+)", url).group(1)
    ok = Oorkonde(binary, tmp_path / "data")
    ok.run("init", "--store", url, check=True)
    # The default rate limit, shared through the database; two worker threads, so that two
    # requests stuck on the database would stop the server.
    srv = Server(ok, "--threads", "2").start()
    stopped = []
    try:
        assert srv.get("/openapi.yaml").status == 200
        pids = backends(pg_cluster, name)
        assert len(pids) >= 3, pids  # two threads' depositories and the flusher's
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        # Over several seconds, so that the shared counts fall due many times meanwhile.
        for _ in range(4):
            for path in ("/openapi.yaml", "/assets/common.js", "/verify"):
                r, took = timed(lambda: srv.get(path, timeout=10))
                assert r.status == 200, (path, r.status)
                assert took < 2, f"{path} took {took:.1f} s while the database hung"
            time.sleep(1.1)
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    try:
        # The counts made while it hung reach the database once it answers.
        deadline = time.monotonic() + 15
        counted = 0
        while time.monotonic() < deadline:
            out = subprocess.run([os.path.join(pg_cluster.bindir, "psql"), "-X", "-q", "-A",
                                  "-t", "-d", url, "-c",
                                  "SELECT coalesce(sum(count), 0) FROM ratelimit_count "
                                  "WHERE scope LIKE 'address/%'"],
                                 capture_output=True, text=True, timeout=30).stdout.strip()
            counted = int(out or 0)
            if counted >= 13:
                break
            time.sleep(0.5)
        assert counted >= 13, counted
        assert srv.get("/healthz").status == 200
    finally:
        srv.stop()


def test_a_rate_limit_holds_across_a_data_key_rotation(binary, tmp_path, pg_db,
                                                       pg_cluster):  # noqa: F811
    """Review 23a F5: the database names a client by a hash keyed with the data key. A server
    started before `keys rotate-data-key` and one started after it (with the new data.key)
    still count one client together."""
    ok = Oorkonde(binary, tmp_path / "a")
    ok.run("init", "--store", pg_db, check=True)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    other = Oorkonde(binary, tmp_path / "b")
    servers = [Server(ok, "--rate-limit", 10, name="rotate-before", env=ROUND).start()]
    try:
        proc = ok.run("keys", "rotate-data-key")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        # The second machine gets the new data.key, as the operator hands it out.
        (other.data / "data.key").write_bytes((ok.data / "data.key").read_bytes())
        servers.append(Server(other, "--rate-limit", 10, name="rotate-after", env=ROUND).start())
        before, after = servers
        time.sleep(FLUSH)
        clear_of_a_minute_boundary()
        for i in range(8):
            assert before.get("/healthz").status == 200, i
        time.sleep(FLUSH)
        for _ in range(2):
            assert after.get("/healthz").status == 200
            time.sleep(FLUSH)
        problem(after.get("/healthz"), 429, "rate-limited")
        time.sleep(FLUSH)
        problem(before.get("/healthz"), 429, "rate-limited")
        rows = psql_on(pg_cluster, pg_db,
                       "SELECT count(*), sum(count) FROM ratelimit_count "
                       "WHERE scope = 'address/10'")
        assert rows == "1|10", rows
    finally:
        errors = []
        for s in servers:
            try:
                s.stop()
            except AssertionError as e:
                errors.append(str(e))
        assert not errors, "\n".join(errors)
