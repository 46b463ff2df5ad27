"""`oorkonde backup` and `oorkonde restore` (docs/operations.md): a backup made while a server
serves and an import runs holds every batch committed before it and is consistent; a restore
with the keys (--keys) checks the signed manifest and the audit log and gives a folder that
`audit verify` finds intact; the backup is private (0700 folder, 0600 files) and holds no key;
a non-empty target, a damaged file and a folder that is no finished backup are refused, with
nothing left behind. The attacks of review 16 (F1, F2, F7, F8, F10) each have a test below:
a backup altered by someone who can write it, and who recomputes the manifest's hashes, is
refused."""
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import threading
import time

import pytest

from helpers.base import INSTITUTION, SANITIZED, Oorkonde, bulk_csv, db_readonly
from helpers.server import Server
from helpers import store

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


def keys_of(ok, folder):
    """The depository's keys, kept apart from its backups as docs/operations.md says."""
    folder.mkdir(mode=0o700)
    for name in KEYS:
        if (ok.data / name).exists():
            shutil.copy2(ok.data / name, folder / name)
    return folder


def fix_manifest(backup):
    """What anyone who can write a backup can do: make the manifest's sizes and hashes fit
    the altered files again (the review's reproduction)."""
    manifest = json.loads((backup / "manifest.json").read_text())
    for name in manifest["files"]:
        data = (backup / name).read_bytes()
        manifest["files"][name] = {"bytes": len(data),
                                   "sha256": hashlib.sha256(data).hexdigest()}
    (backup / "manifest.json").write_text(json.dumps(manifest))
    return manifest


def no_leftovers(target):
    assert not target.exists(), "a refused restore left the target behind"
    staged = list(target.parent.glob(target.name + ".restoring-*"))
    assert staged == [], f"a refused restore left {staged}"


@pytest.fixture(scope="module")
def small_template(binary, inst_template, tmp_path_factory):
    """small's data folder, made once per module and copied for each test."""
    base = tmp_path_factory.mktemp("small")
    ok = Oorkonde(binary, base / "data")
    mark = len(store.made)
    store.copy_folder(inst_template, ok.data)
    ok.run("import", bulk_csv(base / "small.csv", 300), "--institution", INSTITUTION,
           check=True)
    ok.run("audit", "checkpoint", check=True)
    # Made during the first test that asks: kept from that test's end, dropped at the module's.
    databases = store.keep_since(mark)
    yield ok.data
    store.drop(databases)


@pytest.fixture
def small(ok, small_template):
    """A data folder with a few hundred results and a checkpoint: inst with an import of 300
    rows and an audit checkpoint."""
    store.copy_folder(small_template, ok.data)
    return ok


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
    proc = inst.run("restore", backup, "--to", target, "--keys", keys_of(inst, tmp_path / "keys"),
                    check=True)
    assert "signed" in proc.stdout and "NOT CHECKED" not in proc.stdout, proc.stdout
    assert count_in(target / "oorkonde.db") == copied
    for name in KEYS:
        if (inst.data / name).exists():
            assert (target / name).read_bytes() == (inst.data / name).read_bytes()
            assert stat.S_IMODE((target / name).stat().st_mode) == 0o600
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
    small.run("restore", backup, "--to", restored, "--keys", keys_of(small, tmp_path / "keys"),
              check=True)
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
    keys = keys_of(small, tmp_path / "keys")
    proc = small.run("restore", backup, "--to", target, "--keys", keys)
    assert proc.returncode == 2 and "not empty" in proc.stderr, proc.stderr
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]
    # The live data folder itself (the default target) is refused the same way.
    proc = small.run("restore", backup, "--keys", keys)
    assert proc.returncode == 2 and "not empty" in proc.stderr
    # An empty folder is taken (replaced by the checked restore, atomically).
    empty = tmp_path / "empty"
    empty.mkdir(mode=0o755)
    small.run("restore", backup, "--to", empty, "--keys", keys, check=True)
    assert stat.S_IMODE(empty.stat().st_mode) == 0o700
    assert (empty / "oorkonde.db").exists()
    assert list(tmp_path.glob("*.restoring-*")) == []


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
    proc = small.run("restore", backup, "--to", target, "--unverified")
    assert proc.returncode == 2
    assert "the backup is damaged" in proc.stderr and "oorkonde.db" in proc.stderr, proc.stderr
    no_leftovers(target)


