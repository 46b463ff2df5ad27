"""Verifiable Presentations end to end: `POST /presentations/verify`, `oorkonde verify` of a
presentation file, and `oorkonde present` (the depository as holder, did:key and did:web). The holder is a did:key made here; its presentations are signed here with
eddsa-jcs-2022 (the `cryptography` package's Ed25519, JCS as tests/e2e/signing.py writes it),
as a wallet would. The credentials inside are the depository's own, embedded (Data Integrity)
or enveloped (VC-JOSE in a data: URL)."""
import hashlib
import json
import re
import socket

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

import signing
from helpers.base import Oorkonde, make_row, write_csv
from helpers.server import Server

VC_V2 = "https://www.w3.org/ns/credentials/v2"
NID = "123456782"
CHALLENGE = "c0ffee-1234"
DOMAIN = "verifier.example.org"


class Holder:
    """A did:key holder with its Ed25519 key."""

    def __init__(self):
        self.key = ed25519.Ed25519PrivateKey.generate()
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw,
                                                 serialization.PublicFormat.Raw)
        multikey = "z" + signing.base58btc(b"\xed\x01" + raw)
        self.did = "did:key:" + multikey
        self.vm = f"{self.did}#{multikey}"

    def present(self, credentials, challenge=CHALLENGE, domain=DOMAIN, holder=None,
                purpose="authentication", **proof_extra):
        """A presentation of credentials, signed by this holder's key; proof_extra adds
        members to the proof (expires)."""
        vp = {"@context": [VC_V2], "type": ["VerifiablePresentation"],
              "holder": holder or self.did, "verifiableCredential": credentials}
        proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
                 "created": "2025-01-01T00:00:00Z", "verificationMethod": self.vm,
                 "proofPurpose": purpose, **proof_extra}
        if challenge is not None:
            proof["challenge"] = challenge
        if domain is not None:
            proof["domain"] = domain
        proof["@context"] = vp["@context"]
        digest = (hashlib.sha256(signing.jcs(proof)).digest() +
                  hashlib.sha256(signing.jcs(vp)).digest())
        return {**vp, "proof": {**proof, "proofValue": "z" +
                                signing.base58btc(self.key.sign(digest))}}


def envelope(token):
    return {"@context": [VC_V2], "type": "EnvelopedVerifiableCredential",
            "id": "data:application/vc+jwt," + token}


@pytest.fixture
def dep(inst, tmp_path):
    """A data folder with one learner holding two achievements, and its credentials."""
    rows = [make_row(record_id="P-1", national_id=NID, title="Mechanics"),
            make_row(record_id="P-2", national_id=NID, title="Optics")]
    proc = inst.import_csv(write_csv(tmp_path / "rows.csv", rows), "--strict")
    assert proc.returncode == 0, proc.stderr
    inst.ids = [a["id"] for a in inst.achievements_json(NID)]
    inst.vc = [json.loads(inst.run("issue", a, check=True).stdout) for a in inst.ids]
    inst.jwt = inst.run("issue", inst.ids[0], "--format", "jwt", check=True).stdout.strip()
    return inst


@pytest.fixture
def srv(dep):
    s = Server(dep, "--rate-limit", "0", name="vp").start()
    yield s
    s.stop()


def verify_cli(ok, tmp_path, vp, *options):
    path = tmp_path / "vp.json"
    path.write_text(json.dumps(vp))
    return ok.run("verify", path, *options)


def post(srv, vp, **options):
    body = {"verifiablePresentation": vp}
    if options:
        body["options"] = options
    return srv.post("/presentations/verify", body)


def test_cli_verifies_a_presentation_with_challenge_and_domain(dep, tmp_path):
    vp = Holder().present(dep.vc)
    proc = verify_cli(dep, tmp_path, vp, "--challenge", CHALLENGE, "--domain", DOMAIN)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Credential 1 of 2" in proc.stdout and "Credential 2 of 2" in proc.stdout
    assert "Presentation VALID" in proc.stdout
    proc = verify_cli(dep, tmp_path, vp, "--challenge", CHALLENGE, "--json")
    doc = json.loads(proc.stdout)
    assert doc["verified"] is True
    assert doc["presentationResult"]["holder"] == vp["holder"]
    assert [c["verified"] for c in doc["credentialResults"]] == [True, True]


