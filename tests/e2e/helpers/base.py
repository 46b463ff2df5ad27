"""The oorkonde binary run against one data folder, CSV builders, import report parsing and
read-only looks into the depository's records (SQLite or PostgreSQL: helpers/store.py)."""
import contextlib
import csv
import io
import json
import os
import pathlib
import re
import subprocess
import sys

from helpers import store

ROOT = pathlib.Path(__file__).resolve().parents[3]
COLUMNS = ["record_id", "national_id", "given_names", "family_name", "birth_date", "kind",
           "title", "programme_code", "eqf_level", "credits", "grade", "grading_scheme",
           "awarded_on", "language"]
REQUIRED_COLUMNS = ["record_id", "national_id", "given_names", "family_name", "birth_date",
                    "kind", "title", "awarded_on"]
INSTITUTION = "21XX"
SANITIZED = os.environ.get("OK_SANITIZED") == "1"
DB_FILES = ("oorkonde.db", "oorkonde.db-wal", "oorkonde.db-shm")


# What AddressSanitizer, LeakSanitizer and UBSan print: a finding fails the test whatever the
# exit status (an expected exit 1 would otherwise hide one).
SANITIZER_RE = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error: |SUMMARY: \w+Sanitizer")


# Runs argv[2:], writes its peak RSS (KiB) to argv[1] and exits with its status.
RSS_LAUNCHER = """
import os, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def allow_login_links(data, allow=True):
    """The tests sign learners in with operators' one-time links, a test tool that is off unless
    config.json allows it: every folder a test makes allows it (test_oidc.py turns it off)."""
    path = pathlib.Path(data) / "config.json"
    cfg = json.loads(path.read_text())
    if allow:
        cfg["allow_login_links"] = True
    else:
        cfg.pop("allow_login_links", None)
    path.write_text(json.dumps(cfg))


class Oorkonde:
    """Runs the binary against one data folder and returns the completed process."""

    def __init__(self, binary, data):
        self.binary = binary
        self.data = data

    def env(self, extra=None):
        full_env = dict(os.environ)
        full_env.pop("OORKONDE_DATA", None)
        if extra:
            full_env.update(extra)
        return full_env

    def argv(self, *args):
        # On a PostgreSQL run, an init gets a fresh database of its own (helpers/store.py).
        return [self.binary, "--data", str(self.data), *map(str, store.init_args(args))]

    def run(self, *args, input=None, check=False, env=None, timeout=300):
        proc = subprocess.run(self.argv(*args), input=input, capture_output=True, text=True,
                              env=self.env(env), timeout=timeout)
        sanitizer_report = SANITIZER_RE.search(proc.stderr)
        if sanitizer_report:
            raise AssertionError(f"oorkonde {' '.join(map(str, args))}: sanitizer report:\n"
                                 f"{proc.stderr}")
        if check and proc.returncode != 0:
            raise AssertionError(f"oorkonde {' '.join(map(str, args))} exited {proc.returncode}:\n"
                                 f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
        if (args and args[0] == "init" and proc.returncode == 0 and
                (pathlib.Path(self.data) / "config.json").exists()):
            allow_login_links(self.data)
        return proc

    def run_measured(self, *args, timeout=300):
        """Like run(), and also the peak resident set size of the process in KiB (plus the
        ~8 MiB of the small launcher it is measured through: ru_maxrss carries over exec)."""
        import tempfile
        with tempfile.NamedTemporaryFile("r") as rss:
            proc = subprocess.run([sys.executable, "-S", "-c", RSS_LAUNCHER, rss.name,
                                   *self.argv(*args)], capture_output=True, text=True,
                                  env=self.env(), timeout=timeout)
            peak = int(rss.read())
        if SANITIZER_RE.search(proc.stderr):
            raise AssertionError(f"sanitizer report:\n{proc.stderr}")
        return proc, peak

    # Conveniences used by most tests.

    def init(self):
        return self.run("init", check=True)

    def add_institution(self, code=INSTITUTION, name="Universiteit Testdorp", country="NL"):
        proc = self.run("institution", "add", "--code", code, "--name", name,
                        "--country", country, check=True)
        return api_key_from(proc.stdout)

    def import_csv(self, path, *options, institution=INSTITUTION, input=None):
        return self.run("import", path, "--institution", institution, *options, input=input)

    def achievements(self, national_id, *options):
        return self.run("achievements", "--national-id", national_id, *options)

    def achievements_json(self, national_id):
        """The learner's achievements as parsed JSON, or None when the learner is unknown."""
        proc = self.achievements(national_id, "--json")
        if proc.returncode == 1:
            return None
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    @property
    def db_path(self):
        return pathlib.Path(self.data) / "oorkonde.db"


