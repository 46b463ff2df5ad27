"""The registrar's view (issue 14): `achievements` shows each record's status and the institution's
own record id and finds a record by it; revoke, suspend and reinstate take --record-id with
--institution; `init --name` names the depository in its credentials and on its pages."""
import json
import re

from helpers.base import INSTITUTION, Oorkonde, make_row, parse_report, write_csv
from helpers.server import Server

ROWS = [make_row(record_id="2021-MECH-0871", title="Mechanics"),
        make_row(record_id="2021-QM-0001", title="Quantum mechanics"),
        make_row(record_id="2023-BSC-0012", kind="degree", title="BSc Physics", credits="180",
                 eqf_level="6",
                 grade="")]


def registered(inst, tmp_path):
    path = write_csv(tmp_path / "r.csv", ROWS)
    assert parse_report(inst.import_csv(path).stdout)["added"] == 3
    # Another institution holds a record with the same record id for someone else.
    inst.add_institution(code="21YY", name="Hogeschool Elders")
    other = write_csv(tmp_path / "o.csv", [make_row(record_id="2021-QM-0001",
                                                    national_id="100000009",
                                                    given_names="Bram", family_name="Bakker")])
    assert parse_report(inst.import_csv(other, institution="21YY").stdout)["added"] == 1
    return inst


def table(stdout):
    """record id -> (status, title) from the text listing."""
    lines = stdout.splitlines()
    assert lines[1].split() == ["ACHIEVEMENT", "INST", "RECORD", "KIND", "AWARDED", "ECTS",
                                "GRADE", "STATUS", "TITLE"], lines[1]
    rows = {}
    for line in lines[2:]:
        m = re.match(r"^  [0-9a-f]{24} (\S+) +(\S+) +\S+ +\S+ +\S+ +\S+ +(valid|suspended|revoked)"
                     r" +(.+)$", line)
        assert m, line
        rows[(m.group(1), m.group(2))] = (m.group(3), m.group(4))
    return rows


def test_status_and_record_id_in_the_listing(inst, tmp_path):
    registered(inst, tmp_path)
    proc = inst.run("suspend", "--record-id", "2021-QM-0001", "--institution", INSTITUTION,
                    "--reason", "under review")
    assert proc.returncode == 0 and "is now suspended" in proc.stdout, proc.stderr
    proc = inst.run("revoke", "--record-id", "2021-MECH-0871", "--institution", INSTITUTION,
                    "--reason", "obtained by fraud")
    assert proc.returncode == 0 and "is now revoked" in proc.stdout, proc.stderr
    assert table(inst.achievements("123456782").stdout) == {
        (INSTITUTION, "2021-MECH-0871"): ("revoked", "Mechanics"),
        (INSTITUTION, "2021-QM-0001"): ("suspended", "Quantum mechanics"),
        (INSTITUTION, "2023-BSC-0012"): ("valid", "BSc Physics"),
    }
    # The other institution's record with the same record id was not touched.
    assert table(inst.achievements("100000009").stdout) == {
        ("21YY", "2021-QM-0001"): ("valid", "Mechanics")}
    # JSON keeps the stored status words.
    by_record = {a["record_id"]: a["status"] for a in inst.achievements_json("123456782")}
    assert by_record == {"2021-MECH-0871": "revoked", "2021-QM-0001": "suspended",
                         "2023-BSC-0012": "active"}

    proc = inst.run("reinstate", "--record-id", "2021-QM-0001", "--institution", INSTITUTION,
                    "--reason", "review done")
    assert proc.returncode == 0 and "is now active" in proc.stdout
    # Revoked is final, by record id as by achievement id.
    proc = inst.run("reinstate", "--record-id", "2021-MECH-0871", "--institution", INSTITUTION,
                    "--reason", "mistake")
    assert proc.returncode == 1
    assert table(inst.achievements("123456782").stdout)[(INSTITUTION, "2021-QM-0001")][0] == \
        "valid"


