"""Crash consistency (issue 8): SIGKILL at random moments, then prove nothing was lost or
half-written.

- `oorkonde import` of a large CSV, killed at a random moment of its run (IMPORT_RUNS runs): a
  random time after a number of its batches is seen committed, so that it is killed mid-run on
  either store however fast the import goes; the runs take every number of committed batches in
  turn (none, one, two), so that each kind of kill point is hit however few the runs;
- `oorkonde serve` during a burst of revocations (POST /v1/achievements/{id}/revoke, several
  clients at once) and imports (POST /v1/results, text/csv), killed at a random moment
  (SERVE_RUNS runs).

After each kill: `PRAGMA integrity_check` is ok, foreign keys hold, and the audit chain is intact
(recomputed here from src/audit/chain.c's definition). Then the interrupted operation is run
again to its end (every revocation and import sent again; 409 "already revoked" is the answer a
revocation that did commit gets) and the state must be exactly that of an uninterrupted run from
the same starting folder: every achievement's content, status and version, the history of every
change, and which achievements belong to which learner. Status-list indexes are drawn at random
by design (src/registry/status.c) and are compared only for the rows that existed before.

A data-key rotation is not part of this yet: oorkonde has no key rotation (no command, no API).

Replay: the master seed is printed (pytest -s), with each run's kill delay; OK_CRASH_SEED=<seed>
replays the same choices (the kill lands at the same delay, after the same number of committed
batches for an import; what was in flight then depends on timing). OK_CRASH_IMPORT_RUNS / OK_CRASH_SERVE_RUNS change the number of runs.
"""
import concurrent.futures
import http.client
import os
import pathlib
import random
import shutil
import signal
import subprocess
import time

import pytest

from helpers import store
from helpers.base import INSTITUTION, SANITIZED, Oorkonde, bulk_csv, db_readonly
from helpers.consistency import check_consistent, state
from helpers.server import Server

# Every number of committed batches is hit twice (IMPORT_ROWS: three batches, one under the
# sanitizers), each after a random part of the next batch.
IMPORT_RUNS = int(os.environ.get("OK_CRASH_IMPORT_RUNS", 4 if SANITIZED else 6))
SERVE_RUNS = int(os.environ.get("OK_CRASH_SERVE_RUNS", 6 if SANITIZED else 10))
IMPORT_ROWS = 6_000 if SANITIZED else 30_000      # 3 batches of 10,000 when not sanitized
TEMPLATE_ROWS = 600 if SANITIZED else 2_000       # what the server's folder starts with
REVOCATIONS = 60 if SANITIZED else 300
HTTP_IMPORTS = 3                                  # CSV bodies posted during the burst
HTTP_IMPORT_ROWS = 1_500 if SANITIZED else 5_000
CLIENTS = 4

MASTER_SEED = int(os.environ.get("OK_CRASH_SEED", random.randrange(1 << 30)))


def seed_for(scenario):
    """One stream of choices per scenario, all from the master seed."""
    return random.Random(f"{MASTER_SEED}/{scenario}")


def assert_same_state(got, want, where):
    assert got["learners"] == want["learners"], f"{where}: learner counts differ"
    assert len(got["rows"]) == len(want["rows"]), f"{where}: achievement counts differ"
    for a, b in zip(got["rows"], want["rows"]):
        assert a == b, f"{where}: first differing achievement"
    assert got["history"] == want["history"], f"{where}: achievement histories differ"
    assert got["groups"] == want["groups"], f"{where}: records grouped into learners differently"
    assert got["slots"] == want["slots"], f"{where}: status-list slots of old records moved"


def new_folder(binary, folder):
    ok = Oorkonde(binary, folder)
    ok.init()
    key = ok.add_institution()
    return ok, key


# 1. SIGKILL `oorkonde import`.

BATCH = 10_000  # the e2e tests' batch (conftest.py; the default is 100,000)


def empty_folder(binary, template, folder):
    """A depository as template is before any import: a copy of its folder, and on PostgreSQL of
    its database, into a new one (store.copy_folder)."""
    ok = Oorkonde(binary, folder)
    store.copy_folder(template.data, ok.data)
    return ok


def committed_rows(conn):
    return conn.execute("SELECT count(*) FROM achievement").fetchone()[0]


