"""The end-to-end tests' fixtures: the real oorkonde binary, a fresh data folder per test, the
shared demo depository and extra servers (test_http.py and most HTTP tests), two depositories
for foreign imports (world, served), a folder and servers for hostile clients (folder, serve) and
a verifier facing hostile hosts (verifier). The plain helpers they use are in helpers/.
With OORKONDE_TEST_STORE=pg every depository the tests make is in a database of its own on one
PostgreSQL cluster per run (helpers/store.py), dropped when the test or module that made it ends."""
import json
import os
import re
import shutil

import pytest

from helpers.base import INSTITUTION, ROOT, Oorkonde, csv_text, make_row, write_csv
from helpers.foreign import NAME, NID, OTHER_NID, api_key_from, free_port, learner_id, register
from helpers.hostile import ANNA, configure
from helpers.net import Listener, SilentHost, closed_port
from helpers.server import HOST, Demo, Server, parse_keys
from helpers import store
from pg import pg_cluster  # noqa: F401  (the fixture)

# The importer commits a batch every 100,000 rows (docs/formats.md); the tests that count
# committed rows or batches (kills, backups, audit events) were written for batches of 10,000 and
# keep them through a test switch, so that their files stay small. test_import.py checks the
# default batch, test_kill_import.py a batch written into its transaction in several parts.
os.environ.setdefault("OORKONDE_TEST_IMPORT_BATCH_ROWS", "10000")


# The store switch (helpers/store.py): on PostgreSQL runs, the cluster for the whole session, and
# the databases a session, module or test made dropped at its end (after its servers stopped:
# these fixtures are set up first, so torn down last).

@pytest.fixture(scope="session", autouse=True)
def test_store(request):
    if store.ON_PG:
        cluster = request.getfixturevalue("pg_cluster")
        os.environ["OORKONDE_TEST_PG"] = cluster.conninfo
    mark = len(store.made)
    yield store.ON_PG
    if store.ON_PG:
        store.drop_since(mark)


# The tests about SQLite itself, skipped on PostgreSQL runs: a file or test name, and why. Kept
# here, in one place, so that the list of what does not run on both stores stays short and seen.
SQLITE_ONLY = {
    "test_backup.py": "`oorkonde backup` copies SQLite's database file; PostgreSQL is backed up "
                      "with pg_dump or base backups (docs/operations.md)",
    "test_http.py::test_healthz_503_when_store_unreadable": "overwrites SQLite's database files",
    "test_reliability_crash.py::test_kill_serve_during_revocations_and_imports":
        "copies a data folder as the template of each run, which on PostgreSQL would share one "
        "database between the runs",
    "test_reliability_disk.py": "fills or remounts read-only the disk of the data folder, which "
                                "on PostgreSQL does not hold the records",
}

# The tests of the PostgreSQL store itself make their own databases (or, for `store migrate`,
# start from SQLite): they run once, in the SQLite pass, and are not repeated on PostgreSQL runs.
PG_OWN = ("test_pg_cluster.py", "test_pg_store.py", "test_pg_replica.py", "test_pg_scale.py",
          "test_pg_attack.py", "test_store_migrate.py", "test_pg_hung.py")

# The PostgreSQL bulk-import tests import tens of thousands of rows to reach the points they test
# (a killed batch, a dump in the middle of a run), too slow under the sanitizers, which is how the
# SQLite pass runs in `make check`. They run in the PostgreSQL pass (plain build) instead, on
# databases of their own on its cluster; the store code they drive runs under the sanitizers in
# the unit tests on both stores.
PG_PASS_OWN = ("test_pg_import.py", "test_backup_pg.py")


# The files that do the same whatever the store holds: they read the repository, the binary's
# help, an installed copy, or test switches the binary reads before it opens a store. They run
# once, in the SQLite pass (under the sanitizers in `make check`), and are skipped on PostgreSQL.
# A file that checks anything a store answers does not belong here.
STORE_FREE = {
    "test_cli_basics.py": "--version and an unknown command",
    "test_man.py": "the man page against the binary's command table",
    "test_fresh_clone.py": "the repository's files (git ls-files)",
    "test_install.py": "what `meson install` puts in place",
    "test_hooks.py": "the test switches a plain build ignores, read before any store is opened "
                     "or, for the lock wait, by both stores alike (shown on SQLite's lock)",
}

