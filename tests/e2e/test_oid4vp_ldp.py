"""The OpenID4VP verifier asking for W3C credentials (ldp_vc, OpenID4VP 1.0 Appendix B.1), end to
end over HTTP: a learner's Open Badges credential issued by oorkonde (`oorkonde issue`, Data
Integrity), put in a Verifiable Presentation by the wallet played here (a did:key holder signing
eddsa-jcs-2022 with Python's cryptography, challenge = the request's nonce, domain = its
client_id) and posted to the response URI; verified, or not verified and why: another request's
nonce (a replay), another verifier's domain, a tampered or revoked credential, a presentation
signed by someone other than the holder it names, a type or level not asked for, and a W3C answer
to a query that asked only for an SD-JWT VC; the same answer encrypted (direct_post.jwt)."""
import base64
import copy
import hashlib
import json
import os
import urllib.parse

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import signing
from helpers.base import INSTITUTION, Oorkonde, make_row, write_csv
from helpers.server import problem

HOST = "verifier.example.nl"
NATIONAL_ID = "123456782"
GIVEN, FAMILY = "Wilhelmina", "Zonnebloem-Kraai"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_TYPE = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential"


class Holder:
    """A wallet's did:key and its Ed25519 key."""

    def __init__(self):
        self.key = ed25519.Ed25519PrivateKey.generate()
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw,
                                                 serialization.PublicFormat.Raw)
        multikey = "z" + signing.base58btc(b"\xed\x01" + raw)
        self.did = "did:key:" + multikey
        self.vm = f"{self.did}#{multikey}"

    def present(self, credentials, challenge, domain, holder=None):
        vp = {"@context": [VC_V2], "type": ["VerifiablePresentation"],
              "holder": holder or self.did, "verifiableCredential": credentials}
        proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
                 "created": "2025-01-01T00:00:00Z", "verificationMethod": self.vm,
                 "proofPurpose": "authentication", "challenge": challenge, "domain": domain,
                 "@context": vp["@context"]}
        digest = (hashlib.sha256(signing.jcs(proof)).digest() +
                  hashlib.sha256(signing.jcs(vp)).digest())
        return {**vp, "proof": {**proof, "proofValue": "z" +
                                signing.base58btc(self.key.sign(digest))}}


@pytest.fixture
def dep(binary, tmp_path, server_on):
    ok = Oorkonde(binary, tmp_path / "data")
    ok.run("init", "--host", HOST, check=True)
    ok.add_institution()
    out = ok.run("apikey", "add", "--institution", INSTITUTION, "--permit", "verify",
                 check=True).stdout
    ok.vkey = out.split("): ", 1)[1].split()[0]
    row = make_row(record_id="R-1", national_id=NATIONAL_ID, given_names=GIVEN,
                   family_name=FAMILY, kind="degree", title="MSc Hydrology", eqf_level="7",
                   credits="120", grade="8", grading_scheme="1-10")
    assert ok.import_csv(write_csv(tmp_path / "rows.csv", [row])).returncode == 0
    ok.achievement = ok.achievements_json(NATIONAL_ID)[0]["id"]
    ok.vc = json.loads(ok.run("issue", ok.achievement, check=True).stdout)
    ok.srv = server_on(ok, "--rate-limit", 0)
    ok.holder = Holder()
    # The same result issued to the wallet's key: the credential a wallet should present.
    ok.bound = json.loads(ok.run("issue", ok.achievement, "--holder-did", ok.holder.did,
                                 check=True).stdout)
    return ok


def path_of(url):
    return urllib.parse.urlsplit(url).path


def ask(dep, **choices):
    body = {"kinds": ["degree"], "min_eqf_level": 6, "formats": ["ldp_vc"], **choices}
    r = dep.srv.post("/v1/verifier/requests", body, key=dep.vkey)
    assert r.status == 201, r
    made = r.json()
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(made["authorization_request"]).query)
    r = dep.srv.get(path_of(q["request_uri"][0]))
    assert r.status == 200, r
    payload = json.loads(signing_unb64(r.body.decode().split(".")[1]))
    assert payload["client_id"] == f"x509_san_dns:{HOST}"
    return made, payload


