"""institution add prints an API key once and stores only its hash; duplicates and bad country
codes are refused with a message naming the problem."""
import re

import pytest

from helpers.base import api_key_from, db_bytes, make_row, write_csv


def test_add_prints_key_once_and_stores_only_a_hash(ok):
    ok.init()
    proc = ok.run("institution", "add", "--code", "21PB", "--name", "Rijksuniversiteit Groningen",
                  "--country", "NL", "--erasmus", "NL GRONING01", "--schac", "rug.nl")
    assert proc.returncode == 0, proc.stderr
    key = api_key_from(proc.stdout)
    assert len(key) >= 32
    assert proc.stdout.count(key) == 1
    assert key not in proc.stderr
    for name, data in db_bytes(ok.data).items():
        assert key.encode() not in data, f"the API key is stored in clear in {name}"
        # Nor the part after any prefix ("ok_…").
        secret = key.split("_", 1)[-1]
        assert secret.encode() not in data, f"the API key's secret part is in {name}"
    for p in ok.data.iterdir():
        assert key.encode() not in p.read_bytes(), p.name


def test_each_institution_gets_its_own_key(ok):
    ok.init()
    a = ok.add_institution(code="21PB")
    b = ok.add_institution(code="25BE")
    assert a != b


def test_duplicate_code_refused(ok):
    ok.init()
    ok.add_institution(code="21PB", name="First")
    proc = ok.run("institution", "add", "--code", "21PB", "--name", "Second", "--country", "NL")
    assert proc.returncode == 2
    assert "21PB" in proc.stderr and "exists" in proc.stderr
    assert "API key" not in proc.stdout


@pytest.mark.parametrize("country", ["nl", "NLD", "Netherlands", "N1", "", "XX"])
def test_bad_country_refused_naming_the_field(ok, country):
    ok.init()
    proc = ok.run("institution", "add", "--code", "21PB", "--name", "X", "--country", country)
    assert proc.returncode == 2, proc.stdout
    assert "country" in proc.stderr
    assert "API key" not in proc.stdout
    # Nothing was added: the same code is still free.
    ok.add_institution(code="21PB")


def test_import_into_new_institution(ok, tmp_path):
    ok.init()
    ok.add_institution(code="21PB")
    path = write_csv(tmp_path / "a.csv", [make_row()])
    proc = ok.import_csv(path, institution="21PB")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"1 added", proc.stdout)
