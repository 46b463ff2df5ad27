"""An attacker's review of identity and authorization (issue 13, items 1 to 3; issue 14's import
checks): another institution with its own key, that knows a learner's national id and nothing
else, must not learn the learner's names or birth date from the importer's answers."""

import json

import pytest

from helpers.base import Oorkonde, csv_text, make_row
from helpers.server import HOST, Server

VICTIM = {"national_id": "100000009", "given_names": "Zwaantje Grietje",
          "family_name": "Oosterhuisplein", "birth_date": "1999-04-05"}
assert sum(int(c) * w for c, w in zip(VICTIM["national_id"], (9, 8, 7, 6, 5, 4, 3, 2, -1))) \
    % 11 == 0

# What an attacker would try, the right value among them (in practice: name lists, a year of
# days); small, so that the test stays fast.
GIVEN = ["Anna", "Jan", "Zwaantje Grietje", "Pieter", "Maria"]
FAMILY = ["de Vries", "Jansen", "Oosterhuisplein", "Bakker"]
DATES = [f"1999-04-{d:02d}" for d in range(1, 11)]


def key_of(stdout):
    import re
    return re.search(r"\(shown once[^)]*\): (ok_\S+)", stdout).group(1)


@pytest.fixture(scope="module")
def world(binary, tmp_path_factory):
    """21AA registered the victim; 21BB has nothing of theirs but the national id."""
    base = tmp_path_factory.mktemp("attack-identity")
    ok = Oorkonde(binary, base / "data")
    ok.run("init", "--host", HOST, check=True)
    keys = {code: ok.add_institution(code=code, name=f"Hogeschool {code}")
            for code in ("21AA", "21BB")}
    (base / "aa.csv").write_text(csv_text([make_row(record_id="A-1", **VICTIM)]))
    ok.run("import", base / "aa.csv", "--institution", "21AA", check=True)
    srv = Server(ok, "--rate-limit", 0, name="attack-identity").start()
    try:
        yield {"ok": ok, "srv": srv, "keys": keys}
    finally:
        srv.stop()


def dry_run(srv, key, rows):
    csv = csv_text([make_row(record_id=f"G-{i}", **r) for i, r in enumerate(rows)])
    r = srv.post("/v1/results?dry_run=true", csv, key=key, ctype="text/csv")
    assert r.status == 200, r
    return {e["line"] - 2: e["field"] for e in r.json()["errors"]}


def test_identity_conflicts_are_no_oracle_for_another_institution(world):
    """With the national id alone, a stranger institution searches one column at a time (the
    conflict named the first column that differs): a few thousand dry-run rows recover names
    and birth date, with no trace in the learner's report. Its conflicts must not say which."""
    srv, key = world["srv"], world["keys"]["21BB"]
    nid = VICTIM["national_id"]
    base = {"national_id": nid, "given_names": "X", "family_name": "X",
            "birth_date": "1900-01-01"}
    found = {}
    for column, candidates in (("given_names", GIVEN), ("family_name", FAMILY),
                               ("birth_date", DATES)):
        rows = [{**base, **found, column: c} for c in candidates]
        fields = dry_run(srv, key, rows)
        assert len(fields) >= len(candidates) - 1, fields
        right = [c for i, c in enumerate(candidates) if fields.get(i) != column]
        if len(right) == 1:
            found[column] = right[0]
    assert found != {k: VICTIM[k] for k in ("given_names", "family_name", "birth_date")}, \
        "another institution recovered the learner's identity from its national id"
    assert found == {}, found
    # Nothing was stored by the dry runs.
    doc = json.loads(world["ok"].run("learner", "report",
                                     json.loads(world["ok"].run(
                                         "achievements", "--national-id", nid, "--json",
                                         check=True).stdout)[0]["learner_id"],
                                     check=True).stdout)
    assert doc["learner"]["given_names"] == VICTIM["given_names"]


