"""The registrar's import as a registrar meets it: a CSV written by a Dutch spreadsheet (';',
CRLF, BOM), an --errors file corrected and imported again as it is, cells a spreadsheet would
run as formulas neutralised in that file, revoked records that no re-import changes, BSNs that
fail the eleven-test, identity conflicts between institutions (CLI and HTTP), hidden
text-direction characters in names and titles, and dates that do not exist."""
import csv
import io
import json
import os
import stat

import pytest

from helpers.base import COLUMNS, make_row, parse_report, write_csv
from helpers.server import Server, row

ERROR_COLUMNS = ["error_line", "error_field", "error_reason"]
OTHER = "30YY"  # a second Dutch institution
BSN = "111222333"  # passes the eleven-test
OTTO = dict(national_id=BSN, given_names="Otto", family_name="Anders", birth_date="1990-01-01")


def dutch_csv(rows, sep=";"):
    """Bytes as a Dutch spreadsheet saves "CSV (puntkomma-gescheiden)": BOM, ';', CRLF."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([r.get(c, "") for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def read_errors(path):
    """(separator, header, rows) of an --errors file."""
    text = path.read_text(encoding="utf-8")
    sep = ";" if text.split("\n", 1)[0].count(";") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    return sep, rows[0], rows[1:]


def write_rows(path, header, rows, sep):
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\r\n").writerows([header, *rows])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def one(ok, national_id, record_id):
    items = ok.achievements_json(national_id)
    assert items is not None, f"no learner {national_id}"
    [a] = [a for a in items if a["record_id"] == record_id]
    return a


# Spreadsheet CSVs


def test_semicolon_csv_from_a_dutch_spreadsheet_imports(inst, tmp_path):
    rows = [make_row(record_id="NL-1", title="Wiskunde; deel 1", grade="7,5", **OTTO),
            make_row(record_id="NL-2", title='Boek "Analyse"', credits="7.5", **OTTO)]
    path = tmp_path / "cijfers.csv"
    path.write_bytes(dutch_csv(rows))
    proc = inst.import_csv(path)
    assert proc.returncode == 0, proc.stderr
    assert parse_report(proc.stdout) == dict(read=2, added=2, updated=0, unchanged=0,
                                             rejected=0)
    assert one(inst, BSN, "NL-1")["title"] == "Wiskunde; deel 1"
    assert one(inst, BSN, "NL-1")["grade"] == "7,5"
    assert one(inst, BSN, "NL-2")["title"] == 'Boek "Analyse"'
    # The same rows with ',' are the same records: nothing changes.
    again = inst.import_csv(write_csv(tmp_path / "comma.csv", rows))
    assert parse_report(again.stdout)["unchanged"] == 2, again.stdout


def test_tab_separated_file_imports(inst, tmp_path):
    path = tmp_path / "tabs.tsv"
    path.write_bytes(dutch_csv([make_row(record_id="T-1", **OTTO)], sep="\t"))
    proc = inst.import_csv(path)
    assert proc.returncode == 0, proc.stderr
    assert one(inst, BSN, "T-1")["title"] == "Mechanics"


def test_mixed_separators_in_the_header_say_what_was_found(inst, tmp_path):
    header = "record_id;national_id;given_names;family_name,birth_date,kind;title;awarded_on"
    path = tmp_path / "mixed.csv"
    path.write_text(header + "\nR;1;2;3,4,5;6;7\n", encoding="utf-8")
    proc = inst.import_csv(path)
    assert proc.returncode == 2, proc.stdout
    assert "cannot tell the separator" in proc.stderr
    assert "2 ','" in proc.stderr and "5 ';'" in proc.stderr, proc.stderr
    assert inst.achievements_json(BSN) is None


def test_header_without_a_separator_says_so(inst, tmp_path):
    path = tmp_path / "pipes.csv"
    path.write_text("|".join(COLUMNS) + "\n", encoding="utf-8")
    proc = inst.import_csv(path)
    assert proc.returncode == 2, proc.stdout
    assert "no separator" in proc.stderr, proc.stderr


# The --errors file


def test_errors_file_is_corrected_and_imported_again_as_it_is(inst, tmp_path):
    rows = [make_row(record_id="E-1", **OTTO),
            make_row(record_id="E-2", title="Statistiek; inleiding",
                     **dict(OTTO, birth_date="1990-02-30")),
            make_row(record_id="E-3", kind="thesis", **OTTO)]
    path = tmp_path / "in.csv"
    path.write_bytes(dutch_csv(rows))
    errors = tmp_path / "fouten.csv"
    proc = inst.import_csv(path, "--errors", errors)
    assert proc.returncode == 1
    assert parse_report(proc.stdout)["rejected"] == 2
    assert f"The rejected rows are in {errors}: correct them there" in proc.stdout
    assert stat.S_IMODE(os.stat(errors).st_mode) == 0o600
    sep, header, bad = read_errors(errors)
    assert sep == ";", "the errors file keeps the input's separator"
    assert header == ERROR_COLUMNS + COLUMNS
    assert [(r[0], r[1]) for r in bad] == [("3", "birth_date"), ("4", "kind")]
    assert "not a real date" in bad[0][2]
    by_name = [dict(zip(header, r)) for r in bad]
    assert by_name[0]["title"] == "Statistiek; inleiding"
    assert by_name[0]["birth_date"] == "1990-02-30"

    # The registrar corrects the two rows in place and imports the file as it is.
    bad[0][header.index("birth_date")] = "1990-01-01"
    bad[1][header.index("kind")] = "exam"
    fixed = write_rows(tmp_path / "fouten.csv", header, bad, sep)
    proc = inst.import_csv(fixed)
    assert proc.returncode == 0, proc.stderr
    assert parse_report(proc.stdout) == dict(read=2, added=2, updated=0, unchanged=0,
                                             rejected=0)
    assert one(inst, BSN, "E-2")["title"] == "Statistiek; inleiding"
    assert one(inst, BSN, "E-3")["kind"] == "exam"


@pytest.mark.parametrize("column,value", [
    ("title", "=HYPERLINK(\"http://x.example/\",\"klik\")"),
    ("title", "+31 20 123 4567"),
    ("title", "@SUM(A1:A2)"),
    ("grade", "-"),
    ("given_names", "-Otto"),
])
def test_errors_file_neutralises_formula_cells_and_reads_them_back(inst, tmp_path, column,
                                                                  value):
    fields = dict(OTTO, national_id="123456789")  # fails the eleven-test: rejected
    fields[column] = value
    path = write_csv(tmp_path / "in.csv", [make_row(record_id="F-1", **fields)])
    errors = tmp_path / "errors.csv"
    assert inst.import_csv(path, "--errors", errors).returncode == 1
    _, header, [bad] = read_errors(errors)
    cell = bad[header.index(column)]
    assert cell == "'" + value, "a spreadsheet would run this cell"
    for c in bad:
        assert not c or c[0] not in "=+-@\t\r", bad
    # Corrected and imported again, the value is stored as it was, without the quote.
    bad[header.index("national_id")] = BSN
    write_rows(errors, header, [bad], ",")
    proc = inst.import_csv(errors)
    assert proc.returncode == 0, proc.stderr
    if column == "given_names":
        assert f"{value} Anders, born" in inst.achievements(BSN).stdout
    else:
        assert one(inst, BSN, "F-1")[column] == value


def test_a_leading_quote_of_a_name_is_kept(inst, tmp_path):
    fields = dict(OTTO, family_name="'t Hart")
    proc = inst.import_csv(write_csv(tmp_path / "a.csv", [make_row(record_id="Q-1", **fields)]))
    assert proc.returncode == 0, proc.stderr
    assert "'t Hart" in inst.achievements(BSN).stdout


# Revoked is final


def test_a_revoked_record_survives_a_reimport_unchanged(inst, tmp_path):
    rows = [make_row(record_id="R-1", grade="5", **OTTO), make_row(record_id="R-2", **OTTO)]
    assert inst.import_csv(write_csv(tmp_path / "a.csv", rows)).returncode == 0
    before = one(inst, BSN, "R-1")
    inst.run("revoke", before["id"], "--reason", "obtained by fraud", check=True)
    revoked = one(inst, BSN, "R-1")
    assert revoked["status"] == "revoked"

    # The identical file: idempotent, nothing rejected.
    proc = inst.import_csv(tmp_path / "a.csv")
    assert proc.returncode == 0, proc.stderr
    assert parse_report(proc.stdout)["unchanged"] == 2

    # A changed grade for the revoked record: rejected, naming line and column.
    rows[0]["grade"] = "9"
    rows[1]["grade"] = "8"
    errors = tmp_path / "errors.csv"
    proc = inst.import_csv(write_csv(tmp_path / "b.csv", rows), "--errors", errors)
    assert proc.returncode == 1
    assert parse_report(proc.stdout) == dict(read=2, added=0, updated=1, unchanged=0,
                                             rejected=1)
    assert "b.csv:2: " in proc.stderr and "revoked" in proc.stderr, proc.stderr
    _, _, [bad] = read_errors(errors)
    assert bad[:2] == ["2", "grade"] and "revocation is final" in bad[2]
    assert one(inst, BSN, "R-1") == revoked
    assert one(inst, BSN, "R-2")["grade"] == "8"


def test_a_revoked_record_is_not_moved_to_another_learner(inst, tmp_path):
    rows = [make_row(record_id="M-1", **OTTO)]
    assert inst.import_csv(write_csv(tmp_path / "a.csv", rows)).returncode == 0
    revoked = one(inst, BSN, "M-1")
    inst.run("revoke", revoked["id"], "--reason", "registered in error", check=True)
    moved = [make_row(record_id="M-1", **dict(OTTO, national_id="123456782",
                                               given_names="Nieuw", family_name="Iemand"))]
    proc = inst.import_csv(write_csv(tmp_path / "b.csv", moved))
    assert proc.returncode == 1, proc.stdout
    assert "b.csv:2: the record is revoked" in proc.stderr and "national_id" in proc.stderr
    assert inst.achievements_json("123456782") is None, "no learner left behind"
    assert one(inst, BSN, "M-1")["status"] == "revoked"


def test_a_revoked_record_survives_an_api_reimport(ok, tmp_path):
    ok.init()
    key = ok.add_institution()
    srv = Server(ok, "--rate-limit", 0).start()
    try:
        first = row("API-1", BSN, **{k: v for k, v in OTTO.items() if k != "national_id"})
        r = srv.post("/v1/results", [first], key=key)
        assert r.status == 200 and r.json()["added"] == 1, r
        [a] = [a for a in ok.achievements_json(BSN) if a["record_id"] == "API-1"]
        r = srv.post(f"/v1/achievements/{a['id']}/revoke", {"reason": "error"}, key=key)
        assert r.status == 200, r
        assert srv.post("/v1/results", [first], key=key).json()["unchanged"] == 1
        changed = dict(first, title="Mechanics II")
        r = srv.post("/v1/results", [changed], key=key)
        assert r.status == 200, r
        doc = r.json()
        assert doc["rejected"] == 1 and doc["updated"] == 0, doc
        [e] = doc["errors"]
        assert e["field"] == "title" and e["index"] == 0 and "revoked" in e["detail"], e
        assert ok.achievements_json(BSN)[0]["title"] == "Mechanics"
    finally:
        srv.stop()


# National ids


@pytest.mark.parametrize("nid", ["123456789", "12345678", "1234567820", "000000000",
                                 "NL123456789"])
def test_a_bsn_failing_the_eleven_test_is_a_rejected_row(inst, tmp_path, nid):
    path = write_csv(tmp_path / "a.csv", [make_row(record_id="B-1",
                                                   **dict(OTTO, national_id=nid))])
    proc = inst.import_csv(path)
    assert proc.returncode == 1, proc.stdout
    assert parse_report(proc.stdout)["rejected"] == 1
    assert "a.csv:2: national_id is not a valid BSN" in proc.stderr, proc.stderr
    assert nid not in proc.stderr
    assert inst.achievements_json("123456782") is None
    assert inst.achievements_json(BSN) is None


def test_bsn_spellings_find_one_learner(inst, tmp_path):
    rows = [make_row(record_id="S-1", **dict(OTTO, national_id="111.222.333")),
            make_row(record_id="S-2", **dict(OTTO, national_id="NL 1112 22333"))]
    proc = inst.import_csv(write_csv(tmp_path / "a.csv", rows))
    assert proc.returncode == 0, proc.stderr
    assert {a["record_id"] for a in inst.achievements_json(BSN)} == {"S-1", "S-2"}


def test_ids_of_other_countries(inst, tmp_path):
    # A German tax id at a Dutch institution: the country code in front, not a BSN.
    rows = [make_row(record_id="D-1", **dict(OTTO, national_id="DE 12 345 678 901"))]
    assert inst.import_csv(write_csv(tmp_path / "a.csv", rows)).returncode == 0
    assert inst.achievements_json("DE12345678901")[0]["record_id"] == "D-1"
    # At an institution of another country, digits are that country's number.
    inst.add_institution(code="40BE", name="Université Testville", country="BE")
    rows = [make_row(record_id="BE-1", **dict(OTTO, national_id="85073003328"))]
    proc = inst.import_csv(write_csv(tmp_path / "b.csv", rows), institution="40BE")
    assert proc.returncode == 0, proc.stderr


# Identity conflicts


def test_identity_conflict_between_institutions_is_rejected(inst, tmp_path):
    assert inst.import_csv(write_csv(tmp_path / "a.csv",
                                     [make_row(record_id="I-1", **OTTO)])).returncode == 0
    inst.add_institution(code=OTHER, name="Hogeschool Elders")
    for field, value in (("family_name", "Overname"), ("given_names", "Mallory"),
                         ("birth_date", "1991-01-01")):
        taken = dict(OTTO, **{field: value})
        errors = tmp_path / f"errors-{field}.csv"
        proc = inst.import_csv(write_csv(tmp_path / f"b-{field}.csv",
                                         [make_row(record_id="X-1", **taken)]),
                               "--errors", errors, institution=OTHER)
        assert proc.returncode == 1, proc.stdout
        assert parse_report(proc.stdout) == dict(read=1, added=0, updated=0, unchanged=0,
                                                 rejected=1)
        # Another institution is not told which column differs: that would confirm the
        # others (test_attack_identity.py).
        assert ":2: national_id: identity conflict: the names or birth date differ" in \
            proc.stderr, proc.stderr
        for registered in ("Otto", "Anders", "1990-01-01"):
            assert registered not in proc.stderr + proc.stdout
        _, _, [bad] = read_errors(errors)
        assert bad[:2] == ["2", "national_id"]
        # The institution with a record of the learner is.
        proc = inst.import_csv(write_csv(tmp_path / f"a-{field}.csv",
                                         [make_row(record_id="I-2", **taken)]))
        assert proc.returncode == 1 and f":2: identity conflict: {field}" in proc.stderr, \
            proc.stderr
    [a] = inst.achievements_json(BSN)
    assert a["record_id"] == "I-1"
    shown = inst.achievements(BSN).stdout
    assert "Otto Anders, born 1990-01-01" in shown, shown


def test_identity_conflict_through_the_api(ok):
    ok.init()
    key_a = ok.add_institution()
    key_b = ok.add_institution(code=OTHER, name="Hogeschool Elders")
    srv = Server(ok, "--rate-limit", 0).start()
    try:
        mine = {k: v for k, v in OTTO.items() if k != "national_id"}
        assert srv.post("/v1/results", [row("A-1", BSN, **mine)],
                        key=key_a).json()["added"] == 1
        r = srv.post("/v1/results", [row("B-1", BSN, **dict(mine, family_name="Overname"))],
                     key=key_b)
        assert r.status == 200, r
        doc = r.json()
        assert doc["added"] == 0 and doc["rejected"] == 1, doc
        [e] = doc["errors"]
        assert e["field"] == "national_id" and "identity conflict" in e["detail"], e
        assert "Anders" not in r.body.decode()
        # As CSV too, and with strict nothing at all is stored.
        body = "\n".join([";".join(COLUMNS), ";".join(
            make_row(record_id="B-2", **dict(OTTO, given_names="Mallory"))[c]
            for c in COLUMNS)]) + "\n"
        r = srv.post("/v1/results?strict=true", body, key=key_b, ctype="text/csv")
        assert r.status == 422, r
        [e] = r.json()["errors"]
        assert e["line"] == 2 and e["field"] == "national_id", e
    finally:
        srv.stop()
    assert [a["record_id"] for a in ok.achievements_json(BSN)] == ["A-1"]


# Text that hides or reorders itself; dates that do not exist


@pytest.mark.parametrize("column,value,cp", [
    ("title", "Bachelor \u202eecneicS\u202c", "U+202E"),
    ("title", "Master\u2066 of Arts\u2069", "U+2066"),
    ("given_names", "Ot\u200bto", "U+200B"),
    ("family_name", "\u202aAnders", "U+202A"),
])
def test_hidden_direction_characters_are_refused(inst, tmp_path, column, value, cp):
    fields = dict(OTTO, **{column: value}) if column != "title" else dict(OTTO)
    extra = {"title": value} if column == "title" else {}
    path = write_csv(tmp_path / "a.csv", [make_row(record_id="H-1", **extra, **fields)])
    proc = inst.import_csv(path)
    assert proc.returncode == 1, proc.stdout
    assert f"a.csv:2: {column} contains an invisible or text-direction character ({cp})" \
        in proc.stderr, proc.stderr
    assert inst.achievements_json(BSN) is None


@pytest.mark.parametrize("value,message", [
    ("2001-02-30", "is not a real date"),
    ("2001-13-01", "is not a real date"),
    ("2003-02-29", "is not a real date"),
    ("2001-2-3", "must be a date as YYYY-MM-DD"),
    ("30-02-2001", "must be a date as YYYY-MM-DD"),
    ("1899-12-31", "from 1900 on"),
])
def test_dates_that_do_not_exist_say_so(inst, tmp_path, value, message):
    path = write_csv(tmp_path / "a.csv",
                     [make_row(record_id="D-1", **dict(OTTO, birth_date=value))])
    proc = inst.import_csv(path)
    assert proc.returncode == 1
    assert "a.csv:2: birth_date " in proc.stderr and message in proc.stderr, proc.stderr
