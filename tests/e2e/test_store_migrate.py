"""`oorkonde store migrate --to URL` (issue 16): a depository on SQLite with imports, the demo's
institutions and learners, a foreign achievement, a revocation, shares and their openings, an
identity correction, login links and signed audit checkpoints moves into a new PostgreSQL
database; afterwards the same data folder gives the same answers (achievements, a share opening,
credential verification, status list bits, audit verify), a credential issued before still
verifies, and new writes (share openings, corrections) go on. A target that holds records or a
newer schema is refused with nothing changed on either side; a copy that fails halfway (the
target refuses a row) or a target that cannot be reached leaves config.json and oorkonde.db as
they were and the target without records. The connection string is never printed."""
import hashlib
import json
import os
import re
import sqlite3
import subprocess

import pytest

from helpers.base import Oorkonde, make_row
from helpers.foreign import NID, OTHER_NID, credential, import_cli
from helpers.foreign import register
from helpers.server import Server, problem
from pg import pg_cluster  # noqa: F401  (the fixture)
from test_status import decode_list

_dbs = iter(range(1, 1_000_000))
SHARE_RE = re.compile(r"(/s/[A-Za-z0-9_-]+)")


@pytest.fixture
def new_db(pg_cluster):  # noqa: F811
    """Makes new, empty databases on the test cluster; returns their connection strings."""
    made = []

    def make():
        name = f"ok_migrate_{next(_dbs)}"
        pg_cluster.psql(f"CREATE DATABASE {name}")
        made.append(name)
        return re.sub(r"dbname=\S+", f"dbname={name}", pg_cluster.conninfo)

    yield make
    for name in made:
        pg_cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", check=False)


