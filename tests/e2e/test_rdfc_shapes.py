"""The plain form of eddsa-rdfc-2022 credentials (review R1, R3): a revoked diploma whose
credentialStatus is moved where the verifier does not look, in a shape that keeps the signed
quads (under @nest, under its full IRI, behind an inline alias), must not verify; the VC-API
issuer refuses such shapes with a 400 naming the key; R2's oversized shapes are refused fast."""
import copy
import json
import re

import pytest

from helpers.server import HOST, DID, Server, problem
from helpers.base import Oorkonde

CS_IRI = "https://www.w3.org/2018/credentials#credentialStatus"


@pytest.fixture(scope="module")
def dep(binary, tmp_path_factory):
    base = tmp_path_factory.mktemp("shapes")
    ok = Oorkonde(binary, base / "data")
    ok.run("init", "--host", HOST, check=True)
    out = ok.run("demo", "--learners", "4", check=True).stdout
    items = []
    for nid in sorted(set(re.findall(r"--national-id (\S+)", out))):
        items += json.loads(ok.run("achievements", "--national-id", nid, "--json",
                                   check=True).stdout)
    items = [i for i in items if i["status"] == "active"]
    out = ok.run("apikey", "add", "--permit", "vc-issue", check=True).stdout
    key = re.search(r"API key .*\(shown once[^)]*\): (ok_\S+)", out).group(1)
    srv = Server(ok, "--rate-limit", 0, name="shapes").start()
    try:
        yield ok, srv, items, key
    finally:
        srv.stop()


def reshaped(vc):
    """The review's shapes, each with the same quads as vc."""
    nest = copy.deepcopy(vc)
    nest["@nest"] = {"credentialStatus": nest.pop("credentialStatus")}
    iri = copy.deepcopy(vc)
    iri[CS_IRI] = iri.pop("credentialStatus")
    alias = copy.deepcopy(vc)
    alias["@context"] = list(alias["@context"]) + [{"cs": CS_IRI}]
    alias["cs"] = alias.pop("credentialStatus")
    return {"@nest": nest, "IRI key": iri, "inline": alias}


def test_revoked_diploma_reshaped_does_not_verify(dep):
    ok, srv, items, _ = dep
    a = items[0]
    vc = json.loads(ok.run("issue", a["id"], "--cryptosuite", "eddsa-rdfc-2022",
                           check=True).stdout)
    assert "credentialStatus" in vc
    ok.run("revoke", a["id"], "--reason", "obtained by fraud", check=True)
    r = srv.post("/credentials/verify", {"verifiableCredential": vc})
    assert r.json()["verified"] is False
    for name, bad in reshaped(vc).items():
        r = srv.post("/credentials/verify", {"verifiableCredential": bad})
        assert r.status in (200, 400), (name, r)
        body = r.json()
        assert body["verified"] is False, (name, body)
        text = json.dumps(body)
        assert ("@nest" in text or "IRI" in text or "inline" in text), (name, text)


def test_status_entry_value_shapes_are_named(dep):
    # Review P2: statusPurpose as a value object (the same quads): refused with a message that
    # names the plain form, not one that blames the issuer's status entry.
    ok, srv, items, _ = dep
    vc = json.loads(ok.run("issue", items[1]["id"], "--cryptosuite", "eddsa-rdfc-2022",
                           check=True).stdout)
    bad = copy.deepcopy(vc)
    entry = bad["credentialStatus"][0] if isinstance(bad["credentialStatus"], list) \
        else bad["credentialStatus"]
    entry["statusPurpose"] = {"@value": entry["statusPurpose"]}
    r = srv.post("/credentials/verify", {"verifiableCredential": bad})
    body = r.json()
    assert body["verified"] is False, body
    text = json.dumps(body)
    assert "statusPurpose: the verifier reads it as a string" in text, text
    assert "not a complete BitstringStatusListEntry" not in text, text


