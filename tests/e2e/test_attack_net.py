"""An outsider's attacks on the public verifier and on foreign imports, found in the attack review
after issue 13 (items 4, 7, 12), each against a real server on loopback, bounded in count and time.
The verifier depository of test_hostile_net (the `verifier` fixture) is reused."""
import base64
import gzip
import json
import time

import signing
from helpers.base import make_row
from helpers.net import VC_V2, credential, details, status_entry, verify


def test_created_on_a_day_that_does_not_exist_is_not_a_way_around_the_future_check(verifier):
    """A proof created "2099-02-30" passed: the proof's own check let any day up to 31 through
    and the future check skipped a time it could not read, so the signer's clock was never
    compared. Such a created is not a date; a later one in the future must fail as future."""
    ok = verifier["ok"]
    did = ok.run("identity", check=True).stdout.splitlines()[0]
    year = time.gmtime().tm_year + 50
    for created in (f"{year}-02-30T00:00:00Z", f"{year}-04-31T12:00:00.5+01:00"):
        vc = signing.sign(ok, credential(did), created=created)
        r, _ = verify(verifier, vc)
        d = details(r)
        assert r.json()["verified"] is False, (created, r.json())
        assert not d["proof"]["passed"], (created, d)
    # A real day, long past, still verifies: only days that do not exist are refused.
    vc = signing.sign(ok, credential(did), created="2024-02-29T10:00:00Z")
    r, _ = verify(verifier, vc)
    assert r.json()["verified"] is True, r.json()