def signing_unb64(text):
    import base64
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def answer(dep, req, vp_token):
    body = urllib.parse.urlencode({"vp_token": json.dumps(vp_token), "state": req["state"]})
    return dep.srv.post(path_of(req["response_uri"]), body,
                        ctype="application/x-www-form-urlencoded")


def outcome(dep, made):
    r = dep.srv.get(path_of(made["status_url"]))
    assert r.status == 200, r
    return r.json()


def test_request_object_asks_for_ldp_vc(dep):
    # Only a request with an ldp_vc query offers the format to the wallet.
    _, req = ask(dep, formats=["dc+sd-jwt"])
    assert "ldp_vc" not in req["client_metadata"]["vp_formats_supported"]
    assert "dc+sd-jwt" in req["client_metadata"]["vp_formats_supported"]
    _, req = ask(dep)
    (cq,) = req["dcql_query"]["credentials"]
    assert cq["format"] == "ldp_vc" and cq["id"] == "result"
    assert cq["meta"] == {"type_values": [[OB_TYPE]]}
    paths = [c["path"] for c in cq["claims"]]
    assert ["credentialSubject", "achievement", "tag", None] in paths
    assert "ldp_vc" in req["client_metadata"]["vp_formats_supported"]
    # Both formats: either answers (credential_sets).
    _, req = ask(dep, formats=["dc+sd-jwt", "ldp_vc"])
    assert [c["format"] for c in req["dcql_query"]["credentials"]] == ["dc+sd-jwt", "ldp_vc"]
    assert req["dcql_query"]["credential_sets"] == [{"options": [["result"], ["result_ldp"]]}]
    # The default stays dc+sd-jwt only.
    r = dep.srv.post("/v1/verifier/requests", {"kinds": ["degree"]}, key=dep.vkey)
    assert r.status == 201


UNBOUND = "the credential names no holder: anyone with a copy (a share link hands one out) can present it"


