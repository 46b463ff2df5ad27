"""A fresh clone passes on its own: nothing that builds, tests or benchmarks oorkonde reads a
path outside the repository (a sibling folder of the checkout), and tests/fixtures holds exactly the outside
files the tests read, each named in its README with source and licence. .ci/run checks the same
by running the whole suite in a clone with nothing beside it."""
import pathlib
import re
import subprocess

from helpers.base import ROOT

FIXTURES = ROOT / "tests" / "fixtures"
# Paths that leave the repository: the checkout's sibling folder of shared data, or this
# machine's work folders. The names are put together here so that this file does not hold the
# paths it looks for.
SIBLING, WORK = "sha" + "red", "wo" + "rk"
OUTSIDE_RE = re.compile(rf"\.\./{SIBLING}|/{WORK}/|'\.\.' / '{SIBLING}'|\"\.\.\" / \"{SIBLING}\"")


def tracked(*where):
    proc = subprocess.run(["git", "-C", str(ROOT), "ls-files", "--", *where],
                          capture_output=True, text=True)
    if proc.returncode == 0 and proc.stdout:
        return [ROOT / p for p in proc.stdout.splitlines()]
    # Not a git checkout (an unpacked archive): every file there.
    return [p for w in where for p in (ROOT / w).rglob("*") if p.is_file()]


def test_nothing_reads_outside_the_repository():
    # (.ci/run names the sibling folder only to make sure that its clone has none beside it.)
    files = tracked("tests", "bench", "scripts", "Makefile", "meson.build",
                    "meson_options.txt", "src")
    files = [f for f in files if f.is_file() and "node_modules" not in f.parts
             and f.suffix not in (".md", ".png", ".bin") and "corpus" not in f.parts
             and f.name != pathlib.Path(__file__).name]
    assert len(files) > 100, files
    offenders = []
    for f in files:
        try:
            text = f.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if OUTSIDE_RE.search(line):
                offenders.append(f"{f.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_the_unit_tests_read_fixtures_from_the_repository():
    build = (ROOT / "tests" / "unit" / "meson.build").read_text()
    assert "'OK_FIXTURES=' + meson.project_source_root() / 'tests' / 'fixtures'" in build


def test_every_fixture_is_used_and_named_in_the_readme():
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    sources = "".join(p.read_text(encoding="utf-8")
                      for p in (ROOT / "tests" / "unit").rglob("*.[ch]"))
    # The ELMO schema is read by xmllint in an end-to-end test, through its XML catalog.
    sources += "".join(p.read_text(encoding="utf-8")
                       for p in (ROOT / "tests" / "e2e").glob("*elmo*"))
    # Licence texts are kept beside the data they cover, not read.
    files = [p for p in FIXTURES.rglob("*")
             if p.is_file() and p.name not in ("README.md", "LICENCE.md", "LICENSE.txt",
                                               "EWP-LICENSE", "LICENSE")]
    assert files
    # A file a test suite's manifest lists is read through that manifest (rdf-canon).
    def read(p):  # the file's name ends a string of a unit test ("name" or ".../name")
        return re.search(r'["/]' + re.escape(p.name) + '"', sources) is not None

    manifests = "".join(p.read_text(encoding="utf-8") for p in files
                        if p.suffix == ".jsonld" and read(p))
    for p in files:
        folder = p.relative_to(FIXTURES).parts[0]
        assert f"`{folder}/`" in readme, f"{folder} is not described in tests/fixtures/README.md"
        assert read(p) or f"{p.parent.name}/{p.name}" in manifests, \
            f"no unit test reads {p.relative_to(ROOT)}"
    for folder in re.findall(r"^\| `([\w.-]+)/` \|", readme, re.M):
        assert (FIXTURES / folder).is_dir(), f"README names {folder}/, which is not there"
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{folder}/`"))
        # A repository's files name their commit; values printed in an RFC name the RFC.
        assert re.search(r"commit `[0-9a-f]{7,}`|RFC \d{4}", row) and "icen" in row, \
            f"{folder}: the README must name its commit (or RFC) and licence"
