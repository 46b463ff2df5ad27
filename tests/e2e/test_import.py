"""import: a good file (BOM, CRLF, quoting, non-ASCII) is stored; re-import is idempotent and
counts updates; rejected rows are named by line and field on stderr and in the --errors file;
--strict and --dry-run store nothing; unusable files, unknown institutions and missing columns
are refused with exit 2; standard input via -."""
import csv
import io
import json
import os
import pty
import stat
import subprocess

import pytest

from helpers.base import (COLUMNS, INSTITUTION, REQUIRED_COLUMNS, SANITIZED, bulk_csv, csv_text,
                      db_scalar, make_row, parse_report, write_csv)

LUKASZ = dict(national_id="123456782", given_names="Łukasz", family_name="Müller-Dağ",
              birth_date="2000-01-02")
ANNA = dict(national_id="NL-987.654.329", given_names="Anna Maria", family_name="de Vries",
            birth_date="1999-12-31")


def good_rows():
    return [
        make_row(record_id="2023-BSC-0012", kind="degree",
                 title="Bachelor of Science, Physics", programme_code="56984", eqf_level="6",
                 credits="180", grade="", grading_scheme="", awarded_on="2023-07-01", **LUKASZ),
        make_row(record_id="2021-MECH-0871", title="Mechanics, \"classical\"", credits="7.5",
                 grade="7.5", **LUKASZ),
        make_row(record_id="2021-QM-0001", kind="exam", title="Quantum mechanics: ψ, ħ",
                 credits="0", grade="cum laude", grading_scheme="NL", language="nl", **LUKASZ),
        make_row(record_id="A-1", kind="module", title="Back\\slash", credits="600", **ANNA),
        make_row(record_id="A-2", kind="diploma", title="VWO", eqf_level="4", credits="",
                 grade="", grading_scheme="", language="", awarded_on="2017-07-01", **ANNA),
    ]


def all_achievements(ok):
    """(national id, achievements as JSON) for the two learners of good_rows()."""
    return {nid: ok.achievements_json(nid)
            for nid in (LUKASZ["national_id"], ANNA["national_id"])}


def test_good_file_with_bom_crlf_quotes_and_non_ascii(inst, tmp_path):
    rows = good_rows()
    path = write_csv(tmp_path / "results.csv", rows, newline="\r\n", bom=True)
    proc = inst.import_csv(path)
    assert proc.returncode == 0, proc.stderr
    assert parse_report(proc.stdout) == dict(read=5, added=5, updated=0, unchanged=0,
                                             rejected=0)
    shown = inst.achievements(LUKASZ["national_id"])
    assert shown.returncode == 0, shown.stderr
    assert "Łukasz Müller-Dağ" in shown.stdout
    assert "born 2000-01-02" in shown.stdout
    assert "Bachelor of Science, Physics" in shown.stdout
    items = {a["record_id"]: a for a in inst.achievements_json(LUKASZ["national_id"])}
    assert set(items) == {"2023-BSC-0012", "2021-MECH-0871", "2021-QM-0001"}
    assert items["2021-MECH-0871"]["title"] == 'Mechanics, "classical"'
    assert items["2021-QM-0001"]["title"] == "Quantum mechanics: ψ, ħ"
    assert items["2021-QM-0001"]["grade"] == "cum laude"
    assert items["2023-BSC-0012"]["eqf_level"] == 6
    assert items["2023-BSC-0012"]["credits"] == 180
    assert items["2021-MECH-0871"]["credits"] == 7.5
    assert all(a["institution"] == INSTITUTION for a in items.values())
    # The national id is matched after normalisation: spaces, hyphens and dots are ignored.
    anna = {a["record_id"]: a for a in inst.achievements_json("NL987654329")}
    assert set(anna) == {"A-1", "A-2"}
    assert anna["A-1"]["title"] == "Back\\slash"
    assert anna["A-1"]["credits"] == 600
    assert "de Vries" in inst.achievements("nl 987 654 329").stdout


