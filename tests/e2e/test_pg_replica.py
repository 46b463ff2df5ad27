"""PostgreSQL operations (issue 16, docs/operations.md "Running on PostgreSQL"): a server on a
streaming replica serves verification, status lists and other reads, and answers 503
/problems/read-only-replica for whatever must write, a share opening (an audited read) included;
failover with a multi-host connection string (the primary stopped, the replica promoted, the
server's next write lands on the new primary); a server through pgbouncer in session mode."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import Oorkonde, csv_text, make_row
from pg import (pg_cluster, pg_replica, promote, require_server, start_cluster,  # noqa: F401
                start_replica, stop_cluster)
from helpers.server import Server, problem, row, unique
from test_pg_store import ANNA, BASE, HOST, audit_intact, login, pg_folder, pg_psql

_dbs = iter(range(1, 1_000_000))


def with_db(conninfo, name):
    return re.sub(r"dbname=\S+", f"dbname={name}", conninfo)


def caught_up(primary, replica, timeout=30):
    """Waits until the replica has replayed everything the primary has written so far."""
    # The insert position: with synchronous_commit off (the test cluster) the write position may
    # still be before the last commit record.
    lsn = primary.psql("SELECT pg_current_wal_insert_lsn()").strip()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = replica.psql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn").strip()
        if done == "t":
            return
        time.sleep(0.1)
    raise AssertionError(f"the replica did not replay up to {lsn} in {timeout} s")


def folder_on(ok, binary, path, url):
    """A copy of ok's data folder (the same keys) whose store is url, as another machine's."""
    shutil.copytree(ok.data, path)
    config = pathlib.Path(path) / "config.json"
    doc = json.loads(config.read_text())
    doc["store"] = url
    config.write_text(json.dumps(doc))
    os.chmod(config, 0o600)
    return Oorkonde(binary, path)


def no_personal_data(r):
    body = r.body.decode(errors="replace")
    for value in ANNA.values():
        assert value not in body, body


@pytest.fixture
def replica_db(pg_cluster, pg_replica):  # noqa: F811
    """A new database on the primary; its connection strings on the primary and the replica."""
    name = f"ok_replica_{next(_dbs)}"
    pg_cluster.psql(f"CREATE DATABASE {name}")
    yield with_db(pg_cluster.conninfo, name), with_db(pg_replica.conninfo, name)
    pg_cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", check=False)


def test_a_server_on_a_replica_serves_reads_and_refuses_writes(binary, tmp_path, replica_db,
                                                             pg_cluster, pg_replica):  # noqa: F811
    primary_url, replica_url = replica_db
    ok = pg_folder(binary, tmp_path / "a", primary_url, "--host", HOST)
    key = ok.add_institution()
    csv = tmp_path / "anna.csv"
    csv.write_text(csv_text([make_row(record_id="A-1", title="Mechanics", **ANNA),
                             make_row(record_id="A-2", title="Optics", **ANNA)]))
    ok.run("import", csv, "--institution", "21XX", check=True)
    records = ok.achievements_json(ANNA["national_id"])
    ids = sorted(r["id"] for r in records)
    vc = json.loads(ok.run("issue", ids[0], check=True).stdout)
    status_url = vc["credentialStatus"][0]["statusListCredential"]
    status_path = status_url[len(BASE):]
    a = Server(ok, "--rate-limit", 0, name="primary").start()
    rb = None
    try:
        headers = login(ok, a, records[0]["learner_id"])
        r = a.post("/v1/me/shares", json.dumps({"achievements": ids, "recipient": "Werkgever"}),
                   ctype="application/json", headers=headers)
        assert r.status == 201, r
        share_path = r.json()["url"][len(BASE):]
        caught_up(pg_cluster, pg_replica)

        on_replica = folder_on(ok, binary, tmp_path / "b", replica_url)
        rb = Server(on_replica, "--rate-limit", 0, name="replica").start()
        assert rb.get("/healthz").status == 200
        # Verification and status lists work on the replica.
        r = rb.post("/credentials/verify", json.dumps({"verifiableCredential": vc}),
                    ctype="application/json")
        assert r.status == 200 and r.json()["verified"], r
        r = rb.get(status_path)
        assert r.status == 200, r
        for path in ("/.well-known/did.json", "/verify", "/openapi.yaml"):
            assert rb.get(path).status == 200, path
        # A share's state (HEAD) is no opening: it is answered.
        assert rb.request("HEAD", share_path).status == 200
        # A registrar's read of personal data is counted (leak detection) and audited: refused,
        # as a share opening is.
        r = rb.get(f"/v1/achievements/{ids[0]}", key=key)
        problem(r, 503, "read-only-replica")
        no_personal_data(r)

        # A share opening is an audited read of personal data: refused, nothing shown.
        before = pg_psql(pg_cluster, primary_url, "SELECT count(*) FROM audit_event")
        r = rb.get(share_path + ".json")
        doc = problem(r, 503, "read-only-replica")
        assert "replica" in doc["detail"] and "primary" in doc["detail"], doc
        assert int(r.headers["retry-after"]) > 0
        no_personal_data(r)
        r = rb.get(share_path, headers={"Accept": "text/html"})
        assert r.status == 503, r
        no_personal_data(r)
        # Writes of every kind: a registration, a revocation, a sign-in.
        r = rb.post("/v1/results", [row("R-9", unique("NID"))], key=key)
        problem(r, 503, "read-only-replica")
        r = rb.post(f"/v1/achievements/{ids[1]}/revoke", {"reason": "issued in error"}, key=key)
        problem(r, 503, "read-only-replica")
        link = ok.run("learner", "login-link", records[0]["learner_id"], check=True)
        r = rb.post(link.stdout.strip()[len(BASE):], "",
                    ctype="application/x-www-form-urlencoded")
        problem(r, 503, "read-only-replica")
        # The same share opens on the primary, with its audit event.
        assert a.get(share_path + ".json").status == 200
        assert int(pg_psql(pg_cluster, primary_url,
                           "SELECT count(*) FROM audit_event")) > int(before)

        # A revocation on the primary reaches the replica's status list and verification.
        ok.run("revoke", ids[0], "--reason", "issued in error", check=True)
        caught_up(pg_cluster, pg_replica)
        r = rb.post("/credentials/verify", json.dumps({"verifiableCredential": vc}),
                    ctype="application/json")
        assert r.status == 400 and not r.json()["verified"], r
        assert rb.get(status_path).status == 200

        # The CLI on the replica reads, and refuses to write with a clear message.
        assert audit_intact(on_replica) == audit_intact(ok)
        proc = on_replica.run("revoke", ids[1], "--reason", "issued in error")
        assert proc.returncode != 0
        assert "read-only replica" in proc.stderr and "primary" in proc.stderr, proc.stderr
        assert replica_url not in proc.stderr
    finally:
        a.stop()
        if rb:
            rb.stop()

    # A schema newer than this program knows is refused on the replica too (never migrated).
    pg_psql(pg_cluster, primary_url, "UPDATE oorkonde_schema SET version = 999")
    caught_up(pg_cluster, pg_replica)
    proc = on_replica.run("audit", "verify")
    assert proc.returncode != 0
    assert "schema version 999" in proc.stderr, proc.stderr


@pytest.fixture
def pair():
    """A primary of its own and a streaming replica of it (this test stops the primary)."""
    primary = start_cluster(require_server())
    replica = None
    try:
        replica = start_replica(primary)
        yield primary, replica
    finally:
        if replica:
            stop_cluster(replica)
        stop_cluster(primary)


def test_failover_to_a_promoted_replica(binary, tmp_path, pair):
    primary, replica = pair
    primary.psql("CREATE DATABASE ok_failover")
    user = re.search(r"user=(\S+)", primary.conninfo).group(1)
    hosts = f"host={primary.folder},{replica.folder} user={user} dbname=ok_failover"
    writer_url = f"{hosts} target_session_attrs=read-write"
    reader_url = f"{hosts} target_session_attrs=any"
    ok = pg_folder(binary, tmp_path / "w", writer_url, "--host", HOST)
    key = ok.add_institution()
    reader = folder_on(ok, binary, tmp_path / "r", reader_url)
    w = Server(ok, "--rate-limit", 0, name="writer").start()
    r = None
    try:
        nid = unique("NID")
        first = w.post("/v1/results", [row("F-1", nid)], key=key)
        assert first.status == 200, first
        [rec] = ok.achievements_json(nid)
        vc = json.loads(ok.run("issue", rec["id"], check=True).stdout)
        body = json.dumps({"verifiableCredential": vc})
        r = Server(reader, "--rate-limit", 0, name="reader").start()
        caught_up(primary, replica)
        assert r.post("/credentials/verify", body, ctype="application/json").status == 200

        # The primary goes (fast shutdown: its sessions are ended), the replica is promoted.
        stop_cluster(primary)
        # Between the two, the reader still serves from the replica.
        got = r.post("/credentials/verify", body, ctype="application/json")
        assert got.status == 200 and got.json()["verified"], got
        # The writer finds no primary: the request is answered 503 with Retry-After (the store
        # cannot be reached for now; not 401: the key may be good), and nothing is written.
        down = w.post("/v1/results", [row("F-2", unique("NID"))], key=key)
        problem(down, 503, "store-not-answering")
        assert down.headers.get("retry-after") == "5", down.headers
        promote(replica)
        # The next write goes to the new primary through the same multi-host string.
        after = w.post("/v1/results", [row("F-3", unique("NID"))], key=key)
        assert after.status == 200 and after.json()["added"] == 1, after
        got = r.post("/credentials/verify", body, ctype="application/json")
        assert got.status == 200 and got.json()["verified"], got
        assert audit_intact(ok) > 0
    finally:
        w.stop()
        if r:
            r.stop()


class Bouncer:
    """Debian's pgbouncer in front of a cluster: Unix socket only, in a folder of its own; as
    root it runs as the cluster's user (postgres), as scripts/pg-cluster runs the server."""

    def __init__(self, cluster, pool_mode):
        self.folder = tempfile.mkdtemp(prefix="oorkonde-pgb.", dir="/tmp")
        user = re.search(r"user=(\S+)", cluster.conninfo).group(1)
        folder = pathlib.Path(self.folder)
        (folder / "users.txt").write_text(f'"{user}" ""\n')
        (folder / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={cluster.folder}\n"
            "[pgbouncer]\n"
            "listen_addr =\n"
            f"unix_socket_dir = {self.folder}\n"
            "listen_port = 6432\n"
            "auth_type = trust\n"
            f"auth_file = {self.folder}/users.txt\n"
            f"pool_mode = {pool_mode}\n"
            "default_pool_size = 8\n"
            f"logfile = {self.folder}/pgbouncer.log\n")
        argv = ["pgbouncer", str(folder / "pgbouncer.ini")]
        if os.geteuid() == 0:
            run_as = "postgres" if shutil.which("id") and subprocess.run(
                ["id", "postgres"], capture_output=True).returncode == 0 else "nobody"
            shutil.chown(self.folder, run_as)
            argv = ["runuser", "-u", run_as, "--"] + argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not (folder / ".s.PGSQL.6432").exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"pgbouncer did not start: {self.log()}")
            time.sleep(0.05)
        self.conninfo = f"host={self.folder} port=6432 user={user}"

    def log(self):
        try:
            return (pathlib.Path(self.folder) / "pgbouncer.log").read_text()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def bouncer(pg_cluster):  # noqa: F811
    if shutil.which("pgbouncer") is None:
        why = "no pgbouncer (scripts/install-deps test installs it)"
        if os.environ.get("OORKONDE_REQUIRE_PG") == "1":
            pytest.fail(f"OORKONDE_REQUIRE_PG=1 but {why}")
        pytest.skip(why)
    b = Bouncer(pg_cluster, "session")
    try:
        yield b
    finally:
        b.stop()


