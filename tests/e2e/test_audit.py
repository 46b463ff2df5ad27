"""oorkonde audit verify finds an altered, removed or reordered event (naming its sequence number),
a tail cut off after a signed checkpoint, and a chain rewritten with fresh hashes; checkpoints are
made every N events whatever path appends (CLI, import batches, HTTP reads), at the server's
shutdown and by hand; audit show filters by learner, actor and time."""
import datetime
import hashlib
import json
import re
import struct

import pytest

from helpers.base import Oorkonde, bulk_csv, db_scalar
from helpers.server import Server, parse_keys
from helpers import store

INTACT_RE = re.compile(r"^(\d+) events, chain intact, (\d+) checkpoints? verified")


def set_config(ok, **values):
    path = ok.data / "config.json"
    config = json.loads(path.read_text())
    config.update(values)
    path.write_text(json.dumps(config))


def seed(ok, every=None, host=None):
    ok.run("init", *(("--host", host) if host else ()), check=True)
    if every is not None:
        set_config(ok, audit_checkpoint_every=every)
    out = ok.run("demo", "--learners", "12", check=True).stdout
    nid = out.split("--national-id ")[1].split()[0]
    ok.run("achievements", "--national-id", nid, check=True)
    return nid


@pytest.fixture(scope="module")
def seeds(binary, tmp_path_factory):
    """What seed() makes, once per module for each setting (every, host): a data folder and the
    national id it read; seeded() copies it for each test."""
    folders, databases = {}, []

    def get(every, host):
        if (every, host) not in folders:
            src = Oorkonde(binary, tmp_path_factory.mktemp("audit-seed") / "data")
            # Made during the first test that asks: kept from that test's end, dropped at the
            # module's.
            mark = len(store.made)
            nid = seed(src, every, host)
            databases.extend(store.keep_since(mark))
            folders[every, host] = (src.data, nid)
        return folders[every, host]

    yield get
    store.drop(databases)


@pytest.fixture
def ok(ok, seeds):
    """conftest.py's, with the module's seeds at hand for seeded()."""
    ok.seeds = seeds
    return ok


def seeded(ok, every=None, host=None):
    """ok made a depository with a demo of 12 learners and one read (seed()): a copy of the
    module's for the same every and host, a depository of its own that no other test touched."""
    data, nid = ok.seeds(every, host)
    store.copy_folder(data, ok.data)
    return nid


def sql(ok, *statements):
    con = store.connect(ok.data)
    with con:
        for s in statements:
            con.execute(s)
    con.close()


def head(ok):
    return db_scalar(ok.data, "SELECT max(seq) FROM audit_event")


def verify(ok):
    proc = ok.run("audit", "verify")
    assert proc.returncode in (0, 1), proc.stderr
    return proc


def intact(ok):
    proc = verify(ok)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    m = INTACT_RE.match(proc.stdout)
    assert m, proc.stdout
    return int(m.group(1)), int(m.group(2))


def file_checkpoints(ok):
    path = ok.data / "audit-checkpoints"
    if not path.exists():
        return []
    return [int(line.split()[1]) for line in path.read_text().splitlines()]


def table_checkpoints(ok):
    con = store.connect(ok.data)
    try:
        return [r[0] for r in con.execute("SELECT seq FROM audit_checkpoint ORDER BY seq")]
    finally:
        con.close()


def test_intact_chain(ok):
    seeded(ok)
    events, checkpoints = intact(ok)
    assert events == head(ok) > 10
    assert checkpoints == 0  # fewer events than the default 10,000


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_altered_event_is_named(ok, where):
    seeded(ok)
    seq = {"first": 1, "middle": 4, "last": head(ok)}[where]
    sql(ok, f"UPDATE audit_event SET purpose = 'curiosity' WHERE seq = {seq}")
    proc = verify(ok)
    assert proc.returncode == 1
    assert f"Audit chain broken at event {seq}: event {seq} was altered" in proc.stdout


@pytest.mark.parametrize("column,value", [("actor", "'operator2'"), ("at_ms", "at_ms + 1"),
                                          ("subject", "''"), ("detail", "'x'"),
                                          ("hash", "zeroblob(32)")])
def test_any_column_altered_is_found(ok, column, value):
    seeded(ok)
    sql(ok, f"UPDATE audit_event SET {column} = {value} WHERE seq = 5")
    proc = verify(ok)
    assert proc.returncode == 1
    assert "Audit chain broken at event 5" in proc.stdout