def test_reimport_changes_nothing(inst, tmp_path):
    path = write_csv(tmp_path / "results.csv", good_rows(), newline="\r\n", bom=True)
    assert inst.import_csv(path).returncode == 0
    before = all_achievements(inst)
    audit_before = db_scalar(inst.data, "SELECT count(*) FROM audit_event WHERE action != "
                                        "'learner.read'")
    proc = inst.import_csv(path)
    assert proc.returncode == 0, proc.stderr
    assert parse_report(proc.stdout) == dict(read=5, added=0, updated=0, unchanged=5,
                                             rejected=0)
    assert "Nothing changed" in proc.stdout
    assert all_achievements(inst) == before
    assert db_scalar(inst.data, "SELECT count(*) FROM achievement") == 5
    assert db_scalar(inst.data, "SELECT count(*) FROM learner") == 2
    assert db_scalar(inst.data, "SELECT max(version) FROM achievement") == 1
    # No learner was written again.
    assert db_scalar(inst.data, "SELECT count(*) FROM audit_event WHERE action = "
                                "'learner.write'") == 2
    assert audit_before <= db_scalar(inst.data, "SELECT count(*) FROM audit_event")


def test_changed_grade_updates_one_row(inst, tmp_path):
    rows = good_rows()
    write_csv(tmp_path / "a.csv", rows)
    assert inst.import_csv(tmp_path / "a.csv").returncode == 0
    rows[1]["grade"] = "9"
    write_csv(tmp_path / "b.csv", rows)
    proc = inst.import_csv(tmp_path / "b.csv")
    assert proc.returncode == 0, proc.stderr
    assert parse_report(proc.stdout) == dict(read=5, added=0, updated=1, unchanged=4,
                                             rejected=0)
    assert "Nothing changed" not in proc.stdout
    items = {a["record_id"]: a for a in inst.achievements_json(LUKASZ["national_id"])}
    assert items["2021-MECH-0871"]["grade"] == "9"
    assert items["2021-MECH-0871"]["version"] == 2
    assert items["2023-BSC-0012"]["version"] == 1
    assert db_scalar(inst.data, "SELECT count(*) FROM achievement") == 5
    # Importing the new file again changes nothing.
    again = inst.import_csv(tmp_path / "b.csv")
    assert parse_report(again.stdout)["unchanged"] == 5


def test_changed_name_is_an_identity_conflict(inst, tmp_path):
    rows = good_rows()
    write_csv(tmp_path / "a.csv", rows)
    assert inst.import_csv(tmp_path / "a.csv").returncode == 0
    for r in rows:
        if r["national_id"] == ANNA["national_id"]:
            r["family_name"] = "Jansen"
    write_csv(tmp_path / "b.csv", rows)
    proc = inst.import_csv(tmp_path / "b.csv")
    assert proc.returncode == 1, proc.stderr
    assert parse_report(proc.stdout) == dict(read=5, added=0, updated=0, unchanged=3,
                                             rejected=2)
    assert "b.csv:5: identity conflict: family_name" in proc.stderr
    assert "de Vries" not in proc.stderr
    shown = inst.achievements(ANNA["national_id"]).stdout
    assert "Anna Maria de Vries" in shown and "Jansen" not in shown
    assert db_scalar(inst.data, "SELECT count(*) FROM learner") == 2

def bad_file_rows():
    """Rows with problems, some spanning several lines; returns (rows, expected)."""
    rows = [
        make_row(record_id="G-1"),                                             # line 2
        make_row(record_id="B-1", family_name="de\nVries"),                    # lines 3-4
        make_row(record_id="B-2", kind="banana"),                              # line 5
        make_row(record_id="G-2", title="Statics"),                            # line 6
        make_row(record_id="B-3", title="Two\nline\nbreaks"),                  # lines 7-9
        make_row(record_id="B-4", awarded_on="2021-02-30"),                    # line 10
        make_row(record_id="B-5", credits="7.555"),                            # line 11
        make_row(record_id="G-3", title="Dynamics"),                           # line 12
        make_row(record_id="B-6", kind="degree", eqf_level=""),                # line 13
    ]
    expected = [(3, "family_name", "B-1"), (5, "kind", "B-2"), (7, "title", "B-3"),
                (10, "awarded_on", "B-4"), (11, "credits", "B-5"), (13, "eqf_level", "B-6")]
    return rows, expected


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_errors_file_names_line_and_field(inst, tmp_path, newline):
    rows, expected = bad_file_rows()
    path = write_csv(tmp_path / "results.csv", rows, newline=newline)
    errors = tmp_path / "errors.csv"
    proc = inst.import_csv(path, "--errors", errors)
    assert proc.returncode == 1, proc.stderr
    assert parse_report(proc.stdout) == dict(read=9, added=3, updated=0, unchanged=0,
                                             rejected=6)
    # stderr names the file, line and field of each rejected row.
    for line, field, _ in expected:
        assert f"{path}:{line}: " in proc.stderr, (line, proc.stderr)
    assert stat.S_IMODE(os.stat(errors).st_mode) == 0o600, "the errors file holds personal data"
    with open(errors, newline="", encoding="utf-8") as f:
        got = list(csv.reader(f))
    assert got[0][:3] == ["error_line", "error_field", "error_reason"]
    assert got[0][3:] == COLUMNS
    body = got[1:]
    assert [(int(r[0]), r[1], r[3]) for r in body] == expected
    for r in body:
        assert r[2], "every rejected row has a reason"
        assert len(r) == 3 + len(COLUMNS)
    # The rows are written back as read, so they can be corrected and imported again.
    by_id = {r[3]: dict(zip(COLUMNS, r[3:])) for r in body}
    assert by_id["B-1"]["family_name"] == "de\nVries"
    assert by_id["B-3"]["title"] == "Two\nline\nbreaks"
    assert by_id["B-5"]["credits"] == "7.555"
    # The good rows were stored.
    stored = {a["record_id"] for a in inst.achievements_json("123456782")}
    assert stored == {"G-1", "G-2", "G-3"}