def test_kill_import_at_random_moments(binary, tmp_path):
    rnd = seed_for("import")
    print(f"\nOK_CRASH_SEED={MASTER_SEED} import: {IMPORT_RUNS} runs, {IMPORT_ROWS} rows")
    csv_path = bulk_csv(tmp_path / "big.csv", IMPORT_ROWS, prefix="CK")
    batches = (IMPORT_ROWS + BATCH - 1) // BATCH
    template, _ = new_folder(binary, tmp_path / "template")

    clean = empty_folder(binary, template, tmp_path / "clean")
    t0 = time.monotonic()
    proc = clean.import_csv(csv_path)
    full = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr
    want = state(clean.data)
    check_consistent(clean.data, "clean import")
    print(f"clean import {full * 1000:.0f} ms")

    # The kill lands at a point the test sees: once `wait` batches are committed (watched in the
    # database), after a random part of the time one batch takes. Waiting at most half a batch
    # after a commit that leaves at least one batch to go, the import is still running, however
    # fast the machine or the store: a kill that comes too late is the rare exception.
    run = attempts = 0
    part = full / batches
    while run < IMPORT_RUNS:
        attempts += 1
        assert attempts <= 3 * IMPORT_RUNS, "the kills keep coming after the import is done"
        wait = run % batches
        delay = rnd.uniform(0.0, 0.5) * part
        where = (f"OK_CRASH_SEED={MASTER_SEED} import run {run} (kill {delay * 1000:.0f} ms "
                 f"after {wait} batches)")
        ok = empty_folder(binary, template, tmp_path / f"run{attempts}")
        p = subprocess.Popen(ok.argv("import", csv_path, "--institution", INSTITUTION),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ok.env())
        # One connection for the whole watch (on PostgreSQL a connection per look is a server
        # process each time), looking every fiftieth of a batch.
        with db_readonly(ok.data) as conn:
            while wait and p.poll() is None and committed_rows(conn) < wait * BATCH:
                time.sleep(max(0.002, part / 50))
        time.sleep(delay)
        killed = p.poll() is None
        if killed:
            p.send_signal(signal.SIGKILL)
        rc = p.wait(timeout=60)
        stderr = p.stderr.read().decode(errors="replace")
        p.stderr.close()
        assert rc == (-signal.SIGKILL if killed else 0), f"{where}: exit {rc}: {stderr}"
        with db_readonly(ok.data) as conn:
            committed = conn.execute("SELECT count(*) FROM achievement").fetchone()[0]
        print(f"run {run}: kill {delay * 1000:.0f} ms after {wait} batches: "
              f"{'killed' if killed else 'already done'}, {committed} rows committed")
        assert committed % BATCH == 0 or committed == IMPORT_ROWS, \
            f"{where}: {committed} rows committed: part of a batch"
        check_consistent(ok.data, where + ", after the kill")
        proc = ok.import_csv(csv_path)
        assert proc.returncode == 0, f"{where}: re-run: {proc.stderr}"
        check_consistent(ok.data, where + ", after the re-run")
        assert_same_state(state(ok.data), want, where)
        shutil.rmtree(ok.data)
        if killed:
            run += 1
        else:  # too late to interrupt (the last batch went faster than most): not counted
            part *= 0.7
    print(f"{run} imports killed in {attempts} attempts")


# 2. SIGKILL `oorkonde serve` during revocations and imports over HTTP.

def post_retrying(srv, path, body, key, ctype=None, tries=50):
    """POST, retrying while the store is busy (503 + Retry-After); the final response."""
    for _ in range(tries):
        r = srv.post(path, body, key=key, ctype=ctype)
        if r.status != 503:
            return r
        time.sleep(0.05)
    return r


def burst(srv, key, ids, csvs, tolerate_down=False):
    """All revocations (CLIENTS at once) and the CSV imports (one client, in order). Each
    answer must be 200, or 409 for a revocation already done; with tolerate_down, a connection
    error (the server was killed) ends that client's work."""
    def revoke(i):
        try:
            r = post_retrying(srv, f"/v1/achievements/{i}/revoke", {"reason": f"crash {i}"},
                              key)
        except (OSError, http.client.HTTPException):
            if tolerate_down:
                return None
            raise
        assert r.status in (200, 409), (i, r)
        if r.status == 409:
            assert "final" in r.json()["detail"] or "revoked" in r.json()["detail"], r
        return r.status

    def imports():
        out = []
        for body in csvs:
            try:
                r = post_retrying(srv, "/v1/results", body, key, ctype="text/csv")
            except (OSError, http.client.HTTPException):
                if tolerate_down:
                    return out
                raise
            assert r.status == 200, r
            out.append(r.json())
        return out

    with concurrent.futures.ThreadPoolExecutor(CLIENTS + 1) as pool:
        imp = pool.submit(imports)
        answers = list(pool.map(revoke, ids))
        return answers, imp.result()


