"""`oorkonde backup` and `oorkonde restore` (docs/operations.md): a backup made while a server
serves and an import runs holds every batch committed before it and is consistent; a restore
into a new folder opens, and with the keys put back `audit verify` finds the chain intact; the
backup is private (0700 folder, 0600 files) and holds no key; a non-empty target, a damaged
file and a folder that is no finished backup are refused, with nothing left behind."""
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import time

import pytest

from helpers.base import INSTITUTION, SANITIZED, Oorkonde, bulk_csv, db_readonly
from helpers.server import Server

KEYS = ("data.key", "issuer.key", "issuer.key.retired")
ROWS = 30_000 if SANITIZED else 120_000


def count_in(db):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        return conn.execute("SELECT count(*) FROM achievement").fetchone()[0]
    finally:
        conn.close()


def put_keys_back(source, target):
    for name in KEYS:
        if (source / name).exists():
            shutil.copy2(source / name, target / name)


@pytest.fixture
def small(inst, tmp_path):
    """A data folder with a few hundred results and a checkpoint."""
    inst.run("import", bulk_csv(tmp_path / "small.csv", 300), "--institution", INSTITUTION,
             check=True)
    inst.run("audit", "checkpoint", check=True)
    return inst


def test_backup_during_an_import_while_serving_and_restore(inst, tmp_path):
    csv_path = bulk_csv(tmp_path / "big.csv", ROWS)
    server = Server(inst, "--rate-limit", 0, name="backup").start()
    err = open(tmp_path / "import.stderr", "w")
    imp = subprocess.Popen(inst.argv("import", csv_path, "--institution", INSTITUTION),
                           stdout=subprocess.DEVNULL, stderr=err, env=inst.env())
    try:
        # Wait for the first batches to be committed, then back up in the middle of the run.
        deadline = time.monotonic() + 300
        before = 0
        with db_readonly(inst.data) as conn:
            while before < 20_000:
                try:
                    before = conn.execute("SELECT count(*) FROM achievement").fetchone()[0]
                except sqlite3.OperationalError:
                    pass
                assert imp.poll() is None, "the import ended before the backup could start"
                assert time.monotonic() < deadline, "import too slow"
                time.sleep(0.01)
        proc = inst.run("backup", tmp_path / "backup", check=True)
        still_running = imp.poll() is None
        assert imp.wait(timeout=600) == 0, (tmp_path / "import.stderr").read_text()
        status = server.request("GET", "/healthz")
        assert status.status == 200
    finally:
        if imp.poll() is None:
            imp.kill()
            imp.wait()
        err.close()
        server.stop()
    assert "audit log" in proc.stdout and "not in the backup" in proc.stdout

    backup = tmp_path / "backup"
    copied = count_in(backup / "oorkonde.db")
    total = count_in(inst.db_path)
    assert before <= copied <= total == ROWS
    if still_running:  # the usual case: the backup really was taken mid-import
        assert copied < total
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["format"] == "oorkonde-backup" and manifest["store"] == "sqlite"
    assert manifest["schema_version"] >= 1 and manifest["audit"]["seq"] >= 1

    target = tmp_path / "restored"
    proc = inst.run("restore", backup, "--to", target, check=True)
    assert "audit log is whole" in proc.stdout
    assert count_in(target / "oorkonde.db") == copied
    put_keys_back(inst.data, target)
    restored = Oorkonde(inst.binary, target)
    verify = restored.run("audit", "verify")
    assert verify.returncode == 0 and "chain intact" in verify.stdout, verify.stdout + verify.stderr
    assert f"{manifest['audit']['seq']} events" in verify.stdout
    # The restored folder works: a re-run of the import completes it, to the same count.
    again = restored.run("import", csv_path, "--institution", INSTITUTION, timeout=600)
    assert again.returncode == 0, again.stderr
    assert count_in(target / "oorkonde.db") == ROWS


def test_backup_is_private_and_holds_no_key(small, tmp_path):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    names = sorted(p.name for p in backup.iterdir())
    assert names == ["audit-checkpoints", "config.json", "manifest.json", "oorkonde.db"]
    for p in backup.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, (p.name, oct(p.stat().st_mode))
    for name in KEYS:
        secret = small.data / name
        if secret.exists():
            key = secret.read_bytes()
            for p in backup.iterdir():
                assert key not in p.read_bytes(), f"{name} is in {p.name}"
    manifest = json.loads((backup / "manifest.json").read_text())
    assert "not included" in manifest["keys"]
    restored = tmp_path / "restored"
    small.run("restore", backup, "--to", restored, check=True)
    assert stat.S_IMODE(restored.stat().st_mode) == 0o700
    for p in restored.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name


def test_backup_refuses_a_non_empty_folder(small, tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "notes.txt").write_text("mine")
    proc = small.run("backup", backup)
    assert proc.returncode == 2 and "not empty" in proc.stderr
    assert sorted(p.name for p in backup.iterdir()) == ["notes.txt"]


def test_restore_refuses_a_non_empty_target(small, tmp_path):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    target = tmp_path / "target"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    proc = small.run("restore", backup, "--to", target)
    assert proc.returncode == 2 and "not empty" in proc.stderr, proc.stderr
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]
    # The live data folder itself (the default target) is refused the same way.
    proc = small.run("restore", backup)
    assert proc.returncode == 2 and "not empty" in proc.stderr
    # An empty folder is taken.
    empty = tmp_path / "empty"
    empty.mkdir()
    small.run("restore", backup, "--to", empty, check=True)


@pytest.mark.parametrize("damage", ["flip", "cut"])
def test_restore_refuses_a_damaged_backup(small, tmp_path, damage):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    db = backup / "oorkonde.db"
    data = bytearray(db.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    else:
        data = data[:len(data) - 4096]
    db.write_bytes(bytes(data))
    target = tmp_path / "restored"
    proc = small.run("restore", backup, "--to", target)
    assert proc.returncode == 2
    assert "the backup is damaged" in proc.stderr and "oorkonde.db" in proc.stderr, proc.stderr
    assert not target.exists(), "a refused restore left files behind"


def test_restore_refuses_an_altered_manifest_head(small, tmp_path):
    """A manifest that names another audit head than the copied log (a backup of one folder
    with the database of another) is caught by the walk of the restored chain."""
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["audit"]["seq"] += 1
    (backup / "manifest.json").write_text(json.dumps(manifest))
    target = tmp_path / "restored"
    proc = small.run("restore", backup, "--to", target)
    assert proc.returncode == 2 and "audit log" in proc.stderr, proc.stderr
    assert not target.exists()


def test_restore_refuses_a_folder_that_is_no_backup(small, tmp_path):
    proc = small.run("restore", small.data, "--to", tmp_path / "restored")
    assert proc.returncode == 2 and "no manifest.json" in proc.stderr
    assert not (tmp_path / "restored").exists()
