"""The Oorkonde-Purpose header (issue 6): a registrar request that reads a learner's personal data
(names, national id, birth date, results, a credential with the names) states why, from the list
in docs/api.md. Without the header, or with a purpose not on the list, the answer is 400
problem+json naming the header and the allowed values, and nothing is read; with one, the
purpose is in the audit event of the read (`oorkonde audit show`)."""
import re

import pytest

from helpers.base import ROOT, Oorkonde
from helpers.server import PURPOSE_HEADER, Server, parse_keys, problem, row

PURPOSES = ["registration", "correction", "issuance", "admission-check", "support", "audit"]


class Dep:
    def __init__(self, ok, keys, vc_key, nid, srv):
        self.ok, self.keys, self.vc_key, self.nid, self.srv = ok, keys, vc_key, nid, srv
        self.key = keys["21PB"]

    def audit(self, *args):
        """The event lines of `oorkonde audit show ARGS`, each as its whitespace-separated
        fields (sequence, time, actor, action, subject, purpose, detail)."""
        out = self.ok.run("audit", "show", *args, check=True).stdout
        return [l.split() for l in out.splitlines() if l.split() and l.split()[0].isdigit()]

    def last(self, action, *args):
        """The newest event with this action (of `audit show ARGS`)."""
        found = [e for e in self.audit(*args) if action in e]
        assert found, f"no {action} event in the audit log"
        return found[-1]


@pytest.fixture(scope="module")
def dep(binary, tmp_path_factory):
    ok = Oorkonde(binary, tmp_path_factory.mktemp("purpose") / "data")
    ok.run("init", "--host", "localhost:8080", check=True)
    out = ok.run("demo", "--learners", 20, check=True).stdout
    keys = parse_keys(out)
    nid = re.search(r"achievements --national-id (\S+)", out).group(1)
    vc_out = ok.run("apikey", "add", "--permit", "vc-issue", check=True).stdout
    vc_key = re.search(r"\(shown once[^)]*\): (ok_\S+)", vc_out).group(1)
    srv = Server(ok, "--rate-limit", 0, name="purpose").start()
    try:
        yield Dep(ok, keys, vc_key, nid, srv)
    finally:
        srv.stop()


def personal_reads(dep):
    """Every registrar read of personal data, as (path, expected status with a purpose)."""
    doc = dep.srv.get(f"/v1/achievements?national_id={dep.nid}", key=dep.key).json()
    aid = doc["achievements"][0]["id"]
    return doc["learner"]["id"], aid, [
        f"/v1/achievements?national_id={dep.nid}",
        f"/v1/achievements/{aid}",
        f"/v1/achievements/{aid}/credential",
        f"/v1/achievements/{aid}/credential?format=jwt",
    ]


def test_a_read_without_purpose_is_refused(dep):
    learner, _, paths = personal_reads(dep)
    reads_before = [e for e in dep.audit("--learner-id", learner)]
    for path in paths:
        doc = problem(dep.srv.get(path, key=dep.key, purpose=None), 400, "purpose-required")
        assert doc["header"] == PURPOSE_HEADER, doc
        assert doc["allowed"] == PURPOSES, doc
        assert PURPOSE_HEADER in doc["detail"] and "admission-check" in doc["detail"], doc
        # An empty header is no purpose either.
        problem(dep.srv.get(path, key=dep.key, headers={PURPOSE_HEADER: ""}), 400,
                "purpose-required")
    # Nothing was read: no new audit event about the learner.
    assert dep.audit("--learner-id", learner) == reads_before


def test_an_unknown_purpose_is_refused_without_echo(dep):
    learner, _, paths = personal_reads(dep)
    reads_before = dep.audit("--learner-id", learner)
    for path in paths:
        for value in ("marketing", "registration,audit", "registration audit", "Anna de Vries",
                      "x" * 300):
            r = dep.srv.get(path, key=dep.key, headers={PURPOSE_HEADER: value})
            doc = problem(r, 400, "unknown-purpose")
            assert doc["header"] == PURPOSE_HEADER and doc["allowed"] == PURPOSES, doc
            if value.strip() not in PURPOSES:
                assert value.strip() not in r.body.decode(), "the value sent is echoed"
    assert dep.audit("--learner-id", learner) == reads_before


def test_each_documented_purpose_is_accepted_and_audited(dep):
    learner, aid, _ = personal_reads(dep)
    for purpose in PURPOSES:
        r = dep.srv.get(f"/v1/achievements?national_id={dep.nid}", key=dep.key,
                        purpose=purpose)
        assert r.status == 200, (purpose, r)
        assert r.json()["learner"]["id"] == learner
    reads = [e for e in dep.audit("--learner-id", learner) if "learner.read" in e]
    assert [e[5] for e in reads[-len(PURPOSES):]] == PURPOSES, reads
    actor = reads[-1][2]
    assert re.fullmatch(r"institution:21PB/key:[0-9a-f]{24}", actor), actor
    # Case does not matter; the canonical purpose is recorded.
    assert dep.srv.get(f"/v1/achievements?national_id={dep.nid}", key=dep.key,
                       purpose="Admission-Check").status == 200
    assert dep.last("learner.read", "--learner-id", learner)[5] == "admission-check"