def test_verified_presentation_shows_who_and_what(dep):
    """A credential issued to the wallet's key, presented by that key: verified. One that names
    no holder (every share link hands such a copy out) is not verified, whoever presents it,
    unless the request accepted such credentials; even then its state is its own."""
    made, req = ask(dep, label="Werkgever BV")
    vp = dep.holder.present([dep.bound], req["nonce"], req["client_id"])
    r = answer(dep, req, {"result": [vp]})
    assert r.status == 200 and r.json() == {}, r
    o = outcome(dep, made)
    assert o["status"] == "verified", o
    entry = o["result"]["credentials"][0]
    assert entry["verified"] is True and entry["format"] == "ldp_vc"
    assert entry["verified_unbound"] is False
    assert entry["holder"] == dep.holder.did and entry["holder_bound"] is True
    assert entry["report"]["holder"]["name"] == f"{GIVEN} {FAMILY}"
    assert entry["report"]["achievement"]["title"] == "MSc Hydrology"
    # Answered once.
    again = answer(dep, req, {"result": [vp]})
    assert again.status == 400 and "answered" in again.json()["error_description"]
    # Both formats asked, the W3C one chosen: verified too.
    made, req = ask(dep, formats=["dc+sd-jwt", "ldp_vc"])
    vp = dep.holder.present([dep.bound], req["nonce"], req["client_id"])
    assert answer(dep, req, {"result_ldp": vp}).status == 200
    assert outcome(dep, made)["status"] == "verified"

    # The copy a share link hands out, presented by whoever has it: not verified.
    learner = dep.achievements_json(NATIONAL_ID)[0]["learner_id"]
    proc = dep.run("share", "create", "--learner-id", learner, "--achievements",
                   dep.achievement, "--to", "Employer X", "--json", check=True)
    share = json.loads(proc.stdout)["url"].rsplit("/s/", 1)[1]
    r = dep.srv.get(f"/s/{share}/credentials")
    assert r.status == 200, r
    [copied] = r.json()["credentials"]
    assert "id" not in copied["credentialSubject"]
    stranger = Holder()
    refused(dep, UNBOUND, lambda req: stranger.present([copied], req["nonce"], req["client_id"]))
    # The verifier accepted such credentials: verified_unbound, never verified.
    made, req = ask(dep, accept_unbound=True)
    assert answer(dep, req, {"result": [stranger.present([copied], req["nonce"],
                                                         req["client_id"])]}).status == 200
    o = outcome(dep, made)
    assert o["status"] == "verified_unbound", o
    assert o["accept_unbound"] is True
    assert o["result"]["verified"] is False and o["result"]["verified_unbound"] is True
    assert o["result"]["reason"] == UNBOUND
    entry = o["result"]["credentials"][0]
    assert entry["verified"] is False and entry["verified_unbound"] is True
    # Nor does its report say "verified" (review LDP9-3).
    assert entry["report"]["verified"] is False
    assert entry["report"]["headline"]["state"] == "unbound"
    assert entry["report"]["holder"]["name"] == f"{GIVEN} {FAMILY}"
    # Accepting unbound ones changes nothing for a bound one, nor for a failing one.
    made, req = ask(dep, accept_unbound=True)
    answer(dep, req, {"result": [dep.holder.present([dep.bound], req["nonce"],
                                                    req["client_id"])]})
    assert outcome(dep, made)["status"] == "verified"
    refused(dep, "domain", lambda req: stranger.present([copied], req["nonce"],
                                                        "x509_san_dns:evil.example"),
            accept_unbound=True)
    doc = problem(dep.srv.post("/v1/verifier/requests",
                               {"kinds": ["degree"], "formats": ["ldp_vc"],
                                "accept_unbound": "yes"}, key=dep.vkey), 400)
    assert "accept_unbound" in doc["detail"]
    # It changes nothing for SD-JWT VCs: asking it there is an error, not a silent no-op.
    doc = problem(dep.srv.post("/v1/verifier/requests",
                               {"kinds": ["degree"], "accept_unbound": True}, key=dep.vkey), 400)
    assert "ldp_vc" in doc["detail"]
    # The answer's audit event says which state, without the holder.
    shown = dep.run("audit", "show", check=True).stdout
    assert "verified unbound" in shown
    # A bound issuance says so in its audit event, without the DID.
    assert "bound=1" in shown and dep.holder.did not in shown


def test_a_vc_api_key_cannot_mint_a_verified_answer(dep):
    """Review LDP9-1: a key permitted vc-issue signs Open Badges in the depository's name, but
    not one of the depository's own results (urn:oorkonde: achievements), and the verifier takes
    only those: a degree minted through the VC-API, bound to the minter's key, is not verified."""
    dep.add_institution(code="99XX", name="Andere Hogeschool")
    out = dep.run("apikey", "add", "--institution", "99XX", "--permit", "vc-issue",
                  check=True).stdout
    key = out.split("): ", 1)[1].split()[0]
    mallory = Holder()
    vc = copy.deepcopy(dep.vc)
    del vc["proof"]
    vc.pop("credentialStatus", None)
    vc["id"] = dep.bound["id"]  # a bound credential's recorded id, too
    vc["credentialSubject"]["id"] = mallory.did
    vc["credentialSubject"]["achievement"]["name"] = "PhD Hydrology"
    r = dep.srv.post("/credentials/issue", {"credential": vc}, key=key)
    doc = problem(r, 400)
    assert "achievement.id" in doc["detail"] or "urn:oorkonde:" in doc["detail"], doc
    # Another achievement id: signed, but no result of this depository's records.
    vc["credentialSubject"]["achievement"]["id"] = "urn:example:achievement:phd"
    r = dep.srv.post("/credentials/issue", {"credential": vc}, key=key)
    assert r.status == 201, r
    minted = r.json()["verifiableCredential"]
    made, req = ask(dep)
    assert answer(dep, req, {"result": [mallory.present([minted], req["nonce"],
                                                        req["client_id"])]}).status == 200
    o = outcome(dep, made)
    assert o["status"] == "not_verified", o
    assert "not state a result of this depository's records" in o["result"]["reason"], o