def test_vc_api_refuses_reshaped_credentials(dep):
    _, srv, _, key = dep
    plain = {"@context": ["https://www.w3.org/ns/credentials/v2",
                          "https://www.w3.org/ns/credentials/examples/v2"],
             "type": ["VerifiableCredential", "ExampleAlumniCredential"], "issuer": DID,
             "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
                                   "alumniOf": "The School of Examples"}}
    r = srv.post("/credentials/issue?cryptosuite=eddsa-rdfc-2022",
                 {"credential": plain, "options": {}}, key=key)
    assert r.status == 201, r
    entry = {"id": "https://example.org/status/1#5", "type": "BitstringStatusListEntry",
             "statusPurpose": "revocation", "statusListIndex": "5",
             "statusListCredential": "https://example.org/status/1"}
    shapes = {
        "@nest": dict(plain, **{"@nest": {"credentialStatus": entry}}),
        "IRI": dict(plain, **{CS_IRI: entry}),
        "inline": dict(plain, **{"@context": plain["@context"] + [{"cs": CS_IRI}],
                                 "cs": entry}),
        "reserved type as IRI": dict(plain, type=[
            "VerifiableCredential",
            "https://www.w3.org/ns/credentials/status#BitstringStatusListCredential"]),
    }
    shapes["reserved type as @type"] = dict(plain, **{
        "@type": "https://www.w3.org/ns/credentials/status#BitstringStatusListCredential"})
    for name, cred in shapes.items():
        r = srv.post("/credentials/issue?cryptosuite=eddsa-rdfc-2022",
                     {"credential": cred, "options": {}}, key=key)
        doc = problem(r, 400)
        assert doc.get("detail"), (name, doc)
        # Review P1: the same with eddsa-jcs-2022, whose signature covers the JSON; JSON-LD
        # readers read the quads, so the issuer applies the plain form whatever the suite.
        r = srv.post("/credentials/issue?cryptosuite=eddsa-jcs-2022",
                     {"credential": cred, "options": {}}, key=key)
        doc = problem(r, 400)
        assert doc.get("detail"), (name, doc)
        r = srv.post("/credentials/issue",
                     {"credential": cred, "options": {"cryptosuite": "eddsa-jcs-2022"}}, key=key)
        problem(r, 400)
    r = srv.post("/credentials/issue?cryptosuite=eddsa-jcs-2022",
                 {"credential": plain, "options": {}}, key=key)
    assert r.status == 201, r


def test_many_keys_refused_by_the_member_limit(dep):
    """Keys in descending order, the insertion sort's worst case, within the 1 MiB body limit:
    refused by the limit on an object's members, which is what keeps the sort's time bounded
    (how fast is for bench/, not for a test)."""
    _, srv, _, _ = dep
    subject = {"%x" % i: "v" for i in range(60000, 0, -1)}
    vc = {"@context": ["https://www.w3.org/ns/credentials/v2"],
          "type": ["VerifiableCredential"], "issuer": DID, "credentialSubject": subject}
    r = srv.post("/credentials/verify", {"verifiableCredential": vc})
    assert r.status in (200, 400, 413), r
    assert r.json()["verified"] is False
    assert "more than the limit of 1000" in json.dumps(r.json()), r


def test_vc_api_refuses_reserved_types_as_expanded_iris(dep):
    """Review Q2: a reserved type is refused as JSON-LD readers see it, not only by its JSON
    name: an absolute IRI of oorkonde's vocabulary or of StatusList2021 that no listed context
    names, and a TrustList subject under oorkonde's context."""
    _, srv, _, key = dep
    base = {"@context": ["https://www.w3.org/ns/credentials/v2"], "issuer": DID,
            "credentialSubject": {"id": "did:example:x"}}
    shapes = {
        "own vocabulary IRI": dict(base, type=[
            "VerifiableCredential", "https://w3id.org/oorkonde/vocab#DestructionCertificate"]),
        "StatusList2021 IRI": dict(base, type=[
            "VerifiableCredential", "https://w3id.org/vc/status-list#StatusList2021Credential"]),
        "subject IRI": dict(base, type=["VerifiableCredential"], credentialSubject={
            "id": "did:example:x", "type": "https://w3id.org/oorkonde/vocab#TrustList"}),
        "TrustList subject": {
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/oorkonde/v1"],
            "type": ["VerifiableCredential"], "issuer": DID,
            "credentialSubject": {"type": "TrustList", "members": [
                {"id": "did:key:evil", "name": "Evil", "country": "NL", "status": "active"}]}},
    }
    for name, cred in shapes.items():
        for suite in ("eddsa-jcs-2022", "eddsa-rdfc-2022"):
            r = srv.post("/credentials/issue?cryptosuite=" + suite,
                         {"credential": cred, "options": {}}, key=key)
            doc = problem(r, 400)
            assert "reserved" in doc.get("detail", ""), (name, suite, doc)