@pytest.mark.parametrize("seq", [1, 6])
def test_removed_event_is_named(ok, seq):
    seeded(ok)
    sql(ok, f"DELETE FROM audit_event WHERE seq = {seq}")
    proc = verify(ok)
    assert proc.returncode == 1
    assert f"Audit chain broken at event {seq}: event {seq} was removed" in proc.stdout
    assert f"event {seq + 1} follows" in proc.stdout


def test_removed_events_are_named(ok):
    seeded(ok)
    sql(ok, "DELETE FROM audit_event WHERE seq BETWEEN 3 AND 5")
    proc = verify(ok)
    assert proc.returncode == 1
    assert "Audit chain broken at event 3: events 3 to 5 were removed" in proc.stdout


def test_swapped_events_are_found(ok):
    seeded(ok)
    sql(ok, "UPDATE audit_event SET seq = -1 WHERE seq = 3",
        "UPDATE audit_event SET seq = 3 WHERE seq = 2",
        "UPDATE audit_event SET seq = 2 WHERE seq = -1")
    proc = verify(ok)
    assert proc.returncode == 1
    assert "Audit chain broken at event 2: event 2 does not link to event 1" in proc.stdout


def test_swapped_contents_are_found(ok):
    seeded(ok)
    cols = "at_ms, actor, action, subject, purpose, detail, prev_hash, hash"
    sql(ok, "CREATE TABLE tmp AS SELECT * FROM audit_event WHERE seq IN (7, 8)",
        f"UPDATE audit_event SET ({cols}) = (SELECT {cols} FROM tmp WHERE seq = 8) WHERE seq = 7",
        f"UPDATE audit_event SET ({cols}) = (SELECT {cols} FROM tmp WHERE seq = 7) WHERE seq = 8",
        "DROP TABLE tmp")
    proc = verify(ok)
    assert proc.returncode == 1
    assert "Audit chain broken at event 7" in proc.stdout


def test_truncated_tail_after_checkpoint(ok):
    seeded(ok, every=5)
    total = head(ok)
    assert file_checkpoints(ok) == table_checkpoints(ok) == list(range(5, total + 1, 5))
    last = file_checkpoints(ok)[-1]
    cut = last - 2
    sql(ok, f"DELETE FROM audit_event WHERE seq > {cut}")
    proc = verify(ok)
    assert proc.returncode == 1
    assert proc.stdout.startswith(f"The log was cut after event {cut}: checkpoint at {last} "
                                  f"signed "), proc.stdout
    # Cutting the checkpoint rows too: the file in the data folder still tells.
    sql(ok, f"DELETE FROM audit_checkpoint WHERE seq > {cut}")
    proc = verify(ok)
    assert proc.returncode == 1
    assert f"The log was cut after event {cut}: checkpoint at {last}" in proc.stdout
    assert "audit-checkpoints line" in proc.stdout


def test_tail_cut_without_checkpoint_needs_one(ok):
    """Without a checkpoint past the cut, a cut tail is indistinguishable from a shorter log:
    that is why the server signs the head when it stops (test below)."""
    seeded(ok, every=0)
    sql(ok, f"DELETE FROM audit_event WHERE seq > {head(ok) - 2}")
    assert verify(ok).returncode == 0


def blake2b_event(prev, seq, at_ms, actor, action, subject, purpose, detail):
    """An event's hash as docs/architecture.md states it (chain form v2): the time, action and
    a digest of the details, so that a tombstone keeping the digest still verifies."""
    def texts(h, *values):
        for text in values:
            b = text.encode()
            h.update(struct.pack(">Q", len(b)))
            h.update(b)

    details = hashlib.blake2b(digest_size=32)
    details.update(b"oorkonde audit details v2")
    texts(details, actor, subject, purpose, detail)
    h = hashlib.blake2b(digest_size=32)
    h.update(b"oorkonde audit v2")
    h.update(prev)
    h.update(struct.pack(">QQ", seq, at_ms))
    texts(h, action)
    h.update(details.digest())
    return h.digest()


