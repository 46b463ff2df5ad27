"""Bulk import on PostgreSQL (issue 16): a batch's rows are looked up in one query per table and
written by one COPY per table, and a user sees what the same file does on SQLite: the
same report, the same rejected lines with the same reasons (identity conflicts, a revoked record
changed, in the same batch or an earlier one), the same achievements; a re-run adds nothing; an
import killed halfway (the command, or a server importing a POSTed file) keeps whole batches, and
a re-run completes it."""
import concurrent.futures
import csv
import http.client
import json
import re
import signal
import subprocess
import time

import pytest

from helpers.base import COLUMNS, INSTITUTION, Oorkonde, api_key_from, parse_report
from helpers.server import Server
from pg import pg_cluster  # noqa: F401

BATCH_ROWS = 10_000  # the e2e tests' batch (conftest.py; the default is 100,000)
_dbs = iter(range(1, 1_000_000))


@pytest.fixture
def pg_url(pg_cluster):  # noqa: F811
    """A new, empty database on the test cluster; its connection string."""
    name = f"ok_pgimport_{next(_dbs)}"
    pg_cluster.psql(f"CREATE DATABASE {name}")
    yield re.sub(r"dbname=\S+", f"dbname={name}", pg_cluster.conninfo)
    pg_cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", check=False)


def depository(binary, path, url=None):
    ok = Oorkonde(binary, path)
    if url:
        ok.run("init", "--store", url, check=True)
    else:
        ok.init()
    ok.add_institution()
    return ok


def line(record, nid, given="Given", family="Family", grade="7", title="Course"):
    return (f"{record},{nid},{given},{family},1990-01-01,course,{title},,,5,{grade},NL 1-10,"
            f"2014-06-15,en\n")


def tricky_file(path, learners):
    """learners × 10 rows over two batches and more, with rows a user must see rejected or
    counted the same way on both stores."""
    rows = [",".join(COLUMNS) + "\n"]
    for i in range(learners * 10):
        l = i // 10
        rows.append(line(f"T-{i}", f"TK{l:08d}", f"Given{l}", f"Family{l}", grade=i % 10 + 1))
    # In the first batch: an identity conflict with a learner of the same batch, the same row
    # twice (unchanged the second time), a record given again with another grade (updated).
    rows.insert(50, line("X-1", "TK00000001", "Someone", "Else"))
    rows.insert(60, rows[5])
    rows.insert(70, line("T-3", "TK00000000", "Given0", "Family0", grade="9"))
    # Across batches: a conflict with a learner of an earlier batch, a record of an earlier
    # batch changed, a row that is not valid at all.
    rows.append(line("X-2", "TK00000002", "Given2", "Changed"))
    rows.append(line("T-25", "TK00000002", "Given2", "Family2", grade="10"))
    rows.append("BAD,TK00000003,Given3,Family3,not-a-date,course,C,,,5,7,NL 1-10,2014-06-15,en\n")
    rows.append(line("T-R", "TK00000004", "Given4", "Family4"))
    path.write_text("".join(rows), encoding="utf-8")
    return path


def errors_of(ok, path, errors):
    proc = ok.import_csv(path, "--errors", errors)
    assert proc.returncode in (0, 1), proc.stderr
    with open(errors, encoding="utf-8", newline="") as f:
        rejected = [(r["error_line"], r["error_field"], r["error_reason"], r["record_id"])
                    for r in csv.DictReader(f)]
    return parse_report(proc.stdout), rejected


def shown(ok, nid):
    items = json.loads(ok.run("achievements", "--national-id", nid, "--json").stdout)
    for a in items:
        del a["id"], a["learner_id"]
    return sorted(items, key=lambda a: a["record_id"])