def test_lookup_by_record_id(inst, tmp_path):
    registered(inst, tmp_path)
    proc = inst.run("achievements", "--record-id", "2021-QM-0001", "--institution", "21YY")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Learner ") and "Bram Bakker" in proc.stdout
    assert table(proc.stdout) == {("21YY", "2021-QM-0001"): ("valid", "Mechanics")}
    doc = json.loads(inst.run("achievements", "--record-id", "2023-BSC-0012", "--institution",
                              INSTITUTION, "--json", check=True).stdout)
    assert [(a["record_id"], a["title"], a["status"]) for a in doc] == [
        ("2023-BSC-0012", "BSc Physics", "active")]

    missing = inst.run("achievements", "--record-id", "2023-BSC-0012", "--institution", "21YY")
    assert missing.returncode == 1
    assert "21YY holds no record with that record id" in missing.stderr
    unknown = inst.run("achievements", "--record-id", "X", "--institution", "99ZZ")
    assert unknown.returncode == 1 and "unknown institution 99ZZ" in unknown.stderr
    for args in (["--record-id", "X"], ["--institution", INSTITUTION],
                 ["--record-id", "X", "--institution", INSTITUTION, "--national-id", "123456782"]):
        proc = inst.run("achievements", *args)
        assert proc.returncode == 2, (args, proc.stderr)


def test_status_commands_by_record_id_check_their_arguments(inst, tmp_path):
    registered(inst, tmp_path)
    achievement = inst.achievements_json("123456782")[0]["id"]
    cases = [
        (["revoke", "--record-id", "2021-QM-0001", "--reason", "x"], 2, "go together"),
        (["revoke", achievement, "--record-id", "2021-QM-0001", "--institution", INSTITUTION,
          "--reason", "x"], 2, "either ACHIEVEMENT_ID or --record-id"),
        (["suspend", "--record-id", "nope", "--institution", INSTITUTION, "--reason", "x"], 1,
         f"{INSTITUTION} holds no record"),
        (["suspend", "--record-id", "2023-BSC-0012", "--institution", "21YY", "--reason", "x"], 1,
         "21YY holds no record"),
        (["suspend", "--record-id", "2023-BSC-0012", "--institution", INSTITUTION], 2,
         "--reason TEXT is required"),
    ]
    for args, code, message in cases:
        proc = inst.run(*args)
        assert proc.returncode == code and message in proc.stderr, (args, proc.stderr)
    assert {a["status"] for a in inst.achievements_json("123456782")} == {"active"}
    assert "--record-id ID" in inst.run("revoke", "--help").stdout


NAME = "Dienst Uitvoering Onderwijs"


def test_init_name_names_the_depository(binary, tmp_path):
    ok = Oorkonde(binary, tmp_path / "data")
    proc = ok.run("init", "--host", "localhost:8080", "--name", NAME)
    assert proc.returncode == 0 and f"name         {NAME}" in proc.stdout
    assert json.loads((ok.data / "config.json").read_text())["name"] == NAME
    ok.add_institution()
    write_csv(tmp_path / "r.csv", [make_row()])
    ok.import_csv(tmp_path / "r.csv")
    achievement = ok.achievements_json("123456782")[0]["id"]
    for fmt in ("di", "jwt"):
        out = tmp_path / f"c.{fmt}"
        ok.run("issue", achievement, "--format", fmt, "-o", out, check=True)
        text = out.read_text()
        if fmt == "jwt":
            import base64
            payload = text.strip().split(".")[1]
            text = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
        doc = json.loads(text)
        doc = doc.get("vc", doc)
        assert doc["issuer"]["name"] == NAME, doc["issuer"]
    srv = Server(ok).start()
    try:
        page = srv.get("/verify", headers={"Accept": "text/html"})
        assert page.status == 200 and NAME in page.body.decode()
    finally:
        srv.stop()


def test_init_name_refuses_what_could_mislead(binary, tmp_path):
    for i, bad in enumerate(["", "x" * 201, "Dienst\u202eOnderwijs", "Dienst\x1b[2JOnderwijs",
                             "Dienst\u2066Onderwijs"]):
        ok = Oorkonde(binary, tmp_path / f"d{i}")
        proc = ok.run("init", "--name", bad)
        assert proc.returncode == 2 and "name" in proc.stderr, (bad, proc.stderr)
        assert not ok.data.exists(), bad
    ok = Oorkonde(binary, tmp_path / "plain")
    ok.init()
    assert json.loads((ok.data / "config.json").read_text())["name"] == "oorkonde depository"