def test_achievement_and_credential_reads_carry_the_purpose(dep):
    learner, aid, _ = personal_reads(dep)
    r = dep.srv.get(f"/v1/achievements/{aid}", key=dep.key, purpose="support")
    assert r.status == 200, r
    assert r.json()["id"] == aid
    e = dep.last("achievement.read")
    assert e[4:] == [learner, "support", f"achievement={aid}"], e
    r = dep.srv.get(f"/v1/achievements/{aid}/credential", key=dep.key, purpose="admission-check")
    assert r.status == 200, r
    assert r.json()["credentialSubject"]
    e = dep.last("learner.read")
    assert e[4:6] == [learner, "admission-check"], e
    e = dep.last("credential.issue")
    assert e[4:6] == [aid, "admission-check"], e
    r = dep.srv.get(f"/v1/achievements/{aid}/credential?format=jwt", key=dep.key,
                    purpose="issuance")
    assert r.status == 200, r
    assert dep.last("credential.issue")[4:7] == [aid, "issuance", "format=jwt"]


def test_errors_before_the_purpose_check(dep):
    _, aid, paths = personal_reads(dep)
    for path in paths:
        # No key: 401 whatever the purpose; a key without "read": 403.
        problem(dep.srv.get(path), 401, "unauthorized")
        problem(dep.srv.get(path, key=dep.vc_key, purpose=None), 403, "forbidden")
    # With a purpose, a missing record is a plain 404; without one, 400 (no lookup at all).
    problem(dep.srv.get("/v1/achievements/" + "0" * 24, key=dep.key), 404, "not-found")
    problem(dep.srv.get("/v1/achievements/" + "0" * 24, key=dep.key, purpose=None), 400,
            "purpose-required")
    problem(dep.srv.get("/v1/achievements?national_id=111222333", key=dep.key), 404)


def test_writes_state_no_purpose(dep):
    """Registering, correcting, revoking and the VC-API's signing of a caller's own credential
    read nothing back from a learner: they need no header."""
    rec = "PURPOSE-W-1"
    r = dep.srv.post("/v1/results", [row(rec, "123456782")], key=dep.key, purpose=None)
    assert r.status == 200, r
    doc = dep.srv.get("/v1/achievements?national_id=123456782", key=dep.key).json()
    [a] = [a for a in doc["achievements"] if a["record_id"] == rec]
    r = dep.srv.request("PATCH", f"/v1/achievements/{a['id']}",
                        {"grade": "9", "reason": "typo"}, key=dep.key, purpose=None)
    assert r.status == 200, r
    r = dep.srv.post(f"/v1/achievements/{a['id']}/suspend", {"reason": "check"}, key=dep.key,
                     purpose=None)
    assert r.status == 200, r
    did = dep.srv.get("/.well-known/did.json").json()["id"]
    cred = {"@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"], "issuer": did,
            "credentialSubject": {"id": "did:example:someone"}}
    r = dep.srv.post("/credentials/issue", {"credential": cred}, key=dep.vc_key, purpose=None)
    assert r.status == 201, r


def test_the_list_is_documented():
    api = (ROOT / "docs/api.md").read_text()
    openapi = (ROOT / "docs/openapi.yaml").read_text()
    for p in PURPOSES:
        assert f"`{p}`" in api, f"{p} is not in docs/api.md"
    assert PURPOSE_HEADER in api and PURPOSE_HEADER in openapi
    m = re.search(r"name: " + PURPOSE_HEADER + r"\n(?:.*\n)*?\s+enum: \[([^\]]*)\]", openapi)
    assert m, "docs/openapi.yaml has no enum for the purpose header"
    assert [v.strip() for v in m.group(1).split(",")] == PURPOSES


def new_key(dep, *args):
    out = dep.ok.run("apikey", "add", *args, check=True).stdout
    return re.search(r"\(shown once[^)]*\): (ok_\S+)", out).group(1)


def test_no_key_makes_login_links(dep):
    """The login-link permission is gone: no key can be given it, and the route is gone."""
    learner, _, _ = personal_reads(dep)
    proc = dep.ok.run("apikey", "add", "--institution", "21PB", "--permit", "read,login-link")
    assert proc.returncode != 0 and "unknown permission 'login-link'" in proc.stderr
    r = dep.srv.post(f"/v1/learners/{learner}/login-link", {}, key=dep.key, purpose="support")
    assert r.status in (404, 405), r
    assert "/v1/learners/{id}/login-link" not in (ROOT / "docs/openapi.yaml").read_text()


def test_corrections_and_status_changes_answer_no_personal_data(dep):
    """Writes state no purpose, so they answer identifiers, status and version only."""
    rec = "PURPOSE-W-2"
    assert dep.srv.post("/v1/results", [row(rec, "123456782")], key=dep.key).status == 200
    doc = dep.srv.get("/v1/achievements?national_id=123456782", key=dep.key).json()
    [a] = [a for a in doc["achievements"] if a["record_id"] == rec]
    for method, path, body in (("PATCH", "", {"grade": "9.5", "reason": "typo"}),
                               ("POST", "/suspend", {"reason": "x"}),
                               ("POST", "/reinstate", {"reason": "x"})):
        r = dep.srv.request(method, f"/v1/achievements/{a['id']}{path}", body, key=dep.key,
                            purpose=None)
        assert r.status == 200, (path, r)
        assert set(r.json()) == {"id", "learner_id", "status", "version"}, r.json()
        assert "9.5" not in r.body.decode() and a["title"] not in r.body.decode()


def test_a_registrar_import_states_a_purpose(dep):
    learner, _, _ = personal_reads(dep)
    r = dep.srv.post(f"/v1/learners/{learner}/imports", {"not": "a credential"}, key=dep.key,
                     purpose=None)
    problem(r, 400, "purpose-required")
