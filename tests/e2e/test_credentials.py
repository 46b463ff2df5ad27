"""Credentials end to end: issue (Data Integrity and JWT, one achievement or all of a learner's),
verify (exit 0 valid, 1 not valid, 2 not a credential; --json in the VC-API shape; --checks;
--any-issuer), the trust list, the depository's identity, and privacy of the national id.
Credentials signed by another implementation (expired, not yet valid) come from
tests/interop/fixtures, made with Digital Bazaar's stack by tests/interop/fixtures.mjs."""
import base64
import json
import os
import pathlib
import re

import pytest

from helpers.base import ROOT, INSTITUTION, Oorkonde, make_row, write_csv
from helpers import store

FIXTURES = ROOT / "tests" / "interop" / "fixtures"
NATIONAL_ID = "123456782"
CHECKS = ["proof", "validity", "status", "issuer"]


@pytest.fixture(scope="module")
def issuer_template(binary, inst_template, tmp_path_factory):
    """issuer's data folder and its records, made once per module and copied for each test."""
    base = tmp_path_factory.mktemp("issuer")
    ok = Oorkonde(binary, base / "data")
    mark = len(store.made)
    store.copy_folder(inst_template, ok.data)
    rows = [
        make_row(record_id="R-1", national_id=NATIONAL_ID, given_names="Łukasz 𝔄",
                 family_name="Müller-Dağ", title="Mechanics"),
        make_row(record_id="R-2", national_id=NATIONAL_ID, given_names="Łukasz 𝔄",
                 family_name="Müller-Dağ", kind="exam", title="Final exam", grade="pass",
                 grading_scheme="pass/fail", credits=""),
        make_row(record_id="R-3", national_id=NATIONAL_ID, given_names="Łukasz 𝔄",
                 family_name="Müller-Dağ", kind="degree", title="BSc Physics", eqf_level="6",
                 credits="180", grade="", grading_scheme="", programme_code="56984"),
    ]
    proc = ok.import_csv(write_csv(base / "rows.csv", rows), "--strict")
    assert proc.returncode == 0, proc.stderr
    records = ok.achievements_json(NATIONAL_ID)
    assert len(records) == 3
    # Made during the first test that asks: kept from that test's end, dropped at the module's.
    databases = store.keep_since(mark)
    yield ok.data, records
    store.drop(databases)


@pytest.fixture
def issuer(ok, issuer_template):
    """A data folder (did:key) with one learner holding three achievements (a copy of
    issuer_template's)."""
    data, records = issuer_template
    store.copy_folder(data, ok.data)
    ok.records = json.loads(json.dumps(records))
    return ok


def other_folder(binary, tmp_path, name="other", host=None):
    """A second depository with its own key and one achievement."""
    o = Oorkonde(binary, tmp_path / name)
    o.run("init", *(["--host", host] if host else []), check=True)
    o.add_institution()
    proc = o.import_csv(write_csv(tmp_path / f"{name}.csv", [make_row()]))
    assert proc.returncode == 0, proc.stderr
    o.records = o.achievements_json("123456782")
    return o


def issue(ok, achievement_id, *options):
    proc = ok.run("issue", achievement_id, *options, check=True)
    return proc.stdout


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def verify(ok, path, *options):
    """Runs verify --json; returns (exit status, parsed result or None)."""
    proc = ok.run("verify", path, "--json", *options)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        result = None
    return proc.returncode, result


def detail(result, check):
    found = [d for d in result["details"] if d["check"] == check]
    assert len(found) == 1, result
    return found[0]


def did_of(ok):
    return ok.run("identity", check=True).stdout.splitlines()[0].strip()


def jwt_payload(token):
    part = token.strip().split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# Issue and verify