def test_rewritten_chain_is_found_by_checkpoint(ok):
    """Someone with the database (not the issuer key) alters an event and recomputes every hash
    after it: the chain links up again, but no longer reaches the signed heads."""
    seeded(ok, every=4)
    con = store.connect(ok.data)
    with con:
        rows = con.execute("SELECT seq, at_ms, actor, action, subject, purpose, detail "
                           "FROM audit_event ORDER BY seq").fetchall()
        prev = bytes(32)
        for seq, at_ms, actor, action, subject, purpose, detail in rows:
            if seq == 6:
                purpose = "curiosity"
            h = blake2b_event(prev, seq, at_ms, actor, action, subject, purpose, detail)
            con.execute("UPDATE audit_event SET purpose = ?, prev_hash = ?, hash = ? "
                        "WHERE seq = ?", (purpose, prev, h, seq))
            prev = h
    con.close()
    proc = verify(ok)
    assert proc.returncode == 1
    assert ("Audit chain broken at event 5: events 5 to 8 were altered and the chain "
            "recomputed") in proc.stdout, proc.stdout


def test_recomputed_hash_matches_ours(ok):
    """The test above relies on recomputing the chain as oorkonde does: check that first, so
    that it cannot pass for the wrong reason."""
    seeded(ok)
    con = store.connect(ok.data)
    rows = con.execute("SELECT seq, at_ms, actor, action, subject, purpose, detail, prev_hash, "
                       "hash FROM audit_event ORDER BY seq LIMIT 5").fetchall()
    con.close()
    for seq, at_ms, actor, action, subject, purpose, detail, prev, h in rows:
        assert blake2b_event(prev, seq, at_ms, actor, action, subject, purpose, detail) == h


def test_forged_or_altered_checkpoint(ok):
    seeded(ok, every=5)
    lines = (ok.data / "audit-checkpoints").read_text().splitlines()
    fields = lines[0].split()
    # Another head hash in the file: the signature no longer holds, and the store disagrees.
    fields[4] = "00" * 32
    (ok.data / "audit-checkpoints").write_text("\n".join([" ".join(fields)] + lines[1:]) + "\n")
    proc = verify(ok)
    assert proc.returncode == 1
    assert "checkpoint at event 5" in proc.stdout
    # In the store only (the file put back): the signature does not hold.
    (ok.data / "audit-checkpoints").write_text("\n".join(lines) + "\n")
    intact(ok)
    sql(ok, "UPDATE audit_checkpoint SET at_ms = at_ms + 1 WHERE seq = 10")
    proc = verify(ok)
    assert proc.returncode == 1
    assert "checkpoint at event 10" in proc.stdout


def test_checkpoint_by_hand(ok):
    seeded(ok, every=0)
    n = head(ok)
    proc = ok.run("audit", "checkpoint", check=True)
    first, keep, line = proc.stdout.strip().splitlines()
    assert re.match(rf"Checkpoint at event {n} signed \S+Z by issuer key 1$", first)
    # The newest checkpoint line, for the operator to keep off the machine.
    assert keep.startswith("Keep a copy of this line off the machine")
    assert line == (ok.data / "audit-checkpoints").read_text().splitlines()[-1]
    assert line.startswith(f"v2 {n} ") and line.endswith(" 0")
    proc = ok.run("audit", "checkpoint", check=True)
    assert f"Event {n} has a checkpoint already" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == line
    assert file_checkpoints(ok) == table_checkpoints(ok) == [n]
    assert intact(ok) == (n, 1)


def test_checkpoint_of_empty_log(ok):
    ok.run("init", check=True)
    proc = ok.run("audit", "checkpoint")
    assert proc.returncode == 1
    assert "empty" in proc.stdout


def test_bad_checkpoint_setting_is_refused(ok):
    ok.run("init", check=True)
    set_config(ok, audit_checkpoint_every="often")
    proc = ok.run("audit", "verify")
    assert proc.returncode == 2
    assert "audit_checkpoint_every" in proc.stderr


