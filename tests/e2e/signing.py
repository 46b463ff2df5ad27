"""Signs a document in a depository's name straight from its issuer.key (eddsa-jcs-2022), for
tests that need what oorkonde itself refuses to sign: a status list, a credential with status
entries pointing anywhere, a proof with chosen times. The depository's own VC-API endpoint may
not sign these, so the tests act as someone holding the key."""
import base64
import hashlib
import json
import pathlib

from cryptography.hazmat.primitives.asymmetric import ed25519

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58btc(data):
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def jcs(value):
    """RFC 8785 for the documents of these tests: strings, integers, booleans, no floats."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def issuer_key(data_dir):
    """The current (last) Ed25519 key of a data folder's issuer.key."""
    line = pathlib.Path(data_dir, "issuer.key").read_text().strip().splitlines()[-1]
    return ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(line.split()[1]))


def verification_method(ok):
    """The verification method the depository signs with (the last listed assertion key)."""
    doc = json.loads(ok.run("identity", check=True).stdout.split("\n", 1)[1])
    return doc["assertionMethod"][-1]


def sign(ok, document, created="2024-01-01T00:00:00Z", **proof_extra):
    """document signed with ok's issuer key; proof_extra adds members such as expires."""
    proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
             "verificationMethod": verification_method(ok), "proofPurpose": "assertionMethod",
             "created": created, **proof_extra}
    proof["@context"] = document["@context"]
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    digest = hashlib.sha256(jcs(proof)).digest() + hashlib.sha256(jcs(unsecured)).digest()
    signature = issuer_key(ok.data).sign(digest)
    return {**unsecured, "proof": {**proof, "proofValue": "z" + base58btc(signature)}}


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign_jwt(ok, payload):
    """payload as a VC-JOSE compact token (EdDSA) signed with ok's issuer key."""
    header = {"alg": "EdDSA", "kid": verification_method(ok), "typ": "vc+jwt"}
    signing_input = (b64url(jcs(header)) + "." + b64url(jcs(payload))).encode()
    return signing_input.decode() + "." + b64url(issuer_key(ok.data).sign(signing_input))
