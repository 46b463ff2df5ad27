"""The PostgreSQL store against a hostile or careless neighbour (review of issue 16, F3-F5, F10):
a password in the connection string never reaches a message; a role that may only connect
cannot stop writes or hang a start with advisory locks, and a stalled migration lock fails a
start after the lock timeout instead of hanging; two `init --store` at once on one empty
database leave exactly one depository; a SQLite path with an "=" is not taken for libpq; the
tables live in public even when a schema named after the role exists.

The lock timeout a user's server waits (10 s, src/store/store_pg.c) is LOCK_WAIT_MS where a
test waits for it: the test build reads OORKONDE_TEST_LOCK_WAIT_MS (test_hooks.py shows that a
user's build ignores it)."""
import re
import subprocess
import time

import pytest

from conftest import Oorkonde
from pg import pg_cluster  # noqa: F401  (the fixture)
from test_pg_store import pg_db, pg_folder, pg_psql  # noqa: F401

SECRETS = ("hunter2", "secretpart", "zzsecret")
LOCK_WAIT_MS = 1000


def role_of(conninfo):
    return re.search(r"user=(\S+)", conninfo).group(1)


@pytest.mark.parametrize("url", [
    "host=/nonexistent password=hunter2 secretpart dbname=x",
    "postgresql://u:ab%zzsecret@/db?host=/nonexistent",
])
def test_a_malformed_connection_string_is_never_quoted(binary, tmp_path, url):
    proc = Oorkonde(binary, tmp_path / "d").run("init", "--store", url)
    assert proc.returncode != 0
    assert "malformed" in proc.stderr, proc.stderr
    for secret in SECRETS:
        assert secret not in proc.stdout + proc.stderr
    assert not (tmp_path / "d").exists()


def test_a_failed_connection_names_the_server_not_the_password(binary, tmp_path):
    proc = Oorkonde(binary, tmp_path / "d").run(
        "init", "--store", "host=/nonexistent password=hunter2 dbname=x")
    assert proc.returncode != 0
    assert "database x on /nonexistent port 5432" in proc.stderr, proc.stderr
    assert "no server answers there" in proc.stderr
    assert "hunter2" not in proc.stdout + proc.stderr


def test_init_warns_of_a_password_in_the_url(binary, tmp_path, pg_db):  # noqa: F811
    ok = Oorkonde(binary, tmp_path / "d")
    proc = ok.run("init", "--store", pg_db + " password=notused", check=True)
    assert "warning" in proc.stderr and "PGPASSFILE" in proc.stderr, proc.stderr
    assert "notused" not in proc.stdout + proc.stderr
    quiet = Oorkonde(binary, tmp_path / "e").run("init")
    assert "warning" not in quiet.stderr


def test_a_sqlite_path_with_an_equals_sign_is_sqlite(binary, tmp_path):
    proc = Oorkonde(binary, tmp_path / "d").run("init", "--store", "db=x.sqlite")
    assert proc.returncode != 0
    assert "--store takes a PostgreSQL URL" in proc.stderr, proc.stderr
    # In a config, such a store is the folder's SQLite file of that name.
    ok = Oorkonde(binary, tmp_path / "s")
    ok.init()
    config = (tmp_path / "s" / "config.json")
    odd = tmp_path / "s" / "db=x.sqlite"
    config.write_text(config.read_text().replace('"sqlite:oorkonde.db"', f'"{odd}"'))
    (tmp_path / "s" / "oorkonde.db").rename(odd)
    ok.add_institution()
    assert (tmp_path / "s" / "db=x.sqlite").stat().st_size > 0
    assert not (tmp_path / "s" / "oorkonde.db").exists()


def hold(cluster, conninfo, sql, seconds):
    """psql running sql and then sleeping, in the background; returns once it sleeps."""
    proc = subprocess.Popen(
        [f"{cluster.bindir}/psql", "-X", "-q", "-d", conninfo, "-c",
         f"{sql}; SELECT pg_sleep({seconds})"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(200):
        if cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND "
                        f"query LIKE '%pg_sleep({seconds})%' AND pid <> pg_backend_pid()"
                        ).strip() != "0":
            return proc
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.05)
    raise AssertionError("the lock holder did not start")


def release(cluster, proc, seconds):
    """Ends a hold(): its server process too, which would otherwise sleep on."""
    proc.kill()
    proc.wait()
    cluster.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                 f"query LIKE '%pg_sleep({seconds})%' AND pid <> pg_backend_pid()")


def test_a_role_that_may_only_connect_cannot_stop_writes_or_starts(
        binary, tmp_path, pg_db, pg_cluster):  # noqa: F811
    ok = pg_folder(binary, tmp_path / "d", pg_db)
    reader = "reader_" + re.search(r"dbname=(\S+)", pg_db).group(1)
    pg_psql(pg_cluster, pg_db, f"CREATE ROLE {reader} LOGIN")
    as_reader = re.sub(r"user=\S+", f"user={reader}", pg_db)
    # The advisory locks the store once took: they hold nothing up any more.
    procs = [hold(pg_cluster, as_reader, f"SELECT pg_advisory_lock({key})", 30)
             for key in (7302365474521776129, 7302365474521776130)]
    try:
        started = time.monotonic()
        ok.run("identity", check=True, timeout=25)
        ok.add_institution(code="EVIL1", name="Evil")
        assert time.monotonic() - started < 8
        # And the locks that do hold writers and migrations back are not the reader's to take.
        for sql in ("LOCK TABLE writer_lock IN EXCLUSIVE MODE",
                    "LOCK TABLE oorkonde_schema IN EXCLUSIVE MODE",
                    "SELECT * FROM writer_lock FOR UPDATE"):
            proc = subprocess.run([f"{pg_cluster.bindir}/psql", "-X", "-q", "-d", as_reader,
                                   "-c", f"BEGIN; {sql}; COMMIT"],
                                  capture_output=True, text=True, timeout=30)
            assert "permission denied" in proc.stderr, (sql, proc.stderr)
    finally:
        for p in procs:
            release(pg_cluster, p, 30)