# The files that take longest (the `slowest files` summary at the end of a run), first: with
# --dist loadfile a file stays on one worker, and a long one started last runs on alone while
# the other worker has nothing left. The rest keep their order.
SLOW_FIRST = (
    # The PostgreSQL pass of 2026-12-06 13:22-13:59 (per-file time, slowest first).
    "test_reliability_crash.py", "test_foreign.py", "test_kill_import.py", "test_credentials.py",
    "test_audit.py", "test_import.py", "test_keys.py", "test_network.py", "test_oidc.py",
    "test_pg_import.py", "test_elmo_import.py", "test_retention.py", "test_leak.py",
    "test_attack_http.py", "test_attack_import.py", "test_employer_view.py",
    "test_presentations.py", "test_retention_serving.py", "test_elmo.py", "test_portal.py",
    # Only in the SQLite pass, with its slowest tests in the run of 11:31-12:08.
    "test_pg_hung.py", "test_store_migrate.py", "test_pg_attack.py", "test_pg_scale.py",
    "test_share_group_commit.py", "test_backup.py")


def _file_of(item):
    return item.nodeid.split("::")[0].split("/")[-1]


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(_file_of(item), len(rank)))  # stable: order kept
    for item in items:
        name = item.nodeid.split("/")[-1]
        if not store.ON_PG:
            if name.split("::")[0] in PG_PASS_OWN:
                item.add_marker(pytest.mark.skip(reason="runs in the PostgreSQL pass (too slow "
                                                        "under the sanitizers)"))
            continue
        for key, why in SQLITE_ONLY.items():
            if name == key or name.startswith((key + "::", key + "[")):
                item.add_marker(pytest.mark.skip(reason=f"SQLite only: {why}"))
        if name.split("::")[0] in PG_OWN:
            item.add_marker(pytest.mark.skip(reason="runs in the SQLite pass: it makes its own "
                                                    "PostgreSQL databases"))
        if name.split("::")[0] in STORE_FREE:
            item.add_marker(pytest.mark.skip(reason="runs in the SQLite pass: the same on every "
                                                    "store (" + STORE_FREE[_file_of(item)] + ")"))


# Per-file wall time (setup, call and teardown of its tests, on whichever worker ran it), the
# slowest first: what SLOW_FIRST is ordered by, and where the time of a run goes.
def pytest_terminal_summary(terminalreporter):
    totals = {}
    for reports in terminalreporter.stats.values():
        for rep in reports:
            if getattr(rep, "when", None) and hasattr(rep, "duration"):
                f = rep.nodeid.split("::")[0].split("/")[-1]
                totals[f] = totals.get(f, 0.0) + rep.duration
    if not totals:
        return
    terminalreporter.write_sep("=", "slowest files")
    for f, t in sorted(totals.items(), key=lambda kv: -kv[1])[:20]:
        terminalreporter.write_line(f"{t:8.2f}s {f}")


@pytest.fixture(scope="module", autouse=True)
def _module_databases(test_store):
    mark = len(store.made)
    yield
    if test_store:
        store.drop_since(mark)


@pytest.fixture(autouse=True)
def _test_databases(test_store):
    mark = len(store.made)
    yield
    if test_store:
        store.drop_since(mark)