def test_issue_then_verify_is_valid(issuer, tmp_path):
    for rec in issuer.records:
        path = write(tmp_path, f"{rec['id']}.json", issue(issuer, rec["id"]))
        proc = issuer.run("verify", path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "VALID" in proc.stdout
        for check in CHECKS:
            assert re.search(rf"ok\s+{check}\b", proc.stdout), proc.stdout


def test_issue_to_file_with_o(issuer, tmp_path):
    out = tmp_path / "c.json"
    issuer.run("issue", issuer.records[0]["id"], "-o", out, check=True)
    vc = json.loads(out.read_text(encoding="utf-8"))
    assert vc["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert vc["issuer"]["id"] == did_of(issuer)
    assert verify(issuer, out)[0] == 0


def test_json_has_the_vc_api_shape(issuer, tmp_path):
    path = write(tmp_path, "c.json", issue(issuer, issuer.records[0]["id"]))
    status, result = verify(issuer, path)
    assert status == 0
    assert {"verified", "checks", "warnings", "errors"} <= set(result)
    assert result["verified"] is True
    assert result["checks"] == CHECKS
    assert result["warnings"] == [] and result["errors"] == []
    assert all(isinstance(c, str) for c in result["checks"])


def test_altered_credential_fails_the_proof(issuer, tmp_path):
    vc = json.loads(issue(issuer, issuer.records[2]["id"]))
    vc["credentialSubject"]["achievement"]["name"] = "PhD Physics"
    path = write(tmp_path, "altered.json", json.dumps(vc))
    status, result = verify(issuer, path)
    assert status == 1
    assert result["verified"] is False
    assert "proof" not in result["checks"]
    proof = detail(result, "proof")
    assert proof["passed"] is False
    assert "changed" in proof["message"]
    assert any(e.get("check") == "proof" and "changed" in e["detail"] for e in result["errors"])
    # The plain output says so too.
    proc = issuer.run("verify", path)
    assert proc.returncode == 1
    assert re.search(r"FAIL\s+proof.*changed", proc.stdout), proc.stdout


def test_one_byte_changed_in_the_file_fails(issuer, tmp_path):
    rec = next(r for r in issuer.records if r["title"] == "Mechanics")
    text = issue(issuer, rec["id"])
    assert '"Mechanics"' in text
    path = write(tmp_path, "altered.json", text.replace('"Mechanics"', '"Mechanicz"', 1))
    assert verify(issuer, path)[0] == 1


def test_reformatted_credential_still_verifies(issuer, tmp_path):
    """Whitespace and key order are not signed: JCS canonicalizes them away."""
    vc = json.loads(issue(issuer, issuer.records[0]["id"]))
    reordered = dict(reversed(list(vc.items())))
    path = write(tmp_path, "reformatted.json", json.dumps(reordered, ensure_ascii=True))
    assert verify(issuer, path)[0] == 0


@pytest.mark.parametrize("content", [
    b"garbage\n", b"", b"   \n", b"{", b"[1, 2, 3]", b'"a string"', b"{}",
    b'{"@context": ["https://www.w3.org/ns/credentials/v2"]}', b"\xff\xfe{}",
    b'{"a": 1, "a": 2}', b"a.b.c", b"[" * 100 + b"]" * 100,
], ids=["text", "empty", "blank", "truncated", "array", "string", "empty-object",
        "no-type", "bad-utf8", "duplicate-key", "bad-jws", "too-deep"])
def test_garbage_is_not_a_credential(issuer, tmp_path, content):
    path = tmp_path / "garbage"
    path.write_bytes(content)
    status, result = verify(issuer, path)
    assert status == 2, result
    assert result["verified"] is False
    assert result["errors"] and result["errors"][0]["detail"]


def test_over_1_mib_is_not_a_credential(issuer, tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b'{"a": "' + b"x" * (1 << 20) + b'"}')
    proc = issuer.run("verify", path)
    assert proc.returncode == 2
    assert "1 MiB" in proc.stdout + proc.stderr


def test_over_1_mib_with_json_prints_a_vc_api_result(issuer, tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b'{"a": "' + b"x" * (1 << 20) + b'"}')
    status, result = verify(issuer, path)
    assert status == 2
    assert result is not None and result["verified"] is False and result["errors"]


def test_missing_file_is_exit_2(issuer, tmp_path):
    proc = issuer.run("verify", tmp_path / "no-such-file.json")
    assert proc.returncode == 2
    assert "no-such-file.json" in proc.stderr


def test_verify_reads_standard_input(issuer):
    text = issue(issuer, issuer.records[0]["id"])
    assert issuer.run("verify", "-", input=text).returncode == 0
    assert issuer.run("verify", "-", input="nonsense").returncode == 2


# Validity period (credentials signed by Digital Bazaar's stack, see tests/interop)


def fixture(name):
    path = FIXTURES / name
    if not path.exists():
        pytest.fail(f"{path} missing: run `node tests/interop/fixtures.mjs`")
    return path


def test_expired_credential_is_not_valid(ok):
    status, result = verify(ok, fixture("db-expired.json"), "--any-issuer")
    assert status == 1
    assert detail(result, "proof")["passed"] is True
    validity = detail(result, "validity")
    assert validity["passed"] is False and "expired" in validity["message"]


def test_not_yet_valid_credential_is_not_valid(ok):
    status, result = verify(ok, fixture("db-not-yet-valid.json"), "--any-issuer")
    assert status == 1
    assert detail(result, "validity")["passed"] is False


def test_credential_signed_by_another_implementation_is_valid(ok):
    status, result = verify(ok, fixture("db-valid.json"), "--any-issuer")
    assert status == 0, result
    assert [w["check"] for w in result["warnings"]] == ["issuer"]


# Trust


def test_untrusted_issuer_then_trust_add_and_remove(issuer, binary, tmp_path):
    other = other_folder(binary, tmp_path)
    other_did = did_of(other)
    assert other_did != did_of(issuer)
    path = write(tmp_path, "foreign.json", issue(other, other.records[0]["id"]))
    # The other depository's status lists are not served here (its server is not running), so
    # these checks leave status out; test_status.py covers lists fetched from another server.
    checks = ("--checks", "proof,validity,issuer")

    status, result = verify(issuer, path, *checks)
    assert status == 1
    assert detail(result, "proof")["passed"] is True
    assert detail(result, "issuer")["passed"] is False
    assert "trust list" in detail(result, "issuer")["message"]

    status, result = verify(issuer, path, "--any-issuer", *checks)
    assert status == 0
    assert result["verified"] is True
    assert [w["check"] for w in result["warnings"]] == ["issuer"]

    issuer.run("trust", "add", other_did, "--name", "Norsk depot", "--country", "NO", check=True)
    listed = issuer.run("trust", "list", "--json", check=True).stdout
    assert other_did in listed and "Norsk depot" in listed
    status, result = verify(issuer, path, *checks)
    assert status == 0, result
    assert result["warnings"] == []
    assert "Norsk depot" in detail(result, "issuer")["message"]

    issuer.run("trust", "remove", other_did, check=True)
    assert other_did not in issuer.run("trust", "list", "--json", check=True).stdout
    assert verify(issuer, path, *checks)[0] == 1


def test_trusting_another_implementations_issuer(ok):
    ok.init()
    path = fixture("db-valid.json")
    assert verify(ok, path)[0] == 1
    did = (FIXTURES / "db-issuer.txt").read_text().strip()
    ok.run("trust", "add", did, "--name", "Test depot", "--country", "NO", check=True)
    assert verify(ok, path)[0] == 0


def test_without_a_data_folder_no_issuer_is_trusted(issuer, binary, tmp_path):
    path = write(tmp_path, "c.json", issue(issuer, issuer.records[0]["id"]))
    nowhere = Oorkonde(binary, tmp_path / "no-data-folder")
    status, result = verify(nowhere, path)
    assert status == 1
    assert detail(result, "proof")["passed"] is True
    assert detail(result, "issuer")["passed"] is False
    # Without the data folder the issuer's status lists must be fetched from its server, which
    # is not running here: the status check fails rather than passing silently.
    assert detail(result, "status")["passed"] is False
    assert "could not be retrieved" in detail(result, "status")["message"]
    assert verify(nowhere, path, "--any-issuer", "--checks", "proof,validity,issuer")[0] == 0


# --checks


def test_checks_proof_runs_only_the_proof(issuer, binary, tmp_path):
    other = other_folder(binary, tmp_path)
    path = write(tmp_path, "foreign.json", issue(other, other.records[0]["id"]))
    status, result = verify(issuer, path, "--checks", "proof")
    assert status == 0, result
    assert result["checks"] == ["proof"]
    assert [d["check"] for d in result["details"]] == ["proof"]

    status, result = verify(issuer, fixture("db-expired.json"), "--checks", "proof")
    assert status == 0 and result["checks"] == ["proof"]

    vc = json.loads(path.read_text(encoding="utf-8"))
    vc["name"] = "changed"
    altered = write(tmp_path, "altered.json", json.dumps(vc))
    status, result = verify(issuer, altered, "--checks", "proof")
    assert status == 1 and result["checks"] == []


def test_checks_subsets_and_unknown_names(issuer, tmp_path):
    status, result = verify(issuer, fixture("db-expired.json"), "--checks", "validity,issuer")
    assert status == 1
    assert [d["check"] for d in result["details"]] == ["validity", "issuer"]
    status, result = verify(issuer, fixture("db-expired.json"), "--checks", "proof,status")
    assert status == 0 and result["checks"] == ["proof", "status"]
    proc = issuer.run("verify", fixture("db-valid.json"), "--checks", "proof,bogus")
    assert proc.returncode == 2
    assert "bogus" in proc.stderr


# Issuing all of a learner's achievements


@pytest.mark.parametrize("fmt,ext", [("di", "json"), ("jwt", "jwt")])
def test_issue_learner_id_writes_one_file_per_achievement(issuer, tmp_path, fmt, ext):
    out = tmp_path / f"out-{fmt}"
    learner = issuer.records[0]["learner_id"]
    issuer.run("issue", "--learner-id", learner, "-o", out, "--format", fmt, check=True)
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(f"{r['id']}.{ext}" for r in issuer.records)
    for name in files:
        status, result = verify(issuer, out / name)
        assert status == 0, (name, result)


def test_issue_learner_id_needs_a_folder_and_a_known_learner(issuer, tmp_path):
    learner = issuer.records[0]["learner_id"]
    assert issuer.run("issue", "--learner-id", learner).returncode != 0
    proc = issuer.run("issue", "--learner-id", "0" * 24, "-o", tmp_path / "x")
    assert proc.returncode != 0


def test_issue_unknown_achievement_fails(issuer):
    proc = issuer.run("issue", "ffffffffffffffffffffffff")
    assert proc.returncode not in (0, None)
    assert proc.stdout == ""


# Identity


def test_identity_is_did_key_without_host(ok):
    ok.init()
    out = ok.run("identity", check=True).stdout
    did = out.splitlines()[0].strip()
    assert re.fullmatch(r"did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}", did), did
    doc = json.loads(out[out.index("\n") + 1:])
    assert doc["id"] == did
    assert doc["verificationMethod"][0]["id"] == f"{did}#{did[8:]}"
    assert doc["verificationMethod"][0]["type"] == "Multikey"
    assert doc["assertionMethod"] == [doc["verificationMethod"][0]["id"]]


def test_identity_is_did_web_with_host(binary, tmp_path):
    web = Oorkonde(binary, tmp_path / "web")
    web.run("init", "--host", "diplomas.example.org", check=True)
    out = web.run("identity", check=True).stdout
    assert out.splitlines()[0].strip() == "did:web:diplomas.example.org"
    doc = json.loads(out[out.index("\n") + 1:])
    assert doc["verificationMethod"][0]["id"] == "did:web:diplomas.example.org#key-1"
    # Its credentials name that DID and verify at home.
    web.add_institution()
    assert web.import_csv(write_csv(tmp_path / "r.csv", [make_row()])).returncode == 0
    rec = web.achievements_json("123456782")[0]
    vc = json.loads(issue(web, rec["id"]))
    assert vc["issuer"]["id"] == "did:web:diplomas.example.org"
    assert vc["proof"]["verificationMethod"] == "did:web:diplomas.example.org#key-1"
    path = write(tmp_path, "web.json", json.dumps(vc))
    assert verify(web, path)[0] == 0


# Privacy


def test_holder_named_by_name_and_birth_date_never_by_national_id(issuer, tmp_path):
    for fmt in ("di", "jwt"):
        text = issue(issuer, issuer.records[0]["id"], "--format", fmt)
        vc = jwt_payload(text) if fmt == "jwt" else json.loads(text)
        flat = json.dumps(vc, ensure_ascii=False)
        assert NATIONAL_ID not in flat and NATIONAL_ID not in text
        assert "salt" not in flat and "nationalIdentityNumber" not in flat
        ids = vc["credentialSubject"]["identifier"]
        assert [(i["type"], i["identityType"], i["hashed"]) for i in ids] == [
            ("IdentityObject", "name", False), ("IdentityObject", "ext:birthDate", False)]
        assert "Łukasz 𝔄" in ids[0]["identityHash"] and "Müller-Dağ" in ids[0]["identityHash"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", ids[1]["identityHash"])


def test_data_folder_files_hold_no_national_id(issuer):
    for name in os.listdir(issuer.data):
        assert NATIONAL_ID.encode() not in (pathlib.Path(issuer.data) / name).read_bytes(), name


# JWT


def test_jwt_issue_then_verify(issuer, tmp_path):
    token = issue(issuer, issuer.records[1]["id"], "--format", "jwt")
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n?", token)
    header = jwt_payload(token.split(".", 1)[0] + "." + token.split(".", 1)[0])
    assert header["alg"] == "EdDSA" and header["typ"] == "vc+jwt"
    assert header["kid"].startswith(did_of(issuer) + "#")
    path = write(tmp_path, "c.jwt", token)
    status, result = verify(issuer, path)
    assert status == 0, result
    assert result["checks"] == CHECKS


def test_altered_jwt_fails(issuer, tmp_path):
    token = issue(issuer, issuer.records[1]["id"], "--format", "jwt").strip()
    h, p, s = token.split(".")
    payload = jwt_payload(token)
    payload["credentialSubject"]["achievement"]["name"] = "Doctorate"
    p2 = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    status, result = verify(issuer, write(tmp_path, "forged.jwt", f"{h}.{p2}.{s}"))
    assert status == 1
    assert detail(result, "proof")["passed"] is False
    flipped = s[:3] + ("A" if s[3] != "A" else "B") + s[4:]
    status, result = verify(issuer, write(tmp_path, "flipped.jwt", f"{h}.{p}.{flipped}"))
    assert status == 1
