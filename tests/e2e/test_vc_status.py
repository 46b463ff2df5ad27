"""End-to-end tests of status on request (issue 23 item 2): `POST /credentials/issue` with
options.credentialStatus gives a credential entries in the depository's own Bitstring Status
Lists, drawn from the same lists as registered achievements; `POST /credentials/status` revokes,
suspends and reinstates it by credential id with a vc-issue key of the institution that had it
issued (another institution's key sees nothing); `POST /credentials/verify` and `oorkonde verify`
then report the status, and the served list has the bit set. Runs on SQLite and PostgreSQL."""
import base64
import gzip
import json
import re

from helpers.base import db_scalar
from helpers.server import DID, problem

V2 = "https://www.w3.org/ns/credentials/v2"
ENTRY = {"type": "BitstringStatusListEntry"}


def cred(**extra):
    return {"@context": [V2], "type": ["VerifiableCredential"], "issuer": DID,
            "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21"}, **extra}


def vc_key(demo, institution):
    out = demo.ok.run("apikey", "add", "--institution", institution, "--permit", "vc-issue",
                      check=True).stdout
    return re.search(r"\(shown once[^)]*\): (ok_\S+)", out).group(1)


def issue(demo, key, credential=None, status=ENTRY):
    r = demo.srv.post("/credentials/issue", {"credential": credential or cred(),
                                             "options": {"credentialStatus": status}}, key=key)
    assert r.status == 201, r
    return r.json()["verifiableCredential"]


def change(demo, key, cid, status):
    return demo.srv.post("/credentials/status", {
        "credentialId": cid,
        "credentialStatus": [{"type": "BitstringStatusListEntry", "status": status}]}, key=key)


def entries(vc):
    return {e["statusPurpose"]: e for e in vc["credentialStatus"]}


