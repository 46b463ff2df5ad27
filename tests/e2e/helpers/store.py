"""The store the end-to-end tests run on, and a store-neutral look into a depository's records.

OORKONDE_TEST_STORE=pg runs the suite on PostgreSQL: every `init` the tests run without a
`--store` of their own gets one, a fresh database on the session's cluster (OORKONDE_TEST_PG, a
libpq connection string: scripts/with-pg sets it, or tests/e2e/pg.py starts a cluster and sets
it). The databases made are dropped by conftest.py's fixtures at the end of the test, module or
session that made them. connect() opens a depository's records whichever store holds them:
SQLite's file, or the PostgreSQL database named by config.json's "store", through psql."""
import glob
import json
import os
import pathlib
import re
import shutil
import sqlite3
import subprocess
import uuid

try:  # scripts/install-deps test installs it (python3-psycopg2)
    import psycopg2
except ImportError:  # without it every statement is a psql process of its own
    psycopg2 = None

ON_PG = os.environ.get("OORKONDE_TEST_STORE", "sqlite") == "pg"

# The databases made by init(), in order; conftest.py drops the tail a scope made.
made = []


def psql_path():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"),
                   key=lambda p: [int(x) for x in p.split("/")[-3].split(".") if x.isdigit()])
    return found[-1] if found else "psql"


def psql(conninfo, *commands, check=True):
    """Runs each command with psql on conninfo, in order, each in its own transaction."""
    argv = [psql_path(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo]
    for c in commands:
        argv += ["-c", c]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"psql exited {proc.returncode}: {proc.stderr}")
    return proc


class _Session:
    """One libpq connection kept open (autocommit: each statement commits on its own, as a
    `psql -c` does). A psql process and a server backend per statement cost tens of
    milliseconds of CPU each; the suite's polls and looks make thousands of them."""

    def __init__(self, conninfo):
        self.conninfo = conninfo
        self.conn = None

    def run(self, sql):
        """sql's rows (tuples) and its row count; an AssertionError, as from psql, when the
        server refuses it or cannot be reached."""
        for attempt in (0, 1):
            try:
                if self.conn is None or self.conn.closed:
                    self.conn = None
                    self.conn = psycopg2.connect(self.conninfo)
                    self.conn.autocommit = True
                with self.conn.cursor() as cur:
                    cur.execute(sql)
                    return (cur.fetchall() if cur.description else []), cur.rowcount
            except psycopg2.OperationalError as e:
                # The server ended the connection (a database dropped WITH (FORCE), a restart):
                # once more on a new one, as the next psql would have.
                if attempt == 0 and self.conn is not None and self.conn.closed:
                    continue
                raise AssertionError(f"psql exited 2: {e}") from e
            except psycopg2.Error as e:
                raise AssertionError(f"psql exited 1: {e}") from e

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# The session's connection to the cluster's own database (CREATE and DROP DATABASE).
_admin = {}


def _cluster_run(conninfo, sql, check=True):
    if psycopg2 is None:
        return psql(conninfo, sql, check=check)
    session = _admin.setdefault(conninfo, _Session(conninfo))
    try:
        session.run(sql)
    except AssertionError:
        if check:
            raise


def cluster():
    conninfo = os.environ.get("OORKONDE_TEST_PG")
    assert conninfo, "OORKONDE_TEST_STORE=pg without a cluster (conftest.py starts one)"
    return conninfo


def with_dbname(conninfo, name):
    return re.sub(r"dbname=\S+", f"dbname={name}", conninfo)


def new_database():
    """A fresh, empty database on the session's cluster; its connection string."""
    name = f"ok_e2e_{uuid.uuid4().hex[:16]}"
    _cluster_run(cluster(), f"CREATE DATABASE {name}")
    made.append(name)
    return with_dbname(cluster(), name)


def drop_since(mark):
    """Drops the databases made since made[mark] (servers still connected are cut off)."""
    names = made[mark:]
    del made[mark:]
    if names:
        for n in names:
            _cluster_run(cluster(), f"DROP DATABASE IF EXISTS {n} WITH (FORCE)", check=False)


def keep_since(mark):
    """Takes the databases made since made[mark] out of `made`, so that the scope that is
    running does not drop them; returns their names (drop() them when done). For a session's
    templates that a test's setup happens to make."""
    names = made[mark:]
    del made[mark:]
    return names


def drop(names):
    for n in names:
        _cluster_run(cluster(), f"DROP DATABASE IF EXISTS {n} WITH (FORCE)", check=False)


def copy_folder(src, dst):
    """A copy of the data folder src (stopped: no process may have it open) at dst, the same
    depository in every record and key: SQLite's files are copied with the rest; on
    PostgreSQL the database config.json names is copied (CREATE DATABASE … TEMPLATE) into a
    new one, which dst's config.json then names. Dropped as init()'s are, at the end of the
    test or module that copied it."""
    shutil.copytree(src, dst)
    conninfo = store_of(dst)
    if conninfo:
        source = re.search(r"dbname=(\S+)", conninfo).group(1)
        name = f"ok_e2e_{uuid.uuid4().hex[:16]}"
        _cluster_run(cluster(), f"CREATE DATABASE {name} TEMPLATE {source}")
        made.append(name)
        path = pathlib.Path(dst) / "config.json"
        cfg = json.loads(path.read_text())
        cfg["store"] = with_dbname(conninfo, name)
        path.write_text(json.dumps(cfg))