def test_checkpoint_at_shutdown(ok):
    ok.run("init", check=True)
    out = ok.run("demo", "--learners", "12", check=True).stdout
    keys = parse_keys(out)
    nid = out.split("--national-id ")[1].split()[0]
    srv = Server(ok).start()
    try:
        r = srv.get(f"/v1/achievements?national_id={nid}", key=keys["21PB"])
        assert r.status == 200, r
    finally:
        srv.stop()
    n = head(ok)
    assert db_scalar(ok.data, "SELECT action FROM audit_event WHERE seq = ?", n) == "learner.read"
    assert file_checkpoints(ok) == table_checkpoints(ok) == [n]
    assert f"audit checkpoint at event {n}" in srv.log_text()
    assert intact(ok) == (n, 1)
    # An institution is all its keys: the server's read is the institution's.
    reads = show_json(ok, "--actor", "institution:21PB")
    assert [e["seq"] for e in reads] == [n]
    assert reads[0]["actor"].startswith("institution:21PB/key:")
    assert reads[0]["purpose"] == "registration"
    assert show_json(ok, "--actor", "institution:21P") == []
    # The last event (the server's read) cut off: found.
    sql(ok, f"DELETE FROM audit_event WHERE seq = {n}")
    proc = verify(ok)
    assert proc.returncode == 1
    assert f"The log was cut after event {n - 1}: checkpoint at {n}" in proc.stdout


def test_checkpoint_every_n_on_every_path(ok, tmp_path):
    """CLI commands, import batches (many events in one transaction, events per batch) and HTTP
    reads on the server's threads all append through one place: a checkpoint lands exactly on
    every multiple of N."""
    every = 3
    ok.run("init", check=True)
    set_config(ok, audit_checkpoint_every=every)
    key_out = ok.run("institution", "add", "--code", "21XX", "--name", "Test", "--country", "NL",
                     check=True).stdout
    key = re.search(r"API key \(shown once[^)]*\): (\S+)", key_out).group(1)
    # One import: 2,050 learners in 3 batches of 10,000 rows (conftest.py), each one transaction.
    csv = bulk_csv(tmp_path / "bulk.csv", 20_500, prefix="CP")
    ok.run("import", csv, "--institution", "21XX", check=True)
    assert db_scalar(ok.data, "SELECT count(*) FROM audit_event WHERE action = 'import.batch'") \
        == 3
    assert head(ok) >= 3 + 2_050
    srv = Server(ok).start()
    try:
        for i in range(7):
            r = srv.get(f"/v1/achievements?national_id=CP{i:08d}", key=key)
            assert r.status == 200, r
        # Filed as each read's transaction commits, before the server stops.
        expected = list(range(every, head(ok) + 1, every))
        assert table_checkpoints(ok) == expected
        assert file_checkpoints(ok) == expected
    finally:
        srv.stop()
    n = head(ok)
    expected = list(range(every, n + 1, every))
    if n % every:
        expected.append(n)  # the shutdown checkpoint
    assert table_checkpoints(ok) == file_checkpoints(ok) == expected
    assert intact(ok) == (n, len(expected))


def test_dry_run_import_leaves_no_checkpoint(ok, tmp_path):
    ok.run("init", check=True)
    set_config(ok, audit_checkpoint_every=2)
    ok.run("institution", "add", "--code", "21XX", "--name", "Test", "--country", "NL",
           check=True)
    before = table_checkpoints(ok)
    csv = bulk_csv(tmp_path / "bulk.csv", 100, prefix="DR")
    ok.run("import", csv, "--institution", "21XX", "--dry-run", check=True)
    assert table_checkpoints(ok) == before == file_checkpoints(ok)
    intact(ok)


def learner_id(ok, nid):
    return ok.run("achievements", "--national-id", nid, check=True).stdout.split()[1].rstrip(":")


def show_json(ok, *args):
    proc = ok.run("audit", "show", "--json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_show_lists_reads_with_purpose(ok):
    seeded(ok)
    out = ok.run("audit", "show", "--actor", "operator", check=True).stdout
    assert "learner.read" in out and "administration" in out
    assert "import.batch" in out


def test_show_learner_filter(ok):
    nid = seeded(ok)
    lid = learner_id(ok, nid)
    achievement = db_scalar(ok.data, "SELECT id FROM achievement WHERE learner_id = ? LIMIT 1",
                            lid)
    ok.run("issue", achievement, "-o", ok.data.parent / "c.json", check=True)
    events = show_json(ok, "--learner-id", lid)
    assert events
    assert all(e["subject"] in (lid, achievement) for e in events)
    actions = [e["action"] for e in events]
    assert "learner.write" in actions and "learner.read" in actions
    assert "credential.issue" in actions  # about one of the learner's achievements
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs))
    # Another learner's events are not among them.
    other = db_scalar(ok.data, "SELECT id FROM learner WHERE id <> ? LIMIT 1", lid)
    assert all(e["subject"] != other for e in events)
    assert show_json(ok, "--learner-id", "0" * 24) == []