def small_list(w, url, entries=131072):
    """A good revocation list of the stranger's (the specification's minimum length)."""
    encoded = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(entries // 8))).decode().rstrip("=")
    return signing.sign(w["stranger"], {
        "@context": [VC_V2], "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": w["stranger_did"],
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation", "encodedList": encoded}})


def test_entry_past_the_end_of_a_good_list_does_not_fetch_it_again(verifier):
    """A trusted issuer's credential whose index lies past the end of its (good, signed) list:
    the list was verified and thrown away, and neither kept nor remembered as a failure, so
    every verification of that credential fetched it again."""
    ok, listener = verifier["ok"], verifier["listener"]
    path = "/short/revocation/1"
    url = f"http://{listener.host}{path}"
    listener.routes[path] = json.dumps(small_list(verifier, url)).encode()
    before = len(listener.hits)
    vc = signing.sign(verifier["stranger"], credential(
        verifier["stranger_did"], credentialStatus=status_entry(url, index=131072 + 7)))
    ok.run("trust", "add", verifier["stranger_did"], "--name", "Stranger", "--country", "SE",
           check=True)
    try:
        for _ in range(4):
            r, _ = verify(verifier, vc)
            d = details(r)
            assert d["proof"]["passed"] and not d["status"]["passed"], d
            assert "past the end" in d["status"]["message"], d
        assert listener.hits[before:] == [path], listener.hits[before:]
        # A credential of the same list within its end is answered from the kept list.
        good = signing.sign(verifier["stranger"], credential(
            verifier["stranger_did"], credentialStatus=status_entry(url, index=9)))
        r, _ = verify(verifier, good, ["proof", "status"])
        assert r.json()["verified"] is True, r.json()
        assert listener.hits[before:] == [path], listener.hits[before:]
    finally:
        ok.run("trust", "remove", verifier["stranger_did"], check=True)


def test_headline_never_says_genuine_when_the_signature_was_not_checked(verifier, tmp_path):
    """options.checks may leave the proof out. A credential of this depository altered after
    signing (another title and grade) then came back with the headline "Verified: genuine and
    valid" and its altered holder and result beside it; and an altered one naming a revoked
    record's slot got "Revoked by the institution on DATE", the record's date read from the store
    for a credential nobody signed. The headline a person reads says "verified" only when the
    signature was checked and held."""
    ok = verifier["ok"]
    [a] = json.loads(ok.run("achievements", "--national-id", make_row()["national_id"], "--json",
                            check=True).stdout)
    path = tmp_path / "c.json"
    ok.run("issue", a["id"], "-o", str(path), check=True)
    forged = json.loads(path.read_text())
    forged["credentialSubject"]["achievement"]["name"] = "MSc Medicine"
    for checks in (["status"], ["validity"], ["status", "validity", "issuer"]):
        r, _ = verify(verifier, forged, checks)
        doc = r.json()
        assert doc["headline"]["state"] != "verified", (checks, doc["headline"])
        assert "genuine" not in doc["headline"]["text"], (checks, doc["headline"])
    # The full checks still say verified for the credential as issued.
    r, _ = verify(verifier, json.loads(path.read_text()))
    assert r.json()["headline"]["state"] == "verified", r.json()
    # Revoked (last: the module's other tests use this record's lists, not its status).
    ok.run("revoke", a["id"], "--reason", "test", check=True)
    r, _ = verify(verifier, forged, ["status"])
    assert r.json()["headline"]["since"] is None, r.json()["headline"]
    r, _ = verify(verifier, json.loads(path.read_text()))
    assert r.json()["headline"]["state"] == "revoked" and r.json()["headline"]["since"]


def unsigned(issuer, vm):
    vc = credential(issuer)
    vc["proof"] = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
                   "verificationMethod": vm, "proofPurpose": "assertionMethod",
                   "proofValue": "z" + signing.base58btc(bytes(range(1, 65)))}
    return vc


def test_long_non_ascii_issuer_or_key_id_gets_an_answer_not_a_500(verifier, tmp_path):
    """A stranger's credential whose issuer or verification method is long and not ASCII ("é"
    is two bytes): the issuer was cut to 255 bytes and each check's message to 399, in the
    middle of a character, and the answer could then not be written as JSON: 500 "out of
    memory" from the public verifier, and nothing from `oorkonde verify --json`."""
    cases = []
    for k in range(4):
        cases.append(unsigned("did:key:z" + "a" * k + "é" * 300, "did:key:z6Mk#k"))
        cases.append(unsigned("did:key:z6Mk" + "b" * k, "did:key:z6Mk" + "b" * k + "#" + "é" * 250))
        cases.append(unsigned("did:web:x" + "c" * k + "é" * 200, "did:web:x#" + "é" * 10))
    for vc in cases:
        r, _ = verify(verifier, vc)
        doc = r.json()
        assert doc["verified"] is False and "headline" in doc, doc
        for d in doc["details"]:
            assert d["message"], d
    ok = verifier["ok"]
    for i, vc in enumerate(cases[:3]):
        path = tmp_path / f"c{i}.json"
        path.write_text(json.dumps(vc, ensure_ascii=False))
        proc = ok.run("verify", str(path), "--json")
        assert proc.returncode in (1, 2), proc.stderr
        doc = json.loads(proc.stdout)
        assert doc["verified"] is False, doc


def test_a_status_url_cannot_write_lines_into_the_operators_log(verifier):
    """The operator's log line for a failed fetch held the URL as the credential gave it: a
    trusted issuer's status URL with a line break (on its own host, so allowed) wrote a line of
    its choosing into the log, such as a forged access-log entry."""
    ok, listener = verifier["ok"], verifier["listener"]
    forged = "2026-01-01T00:00:00Z fetch forged: everything is fine"
    url = f"http://{listener.host}/x\n{forged}\r\x1b[2J"
    vc = signing.sign(verifier["stranger"], credential(
        verifier["stranger_did"], credentialStatus=status_entry(url, index=3)))
    ok.run("trust", "add", verifier["stranger_did"], "--name", "Stranger", "--country", "SE",
           check=True)
    try:
        r, _ = verify(verifier, vc)
        # A status URL with controls is no URL: the credential breaks the data model's rule
        # for credentialStatus and nothing is fetched.
        doc = r.json()
        assert doc["verified"] is False and "credentialStatus" in json.dumps(doc["errors"]), doc
    finally:
        ok.run("trust", "remove", verifier["stranger_did"], check=True)
    log = verifier["srv"].log_text()
    assert f"fetch http://{listener.host}/x" not in log, log[-2000:]
    assert not any(line.startswith(forged) for line in log.splitlines()), log[-2000:]
    assert "\x1b" not in log


def test_unknown_non_ascii_check_name_is_a_400_not_a_500(verifier):
    """An unknown check name is echoed cut to 40 bytes, in the middle of a character for "é"s;
    the problem document could then not be written and the public verifier answered 500
    instead of saying what was wrong."""
    for name in ("a" + "é" * 30, "é" * 300):
        r = verifier["srv"].post("/credentials/verify",
                              {"verifiableCredential": credential("did:key:z6Mk"),
                               "options": {"checks": [name]}})
        assert r.status == 400, r
        doc = r.json()
        assert doc["type"] == "/problems/invalid-input" and "unknown check" in doc["detail"], doc