def test_a_revoked_record_changed_is_refused_as_on_sqlite(binary, tmp_path, pg_url):
    first = tmp_path / "first.csv"
    first.write_text(",".join(COLUMNS) + "\n" + line("R-1", "RK00000001") +
                     line("R-2", "RK00000001"), encoding="utf-8")
    changed = tmp_path / "changed.csv"
    # The revoked record given another grade, and moved to another learner: both refused;
    # the other record changes.
    changed.write_text(",".join(COLUMNS) + "\n" + line("R-1", "RK00000001", grade="9") +
                       line("R-1", "RK00000002", "Other", "Learner") +
                       line("R-2", "RK00000001", grade="9"), encoding="utf-8")
    got = {}
    for name, ok in (("pg", depository(binary, tmp_path / "pg", pg_url)),
                     ("lite", depository(binary, tmp_path / "lite"))):
        assert ok.import_csv(first).returncode == 0
        rec = [a for a in json.loads(ok.run("achievements", "--national-id", "RK00000001",
                                            "--json").stdout) if a["record_id"] == "R-1"]
        assert ok.run("revoke", rec[0]["id"], "--reason", "test").returncode == 0
        got[name] = errors_of(ok, changed, tmp_path / f"{name}-errors.csv"), \
            shown(ok, "RK00000001"), ok.achievements_json("RK00000002")
    assert got["pg"] == got["lite"]
    (report, rejected), _, other = got["pg"]
    assert report["rejected"] == 2 and report["updated"] == 1, report
    assert [r[1] for r in rejected] == ["grade", "national_id"], rejected
    assert other is None  # the refused row left no learner behind


def test_first_import_rejections_and_records_as_on_sqlite(binary, tmp_path, pg_url):
    path = tricky_file(tmp_path / "results.csv", 1_050)
    pg = depository(binary, tmp_path / "pg", pg_url)
    lite = depository(binary, tmp_path / "lite")
    got = errors_of(pg, path, tmp_path / "pg-errors.csv")
    want = errors_of(lite, path, tmp_path / "lite-errors.csv")
    assert got == want
    report, rejected = got
    assert report["read"] == 10_500 + 7 and report["rejected"] == 3, report
    assert report["updated"] == 2 and report["unchanged"] == 1, report
    assert [r[1] for r in rejected] == ["given_names", "family_name", "birth_date"], rejected
    for nid in ("TK00000000", "TK00000001", "TK00000002", "TK00001049"):
        assert shown(pg, nid) == shown(lite, nid), nid

    # A re-run adds nothing; it counts as on SQLite (the records the file gives twice, with
    # different grades, change twice again).
    again = parse_report(pg.import_csv(path).stdout)
    assert again == parse_report(lite.import_csv(path).stdout)
    assert again["added"] == 0 and again["updated"] == 4, again


