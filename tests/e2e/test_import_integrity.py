"""The database an import leaves is as correct as the per-row path would leave it (issue 22):
after imports of new learners, of new records for known learners and of changed records, cut
into many chunks and batches, every reference holds (the store's own checks: SQLite's
`PRAGMA integrity_check` and `foreign_key_check`, PostgreSQL's foreign keys all validated; and on
both stores no achievement without its learner or institution, no blind index shared)."""
from helpers import store
from helpers.base import INSTITUTION, csv_text, db_readonly, make_row, parse_report

HOLD = "7"    # rows per chunk
BATCH = "20"  # rows per transaction
ENV = {"OORKONDE_TEST_IMPORT_HOLD_ROWS": HOLD, "OORKONDE_TEST_IMPORT_BATCH_ROWS": BATCH}


def nid(l):
    return f"FK{l:07d}"


def rows(learners, per, prefix, grade="7"):
    """per rows for each of learners (a learner's rows together, as in an export)."""
    out = []
    for l in learners:
        for r in range(per):
            out.append(make_row(national_id=nid(l), given_names=f"Given{l}",
                                family_name=f"Family{l}", record_id=f"{prefix}-{l}-{r}",
                                title=f"Course {r}", grade=grade))
    return out


def run_import(inst, tmp_path, name, data):
    path = tmp_path / name
    path.write_text(csv_text(data), encoding="utf-8")
    proc = inst.run("import", path, "--institution", INSTITUTION, env=ENV)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    return parse_report(proc.stdout)


def orphans(data):
    """Counts of rows whose reference does not hold, by SQL both stores speak."""
    checks = {
        "achievement without learner": "SELECT count(*) FROM achievement a WHERE NOT EXISTS "
                                       "(SELECT 1 FROM learner l WHERE l.id = a.learner_id)",
        "achievement without institution": "SELECT count(*) FROM achievement a WHERE NOT EXISTS "
                                           "(SELECT 1 FROM institution i "
                                           "WHERE i.code = a.institution)",
        "learners sharing a blind index": "SELECT count(*) - count(DISTINCT nid_index) "
                                          "FROM learner",
    }
    with db_readonly(data) as conn:
        return {what: conn.execute(sql).fetchone()[0] for what, sql in checks.items()}


def test_every_reference_holds_after_imports(inst, tmp_path):
    # New learners, one row each and several rows each, across chunks and batches.
    report = run_import(inst, tmp_path, "first.csv",
                        rows(range(0, 40), 1, "D") + rows(range(40, 55), 5, "C"))
    assert report["added"] == 40 + 75
    # Known learners with new records, new learners between them, one changed grade.
    second = rows(range(30, 50), 2, "N") + rows(range(55, 70), 1, "D")
    second += rows([41], 1, "C", grade="8")
    report = run_import(inst, tmp_path, "second.csv", second)
    assert report["added"] == 40 + 15
    assert report["updated"] == 1
    assert orphans(inst.data) == {"achievement without learner": 0,
                                  "achievement without institution": 0,
                                  "learners sharing a blind index": 0}
    with db_readonly(inst.data) as conn:
        assert store.integrity_problems(conn) == []