def test_result_shows_only_what_was_asked(dep):
    """A W3C credential is presented whole, but the verifier is shown only what it ticked."""
    made, req = ask(dep)
    answer(dep, req, {"result": [dep.holder.present([dep.bound], req["nonce"],
                                                    req["client_id"])]})
    o = outcome(dep, made)
    assert o["status"] == "verified", o
    report = o["result"]["credentials"][0]["report"]
    assert report["holder"]["name"] == f"{GIVEN} {FAMILY}"
    assert report["holder"]["birth_date"] is None
    a = report["achievement"]
    assert a["grade"] is None and a["credits"] is None and a["awarded_on"] is None, a
    assert a["title"] == "MSc Hydrology"
    # Asked for: shown.
    made, req = ask(dep, claims=["birthdate", "grade", "credits_ects", "awarded_on"])
    paths = [c["path"] for c in req["dcql_query"]["credentials"][0]["claims"]]
    assert ["credentialSubject", "identifier", None, "identityType"] in paths
    answer(dep, req, {"result": [dep.holder.present([dep.bound], req["nonce"],
                                                    req["client_id"])]})
    o = outcome(dep, made)
    assert o["status"] == "verified", o
    report = o["result"]["credentials"][0]["report"]
    assert report["holder"]["birth_date"]
    a = report["achievement"]
    assert a["grade"] == "8" and a["credits"] == 120 and a["awarded_on"], a


def test_one_presentation_per_query(dep):
    """A query without "multiple": true asks for one credential: two presentations for it are
    not an answer (invalid_request), and the request stays open for the real one."""
    made, req = ask(dep)
    vp = dep.holder.present([dep.bound], req["nonce"], req["client_id"])
    other = Holder().present([dep.vc], req["nonce"], req["client_id"])
    r = answer(dep, req, {"result": [vp, other]})
    assert r.status == 400 and r.json()["error"] == "invalid_request", r
    assert "more than one presentation" in r.json()["error_description"]
    assert outcome(dep, made)["status"] == "pending"
    assert answer(dep, req, {"result": [vp]}).status == 200
    assert outcome(dep, made)["status"] == "verified"
    # Both formats asked, either answers: both at once are two credentials for a request
    # about one (review LDP9-2).
    made, req = ask(dep, formats=["dc+sd-jwt", "ldp_vc"])
    vp = dep.holder.present([dep.bound], req["nonce"], req["client_id"])
    r = answer(dep, req, {"result": ["eyJhbGciOiJFUzI1NiJ9.e30.c2ln~"], "result_ldp": [vp]})
    assert r.status == 400 and "more than one option" in r.json()["error_description"], r
    assert outcome(dep, made)["status"] == "pending"
    assert answer(dep, req, {"result_ldp": [vp]}).status == 200
    assert outcome(dep, made)["status"] == "verified"


def refused(dep, why, vp_of, **choices):
    """An answer not made by the holder's wallet for this request (a credential naming no
    holder, which anyone with a copy presents; another key's; another request's): refused with
    why, and the request stays open for the holder's (finding s16-3)."""
    made, req = ask(dep, **choices)
    r = answer(dep, req, {"result": [vp_of(req)]})
    assert r.status == 400 and r.json()["error"] == "invalid_request", r
    assert why in r.json()["error_description"], r.json()
    assert "stays open" in r.json()["error_description"], r.json()
    assert outcome(dep, made)["status"] == "pending"


def recorded(dep, why, vp_of, **choices):
    """The holder's own answer that does not verify: recorded as not verified, with why."""
    made, req = ask(dep, **choices)
    r = answer(dep, req, {"result": [vp_of(req)]})
    assert r.status == 200, r
    o = outcome(dep, made)
    assert o["status"] == "not_verified", o
    assert why in o["result"]["reason"], o["result"]["reason"]
    return o


