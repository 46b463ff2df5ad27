"""End-to-end tests of the VC Data Model 2.0 rules (src/vc/datamodel.c) at the issuer and the
verifier: `POST /credentials/issue` refuses each invalid input with 400 problem+json naming the
rule, signs nothing and records nothing; a credential signed elsewhere that breaks the same rule
fails verification with the same reason; the depository's own credentials keep every rule."""
import copy
import json

import pytest

from helpers.base import db_scalar
from helpers.server import DID, problem
from signing import sign

V2 = "https://www.w3.org/ns/credentials/v2"


def good():
    return {"@context": [V2], "type": ["VerifiableCredential"], "issuer": DID,
            "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21", "name": "x"}}


def changed(key, value=None, remove=False):
    c = good()
    if remove:
        del c[key]
    else:
        c[key] = value
    return c


# (what, credential, rule): one case per rule the issue lists.
INVALID = [
    ("no @context", changed("@context", remove=True), "context"),
    ("VC 1.1", changed("@context", ["https://www.w3.org/2018/credentials/v1"]), "context.v1"),
    ("@context a string", changed("@context", V2), "context"),
    ("v2 not first", changed("@context", ["https://example.org/c", V2]), "context.first"),
    ("a context item a number", changed("@context", [V2, 1]), "context.item"),
    ("a protected term redefined", changed("@context", [V2, {"issuer": "https://ex.org/i"}]),
     "context.protected"),
    ("id not a URL", changed("id", "credential 1"), "id"),
    ("no type", changed("type", remove=True), "type"),
    ("type without VerifiableCredential", changed("type", ["ExampleCredential"]), "type.vc"),
    ("no issuer", changed("issuer", remove=True), "issuer"),
    ("no subject", changed("credentialSubject", remove=True), "credentialSubject"),
    ("empty subject array", changed("credentialSubject", []), "credentialSubject"),
    ("an empty subject", changed("credentialSubject", [{"a": 1}, {}]), "credentialSubject"),
    ("validFrom without time zone", changed("validFrom", "2024-01-01T00:00:00"), "validFrom"),
    ("validUntil not a date", changed("validUntil", "soon"), "validUntil"),
    ("validUntil before validFrom",
     {**good(), "validFrom": "2025-01-01T00:00:00Z", "validUntil": "2024-01-01T00:00:00Z"},
     "validity.order"),
    ("name a number", changed("name", 7), "name"),
    ("description an object", changed("description", {"text": "x"}), "description"),
    ("termsOfUse without type", changed("termsOfUse", [{"id": "https://ex.org/t"}]),
     "termsOfUse"),
    ("evidence without type", changed("evidence", {"id": "https://ex.org/e"}), "evidence"),
    ("refreshService without type", changed("refreshService", {"url": "https://ex.org/r"}),
     "refreshService"),
    ("credentialSchema without id", changed("credentialSchema", {"type": "JsonSchema"}),
     "credentialSchema"),
    ("relatedResource without digest", changed("relatedResource", [{"id": "https://ex.org/a"}]),
     "relatedResource"),
    ("relatedResource ids twice",
     changed("relatedResource", [{"id": "https://ex.org/a", "digestSRI": "sha384-abc"},
                                 {"id": "https://ex.org/a", "digestSRI": "sha384-def"}]),
     "relatedResource.unique"),
    # Every type defined by the contexts (JSON-LD over the pinned contexts, nothing left to a
    # catch-all @vocab).
    ("a type no context defines", changed("type", ["VerifiableCredential", "MadeUpCredential"]),
     "type.defined"),
    ("a termsOfUse type no context defines",
     changed("termsOfUse", {"type": "TrustFrameworkPolicy"}), "type.defined"),
    ("a context that is not pinned",
     changed("@context", [V2, "https://example.org/not-pinned/v1"]), "type.defined"),
]


def issued(demo):
    return db_scalar(demo.ok.data, "SELECT count(*) FROM audit_event WHERE action = "
                     "'credential.issue' AND actor LIKE 'key:%'")


def test_issue_refuses_each_rule_with_400_naming_it(demo):
    n = issued(demo)
    details = {}
    for what, cred, rule in INVALID:
        r = demo.srv.post("/credentials/issue", {"credential": cred, "options": {}},
                          key=demo.vc_key)
        doc = problem(r, 400, "invalid-input")
        assert doc.get("rule") == rule, (what, doc)
        details[what] = doc["detail"]
    assert "oorkonde issues VC 2.0 only" in details["VC 1.1"]
    assert details["v2 not first"] == f"@context: the first item must be {V2}"
    assert details["type without VerifiableCredential"] == \
        "type must contain VerifiableCredential"
    assert "MadeUpCredential" in details["a type no context defines"]
    assert details["a context that is not pinned"] == \
        "unknown context URL: https://example.org/not-pinned/v1"
    assert issued(demo) == n, "a refused credential is neither signed nor recorded"
    # What keeps every rule is signed, language values and related resources included.
    ok = good()
    ok.update({"id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
               "name": [{"@value": "Alumni", "@language": "en"}, "Oud-student"],
               "validUntil": "2099-01-01T00:00:00Z",
               "relatedResource": [{"id": "https://ex.org/a", "digestSRI": "sha384-abc"}]})
    r = demo.srv.post("/credentials/issue", {"credential": ok, "options": {}}, key=demo.vc_key)
    assert r.status == 201, r
    assert issued(demo) == n + 1


@pytest.mark.parametrize("what,cred,rule", INVALID[1:], ids=[c[0] for c in INVALID[1:]])
def test_verifier_fails_a_credential_signed_elsewhere_with_the_same_reason(demo, what, cred,
                                                                        rule):
    # Signed with the depository's key outside its issuer: the proof would hold, the data model
    # does not.
    vc = sign(demo.ok, copy.deepcopy(cred))
    issue = problem(demo.srv.post("/credentials/issue", {"credential": cred, "options": {}},
                                  key=demo.vc_key), 400)
    r = demo.srv.post("/credentials/verify", {"verifiableCredential": vc})
    assert r.status == 400, r
    doc = r.json()
    assert doc["verified"] is False
    err = doc["errors"][0]
    assert err["type"] == "/problems/not-a-credential" and err["rule"] == rule, doc
    assert issue["detail"] in err["detail"], (issue, err)


def test_own_credentials_keep_every_rule(demo):
    a = demo.one()
    for fmt in ("di", "jwt"):
        r = demo.srv.get(f"/v1/achievements/{a['id']}/credential?format={fmt}", key=demo.a,
                         purpose="issuance")
        assert r.status == 200, r
        body = r.body.decode() if fmt == "jwt" else json.loads(r.body)
        v = demo.srv.post("/credentials/verify", {"verifiableCredential": body})
        assert v.status == 200 and v.json()["verified"] is True, v
    # The CLI's verify says the same of a credential that breaks a rule.
    bad = sign(demo.ok, changed("type", ["ExampleCredential"]))
    path = demo.ok.data.parent / "bad-type.json"
    path.write_text(json.dumps(bad))
    proc = demo.ok.run("verify", path)
    assert proc.returncode == 2, proc
    assert "rule type.vc" in proc.stdout + proc.stderr, proc
