"""SD-JWT VC credentials end to end: `issue --format sd-jwt` (dc+sd-jwt, ES256 with the wallet
key's x5c chain, every personal and result claim a disclosure, bound to the wallet's key), and
`verify` of what was issued and of a holder's presentation with a key-binding JWT made here, as a
wallet would (Python's cryptography, not oorkonde's code), and of the bad inputs of issue 17."""
import hashlib
import json
import os
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from helpers.base import Oorkonde, make_row, write_csv
from helpers.jose import b64u, es256, jwk_of, unb64u

NATIONAL_ID = "123456782"


def parts(sdjwt):
    jws, *rest = sdjwt.strip().split("~")
    return jws, [d for d in rest[:-1]], rest[-1]


def claims_of(jws):
    h, p, _ = jws.split(".")
    return json.loads(unb64u(h)), json.loads(unb64u(p))


def present(sdjwt, names, holder, nonce="n-1", aud="https://verifier.example", iat=None):
    """What a wallet sends: the disclosures of names only, and a KB-JWT over them."""
    jws, disclosures, _ = parts(sdjwt)
    chosen = [d for d in disclosures if len(json.loads(unb64u(d))) == 3 and
              json.loads(unb64u(d))[1] in names]
    presented = jws + "~" + "".join(d + "~" for d in chosen)
    if holder is None:
        return presented
    header = b64u(json.dumps({"alg": "ES256", "typ": "kb+jwt"}).encode())
    payload = b64u(json.dumps({
        "iat": iat if iat is not None else int(time.time()), "aud": aud, "nonce": nonce,
        "sd_hash": b64u(hashlib.sha256(presented.encode()).digest())}).encode())
    signing_input = f"{header}.{payload}".encode()
    return presented + f"{header}.{payload}." + b64u(es256(holder, signing_input))


@pytest.fixture
def issuer(binary, tmp_path):
    ok = Oorkonde(binary, tmp_path / "data")
    ok.run("init", "--host", "diploma.example.nl", check=True)
    ok.add_institution()
    row = make_row(record_id="R-3", national_id=NATIONAL_ID, given_names="Łukasz",
                   family_name="Müller-Dağ", kind="degree", title="BSc Physics", eqf_level="6",
                   credits="180", grade="8", grading_scheme="1-10", programme_code="56984")
    assert ok.import_csv(write_csv(tmp_path / "rows.csv", [row])).returncode == 0
    ok.achievement = ok.achievements_json(NATIONAL_ID)[0]["id"]
    ok.holder = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "holder.jwk").write_text(json.dumps(jwk_of(ok.holder)))
    ok.holder_jwk = tmp_path / "holder.jwk"
    return ok


def issue(ok, *options):
    return ok.run("issue", ok.achievement, "--format", "sd-jwt", "--holder-jwk", ok.holder_jwk,
                  *options, check=True).stdout.strip()


def verify(ok, tmp_path, text, *options):
    path = tmp_path / "in.txt"
    path.write_text(text)
    return ok.run("verify", path, *options)


def test_issued_shape(issuer):
    sdjwt = issue(issuer)
    jws, disclosures, kb = parts(sdjwt)
    assert kb == ""
    header, payload = claims_of(jws)
    assert header["typ"] == "dc+sd-jwt" and header["alg"] == "ES256"
    assert len(header["x5c"]) == 2
    assert payload["iss"] == "https://diploma.example.nl"
    assert payload["vct"] == "https://diploma.example.nl/vct/degree"
    assert payload["exp"] - payload["iat"] == 365 * 86400
    assert payload["cnf"]["jwk"] == jwk_of(issuer.holder)
    assert payload["_sd_alg"] == "sha-256"
    assert payload["_sd"] == sorted(payload["_sd"])
    # Nothing personal or about the result in clear; decoys beside the real digests.
    text = json.dumps(payload, ensure_ascii=False)
    for clear in ("Łukasz", "Müller", "BSc Physics", NATIONAL_ID, "1990"):
        assert clear not in text
    named = {json.loads(unb64u(d))[1]: json.loads(unb64u(d))[2] for d in disclosures}
    assert named["given_name"] == "Łukasz" and named["family_name"] == "Müller-Dağ"
    assert named["title"] == "BSc Physics" and named["grade"] == "8"
    assert named["credits_ects"] == 180 and named["eqf_level"] == 6
    assert len(payload["_sd"]) > len([n for n in named if n not in
                                      ("name", "code", "country", "erasmus_code")])
    for d in disclosures:
        digest = b64u(hashlib.sha256(d.encode()).digest())
        assert NATIONAL_ID not in unb64u(d).decode()
        assert digest in json.dumps(payload) or digest in json.dumps(named)
    # Fresh salts: issued again, the disclosures differ.
    assert parts(issue(issuer))[1] != disclosures