def test_restore_refuses_an_altered_manifest_head(small, tmp_path):
    """A manifest that names another audit head than the copied log (a backup of one folder
    with the database of another) is caught by the walk of the restored chain."""
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["audit"]["seq"] += 1
    (backup / "manifest.json").write_text(json.dumps(manifest))
    target = tmp_path / "restored"
    proc = small.run("restore", backup, "--to", target, "--unverified")
    assert proc.returncode == 2 and "audit log" in proc.stderr, proc.stderr
    no_leftovers(target)
    # With the keys the altered manifest is caught before anything is copied.
    proc = small.run("restore", backup, "--to", target, "--keys", keys_of(small, tmp_path / "k"))
    assert proc.returncode == 2 and "signature does not hold" in proc.stderr, proc.stderr
    no_leftovers(target)


def test_restore_refuses_a_folder_that_is_no_backup(small, tmp_path):
    proc = small.run("restore", small.data, "--to", tmp_path / "restored", "--unverified")
    assert proc.returncode == 2 and "no manifest.json" in proc.stderr
    assert not (tmp_path / "restored").exists()


def test_restore_needs_keys_or_says_it_did_not_check(small, tmp_path):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    target = tmp_path / "restored"
    proc = small.run("restore", backup, "--to", target)
    assert proc.returncode != 0 and "--keys" in proc.stderr and "--unverified" in proc.stderr
    assert not target.exists()
    proc = small.run("restore", backup, "--to", target, "--unverified", check=True)
    assert "NOT CHECKED: authenticity" in proc.stdout
    assert not (target / "issuer.key").exists()


# Review 16, F1: a backup altered by whoever can write it.

def test_f1_a_hidden_trigger_is_refused(small, tmp_path):
    """The review's reproduction: a trigger that undoes every revocation, manifest fixed."""
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    conn = sqlite3.connect(backup / "oorkonde.db")
    conn.execute("CREATE TRIGGER keep_active AFTER UPDATE OF status ON achievement "
                 "BEGIN UPDATE achievement SET status='active' WHERE id=NEW.id; END")
    conn.commit()
    conn.close()
    fix_manifest(backup)
    target = tmp_path / "restored"
    for how in (["--unverified"], ["--keys", keys_of(small, tmp_path / "keys")]):
        proc = small.run("restore", backup, "--to", target, *how)
        assert proc.returncode == 2, proc.stdout
        if how == ["--unverified"]:
            assert "trigger keep_active" in proc.stderr, proc.stderr
        else:  # caught even earlier: the fixed manifest is no longer the signed one
            assert "signature does not hold" in proc.stderr, proc.stderr
        no_leftovers(target)


@pytest.mark.parametrize("change", [
    "CREATE VIEW v AS SELECT * FROM achievement",
    "CREATE INDEX extra ON achievement (status)",
    "DROP INDEX achievement_by_learner",
])
def test_f1_any_schema_change_is_refused_and_named(small, tmp_path, change):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    conn = sqlite3.connect(backup / "oorkonde.db")
    conn.execute(change)
    conn.commit()
    conn.close()
    fix_manifest(backup)
    target = tmp_path / "restored"
    proc = small.run("restore", backup, "--to", target, "--unverified")
    assert proc.returncode == 2 and "schema is not this program's" in proc.stderr, proc.stderr
    name = {"C": change.split()[2], "D": change.split()[2]}[change[0]]
    assert name in proc.stderr
    no_leftovers(target)


def test_f1_a_dangling_reference_is_refused(small, tmp_path):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    conn = sqlite3.connect(backup / "oorkonde.db")
    conn.execute("UPDATE achievement SET learner_id = 'nobody' WHERE rowid = 1")
    conn.commit()
    conn.close()
    fix_manifest(backup)
    target = tmp_path / "restored"
    proc = small.run("restore", backup, "--to", target, "--unverified")
    assert proc.returncode == 2 and "refers to a row that does not exist" in proc.stderr, \
        proc.stderr
    no_leftovers(target)


def test_f1_another_depositorys_keys_are_refused(small, binary, tmp_path):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    other = Oorkonde(binary, tmp_path / "other")
    other.init()
    target = tmp_path / "restored"
    proc = small.run("restore", backup, "--to", target, "--keys", keys_of(other, tmp_path / "k"))
    assert proc.returncode == 2, proc.stdout
    assert "signature does not hold" in proc.stderr or "issuer key" in proc.stderr, proc.stderr
    no_leftovers(target)


def test_f1_a_store_with_checkpoints_restores_verified(small, tmp_path):
    """The checkpoint made by the fixture is checked against the keys given."""
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    proc = small.run("restore", backup, "--to", tmp_path / "restored", "--keys",
                     keys_of(small, tmp_path / "keys"), check=True)
    assert "with 1 checkpoint" in proc.stdout, proc.stdout