def test_blank_lines_do_not_shift_line_numbers(inst, tmp_path):
    text = csv_text([make_row(record_id="G-1")]) + "\n\n" + \
        csv_text([make_row(record_id="B-1", kind="banana")]).split("\n", 1)[1]
    path = tmp_path / "blank.csv"
    path.write_text(text, encoding="utf-8")
    proc = inst.import_csv(path)
    assert proc.returncode == 1
    assert f"{path}:5: " in proc.stderr, proc.stderr


@pytest.mark.parametrize("field,value", [
    ("national_id", "12"),
    ("national_id", "12345678!"),
    ("birth_date", "2000-13-01"),
    ("birth_date", "1899-12-31"),
    ("birth_date", "02-01-2000"),
    ("kind", "Course"),
    ("title", ""),
    ("eqf_level", "9"),
    ("eqf_level", "0"),
    ("credits", "600.01"),
    ("credits", "-1"),
    ("credits", "7,5"),
    ("credits", "7.555"),
    ("awarded_on", "2999-01-01"),
    ("awarded_on", "1999-01-01"),  # before the birth date
    ("awarded_on", "2021-02-29"),
    ("language", "eng"),
    ("language", "xx"),
    ("record_id", ""),
    ("record_id", "R" * 65),
    ("family_name", ""),
])
def test_invalid_value_rejected_naming_the_field(inst, tmp_path, field, value):
    bad = make_row(record_id="B-1")
    bad[field] = value
    path = write_csv(tmp_path / "one.csv", [make_row(record_id="G-1"), bad])
    errors = tmp_path / "errors.csv"
    proc = inst.import_csv(path, "--errors", errors)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert parse_report(proc.stdout)["rejected"] == 1
    assert parse_report(proc.stdout)["added"] == 1
    assert f"{path}:3: " in proc.stderr
    with open(errors, newline="", encoding="utf-8") as f:
        body = list(csv.reader(f))[1:]
    assert len(body) == 1 and body[0][0] == "3" and body[0][1] == field, body
    assert field in proc.stderr


@pytest.mark.parametrize("field,value", [("credits", "600"), ("credits", "0"),
                                         ("credits", "7.25"), ("eqf_level", "8"),
                                         ("birth_date", "1900-01-01"), ("language", "nl"),
                                         ("national_id", "ab12.34-56 78"), ("given_names", ""),
                                         ("awarded_on", "2020-02-29")])
def test_boundary_values_accepted(inst, tmp_path, field, value):
    path = write_csv(tmp_path / "one.csv", [make_row(**{field: value})])
    proc = inst.import_csv(path)
    assert proc.returncode == 0, proc.stderr
    assert parse_report(proc.stdout)["added"] == 1


def test_rejection_messages_do_not_repeat_personal_values(inst, tmp_path):
    rows = [make_row(record_id="B-1", national_id="QQ!!9988776655"),
            make_row(record_id="B-2", birth_date="1977-19-44")]
    proc = inst.import_csv(write_csv(tmp_path / "p.csv", rows))
    assert proc.returncode == 1
    assert "QQ!!9988776655" not in proc.stderr
    assert "1977-19-44" not in proc.stderr


