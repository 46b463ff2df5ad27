"""The man page oorkonde(1) (build/oorkonde.1, written at build time by scripts/man.py from the
help texts the binary prints) has a section for every command of the binary's command table,
with that command's own help text, and renders without a warning."""
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from helpers.base import ROOT


@pytest.fixture(scope="module")
def man_page():
    binary = pathlib.Path(os.environ.get("OORKONDE_BIN",
                                         ROOT / "build" / "src" / "cli" / "oorkonde")).resolve()
    page = binary.parent.parent.parent / "oorkonde.1"
    if not (binary.parent.parent.parent / "build.ninja").exists():
        pytest.skip(f"{binary} is not in a Meson build folder")
    assert page.exists(), f"{page} was not built (meson.build: custom_target oorkonde.1)"
    return page.read_text(encoding="utf-8")


def commands(ok):
    """The binary's command table, as `oorkonde --help` lists it."""
    top = ok.run("--help", check=True).stdout
    part = top.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    return [m.group(1) for m in re.finditer(r"^  (\S+)", part, re.M)]


def plain(roff_text):
    return roff_text.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")


def test_every_command_is_in_the_man_page(ok, man_page):
    names = commands(ok)
    assert {"init", "import", "serve", "backup", "restore"} <= set(names)
    text = plain(man_page)
    for name in names:
        assert f'.SS "oorkonde {name}"' in text, f"oorkonde {name} has no section"
        usage = ok.run(name, "--help", check=True).stdout.splitlines()[0]
        assert usage in text, f"the man page does not show `oorkonde {name} --help`"


def test_the_man_page_renders_cleanly(man_page, tmp_path):
    if not shutil.which("groff"):
        pytest.skip("groff is not installed")
    page = tmp_path / "oorkonde.1"
    page.write_text(man_page, encoding="utf-8")
    proc = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(page)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    if shutil.which("man"):
        proc = subprocess.run(["man", "-l", str(page)], capture_output=True, text=True,
                              timeout=60, env=dict(os.environ, MANPAGER="cat", PAGER="cat"))
        assert proc.returncode == 0 and "oorkonde backup" in proc.stdout, proc.stderr
