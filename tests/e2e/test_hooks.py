"""The test and benchmark switches exist only in builds made for tests: a build as a user makes
it (`-Dtest_hooks=false`, the default; `make plain` builds one) ignores OORKONDE_BENCH_AUDIT_OFF,
OORKONDE_TEST_KILL_AFTER_BATCHES and OORKONDE_TEST_LOCK_WAIT_MS, so a server's environment cannot
turn its audit log off or make it give up on a lock sooner. The same steps with the test build
show that the switches are real there."""
import os
import shutil
import sqlite3
import threading

import pytest

from helpers.base import Oorkonde, db_scalar, make_row, write_csv

AUDIT_OFF = {"OORKONDE_BENCH_AUDIT_OFF": "1"}
KILL = {"OORKONDE_TEST_KILL_AFTER_BATCHES": "1"}


@pytest.fixture(scope="session")
def plain_binary(tmp_path_factory):
    path = os.environ.get("OORKONDE_PLAIN_BIN")
    if not path:
        pytest.skip("OORKONDE_PLAIN_BIN not set: `make e2e` builds build-plain and sets it")
    if not os.access(path, os.X_OK):
        pytest.fail(f"OORKONDE_PLAIN_BIN={path} is not an executable; run `make plain`")
    copy = tmp_path_factory.mktemp("plain") / "oorkonde"
    shutil.copy2(path, copy)
    return str(copy)


def bsn(i):
    """A 9-digit number that passes the Dutch eleven-test, distinct for each i < 10000."""
    base = f"2{i:04d}00"
    for tail in range(100):
        text = f"{base}{tail:02d}"
        total = sum(int(d) * w for d, w in zip(text[:8], range(9, 1, -1))) - int(text[8])
        if total % 11 == 0:
            return text
    raise AssertionError(i)


def registered(ok, tmp_path, n=6):
    """A depository with one institution; imports n learners with OORKONDE_BENCH_AUDIT_OFF=1
    and returns the audit log's event count before and after that import."""
    ok.run("init", check=True)
    ok.run("institution", "add", "--code", "21XX", "--name", "Universiteit Testdorp",
           "--country", "NL", check=True)
    rows = [make_row(record_id=f"H-{i}", national_id=bsn(i), given_names=f"Given{i}")
            for i in range(n)]
    csv = write_csv(tmp_path / "r.csv", rows)
    before = db_scalar(ok.data, "SELECT count(*) FROM audit_event")
    ok.run("import", csv, "--institution", "21XX", "--strict", env=AUDIT_OFF, check=True)
    ok.run("achievements", "--national-id", bsn(0), "--json", env=AUDIT_OFF, check=True)
    return before, db_scalar(ok.data, "SELECT count(*) FROM audit_event")


def test_a_plain_build_audits_with_the_audit_switch_set(plain_binary, binary, tmp_path):
    before, after = registered(Oorkonde(plain_binary, tmp_path / "plain"), tmp_path)
    assert after > before, "a build without test_hooks obeyed OORKONDE_BENCH_AUDIT_OFF"
    ok = Oorkonde(plain_binary, tmp_path / "plain")
    assert ok.run("audit", "verify").returncode == 0
    # The test build, same steps: no event at all, so the count above is the switch's doing.
    before, after = registered(Oorkonde(binary, tmp_path / "hooks"), tmp_path)
    assert after == before


def test_a_plain_build_is_not_killed_by_the_rotation_switch(plain_binary, binary, tmp_path):
    ok = Oorkonde(plain_binary, tmp_path / "plain")
    registered(ok, tmp_path)
    proc = ok.run("keys", "rotate-data-key", "--batch", "2", env=KILL)
    assert proc.returncode == 0, proc
    assert "Data key 2 is current: 6 of 6 records re-sealed" in proc.stdout
    hooks = Oorkonde(binary, tmp_path / "hooks")
    registered(hooks, tmp_path)
    assert hooks.run("keys", "rotate-data-key", "--batch", "2", env=KILL).returncode == -9


def test_a_plain_build_waits_for_a_lock_as_long_as_ever_with_the_lock_switch_set(
        plain_binary, binary, tmp_path):
    """Another connection holds the database's write lock: a write with
    OORKONDE_TEST_LOCK_WAIT_MS=100 waits out 1.5 s of it in a plain build (it would wait about
    10 s), and gives up with "busy" in the test build, where the lock would be let go only
    after 5 s (the test's process cannot start that late)."""
    env = {"OORKONDE_TEST_LOCK_WAIT_MS": "100"}
    for build, path, held in (("plain", plain_binary, 1.5), ("hooks", binary, 5.0)):
        ok = Oorkonde(path, tmp_path / build)
        ok.run("init", check=True)
        writer = sqlite3.connect(ok.data / "oorkonde.db", isolation_level=None,
                                 check_same_thread=False)
        writer.execute("BEGIN IMMEDIATE")
        release = threading.Timer(held, writer.execute, ("ROLLBACK",))
        release.start()
        try:
            proc = ok.run("institution", "add", "--code", "21XX", "--name", "Universiteit "
                          "Testdorp", "--country", "NL", env=env)
        finally:
            release.cancel()  # the test build's answer came first: no need to wait on
            release.join()
            if writer.in_transaction:
                writer.execute("ROLLBACK")
            writer.close()
        if build == "plain":
            assert proc.returncode == 0, proc.stderr
        else:
            assert proc.returncode != 0 and "busy" in proc.stderr, proc
