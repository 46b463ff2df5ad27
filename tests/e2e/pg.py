"""A throw-away PostgreSQL cluster for the tests of the PostgreSQL store (issue 16): made once per
session by scripts/pg-cluster (initdb in a random temporary folder, Unix socket only, trust for
the current user) and removed after. Use it by importing the fixture into a test module:

    from pg import pg_cluster  # noqa: F401

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


@pytest.fixture(scope="session")
def pg_cluster():
    bindir = server_bindir()
    given = os.environ.get("OORKONDE_TEST_PG")
    if given and bindir:
        fields = dict(part.split("=", 1) for part in given.split())
        yield PgCluster(given, fields["host"], bindir)
        return
    if bindir is None:
        why = ("no PostgreSQL server under /usr/lib/postgresql/*/bin "
               "(scripts/install-deps test installs Debian's postgresql)")
        if os.environ.get("OORKONDE_REQUIRE_PG") == "1":
            pytest.fail(f"OORKONDE_REQUIRE_PG=1 but {why}")
        pytest.skip(why)
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.fail("as root, scripts/pg-cluster needs runuser to start PostgreSQL as another user")
    env = dict(os.environ, PG_BIN=bindir)
    proc = subprocess.run([str(SCRIPT), "start"], capture_output=True, text=True, env=env,
                          timeout=180)
    assert proc.returncode == 0, f"scripts/pg-cluster start failed:\n{proc.stderr}"
    conninfo = proc.stdout.strip()
    fields = dict(part.split("=", 1) for part in conninfo.split())
    cluster = PgCluster(conninfo, fields["host"], bindir)
    try:
        yield cluster
    finally:
        subprocess.run([str(SCRIPT), "stop", cluster.folder], env=env, timeout=120,
                       capture_output=True)