def test_not_verified_because(dep):
    h, vc = dep.holder, dep.vc
    # A presentation made for another request (replayed): its challenge is that one's nonce.
    _, other = ask(dep)
    replayed = h.present([vc], other["nonce"], other["client_id"])
    refused(dep, "challenge is not the one asked for", lambda req: replayed)
    # Made for another verifier.
    refused(dep, "domain is not the one asked for",
            lambda req: h.present([vc], req["nonce"], "x509_san_dns:evil.example"))
    # A credential changed after it was issued (the holder's proof signs the change).
    tampered = copy.deepcopy(vc)
    tampered["credentialSubject"]["achievement"]["name"] = "PhD Hydrology"
    refused(dep, "changed after it was signed", lambda req: h.present([tampered], req["nonce"], req["client_id"]))
    # A presentation naming a holder whose key did not sign it.
    refused(dep, "holder's key could not be found",
            lambda req: h.present([vc], req["nonce"], req["client_id"],
                                  holder=Holder().did))
    # A level above the credential's.
    refused(dep, "tag", lambda req: h.present([vc], req["nonce"], req["client_id"]),
            min_eqf_level=8)
    # Another kind than the credential's.
    refused(dep, "achievementType",
            lambda req: h.present([vc], req["nonce"], req["client_id"]), kinds=["course"])
    # No presentation proof at all.
    def unsigned(req):
        vp = h.present([vc], req["nonce"], req["client_id"])
        del vp["proof"]
        return vp
    refused(dep, "no proof", unsigned)
    # The holder's own credential (issued to its key), presented by it for this request: the
    # answer is recorded, not verified, with why.
    recorded(dep, "tag", lambda req: h.present([dep.bound], req["nonce"], req["client_id"]),
             min_eqf_level=8)
    # Revoked after it was presented once.
    dep.run("revoke", dep.achievement, "--reason", "obtained by fraud", check=True)
    refused(dep, "revoked", lambda req: h.present([vc], req["nonce"], req["client_id"]))
    recorded(dep, "revoked", lambda req: h.present([dep.bound], req["nonce"], req["client_id"]))


def test_ldp_answer_to_an_sd_jwt_query(dep):
    made, req = ask(dep, formats=["dc+sd-jwt"])
    vp = dep.holder.present([dep.vc], req["nonce"], req["client_id"])
    # As a JSON object: not a presentation of that format, refused as malformed.
    r = answer(dep, req, {"result": [vp]})
    assert r.status == 400 and r.json()["error"] == "invalid_request", r
    assert outcome(dep, made)["status"] == "pending"
    # As a string: read, not bound to the request by a holder's key, so refused and the
    # request left open (finding s16-3).
    r = answer(dep, req, {"result": [json.dumps(vp)]})
    assert r.status == 400 and "dc+sd-jwt" in r.json()["error_description"], r
    assert outcome(dep, made)["status"] == "pending"
    # And an SD-JWT-only answer to a W3C-only query.
    made, req = ask(dep)
    assert answer(dep, req, {"result": ["eyJhbGciOiJFUzI1NiJ9.e30.c2ln~"]}).status == 400
    assert outcome(dep, made)["status"] == "pending"


