"""The PostgreSQL store end to end (issue 16): a depository made with `init --store` on the test
cluster (tests/e2e/pg.py) imports, issues, verifies, revokes and keeps its audit chain there;
two servers on one database serve the same data (a share made through one opens through the
other, its revocation is seen by the other at once); imports through both at once leave one
gap-free audit chain; a schema newer than the program knows is refused."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import threading

import pytest

from conftest import Oorkonde, csv_text, make_row, write_csv
from pg import pg_cluster  # noqa: F401  (the fixture)
from test_http import Server, problem, row, unique

HOST = "localhost:8080"
BASE = f"http://{HOST}"
ANNA = {"national_id": "111222333", "given_names": "Zwaantje", "family_name": "Oosterhuisplein"}

_dbs = iter(range(1, 1_000_000))


@pytest.fixture
def pg_db(pg_cluster):  # noqa: F811
    """A new, empty database on the test cluster; its connection string."""
    name = f"ok_e2e_{next(_dbs)}"
    pg_cluster.psql(f"CREATE DATABASE {name}")
    yield re.sub(r"dbname=\S+", f"dbname={name}", pg_cluster.conninfo)
    pg_cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", check=False)


def pg_folder(binary, path, url, *init_args):
    ok = Oorkonde(binary, path)
    proc = ok.run("init", "--store", url, *init_args, check=True)
    # The connection string is kept in config.json, and never printed (it may hold a password).
    assert url not in proc.stdout + proc.stderr
    assert "PostgreSQL" in proc.stdout
    assert json.loads((pathlib.Path(path) / "config.json").read_text())["store"] == url
    assert not (pathlib.Path(path) / "oorkonde.db").exists()
    return ok


def audit_intact(ok):
    proc = ok.run("audit", "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    m = re.search(r"(\d+) events", proc.stdout)
    assert m, proc.stdout
    return int(m.group(1))


def test_init_import_issue_verify_revoke_and_audit(binary, tmp_path, pg_db, pg_cluster):  # noqa: F811
    ok = pg_folder(binary, tmp_path / "data", pg_db)
    ok.add_institution()
    rows = [make_row(record_id="R-1", title="Mechanics", **ANNA),
            make_row(record_id="R-2", title="Optics", credits="7.5", **ANNA)]
    proc = ok.import_csv(write_csv(tmp_path / "rows.csv", rows), "--strict")
    assert proc.returncode == 0, proc.stderr
    # Importing the same file again changes nothing (idempotent, as on SQLite).
    again = ok.import_csv(write_csv(tmp_path / "rows.csv", rows), "--strict")
    assert again.returncode == 0, again.stderr
    records = ok.achievements_json(ANNA["national_id"])
    assert sorted(r["record_id"] for r in records) == ["R-1", "R-2"]
    # The records are in PostgreSQL, personal fields sealed.
    conn = pg_db
    assert pg_psql(pg_cluster, conn, "SELECT count(*) FROM achievement") == "2"
    assert pg_psql(pg_cluster, conn,
                   "SELECT count(*) FROM learner WHERE position('Zwaantje' in "
                   "encode(given_names, 'escape')) > 0") == "0"

    rec = next(r for r in records if r["record_id"] == "R-1")
    vc = tmp_path / "r1.json"
    ok.run("issue", rec["id"], "-o", vc, check=True)
    proc = ok.run("verify", vc)
    assert proc.returncode == 0 and "VALID" in proc.stdout, proc.stdout + proc.stderr
    ok.run("revoke", rec["id"], "--reason", "issued in error", check=True)
    [after] = [r for r in ok.achievements_json(ANNA["national_id"]) if r["id"] == rec["id"]]
    assert after["status"] == "revoked"
    proc = ok.run("verify", vc, "--json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "status" not in json.loads(proc.stdout)["checks"]
    events = audit_intact(ok)
    assert events >= 4
    assert int(pg_psql(pg_cluster, conn, "SELECT count(*) FROM audit_event")) == events


def pg_psql(cluster, conninfo, sql):
    """psql against conninfo (another database than the cluster's default)."""
    proc = subprocess.run([os.path.join(cluster.bindir, "psql"), "-X", "-q", "-A", "-t",
                           "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_init_refuses_a_database_that_holds_a_depository(binary, tmp_path, pg_db):
    pg_folder(binary, tmp_path / "one", pg_db).add_institution()
    two = Oorkonde(binary, tmp_path / "two")
    proc = two.run("init", "--store", pg_db)
    assert proc.returncode != 0
    assert "already holds a depository" in proc.stderr
    assert pg_db not in proc.stderr
    assert not (tmp_path / "two").exists()


def test_a_newer_schema_is_refused(binary, tmp_path, pg_db, pg_cluster):  # noqa: F811
    ok = pg_folder(binary, tmp_path / "data", pg_db)
    ok.add_institution()
    pg_psql(pg_cluster, pg_db, "UPDATE oorkonde_schema SET version = 999")
    proc = ok.run("achievements", "--national-id", ANNA["national_id"])
    assert proc.returncode != 0
    assert "schema version 999" in proc.stderr, proc.stderr
    assert pg_db not in proc.stderr


class Two:
    """One depository on one database, served by two servers (two data folders with the same
    keys and configuration, as two machines would have)."""

    def __init__(self, binary, tmp_path, url):
        self.ok = pg_folder(binary, tmp_path / "a", url, "--host", HOST)
        self.keys = {code: self.ok.add_institution(code=code, name=f"School {code}")
                     for code in ("21XX", "10AA")}
        csv = tmp_path / "anna.csv"
        csv.write_text(csv_text([make_row(record_id="A-1", title="Mechanics", **ANNA),
                                 make_row(record_id="A-2", title="Optics", **ANNA)]))
        self.ok.run("import", csv, "--institution", "21XX", check=True)
        shutil.copytree(tmp_path / "a", tmp_path / "b")
        self.other = Oorkonde(binary, tmp_path / "b")
        self.a = Server(self.ok, "--rate-limit", 0, name="pg-a").start()
        self.b = Server(self.other, "--rate-limit", 0, name="pg-b").start()

    def stop(self):
        errors = []
        for s in (self.a, self.b):
            try:
                s.stop()
            except AssertionError as e:
                errors.append(str(e))
        assert not errors, "\n".join(errors)


@pytest.fixture
def two(binary, tmp_path, pg_db):
    t = Two(binary, tmp_path, pg_db)
    try:
        yield t
    finally:
        t.stop()


def login(ok, srv, learner_id):
    url = ok.run("learner", "login-link", learner_id, check=True).stdout.strip()
    path = url[len(BASE):]
    r = srv.post(path, "", ctype="application/x-www-form-urlencoded")
    assert r.status == 303, r
    cookie = re.search(r"oorkonde_session=([A-Za-z0-9_-]{43})", r.headers["set-cookie"]).group(1)
    headers = {"Cookie": f"oorkonde_session={cookie}"}
    me = srv.get("/v1/me", headers=headers)
    assert me.status == 200, me
    headers["X-CSRF-Token"] = me.json()["csrf"]
    return headers


def test_two_servers_share_one_database(two):
    records = two.ok.achievements_json(ANNA["national_id"])
    learner = records[0]["learner_id"]
    ids = sorted(r["id"] for r in records)
    # A session made through one server is known to the other.
    headers = login(two.ok, two.a, learner)
    assert two.b.get("/v1/me", headers={"Cookie": headers["Cookie"]}).status == 200
    r = two.a.post("/v1/me/shares", json.dumps({"achievements": ids, "recipient": "Werkgever"}),
                   ctype="application/json", headers=headers)
    assert r.status == 201, r
    share = r.json()
    path = share["url"][len(BASE):]
    # Made through a, opened through b.
    r = two.b.get(path + ".json")
    assert r.status == 200, r
    doc = r.json()
    assert doc["state"] == "valid" and sorted(a["id"] for a in doc["achievements"]) == ids
    assert all(a["verification"]["verified"] for a in doc["achievements"])
    # Revoked through b: a sees it at once.
    r = two.b.post(f"/v1/me/shares/{share['id']}/revoke", "", ctype="application/json",
                   headers=headers)
    assert r.status == 200, r
    problem(two.a.get(path + ".json"), 410, "gone")
    # An achievement revoked through the CLI on the shared database: both servers' status
    # lists and verification see it.
    two.ok.run("revoke", ids[0], "--reason", "issued in error", check=True)
    for srv in (two.a, two.b):
        r = srv.get(f"/v1/achievements?national_id={ANNA['national_id']}",
                    key=two.keys["21XX"])
        assert r.status == 200, r
        [got] = [a for a in r.json()["achievements"] if a["id"] == ids[0]]
        assert got["status"] == "revoked"
    assert audit_intact(two.ok) > 0


def test_concurrent_imports_through_both_servers_make_one_chain(two):
    errors = []

    def register(srv, key, prefix, n):
        try:
            for i in range(n):
                rows = [row(f"{prefix}-{i}-{j}", unique("NID")) for j in range(5)]
                r = srv.post("/v1/results", rows, key=key)
                if r.status != 200 or r.json()["added"] != 5:
                    errors.append(f"{prefix} {i}: {r}")
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(repr(e))

    threads = [threading.Thread(target=register, args=(two.a, two.keys["21XX"], "PA", 8)),
               threading.Thread(target=register, args=(two.b, two.keys["10AA"], "PB", 8)),
               threading.Thread(target=register, args=(two.b, two.keys["21XX"], "PC", 8))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    events = audit_intact(two.ok)
    assert events >= 3 * 8
    # The same chain read through the other folder.
    assert audit_intact(two.other) == events


def test_a_login_link_used_through_both_servers_at_once_works_once(two):
    learner = two.ok.achievements_json(ANNA["national_id"])[0]["learner_id"]
    url = two.ok.run("learner", "login-link", learner, check=True).stdout.strip()
    path = url[len(BASE):]
    ready = threading.Barrier(2)
    answers = []

    def use(srv):
        ready.wait()
        answers.append(srv.post(path, "", ctype="application/x-www-form-urlencoded").status)

    threads = [threading.Thread(target=use, args=(srv,)) for srv in (two.a, two.b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # One sign-in; the other is told the link was used (410), whichever server came second.
    assert sorted(answers) == [303, 410], answers
    assert audit_intact(two.ok) > 0


def test_leak_detection_counts_reads_through_both_servers(two, tmp_path):
    bram = {"national_id": "444555663", "given_names": "Bram", "family_name": "Jansen"}
    csv = tmp_path / "bram.csv"
    csv.write_text(csv_text([make_row(record_id="B-1", title="Statics", **bram)]))
    two.ok.run("import", csv, "--institution", "21XX", check=True)
    two.ok.run("institution", "set-read-limit", "21XX", "1", check=True)
    key = two.keys["21XX"]
    # One learner read through a; a second through b is past the limit of the key's one count.
    r = two.a.get(f"/v1/achievements?national_id={ANNA['national_id']}", key=key)
    assert r.status == 200, r
    problem(two.b.get(f"/v1/achievements?national_id={bram['national_id']}", key=key), 429,
            "read-limit")
    # Blocked for both servers.
    for srv in (two.a, two.b):
        problem(srv.get(f"/v1/achievements?national_id={ANNA['national_id']}", key=key), 403,
                "key-blocked")
    listed = two.ok.run("apikey", "list", check=True).stdout
    assert "blocked" in listed, listed
    assert audit_intact(two.ok) > 0
