"""Crash consistency of a large import: SIGKILL `oorkonde import` in the middle of a 100,000-row
file (25,000 under the sanitizers), once and then again during the re-run; the database stays
consistent (whole batches only, integrity check ok, nothing personal in clear in the WAL), and a
final re-run completes it to exactly the state of a clean import into a fresh folder.

Set OK_KILL_SEED to replay a run; the seed and kill points are printed (pytest -s shows them)."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import time

import pytest

from helpers import store
from helpers.base import COLUMNS, INSTITUTION, SANITIZED, Oorkonde, db_bytes, db_readonly, \
    parse_report

ROWS_PER_LEARNER = 10
TOTAL_ROWS = 25_000 if SANITIZED else 100_000
LEARNERS = TOTAL_ROWS // ROWS_PER_LEARNER
# docs/formats.md: batches of 100,000 rows, each written into its transaction 10,000 rows at a
# time. Here eight batches of 12,500 (the test switch; ten of 2,500 under the sanitizers), so
# that a kill can land between the parts of a batch (10,000 and 2,500 rows), after one is
# written but before the commit.
BATCH_ROWS = 2_500 if SANITIZED else 12_500
SUFFIX = "-Ødegård"


@pytest.fixture(autouse=True)
def batch_rows(monkeypatch):
    monkeypatch.setenv("OORKONDE_TEST_IMPORT_BATCH_ROWS", str(BATCH_ROWS))


def nid(l):
    return f"KX{l:08d}"


def generate(path, seed):
    """LEARNERS × 10 rows: a diploma and nine course results each."""
    rnd = random.Random(seed)
    lines = [",".join(COLUMNS) + "\n"]
    kinds = ("course", "module", "exam")
    for l in range(LEARNERS):
        person = f"{nid(l)},Given{l},Fam{l}{SUFFIX},19{70 + l % 30}-0{1 + l % 9}-1{l % 10}"
        lines.append(f"D{l}-0,{person},diploma,\"Bachelor of Arts, {l % 97}\",P{l % 50},6,180,"
                     f",,2015-06-30,nl\n")
        for k in range(1, ROWS_PER_LEARNER):
            grade = rnd.randint(1, 10)
            lines.append(f"C{l}-{k},{person},{kinds[k % 3]},Course {rnd.randint(1, 500)},,,"
                         f"{rnd.choice(('5', '7.5', '2.25', '0'))},{grade},NL 1-10,"
                         f"2014-0{k}-15,en\n")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("".join(lines))


def fresh(binary, folder):
    ok = Oorkonde(binary, folder)
    ok.init()
    ok.add_institution()
    return ok


def achievement_count(conn):
    try:
        return conn.execute("SELECT count(*) FROM achievement").fetchone()[0]
    except sqlite3.OperationalError:  # busy for a moment: try again at the next poll
        return None


def import_and_kill(ok, csv_path, at_least, jitter, timeout, poll):
    """Starts an import, SIGKILLs it once at_least achievements are committed (plus jitter
    seconds, to land anywhere inside the next batch); returns the committed count. The count is
    looked at every poll seconds: each look counts the rows so far (on PostgreSQL a scan of up
    to the whole table), which looked at without a pause would take a core from the import."""
    err = open(ok.data.parent / f"kill-{at_least}.stderr", "w")
    proc = subprocess.Popen(ok.argv("import", csv_path, "--institution", INSTITUTION),
                            stdout=subprocess.DEVNULL, stderr=err, env=ok.env())
    deadline = time.monotonic() + timeout
    try:
        with db_readonly(ok.data) as conn:
            while True:
                n = achievement_count(conn)
                if n is not None and n >= at_least:
                    break
                assert proc.poll() is None, \
                    f"import ended (exit {proc.returncode}) before {at_least} rows were committed"
                assert time.monotonic() < deadline, "import too slow to reach the kill point"
                time.sleep(poll)
        if jitter:
            time.sleep(jitter)
        assert proc.poll() is None, "import ended before the kill"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        err.close()
    with db_readonly(ok.data) as conn:
        return conn.execute("SELECT count(*) FROM achievement").fetchone()[0]


def check_consistent(ok, where):
    with db_readonly(ok.data) as conn:
        assert store.integrity_problems(conn) == [], where
        # Every learner written has all its rows: batches hold whole learners here.
        partial = conn.execute(
            "SELECT learner_id, count(*) FROM achievement GROUP BY learner_id "
            "HAVING count(*) != ?", (ROWS_PER_LEARNER,)).fetchall()
        assert partial == [], f"{where}: learners with part of their rows: {partial[:5]}"
        orphans = conn.execute("SELECT count(*) FROM learner l WHERE NOT EXISTS "
                               "(SELECT 1 FROM achievement a WHERE a.learner_id = l.id)").fetchone()[0]
        assert orphans == 0, f"{where}: learners without achievements"


def state(ok):
    """Everything a user can see, without the random ids."""
    with db_readonly(ok.data) as conn:
        rows = conn.execute(
            "SELECT institution, record_id, kind, title, programme_code, eqf_level, "
            "credits_centi, grade, grading_scheme, awarded_on, language, status, version "
            "FROM achievement ORDER BY institution, record_id").fetchall()
        groups = conn.execute(
            "SELECT group_concat(record_id, ' ') FROM (SELECT learner_id, record_id FROM "
            "achievement ORDER BY learner_id, record_id) AS a GROUP BY learner_id").fetchall()
        learners = conn.execute("SELECT count(*) FROM learner").fetchone()[0]
    return rows, sorted(g[0] for g in groups), learners


def shown(ok, l):
    """What `achievements` shows for learner l, without the random ids."""
    proc = ok.run("achievements", "--national-id", nid(l))
    assert proc.returncode == 0, proc.stderr
    head = proc.stdout.splitlines()[0].split(": ", 1)[1]
    items = json.loads(ok.run("achievements", "--national-id", nid(l), "--json").stdout)
    for a in items:
        del a["id"], a["learner_id"]
    return head, sorted(items, key=lambda a: a["record_id"])


def test_kill_import_and_rerun_equals_clean_import(binary, tmp_path):
    seed = int(os.environ.get("OK_KILL_SEED", random.randrange(1 << 30)))
    rnd = random.Random(seed)
    batches = TOTAL_ROWS // BATCH_ROWS
    first = rnd.randint(1, batches - 3)
    second = rnd.randint(first + 1, batches - 2)
    print(f"\nOK_KILL_SEED={seed} rows={TOTAL_ROWS} kill after >= {first} then >= {second} "
          f"batches")
    csv_path = tmp_path / "big.csv"
    generate(csv_path, seed)

    clean = fresh(binary, tmp_path / "clean")
    t0 = time.monotonic()
    proc, rss_kib = clean.run_measured("import", csv_path, "--institution", INSTITUTION)
    full = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr
    assert parse_report(proc.stdout) == dict(read=TOTAL_ROWS, added=TOTAL_ROWS, updated=0,
                                             unchanged=0, rejected=0)
    batch_time = full / batches
    print(f"clean import {full:.2f}s, peak RSS {rss_kib} KiB")
    if not SANITIZED:
        assert rss_kib < 64 * 1024, "the import is meant to run in constant memory (< 64 MiB)"

    ok = fresh(binary, tmp_path / "killed")
    timeout = 30 * full + 30
    committed = []
    # A fiftieth of a batch late at most: with the jitter, still inside the batch after the
    # kill point.
    poll = max(0.002, batch_time / 50)
    for k in (first, second):
        jitter = rnd.uniform(0, 0.8 * batch_time)
        n = import_and_kill(ok, csv_path, k * BATCH_ROWS, jitter, timeout, poll)
        print(f"killed at {n} rows committed (jitter {jitter * 1000:.0f} ms)")
        where = f"seed {seed}, after kill at {n}"
        assert n % BATCH_ROWS == 0, f"{where}: a batch was committed in part"
        assert k * BATCH_ROWS <= n < TOTAL_ROWS, where
        check_consistent(ok, where)
        # Even the WAL of a killed import holds no personal data in clear.
        for name, content in db_bytes(ok.data).items():
            assert SUFFIX.encode() not in content, f"{where}: a name in clear in {name}"
            for l in (0, n // ROWS_PER_LEARNER - 1, n // ROWS_PER_LEARNER):
                assert nid(l).encode() not in content, f"{where}: national id in {name}"
        committed.append(n)

    proc = ok.import_csv(csv_path)
    assert proc.returncode == 0, proc.stderr
    report = parse_report(proc.stdout)
    assert report == dict(read=TOTAL_ROWS, added=TOTAL_ROWS - committed[-1], updated=0,
                          unchanged=committed[-1], rejected=0), f"seed {seed}: {report}"
    check_consistent(ok, f"seed {seed}, after the re-run")

    got, want = state(ok), state(clean)
    assert got[2] == want[2] == LEARNERS, "learner counts differ"
    assert len(got[0]) == len(want[0]) == TOTAL_ROWS
    for a, b in zip(got[0], want[0]):
        assert a == b, f"seed {seed}: first differing achievement"
    assert got[1] == want[1], f"seed {seed}: achievements grouped into learners differently"
    # As the user sees it: the learners around each kill point, and the first and the last.
    for l in {0, LEARNERS - 1, *(n // ROWS_PER_LEARNER for n in committed),
              *(n // ROWS_PER_LEARNER - 1 for n in committed)}:
        assert shown(ok, l) == shown(clean, l), f"seed {seed}: learner {l} differs"
    assert f"Fam{LEARNERS - 1}{SUFFIX}" in shown(ok, LEARNERS - 1)[0]

    # And running it once more changes nothing.
    again = ok.import_csv(csv_path)
    assert "Nothing changed" in again.stdout