def test_bad_choices_and_bounds(dep):
    for body, field in [({"formats": ["jwt_vc_json"]}, "formats"),
                        ({"formats": []}, "formats"),
                        ({"formats": ["ldp_vc"], "claims": ["record_id"]}, "record_id")]:
        doc = problem(dep.srv.post("/v1/verifier/requests", {"kinds": ["degree"], **body},
                                   key=dep.vkey), 400)
        assert field in doc["detail"], doc
    made, req = ask(dep)
    # More credentials than the query asks for in one presentation.
    vp = dep.holder.present([dep.bound, dep.bound], req["nonce"], req["client_id"])
    r = answer(dep, req, {"result": [vp]})
    assert r.status == 400 and "exactly one credential" in r.json()["error_description"], r
    # A VC-JOSE credential (enveloped) is not the ldp_vc asked for.
    token = dep.run("issue", dep.achievement, "--format", "jwt", check=True).stdout.strip()
    made, req = ask(dep)
    vp = dep.holder.present([{"@context": [VC_V2], "type": "EnvelopedVerifiableCredential",
                              "id": "data:application/vc+jwt," + token}],
                            req["nonce"], req["client_id"])
    r = answer(dep, req, {"result": [vp]})
    assert r.status == 400 and "not a Data Integrity credential" in \
        r.json()["error_description"], r
    # A presentation past the size bound is refused before any work.
    made, req = ask(dep)
    big = dep.holder.present([dep.vc], req["nonce"], req["client_id"])
    big["padding"] = "x" * (300 << 10)
    r = answer(dep, req, {"result": [big]})
    assert r.status in (400, 413), r
    assert outcome(dep, made)["status"] == "pending"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwe_to(jwk, plaintext):
    """A compact JWE as a wallet makes it: ECDH-ES to the request's key, Concat KDF, A128GCM."""
    def num(v):
        return int.from_bytes(signing_unb64(v), "big")
    recipient = ec.EllipticCurvePublicNumbers(num(jwk["x"]), num(jwk["y"]),
                                              ec.SECP256R1()).public_key()
    eph = ec.generate_private_key(ec.SECP256R1())
    z = eph.exchange(ec.ECDH(), recipient)
    n = eph.public_key().public_numbers()
    header = {"alg": "ECDH-ES", "enc": "A128GCM", "kid": jwk["kid"],
              "epk": {"kty": "EC", "crv": "P-256", "x": b64u(n.x.to_bytes(32, "big")),
                      "y": b64u(n.y.to_bytes(32, "big"))}}
    enc = b"A128GCM"
    other = (len(enc).to_bytes(4, "big") + enc + (0).to_bytes(4, "big") +
             (0).to_bytes(4, "big") + (128).to_bytes(4, "big"))
    key = hashlib.sha256((1).to_bytes(4, "big") + z + other).digest()[:16]
    protected = b64u(json.dumps(header).encode())
    iv = os.urandom(12)
    sealed = AESGCM(key).encrypt(iv, plaintext, protected.encode())
    return f"{protected}..{b64u(iv)}.{b64u(sealed[:-16])}.{b64u(sealed[-16:])}"


def test_encrypted_answer_direct_post_jwt(dep):
    made, req = ask(dep, response_mode="direct_post.jwt")
    assert req["response_mode"] == "direct_post.jwt"
    (jwk,) = req["client_metadata"]["jwks"]["keys"]
    vp = dep.holder.present([dep.bound], req["nonce"], req["client_id"])
    body = json.dumps({"vp_token": {"result": [vp]}, "state": req["state"]}).encode()
    r = dep.srv.post(path_of(req["response_uri"]),
                     urllib.parse.urlencode({"response": jwe_to(jwk, body)}),
                     ctype="application/x-www-form-urlencoded")
    assert r.status == 200, r
    o = outcome(dep, made)
    assert o["status"] == "verified", o
    assert o["result"]["credentials"][0]["format"] == "ldp_vc"


def test_credential_issued_to_a_holder(dep):
    """Issued with --holder-did, the credential is the holder's: verified and bound when its
    key presents it, not verified when another key does (a copy in someone else's hands)."""
    bound = dep.bound
    assert bound["credentialSubject"]["id"] == dep.holder.did
    made, req = ask(dep)
    assert answer(dep, req, {"result": [dep.holder.present([bound], req["nonce"],
                                                           req["client_id"])]}).status == 200
    o = outcome(dep, made)
    assert o["status"] == "verified", o
    assert o["result"]["credentials"][0]["holder_bound"] is True
    thief = Holder()
    refused(dep, "issued to another holder",
            lambda req: thief.present([bound], req["nonce"], req["client_id"]))
    # Only an Ed25519 did:key is taken.
    proc = dep.run("issue", dep.achievement, "--holder-did", "did:web:example.org")
    assert proc.returncode != 0 and "did:key" in proc.stderr