def test_a_stalled_schema_lock_fails_a_start_after_the_timeout(
        binary, tmp_path, pg_db, pg_cluster):  # noqa: F811
    ok = pg_folder(binary, tmp_path / "d", pg_db)
    holder = hold(pg_cluster, pg_db, "BEGIN; LOCK TABLE oorkonde_schema IN EXCLUSIVE MODE", 40)
    try:
        started = time.monotonic()
        proc = ok.run("identity", timeout=30,
                      env={"OORKONDE_TEST_LOCK_WAIT_MS": str(LOCK_WAIT_MS)})
        took = time.monotonic() - started
    finally:
        release(pg_cluster, holder, 40)
    assert proc.returncode != 0
    assert "oorkonde_schema" in proc.stderr and "try again" in proc.stderr, proc.stderr
    # Not before the timeout; the rest is slack for a loaded machine.
    assert LOCK_WAIT_MS / 1000 <= took < LOCK_WAIT_MS / 1000 + 10, took
    ok.run("identity", check=True)


def test_two_inits_at_once_on_one_database_leave_one_depository(
        binary, tmp_path, pg_cluster):  # noqa: F811
    for i in range(3):
        name = f"ok_race_{i}"
        pg_cluster.psql(f"CREATE DATABASE {name}")
        url = re.sub(r"dbname=\S+", f"dbname={name}", pg_cluster.conninfo)
        folders = [tmp_path / f"x{i}", tmp_path / f"y{i}"]
        procs = [subprocess.Popen(Oorkonde(binary, f).argv("init", "--store", url),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for f in folders]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        codes = sorted(rc for rc, _ in results)
        assert codes[0] == 0 and codes[1] != 0, results
        [loser] = [why for rc, why in results if rc != 0]
        assert "already holds a depository" in loser, loser
        [winner] = [f for f, (rc, _) in zip(folders, results) if rc == 0]
        [lost] = [f for f, (rc, _) in zip(folders, results) if rc != 0]
        assert not lost.exists()
        Oorkonde(binary, winner).run("identity", check=True)
        Oorkonde(binary, winner).add_institution()
        pg_cluster.psql(f"DROP DATABASE {name} WITH (FORCE)", check=False)


def test_the_tables_live_in_public_whatever_schemas_exist(
        binary, tmp_path, pg_db, pg_cluster):  # noqa: F811
    # A schema named after the role comes first in the default search_path ("$user", public):
    # without a search_path of its own the store would make and read its tables there.
    pg_psql(pg_cluster, pg_db, f'CREATE SCHEMA "{role_of(pg_db)}"')
    ok = pg_folder(binary, tmp_path / "d", pg_db)
    ok.add_institution()
    tables = pg_psql(pg_cluster, pg_db,
                     "SELECT schemaname FROM pg_tables WHERE tablename IN "
                     "('meta', 'institution', 'writer_lock') ORDER BY 1")
    assert tables.split() == ["public", "public", "public"]


def test_tables_another_role_made_first_are_refused(binary, tmp_path, pg_db, pg_cluster):  # noqa: F811
    """A role that may create objects in public (the default before PostgreSQL 15) makes the
    tables before the first start, to read every row and keep revoked records active with a
    trigger: oorkonde refuses the database instead of taking its tables over."""
    squatter = "squatter_" + re.search(r"dbname=(\S+)", pg_db).group(1)
    pg_psql(pg_cluster, pg_db, f"CREATE ROLE {squatter} LOGIN; "
                               f"GRANT CREATE ON SCHEMA public TO {squatter}")
    as_squatter = re.sub(r"user=\S+", f"user={squatter}", pg_db)
    pg_psql(pg_cluster, as_squatter, "CREATE TABLE oorkonde_schema (version INTEGER NOT NULL)")
    proc = Oorkonde(binary, tmp_path / "d").run("init", "--store", pg_db)
    assert proc.returncode != 0
    assert "oorkonde_schema is not owned by the role oorkonde connects as" in proc.stderr, \
        proc.stderr
    assert not (tmp_path / "d").exists()


def test_a_trigger_someone_added_is_refused(binary, tmp_path, pg_db, pg_cluster):  # noqa: F811
    """A trigger that keeps a revoked record active (the review's reproduction): oorkonde makes
    no triggers, so the next start refuses the database and names it."""
    ok = pg_folder(binary, tmp_path / "d", pg_db)
    pg_psql(pg_cluster, pg_db,
            "CREATE FUNCTION keep_active() RETURNS trigger LANGUAGE plpgsql AS "
            "$$BEGIN NEW.status := 'active'; RETURN NEW; END$$;"
            "CREATE TRIGGER keep_active BEFORE UPDATE ON achievement "
            "FOR EACH ROW EXECUTE FUNCTION keep_active()")
    proc = ok.run("identity")
    assert proc.returncode != 0
    assert "trigger keep_active on achievement" in proc.stderr, proc.stderr
