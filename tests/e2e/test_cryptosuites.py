"""Both Data Integrity cryptosuites end to end, eddsa-rdfc-2022 (the default, as Open Badges 3.0
names it) and eddsa-jcs-2022: the config default (`cryptosuite`), `oorkonde issue --cryptosuite`,
the VC-API's `?cryptosuite=` and `options.cryptosuite`, `oorkonde present --cryptosuite`; for each
suite a credential is issued, verified (CLI, POST /credentials/verify behind the verifier page,
the share page), tampered with (fails) and revoked (reported revoked)."""
import copy
import json
import re

import pytest

from helpers.server import HOST, DID, Server, problem
from helpers.base import Oorkonde, make_row, write_csv

SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022"]
TOKEN_RE = re.compile(r"/s/([A-Za-z0-9_-]{43})")


class Dep:
    def __init__(self, ok, srv, items, vc_key, suite):
        self.ok, self.srv, self.items, self.vc_key, self.suite = ok, srv, items, vc_key, suite
        self.used = 0

    def take(self):
        """An achievement no other test here has revoked."""
        a = self.items[self.used]
        self.used += 1
        return a


@pytest.fixture(scope="module", params=SUITES)
def dep(request, binary, tmp_path_factory):
    """A demo depository whose config names the suite, and its server."""
    base = tmp_path_factory.mktemp("suites")
    ok = Oorkonde(binary, base / "data")
    ok.run("init", "--host", HOST, check=True)
    config = ok.data / "config.json"
    settings = json.loads(config.read_text())
    settings["cryptosuite"] = request.param
    config.write_text(json.dumps(settings))
    out = ok.run("demo", "--learners", "8", check=True).stdout
    items = []
    for nid in sorted(set(re.findall(r"--national-id (\S+)", out))):
        items += json.loads(ok.run("achievements", "--national-id", nid, "--json",
                                   check=True).stdout)
    # The demo revokes and suspends a few: only active ones are taken here.
    items = [i for i in items if i["status"] == "active"]
    assert len(items) >= 6, out
    out = ok.run("apikey", "add", "--permit", "vc-issue", check=True).stdout
    vc_key = re.search(r"API key .*\(shown once[^)]*\): (ok_\S+)", out).group(1)
    srv = Server(ok, "--rate-limit", 0, name="suites").start()
    try:
        yield Dep(ok, srv, items, vc_key, request.param)
    finally:
        srv.stop()


def verify_cli(ok, vc, name="vc.json"):
    path = ok.data.parent / name
    path.write_text(json.dumps(vc) if not isinstance(vc, str) else vc)
    proc = ok.run("verify", path, "--json")
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else None


def test_config_default_and_the_cli_option(dep):
    a = dep.take()
    vc = json.loads(dep.ok.run("issue", a["id"], check=True).stdout)
    assert vc["proof"]["cryptosuite"] == dep.suite
    for suite in SUITES:
        vc = json.loads(dep.ok.run("issue", a["id"], "--cryptosuite", suite, check=True).stdout)
        assert vc["proof"]["cryptosuite"] == suite
        # An rdfc proof takes the document's @context; a jcs proof carries a copy.
        assert ("@context" in vc["proof"]) == (suite == "eddsa-jcs-2022")
        status, result = verify_cli(dep.ok, vc)
        assert status == 0 and result["verified"] is True, result
    proc = dep.ok.run("issue", a["id"], "--cryptosuite", "eddsa-2022")
    assert proc.returncode == 2 and "eddsa-rdfc-2022" in proc.stderr
    proc = dep.ok.run("issue", a["id"], "--format", "jwt", "--cryptosuite", dep.suite)
    assert proc.returncode == 2 and "jwt" in proc.stderr


def test_issue_verify_tamper_revoke(dep):
    a = dep.take()
    vc = json.loads(dep.ok.run("issue", a["id"], "--cryptosuite", dep.suite, check=True).stdout)
    status, result = verify_cli(dep.ok, vc)
    assert status == 0, result
    r = dep.srv.post("/credentials/verify", {"verifiableCredential": vc})
    assert r.status == 200 and r.json()["verified"] is True, r

    # Tampered: the achievement's name changed after signing.
    bad = copy.deepcopy(vc)
    bad["credentialSubject"]["achievement"]["name"] = "PhD Physics"
    status, result = verify_cli(dep.ok, bad, "bad.json")
    assert status == 1 and result["verified"] is False
    proof = [d for d in result["details"] if d["check"] == "proof"][0]
    assert proof["passed"] is False and "changed" in proof["message"], proof
    r = dep.srv.post("/credentials/verify", {"verifiableCredential": bad})
    assert r.json()["verified"] is False

    # Revoked: the status check says so, the proof still holds.
    dep.ok.run("revoke", a["id"], "--reason", "obtained by fraud", check=True)
    status, result = verify_cli(dep.ok, vc)
    assert status == 1
    assert any(e.get("check") == "status" and "revoked" in e["detail"]
               for e in result["errors"]), result
    assert "proof" in result["checks"]


