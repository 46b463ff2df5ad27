"""oorkonde's own JSON-LD context (https://w3id.org/oorkonde/v1): the types and terms of its trust
lists, destruction certificates and transfer manifests. Served for other verifiers at
GET /contexts/oorkonde/v1, byte for byte the pinned document; and since these formats have a
context, no credential is exempt from "every type defined" any more (review P5): one that only
calls itself a trust list, signed with eddsa-jcs-2022, fails that rule like any other."""
import json
import pathlib

from helpers.base import Oorkonde
from signing import sign

V2 = "https://www.w3.org/ns/credentials/v2"
OWN = "https://w3id.org/oorkonde/v1"
DOC = pathlib.Path(__file__).resolve().parents[2] / "src/vc/contexts/oorkonde-v1.jsonld"


def test_context_served_as_pinned(demo):
    r = demo.srv.get("/contexts/oorkonde/v1")
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("application/ld+json")
    assert r.body == DOC.read_bytes()
    terms = r.json()["@context"]
    for t in ("TrustListCredential", "DestructionCertificate", "TransferManifest", "members"):
        assert terms[t]["@id"].startswith("https://w3id.org/oorkonde/vocab#"), t


def trust_list(context, did, **subject):
    return {"@context": context, "type": ["VerifiableCredential", "TrustListCredential"],
            "issuer": did, "validFrom": "2024-01-01T00:00:00Z",
            "credentialSubject": {"type": "TrustList", "members": [
                {"id": "did:web:other.example", "name": "Other", "country": "NL",
                 "status": "active"}], **subject}}


def verify(demo, vc):
    r = demo.srv.post("/credentials/verify", {"verifiableCredential": vc})
    return r.status, r.json()


def test_trust_list_shape_is_not_exempt_from_defined_types(demo):
    did = demo.ok.run("identity", check=True).stdout.splitlines()[0]
    # Without oorkonde's context its types are defined by nothing: refused, whatever its proof.
    vc = trust_list([V2], did)
    status, doc = verify(demo, sign(demo.ok, vc))
    assert status == 400 and doc["verified"] is False, doc
    assert doc["errors"][0]["rule"] == "type.defined", doc
    # With it, a term it does not define is refused as well.
    vc = trust_list([V2, OWN], did, note="not a term of the context")
    status, doc = verify(demo, sign(demo.ok, vc))
    assert status == 400 and doc["errors"][0]["rule"] == "type.defined", doc
    assert "note" in doc["errors"][0]["detail"], doc
    # The shape as oorkonde makes it passes the data model (and the proof; the issuer check
    # is the trust list's business).
    vc = trust_list([V2, OWN], did)
    status, doc = verify(demo, sign(demo.ok, vc))
    assert status == 200, doc
    assert "proof" in doc["checks"], doc


# Review Q1: documents oorkonde signed before its own context existed ([credentials/v2] only,
# an eddsa-jcs-2022 proof over the JSON, so the context cannot be added afterwards) verify where
# the caller expects them from that issuer, and nowhere else.
def old_certificate(did):
    return {"@context": [V2], "type": ["VerifiableCredential", "DestructionCertificate"],
            "issuer": did, "validFrom": "2024-01-01T00:00:00Z",
            "credentialSubject": {"id": "urn:uuid:6f1c3b1e-7d2a-4c55-9b0e-1a2b3c4d5e6f",
                                  "destroyed": 3}}


def test_old_certificate_verifies_with_the_cli_only(demo, tmp_path):
    did = demo.ok.run("identity", check=True).stdout.splitlines()[0]
    vc = sign(demo.ok, old_certificate(did))
    path = tmp_path / "certificate.json"
    path.write_text(json.dumps(vc))
    proc = demo.ok.run("verify", path, "--json", "--checks", "proof,validity")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["verified"] is True, proc.stdout
    # The server's verifier grants no exemption: the document cannot choose one.
    status, doc = verify(demo, vc)
    assert status == 400 and doc["errors"][0]["rule"] == "type.defined", doc
    # The exemption is for the shape exactly: a third type, another issuer or another context
    # is not an old document of ours.
    for changed in ({"type": ["VerifiableCredential", "DestructionCertificate", "Extra"]},
                    {"issuer": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}):
        other = tmp_path / "other.json"
        other.write_text(json.dumps(sign(demo.ok, {**old_certificate(did), **changed})))
        proc = demo.ok.run("verify", other, "--json", "--checks", "proof,validity")
        assert proc.returncode != 0, proc.stdout
        assert "type.defined" in proc.stdout, proc.stdout


def test_old_trust_list_imports(binary, tmp_path):
    net = Oorkonde(binary, tmp_path / "net")
    net.run("init", check=True)
    did = net.run("identity", check=True).stdout.splitlines()[0]
    path = tmp_path / "list.json"
    path.write_text(json.dumps(sign(net, trust_list([V2], did))))
    proc = net.run("trust", "import", path, "--network", did)
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(net.run("trust", "list", "--json", check=True).stdout)
    assert any(t["id"] == "did:web:other.example" for t in listed), listed