def init_args(args):
    """The arguments of an `oorkonde init`, with `--store` added on PostgreSQL runs."""
    if not ON_PG or not args or str(args[0]) != "init":
        return args
    rest = [str(a) for a in args[1:]]
    if "--store" in rest or any(a.startswith("--store=") or a in ("-h", "--help") for a in rest):
        return args
    return (*args, "--store", new_database())


def store_of(data):
    """The PostgreSQL connection string config.json names, or None for SQLite ("sqlite:…")."""
    try:
        value = json.loads((pathlib.Path(data) / "config.json").read_text()).get("store")
    except (OSError, ValueError):
        return None
    return None if not value or value.startswith("sqlite:") else value


# A look into PostgreSQL shaped as much like sqlite3's as the tests use: execute() with ?
# parameters, fetchone(), fetchall(), iteration; every statement commits on its own.

def _literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (bytes, bytearray)):
        return f"'\\x{bytes(v).hex()}'::bytea"
    return "'" + str(v).replace("'", "''") + "'"


def _bind(sql, params):
    """sql with each ? outside quotes replaced by the next parameter as a literal."""
    out, it, quote = [], iter(params), None
    for ch in sql:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append(_literal(next(it)))
            continue
        out.append(ch)
    return "".join(out)


_HEX = re.compile(r"\\x(?:[0-9a-f]{2})*")


def _value(v):
    # BYTEA arrives as \x… hex text; SQLite gives bytes for the same BLOB column.
    if isinstance(v, str) and _HEX.fullmatch(v):
        return bytes.fromhex(v[2:])
    return v


class _Rows:
    def __init__(self, rows):
        self._rows = rows
        self.rowcount = len(rows)

    def fetchone(self):
        return self._rows.pop(0) if self._rows else None

    def fetchall(self):
        rows, self._rows = self._rows, []
        return rows

    def __iter__(self):
        return iter(self.fetchall())


# The few SQLite functions the tests' queries use, in PostgreSQL's words.
_DIALECT = ((re.compile(r"\bgroup_concat\("), "string_agg("),
            (re.compile(r"\bhex\(([^()]*)\)"), r"upper(encode(\1, 'hex'))"),
            (re.compile(r"\bzeroblob\((\d+)\)"), r"decode(repeat('00', \1), 'hex')"),
            (re.compile(r"\b[xX]'([0-9a-fA-F]*)'"), r"'\\x\1'::bytea"))


class PgLook:
    def __init__(self, conninfo):
        self.conninfo = conninfo
        self._session = _Session(conninfo) if psycopg2 is not None else None

    def execute(self, sql, params=()):
        sql = sql.strip().rstrip(";")
        for pattern, replacement in _DIALECT:
            sql = pattern.sub(replacement, sql)
        sql = _bind(sql, params)
        if not re.match(r"(?is)\s*(select|with)\b", sql):
            r = _Rows([])
            if self._session is not None:
                r.rowcount = self._session.run(sql)[1]
                return r
            proc = psql(self.conninfo, sql)
            m = re.search(r"(\d+)\s*$", proc.stdout)
            r.rowcount = int(m.group(1)) if m else 0
            return r
        # Each row as JSON keeps the types (numbers, NULL) that plain text output would lose.
        query = f"SELECT row_to_json(q)::text FROM ({sql}) q"
        if self._session is not None:
            lines = [row[0] for row in self._session.run(query)[0]]
        else:
            lines = psql(self.conninfo, query).stdout.splitlines()
        rows = [tuple(_value(v) for _, v in json.loads(line, object_pairs_hook=list))
                for line in lines if line]
        return _Rows(rows)

    def executescript(self, script):
        if self._session is not None:
            self._session.run(script)
        else:
            psql(self.conninfo, script)

    def commit(self):
        pass

    def close(self):
        if self._session is not None:
            self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def connect(data, readonly=False, timeout=30):
    """The depository's records in data: a sqlite3 connection, or a PgLook on PostgreSQL."""
    conninfo = store_of(data)
    if conninfo:
        return PgLook(conninfo)
    db = pathlib.Path(data) / "oorkonde.db"
    if readonly:
        return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=timeout)
    return sqlite3.connect(db, timeout=timeout)


def integrity_problems(conn):
    """What the store itself says is broken: SQLite's integrity and foreign-key checks; on
    PostgreSQL (which checks foreign keys at every commit and has no page-level check to ask for)
    any foreign key not validated. An empty list when sound."""
    if isinstance(conn, PgLook):
        return [r for r in conn.execute("SELECT conname FROM pg_constraint "
                                        "WHERE contype = 'f' AND NOT convalidated")]
    problems = [r for r in conn.execute("PRAGMA integrity_check").fetchall() if r != ("ok",)]
    conn.execute("PRAGMA foreign_keys = ON")
    return problems + conn.execute("PRAGMA foreign_key_check").fetchall()