def test_own_learner_conflict_still_names_the_column(world):
    """The institution that has a record of the learner (and may read their identity) is told
    which column of its row differs, as the registrar needs to correct a typo."""
    srv, key = world["srv"], world["keys"]["21AA"]
    fields = dry_run(srv, key, [{**VICTIM, "family_name": "Oosterhuis"},
                                {**VICTIM, "birth_date": "1999-04-06"}])
    assert fields == {0: "family_name", 1: "birth_date"}, fields


def test_a_correction_reveals_nothing_of_another_institutions_records(world, tmp_path):
    """21BB, with a record of its own for the learner, corrects the birth date. Whether the new
    date is refused must not depend on 21AA's records: otherwise a few corrections (each put
    back) find the award date of another institution's result, by bisection."""
    ok, srv, keys = world["ok"], world["srv"], world["keys"]
    other = {"national_id": "100000022", "given_names": "Tjitske", "family_name": "Wiersma",
             "birth_date": "1990-03-03"}
    (tmp_path / "aa.csv").write_text(csv_text([make_row(record_id="A-9", awarded_on="2008-06-30",
                                                        **other)]))
    ok.run("import", tmp_path / "aa.csv", "--institution", "21AA", check=True)
    (tmp_path / "bb.csv").write_text(csv_text([make_row(record_id="B-9", awarded_on="2020-01-31",
                                                        **other)]))
    ok.run("import", tmp_path / "bb.csv", "--institution", "21BB", check=True)
    learner = json.loads(ok.run("achievements", "--national-id", other["national_id"], "--json",
                                check=True).stdout)[0]["learner_id"]

    def patch(date):
        return srv.request("PATCH", f"/v1/learners/{learner}", {"birth_date": date},
                           key=keys["21BB"], purpose="correction")

    # 2010 is before 21BB's own award (2020) and after 21AA's (2008): 21BB may not learn that.
    r = patch("2010-01-01")
    assert r.status == 200 and b"earliest award" not in r.body, r
    # Its own records still bound the date, and the operator's correction sees every record.
    r = patch("2020-02-01")
    assert r.status == 422 and b"earliest award" in r.body, r
    assert srv.request("PATCH", f"/v1/learners/{learner}", {"birth_date": other["birth_date"]},
                       key=keys["21BB"], purpose="correction").status == 200
    proc = ok.run("learner", "correct", learner, "--birth-date", "2009-01-01")
    assert proc.returncode == 1 and "earliest award" in proc.stderr, proc.stderr


# Characters that show nothing: Unicode's default-ignorable code points beyond the bidi
# controls and zero-width characters. A name or title with one looks like another on every
# page and in every credential, and compares unequal to it.
@pytest.mark.parametrize("column,value,cp", [
    ("family_name", "Oosterhuis\u00adplein", "U+00AD"),   # soft hyphen
    ("given_names", "Zwaantje\u2064", "U+2064"),           # invisible plus
    ("given_names", "Zwaantje\u206a", "U+206A"),           # deprecated format character
    ("family_name", "Wiersma\U000e0041", "U+E0041"),       # tag letter A
    ("title", "BSc Psychologie\u3164", "U+3164"),          # Hangul filler (shows as a blank)
    ("title", "BSc\u180e Psychologie", "U+180E"),          # Mongolian vowel separator
])
def test_invisible_characters_are_refused_on_import(world, tmp_path, column, value, cp):
    fields = {"record_id": f"H-{cp}", "national_id": "100000034", "given_names": "Sietske",
              "family_name": "Wiersma", "birth_date": "1995-05-05"}
    row = make_row(**{**fields, column: value})
    (tmp_path / "h.csv").write_text(csv_text([row]))
    proc = world["ok"].run("import", tmp_path / "h.csv", "--institution", "21AA")
    assert proc.returncode == 1, proc.stdout
    assert f"{column} contains an invisible or text-direction character ({cp})" \
        in proc.stderr, proc.stderr
