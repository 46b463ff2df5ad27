"""Backup and restore of a depository whose records are in PostgreSQL (docs/operations.md,
"Backup and restore on PostgreSQL"): `oorkonde backup` refuses it and names the tools and the
docs section; `pg_dump -Fc` taken while an import runs into the depository, restored with
`pg_restore` into a new database, gives a data folder (the same keys, config.json pointed at the
new database) that `audit verify` finds intact and that holds every row of the batches
committed before the dump began."""
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from helpers.base import INSTITUTION, Oorkonde, bulk_csv
from pg import pg_cluster  # noqa: F401  (the fixture)

KEYS = ("data.key", "issuer.key", "issuer.key.retired")
BATCH_ROWS = 10_000  # the e2e tests' batch (conftest.py; the default is 100,000)
ROWS = 3 * BATCH_ROWS  # so that a dump after the first batch is taken in the middle of the run

_dbs = iter(range(1, 1_000_000))


def database(cluster, prefix):
    """A new, empty database on the test cluster; its connection string."""
    name = f"ok_bk_{prefix}_{os.getpid()}_{next(_dbs)}"
    cluster.psql(f"CREATE DATABASE {name}")
    return name, re.sub(r"dbname=\S+", f"dbname={name}", cluster.conninfo)


def query(cluster, conninfo, sql):
    """sql's rows (unaligned, one per line) in the database conninfo names."""
    proc = subprocess.run([os.path.join(cluster.bindir, "psql"), "-X", "-q", "-A", "-t", "-v",
                           "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def record_ids(cluster, conninfo):
    """Every achievement's institution/record id."""
    return set(query(cluster, conninfo,
                     "SELECT institution || '/' || record_id FROM achievement"))


@pytest.fixture
def pg_depository(binary, tmp_path, pg_cluster):  # noqa: F811
    name, url = database(pg_cluster, "live")
    ok = Oorkonde(binary, tmp_path / "data")
    ok.run("init", "--store", url, check=True)
    ok.add_institution()
    yield ok, url
    pg_cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", check=False)


def test_oorkonde_backup_refuses_a_postgresql_store_and_names_the_way(pg_depository, tmp_path):
    ok, url = pg_depository
    target = tmp_path / "backup"
    proc = ok.run("backup", target)
    assert proc.returncode != 0
    assert "pg_dump" in proc.stderr and "WAL archiving" in proc.stderr, proc.stderr
    assert "Backup and restore on PostgreSQL" in proc.stderr
    assert url not in proc.stderr + proc.stdout
    assert not target.exists(), "a refused backup left its folder behind"


def test_pg_dump_during_an_import_restores_to_a_depository_that_verifies(
        pg_depository, pg_cluster, tmp_path):  # noqa: F811
    ok, url = pg_depository
    tool = lambda name: os.path.join(pg_cluster.bindir, name)  # noqa: E731
    csv_path = bulk_csv(tmp_path / "big.csv", ROWS)
    err = open(tmp_path / "import.stderr", "w")
    imp = subprocess.Popen(ok.argv("import", csv_path, "--institution", INSTITUTION),
                           stdout=subprocess.DEVNULL, stderr=err, env=ok.env())
    restored_name = None
    try:
        # Wait for the first batches to be committed, then dump in the middle of the run.
        deadline = time.monotonic() + 300
        count = 0
        while count < BATCH_ROWS:
            assert imp.poll() is None, "the import ended before the dump could start"
            assert time.monotonic() < deadline, "import too slow"
            time.sleep(0.05)
            count = int(query(pg_cluster, url, "SELECT count(*) FROM achievement")[0])
        # Every row committed by now must be in the dump that starts after this.
        before = record_ids(pg_cluster, url)
        assert len(before) < ROWS, "the import ended before the dump could start"
        dump = tmp_path / "live.dump"
        proc = subprocess.run([tool("pg_dump"), "-Fc", "-f", str(dump), "-d", url],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert imp.wait(timeout=600) == 0, (tmp_path / "import.stderr").read_text()
    finally:
        if imp.poll() is None:
            imp.kill()
            imp.wait()
        err.close()

    try:
        restored_name, restored_url = database(pg_cluster, "restored")
        proc = subprocess.run([tool("pg_restore"), "--no-owner", "--exit-on-error", "-d",
                               restored_url, str(dump)], capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr

        # A data folder for it: the keys and config.json, kept apart from the dump.
        folder = tmp_path / "restored"
        folder.mkdir(mode=0o700)
        for name in KEYS + ("audit-checkpoints",):
            if (ok.data / name).exists():
                shutil.copy2(ok.data / name, folder / name)
        config = json.loads((ok.data / "config.json").read_text())
        assert config["store"] == url
        config["store"] = restored_url
        (folder / "config.json").write_text(json.dumps(config))
        os.chmod(folder / "config.json", 0o600)
        restored = Oorkonde(ok.binary, folder)
        verify = restored.run("audit", "verify")
        assert verify.returncode == 0 and "chain intact" in verify.stdout, \
            verify.stdout + verify.stderr

        after = record_ids(pg_cluster, restored_url)
        assert before <= after, f"{len(before - after)} rows committed before the dump are lost"
        total = record_ids(pg_cluster, url)
        assert len(total) == ROWS and after <= total
        assert len(after) % BATCH_ROWS == 0, f"the dump holds part of a batch: {len(after)} rows"
        # The restored depository works: the import run again completes it.
        again = restored.run("import", csv_path, "--institution", INSTITUTION, timeout=600)
        assert again.returncode == 0, again.stderr
        assert len(record_ids(pg_cluster, restored_url)) == ROWS
        assert restored.run("audit", "verify").returncode == 0
    finally:
        if restored_name:
            pg_cluster.psql(f"DROP DATABASE IF EXISTS {restored_name} WITH (FORCE)",
                            check=False)
