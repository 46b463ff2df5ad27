"""OpenID4VCI issuance end to end, the wallet played here with Python's cryptography (not
oorkonde's code): metadata, an offer (CLI and portal), the token with DPoP, c_nonces, proofs of
two wallet keys (ES256 and EdDSA) and the SD-JWT VCs bound to them; each bad input of issue 17
refused with its OAuth / OpenID4VCI error code and nothing issued."""
import base64
import hashlib
import json
import secrets
import time
import urllib.parse

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from helpers.base import Oorkonde, allow_login_links, make_row, write_csv
from helpers.portal import Session, cookie_of, redeem
from helpers.server import Server

NID = "123456782"
OTHER = "111222333"
BASE = "http://localhost:8080"
FORM = "application/x-www-form-urlencoded"
PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Key:
    """A wallet key: ES256 (P-256) or EdDSA (Ed25519)."""

    def __init__(self, alg="ES256"):
        self.alg = alg
        if alg == "ES256":
            self.sk = ec.generate_private_key(ec.SECP256R1())
            n = self.sk.public_key().public_numbers()
            self.jwk = {"kty": "EC", "crv": "P-256", "x": b64u(n.x.to_bytes(32, "big")),
                        "y": b64u(n.y.to_bytes(32, "big"))}
        else:
            self.sk = ed25519.Ed25519PrivateKey.generate()
            raw = self.sk.public_key().public_bytes(serialization.Encoding.Raw,
                                                   serialization.PublicFormat.Raw)
            self.jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}

    def sign(self, data):
        if self.alg == "ES256":
            r, s = decode_dss_signature(self.sk.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self.sk.sign(data)

    def jwt(self, header, payload, alg=None):
        h = b64u(json.dumps({"alg": alg or self.alg, **header}).encode())
        p = b64u(json.dumps(payload).encode())
        return f"{h}.{p}." + b64u(self.sign(f"{h}.{p}".encode()))

    def thumbprint(self):
        members = {k: self.jwk[k] for k in sorted(self.jwk)}
        text = json.dumps(members, separators=(",", ":"))
        return b64u(hashlib.sha256(text.encode()).digest())


def dpop(key, method, url, token=None, jti=None, iat=None, **extra):
    payload = {"jti": jti or secrets.token_urlsafe(12), "htm": method, "htu": url,
               "iat": int(time.time()) if iat is None else iat, **extra}
    if token:
        payload["ath"] = b64u(hashlib.sha256(token.encode()).digest())
    return key.jwt({"typ": "dpop+jwt", "jwk": key.jwk}, payload)


def proof(key, nonce, aud=BASE, typ="openid4vci-proof+jwt", iat=None, alg=None, **header):
    payload = {"aud": aud, "iat": int(time.time()) if iat is None else iat, "nonce": nonce}
    return key.jwt({"typ": typ, "jwk": key.jwk, **header}, payload, alg=alg)


@pytest.fixture
def issuer(binary, tmp_path):
    ok = Oorkonde(binary, tmp_path / "data")
    ok.run("init", "--host", "localhost:8080", check=True)
    allow_login_links(ok.data)
    ok.add_institution()
    rows = [make_row(record_id="R-1", national_id=NID, kind="degree", title="BSc Physics",
                     eqf_level="6", credits="180", grade="8", grading_scheme="1-10"),
            make_row(record_id="R-2", national_id=NID, kind="course", title="Optics"),
            make_row(record_id="R-3", national_id=OTHER, kind="course", title="Statics",
                     given_names="Bram", family_name="Other")]
    assert ok.import_csv(write_csv(tmp_path / "rows.csv", rows)).returncode == 0
    mine = json.loads(ok.run("achievements", "--national-id", NID, "--json",
                             check=True).stdout)
    ok.learner = mine[0]["learner_id"]
    ok.ids = {a["title"]: a["id"] for a in mine}
    other = json.loads(ok.run("achievements", "--national-id", OTHER, "--json",
                              check=True).stdout)
    ok.other_id = other[0]["id"]
    ok.srv = Server(ok, "--rate-limit", "0", name="vci").start()
    yield ok
    ok.srv.stop()


def offer(ok, *titles, pin=False, vct=None):
    """pin None: as config.json says (a PIN unless wallet_pin is false)."""
    args = ["wallet", "offer", "--learner-id", ok.learner, "--achievements",
            ",".join(ok.ids[t] for t in titles)]
    if pin is not None:
        args.append("--pin" if pin else "--no-pin")
    if vct:
        args += ["--vct", vct]
    out = ok.run(*args, "--json", check=True).stdout
    return json.loads(out)


def resolve(ok, link):
    """What a wallet does with the link: the offer behind credential_offer_uri."""
    assert link.startswith("openid-credential-offer://?credential_offer_uri=")
    uri = urllib.parse.unquote(link.split("=", 1)[1])
    assert uri.startswith(BASE + "/oid4vci/offers/")
    return ok.srv.get(uri[len(BASE):])


def token(ok, code, key=None, tx_code=None, headers=None):
    form = {"grant_type": PRE_AUTH, "pre-authorized_code": code}
    if tx_code is not None:
        form["tx_code"] = tx_code
    h = dict(headers or {})
    if key:
        h["DPoP"] = dpop(key, "POST", BASE + "/token")
    return ok.srv.post("/token", urllib.parse.urlencode(form), ctype=FORM, headers=h)


def nonce(ok):
    r = ok.srv.post("/nonce")
    assert r.status == 200, r
    assert r.headers["cache-control"] == "no-store"
    return r.json()["c_nonce"]


def credential(ok, access, body, key=None, dpop_header=None):
    h = {}
    if key:
        h["Authorization"] = f"DPoP {access}"
        h["DPoP"] = dpop_header or dpop(key, "POST", BASE + "/credential", token=access)
    else:
        h["Authorization"] = f"Bearer {access}"
    return ok.srv.post("/credential", body, headers=h)


def issued_events(ok):
    events = json.loads(ok.run("audit", "show", "--json", check=True).stdout)
    return [e for e in events if e["action"] == "wallet.issue"]


def error_of(r, status, code):
    assert r.status == status, r
    assert r.ctype == "application/json", r
    assert r.json()["error"] == code, r.json()
    assert r.json()["error_description"]
    return r.json()["error_description"]


def redeemed(ok, *titles, dpop_key=None, pin=False):
    made = offer(ok, *titles, pin=pin)
    doc = resolve(ok, made["link"]).json()
    grant = doc["grants"][PRE_AUTH]
    r = token(ok, grant["pre-authorized_code"], key=dpop_key, tx_code=made.get("pin"))
    assert r.status == 200, r
    return r.json()


def test_metadata(issuer):
    r = issuer.srv.get("/.well-known/openid-credential-issuer")
    assert r.status == 200, r
    m = r.json()
    assert m["credential_issuer"] == BASE
    assert m["credential_endpoint"] == BASE + "/credential"
    assert m["nonce_endpoint"] == BASE + "/nonce"
    confs = m["credential_configurations_supported"]
    for kind in ("diploma", "degree", "course", "module", "exam"):
        own, eu = confs[kind], confs[kind + "-eu"]
        assert own["format"] == eu["format"] == "dc+sd-jwt"
        assert own["vct"] == f"{BASE}/vct/{kind}"
        assert eu["vct"] == "urn:eu.europa.ec.eudi:learning:credential:1"
        assert own["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == [
            "ES256", "EdDSA"]
        assert own["cryptographic_binding_methods_supported"] == ["jwk"]
        locales = {d["locale"] for d in own["credential_metadata"]["display"]}
        assert locales == {"nl", "en"}
    a = issuer.srv.get("/.well-known/oauth-authorization-server").json()
    assert a["issuer"] == BASE and a["token_endpoint"] == BASE + "/token"
    assert PRE_AUTH in a["grant_types_supported"]
    assert a["dpop_signing_alg_values_supported"] == ["ES256", "EdDSA"]


def test_whole_flow_with_dpop_and_two_wallet_keys(issuer):
    made = offer(issuer, "BSc Physics")
    assert "pin" not in made  # --no-pin
    r = resolve(issuer, made["link"])
    assert r.status == 200, r
    doc = r.json()
    assert doc["credential_issuer"] == BASE
    assert doc["credential_configuration_ids"] == ["degree"]
    grant = doc["grants"][PRE_AUTH]
    assert "tx_code" not in grant
    wallet_dpop = Key()
    r = token(issuer, grant["pre-authorized_code"], key=wallet_dpop)
    assert r.status == 200, r
    assert r.headers["cache-control"] == "no-store"
    tok = r.json()
    assert tok["token_type"] == "DPoP" and 0 < tok["expires_in"] <= 300
    assert tok["authorization_details"] == [{
        "type": "openid_credential", "credential_configuration_id": "degree",
        "credential_identifiers": [issuer.ids["BSc Physics"]]}]
    es, ed = Key("ES256"), Key("EdDSA")
    n = nonce(issuer)
    body = {"credential_configuration_id": "degree",
            "proofs": {"jwt": [proof(es, n), proof(ed, n)]}}
    r = credential(issuer, tok["access_token"], body, key=wallet_dpop)
    assert r.status == 200, r
    creds = [c["credential"] for c in r.json()["credentials"]]
    assert len(creds) == 2
    for sdjwt, key in zip(creds, (es, ed)):
        jws = sdjwt.split("~")[0]
        header = json.loads(unb64u(jws.split(".")[0]))
        payload = json.loads(unb64u(jws.split(".")[1]))
        assert header["typ"] == "dc+sd-jwt" and header["alg"] == "ES256"
        assert payload["cnf"]["jwk"] == key.jwk
        assert payload["vct"] == BASE + "/vct/degree"
        disclosed = {json.loads(unb64u(d))[1] for d in sdjwt.split("~")[1:-1]}
        assert "title" in disclosed and "given_name" in disclosed
        path = issuer.data.parent / "cred.txt"
        path.write_text(sdjwt)
        v = issuer.run("verify", path)
        assert v.returncode == 0, v.stdout + v.stderr
    # Audited on the learner: the offer, the redemption, each issuance with its wallet key.
    events = json.loads(issuer.run("audit", "show", "--json", check=True).stdout)
    mine = [e for e in events if e["subject"] == issuer.learner]
    actions = [e["action"] for e in mine]
    assert "wallet.offer" in actions and "wallet.redeem" in actions
    issued = [e for e in mine if e["action"] == "wallet.issue"]
    assert {e["detail"].split("key=")[1] for e in issued} == {es.thumbprint(),
                                                              ed.thumbprint()}
    # The offer is gone once redeemed: the URI and the code no longer work.
    assert resolve(issuer, made["link"]).status == 410
    error_of(token(issuer, grant["pre-authorized_code"]), 400, "invalid_grant")
    # The learner sees which wallet keys received what, and when.
    link = issuer.run("learner", "login-link", issuer.learner, check=True).stdout.strip()
    session = Session(issuer.srv, cookie_of(redeem(issuer.srv, link[len(BASE):])))
    history = session.get("/v1/me/wallet").json()["issued"]
    assert {h["key"] for h in history} == {es.thumbprint(), ed.thumbprint()}
    assert {h["achievement"] for h in history} == {issuer.ids["BSc Physics"]}
    assert all(h["configuration"] == "degree" and h["at"] for h in history)


def test_bearer_flow_and_eu_type(issuer):
    made = offer(issuer, "Optics", vct="eu-learning")
    doc = resolve(issuer, made["link"]).json()
    assert doc["credential_configuration_ids"] == ["course-eu"]
    r = token(issuer, doc["grants"][PRE_AUTH]["pre-authorized_code"])
    tok = r.json()
    assert tok["token_type"] == "Bearer"
    key = Key()
    r = credential(issuer, tok["access_token"],
                   {"credential_identifier": issuer.ids["Optics"],
                    "proofs": {"jwt": [proof(key, nonce(issuer))]}})
    assert r.status == 200, r
    payload = json.loads(unb64u(r.json()["credentials"][0]["credential"].split(".")[1]))
    assert payload["vct"] == "urn:eu.europa.ec.eudi:learning:credential:1"


def test_pin(issuer):
    made = offer(issuer, "Optics", pin=True)
    assert len(made["pin"]) == 6 and made["pin"].isdigit()
    doc = resolve(issuer, made["link"]).json()
    grant = doc["grants"][PRE_AUTH]
    assert grant["tx_code"] == {"input_mode": "numeric", "length": 6,
                                "description": grant["tx_code"]["description"]}
    code = grant["pre-authorized_code"]
    wrong = "000000" if made["pin"] != "000000" else "111111"
    error_of(token(issuer, code), 400, "invalid_grant")          # no PIN: one wrong try
    error_of(token(issuer, code, tx_code=wrong), 400, "invalid_grant")
    assert "withdrawn" in error_of(token(issuer, code, tx_code=wrong), 400, "invalid_grant")
    # Three wrong tries burn the offer: the right PIN no longer helps.
    error_of(token(issuer, code, tx_code=made["pin"]), 400, "invalid_grant")
    ok2 = offer(issuer, "Optics", pin=True)
    code2 = resolve(issuer, ok2["link"]).json()["grants"][PRE_AUTH]["pre-authorized_code"]
    error_of(token(issuer, code2, tx_code=wrong), 400, "invalid_grant")
    assert token(issuer, code2, tx_code=ok2["pin"]).status == 200
    # A PIN to an offer without one is a bad request.
    plain = offer(issuer, "Optics")
    code3 = resolve(issuer, plain["link"]).json()["grants"][PRE_AUTH]["pre-authorized_code"]
    error_of(token(issuer, code3, tx_code="123456"), 400, "invalid_request")


def test_token_request_errors(issuer):
    error_of(issuer.srv.post("/token", "grant_type=authorization_code&code=x", ctype=FORM),
             400, "unsupported_grant_type")
    error_of(issuer.srv.post("/token", f"grant_type={PRE_AUTH}", ctype=FORM), 400,
             "invalid_request")
    error_of(issuer.srv.post("/token", "grant_type=a&grant_type=b", ctype=FORM), 400,
             "invalid_request")
    error_of(token(issuer, "not-a-code"), 400, "invalid_grant")
    r = issuer.srv.post("/token", {"grant_type": PRE_AUTH}, ctype="application/json")
    error_of(r, 400, "invalid_request")
    assert issuer.srv.get("/oid4vci/offers/" + "A" * 43).status == 404


def test_dpop_errors(issuer):
    made = offer(issuer, "Optics")
    code = resolve(issuer, made["link"]).json()["grants"][PRE_AUTH]["pre-authorized_code"]
    key = Key()
    form = urllib.parse.urlencode({"grant_type": PRE_AUTH, "pre-authorized_code": code})

    def with_dpop(header):
        return issuer.srv.post("/token", form, ctype=FORM, headers={"DPoP": header})

    error_of(with_dpop(dpop(key, "POST", BASE + "/nonce")), 400, "invalid_dpop_proof")
    error_of(with_dpop(dpop(key, "GET", BASE + "/token")), 400, "invalid_dpop_proof")
    error_of(with_dpop(dpop(key, "POST", BASE + "/token", iat=int(time.time()) - 3600)), 400,
             "invalid_dpop_proof")
    h = b64u(json.dumps({"alg": "none", "typ": "dpop+jwt", "jwk": key.jwk}).encode())
    p = b64u(json.dumps({"jti": "x", "htm": "POST", "htu": BASE + "/token",
                         "iat": int(time.time())}).encode())
    error_of(with_dpop(f"{h}.{p}."), 400, "invalid_dpop_proof")
    good = dpop(key, "POST", BASE + "/token")
    assert with_dpop(good).status == 200
    # The same proof again: a replay (checked before the code, which is spent anyway).
    error_of(with_dpop(good), 400, "invalid_dpop_proof")
    # A DPoP-bound token used as a bearer token, or with another key's proof.
    tok = redeemed(issuer, "Optics", dpop_key=key)["access_token"]
    body = {"credential_configuration_id": "course",
            "proofs": {"jwt": [proof(Key(), nonce(issuer))]}}
    error_of(credential(issuer, tok, body), 401, "invalid_token")
    other = Key()
    r = credential(issuer, tok, body, key=key,
                   dpop_header=dpop(other, "POST", BASE + "/credential", token=tok))
    error_of(r, 401, "invalid_token")
    # No ath, or an ath of another token.
    r = credential(issuer, tok, body, key=key,
                   dpop_header=dpop(key, "POST", BASE + "/credential"))
    error_of(r, 401, "invalid_dpop_proof")
    assert issued_events(issuer) == []


def test_dpop_required(issuer, tmp_path):
    issuer.srv.stop()
    config = issuer.data / "config.json"
    settings = json.loads(config.read_text())
    settings["wallet_dpop_required"] = True
    config.write_text(json.dumps(settings))
    issuer.srv = Server(issuer, "--rate-limit", "0", name="vci-dpop").start()
    made = offer(issuer, "Optics")
    code = resolve(issuer, made["link"]).json()["grants"][PRE_AUTH]["pre-authorized_code"]
    error_of(token(issuer, code), 400, "invalid_dpop_proof")
    assert token(issuer, code, key=Key()).status == 200


def test_credential_request_errors(issuer):
    key = Key()
    tok = redeemed(issuer, "BSc Physics", "Optics")["access_token"]
    n = nonce(issuer)

    def ask(body):
        return credential(issuer, tok, body)

    conf = {"credential_configuration_id": "degree"}
    # Proofs: wrong aud, typ, alg, none, an HMAC alg, a stale iat, no nonce, two of one key.
    for bad in (proof(key, n, aud="https://elsewhere.example"),
                proof(key, n, typ="JWT"),
                proof(key, n, alg="ES384"),
                proof(key, n, iat=int(time.time()) - 3600),
                proof(Key("EdDSA"), n, alg="ES256")):
        error_of(ask({**conf, "proofs": {"jwt": [bad]}}), 400, "invalid_proof")
    h = b64u(json.dumps({"alg": "none", "typ": "openid4vci-proof+jwt",
                         "jwk": key.jwk}).encode())
    p = b64u(json.dumps({"aud": BASE, "iat": int(time.time()), "nonce": n}).encode())
    error_of(ask({**conf, "proofs": {"jwt": [f"{h}.{p}."]}}), 400, "invalid_proof")
    error_of(ask({**conf, "proofs": {"jwt": [proof(key, n), proof(key, n)]}}), 400,
             "invalid_proof")
    # Nonces: unknown, then one used already.
    error_of(ask({**conf, "proofs": {"jwt": [proof(key, "made-up")]}}), 400, "invalid_nonce")
    assert ask({**conf, "proofs": {"jwt": [proof(key, n)]}}).status == 200
    error_of(ask({**conf, "proofs": {"jwt": [proof(Key(), n)]}}), 400, "invalid_nonce")
    before = len(issued_events(issuer))
    # One good proof and one bad: nothing issued, the good proof's nonce not spent.
    n2 = nonce(issuer)
    error_of(ask({**conf, "proofs": {"jwt": [proof(key, n2), proof(Key(), "made-up")]}}),
             400, "invalid_nonce")
    assert ask({**conf, "proofs": {"jwt": [proof(key, n2)]}}).status == 200
    assert len(issued_events(issuer)) == before + 1
    # Requests: a configuration or identifier not offered, both or neither, too many proofs.
    n3 = nonce(issuer)
    error_of(ask({"credential_configuration_id": "exam",
                  "proofs": {"jwt": [proof(key, n3)]}}), 400,
             "unknown_credential_configuration")
    error_of(ask({"credential_identifier": issuer.other_id,
                  "proofs": {"jwt": [proof(key, n3)]}}), 400, "unknown_credential_identifier")
    error_of(ask({"credential_identifier": issuer.ids["Optics"], **conf,
                  "proofs": {"jwt": [proof(key, n3)]}}), 400, "invalid_credential_request")
    error_of(ask({**conf, "proofs": {"jwt": [proof(Key(), n3) for _ in range(11)]}}), 400,
             "invalid_credential_request")
    error_of(ask({**conf, "proof": {"proof_type": "jwt", "jwt": proof(key, n3)}}), 400,
             "invalid_credential_request")
    # Tokens: none, unknown.
    r = issuer.srv.post("/credential", {**conf, "proofs": {"jwt": [proof(key, n3)]}})
    error_of(r, 401, "invalid_token")
    error_of(credential(issuer, "A" * 43, {**conf, "proofs": {"jwt": [proof(key, n3)]}}), 401,
             "invalid_token")
    assert len(issued_events(issuer)) == before + 1


def test_revoked_after_the_offer(issuer):
    tok = redeemed(issuer, "Optics")["access_token"]
    issuer.run("revoke", issuer.ids["Optics"], "--reason", "fraud", check=True)
    r = credential(issuer, tok, {"credential_configuration_id": "course",
                                 "proofs": {"jwt": [proof(Key(), nonce(issuer))]}})
    error_of(r, 403, "credential_request_denied")
    assert issued_events(issuer) == []


def test_suspended_after_the_offer(issuer):
    """A result suspended since the offer is not issued either (attack s16, finding 7): a share
    of it is refused too."""
    tok = redeemed(issuer, "Optics")["access_token"]
    issuer.run("suspend", issuer.ids["Optics"], "--reason", "under review", check=True)
    r = credential(issuer, tok, {"credential_configuration_id": "course",
                                 "proofs": {"jwt": [proof(Key(), nonce(issuer))]}})
    error_of(r, 403, "credential_request_denied")
    assert "suspended" in r.json()["error_description"], r
    assert issued_events(issuer) == []


def test_suspended_is_not_offered(issuer):
    """Neither the portal's "Add to wallet" nor the CLI offers a suspended result: 409, as for
    a revoked one and as a share of it (attack s16, finding 7)."""
    issuer.run("suspend", issuer.ids["Optics"], "--reason", "under review", check=True)
    r = issuer.run("wallet", "offer", "--learner-id", issuer.learner, "--achievements",
                   issuer.ids["Optics"])
    assert r.returncode != 0 and "suspended" in r.stderr, r.stderr
    link = issuer.run("learner", "login-link", issuer.learner, check=True).stdout.strip()
    session = Session(issuer.srv, cookie_of(redeem(issuer.srv, link[len(BASE):])))
    r = session.post("/v1/me/wallet-offers",
                     {"achievements": [issuer.ids["BSc Physics"], issuer.ids["Optics"]]})
    assert r.status == 409, r
    assert f"achievement {issuer.ids['Optics']} is suspended" in r.json()["detail"], r
    # Reinstated: offered again.
    issuer.run("reinstate", issuer.ids["Optics"], "--reason", "cleared", check=True)
    r = session.post("/v1/me/wallet-offers", {"achievements": [issuer.ids["Optics"]]})
    assert r.status == 201, r


def test_offer_checks(issuer):
    r = issuer.run("wallet", "offer", "--learner-id", issuer.learner, "--achievements",
                   issuer.other_id)
    assert r.returncode != 0 and "no achievement" in r.stderr
    r = issuer.run("wallet", "offer", "--learner-id", issuer.learner, "--achievements",
                   f"{issuer.ids['Optics']},{issuer.ids['Optics']}")
    assert r.returncode != 0 and "twice" in r.stderr
    issuer.run("revoke", issuer.ids["Optics"], "--reason", "fraud", check=True)
    r = issuer.run("wallet", "offer", "--learner-id", issuer.learner, "--achievements",
                   issuer.ids["Optics"])
    assert r.returncode != 0 and "revoked" in r.stderr


def test_portal_add_to_wallet(issuer):
    link = issuer.run("learner", "login-link", issuer.learner, check=True).stdout.strip()
    session = Session(issuer.srv, cookie_of(redeem(issuer.srv, link[len(BASE):])))
    r = session.post("/v1/me/wallet-offers",
                     {"achievements": [issuer.ids["BSc Physics"], issuer.ids["Optics"]]})
    assert r.status == 201, r
    doc = r.json()
    assert doc["qr_svg"].startswith("<svg") and doc["expires"]
    offered = resolve(issuer, doc["link"]).json()
    assert sorted(offered["credential_configuration_ids"]) == ["course", "degree"]
    # Another learner's result, or none: refused. Without the CSRF token: refused.
    r = session.post("/v1/me/wallet-offers", {"achievements": [issuer.other_id]})
    assert r.status == 404, r
    assert session.post("/v1/me/wallet-offers", {"achievements": []}).status == 400
    r = session.post("/v1/me/wallet-offers", {"achievements": [issuer.ids["Optics"]]},
                     csrf=False)
    assert r.status == 403, r
    assert issuer.srv.post("/v1/me/wallet-offers",
                           {"achievements": [issuer.ids["Optics"]]}).status == 401


def test_pin_by_default(issuer):
    """Review W5: the link alone is not enough, for the portal's offers and the CLI's, unless
    config.json turns the PIN off."""
    link = issuer.run("learner", "login-link", issuer.learner, check=True).stdout.strip()
    session = Session(issuer.srv, cookie_of(redeem(issuer.srv, link[len(BASE):])))
    doc = session.post("/v1/me/wallet-offers", {"achievements": [issuer.ids["Optics"]]}).json()
    cli = offer(issuer, "Optics", pin=None)
    for made in (doc, cli):
        assert len(made["pin"]) == 6 and made["pin"].isdigit()
        grant = resolve(issuer, made["link"]).json()["grants"][PRE_AUTH]
        assert grant["tx_code"]["length"] == 6
        error_of(token(issuer, grant["pre-authorized_code"]), 400, "invalid_grant")
        assert token(issuer, grant["pre-authorized_code"], tx_code=made["pin"]).status == 200
    # Turned off: neither has one (the CLI's --pin still adds one).
    cfg = json.loads((issuer.data / "config.json").read_text())
    cfg["wallet_pin"] = False
    (issuer.data / "config.json").write_text(json.dumps(cfg))
    issuer.srv.stop()
    issuer.srv = Server(issuer, "--rate-limit", "0", name="vci-nopin").start()
    link = issuer.run("learner", "login-link", issuer.learner, check=True).stdout.strip()
    session = Session(issuer.srv, cookie_of(redeem(issuer.srv, link[len(BASE):])))
    doc = session.post("/v1/me/wallet-offers", {"achievements": [issuer.ids["Optics"]]}).json()
    assert "pin" not in doc and "pin" not in offer(issuer, "Optics", pin=None)
    assert "pin" in offer(issuer, "Optics", pin=True)
    grant = resolve(issuer, doc["link"]).json()["grants"][PRE_AUTH]
    assert "tx_code" not in grant
    assert token(issuer, grant["pre-authorized_code"]).status == 200