def test_cli_wrong_or_missing_challenge_fails(dep, tmp_path):
    vp = Holder().present(dep.vc, challenge="someone-elses")
    proc = verify_cli(dep, tmp_path, vp, "--challenge", CHALLENGE)
    assert proc.returncode == 1, proc.stdout
    assert "FAIL challenge" in proc.stdout and "Presentation NOT VALID" in proc.stdout
    proc = verify_cli(dep, tmp_path, Holder().present(dep.vc, challenge=None),
                      "--challenge", CHALLENGE)
    assert proc.returncode == 1
    assert "has no challenge" in proc.stdout
    # No challenge asked for: the proof's own is not compared, and the answer says so.
    proc = verify_cli(dep, tmp_path, vp)
    assert proc.returncode == 0, proc.stdout
    assert "WARN challenge" in proc.stdout


def test_http_wrong_challenge_and_domain_fail(srv, dep):
    vp = Holder().present(dep.vc)
    r = post(srv, vp, challenge="another", domain=DOMAIN)
    assert r.status == 200, r.body
    doc = r.json()
    assert doc["verified"] is False
    assert doc["presentationResult"]["verified"] is False
    failed = {e["check"] for e in doc["presentationResult"]["errors"]}
    assert failed == {"challenge", "proof"}, doc
    r = post(srv, vp, challenge=CHALLENGE, domain="evil.example")
    assert r.json()["verified"] is False
    assert "domain" in {e["check"] for e in r.json()["presentationResult"]["errors"]}
    r = post(srv, vp, challenge=CHALLENGE, domain=DOMAIN)
    assert r.json()["verified"] is True, r.json()


def test_http_revoked_credential_is_reported_per_credential(srv, dep):
    dep.run("revoke", dep.ids[1], "--reason", "obtained by fraud", check=True)
    r = post(srv, Holder().present(dep.vc), challenge=CHALLENGE)
    assert r.status == 200
    doc = r.json()
    assert doc["verified"] is False
    assert doc["presentationResult"]["verified"] is True
    first, second = doc["credentialResults"]
    assert first["verified"] is True and first["headline"]["state"] == "verified"
    assert second["verified"] is False and second["headline"]["state"] == "revoked"
    assert any("revoked" in e["detail"] for e in second["errors"])
    assert [e.get("credential") for e in doc["errors"]] == [1]


def test_enveloped_vc_jwt_of_ours_verifies(srv, dep, tmp_path):
    vp = Holder().present([envelope(dep.jwt), dep.vc[1]])
    r = post(srv, vp, challenge=CHALLENGE, domain=DOMAIN)
    doc = r.json()
    assert doc["verified"] is True, doc
    assert doc["credentialResults"][0]["enveloped"] is True
    assert doc["credentialResults"][0]["format"] == "jwt"
    assert doc["credentialResults"][1]["enveloped"] is False
    proc = verify_cli(dep, tmp_path, vp, "--challenge", CHALLENGE)
    assert proc.returncode == 0 and "enveloped, VC-JOSE" in proc.stdout, proc.stdout
    # A token altered inside its envelope: that credential fails, the presentation's own
    # signature (over the altered envelope) does not hold either.
    # One character in the middle of the signature changed (the last ones may carry only
    # padding bits, or already be the letters put in their place).
    head, payload, sig = dep.jwt.split(".")
    mid = len(sig) // 2
    sig = sig[:mid] + ("B" if sig[mid] == "A" else "A") + sig[mid + 1:]
    bad = Holder().present([envelope(f"{head}.{payload}.{sig}")])
    doc = post(srv, bad).json()
    assert doc["presentationResult"]["verified"] is True
    assert doc["credentialResults"][0]["verified"] is False


