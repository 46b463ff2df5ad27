"""init creates a private data folder and refuses to touch an existing one; every command answers
--help; unknown commands and options are usage errors (exit 2)."""
import os
import stat
import subprocess

import pytest

from helpers import store
from helpers.base import Oorkonde


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def snapshot(folder):
    """Name -> (bytes, mode, mtime) of every file in folder."""
    out = {}
    for name in sorted(os.listdir(folder)):
        p = os.path.join(folder, name)
        st = os.stat(p)
        with open(p, "rb") as f:
            out[name] = (f.read(), stat.S_IMODE(st.st_mode), st.st_mtime_ns)
    return out


def test_init_creates_private_folder(ok):
    proc = ok.run("init")
    assert proc.returncode == 0, proc.stderr
    assert ok.data.is_dir()
    assert mode(ok.data) == 0o700
    for key in ("data.key", "issuer.key"):
        assert (ok.data / key).is_file(), key
        assert mode(ok.data / key) == 0o600, key
        assert (ok.data / key).stat().st_size > 0, key
    # The SQLite file, unless the records are in PostgreSQL (OORKONDE_TEST_STORE=pg).
    assert ok.db_path.is_file() == (store.store_of(ok.data) is None)
    # Nothing in the folder is readable by others, whatever the caller's umask.
    for name in os.listdir(ok.data):
        assert mode(ok.data / name) & 0o077 == 0, name


def test_init_under_permissive_umask_is_still_private(binary, tmp_path):
    ok = Oorkonde(binary, tmp_path / "data")
    old = os.umask(0)
    try:
        proc = ok.run("init")
    finally:
        os.umask(old)
    assert proc.returncode == 0, proc.stderr
    assert mode(ok.data) == 0o700
    assert mode(ok.data / "data.key") == 0o600
    assert mode(ok.data / "issuer.key") == 0o600


def test_data_folder_from_environment(binary, tmp_path):
    ok = Oorkonde(binary, tmp_path / "unused")
    target = tmp_path / "from-env"
    proc = subprocess.run([binary, "init"], capture_output=True, text=True,
                          env=ok.env({"OORKONDE_DATA": str(target)}), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (target / "data.key").is_file()
    assert not (tmp_path / "oorkonde-data").exists()


def test_second_init_refuses_and_leaves_folder_untouched(ok):
    ok.run("init", check=True)
    ok.add_institution()
    before = snapshot(ok.data)
    proc = ok.run("init")
    assert proc.returncode != 0
    assert "exist" in proc.stderr.lower() or "refus" in proc.stderr.lower(), proc.stderr
    assert str(ok.data) in proc.stderr
    assert snapshot(ok.data) == before
    # The data it held is still usable: the institution is still there.
    again = ok.run("institution", "add", "--code", "21XX", "--name", "X", "--country", "NL")
    assert again.returncode != 0 and "already exists" in again.stderr


def test_init_refuses_a_foreign_non_empty_folder(ok):
    ok.data.mkdir()
    (ok.data / "thesis.txt").write_text("do not lose me")
    proc = ok.run("init")
    assert proc.returncode != 0
    assert proc.stderr.strip()
    assert sorted(os.listdir(ok.data)) == ["thesis.txt"]
    assert (ok.data / "thesis.txt").read_text() == "do not lose me"


HELP = [
    ("--help",),
    ("init", "--help"),
    ("demo", "--help"),
    ("institution", "add", "--help"),
    ("institution", "--help"),
    ("import", "--help"),
    ("achievements", "--help"),
]


@pytest.mark.parametrize("args", HELP, ids=" ".join)
def test_help(ok, args):
    proc = ok.run(*args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage:"), proc.stdout
    assert proc.stderr == ""
    # Help touches no data folder.
    assert not ok.data.exists()


@pytest.mark.parametrize("args", [
    ("frobnicate",),
    ("institution",),
    ("institution", "frobnicate"),
    ("init", "--frobnicate"),
    ("demo", "--frobnicate"),
    ("demo", "--learners", "0"),
    ("demo", "--learners", "lots"),
    ("institution", "add", "--frobnicate"),
    ("institution", "add", "--code", "21XX"),
    ("import", "x.csv", "--institution", "21XX", "--frobnicate"),
    ("import", "--institution", "21XX"),
    ("import", "x.csv"),
    ("achievements", "--frobnicate"),
    ("achievements",),
    ("achievements", "--national-id", "123456782", "--learner-id", "abc"),
], ids=" ".join)
def test_usage_errors_exit_2(ok, args):
    proc = ok.run(*args)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr.strip(), "a usage error must say what is wrong"
    assert not ok.data.exists()


def test_no_command_is_a_usage_error(binary):
    proc = subprocess.run([binary], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Usage" in proc.stderr


def test_commands_on_missing_folder_fail_clearly(ok):
    proc = ok.achievements("123456782")
    assert proc.returncode == 2
    assert str(ok.data) in proc.stderr or "init" in proc.stderr, proc.stderr
    assert not ok.data.exists(), "a read must not create the data folder"
