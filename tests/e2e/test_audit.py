"""oorkonde audit verify finds an altered, removed or reordered event; audit show lists them."""
import sqlite3


def seeded(ok):
    ok.run("init", check=True)
    ok.run("demo", "--learners", "12", check=True)
    ok.run("achievements", "--national-id", demo_nid(ok), check=True)
    return ok


def demo_nid(ok):
    out = ok.run("demo", "--learners", "12", check=True).stdout
    return out.split("--national-id ")[1].split()[0]


def sql(ok, statement):
    con = sqlite3.connect(ok.data / "oorkonde.db")
    with con:
        con.execute(statement)
    con.close()


def test_intact_chain(ok):
    seeded(ok)
    proc = ok.run("audit", "verify")
    assert proc.returncode == 0, proc.stderr
    assert "chain intact" in proc.stdout


def test_altered_event_is_named(ok):
    seeded(ok)
    sql(ok, "UPDATE audit_event SET purpose = 'curiosity' WHERE seq = 4")
    proc = ok.run("audit", "verify")
    assert proc.returncode == 1
    assert "event 4 was altered" in proc.stdout


def test_removed_event_is_found(ok):
    seeded(ok)
    sql(ok, "DELETE FROM audit_event WHERE seq = 6")
    proc = ok.run("audit", "verify")
    assert proc.returncode == 1
    assert "event 7" in proc.stdout and "missing" in proc.stdout


def test_swapped_events_are_found(ok):
    seeded(ok)
    sql(ok, "UPDATE audit_event SET seq = -1 WHERE seq = 3")
    sql(ok, "UPDATE audit_event SET seq = 3 WHERE seq = 2")
    sql(ok, "UPDATE audit_event SET seq = 2 WHERE seq = -1")
    proc = ok.run("audit", "verify")
    assert proc.returncode == 1
    assert "event 2" in proc.stdout


def test_show_lists_reads_with_purpose(ok):
    seeded(ok)
    out = ok.run("audit", "show", "--actor", "operator", check=True).stdout
    assert "learner.read" in out and "administration" in out
    assert "import.batch" in out