@pytest.mark.parametrize("item,why", [
    ({"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+sd-jwt,a.b.c"},
     "application/vc+jwt"),
    ({"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt;base64,YQ"},
     "application/vc+jwt"),
    ({"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt,a.b%2Ec"},
     "character"),
    ({"type": "EnvelopedVerifiableCredential"}, "id"),
    ("https://example.org/credential/1", "credential object"),
    ({"type": ["Something"]}, "VerifiableCredential"),
])
def test_items_that_are_not_credentials_are_refused(srv, dep, item, why):
    r = post(srv, Holder().present([item]))
    assert r.status == 400, r.body
    assert r.headers["content-type"].startswith("application/problem+json")
    assert why in r.json()["detail"]


def test_not_a_presentation_is_a_bad_request(srv, dep, tmp_path):
    r = srv.post("/presentations/verify", {"verifiablePresentation": dep.vc[0]})
    assert r.status == 400 and "VerifiablePresentation" in r.json()["detail"]
    r = srv.post("/presentations/verify", {"verifiableCredential": dep.vc[0]})
    assert r.status == 400
    vp = Holder().present(dep.vc)
    r = post(srv, vp, challenge="")
    assert r.status == 400 and "options.challenge" in r.json()["detail"]
    r = post(srv, Holder().present(dep.vc[:1] * 17))
    assert r.status == 400
    assert "at most 16" in r.json()["detail"]
    # The CLI: a presentation-shaped file that breaks the rules exits 2.
    proc = verify_cli(dep, tmp_path, {**vp, "@context": ["https://www.w3.org/2018/credentials/v1"]})
    assert proc.returncode == 2 and "NOT A PRESENTATION" in proc.stdout, proc.stdout


def test_presentation_proof_must_be_the_holders_and_intact(srv, dep):
    alice, mallory = Holder(), Holder()
    # Signed by mallory's key in alice's name.
    doc = post(srv, mallory.present(dep.vc, holder=alice.did), challenge=CHALLENGE).json()
    assert doc["verified"] is False
    assert "does not belong to the holder" in doc["presentationResult"]["errors"][0]["detail"]
    # Altered after signing: a credential taken out.
    vp = alice.present(dep.vc)
    vp["verifiableCredential"] = vp["verifiableCredential"][:1]
    doc = post(srv, vp, challenge=CHALLENGE).json()
    assert doc["verified"] is False
    assert doc["presentationResult"]["errors"][0]["check"] == "proof"
    # A credential's proof purpose is not a presentation's.
    doc = post(srv, alice.present(dep.vc, purpose="assertionMethod"),
               challenge=CHALLENGE).json()
    assert doc["verified"] is False
    assert "authentication" in doc["presentationResult"]["errors"][0]["detail"]
    # No proof at all: nothing shows the holder presents them.
    unsigned = {k: v for k, v in alice.present(dep.vc).items() if k != "proof"}
    doc = post(srv, unsigned).json()
    assert doc["verified"] is False
    assert [c["verified"] for c in doc["credentialResults"]] == [True, True]
    # An expired proof.
    doc = post(srv, alice.present(dep.vc, expires="2025-06-01T00:00:00Z")).json()
    assert doc["verified"] is False
    assert "expired" in doc["presentationResult"]["errors"][0]["detail"]
    # Neither challenge nor domain, none asked for: verified.
    doc = post(srv, alice.present(dep.vc, challenge=None, domain=None)).json()
    assert doc["verified"] is True, doc


def test_a_did_web_holder_off_the_trust_list_is_not_fetched(srv, dep):
    h = Holder()
    vp = h.present(dep.vc, holder="did:web:127.0.0.1%3A9")
    vp["proof"]["verificationMethod"] = "did:web:127.0.0.1%3A9#key-1"
    doc = post(srv, vp).json()
    assert doc["verified"] is False
    assert "not on the trust list" in doc["presentationResult"]["errors"][0]["detail"]