def achievement_count(pg_cluster, url):  # noqa: F811
    proc = subprocess.run([f"{pg_cluster.bindir}/psql", "-X", "-A", "-t", "-d", url, "-c",
                           "SELECT count(*) FROM achievement"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.strip())


def big_file(path, rows, prefix):
    """rows rows, ten per learner."""
    lines = [",".join(COLUMNS) + "\n"]
    lines += [line(f"{prefix}-{i}", f"{prefix}K{i // 10:08d}", f"Given{i // 10}",
                   f"Fam{i // 10}", grade=i % 10 + 1) for i in range(rows)]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_killed_import_keeps_whole_batches_and_a_rerun_completes_it(binary, tmp_path, pg_url,
                                                                    pg_cluster):  # noqa: F811
    rows = 5 * BATCH_ROWS
    path = big_file(tmp_path / "big.csv", rows, "K")
    ok = depository(binary, tmp_path / "pg", pg_url)
    proc = subprocess.Popen(ok.argv("import", path, "--institution", INSTITUTION),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ok.env())
    deadline = time.monotonic() + 600
    try:
        while achievement_count(pg_cluster, pg_url) < BATCH_ROWS:
            assert proc.poll() is None, "the import ended before the first batch was counted"
            assert time.monotonic() < deadline, "import too slow to reach the kill point"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    n = achievement_count(pg_cluster, pg_url)
    assert n % BATCH_ROWS == 0 and BATCH_ROWS <= n < rows, n

    again = ok.import_csv(path)
    assert again.returncode == 0, again.stderr
    assert parse_report(again.stdout) == dict(read=rows, added=rows - n, updated=0,
                                              unchanged=n, rejected=0)
    assert achievement_count(pg_cluster, pg_url) == rows
    assert "Nothing changed" in ok.import_csv(path).stdout
    # Every learner whole, none twice.
    for l in (0, n // 10 - 1, n // 10, rows // 10 - 1):
        got = shown(ok, f"KK{l:08d}")
        assert [a["record_id"] for a in got] == sorted(f"K-{l * 10 + k}" for k in range(10))


def test_server_killed_mid_import_keeps_whole_batches_and_a_repost_completes_it(
        binary, tmp_path, pg_url, pg_cluster):  # noqa: F811
    """`oorkonde serve` on PostgreSQL, SIGKILLed while it imports a CSV an institution POSTed:
    the database holds whole batches only, the audit chain verifies, and the same file POSTed
    to a restarted server adds exactly what was missing."""
    rows = 5 * BATCH_ROWS
    body = big_file(tmp_path / "posted.csv", rows, "S").read_bytes()
    ok = Oorkonde(binary, tmp_path / "pg")
    ok.run("init", "--store", pg_url, check=True)
    key = api_key_from(ok.run("institution", "add", "--code", INSTITUTION, "--name",
                              "Universiteit Testdorp", "--country", "NL", check=True).stdout)

    def post(srv):
        return srv.post("/v1/results", body, key=key, ctype="text/csv")

    srv = Server(ok, "--rate-limit", 0, "--quiet", name="killed").start()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        answer = pool.submit(post, srv)
        deadline = time.monotonic() + 600
        try:
            while achievement_count(pg_cluster, pg_url) < BATCH_ROWS:
                assert not answer.done(), f"the import ended before the kill: {answer.result()}"
                assert time.monotonic() < deadline, "import too slow to reach the kill point"
                time.sleep(0.01)
        finally:
            srv.proc.send_signal(signal.SIGKILL)
            rc = srv.proc.wait(timeout=60)
            srv.proc.stdout.close()
            srv.log.close()
        with pytest.raises((OSError, http.client.HTTPException)):
            answer.result(timeout=120)  # the client sees the connection go, not an answer
    assert rc == -signal.SIGKILL, srv.log_text()[-3000:]
    n = achievement_count(pg_cluster, pg_url)
    assert n % BATCH_ROWS == 0 and BATCH_ROWS <= n < rows, n
    proc = ok.run("audit", "verify")
    assert proc.returncode == 0 and "chain intact" in proc.stdout, proc.stdout + proc.stderr

    srv = Server(ok, "--rate-limit", 0, "--quiet", name="restarted").start()
    try:
        r = post(srv)
        assert r.status == 200, r
        report = r.json()
        assert (report["added"], report["unchanged"], report["rejected"]) == (rows - n, n, 0), \
            report
        r = post(srv)
        assert r.status == 200 and r.json()["added"] == 0 and r.json()["unchanged"] == rows, r
    finally:
        srv.stop()
    assert achievement_count(pg_cluster, pg_url) == rows
    proc = ok.run("audit", "verify")
    assert proc.returncode == 0 and "chain intact" in proc.stdout, proc.stdout + proc.stderr
    # Every learner whole, none twice.
    for l in (0, n // 10 - 1, n // 10, rows // 10 - 1):
        got = shown(ok, f"SK{l:08d}")
        assert [a["record_id"] for a in got] == sorted(f"S-{l * 10 + k}" for k in range(10))


def test_audit_events_and_checkpoints_as_on_sqlite(binary, tmp_path, pg_url):
    """The bulk path appends a batch's events at once: the chain and its checkpoints (at every
    multiple of the interval, and after the interval changed) are those of SQLite."""
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text(",".join(COLUMNS) + "\n" + "".join(
        line(f"A-{i}", f"AK{i:08d}", f"Given{i}", f"Fam{i}") for i in range(1_000)),
        encoding="utf-8")
    second.write_text(",".join(COLUMNS) + "\n" + "".join(
        line(f"B-{i}", f"AK{i:08d}", f"Given{i}", f"Fam{i}") for i in range(500, 1_800)),
        encoding="utf-8")
    verified = {}
    for name, ok in (("pg", depository(binary, tmp_path / "pg", pg_url)),
                     ("lite", depository(binary, tmp_path / "lite"))):
        said = []
        for every, path in ((100, first), (37, second)):
            config = ok.data / "config.json"
            c = json.loads(config.read_text())
            c["audit_checkpoint_every"] = every
            config.write_text(json.dumps(c))
            assert ok.import_csv(path).returncode == 0
            proc = ok.run("audit", "verify")
            assert proc.returncode == 0, proc.stdout + proc.stderr
            said.append(re.search(r"(\d+) events, chain intact, (\d+) checkpoints? verified",
                                  proc.stdout).groups())
        verified[name] = said
    assert verified["pg"] == verified["lite"]
    assert int(verified["pg"][-1][1]) > 30, verified