def test_audit_verify_warns_about_a_log_without_checkpoints(inst, tmp_path):
    inst.run("import", bulk_csv(tmp_path / "few.csv", 5), "--institution", INSTITUTION,
             check=True)
    proc = inst.run("audit", "verify")
    assert proc.returncode == 0 and "no signed checkpoint" in proc.stderr, proc.stderr
    inst.run("audit", "checkpoint", check=True)
    proc = inst.run("audit", "verify")
    assert proc.returncode == 0 and "WARNING" not in proc.stderr, proc.stderr


# Review 16, F2: a restore never leaves a folder that was not checked.

@pytest.mark.parametrize("name", ["audit-checkpoints", "config.json"])
def test_f2_a_fifo_in_the_backup_is_refused_at_once(small, tmp_path, name):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["files"][name] = {"bytes": 0, "sha256": "00" * 32}
    (backup / "manifest.json").write_text(json.dumps(manifest))
    (backup / name).unlink()
    os.mkfifo(backup / name)
    target = tmp_path / "restored"
    proc = small.run("restore", backup, "--to", target, "--unverified", timeout=20)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr, proc.stderr
    no_leftovers(target)


def test_f2_a_size_other_than_the_manifests_copies_nothing(small, tmp_path):
    """A sparse file of 8 GiB where the database was: refused on its size, before a byte of
    it is copied."""
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    with open(backup / "oorkonde.db", "r+b") as f:
        f.truncate(8 << 30)
    target = tmp_path / "restored"
    start = time.monotonic()
    proc = small.run("restore", backup, "--to", target, "--unverified", timeout=60)
    assert proc.returncode == 2 and "the manifest says" in proc.stderr, proc.stderr
    assert time.monotonic() - start < 20
    no_leftovers(target)


def test_f2_a_killed_restore_leaves_no_data_folder(inst, tmp_path):
    """Killed at any moment, a restore leaves DATADIR absent or whole: never a folder that
    opens without having been checked."""
    inst.run("import", bulk_csv(tmp_path / "mid.csv", 20_000 if SANITIZED else 60_000),
             "--institution", INSTITUTION, check=True)
    backup = tmp_path / "backup"
    inst.run("backup", backup, check=True)
    seen_absent = 0
    for delay in (0.02, 0.05, 0.1, 0.2, 0.4):
        target = tmp_path / f"restored-{delay}"
        proc = subprocess.Popen(inst.argv("restore", backup, "--to", target, "--unverified"),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=inst.env())
        time.sleep(delay)
        proc.kill()
        proc.wait()
        if target.exists():
            assert count_in(target / "oorkonde.db") > 0
            assert Oorkonde(inst.binary, target).run("audit", "show", "--after", "0",
                                                      "--json").returncode in (0, 2)
        else:
            seen_absent += 1
    # At least the quickest kill came before the rename.
    assert seen_absent >= 1