def list_bit(demo, entry):
    path = "/" + entry["statusListCredential"].split("/", 3)[3]
    r = demo.srv.get(path)
    assert r.status == 200, r
    encoded = r.json()["credentialSubject"]["encodedList"]
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    i = int(entry["statusListIndex"])
    return (bits[i // 8] >> (7 - i % 8)) & 1


def verified(demo, vc):
    r = demo.srv.post("/credentials/verify", {"verifiableCredential": vc})
    doc = r.json()
    return doc["verified"], [e for e in doc.get("errors", []) + doc.get("warnings", [])]


def cli_verify(demo, vc, name):
    path = demo.ok.data.parent / name
    path.write_text(json.dumps(vc))
    return demo.ok.run("verify", path)


def test_issue_with_status_then_revoke_shows_revoked_everywhere(demo):
    key = vc_key(demo, "21PB")
    vc = issue(demo, key)
    assert vc["id"].startswith("urn:uuid:"), "a credential without id is given one"
    e = entries(vc)
    assert set(e) == {"revocation", "suspension"}
    assert e["revocation"]["statusListIndex"] == e["suspension"]["statusListIndex"]
    assert e["revocation"]["statusListCredential"].endswith("/status/revocation/1")
    ok, problems = verified(demo, vc)
    assert ok is True, problems
    assert list_bit(demo, e["revocation"]) == 0
    assert cli_verify(demo, vc, "active.json").returncode == 0

    r = change(demo, key, vc["id"], "revoked")
    assert r.status == 200, r
    assert r.json() == {"credentialId": vc["id"], "credentialStatus": [
        {"type": "BitstringStatusListEntry", "status": "revoked"}]}
    assert list_bit(demo, e["revocation"]) == 1
    ok, problems = verified(demo, vc)
    assert ok is False and "revoked" in json.dumps(problems), problems
    headline = demo.srv.post("/credentials/verify", {"verifiableCredential": vc}).json()
    assert headline["headline"]["state"] == "revoked", headline["headline"]
    assert headline["headline"]["since"], "the day of the revocation, as for achievements"
    proc = cli_verify(demo, vc, "revoked.json")
    assert proc.returncode == 1 and "revoked" in proc.stdout, proc
    # Final, as for achievements; and audited with the key's institution.
    assert problem(change(demo, key, vc["id"], "active"), 409)
    assert problem(change(demo, key, vc["id"], "suspended"), 409)
    assert db_scalar(demo.ok.data, "SELECT count(*) FROM audit_event WHERE action = "
                     "'credential.revoke' AND subject = ?", vc["id"]) == 1


def test_one_purpose_asked_gets_both_entries_so_no_change_is_hidden(demo):
    """One status word holds the slot's state, each list shows its own purpose: with a
    suspension entry alone, suspended then revoked would read as valid."""
    key = vc_key(demo, "21PB")
    vc = issue(demo, key, cred(id="https://example.org/credentials/3732"),
               [{"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}])
    assert vc["id"] == "https://example.org/credentials/3732"
    by = {e["statusPurpose"]: e for e in vc["credentialStatus"]}
    assert sorted(by) == ["revocation", "suspension"], vc["credentialStatus"]
    assert change(demo, key, vc["id"], "suspended").status == 200
    assert list_bit(demo, by["suspension"]) == 1
    ok, problems = verified(demo, vc)
    assert ok is False and "suspended" in json.dumps(problems), problems
    assert change(demo, key, vc["id"], "active").status == 200
    assert list_bit(demo, by["suspension"]) == 0
    assert verified(demo, vc)[0] is True
    assert change(demo, key, vc["id"], "suspended").status == 200
    assert change(demo, key, vc["id"], "revoked").status == 200
    assert list_bit(demo, by["revocation"]) == 1
    ok, problems = verified(demo, vc)
    assert ok is False and "revoked" in json.dumps(problems), problems
    # The same id again is refused: a status update must name one credential.
    r = demo.srv.post("/credentials/issue", {"credential": cred(id=vc["id"]), "options": {
        "credentialStatus": ENTRY}}, key=key)
    assert problem(r, 409)


def test_only_the_issuing_institutions_key_changes_it(demo):
    mine, theirs = vc_key(demo, "21PB"), vc_key(demo, "25BE")
    vc = issue(demo, mine)
    doc = problem(change(demo, theirs, vc["id"], "revoked"), 404)
    assert "your institution" in doc["detail"]
    # A registrar key without vc-issue may not either, nor may nobody.
    assert problem(change(demo, demo.a, vc["id"], "revoked"), 403)
    assert demo.srv.post("/credentials/status", {"credentialId": vc["id"]}).status == 401
    assert verified(demo, vc)[0] is True, "nothing changed"


def test_slots_are_shared_with_achievements_and_never_twice(demo):
    key = vc_key(demo, "21PB")
    slots = set()
    for _ in range(5):
        vc = issue(demo, key)
        e = entries(vc)["revocation"]
        slots.add((e["statusListCredential"], e["statusListIndex"]))
    for _ in range(5):
        demo.one()
    assert len(slots) == 5
    taken = db_scalar(demo.ok.data, "SELECT count(*) FROM achievement a JOIN vc_status v ON "
                      "v.status_list = a.status_list AND v.status_index = a.status_index")
    assert taken == 0
    # Revoking a credential leaves every achievement's bit in the list as it was.
    before = db_scalar(demo.ok.data, "SELECT count(*) FROM achievement WHERE status = 'revoked'")
    vc = issue(demo, key)
    assert change(demo, key, vc["id"], "revoked").status == 200
    assert db_scalar(demo.ok.data,
                     "SELECT count(*) FROM achievement WHERE status = 'revoked'") == before


BAD = [
    ({"type": "StatusList2021Entry"}, "BitstringStatusListEntry"),
    ({"type": "BitstringStatusListEntry", "statusPurpose": "message"}, "statusPurpose"),
    ([], "one or two"),
    ([ENTRY, ENTRY, ENTRY], "one or two"),
    ("revocation", "must be an object"),
]


def test_bad_requests_are_400_and_sign_nothing(demo):
    key = vc_key(demo, "21PB")
    n = db_scalar(demo.ok.data, "SELECT count(*) FROM vc_status")
    for status, words in BAD:
        r = demo.srv.post("/credentials/issue", {"credential": cred(),
                                                 "options": {"credentialStatus": status}},
                          key=key)
        assert words in problem(r, 400, "invalid-input")["detail"], (status, r)
    # A credential the data model refuses takes no slot either.
    r = demo.srv.post("/credentials/issue", {"credential": cred(id="not a url"),
                                             "options": {"credentialStatus": ENTRY}}, key=key)
    problem(r, 400)
    assert db_scalar(demo.ok.data, "SELECT count(*) FROM vc_status") == n
    for body, words in [({"credentialStatus": [{"type": "BitstringStatusListEntry",
                                                 "status": "revoked"}]}, "credentialId"),
                        ({"credentialId": "urn:x", "credentialStatus": []}, "exactly one"),
                        ({"credentialId": "urn:x", "credentialStatus": [
                            {"type": "BitstringStatusListEntry", "status": "gone"}]}, "status"),
                        ({"credentialId": "x" * 513, "credentialStatus": [
                            {"type": "BitstringStatusListEntry", "status": "revoked"}]},
                         "credentialId")]:
        r = demo.srv.post("/credentials/status", body, key=key)
        assert words in problem(r, 400, "invalid-input")["detail"], (body, r)
    assert problem(change(demo, key, "urn:uuid:nobody", "revoked"), 404)


def test_the_operator_changes_it_with_the_cli(demo):
    key = vc_key(demo, "25BE")
    vc = issue(demo, key)
    e = entries(vc)
    proc = demo.ok.run("suspend", "--credential-id", vc["id"])
    assert proc.returncode == 0 and f"Credential {vc['id']} is now suspended" in proc.stdout, proc
    assert list_bit(demo, e["suspension"]) == 1
    assert demo.ok.run("reinstate", "--credential-id", vc["id"]).returncode == 0
    assert list_bit(demo, e["suspension"]) == 0
    assert demo.ok.run("revoke", "--credential-id", vc["id"]).returncode == 0
    assert list_bit(demo, e["revocation"]) == 1
    proc = demo.ok.run("reinstate", "--credential-id", vc["id"])
    assert proc.returncode == 1 and "final" in proc.stdout + proc.stderr, proc
    assert demo.ok.run("revoke", "--credential-id", "urn:uuid:nobody").returncode == 1
    proc = demo.ok.run("revoke", "--credential-id", vc["id"], "--reason", "x")
    assert proc.returncode == 2, proc
    assert db_scalar(demo.ok.data, "SELECT count(*) FROM audit_event WHERE subject = ? AND "
                     "actor = 'operator'", vc["id"]) == 3


def refused_events(demo):
    return db_scalar(demo.ok.data, "SELECT count(*) FROM audit_event WHERE action = "
                     "'credential.issue.refused'")


def test_credential_ids_are_per_institution(demo):
    """Review 23a F3: an id one institution used is neither seen (409 against 400) nor taken by
    another; both may use it, and a status change finds the caller's own credential."""
    a, b = vc_key(demo, "21PB"), vc_key(demo, "25BE")
    cid = "https://inst-b.example/credentials/123"
    theirs = issue(demo, b, cred(id=cid))
    # A probes with a credential the data model refuses: the same answer for B's id as for
    # an unused one, and each probe is on record (without the id).
    before = refused_events(demo)
    bad = {"type": ["VerifiableCredential"], "issuer": DID, "credentialSubject": {}}
    for probe in (cid, "https://inst-b.example/credentials/124"):
        r = demo.srv.post("/credentials/issue", {"credential": dict(bad, id=probe), "options": {
            "credentialStatus": ENTRY}}, key=a)
        problem(r, 400, "invalid-input")
    assert refused_events(demo) == before + 2
    assert db_scalar(demo.ok.data, "SELECT count(*) FROM audit_event WHERE action = "
                     "'credential.issue.refused' AND detail LIKE '%inst-b%'") == 0
    # A may use the same id; each institution only once.
    mine = issue(demo, a, cred(id=cid))
    assert entries(mine)["revocation"]["statusListIndex"] != \
        entries(theirs)["revocation"]["statusListIndex"]
    for key in (a, b):
        r = demo.srv.post("/credentials/issue", {"credential": cred(id=cid), "options": {
            "credentialStatus": ENTRY}}, key=key)
        assert "your institution" in problem(r, 409)["detail"]
    assert refused_events(demo) == before + 4
    # Each key changes its own institution's credential only.
    assert change(demo, b, cid, "revoked").status == 200
    assert verified(demo, theirs)[0] is False
    assert verified(demo, mine)[0] is True
    assert change(demo, a, cid, "suspended").status == 200
    ok, problems = verified(demo, mine)
    assert ok is False and "suspended" in json.dumps(problems), problems
    assert "revoked" in json.dumps(verified(demo, theirs)[1])
    # The operator names the institution when two used the id.
    proc = demo.ok.run("reinstate", "--credential-id", cid)
    assert proc.returncode == 1 and "--institution" in proc.stdout + proc.stderr, proc
    proc = demo.ok.run("reinstate", "--credential-id", cid, "--institution", "21PB")
    assert proc.returncode == 0, proc
    assert verified(demo, mine)[0] is True
    assert verified(demo, theirs)[0] is False


def test_an_institution_has_an_hourly_cap_on_issuances_with_status(binary, tmp_path):
    """Review 23a F7: each issuance with status takes a slot of the public lists for good; past
    the institution's vc_status_issuance_per_hour a key gets 429, nothing is signed or taken,
    the refusal is audited, and another institution's keys are not held up."""
    from helpers.base import Oorkonde
    from helpers.server import HOST, Server

    ok = Oorkonde(binary, tmp_path / "capped")
    ok.run("init", "--host", HOST, check=True)
    config = ok.data / "config.json"
    settings = json.loads(config.read_text())
    settings["vc_status_issuance_per_hour"] = 2
    config.write_text(json.dumps(settings))
    for code in ("21PB", "25BE"):
        ok.add_institution(code=code, name=f"Institution {code}")
    keys = {}
    for code in ("21PB", "25BE"):
        out = ok.run("apikey", "add", "--institution", code, "--permit", "vc-issue",
                     check=True).stdout
        keys[code] = re.search(r"\(shown once[^)]*\): (ok_\S+)", out).group(1)
    srv = Server(ok, "--rate-limit", 0, name="capped").start()
    try:
        def post(code):
            return srv.post("/credentials/issue", {"credential": cred(), "options": {
                "credentialStatus": ENTRY}}, key=keys[code])

        assert post("21PB").status == 201
        assert post("21PB").status == 201
        doc = problem(post("21PB"), 429, "limit-reached")
        assert "vc_status_issuance_per_hour" in doc["detail"], doc
        assert post("25BE").status == 201
        # Without status nothing is taken from the lists: not capped.
        r = srv.post("/credentials/issue", {"credential": cred()}, key=keys["21PB"])
        assert r.status == 201, r
    finally:
        srv.stop()
    assert db_scalar(ok.data, "SELECT count(*) FROM vc_status") == 3
    assert db_scalar(ok.data, "SELECT count(*) FROM audit_event WHERE action = "
                     "'credential.issue.refused' AND detail LIKE '%limit-reached%'") == 1
    # A cap that is not a whole number from 0 up is refused, naming the key.
    settings["vc_status_issuance_per_hour"] = -1
    config.write_text(json.dumps(settings))
    proc = ok.run("serve", "--listen", "127.0.0.1:0")
    assert proc.returncode != 0 and "vc_status_issuance_per_hour" in proc.stderr, proc