# The depository as holder: `oorkonde present`.

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_present_round_trip(dep, tmp_path):
    (tmp_path / "c0.json").write_text(json.dumps(dep.vc[0]))
    (tmp_path / "c1.jwt").write_text(dep.jwt + "\n")
    out = tmp_path / "vp.json"
    proc = dep.run("present", tmp_path / "c0.json", tmp_path / "c1.jwt", "--challenge",
                   CHALLENGE, "--domain", DOMAIN, "-o", out)
    assert proc.returncode == 0, proc.stderr
    vp = json.loads(out.read_text())
    did = dep.run("identity", check=True).stdout.splitlines()[0]
    assert vp["holder"] == did
    assert vp["proof"]["proofPurpose"] == "authentication"
    assert vp["proof"]["challenge"] == CHALLENGE and vp["proof"]["domain"] == DOMAIN
    assert vp["verifiableCredential"][1]["id"] == "data:application/vc+jwt," + dep.jwt
    proc = dep.run("verify", out, "--challenge", CHALLENGE, "--domain", DOMAIN)
    assert proc.returncode == 0, proc.stdout
    proc = dep.run("verify", out, "--challenge", "another")
    assert proc.returncode == 1
    # Signing is audited: the key and the number of credentials, nothing of their content.
    events = dep.run("audit", "show", check=True).stdout
    assert re.search(r"presentation\.sign .*credentials=2 key=1", events), events
    # What is not a credential is refused, naming the file; nothing is written.
    (tmp_path / "bad.json").write_text('{"type": "Other"}')
    proc = dep.run("present", tmp_path / "c0.json", tmp_path / "bad.json")
    assert proc.returncode == 2 and "bad.json" in proc.stderr and not proc.stdout
    proc = dep.run("present", *[tmp_path / "c0.json"] * 17)
    assert proc.returncode == 2 and "at most 16" in proc.stderr


def test_a_trusted_did_web_depository_as_holder(binary, tmp_path, server_on):
    """NL (did:web, serving its DID document) presents its credential to FI, which trusts NL
    and resolves NL's key over HTTP; before FI trusts NL nothing is fetched."""
    port = free_port()
    nl = Oorkonde(binary, tmp_path / "nl")
    nl.run("init", "--host", f"127.0.0.1:{port}", check=True)
    nl.add_institution()
    proc = nl.import_csv(write_csv(tmp_path / "nl.csv", [make_row(national_id=NID)]))
    assert proc.returncode == 0, proc.stderr
    nl_did = nl.run("identity", check=True).stdout.splitlines()[0]
    vc = tmp_path / "nl.json"
    vc.write_text(nl.run("issue", nl.achievements_json(NID)[0]["id"], check=True).stdout)
    server_on(nl, "--listen", f"127.0.0.1:{port}", "--rate-limit", "0")
    vp = tmp_path / "vp.json"
    nl.run("present", vc, "--challenge", CHALLENGE, "-o", vp, check=True)
    assert json.loads(vp.read_text())["proof"]["verificationMethod"].startswith(nl_did + "#")

    fi = Oorkonde(binary, tmp_path / "fi")
    fi.init()
    config = fi.data / "config.json"
    settings = json.loads(config.read_text())
    settings["did_web_http_hosts"] = [f"127.0.0.1:{port}"]
    config.write_text(json.dumps(settings))
    proc = fi.run("verify", vp, "--challenge", CHALLENGE)
    assert proc.returncode == 1
    assert "not on the trust list, so its key is not looked up" in proc.stdout
    fi.run("trust", "add", nl_did, "--name", "NL depository", "--country", "NL", check=True)
    proc = fi.run("verify", vp, "--challenge", CHALLENGE)
    assert proc.returncode == 0, proc.stdout
    assert "Presentation VALID" in proc.stdout


