"""`meson install` puts on a server what running needs: the binary (pages and OpenAPI document
embedded, nothing else read from the source tree), its man page and the systemd unit of docs/operations.md,
whose ExecStart names the installed binary. The unit in the repository (dist/oorkonde.service.in)
is the one the documentation shows."""
import os
import pathlib
import re
import shutil
import subprocess
import urllib.request

import pytest

from helpers.base import ROOT, Oorkonde


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The build the tests run, installed under a scratch DESTDIR: (destdir, binary, unit)."""
    binary = pathlib.Path(os.environ.get("OORKONDE_BIN",
                                         ROOT / "build" / "src" / "cli" / "oorkonde")).resolve()
    build = binary.parent.parent.parent
    if not (build / "build.ninja").exists() or not shutil.which("meson"):
        pytest.skip(f"{binary} is not in a Meson build folder")
    dest = tmp_path_factory.mktemp("destdir")
    proc = subprocess.run(["meson", "install", "-C", str(build), "--destdir", str(dest),
                           "--no-rebuild", "--quiet"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = [p for p in dest.rglob("*") if p.is_file()]
    bins = [p for p in files if p.name == "oorkonde"]
    units = [p for p in files if p.name == "oorkonde.service"]
    assert len(bins) == 1 and len(units) == 1, files
    assert bins[0].parent.name == "bin" and units[0].parent.match("systemd/system"), files
    pages = [p for p in files if p.name == "oorkonde.1"]
    assert len(pages) == 1 and pages[0].parent.match("share/man/man1"), files
    # Nothing else: no test programs, no web/ folder (the pages are in the binary).
    assert len(files) == 3, files
    return dest, bins[0], units[0]


def test_the_unit_starts_the_installed_binary(installed):
    dest, binary, unit = installed
    text = unit.read_text()
    start = re.search(r"^ExecStart=(\S+) ", text, re.M).group(1)
    assert pathlib.Path(str(dest) + start) == binary
    assert re.search(r"^User=oorkonde$", text, re.M) and "ProtectSystem=strict" in text


def test_the_unit_is_the_documented_one(installed):
    ops = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    shown = re.search(r"```ini\n# /usr/local/lib/systemd/system/oorkonde.service[^\n]*\n"
                      r"(.*?)```", ops, re.S).group(1)
    source = (ROOT / "dist" / "oorkonde.service.in").read_text(encoding="utf-8")
    body = source.split("\n", 1)[1]  # after the file's own comment line
    assert body.replace("@bindir@", "/usr/local/bin") == shown


def test_the_installed_binary_serves_its_pages(installed, tmp_path):
    _, binary, _ = installed
    ok = Oorkonde(str(binary), tmp_path / "data")
    ok.run("init", check=True)
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen(ok.argv("serve", "--listen", "127.0.0.1:0"), stdout=subprocess.PIPE,
                            stderr=log, env=ok.env(), text=True, cwd=tmp_path)
    try:
        line = proc.stdout.readline()
        port = re.search(r"127\.0\.0\.1:(\d+)", line).group(1)
        for path, kind in (("/", "text/html"), ("/assets/style.css", "text/css"),
                           ("/openapi.yaml", "application/yaml")):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
                assert r.status == 200 and r.headers["Content-Type"].startswith(kind), path
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0