def test_share_page_verifies(dep):
    learner = dep.items[-1]["learner_id"]
    ids = [i["id"] for i in dep.items[dep.used:] if i["learner_id"] == learner][:2]
    out = dep.ok.run("share", "create", "--learner-id", learner, "--achievements",
                     ",".join(ids), "--to", "Employer", "--json", check=True).stdout
    path = "/s/" + TOKEN_RE.search(json.loads(out)["url"]).group(1)
    r = dep.srv.get(path)
    assert r.status == 200
    assert r.body.decode().count('class="card achievement verified"') == len(ids)
    r = dep.srv.get(path + ".json")
    assert r.status == 200
    doc = r.json()
    assert all(a["verification"]["verified"] for a in doc["achievements"]), doc
    text = json.dumps(doc)
    if "cryptosuite" in text:
        assert dep.suite in text


def vc_api_credential():
    return {"@context": ["https://www.w3.org/ns/credentials/v2",
                         "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential", "ExampleAlumniCredential"], "issuer": DID,
            "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
                                  "alumniOf": "The School of Examples"}}


def test_vc_api_issuer_either_suite(dep):
    for suite in SUITES:
        for how in ("query", "options"):
            body = {"credential": vc_api_credential(), "options": {}}
            path = "/credentials/issue"
            if how == "query":
                path += "?cryptosuite=" + suite
            else:
                body["options"]["cryptosuite"] = suite
            r = dep.srv.post(path, body, key=dep.vc_key)
            assert r.status == 201, r
            vc = r.json()["verifiableCredential"]
            assert vc["proof"]["cryptosuite"] == suite
            v = dep.srv.post("/credentials/verify", {"verifiableCredential": vc})
            assert v.status == 200 and v.json()["verified"] is True, v
    # Without either: the configured suite.
    r = dep.srv.post("/credentials/issue", {"credential": vc_api_credential(), "options": {}},
                     key=dep.vc_key)
    assert r.json()["verifiableCredential"]["proof"]["cryptosuite"] == dep.suite
    # An unknown suite is named back in a 400.
    for path, options in (("/credentials/issue?cryptosuite=ecdsa-rdfc-2019", {}),
                          ("/credentials/issue", {"cryptosuite": "ecdsa-rdfc-2019"})):
        doc = problem(dep.srv.post(path, {"credential": vc_api_credential(), "options": options},
                                   key=dep.vc_key), 400, "invalid-input")
        assert "ecdsa-rdfc-2019" in doc["detail"], doc
    doc = problem(dep.srv.post("/credentials/issue", {"credential": vc_api_credential(),
                                                      "options": {"cryptosuite": 7}},
                               key=dep.vc_key), 400)
    assert "options.cryptosuite" in doc["detail"]


def test_vc_api_status_on_request_with_either_suite(dep):
    for suite in SUITES:
        cred = vc_api_credential()
        r = dep.srv.post("/credentials/issue?cryptosuite=" + suite,
                         {"credential": cred,
                          "options": {"credentialStatus": {"type": "BitstringStatusListEntry"}}},
                         key=dep.vc_key)
        assert r.status == 201, r
        vc = r.json()["verifiableCredential"]
        assert vc["proof"]["cryptosuite"] == suite and vc["credentialStatus"]
        v = dep.srv.post("/credentials/verify", {"verifiableCredential": vc})
        assert v.json()["verified"] is True, v


def test_present_with_either_suite(binary, tmp_path):
    # A did:key depository as holder: its key resolves offline wherever it is verified.
    ok = Oorkonde(binary, tmp_path / "holder")
    ok.init()
    ok.add_institution()
    proc = ok.import_csv(write_csv(tmp_path / "rows.csv", [make_row()]))
    assert proc.returncode == 0, proc.stderr
    [a] = ok.achievements_json("123456782")
    path = tmp_path / "c.json"
    path.write_text(ok.run("issue", a["id"], check=True).stdout)
    for suite in SUITES:
        out = tmp_path / f"vp-{suite}.json"
        ok.run("present", path, "--cryptosuite", suite, "--challenge", "c-1", "--domain",
               "verifier.example", "-o", out, check=True)
        vp = json.loads(out.read_text())
        assert vp["proof"]["cryptosuite"] == suite
        proc = ok.run("verify", out, "--challenge", "c-1", "--domain", "verifier.example")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        proc = ok.run("verify", out, "--challenge", "c-2")
        assert proc.returncode == 1, proc.stdout
        # A signed word changed: the presentation's signature fails.
        vp["proof"]["challenge"] = "c-2"
        out.write_text(json.dumps(vp))
        proc = ok.run("verify", out, "--challenge", "c-2")
        assert proc.returncode == 1 and "changed" in proc.stdout, proc.stdout
    proc = ok.run("present", path, "--cryptosuite", "eddsa-2022")
    assert proc.returncode == 2