def test_a_did_web_holder_signs_with_an_authentication_key_only(dep, tmp_path):
    """Review 23a F4: a trusted did:web depository that lists a key under assertionMethod only
    (an issuing key) has no presentation signed by it accepted; listed under authentication,
    the same presentation verifies."""
    from helpers.net import Listener

    host = Listener()
    try:
        did = "did:web:" + host.host.replace(":", "%3A")
        h = Holder()
        raw = h.key.public_key().public_bytes(serialization.Encoding.Raw,
                                              serialization.PublicFormat.Raw)
        h.vm = did + "#key-1"
        method = {"id": h.vm, "type": "Multikey", "controller": did,
                  "publicKeyMultibase": "z" + signing.base58btc(b"\xed\x01" + raw)}

        def serve(**relationships):
            doc = {"@context": [VC_V2], "id": did, "verificationMethod": [method],
                   **relationships}
            host.routes["/.well-known/did.json"] = json.dumps(doc).encode()

        config = dep.data / "config.json"
        settings = json.loads(config.read_text())
        settings["did_web_http_hosts"] = [host.host]
        config.write_text(json.dumps(settings))
        dep.run("trust", "add", did, "--name", "Issuing only", "--country", "NL", check=True)
        vp = h.present(dep.vc, holder=did)
        serve(assertionMethod=[h.vm])
        proc = verify_cli(dep, tmp_path, vp, "--challenge", CHALLENGE, "--domain", DOMAIN)
        assert proc.returncode == 1, proc.stdout
        assert "not an authentication key in the holder's DID document" in proc.stdout, \
            proc.stdout
        assert host.hits, "the trusted holder's document was fetched"
        serve(assertionMethod=[h.vm], authentication=[h.vm])
        proc = verify_cli(dep, tmp_path, vp, "--challenge", CHALLENGE, "--domain", DOMAIN)
        assert proc.returncode == 0, proc.stdout
        # Listed under authentication alone, it signs presentations all the same.
        serve(authentication=[h.vm])
        proc = verify_cli(dep, tmp_path, vp, "--challenge", CHALLENGE, "--domain", DOMAIN)
        assert proc.returncode == 0, proc.stdout
    finally:
        host.close()


def warnings_of(doc):
    return {w["check"]: w["detail"] for w in doc["presentationResult"]["warnings"]}


def test_warnings_for_replay_and_for_no_holder_binding(srv, dep):
    """Review 23a F6: a presentation verified without a challenge says that a replay would not
    be noticed, whether or not its proof carries one; one whose credentials do not name the
    holder as their subject (oorkonde's name the learner by identity objects) says that the
    presenter is not shown to be their subject. Both are warnings: it still verifies."""
    h = Holder()
    for vp in (h.present(dep.vc), h.present(dep.vc, challenge=None)):
        r = post(srv, vp, domain=DOMAIN)
        doc = r.json()
        assert doc["verified"] is True, doc
        w = warnings_of(doc)
        assert "replayed presentation would not be noticed" in w["challenge"], w
        assert "not shown to be the credentials' subject" in w["holder"], w
    doc = post(srv, h.present(dep.vc), challenge=CHALLENGE, domain=DOMAIN).json()
    assert doc["verified"] is True and "challenge" not in warnings_of(doc), doc
    assert "holder as its subject" in warnings_of(doc)["holder"]
    # The CLI shows the same.
    proc = verify_cli(dep, dep.data.parent, h.present(dep.vc, challenge=None))
    assert proc.returncode == 0, proc.stdout
    assert "would not be noticed" in proc.stdout and "credentials' subject" in proc.stdout, \
        proc.stdout


def test_a_holder_named_as_every_subject_is_bound(srv, dep):
    h = Holder()
    out = dep.run("apikey", "add", "--permit", "vc-issue", check=True).stdout
    key = re.search(r"\(shown once[^)]*\): (ok_\S+)", out).group(1)
    did = dep.run("identity", check=True).stdout.splitlines()[0]
    r = srv.post("/credentials/issue", {"credential": {
        "@context": [VC_V2], "type": ["VerifiableCredential"], "issuer": did,
        "credentialSubject": {"id": h.did, "name": "Exchange semester"}}}, key=key)
    assert r.status == 201, r
    vc = r.json()["verifiableCredential"]
    doc = post(srv, h.present([vc]), challenge=CHALLENGE, domain=DOMAIN).json()
    assert doc["verified"] is True, doc
    assert "holder" not in warnings_of(doc), doc
    assert "holder" in doc["presentationResult"]["checks"], doc
    # The same credential presented by another key names no subject of that key's.
    doc = post(srv, Holder().present([vc]), challenge=CHALLENGE, domain=DOMAIN).json()
    assert "holder as its subject" in warnings_of(doc)["holder"], doc