def demo_active_records(ok, learners=3):
    """ok's folder with the demo data set of that many learners; their active records (the
    JSON of `achievements --json`, in national-id order)."""
    out = ok.run("demo", "--learners", str(learners), check=True).stdout
    items = []
    for nid in sorted(set(re.findall(r"--national-id (\S+)", out))):
        items += json.loads(ok.run("achievements", "--national-id", nid, "--json",
                                   check=True).stdout)
    return [i for i in items if i["status"] == "active"]


def api_key_from(stdout):
    m = re.search(r"API key \(shown once[^)]*\): (\S+)", stdout)
    assert m, f"no API key in output:\n{stdout}"
    return m.group(1)


def make_row(**fields):
    """A valid course row; keyword arguments override columns."""
    row = {
        "record_id": "R-1", "national_id": "123456782", "given_names": "Anna",
        "family_name": "de Vries", "birth_date": "2000-01-02", "kind": "course",
        "title": "Mechanics", "programme_code": "", "eqf_level": "", "credits": "5",
        "grade": "7.5", "grading_scheme": "NL 1-10", "awarded_on": "2021-01-01",
        "language": "en",
    }
    unknown = set(fields) - set(row)
    assert not unknown, unknown
    row.update(fields)
    return row


def csv_text(rows, columns=COLUMNS, newline="\n", bom=False):
    """CSV text with a header row, quoted as RFC 4180 says where needed."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator=newline)
    w.writerow(columns)
    for r in rows:
        w.writerow([r.get(c, "") for c in columns] if isinstance(r, dict) else r)
    return ("\ufeff" if bom else "") + out.getvalue()


def write_csv(path, rows, **kw):
    path = pathlib.Path(path)
    path.write_bytes(csv_text(rows, **kw).encode("utf-8"))
    return path
REPORT_RE = re.compile(r"(\d+) rows read: (\d+) added, (\d+) updated, (\d+) unchanged, "
                       r"(\d+) rejected")


def parse_report(stdout):
    """The import summary as a dict: read, added, updated, unchanged, rejected."""
    m = REPORT_RE.search(stdout)
    assert m, f"no import summary in output:\n{stdout}"
    return dict(zip(("read", "added", "updated", "unchanged", "rejected"), map(int, m.groups())))


@contextlib.contextmanager


def db_readonly(data):
    """A read-only connection to the data folder's database (safe while oorkonde writes); on
    PostgreSQL, psql on the database config.json names."""
    conn = store.connect(data, readonly=True)
    try:
        yield conn
    finally:
        conn.close()


def db_scalar(data, sql, *params):
    with db_readonly(data) as conn:
        return conn.execute(sql, params).fetchone()[0]


def db_bytes(data):
    """The bytes of every database file that exists: the database, its WAL and shared memory;
    on PostgreSQL, a plain pg_dump of the depository's database (what it stores, as text)."""
    conninfo = store.store_of(data)
    if conninfo:
        dump = subprocess.run([store.psql_path().replace("/psql", "/pg_dump"), "-d", conninfo],
                              capture_output=True, timeout=120, check=True)
        return {"pg_dump": dump.stdout}
    found = {}
    for name in DB_FILES:
        p = pathlib.Path(data) / name
        if p.exists():
            found[name] = p.read_bytes()
    assert "oorkonde.db" in found
    return found


def bulk_csv(path, rows, prefix="BK"):
    """A CSV of `rows` valid rows, ten per learner, written quickly (no csv module)."""
    lines = [",".join(COLUMNS) + "\n"]
    for i in range(rows):
        l = i // 10
        lines.append(f"{prefix}-{i},{prefix}{l:08d},Given{l},Family{l},1990-01-01,course,"
                     f"Course {i % 10},,,5,{i % 10 + 1},NL 1-10,2014-06-15,en\n")
    pathlib.Path(path).write_text("".join(lines), encoding="utf-8")
    return pathlib.Path(path)