def test_f2_f8_concurrent_restores_into_one_folder(small, tmp_path):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    keys = keys_of(small, tmp_path / "keys")
    target = tmp_path / "restored"
    results = []

    def restore():
        results.append(small.run("restore", backup, "--to", target, "--keys", keys))

    threads = [threading.Thread(target=restore) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(p.returncode == 0 for p in results) >= 1
    for p in results:
        assert p.returncode == 0 or "not empty" in p.stderr, p.stderr
    verify = Oorkonde(small.binary, target).run("audit", "verify")
    assert verify.returncode == 0 and "chain intact" in verify.stdout, verify.stderr
    assert list(tmp_path.glob("*.restoring-*")) == []


# Review 16, F7: the backup's config.json.

def test_f7_a_config_with_a_key_twice_is_refused(small, tmp_path):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    text = (backup / "config.json").read_text().rstrip().rstrip("}")
    (backup / "config.json").write_text(text + ', "store": "sqlite:/tmp/elsewhere.db"}\n')
    fix_manifest(backup)
    target = tmp_path / "restored"
    proc = small.run("restore", backup, "--to", target, "--unverified")
    assert proc.returncode == 2 and "duplicate" in proc.stderr, proc.stderr
    no_leftovers(target)


def test_f7_a_store_that_is_no_string_is_refused(small, tmp_path):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    config = json.loads((backup / "config.json").read_text())
    config["store"] = ["sqlite:oorkonde.db"]
    (backup / "config.json").write_text(json.dumps(config))
    fix_manifest(backup)
    target = tmp_path / "restored"
    proc = small.run("restore", backup, "--to", target, "--unverified")
    assert proc.returncode == 2 and "store must be a string" in proc.stderr, proc.stderr
    no_leftovers(target)


def test_f7_trust_settings_are_shown_and_a_changed_config_needs_the_signature(small, tmp_path):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    config = json.loads((backup / "config.json").read_text())
    config["did_web_http_hosts"] = ["evil.example"]
    config["network_did"] = "did:web:evil.example"
    (backup / "config.json").write_text(json.dumps(config))
    fix_manifest(backup)
    target = tmp_path / "restored"
    proc = small.run("restore", backup, "--to", target, "--keys", keys_of(small, tmp_path / "k"))
    assert proc.returncode == 2 and "signature does not hold" in proc.stderr, proc.stderr
    no_leftovers(target)
    proc = small.run("restore", backup, "--to", target, "--unverified", check=True)
    assert "did_web_http_hosts evil.example" in proc.stdout, proc.stdout
    assert "network_did     did:web:evil.example" in proc.stdout
    assert "NOT CHECKED" in proc.stdout


# Review 16, F8: folders by fd.

def test_f8_symlinked_folders_are_refused(small, tmp_path):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    victim = tmp_path / "victim"
    victim.mkdir(mode=0o755)
    link = tmp_path / "link"
    link.symlink_to(victim)
    proc = small.run("restore", backup, "--to", link, "--unverified")
    assert proc.returncode == 2 and "not a folder" in proc.stderr, proc.stderr
    proc = small.run("backup", link)
    assert proc.returncode == 2 and "symlink" in proc.stderr, proc.stderr
    assert list(victim.iterdir()) == []
    assert stat.S_IMODE(victim.stat().st_mode) == 0o755
    assert link.is_symlink()


# Review 16, F10: manifest strings reach the terminal without control characters.

def test_f10_manifest_strings_are_printed_without_control_characters(small, tmp_path):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["at"] = "\x1b]0;owned\x07\x1b[2J"
    (backup / "manifest.json").write_text(json.dumps(manifest))
    proc = small.run("restore", backup, "--to", tmp_path / "restored", "--unverified",
                     check=True)
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    manifest["store"] = "\x1b[31mpostgres"
    (backup / "manifest.json").write_text(json.dumps(manifest))
    proc = small.run("restore", backup, "--to", tmp_path / "again", "--unverified")
    assert proc.returncode == 2 and "\x1b" not in proc.stderr, proc.stderr


# Review 16b, N4: what `restore --unverified` copies is bounded before the first byte.

def test_n4_a_sparse_file_with_a_fitting_manifest_is_refused(small, tmp_path):
    """The review's reproduction: the database made a sparse file of many times its size and
    the manifest's size set to match (no --keys, so nothing shows the change)."""
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    size = 256 << 20
    with open(backup / "oorkonde.db", "r+b") as f:
        f.truncate(size)
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["files"]["oorkonde.db"]["bytes"] = size
    (backup / "manifest.json").write_text(json.dumps(manifest))
    target = tmp_path / "restored"
    start = time.monotonic()
    proc = small.run("restore", backup, "--to", target, "--unverified", timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "oorkonde.db has 268435456 bytes but only" in proc.stderr, proc.stderr
    assert "a file with holes" in proc.stderr
    assert time.monotonic() - start < 20
    no_leftovers(target)


def test_n4_a_backup_larger_than_the_free_space_copies_nothing(small, tmp_path):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["files"]["oorkonde.db"]["bytes"] = 1 << 50
    (backup / "manifest.json").write_text(json.dumps(manifest))
    target = tmp_path / "restored"
    proc = small.run("restore", backup, "--to", target, "--unverified", timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    total = sum(f["bytes"] for f in manifest["files"].values())
    assert f"the backup's files take {total} bytes" in proc.stderr, proc.stderr
    assert "are free beside the data folder; nothing was copied" in proc.stderr
    assert "Copying" not in proc.stdout
    no_leftovers(target)


def test_n4_the_size_is_shown_before_copying_and_stale_staging_folders_named(small, tmp_path):
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    files = json.loads((backup / "manifest.json").read_text())["files"]
    total = sum(f["bytes"] for f in files.values())
    # What a restore killed before its rename leaves (test_f2_a_killed_restore_…).
    stale = tmp_path / "restored.restoring-Ab12Cd"
    stale.mkdir()
    (tmp_path / "restored.restoring-file").write_text("not a folder")
    target = tmp_path / "restored"
    proc = small.run("restore", backup, "--to", target, "--unverified", check=True)
    first = proc.stdout.splitlines()[0]
    assert first.startswith(f"Copying {total} bytes (") and "UNVERIFIED" in first, proc.stdout
    assert "Restored the backup" in proc.stdout
    assert "1 folder of earlier restores that were stopped" in proc.stderr, proc.stderr
    assert str(stale) in proc.stderr and "remove it once no restore runs" in proc.stderr
    assert stale.exists(), "a folder another restore may still use was removed"
    # With the keys the size is shown too, and nothing is said of stale folders when none is.
    stale.rmdir()
    keys = keys_of(small, tmp_path / "keys")
    proc = small.run("restore", backup, "--to", tmp_path / "again", "--keys", keys, check=True)
    assert proc.stdout.startswith(f"Copying {total} bytes (") and "UNVERIFIED" not in \
        proc.stdout.splitlines()[0]
    assert "earlier restores" not in proc.stderr


# Review 16b, notes: restoring an older backup (rollback), and backups signed by retired keys.

def test_an_older_backup_is_told_by_the_newest_checkpoint(small, tmp_path):
    """The backup's audit head is shown with the newest checkpoint the keys folder's
    audit-checkpoints holds (the data folder itself given as --keys): an older backup, from
    before a revocation, is named as such."""
    old = tmp_path / "old"
    small.run("backup", old, check=True)
    head = json.loads((old / "manifest.json").read_text())["audit"]["seq"]
    conn = sqlite3.connect(f"file:{small.db_path}?mode=ro", uri=True)
    aid = conn.execute("SELECT id FROM achievement LIMIT 1").fetchone()[0]
    conn.close()
    small.run("revoke", aid, "--reason", "issued in error", check=True)
    small.run("audit", "checkpoint", check=True)
    new = tmp_path / "new"
    small.run("backup", new, check=True)
    newest = json.loads((new / "manifest.json").read_text())["audit"]["seq"]
    assert newest > head

    proc = small.run("restore", old, "--to", tmp_path / "r-old", "--keys", small.data,
                     check=True)
    assert f"audit log up to event {head}\n" in proc.stdout, proc.stdout
    assert f"newest known    event {newest}, checkpoint of 20" in proc.stdout
    assert "WARNING: this backup is older than the depository's newest checkpoint" in \
        proc.stdout
    assert f"{newest - head} events after event {head}" in proc.stdout
    proc = small.run("restore", new, "--to", tmp_path / "r-new", "--keys", small.data,
                     check=True)
    assert f"newest known    event {newest}," in proc.stdout and "WARNING" not in proc.stdout
    # A keys folder without audit-checkpoints: the operator is told what to compare.
    keys = keys_of(small, tmp_path / "keys")
    proc = small.run("restore", old, "--to", tmp_path / "r-keys", "--keys", keys, check=True)
    assert f"compare event {head} with the depository's" in proc.stdout, proc.stdout


def test_a_backup_signed_after_its_keys_retirement_is_refused(small, tmp_path):
    config = small.data / "config.json"
    settings = json.loads(config.read_text())
    settings["host"] = "diploma.example.nl"  # a did:key has one key: rotation needs a did:web
    config.write_text(json.dumps(settings))
    backup = tmp_path / "backup"
    small.run("backup", backup, check=True)
    assert json.loads((backup / "manifest.json").read_text())["signature"]["issuer_key"] == 1
    small.run("keys", "rotate-issuer-key", check=True)
    small.run("keys", "retire-issuer-key", "1", "--force", check=True)
    keys = keys_of(small, tmp_path / "keys")
    # Made before key 1 was retired: restores, checked against issuer.key.retired.
    proc = small.run("restore", backup, "--to", tmp_path / "r1", "--keys", keys)
    assert proc.returncode == 0, proc.stderr
    # Had the retirement come first, the same signature is refused: a retired key signs
    # nothing new (as a stolen retired key would be used to sign a made-up backup).
    retired = keys / "issuer.key.retired"
    fields = retired.read_text().split()
    assert fields[0] == "1", fields
    retired.write_text(f"{fields[0]} {fields[1]} 86400000\n")
    proc = small.run("restore", backup, "--to", tmp_path / "r2", "--keys", keys)
    assert proc.returncode != 0, proc.stdout
    assert "retired on 1970-01-02T00:00:00Z" in proc.stderr, proc.stderr
    assert "a retired key signs no backup" in proc.stderr
    no_leftovers(tmp_path / "r2")