def test_verify_issued_and_presented(issuer, tmp_path):
    sdjwt = issue(issuer)
    proc = verify(issuer, tmp_path, sdjwt)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SD-JWT VC" in proc.stdout and "Łukasz Müller-Dağ" in proc.stdout

    shown = present(sdjwt, {"title", "grade"}, issuer.holder, nonce="abc", aud="https://x.nl")
    proc = verify(issuer, tmp_path, shown, "--challenge", "abc", "--domain", "https://x.nl",
                  "--json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stdout
    assert report["verified"] is True
    assert report["achievement"]["title"] == "BSc Physics"
    assert report["holder"]["name"] is None  # the names were not disclosed

    # Another nonce or audience than asked for, a stale KB-JWT, none at all where asked for.
    assert verify(issuer, tmp_path, shown, "--challenge", "other").returncode == 1
    assert verify(issuer, tmp_path, shown, "--domain", "https://y.nl").returncode == 1
    stale = present(sdjwt, {"title"}, issuer.holder, nonce="abc", iat=int(time.time()) - 3600)
    assert verify(issuer, tmp_path, stale, "--challenge", "abc").returncode == 1
    unbound = present(sdjwt, {"title"}, None)
    assert verify(issuer, tmp_path, unbound).returncode == 0
    proc = verify(issuer, tmp_path, unbound, "--challenge", "abc")
    assert proc.returncode == 1 and "key-binding" in proc.stdout


def test_bad_inputs(issuer, tmp_path):
    sdjwt = issue(issuer)
    # A key-binding JWT signed by another key than cnf.jwk.
    thief = ec.generate_private_key(ec.SECP256R1())
    proc = verify(issuer, tmp_path, present(sdjwt, {"title"}, thief))
    assert proc.returncode == 1 and "holder" in proc.stdout
    # A disclosure the SD-JWT does not reference (from another issuance).
    other = parts(issue(issuer))[1][0]
    proc = verify(issuer, tmp_path, sdjwt + other + "~")
    assert proc.returncode == 1 and "not referenced" in proc.stdout
    # The same disclosure twice.
    first = parts(sdjwt)[1][0]
    assert verify(issuer, tmp_path, sdjwt + first + "~").returncode == 1
    # alg none: the issuer's part re-made unsigned, with a name of the forger's choice.
    jws, disclosures, _ = parts(sdjwt)
    header, payload = claims_of(jws)
    header["alg"] = "none"
    forged = (b64u(json.dumps(header).encode()) + "." + jws.split(".")[1] + ".~" +
              "".join(d + "~" for d in disclosures))
    proc = verify(issuer, tmp_path, forged)
    assert proc.returncode != 0 and "none" in proc.stdout
    # The payload changed after signing.
    payload["exp"] += 86400
    altered = (jws.split(".")[0] + "." + b64u(json.dumps(payload).encode()) + "." +
               jws.split(".")[2] + "~")
    assert verify(issuer, tmp_path, altered).returncode == 1


def test_another_depositorys_chain(issuer, binary, tmp_path):
    """Trusted only when its CA is among the folder's wallet roots."""
    other = Oorkonde(binary, tmp_path / "other")
    other.run("init", "--host", "other.example.no", check=True)
    other.add_institution()
    assert other.import_csv(write_csv(tmp_path / "o.csv", [make_row()])).returncode == 0
    other.achievement = other.achievements_json("123456782")[0]["id"]
    other.holder_jwk = issuer.holder_jwk
    sdjwt = issue(other)
    proc = verify(issuer, tmp_path, sdjwt)
    assert proc.returncode == 1 and "trusted root" in proc.stdout
    chain = (other.data / "wallet-chain.pem").read_text()
    root = chain[chain.index("-----BEGIN CERTIFICATE-----", 10):]
    (issuer.data / "wallet-roots.pem").write_text(root)
    proc = verify(issuer, tmp_path, sdjwt, "--checks", "proof,validity,issuer")
    assert proc.returncode == 0, proc.stdout
    # Its status list is never fetched (an outsider must not make the depository fetch): the
    # status check cannot be done, and a check that cannot be done fails.
    proc = verify(issuer, tmp_path, sdjwt)
    assert proc.returncode == 1 and "does not fetch" in proc.stdout
    assert "issued by other.example.no" in proc.stdout


def test_a_trusted_ca_cannot_speak_for_this_depository(issuer, binary, tmp_path):
    """Review W1: a second data folder with the same host name (so the same iss, vct and status
    list URLs) issues a degree; its CA is trusted for wallets. It is not ours: its status is not
    looked up in our lists, and it is not reported as issued by this depository."""
    evil = Oorkonde(binary, tmp_path / "evil")
    evil.run("init", "--host", "diploma.example.nl", check=True)
    evil.add_institution()
    row = make_row(record_id="X-1", national_id="123456782", given_names="Eve",
                   family_name="Forger", kind="degree", title="MSc Everything", eqf_level="7")
    assert evil.import_csv(write_csv(tmp_path / "e.csv", [row])).returncode == 0
    evil.achievement = evil.achievements_json("123456782")[0]["id"]
    evil.holder_jwk = issuer.holder_jwk
    forged = issue(evil)
    _, payload = claims_of(parts(forged)[0])
    assert payload["iss"] == "https://diploma.example.nl"
    assert payload["status"]["status_list"]["uri"].startswith("https://diploma.example.nl/")
    chain = (evil.data / "wallet-chain.pem").read_text()
    root = chain[chain.index("-----BEGIN CERTIFICATE-----", 10):]
    (issuer.data / "wallet-roots.pem").write_text(root)

    report = json.loads(verify(issuer, tmp_path, forged, "--json").stdout)
    assert report["verified"] is False
    text = json.dumps(report)
    assert "issued by this depository" not in text
    assert "not revoked" not in text and "status not checked" in text
    # Its certificate does name the host, so as a foreign issuer it is shown by that host.
    proc = verify(issuer, tmp_path, forged, "--checks", "proof,validity,issuer")
    assert proc.returncode == 0, proc.stdout
    assert "issued by diploma.example.nl" in proc.stdout
    assert "issued by this depository" not in proc.stdout
    # The same over HTTP (the verifier's and POST /credentials/verify's verdict).
    from helpers.server import Server
    srv = Server(issuer, "--rate-limit", 0)
    srv.start()
    try:
        r = srv.post("/credentials/verify", {"verifiableCredential": forged})
        assert r.json()["verified"] is False, r.json()
        assert "issued by this depository" not in json.dumps(r.json())
    finally:
        srv.stop()
    # Ours still is ours, and its status is looked up.
    proc = verify(issuer, tmp_path, issue(issuer))
    assert proc.returncode == 0 and "issued by this depository" in proc.stdout, proc.stdout
    assert "not revoked" in proc.stdout

    # A CA's certificate for another host cannot name us (or anyone else) as iss.
    other = Oorkonde(binary, tmp_path / "other")
    other.run("init", "--host", "other.example.no", check=True)
    other_chain = (other.data / "wallet-chain.pem").read_text()
    (issuer.data / "wallet-roots.pem").write_text(
        other_chain[other_chain.index("-----BEGIN CERTIFICATE-----", 10):])
    for name in ("wallet.key", "wallet-chain.pem"):
        (evil.data / name).write_text((other.data / name).read_text())
    renamed = issue(evil)
    assert claims_of(parts(renamed)[0])[1]["iss"] == "https://diploma.example.nl"
    proc = verify(issuer, tmp_path, renamed, "--checks", "proof,validity,issuer")
    assert proc.returncode == 1 and "dNSName" in proc.stdout, proc.stdout


def test_eu_learning_credential(issuer, tmp_path):
    sdjwt = issue(issuer, "--vct", "eu-learning", "--lifetime-days", "30")
    jws, disclosures, _ = parts(sdjwt)
    _, payload = claims_of(jws)
    assert payload["vct"] == "urn:eu.europa.ec.eudi:learning:credential:1"
    assert payload["exp"] - payload["iat"] == 30 * 86400
    named = {json.loads(unb64u(d))[1]: json.loads(unb64u(d))[2] for d in disclosures}
    assert named["achievement_title"] == "BSc Physics"
    assert named["level_of_learning_experience"] == 6
    assert named["expected_study_time"] == "180 ECTS"
    assert "learner_identification" not in named and "learner_identification" not in payload
    assert verify(issuer, tmp_path, sdjwt).returncode == 0


def token_status(token, idx):
    """The 2-bit status of idx in a Token Status List JWT's payload."""
    import zlib
    h, p, _ = token.split(".")
    payload = json.loads(unb64u(p))
    assert payload["status_list"]["bits"] == 2
    data = zlib.decompress(unb64u(payload["status_list"]["lst"]))
    return json.loads(unb64u(h)), payload, (data[idx // 4] >> ((idx % 4) * 2)) & 3


def test_token_status_list_follows_revocation(issuer, tmp_path):
    from helpers.server import Server
    sdjwt = issue(issuer)
    _, payload = claims_of(parts(sdjwt)[0])
    entry = payload["status"]["status_list"]
    path = entry["uri"].replace("https://diploma.example.nl", "")
    assert path.startswith("/statuslists/")
    idx = entry["idx"]
    srv = Server(issuer, "--rate-limit", 0)
    srv.start()
    try:
        r = srv.get(path)
        assert r.status == 200, r
        assert r.ctype == "application/statuslist+jwt"
        header, body, status = token_status(r.body.decode(), idx)
        assert header["typ"] == "statuslist+jwt" and header["alg"] == "ES256" and header["x5c"]
        assert body["sub"] == entry["uri"] and status == 0
        etag = r.headers["etag"]
        assert srv.get(path, headers={"If-None-Match": etag}).status == 304
        assert verify(issuer, tmp_path, sdjwt).returncode == 0

        issuer.run("suspend", issuer.achievement, "--reason", "under review", check=True)
        r = srv.get(path)
        assert r.headers["etag"] != etag
        assert token_status(r.body.decode(), idx)[2] == 2
        proc = verify(issuer, tmp_path, sdjwt)
        assert proc.returncode == 1 and "suspended" in proc.stdout

        issuer.run("revoke", issuer.achievement, "--reason", "fraud", check=True)
        assert token_status(srv.get(path).body.decode(), idx)[2] == 1
        proc = verify(issuer, tmp_path, sdjwt)
        assert proc.returncode == 1 and "revoked" in proc.stdout
        # The same slot in the Bitstring list says revoked too.
        assert srv.get(path.replace("/statuslists/", "/status/revocation/")).status == 200
        assert srv.get("/statuslists/0").status == 404
        # The type the credential names is served, with labels in Dutch and English.
        meta = srv.get(payload["vct"].replace("https://diploma.example.nl", "")).json()
        assert meta["vct"] == payload["vct"]
        assert {d["lang"] for d in meta["display"]} == {"nl", "en"}
        labels = {tuple(c["path"]): c["display"] for c in meta["claims"]}
        assert {"lang": "nl", "label": "Achternaam"} in labels[("family_name",)]
        assert srv.get("/vct/spaceship").status == 404
        assert srv.get("/statuslists/99").status == 404
    finally:
        srv.stop()


def test_verify_over_http(issuer):
    """POST /credentials/verify takes the SD-JWT VC as a string, the KB-JWT's nonce and aud
    in options."""
    from helpers.server import Server
    sdjwt = issue(issuer)
    shown = present(sdjwt, {"title"}, issuer.holder, nonce="n-9", aud="https://x.nl")
    srv = Server(issuer, "--rate-limit", 0)
    srv.start()
    try:
        r = srv.post("/credentials/verify", {"verifiableCredential": shown,
                                             "options": {"nonce": "n-9", "aud": "https://x.nl"}})
        assert r.status == 200, r
        assert r.json()["verified"] is True
        r = srv.post("/credentials/verify", {"verifiableCredential": shown,
                                             "options": {"nonce": "other"}})
        assert r.status == 400 and r.json()["verified"] is False
        r = srv.post("/credentials/verify", {"verifiableCredential": shown,
                                             "options": {"nonce": 5}})
        assert r.status == 400
    finally:
        srv.stop()


def test_suspended_and_revoked_read_as_such_over_http(issuer):
    """The depository's own SD-JWT VC of a result it suspended or revoked reads headline
    "suspended"/"revoked" with the day since (found by its status_list slot) and the status
    check's reason "suspended"/"revoked", the same shape as a W3C credential's; never "not
    verified" with a status that "could not be checked" (attack s16, finding 4)."""
    from helpers.server import Server
    sdjwt = issue(issuer)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    srv = Server(issuer, "--rate-limit", 0)
    srv.start()
    try:
        def verdict():
            r = srv.post("/credentials/verify", {"verifiableCredential": sdjwt})
            doc = r.json()
            [status] = [d for d in doc["details"] if d["check"] == "status"]
            return r.status, doc, status

        code, doc, status = verdict()
        assert code == 200 and doc["headline"]["state"] == "verified", doc
        assert status["reason"] == "ok", status

        issuer.run("suspend", issuer.achievement, "--reason", "under review", check=True)
        code, doc, status = verdict()
        assert code == 400, doc
        assert doc["headline"]["state"] == "suspended", doc
        assert doc["headline"]["since"] == today, doc
        assert doc["headline"]["text"].startswith("Suspended by the institution since "), doc
        assert status["reason"] == "suspended" and status["state"] == "failed", status

        issuer.run("revoke", issuer.achievement, "--reason", "fraud", check=True)
        code, doc, status = verdict()
        assert code == 400, doc
        assert doc["headline"]["state"] == "revoked", doc
        assert doc["headline"]["since"] == today, doc
        assert doc["headline"]["text"].startswith("Revoked by the institution on "), doc
        assert status["reason"] == "revoked", status
        # The holder and result are shown, as for a revoked W3C credential.
        assert doc["holder"]["name"] == "Łukasz Müller-Dağ", doc
        assert doc["achievement"]["title"] == "BSc Physics", doc
    finally:
        srv.stop()


def test_status_list_signed_again_after_a_new_wallet_key(issuer, tmp_path):
    """A token signed with a wallet key since replaced is not served from the cache."""
    from helpers.server import Server
    _, payload = claims_of(parts(issue(issuer))[0])
    path = payload["status"]["status_list"]["uri"].replace("https://diploma.example.nl", "")
    srv = Server(issuer, "--rate-limit", 0)
    srv.start()
    try:
        before = json.loads(unb64u(srv.get(path).body.decode().split(".")[0]))["x5c"]
        os.unlink(issuer.data / "wallet.key")
        issuer.run("keys", "add-wallet-key", check=True)
        after = json.loads(unb64u(srv.get(path).body.decode().split(".")[0]))["x5c"]
        assert after != before
        assert after[0] == "".join((issuer.data / "wallet-chain.pem").read_text()
                                   .split("-----END CERTIFICATE-----")[0]
                                   .split("-----BEGIN CERTIFICATE-----")[1].split())
    finally:
        srv.stop()