def test_show_actor_filter(ok):
    seeded(ok)
    assert {e["actor"] for e in show_json(ok, "--actor", "operator")} == {"operator"}
    assert show_json(ok, "--actor", "institution:21PB") == []
    assert len(show_json(ok, "--actor", "op*")) == len(show_json(ok, "--actor", "operator"))
    assert show_json(ok, "--actor", "nobody") == []


def test_show_since_filter(ok):
    seeded(ok)
    now = datetime.datetime.now(datetime.timezone.utc)
    everything = show_json(ok)
    assert len(everything) == head(ok)
    assert show_json(ok, "--since", (now - datetime.timedelta(days=1)).strftime("%Y-%m-%d")) \
        == everything
    assert show_json(ok, "--since", (now + datetime.timedelta(days=2)).strftime("%Y-%m-%d")) == []
    # A date-time with an offset: one hour ahead of UTC, an hour ago is two hours on the clock.
    ago = (now - datetime.timedelta(hours=1)).astimezone(
        datetime.timezone(datetime.timedelta(hours=1)))
    assert show_json(ok, "--since", ago.strftime("%Y-%m-%dT%H:%M:%S+01:00")) == everything
    later = (now + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert show_json(ok, "--since", later) == []
    # Time and sequence together.
    assert [e["seq"] for e in show_json(ok, "--after", "3", "--since", "2020-01-01")] == \
        list(range(4, head(ok) + 1))


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-02-30", "2026-01-31T25:00",
                                   "2026-01-31T10:00:00+1", "2026-01-31x", "17"])
def test_show_refuses_bad_since(ok, value):
    ok.run("init", check=True)
    proc = ok.run("audit", "show", "--since", value)
    assert proc.returncode == 2
    assert "--since takes an ISO 8601 date" in proc.stderr


def test_checkpoints_survive_issuer_key_rotation(ok):
    """A checkpoint signed by the key before a rotation still verifies (the old key stays in
    issuer.key until it is retired)."""
    if ok.run("keys", "--help").returncode != 0:
        pytest.skip("key rotation (issue 6, keys rotate-issuer-key) is not in this binary yet")
    nid = seeded(ok, every=0, host="localhost:8080")  # a did:web: its key can be rotated
    ok.run("audit", "checkpoint", check=True)
    ok.run("keys", "rotate-issuer-key", check=True)
    ok.run("achievements", "--national-id", nid, check=True)
    proc = ok.run("audit", "checkpoint", check=True)
    assert "by issuer key 2" in proc.stdout, proc.stdout
    assert intact(ok)[1] == 2
    assert [line.split()[3] for line in
            (ok.data / "audit-checkpoints").read_text().splitlines()] == ["1", "2"]
    # Retired, the old key leaves issuer.key; its checkpoint is still known by the key history.
    ok.run("keys", "retire-issuer-key", "1", "--force", check=True)
    assert intact(ok)[1] == 2
    # A checkpoint claiming the retired key's id with another key is not.
    sql(ok, "UPDATE audit_checkpoint SET public_key = (SELECT public_key FROM audit_checkpoint "
        "WHERE key_id = 2) WHERE key_id = 1")
    assert "checkpoint at event" in verify(ok).stdout


def sign_checkpoint(sk, seq, at_ms, key_id, head_hash, every):
    msg = (b"oorkonde audit checkpoint v2" + struct.pack(">QQ", seq, at_ms) +
           struct.pack(">I", key_id) + head_hash + struct.pack(">Q", every))
    return sk.sign(msg)


