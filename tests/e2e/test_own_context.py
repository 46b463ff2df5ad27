"""oorkonde's own JSON-LD context (https://w3id.org/oorkonde/v1): the types and terms of its trust
lists, destruction certificates and transfer manifests. Served for other verifiers at
GET /contexts/oorkonde/v1, byte for byte the pinned document; and since these formats have a
context, no credential is exempt from "every type defined" any more (review P5): one that only
calls itself a trust list, signed with eddsa-jcs-2022, fails that rule like any other."""
import pathlib

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