def psql(cluster, url, sql):
    """Runs sql on the database url; returns its rows, unaligned."""
    proc = subprocess.run([os.path.join(cluster.bindir, "psql"), "-X", "-q", "-A", "-t",
                           "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def sqlite_dump(ok, moved=False):
    """oorkonde.db's content (schema and rows), to show that migrate left it as it was; with
    moved, apart from the marker of the move, which must be there."""
    con = sqlite3.connect(f"file:{ok.data / 'oorkonde.db'}?mode=ro", uri=True)
    try:
        marker = [r[0] for r in con.execute(
            "SELECT key FROM meta WHERE key IN ('moved_to', 'moved_at') ORDER BY key")]
        assert marker == (["moved_at", "moved_to"] if moved else []), marker
        lines = [line for line in con.iterdump()
                 if "'moved_at'" not in line and "'moved_to'" not in line]
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()
    finally:
        con.close()


def migrate(ok, url, env=None):
    proc = ok.run("store", "migrate", "--to", url, env=env)
    assert url not in proc.stdout + proc.stderr, "the connection string was printed"
    return proc


def store_of(ok):
    return json.loads((ok.data / "config.json").read_text()).get("store")


def audit_events(ok):
    proc = ok.run("audit", "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    m = re.search(r"(\d+) events, chain intact, (\d+) checkpoints? verified", proc.stdout)
    assert m, proc.stdout
    return int(m.group(1)), int(m.group(2))


def status_bits(srv, purpose):
    r = srv.get(f"/status/{purpose}/1")
    assert r.status == 200, r
    return decode_list(r.json())


def answers(ok, tmp_path, w, share_path, vc_path):
    """What a user sees of the depository: records of three learners, a share's page, a
    credential's verification, the status lists' bits."""
    got = {"here": ok.achievements_json(NID), "other": ok.achievements_json(OTHER_NID),
           "demo": ok.achievements_json(w["demo_nid"])}
    proc = ok.run("verify", vc_path, "--json")
    got["verify"] = (proc.returncode, json.loads(proc.stdout)["checks"])
    srv = Server(ok, "--rate-limit", "0", name="migrate").start()
    try:
        r = srv.get(share_path + ".json")
        assert r.status == 200, r
        doc = r.json()
        got["share"] = (doc["state"], sorted((a["id"], a["verification"]["verified"])
                                             for a in doc["achievements"]))
        got["bits"] = {p: status_bits(srv, p) for p in ("revocation", "suspension")}
    finally:
        srv.stop()
    return got


@pytest.fixture
def here(world, tmp_path):
    """world's importing depository with everything a store holds: the demo's institutions
    and learners, a foreign achievement, a revocation, a suspension, a share (opened once), a
    correction, a login link, a credential issued and signed checkpoints."""
    ok = world["here"]
    demo = ok.run("demo", "--learners", "20", check=True).stdout
    world["demo_nid"] = re.search(r"achievements --national-id (\S+)", demo).group(1)
    proc = import_cli(world, credential(world))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    mine = ok.achievements_json(NID)
    other = ok.achievements_json(OTHER_NID)
    demo_rec = ok.achievements_json(world["demo_nid"])
    ok.run("revoke", other[0]["id"], "--reason", "issued in error", check=True)
    ok.run("suspend", demo_rec[0]["id"], "--reason", "under review", check=True)
    ok.run("learner", "correct", world["learner"], "--family-name", "Virtanen-Korhonen",
           check=True)
    ok.run("learner", "login-link", world["learner"], check=True)
    national = [a["id"] for a in mine if not a.get("foreign")]
    proc = ok.run("share", "create", "--learner-id", world["learner"], "--achievements",
                  ",".join(national), "--to", "Werkgever BV", "--json", check=True)
    world["share"] = SHARE_RE.search(json.loads(proc.stdout)["url"]).group(1)
    world["vc"] = tmp_path / "before.json"
    ok.run("issue", national[0], "-o", world["vc"], check=True)
    ok.run("audit", "checkpoint", check=True)
    return world


def test_migrate_moves_everything_and_the_folder_answers_the_same(here, tmp_path, new_db,
                                                                 pg_cluster):  # noqa: F811
    ok = here["here"]
    before = answers(ok, tmp_path, here, here["share"], here["vc"])
    assert before["verify"][0] == 0
    assert before["share"][0] == "valid"
    ok.run("audit", "checkpoint", check=True)
    events, checkpoints = audit_events(ok)
    assert checkpoints >= 2
    db = sqlite_dump(ok)
    counts = {}
    con = sqlite3.connect(f"file:{ok.data / 'oorkonde.db'}?mode=ro", uri=True)
    for t in ("learner", "achievement", "achievement_history", "audit_event",
              "audit_checkpoint", "foreign_achievement", "share", "share_view",
              "identity_change", "login_link", "institution", "api_key", "status_list",
              "trusted_issuer", "meta"):
        counts[t] = con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
    con.close()
    assert all(counts[t] > 0 for t in counts), counts

    url = new_db()
    proc = migrate(ok, url)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Row counts equal in every table" in proc.stdout
    assert f"{events} events, intact, {checkpoints} checkpoints verified" in proc.stdout
    assert "oorkonde.db is left in place but" in proc.stdout
    # The folder now uses PostgreSQL; oorkonde.db is still there, unchanged but for the
    # marker of the move, and unused.
    assert store_of(ok) == url
    assert (ok.data / "config.json").stat().st_mode & 0o777 == 0o600
    assert (ok.data / "oorkonde.db").exists() and sqlite_dump(ok, moved=True) == db
    for t, n in counts.items():
        assert psql(pg_cluster, url, f"SELECT count(*) FROM {t}") == str(n), t

    after = answers(ok, tmp_path, here, here["share"], here["vc"])
    assert after == before
    # The answers came from PostgreSQL: the share's second opening is there, not in SQLite.
    assert psql(pg_cluster, url, "SELECT count(*) FROM share_view") == \
        str(counts["share_view"] + 1)
    assert sqlite_dump(ok, moved=True) == db
    # Writes go on: a correction and a new share (identity counters past the copied rows).
    ok.run("learner", "correct", here["learner"], "--given-names", "Aino Maria", check=True)
    assert psql(pg_cluster, url, "SELECT count(*) FROM identity_change") == \
        str(counts["identity_change"] + 1)
    assert psql(pg_cluster, url, "SELECT max(n) = count(*) FROM identity_change") == "t"
    n_after, _ = audit_events(ok)
    assert n_after > events
    # A second migrate of the folder is refused: its store is PostgreSQL already.
    proc = migrate(ok, new_db())
    assert proc.returncode == 2 and "in PostgreSQL already" in proc.stderr, proc.stderr


def test_a_target_with_records_is_refused_and_nothing_changes(here, new_db, pg_cluster,  # noqa
                                                              binary, tmp_path):
    url = new_db()
    first = Oorkonde(binary, tmp_path / "first")
    first.init()
    first.add_institution(code="99ZZ", name="Eerste")
    assert migrate(first, url).returncode == 0
    held = psql(pg_cluster, url, "SELECT count(*) FROM audit_event")

    ok = here["here"]
    db = sqlite_dump(ok)
    config = (ok.data / "config.json").read_bytes()
    proc = migrate(ok, url)
    assert proc.returncode == 2, proc.stdout
    assert "already holds oorkonde data" in proc.stderr and "meta" in proc.stderr, proc.stderr
    assert "nothing was moved" in proc.stderr
    assert (ok.data / "config.json").read_bytes() == config and sqlite_dump(ok) == db
    assert psql(pg_cluster, url, "SELECT count(*) FROM audit_event") == held
    assert psql(pg_cluster, url, "SELECT count(*) FROM learner") == "0"
    assert ok.achievements_json(NID)


def test_a_newer_schema_is_refused(here, new_db, pg_cluster):  # noqa: F811
    url = new_db()
    psql(pg_cluster, url, "CREATE TABLE oorkonde_schema (version INTEGER NOT NULL);"
                          "INSERT INTO oorkonde_schema VALUES (99)")
    ok = here["here"]
    config = (ok.data / "config.json").read_bytes()
    proc = migrate(ok, url)
    assert proc.returncode == 2 and "schema version 99" in proc.stderr, proc.stderr
    assert (ok.data / "config.json").read_bytes() == config
    assert psql(pg_cluster, url, "SELECT to_regclass('learner') IS NULL") == "t"


def test_a_copy_that_fails_halfway_changes_nothing(here, new_db, pg_cluster,  # noqa: F811
                                                    binary):
    """The target takes the first tables, then refuses a row of audit_event (a trigger, as a
    full disk or a dropped connection would stop it): everything is rolled back."""
    url = new_db()
    ok = here["here"]
    db = sqlite_dump(ok)
    config = (ok.data / "config.json").read_bytes()
    # A target that cannot be reached.
    proc = migrate(ok, "host=/nonexistent/socket dbname=nothing")
    assert proc.returncode == 2 and "cannot connect" in proc.stderr, proc.stderr
    assert "nothing was moved" in proc.stderr
    assert (ok.data / "config.json").read_bytes() == config
    # A target with the empty schema (as `init --store` leaves it, or a failed run) whose
    # audit_event refuses rows.
    scratch = Oorkonde(binary, ok.data.parent / "scratch")
    scratch.run("init", "--store", url, check=True)
    psql(pg_cluster, url, "DELETE FROM meta")
    psql(pg_cluster, url, "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                          "$$BEGIN RAISE EXCEPTION 'refused by the test'; END$$;"
                          "CREATE TRIGGER refuse BEFORE INSERT ON audit_event "
                          "FOR EACH ROW EXECUTE FUNCTION refuse()")
    proc = migrate(ok, url)
    assert proc.returncode == 2, proc.stdout
    assert "audit_event" in proc.stderr or "refused by the test" in proc.stderr, proc.stderr
    assert (ok.data / "config.json").read_bytes() == config and sqlite_dump(ok) == db
    for t in ("meta", "institution", "learner", "achievement", "audit_event"):
        assert psql(pg_cluster, url, f"SELECT count(*) FROM {t}") == "0", t
    # The source still serves, and a retry into the (empty) target works once it takes rows.
    assert ok.achievements_json(NID)
    psql(pg_cluster, url, "DROP TRIGGER refuse ON audit_event")
    proc = migrate(ok, url)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert store_of(ok) == url


def test_a_folder_still_being_written_is_refused_as_busy(here, new_db, pg_cluster):  # noqa: F811
    """Another process holds oorkonde.db's write lock (a server or import still running): the
    move waits for it (about 10 s; here the test build's OORKONDE_TEST_LOCK_WAIT_MS, which a
    user's build ignores: test_hooks.py), then gives up with "busy" and changes nothing."""
    ok = here["here"]
    url = new_db()
    config = (ok.data / "config.json").read_bytes()
    writer = sqlite3.connect(ok.data / "oorkonde.db", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        proc = migrate(ok, url, env={"OORKONDE_TEST_LOCK_WAIT_MS": "500"})
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert proc.returncode == 2, proc.stdout
    # Refused at the open or at the copy's BEGIN IMMEDIATE, whichever meets the lock first.
    assert "busy" in proc.stderr, proc.stderr
    assert (ok.data / "config.json").read_bytes() == config
    assert psql(pg_cluster, url, "SELECT to_regclass('meta') IS NULL") == "t" or \
        psql(pg_cluster, url, "SELECT count(*) FROM meta") == "0"


def test_a_server_left_running_after_the_move_takes_no_writes(binary, tmp_path, new_db,
                                                              pg_cluster):  # noqa: F811
    """A server started before `store migrate` (never restarted) still has oorkonde.db open: a
    revocation through it is refused with 503 store-moved and lands nowhere, its /healthz
    reports 503, while PostgreSQL holds the truth; once restarted it serves from PostgreSQL."""
    ok = Oorkonde(binary, tmp_path / "running")
    ok.init()
    key = ok.add_institution()
    register(ok, tmp_path, [make_row(record_id="R-1", national_id=NID),
                            make_row(record_id="R-2", national_id=NID, title="Optics")],
             "running")
    ids = sorted(a["id"] for a in ok.achievements_json(NID))
    url = new_db()
    old = Server(ok, "--rate-limit", "0", name="before-move").start()
    try:
        assert old.get("/healthz").status == 200
        r = old.post(f"/v1/achievements/{ids[0]}/revoke", {"reason": "before"}, key=key)
        assert r.status == 200, r
        proc = migrate(ok, url)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        r = old.post(f"/v1/achievements/{ids[1]}/revoke", {"reason": "issued in error"},
                     key=key)
        doc = problem(r, 503, "store-moved")
        assert "restart" in doc["detail"], doc
        problem(old.get("/healthz"), 503)
    finally:
        old.stop()
    status = "SELECT id, status FROM achievement ORDER BY id"
    assert psql(pg_cluster, url, status) == f"{ids[0]}|revoked\n{ids[1]}|active"
    con = sqlite3.connect(f"file:{ok.data / 'oorkonde.db'}?mode=ro", uri=True)
    assert con.execute(status).fetchall() == [(ids[0], "revoked"), (ids[1], "active")]
    con.close()
    # The CLI on a copy of the folder that still names oorkonde.db (a crash before config.json
    # was switched) writes nothing, saying why; an audited read of personal data is a write.
    stale = Oorkonde(binary, tmp_path / "stale")
    stale.data.mkdir(mode=0o700)
    for name in ("oorkonde.db", "data.key", "issuer.key"):
        (stale.data / name).write_bytes((ok.data / name).read_bytes())
        (stale.data / name).chmod(0o600)
    config = json.loads((ok.data / "config.json").read_text())
    config["store"] = "sqlite:oorkonde.db"
    (stale.data / "config.json").write_text(json.dumps(config))
    (stale.data / "config.json").chmod(0o600)
    for args in (("revoke", ids[1], "--reason", "issued in error"),
                 ("achievements", "--national-id", NID)):
        proc = stale.run(*args)
        assert proc.returncode != 0 and "moved to PostgreSQL on 20" in proc.stderr, proc.stderr
        assert "restart the server" in proc.stderr and NID not in proc.stdout
    # Restarted, the server reads config.json again and works on PostgreSQL.
    new = Server(ok, "--rate-limit", "0", name="after-move").start()
    try:
        assert new.get("/healthz").status == 200
        r = new.post(f"/v1/achievements/{ids[1]}/revoke", {"reason": "issued in error"},
                     key=key)
        assert r.status == 200, r
    finally:
        new.stop()
    assert psql(pg_cluster, url, status) == f"{ids[0]}|revoked\n{ids[1]}|revoked"


def test_a_server_left_running_after_the_move_answers_no_reads(binary, tmp_path, new_db,
                                                               pg_cluster):  # noqa: F811
    """Reads of a server not restarted after the move would come from the stale oorkonde.db
    (status lists signed afresh with the issuer key, verification's status look-ups, API keys,
    the DID document): every route answers 503 store-moved instead, and a revocation made on
    PostgreSQL meanwhile is never denied by a list this server signed."""
    ok = Oorkonde(binary, tmp_path / "reads")
    ok.run("init", "--host", "reads.example", check=True)
    key = ok.add_institution()
    register(ok, tmp_path, [make_row(record_id="R-1", national_id=NID)], "reads")
    ach = ok.achievements_json(NID)[0]["id"]
    vc_path = tmp_path / "vc.json"
    ok.run("issue", ach, "-o", vc_path, check=True)
    vc = json.loads(vc_path.read_text())
    url = new_db()
    srv = Server(ok, "--rate-limit", "0", name="reads-before-move").start()
    reads = [("GET", "/status/revocation/1", None, None),
             ("GET", "/status/suspension/1", None, None),
             ("POST", "/credentials/verify", {"verifiableCredential": vc}, None),
             ("GET", "/.well-known/did.json", None, None),
             ("GET", "/v1/achievements/" + ach, None, key),
             ("GET", "/openapi.yaml", None, None)]
    try:
        for method, path, body, k in reads:
            r = srv.request(method, path, body, key=k)
            assert r.status == 200, (path, r)
        assert srv.post("/credentials/verify", {"verifiableCredential": vc}).json()["verified"]
        proc = migrate(ok, url)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        # The truth moves on without this server: the credential is revoked on PostgreSQL.
        proc = ok.run("revoke", ach, "--reason", "issued in error")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        for method, path, body, k in reads:
            r = srv.request(method, path, body, key=k)
            doc = problem(r, 503, "store-moved")
            assert "restart" in doc["detail"], (path, doc)
    finally:
        srv.stop()
    new = Server(ok, "--rate-limit", "0", name="reads-after-move").start()
    try:
        r = new.post("/credentials/verify", {"verifiableCredential": vc})
        assert r.status == 400 and not r.json()["verified"], r
    finally:
        new.stop()