def server_folder(binary, tmp_path):
    ok, key = new_folder(binary, tmp_path / "template")
    proc = ok.import_csv(bulk_csv(tmp_path / "template.csv", TEMPLATE_ROWS, prefix="TP"))
    assert proc.returncode == 0, proc.stderr
    with db_readonly(ok.data) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM achievement ORDER BY record_id")]
    return ok, key, ids


def test_kill_serve_during_revocations_and_imports(binary, tmp_path):
    rnd = seed_for("serve")
    print(f"\nOK_CRASH_SEED={MASTER_SEED} serve: {SERVE_RUNS} runs, {REVOCATIONS} revocations "
          f"and {HTTP_IMPORTS} x {HTTP_IMPORT_ROWS} rows over HTTP")
    template, key, ids = server_folder(binary, tmp_path)
    csvs = [bulk_csv(tmp_path / f"http{k}.csv", HTTP_IMPORT_ROWS, prefix=f"H{k}").read_bytes()
            for k in range(HTTP_IMPORTS)]
    # The same revocations in every run (chosen once), so that the clean state is one state.
    targets = rnd.sample(ids, REVOCATIONS)

    clean = Oorkonde(binary, tmp_path / "clean")
    shutil.copytree(template.data, clean.data)
    srv = Server(clean, "--rate-limit", 0, "--quiet", name="clean").start()
    t0 = time.monotonic()
    answers, reports = burst(srv, key, targets, csvs)
    full = time.monotonic() - t0
    srv.stop()
    assert answers == [200] * REVOCATIONS
    assert [r["added"] for r in reports] == [HTTP_IMPORT_ROWS] * HTTP_IMPORTS
    check_consistent(clean.data, "clean run")
    want = state(clean.data, ids)
    print(f"clean burst {full * 1000:.0f} ms")

    run = attempts = 0
    span = full
    while run < SERVE_RUNS:
        attempts += 1
        assert attempts <= 3 * SERVE_RUNS, "the kills keep coming after the burst is done"
        delay = rnd.uniform(0.02, 0.95) * span
        where = f"OK_CRASH_SEED={MASTER_SEED} serve run {run} (kill after {delay * 1000:.0f} ms)"
        ok = Oorkonde(binary, tmp_path / f"run{attempts}")
        shutil.copytree(template.data, ok.data)
        srv = Server(ok, "--rate-limit", 0, "--quiet", name=f"run{attempts}").start()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            work = pool.submit(burst, srv, key, targets, csvs, True)
            time.sleep(delay)
            killed = srv.proc.poll() is None and not work.done()
            srv.proc.send_signal(signal.SIGKILL)
            rc = srv.proc.wait(timeout=60)
            answers, reports = work.result(timeout=120)
        srv.proc.stdout.close()
        srv.log.close()
        assert rc == -signal.SIGKILL, f"{where}: server exited {rc}:\n{srv.log_text()[-3000:]}"
        with db_readonly(ok.data) as conn:
            revoked = conn.execute("SELECT count(*) FROM achievement WHERE status = 'revoked'"
                                   ).fetchone()[0]
            rows = conn.execute("SELECT count(*) FROM achievement").fetchone()[0]
        acked = sum(1 for a in answers if a == 200)
        print(f"run {run}: kill after {delay * 1000:.0f} ms: "
              f"{'killed' if killed else 'already done'}: {acked} revocations answered, "
              f"{revoked} stored; {len(reports)} imports answered, {rows - TEMPLATE_ROWS} rows "
              f"stored")
        # What was answered 200 is stored (durability of acknowledged writes).
        assert revoked >= acked, f"{where}: {acked} revocations acknowledged, {revoked} stored"
        assert rows - TEMPLATE_ROWS >= sum(r["added"] for r in reports), where
        check_consistent(ok.data, where + ", after the kill")

        # Re-run the interrupted operation: everything sent again.
        srv = Server(ok, "--rate-limit", 0, "--quiet", name=f"rerun{attempts}").start()
        answers, reports = burst(srv, key, targets, csvs)
        srv.stop()
        assert sorted(set(answers)) in ([200], [409], [200, 409]), where
        check_consistent(ok.data, where + ", after the re-run")
        assert_same_state(state(ok.data, ids), want, where)
        shutil.rmtree(ok.data)
        if killed:
            run += 1
        else:
            span *= 0.7
    print(f"{run} servers killed in {attempts} attempts")