def test_forged_checkpoints_with_a_fake_retired_key(ok):
    """Someone with the database and the data folder, but not the issuer key, records a
    "retired" issuer key of their own in the database, rewrites events, recomputes the chain and
    re-signs every checkpoint with that key: the database is no trust anchor for retired keys
    (issuer.key.retired beside issuer.key is), so verify refuses the signatures."""
    ed = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")
    from cryptography.hazmat.primitives import serialization
    seeded(ok, every=4)
    sk = ed.Ed25519PrivateKey.generate()
    pk = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    fake_id = 77
    con = store.connect(ok.data)
    with con:
        con.execute("INSERT INTO issuer_key (key_id, public_key, added_ms, superseded_ms, "
                    "retired_ms) VALUES (?, ?, 1, 2, 3)", (fake_id, pk))
        rows = con.execute("SELECT seq, at_ms, actor, action, subject, purpose, detail "
                           "FROM audit_event ORDER BY seq").fetchall()
        prev, hashes = bytes(32), {}
        for seq, at_ms, actor, action, subject, purpose, detail in rows:
            if seq == 6:
                purpose = "curiosity"
            h = blake2b_event(prev, seq, at_ms, actor, action, subject, purpose, detail)
            con.execute("UPDATE audit_event SET purpose = ?, prev_hash = ?, hash = ? "
                        "WHERE seq = ?", (purpose, prev, h, seq))
            hashes[seq] = prev = h
        lines = []
        for seq, at_ms, every in con.execute(
                "SELECT seq, at_ms, every FROM audit_checkpoint ORDER BY seq").fetchall():
            sig = sign_checkpoint(sk, seq, at_ms, fake_id, hashes[seq], every)
            con.execute("UPDATE audit_checkpoint SET head = ?, key_id = ?, public_key = ?, "
                        "signature = ? WHERE seq = ?", (hashes[seq], fake_id, pk, sig, seq))
            lines.append(f"v2 {seq} {at_ms} {fake_id} {hashes[seq].hex()} {pk.hex()} "
                         f"{sig.hex()} {every}")
    con.close()
    (ok.data / "audit-checkpoints").write_text("\n".join(lines) + "\n")
    proc = verify(ok)
    assert proc.returncode == 1, proc.stdout
    assert "does not carry a valid signature by the depository's issuer key" in proc.stdout
    assert "checkpoint at event 4 " in proc.stdout


def test_deleted_periodic_checkpoints_are_missed(ok):
    """Each checkpoint signs the interval: the next multiple of it must have a checkpoint too.
    Deleting the checkpoints (rows and lines) after a cut, or after a rewrite, shows."""
    seeded(ok, every=4)
    total = head(ok)
    assert total >= 14
    assert table_checkpoints(ok) == file_checkpoints(ok) == list(range(4, total + 1, 4))
    lines = (ok.data / "audit-checkpoints").read_text().splitlines()
    assert all(line.startswith("v2 ") and line.endswith(" 4") for line in lines)
    # The events kept (a rewrite after event 5, say), the checkpoints after 5 deleted.
    sql(ok, "DELETE FROM audit_checkpoint WHERE seq > 5")
    (ok.data / "audit-checkpoints").write_text(lines[0] + "\n")
    proc = verify(ok)
    assert proc.returncode == 1, proc.stdout
    assert ("the checkpoint after event 8 is missing (the checkpoint at event 4 was signed "
            "with a checkpoint every 4 events): the log may have been cut or rewritten "
            "after it") in proc.stdout, proc.stdout
    # The tail cut too, past the next multiple: still found.
    sql(ok, "DELETE FROM audit_event WHERE seq > 10")
    proc = verify(ok)
    assert proc.returncode == 1, proc.stdout
    assert "the checkpoint after event 8 is missing" in proc.stdout
    # Cut to just after the kept checkpoint, before the next multiple: nothing in the data
    # folder tells; only a copy of the latest checkpoint line kept elsewhere does.
    sql(ok, "DELETE FROM audit_event WHERE seq > 5")
    assert intact(ok) == (5, 1)
    # Every checkpoint deleted: the configured interval stands in.
    sql(ok, "DELETE FROM audit_checkpoint")
    (ok.data / "audit-checkpoints").write_text("")
    proc = verify(ok)
    assert proc.returncode == 1, proc.stdout
    assert "the checkpoint after event 4 is missing" in proc.stdout


def test_changed_interval_is_signed(ok):
    """A new audit_checkpoint_every is signed at the first event appended under it, so verify
    holds the log to the interval in force at each point."""
    nid = seeded(ok, every=4)
    before = table_checkpoints(ok)
    set_config(ok, audit_checkpoint_every=0)
    n = head(ok)
    ok.run("achievements", "--national-id", nid, check=True)
    after = table_checkpoints(ok)
    assert after[:len(before)] == before
    assert after[len(before)] == n + 1
    assert (ok.data / "audit-checkpoints").read_text().splitlines()[-1].endswith(" 0")
    assert intact(ok)[1] == len(after)