@pytest.fixture(scope="session")
def binary(tmp_path_factory):
    path = os.environ.get("OORKONDE_BIN", str(ROOT / "build" / "src" / "cli" / "oorkonde"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"oorkonde binary not found at {path}; run `make build` or set OORKONDE_BIN")
    # Run a private copy, so that a rebuild in the shared tree during the run (the linker
    # rewriting the file) cannot make single tests fail to start the binary.
    copy = tmp_path_factory.mktemp("bin") / "oorkonde"
    shutil.copy2(path, copy)
    return str(copy)


@pytest.fixture
def ok(binary, tmp_path):
    return Oorkonde(binary, tmp_path / "data")


@pytest.fixture(scope="session")
def inst_template(binary, tmp_path_factory):
    """inst's data folder, made once per session (per pytest-xdist worker) and copied for each
    test: init and an institution, two processes and some twenty synced writes each time."""
    ok = Oorkonde(binary, tmp_path_factory.mktemp("inst") / "data")
    mark = len(store.made)
    ok.init()
    ok.add_institution()
    # Made during the first test that asks: kept from that test's end, dropped at the session's.
    databases = store.keep_since(mark)
    yield ok.data
    if store.ON_PG:
        store.drop(databases)


@pytest.fixture
def inst(ok, inst_template):
    """A data folder with one institution (INSTITUTION) ready to import into: a copy of
    inst_template's."""
    store.copy_folder(inst_template, ok.data)
    return ok


# The shared demo depository and extra servers (helpers/server.py).

@pytest.fixture(scope="module")
def demo(binary, tmp_path_factory):
    """The module's demo depository (init --host, demo --learners 30, a vc-issue key) and its
    server (rate limit off)."""
    base = tmp_path_factory.mktemp("http-demo")
    ok = Oorkonde(binary, base / "data")
    ok.run("init", "--host", HOST, check=True)
    keys = parse_keys(ok.run("demo", "--learners", 30, check=True).stdout)
    assert set(keys) == {"21PB", "25BE", "25LJ"}, keys
    out = ok.run("apikey", "add", "--permit", "vc-issue", check=True).stdout
    vc_key = re.search(r"API key .*\(shown once[^)]*\): (ok_\S+)", out).group(1)
    srv = Server(ok, "--rate-limit", 0, name="demo").start()
    try:
        yield Demo(ok, keys, vc_key, srv)
    finally:
        srv.stop()


@pytest.fixture
def server_on(binary, tmp_path):
    """Starts extra servers (any options, any data folder); stops and checks them at teardown."""
    started = []

    def start(ok, *args, **kw):
        s = Server(ok, *args, **kw).start()
        started.append(s)
        return s

    yield start
    errors = []
    for s in started:
        try:
            s.stop()
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n".join(errors)


# Another depository's credentials, received here (helpers/foreign.py).

@pytest.fixture(scope="session")
def world_template(binary, tmp_path_factory):
    """abroad and here of the world fixture, made once per session (per pytest-xdist worker)
    and copied for each test: what init, the imports and the trust take, some ten processes
    (seconds under the sanitizers), is paid once. Nothing in them depends on abroad's port,
    which each copy sets (credentials and status lists take it from config.json when they are
    issued or served)."""
    base = tmp_path_factory.mktemp("world")
    mark = len(store.made)
    abroad = Oorkonde(binary, base / "abroad")
    abroad.init()
    config = abroad.data / "config.json"
    settings = json.loads(config.read_text())
    settings.update(name="Opetushallitus test")
    config.write_text(json.dumps(settings))
    abroad.add_institution(code="01901", name="Helsingin yliopisto", country="FI")
    register(abroad, base, [
        make_row(record_id="D-1", national_id=NID, given_names=NAME[0], family_name=NAME[1],
                 kind="degree", title="Master of Science (Physics)", eqf_level="7",
                 credits="120", grade="", grading_scheme="", awarded_on="2023-06-01"),
        make_row(record_id="C-1", national_id=NID, given_names=NAME[0], family_name=NAME[1],
                 title="Quantum optics", credits="5", grade="4", grading_scheme="FI 0-5"),
        make_row(record_id="C-2", national_id=NID, given_names=NAME[0], family_name=NAME[1],
                 title="Thermodynamics", credits="5", grade="3", grading_scheme="FI 0-5"),
    ], "abroad", institution="01901")
    here = Oorkonde(binary, base / "here")
    here.init()
    here.add_institution()
    register(here, base, [
        make_row(record_id="H-1", national_id=NID, given_names=NAME[0], family_name=NAME[1]),
        make_row(record_id="H-2", national_id=OTHER_NID, title="Statics"),
    ], "here")
    abroad_did = abroad.run("identity", check=True).stdout.splitlines()[0]
    here.run("trust", "add", abroad_did, "--name", "Opetushallitus", "--country", "FI",
             check=True)
    records = {r["title"]: r["id"] for r in abroad.achievements_json(NID)}
    t = {"abroad": abroad.data, "here": here.data, "did": abroad_did, "records": records,
         "learner": learner_id(here, NID), "other": learner_id(here, OTHER_NID)}
    # Made during the first test that asks: kept from that test's end, dropped at the session's.
    databases = store.keep_since(mark)
    yield t
    if store.ON_PG:
        store.drop(databases)


@pytest.fixture
def world(binary, tmp_path, world_template):
    """abroad (did:key, serving its status lists) with one learner's diploma and course; here,
    with the same learner and another one, trusting abroad. Copies of world_template's, abroad
    on a port of its own."""
    t = world_template
    abroad = Oorkonde(binary, tmp_path / "abroad")
    store.copy_folder(t["abroad"], abroad.data)
    port = free_port()
    config = abroad.data / "config.json"
    settings = json.loads(config.read_text())
    settings.update(base_url=f"http://127.0.0.1:{port}")
    config.write_text(json.dumps(settings))
    srv = Server(abroad, "--listen", f"127.0.0.1:{port}", "--rate-limit", "0",
                 name="abroad").start()
    here = Oorkonde(binary, tmp_path / "here")
    store.copy_folder(t["here"], here.data)
    w = {"abroad": abroad, "here": here, "srv": srv, "did": t["did"], "dir": tmp_path,
         "records": dict(t["records"]), "learner": t["learner"], "other": t["other"]}
    yield w
    srv.stop()


@pytest.fixture
def served(world):
    """The world, with here's server on and a register and a read key of here's institution."""
    # abroad is a did:key: the server fetches its lists only from a host the operator lists.
    config = world["here"].data / "config.json"
    settings = json.loads(config.read_text())
    settings["did_web_http_hosts"] = [f"127.0.0.1:{world['srv'].port}"]
    config.write_text(json.dumps(settings))
    key = api_key_from(world["here"].run("apikey", "add", "--institution", INSTITUTION,
                                         "--permit", "register", check=True).stdout)
    read_key = api_key_from(world["here"].run("apikey", "add", "--institution", INSTITUTION,
                                              "--permit", "read", check=True).stdout)
    srv = Server(world["here"], "--rate-limit", "0", name="here").start()
    world.update(http=srv, key=key, read_key=read_key)
    yield world
    srv.stop()


# Hostile HTTP clients (helpers/hostile.py).

@pytest.fixture(scope="module")
def folder(binary, tmp_path_factory):
    """A data folder with one institution, Anna's results and a registrar key."""
    root = tmp_path_factory.mktemp("hostile")
    ok = Oorkonde(binary, root / "data")
    ok.run("init", "--host", "localhost:8080", check=True)
    key = ok.add_institution()
    csv = root / "r.csv"
    csv.write_text(csv_text([make_row(record_id="H-1", title="Mechanics", **ANNA),
                             make_row(record_id="H-2", title="Optics", **ANNA)]))
    ok.run("import", csv, "--institution", "21XX", check=True)
    doc = json.loads(ok.run("achievements", "--national-id", ANNA["national_id"], "--json",
                            check=True).stdout)
    return ok, key, doc[0]["learner_id"], [a["id"] for a in doc]


@pytest.fixture
def serve(folder):
    """Starts servers on the module's folder with config.json's "http" set as given; stops
    them (exit 0, no sanitizer report) at the end."""
    ok = folder[0]
    started = []

    def start(*args, **http):
        configure(ok, **http)
        srv = Server(ok, *args, name="hostile").start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()
    configure(ok)


# What the public verifier may be made to fetch (helpers/net.py).

@pytest.fixture(scope="module")
def verifier(binary, tmp_path_factory):
    """The module's verifier depository and its server, the hosts it may fetch from (a listener
    that records requests, a silent host, a refused port) and a stranger that signs."""
    base = tmp_path_factory.mktemp("hostile-net")
    listener, silent = Listener(), SilentHost()
    refused = f"127.0.0.1:{closed_port()}"
    ok = Oorkonde(binary, base / "verifier")
    ok.init()
    ok.add_institution()
    # One registration, so that the depository has a status list of its own.
    proc = ok.import_csv(write_csv(base / "one.csv", [make_row()]), "--strict")
    assert proc.returncode == 0, proc.stderr
    config = ok.data / "config.json"
    cfg = json.loads(config.read_text())
    cfg["did_web_http_hosts"] = [listener.host, silent.host, refused]
    config.write_text(json.dumps(cfg))
    # A stranger with a key of its own (did:key), to sign what the tests need.
    stranger = Oorkonde(binary, base / "stranger")
    stranger.init()
    stranger_did = stranger.run("identity", check=True).stdout.splitlines()[0]
    srv = Server(ok, "--threads", "2", "--rate-limit", "0", name="hostile-net").start()
    w = {"ok": ok, "srv": srv, "listener": listener, "silent": silent, "refused": refused,
         "stranger": stranger, "stranger_did": stranger_did, "dir": base}
    try:
        yield w
    finally:
        srv.stop()
        listener.close()
        silent.close()