def test_a_server_through_pgbouncer_in_session_mode(binary, tmp_path, pg_cluster, bouncer):  # noqa: F811
    pg_cluster.psql("CREATE DATABASE ok_pooled")
    try:
        url = f"{bouncer.conninfo} dbname=ok_pooled"
        ok = pg_folder(binary, tmp_path / "p", url, "--host", HOST)
        key = ok.add_institution()
        srv = Server(ok, "--rate-limit", 0, "--threads", 4, name="pooled").start()
        try:
            errors = []

            def register(prefix):
                for i in range(5):
                    r = srv.post("/v1/results", [row(f"{prefix}-{i}", unique("NID"))], key=key)
                    if r.status != 200:
                        errors.append(repr(r))

            threads = [threading.Thread(target=register, args=(p,)) for p in "ABC"]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not errors, errors
            nid = unique("NID")
            assert srv.post("/v1/results", [row("P-1", nid)], key=key).status == 200
            [rec] = ok.achievements_json(nid)
            vc = json.loads(ok.run("issue", rec["id"], check=True).stdout)
            r = srv.post("/credentials/verify", json.dumps({"verifiableCredential": vc}),
                         ctype="application/json")
            assert r.status == 200 and r.json()["verified"], r
        finally:
            srv.stop()
        assert audit_intact(ok) >= 16
        # The connections went through pgbouncer: it saw the database's clients.
        assert "ok_pooled" in bouncer.log(), bouncer.log()
    finally:
        pg_cluster.psql("DROP DATABASE IF EXISTS ok_pooled WITH (FORCE)", check=False)