def test_strict_with_one_bad_row_stores_nothing(inst, tmp_path):
    rows = good_rows()
    rows.insert(2, make_row(record_id="BAD", kind="thesis", **LUKASZ))
    path = write_csv(tmp_path / "results.csv", rows)
    proc = inst.import_csv(path, "--strict")
    assert proc.returncode == 1, proc.stderr
    report = parse_report(proc.stdout)
    assert report["rejected"] == 1 and report["read"] == 6
    assert "Nothing was stored" in proc.stdout
    assert f"{path}:4: " in proc.stderr
    for nid in (LUKASZ["national_id"], ANNA["national_id"]):
        shown = inst.achievements(nid)
        assert shown.returncode == 1 and "no learner" in shown.stderr, shown.stdout
    assert db_scalar(inst.data, "SELECT count(*) FROM achievement") == 0
    assert db_scalar(inst.data, "SELECT count(*) FROM learner") == 0


def test_strict_with_good_rows_stores_all(inst, tmp_path):
    path = write_csv(tmp_path / "results.csv", good_rows())
    proc = inst.import_csv(path, "--strict")
    assert proc.returncode == 0, proc.stderr
    assert parse_report(proc.stdout)["added"] == 5
    assert len(inst.achievements_json(LUKASZ["national_id"])) == 3


def test_strict_keeps_what_was_stored_before(inst, tmp_path):
    rows = good_rows()
    assert inst.import_csv(write_csv(tmp_path / "a.csv", rows)).returncode == 0
    before = all_achievements(inst)
    rows[0]["grade"], rows[0]["grading_scheme"] = "10", "NL 1-10"
    rows.append(make_row(record_id="BAD", credits="lots", **ANNA))
    proc = inst.import_csv(write_csv(tmp_path / "b.csv", rows), "--strict")
    assert proc.returncode == 1
    assert all_achievements(inst) == before


def test_dry_run_reports_but_stores_nothing(inst, tmp_path):
    rows = good_rows() + [make_row(record_id="BAD", kind="thesis", **ANNA)]
    path = write_csv(tmp_path / "results.csv", rows)
    proc = inst.import_csv(path, "--dry-run")
    assert proc.returncode == 1, proc.stderr
    assert parse_report(proc.stdout) == dict(read=6, added=5, updated=0, unchanged=0,
                                             rejected=1)
    assert "Dry run" in proc.stdout
    assert inst.achievements_json(LUKASZ["national_id"]) is None
    assert db_scalar(inst.data, "SELECT count(*) FROM achievement") == 0
    assert db_scalar(inst.data, "SELECT count(*) FROM learner") == 0


