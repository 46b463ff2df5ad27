"""Personal data is sealed at rest: a byte search of the database, its WAL and shared memory for
imported names, national ids and birth dates finds nothing, while `achievements` still shows
them; every read of a learner is in the hash-chained audit log."""
import re

import pytest

from helpers.base import db_bytes, db_readonly, make_row, write_csv

LEARNERS = [
    dict(national_id="QZ77310455", given_names="Xanthippe Łucja", family_name="Quarmby-Ørsted",
         birth_date="1973-11-29"),
    dict(national_id="840213578", given_names="Bartholomew", family_name="Zwanenburg",
         birth_date="1981-04-17"),
    dict(national_id="DE-ZX-99-1234", given_names="Çağla Şükriye", family_name="Ğümüşoğlu",
         birth_date="1988-08-08"),
]


def rows():
    out = []
    for i, person in enumerate(LEARNERS):
        for k in range(3):
            out.append(make_row(record_id=f"P{i}-{k}", title=f"Course {k}",
                                awarded_on=f"201{k}-06-30", **person))
    return out


def needles():
    """Every personal value, and the parts of it, as UTF-8 bytes."""
    found = set()
    for p in LEARNERS:
        nid = p["national_id"]
        found |= {nid, re.sub(r"[-. ]", "", nid).upper(), p["birth_date"],
                  p["given_names"], p["family_name"],
                  f"{p['given_names']} {p['family_name']}"}
        found |= set(p["given_names"].split())
    return sorted(n.encode("utf-8") for n in found)


def assert_nothing_in_clear(data):
    files = db_bytes(data)
    for name, content in files.items():
        for n in needles():
            assert n not in content, f"{n.decode()!r} is stored in clear in {name}"
    return files


def test_database_holds_no_personal_data_in_clear(inst, tmp_path):
    proc = inst.import_csv(write_csv(tmp_path / "p.csv", rows()))
    assert proc.returncode == 0, proc.stderr
    for p in LEARNERS:
        shown = inst.achievements(p["national_id"])
        assert shown.returncode == 0, shown.stderr
        assert f"{p['given_names']} {p['family_name']}, born {p['birth_date']}" in shown.stdout
    assert_nothing_in_clear(inst.data)


def test_wal_holds_no_personal_data_in_clear(inst, tmp_path):
    """A second connection keeps the WAL from being checkpointed away, so it can be searched."""
    with db_readonly(inst.data) as reader:
        reader.execute("SELECT count(*) FROM learner").fetchone()
        proc = inst.import_csv(write_csv(tmp_path / "p.csv", rows()))
        assert proc.returncode == 0, proc.stderr
        for p in LEARNERS:
            assert inst.achievements(p["national_id"]).returncode == 0
        files = assert_nothing_in_clear(inst.data)
        # On PostgreSQL (OORKONDE_TEST_STORE=pg) what is searched is a dump of the database.
        assert len(files.get("oorkonde.db-wal", files.get("pg_dump", b""))) > 0, \
            "expected a WAL to search"
        # The WAL holds the import: the (non-personal) titles are there in clear.
        assert b"Course 1" in b"".join(files.values())


def test_identity_conflict_leaves_nothing_in_clear(inst, tmp_path):
    # A different name for a registered national id is an identity conflict: refused, and the
    # refused name is nowhere in the data folder (a correction is the operator's, explicitly).
    assert inst.import_csv(write_csv(tmp_path / "a.csv", rows())).returncode == 0
    renamed = rows()
    for r in renamed:
        if r["national_id"] == "840213578":
            r["family_name"] = "Kwakernaak-Vanderbilt"
    proc = inst.import_csv(write_csv(tmp_path / "b.csv", renamed))
    assert proc.returncode == 1, proc.stderr
    assert "identity conflict: family_name" in proc.stderr
    assert "Kwakernaak-Vanderbilt" not in inst.achievements("840213578").stdout
    files = assert_nothing_in_clear(inst.data)
    for name, content in files.items():
        assert b"Kwakernaak" not in content, name


def test_errors_file_is_private(inst, tmp_path):
    bad = rows()
    bad[0]["kind"] = "thesis"
    errors = tmp_path / "errors.csv"
    assert inst.import_csv(write_csv(tmp_path / "p.csv", bad), "--errors", errors).returncode == 1
    assert errors.stat().st_mode & 0o077 == 0
    # The personal data that is rejected is not stored either.
    assert_nothing_in_clear(inst.data)


def audit_rows(data):
    with db_readonly(data) as conn:
        return conn.execute("SELECT seq, actor, action, subject, purpose, prev_hash, hash "
                            "FROM audit_event ORDER BY seq").fetchall()


def test_achievements_read_is_audited(inst, tmp_path):
    assert inst.import_csv(write_csv(tmp_path / "p.csv", rows())).returncode == 0
    before = [r for r in audit_rows(inst.data) if r[2] == "learner.read"]
    assert before == []
    items = inst.achievements_json(LEARNERS[0]["national_id"])
    learner_id = items[0]["learner_id"]
    reads = [r for r in audit_rows(inst.data) if r[2] == "learner.read"]
    assert len(reads) == 1
    assert reads[0][3] == learner_id
    assert reads[0][4] == "administration"
    # A stated purpose is recorded; a second read is a second event.
    proc = inst.achievements(LEARNERS[0]["national_id"], "--purpose", "admission check")
    assert proc.returncode == 0
    reads = [r for r in audit_rows(inst.data) if r[2] == "learner.read"]
    assert [r[4] for r in reads] == ["administration", "admission check"]
    # The other learners were not read.
    assert {r[3] for r in reads} == {learner_id}


def test_failed_lookup_reads_nobody(inst, tmp_path):
    assert inst.import_csv(write_csv(tmp_path / "p.csv", rows())).returncode == 0
    assert inst.achievements("111222333").returncode == 1
    assert [r for r in audit_rows(inst.data) if r[2] == "learner.read"] == []


def test_audit_log_is_hash_chained(inst, tmp_path):
    assert inst.import_csv(write_csv(tmp_path / "p.csv", rows())).returncode == 0
    inst.achievements(LEARNERS[1]["national_id"])
    events = audit_rows(inst.data)
    assert len(events) >= 5
    assert [e[0] for e in events] == sorted(e[0] for e in events)
    for prev, cur in zip(events, events[1:]):
        assert cur[5] == prev[6], f"event {cur[0]} does not chain to event {prev[0]}"
    assert len({e[6] for e in events}) == len(events)
