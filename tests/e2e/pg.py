"""A throw-away PostgreSQL cluster for the tests of the PostgreSQL store (issue 16): made once per
session by scripts/pg-cluster (initdb in a random temporary folder, Unix socket only, trust for
the current user) and removed after. Use it by importing the fixture into a test module:

    from pg import pg_cluster  # noqa: F401

pg_replica is a streaming replica of it (scripts/pg-cluster replica); start_cluster,
start_replica, promote and stop_cluster make others, e.g. a pair to fail over.

The tests are skipped when Debian's PostgreSQL server is not installed, with the reason said, but
never where OORKONDE_REQUIRE_PG=1 (.ci/run sets it): there a missing server fails them. Where
OORKONDE_TEST_PG names a cluster already (scripts/with-pg, which `make e2e-pg` runs the suite
under, so that parallel workers share one), that one is used and left running. With
OORKONDE_TEST_STORE=pg the whole suite runs on it (helpers/store.py)."""
import glob
import os
import shutil
import subprocess

import pytest

from helpers.base import ROOT

SCRIPT = ROOT / "scripts" / "pg-cluster"


class PgCluster:
    """A running cluster: its libpq connection string and folder, and psql against it."""

    def __init__(self, conninfo, folder, bindir):
        self.conninfo = conninfo
        self.folder = folder
        self.bindir = bindir

    def psql(self, sql, check=True):
        """Runs sql with psql (stops at the first error, unaligned rows); returns stdout."""
        proc = subprocess.run([os.path.join(self.bindir, "psql"), "-X", "-q", "-A", "-t",
                               "-v", "ON_ERROR_STOP=1", "-d", self.conninfo, "-c", sql],
                              capture_output=True, text=True, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(f"psql exited {proc.returncode}: {proc.stderr}")
        return proc.stdout


def server_bindir():
    """The newest PostgreSQL's bin folder with initdb, pg_ctl and psql, or None."""
    found = [d for d in glob.glob("/usr/lib/postgresql/*/bin")
             if all(os.access(os.path.join(d, p), os.X_OK) for p in ("initdb", "pg_ctl", "psql"))]
    if not found:
        return None

    def version(d):
        return [int(x) for x in d.split("/")[-2].split(".") if x.isdigit()]
    return max(found, key=version)


def require_server():
    """The server's bin folder; skips (or fails under OORKONDE_REQUIRE_PG=1) without one."""
    bindir = server_bindir()
    if bindir is None:
        why = ("no PostgreSQL server under /usr/lib/postgresql/*/bin "
               "(scripts/install-deps test installs Debian's postgresql)")
        if os.environ.get("OORKONDE_REQUIRE_PG") == "1":
            pytest.fail(f"OORKONDE_REQUIRE_PG=1 but {why}")
        pytest.skip(why)
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.fail("as root, scripts/pg-cluster needs runuser to start PostgreSQL as another user")
    return bindir


def script(bindir, *args):
    """Runs scripts/pg-cluster with args; its standard output."""
    proc = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True,
                          env=dict(os.environ, PG_BIN=bindir), timeout=180)
    assert proc.returncode == 0, f"scripts/pg-cluster {args[0]} failed:\n{proc.stderr}"
    return proc.stdout.strip()


def cluster_from(conninfo, bindir):
    fields = dict(part.split("=", 1) for part in conninfo.split())
    return PgCluster(conninfo, fields["host"], bindir)


def start_cluster(bindir):
    """A new primary (stop it with stop_cluster)."""
    return cluster_from(script(bindir, "start"), bindir)


def start_replica(primary):
    """A streaming replica (a hot standby) of the running cluster primary."""
    return cluster_from(script(primary.bindir, "replica", primary.folder), primary.bindir)


def promote(cluster):
    script(cluster.bindir, "promote", cluster.folder)


def stop_cluster(cluster):
    """Stops cluster and removes its folder (a no-op for one already gone)."""
    subprocess.run([str(SCRIPT), "stop", cluster.folder], timeout=120, capture_output=True,
                   env=dict(os.environ, PG_BIN=cluster.bindir))


@pytest.fixture(scope="session")
def pg_cluster():
    # A cluster already running for this run (scripts/with-pg, make e2e-pg) is used as it is and
    # left to whoever started it.
    given = os.environ.get("OORKONDE_TEST_PG")
    if given:
        yield cluster_from(given, require_server())
        return
    cluster = start_cluster(require_server())
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


@pytest.fixture(scope="session")
def pg_replica(pg_cluster):
    """A streaming replica of pg_cluster, for the session."""
    replica = start_replica(pg_cluster)
    try:
        yield replica
    finally:
        stop_cluster(replica)