def test_dry_run_after_import_reports_the_difference(inst, tmp_path):
    rows = good_rows()
    assert inst.import_csv(write_csv(tmp_path / "a.csv", rows)).returncode == 0
    before = all_achievements(inst)
    rows[3]["title"] = "Front/slash"
    rows.append(make_row(record_id="NEW", **ANNA))
    proc = inst.import_csv(write_csv(tmp_path / "b.csv", rows), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert parse_report(proc.stdout) == dict(read=6, added=1, updated=1, unchanged=4,
                                             rejected=0)
    assert all_achievements(inst) == before


@pytest.mark.parametrize("column", REQUIRED_COLUMNS)
def test_missing_column_exit_2_naming_it(inst, tmp_path, column):
    columns = [c for c in COLUMNS if c != column]
    path = write_csv(tmp_path / "m.csv", [make_row()], columns=columns)
    proc = inst.import_csv(path)
    assert proc.returncode == 2, proc.stdout
    assert f"'{column}'" in proc.stderr or f" {column}" in proc.stderr, proc.stderr
    assert "missing" in proc.stderr
    assert db_scalar(inst.data, "SELECT count(*) FROM achievement") == 0


def test_optional_columns_may_be_left_out(inst, tmp_path):
    path = write_csv(tmp_path / "m.csv", [make_row()], columns=REQUIRED_COLUMNS)
    proc = inst.import_csv(path)
    assert proc.returncode == 0, proc.stderr
    assert parse_report(proc.stdout)["added"] == 1


def test_columns_in_any_order(inst, tmp_path):
    path = write_csv(tmp_path / "r.csv", [make_row()], columns=list(reversed(COLUMNS)))
    proc = inst.import_csv(path)
    assert proc.returncode == 0, proc.stderr
    [a] = inst.achievements_json("123456782")
    assert a["title"] == "Mechanics" and a["grade"] == "7.5"


def test_unknown_column_exit_2_naming_it(inst, tmp_path):
    path = write_csv(tmp_path / "u.csv", [make_row()], columns=COLUMNS + ["colour"])
    proc = inst.import_csv(path)
    assert proc.returncode == 2
    assert "colour" in proc.stderr


def test_unknown_institution_exit_2(inst, tmp_path):
    path = write_csv(tmp_path / "a.csv", good_rows())
    proc = inst.import_csv(path, institution="99ZZ")
    assert proc.returncode == 2
    assert "99ZZ" in proc.stderr and "institution" in proc.stderr
    assert db_scalar(inst.data, "SELECT count(*) FROM achievement") == 0


def test_empty_file_exit_2(inst, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    proc = inst.import_csv(path)
    assert proc.returncode == 2
    assert "empty" in proc.stderr.lower() and str(path) in proc.stderr


def test_binary_file_exit_2(inst, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    proc = inst.import_csv(path)
    assert proc.returncode == 2
    assert "binary" in proc.stderr.lower() and str(path) in proc.stderr


def test_binary_after_a_good_header_exit_2(inst, tmp_path):
    path = tmp_path / "half.csv"
    path.write_bytes(csv_text([make_row()]).encode() + b"\x00\x01\x02\xff" * 100)
    proc = inst.import_csv(path)
    assert proc.returncode == 2, proc.stdout
    assert "binary" in proc.stderr.lower()


def test_unclosed_quote_exit_2(inst, tmp_path):
    path = tmp_path / "open.csv"
    path.write_text(csv_text([make_row()]) + 'R-2,123456782,"Anna,de Vries\n')
    proc = inst.import_csv(path)
    assert proc.returncode == 2
    assert "quote" in proc.stderr.lower()


def test_latin1_file_rejected_as_not_utf8(inst, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(csv_text([make_row(family_name="Müller")]).encode("latin-1"))
    proc = inst.import_csv(path)
    assert proc.returncode in (1, 2)
    assert "UTF-8" in proc.stderr


def test_missing_file_exit_2(inst, tmp_path):
    proc = inst.import_csv(tmp_path / "nope.csv")
    assert proc.returncode == 2
    assert "nope.csv" in proc.stderr


def test_folder_instead_of_file_exit_2(inst, tmp_path):
    proc = inst.import_csv(tmp_path)
    assert proc.returncode == 2
    assert "folder" in proc.stderr


def test_stdin(inst):
    text = csv_text(good_rows(), newline="\r\n", bom=True)
    proc = inst.import_csv("-", input=text)
    assert proc.returncode == 0, proc.stderr
    assert parse_report(proc.stdout)["added"] == 5
    assert len(inst.achievements_json(LUKASZ["national_id"])) == 3
    again = inst.import_csv("-", input=text)
    assert "Nothing changed" in again.stdout


def test_stdin_rejections_name_stdin(inst):
    text = csv_text([make_row(), make_row(record_id="B", kind="banana")])
    proc = inst.import_csv("-", input=text)
    assert proc.returncode == 1
    assert ":3: " in proc.stderr and "kind" in proc.stderr


def test_piped_output_has_no_progress_bar(inst, tmp_path):
    proc = inst.import_csv(write_csv(tmp_path / "a.csv", good_rows()))
    assert "\r" not in proc.stdout + proc.stderr
    assert "ETA" not in proc.stderr
    assert proc.stderr == ""


def test_same_record_id_in_two_institutions(inst, tmp_path):
    inst.add_institution(code="25BE", name="Hanzehogeschool")
    path = write_csv(tmp_path / "a.csv", [make_row()])
    assert inst.import_csv(path).returncode == 0
    proc = inst.import_csv(path, institution="25BE")
    assert parse_report(proc.stdout)["added"] == 1
    items = inst.achievements_json("123456782")
    assert sorted(a["institution"] for a in items) == ["21XX", "25BE"]
    assert len({a["learner_id"] for a in items}) == 1


def test_json_output_is_valid_for_odd_titles(inst, tmp_path):
    titles = ['Say "hi"', "C:\\path\\", "tab\u00a0nbsp", "emoji 🎓", "<script>&amp;"]
    rows = [make_row(record_id=f"T-{i}", title=t) for i, t in enumerate(titles)]
    assert inst.import_csv(write_csv(tmp_path / "t.csv", rows)).returncode == 0
    proc = inst.achievements("123456782", "--json")
    got = {a["record_id"]: a["title"] for a in json.loads(proc.stdout)}
    assert got == {f"T-{i}": t for i, t in enumerate(titles)}


def test_progress_bar_on_a_terminal(inst, tmp_path):
    rows = [make_row(record_id=f"R-{i}", national_id=f"PB{i // 5:07d}") for i in range(6000)]
    path = write_csv(tmp_path / "many.csv", rows)
    master, slave = pty.openpty()
    proc = subprocess.Popen(inst.argv("import", path, "--institution", INSTITUTION),
                            stdout=subprocess.PIPE, stderr=slave, env=inst.env())
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    out = proc.stdout.read().decode()
    assert proc.wait(timeout=120) == 0
    text = shown.decode("utf-8", "replace")
    assert "rows/s" in text and "%" in text, text
    assert parse_report(out)["added"] == 6000
    assert "rows/s" not in out, "the summary on stdout stays clean"


def test_many_rejections_are_summarised(inst, tmp_path):
    rows = [make_row(record_id=f"B-{i}", kind="thesis") for i in range(50)]
    errors = tmp_path / "errors.csv"
    proc = inst.import_csv(write_csv(tmp_path / "bad.csv", rows), "--errors", errors)
    assert proc.returncode == 1
    assert parse_report(proc.stdout)["rejected"] == 50
    assert len(proc.stderr.splitlines()) < 30, "stderr is not flooded"
    with open(errors, newline="") as f:
        assert len(list(csv.reader(f))) == 51, "the errors file has every rejected row"


def test_unwritable_errors_file_stores_nothing(inst, tmp_path):
    path = write_csv(tmp_path / "a.csv", good_rows())
    proc = inst.import_csv(path, "--errors", tmp_path / "no" / "such" / "errors.csv")
    assert proc.returncode == 2
    assert "errors.csv" in proc.stderr
    assert db_scalar(inst.data, "SELECT count(*) FROM achievement") == 0


def test_errors_file_same_as_input_keeps_the_input(inst, tmp_path):
    path = write_csv(tmp_path / "a.csv", good_rows())
    original = path.read_bytes()
    proc = inst.import_csv(path, "--errors", path)
    assert path.read_bytes() == original, "the user's CSV file was overwritten"
    assert proc.returncode == 2


def test_errors_file_is_not_written_through_a_symbolic_link(inst, tmp_path):
    """The rejected rows hold national ids: a link someone left where the errors file is to go
    must not send them into the file it names (the operator's, or anyone's)."""
    path = write_csv(tmp_path / "a.csv", bad_file_rows()[0])
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "rejected.csv"
    link.symlink_to(victim)
    proc = inst.import_csv(path, "--errors", link)
    assert proc.returncode == 2
    assert "symbolic link" in proc.stderr
    assert victim.read_text() == "keep me\n"
    assert db_scalar(inst.data, "SELECT count(*) FROM achievement") == 0


def test_errors_file_is_only_a_plain_file_of_ones_own(inst, tmp_path):
    """Nor into a pipe someone left there (they would read the rows), nor a second name of
    another file; a file of one's own from before is written afresh, readable by its owner
    only."""
    import os
    import stat
    path = write_csv(tmp_path / "a.csv", bad_file_rows()[0])
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    other = tmp_path / "other.txt"
    other.write_text("keep me\n")
    second = tmp_path / "second.csv"
    os.link(other, second)
    for target in (fifo, second):
        proc = inst.import_csv(path, "--errors", target)
        assert proc.returncode == 2 and "not a plain file of yours" in proc.stderr, proc.stderr
    assert other.read_text() == "keep me\n"
    old = tmp_path / "old.csv"
    old.write_text("x" * 100000)
    old.chmod(0o644)
    proc = inst.import_csv(path, "--errors", old)
    assert proc.returncode == 1, proc.stderr
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    assert "x" * 100 not in old.read_text() and "B-1" in old.read_text()
    if os.geteuid() == 0:
        os.chown(old, 65534, 65534)
        proc = inst.import_csv(path, "--errors", old)
        assert proc.returncode == 2 and "not a plain file of yours" in proc.stderr


def test_default_batch_holds_more_rows_than_are_held_in_memory(inst, tmp_path):
    """The importer's own batch (docs/formats.md: 100,000 rows), without the test switch that
    conftest.py sets: 25,000 rows, written into the transaction 10,000 at a time, are one batch,
    one `import.batch` event, with every learner's event."""
    path = bulk_csv(tmp_path / "big.csv", 25_000)
    proc = inst.run("import", path, "--institution", INSTITUTION,
                    env={"OORKONDE_TEST_IMPORT_BATCH_ROWS": ""})
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert parse_report(proc.stdout)["added"] == 25_000
    assert db_scalar(inst.data, "SELECT count(*) FROM achievement") == 25_000
    assert db_scalar(inst.data, "SELECT count(*) FROM audit_event WHERE action = 'import.batch'"
                     " AND detail LIKE '%rows=25000 added=25000 %'") == 1
    assert db_scalar(inst.data, "SELECT count(*) FROM audit_event WHERE action = 'import.batch'"
                     ) == 1
    assert db_scalar(inst.data, "SELECT count(*) FROM audit_event WHERE action = "
                     "'learner.write'") == 2_500


# More rows than one batch (10,000 in these tests, conftest.py): --strict and --dry-run keep the
# whole file in one transaction, so they must cope with files larger than a batch.
BIG = 12_000

def test_dry_run_larger_than_a_batch(inst, tmp_path):
    proc = inst.import_csv(bulk_csv(tmp_path / "big.csv", BIG), "--dry-run")
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert parse_report(proc.stdout)["added"] == BIG
    assert db_scalar(inst.data, "SELECT count(*) FROM achievement") == 0


def test_strict_larger_than_a_batch(inst, tmp_path):
    path = bulk_csv(tmp_path / "big.csv", BIG)
    proc = inst.import_csv(path, "--strict")
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert parse_report(proc.stdout)["added"] == BIG
    assert db_scalar(inst.data, "SELECT count(*) FROM achievement") == BIG


def test_strict_larger_than_a_batch_with_a_bad_last_row(inst, tmp_path):
    path = bulk_csv(tmp_path / "big.csv", BIG)
    with open(path, "a", encoding="utf-8") as f:
        f.write(csv_text([make_row(record_id="BAD", kind="thesis")]).split("\n", 1)[1])
    proc = inst.import_csv(path, "--strict")
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    assert "Nothing was stored" in proc.stdout
    assert db_scalar(inst.data, "SELECT count(*) FROM achievement") == 0


def test_dry_run_larger_than_a_batch_of_unchanged_rows(inst, tmp_path):
    """Unchanged rows touch no learner, so this works today; it guards the report."""
    path = bulk_csv(tmp_path / "big.csv", BIG)
    assert inst.import_csv(path).returncode == 0
    proc = inst.import_csv(path, "--dry-run")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert parse_report(proc.stdout)["unchanged"] == BIG


@pytest.mark.parametrize("field,value", [("title", "Θ" * 300), ("family_name", "Ł" * 200),
                                         ("title", "学" * 150)])
def test_length_limits_count_characters(inst, tmp_path, field, value):
    proc = inst.import_csv(write_csv(tmp_path / "a.csv", [make_row(**{field: value})]))
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("field,value", [("title", "x" * 301), ("family_name", "x" * 201)])
def test_length_limits_reject_longer_values(inst, tmp_path, field, value):
    proc = inst.import_csv(write_csv(tmp_path / "a.csv", [make_row(**{field: value})]))
    assert proc.returncode == 1
    assert field in proc.stderr


def test_huge_field_is_rejected_in_bounded_memory(inst, tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text(csv_text([make_row(record_id="HUGE", title="x" * 20_000_000),
                              make_row(record_id="OK")]), encoding="utf-8")
    proc, rss_kib = inst.run_measured("import", path, "--institution", INSTITUTION)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "title" in proc.stderr
    assert parse_report(proc.stdout)["added"] == 1
    if not SANITIZED:
        assert rss_kib < 32 * 1024, f"peak RSS {rss_kib} KiB for a 20 MB field"
